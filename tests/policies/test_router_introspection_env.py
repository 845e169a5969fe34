"""`graphql-router-introspection-off` per environment: the pack configs let dev and staging
run the router with introspection (`meridian:graphql.introspection` is on there by default) and
refuse it in prod, at the mandatory level everywhere."""

from __future__ import annotations

import pytest

from meridian_ops.plan.policy_eval import load_policy_config
from policies.type_tokens import HELM_RELEASE
from tests.policies.cases_common import PolicyCase
from tests.policies.cases_zero_trust_mesh import INTROSPECTION_POLICY, router_release
from tests.policies.harness import run_case

ON = PolicyCase(INTROSPECTION_POLICY, HELM_RELEASE, router_release(True), True, note="on")


@pytest.mark.parametrize(("env", "refused"), [("dev", False), ("staging", False), ("prod", True)])
def test_introspection_is_refused_only_in_prod(env: str, refused: bool) -> None:
    violations = run_case(ON, env)
    assert bool(violations) == refused, violations
    if refused:
        assert all(v.level == "mandatory" for v in violations), violations


def test_prod_config_does_not_allow_introspection() -> None:
    entry = load_policy_config("prod").get(INTROSPECTION_POLICY)
    assert not (isinstance(entry, dict) and entry.get("allowIntrospection"))
