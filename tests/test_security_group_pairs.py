"""Every rule that opens a security group towards another group is answered by that group, in the
planned regional graphs, up and preview.

The provider strips the allow-all egress of every group it makes, so a connection between two
groups needs both halves: the client's egress naming the server's group on a port, and the
server's ingress naming the client's group on the same port (or the server admitting the whole
VPC, as the interface endpoints' groups do inline). An egress whose answer is missing is a client
that can never connect. Groups are followed through `propertyDependencies` (the URNs a group id
came from), which the engine records in both modes; the ids themselves are unknown in a preview.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.plans import name_of, planned, states, summary

EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
PAIRS = {
    # client's egress rule -> server's ingress rule: the client/server pairs of the design
    # (CDC to the brokers and to Aurora, the deploy runner to the EKS API, RDS Proxy and the
    # rotation functions to Aurora), by logical name.
    "cdc-sg-to-kafka": "cdc-admitted-by-kafka",
    "cdc-sg-to-db": "cdc-admitted-by-aurora",
    "deploy-runner-to-cluster-api": "deploy-runner-cluster-from-runner",
    "aurora-proxy-to-db": "aurora-db-from-proxy",
    "cdc-rotation-to-db": "cdc-rotation-db-from-rotation",
}


def _group(rule: dict[str, Any], prop: str) -> frozenset[str]:
    return frozenset(rule.get("propertyDependencies", {}).get(prop, []))


def _ports(rule: dict[str, Any]) -> tuple[Any, Any, Any]:
    i = rule["inputs"]
    return i.get("ipProtocol"), i.get("fromPort"), i.get("toPort")


def _admits_inline(group: dict[str, Any], port: Any) -> bool:
    """A group whose own inline ingress opens `port` to address ranges (the endpoints' groups)."""
    return any(
        r.get("fromPort") is not None
        and r["fromPort"] <= port <= r["toPort"]
        and (r.get("cidrBlocks") or r.get("ipv6CidrBlocks"))
        for r in group["inputs"].get("ingress") or []
    )


def unanswered(plan: dict[str, Any]) -> list[str]:
    """The group-to-group egress rules whose server group does not admit the client group."""
    ingress = {
        (_group(r, "securityGroupId"), _group(r, "referencedSecurityGroupId"), _ports(r))
        for r in states(plan, INGRESS)
        if _group(r, "referencedSecurityGroupId")
    }
    groups = {s["urn"]: s for s in states(plan, GROUP)}
    problems: list[str] = []
    for rule in states(plan, EGRESS):
        client, server = _group(rule, "securityGroupId"), _group(rule, "referencedSecurityGroupId")
        if any(k in rule["inputs"] for k in ("cidrIpv4", "cidrIpv6", "prefixListId")):
            continue  # egress to an address range: nothing names it back
        if not server:
            problems.append(f"{name_of(rule)}: names no group the plan can follow")
            continue
        if (server, client, _ports(rule)) in ingress:
            continue
        inline = [groups[u] for u in server if u in groups]
        if inline and all(_admits_inline(g, rule["inputs"].get("fromPort")) for g in inline):
            continue
        problems.append(f"{name_of(rule)}: {sorted(server)} does not admit {sorted(client)}")
    return problems


def _regional(env: str, preview: bool) -> list[tuple[str, dict[str, Any]]]:
    regional = {s["stack"] for s in summary(env, preview)["stacks"] if s["role"] == "regional"}
    return [(stack, plan) for stack, plan in planned(env, preview).items() if stack in regional]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_every_group_to_group_egress_is_admitted_by_the_other_group(preview: bool) -> None:
    stacks = _regional("dev", preview)
    assert stacks
    for stack, plan in stacks:
        names = {name_of(s) for s in states(plan, EGRESS)} | {
            name_of(s) for s in states(plan, INGRESS)
        }
        assert set(PAIRS) | set(PAIRS.values()) <= names, stack
        assert unanswered(plan) == [], stack


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize(("egress", "ingress"), sorted(PAIRS.items()))
def test_the_check_names_a_pair_cut_in_half(egress: str, ingress: str, preview: bool) -> None:
    stack, plan = _regional("dev", preview)[0]
    cut = copy.deepcopy(plan)
    cut["steps"] = [
        s for s in cut["steps"] if not (s.get("newState") and name_of(s["newState"]) == ingress)
    ]
    assert [p.split(":")[0] for p in unanswered(cut)] == [egress], stack
