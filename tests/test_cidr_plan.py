"""The address plan: no two VPCs of any region of any environment overlap, and subnets fit."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from components.foundation.network import MAX_AZS, MIN_AZS, Tier, plan_subnets
from stacks import capabilities
from stacks.cidr_plan import REGION_SLOTS, default_vpc_cidr, environment_supernet, region_slot
from stacks.identity import ENVIRONMENTS
from stacks.settings import ENVIRONMENT_DEFAULTS


def test_every_known_region_has_a_slot() -> None:
    missing = sorted(set(capabilities.known_regions()) - set(REGION_SLOTS))
    assert not missing, f"append to REGION_SLOTS: {missing}"


def test_slots_are_unique_and_fit_the_environment_supernet() -> None:
    numbers = list(REGION_SLOTS.values())
    assert len(numbers) == len(set(numbers))
    assert max(numbers) < 2 ** (16 - 10)


def test_no_vpc_overlaps_any_other_in_any_environment() -> None:
    vpcs: list[tuple[str, str, ipaddress.IPv4Network]] = []
    for env in ENVIRONMENTS:
        for prefix in (16, 18, 20, ENVIRONMENT_DEFAULTS[env]["network"]["vpcPrefixLength"]):
            for region in REGION_SLOTS:
                vpcs.append((env, region, default_vpc_cidr(env, region, prefix)))
    slots = [(env, r, region_slot(env, r)) for env in ENVIRONMENTS for r in REGION_SLOTS]
    for (e1, r1, a), (e2, r2, b) in itertools.combinations(slots, 2):
        assert not a.overlaps(b), f"{e1}/{r1} {a} overlaps {e2}/{r2} {b}"
    for env, region, net in vpcs:
        assert net.subnet_of(region_slot(env, region))
        assert net.subnet_of(environment_supernet(env))
        assert net.is_private


def test_environment_supernets_are_disjoint_and_private() -> None:
    nets = [environment_supernet(e) for e in ENVIRONMENTS]
    for a, b in itertools.combinations(nets, 2):
        assert not a.overlaps(b)
    assert all(n.subnet_of(ipaddress.IPv4Network("10.0.0.0/8")) for n in nets)


@pytest.mark.parametrize("prefix", [16, 17, 18, 19, 20])
@pytest.mark.parametrize("azs", range(MIN_AZS, MAX_AZS + 1))
def test_subnet_plan_fits_and_never_overlaps(prefix: int, azs: int) -> None:
    vpc = ipaddress.IPv4Network(f"10.128.0.0/{prefix}")
    plan = plan_subnets(vpc, azs)
    assert len(plan) == 3 * azs
    for item in plan:
        assert item.cidr.subnet_of(vpc)
    for a, b in itertools.combinations(plan, 2):
        assert not a.cidr.overlaps(b.cidr), (a, b)
    sizes = {t: {p.cidr.prefixlen for p in plan if p.tier is t} for t in Tier}
    assert sizes == {Tier.PRIVATE: {prefix + 3}, Tier.DATA: {prefix + 5}, Tier.PUBLIC: {prefix + 6}}
    assert min(p.cidr.num_addresses for p in plan) >= 64  # room for load balancers and NAT


def test_subnet_plan_rejects_what_it_cannot_lay_out() -> None:
    with pytest.raises(ValueError, match="az_count"):
        plan_subnets(ipaddress.IPv4Network("10.0.0.0/16"), 2)
    with pytest.raises(ValueError, match="/16 to /20"):
        plan_subnets(ipaddress.IPv4Network("10.0.0.0/22"), 3)
