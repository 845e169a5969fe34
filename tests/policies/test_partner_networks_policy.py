"""The edge group's partner networks under a pack config that lists them (`partnerCidrs` of
`sg-no-public-ingress` and `sg-rule-no-public-ingress`): admitted on the partner ports (443 with
the Cloudflare edge, 8443 with the AWS edge), nowhere else, never the whole internet, and never
on a group that is not the edge's."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from meridian_ops.plan.policy_eval import Analyzer, evaluate_states, load_policy_config
from policies.type_tokens import SECURITY_GROUP, VPC_INGRESS_RULE
from tests.policies.cases_common import PolicyCase
from tests.policies.cases_zero_trust_network import (
    EDGE_TAGS,
    PARTNER,
    WORLD,
    ingress,
    rule_stack,
    sg,
    vpc_rule,
)
from tests.policies.harness import case_plan

POLICIES = ("sg-no-public-ingress", "sg-rule-no-public-ingress")


def _analyzer(env: str, partners: list[str]) -> Analyzer:
    config: dict[str, Any] = copy.deepcopy(load_policy_config(env))
    for name in POLICIES:
        config[name]["partnerCidrs"] = partners
    return Analyzer(config)


def _violations(case: PolicyCase, env: str, partners: list[str]) -> list[Any]:
    found = evaluate_states(case_plan(case), _analyzer(env, partners))
    return [v for v in found if v.policy == case.policy and not v.unknown]


def _inline(cidr: str, port: int, tags: dict[str, str] | None = EDGE_TAGS) -> PolicyCase:
    return PolicyCase(POLICIES[0], SECURITY_GROUP, sg(ingress([cidr], port), tags=tags), False)


def _rule(cidr: str, port: int, tags: dict[str, str] | None = EDGE_TAGS) -> PolicyCase:
    stack = rule_stack(VPC_INGRESS_RULE, vpc_rule(cidr, port), group_tags=tags)
    return PolicyCase(POLICIES[1], "", {}, False, stack=stack)


@pytest.mark.parametrize("make", [_inline, _rule], ids=["inline", "rule"])
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
@pytest.mark.parametrize("port", [443, 8443])
def test_listed_partner_networks_pass_on_the_partner_ports(make: Any, env: str, port: int) -> None:
    assert _violations(make(PARTNER, port), env, [PARTNER]) == []
    # the same range without the pack entry is refused
    assert _violations(make(PARTNER, port), env, [])


@pytest.mark.parametrize("make", [_inline, _rule], ids=["inline", "rule"])
def test_partner_networks_are_refused_elsewhere(make: Any) -> None:
    assert _violations(make(PARTNER, 22), "prod", [PARTNER])  # not a partner port
    assert _violations(make(PARTNER, 8443, tags=None), "prod", [PARTNER])  # not the edge group
    assert _violations(make(WORLD, 8443), "prod", [WORLD])  # never the whole internet
