"""Every policy is declared with the one idiom and carries complete, valid metadata."""

from __future__ import annotations

import pytest
from pulumi_policy import Policy, StackValidationPolicy

from policies.catalog import MODULES, all_policies
from policies.compliance import CONTROLS, FRAMEWORKS, Controls
from policies.declare import CONCERNS, policy_meta, resource_policy

POLICIES = all_policies()


@pytest.mark.parametrize("policy", POLICIES, ids=[p.name for p in POLICIES])
def test_policy_metadata_is_complete(policy: Policy) -> None:
    meta = policy_meta(policy)
    assert meta.concern in CONCERNS
    assert meta.services and all(s and s == s.lower() for s in meta.services)
    assert policy.severity is meta.severity and meta.severity is not None
    assert policy.enforcement_level is meta.enforcement
    assert list(meta.controls), f"{policy.name} names no control"
    assert not meta.controls.unknown(), meta.controls.unknown()
    if isinstance(policy, StackValidationPolicy):
        assert meta.types, f"stack policy {policy.name} declares no types"


def test_metadata_concern_is_the_catalog_concern() -> None:
    for concern, module in MODULES:
        for policy in module.POLICIES:
            assert policy_meta(policy).concern == concern, policy.name


def test_policies_are_grouped_by_service_in_their_module() -> None:
    for _, module in MODULES:
        order = [policy_meta(p).service for p in module.POLICIES]
        groups = [s for i, s in enumerate(order) if i == 0 or order[i - 1] != s]
        assert len(groups) == len(set(groups)), f"{module.__name__}: {groups}"


def test_a_policy_without_metadata_is_refused() -> None:
    bare = StackValidationPolicy(name="bare", description="no metadata", validate=lambda a, r: None)
    with pytest.raises(TypeError, match="bare"):
        policy_meta(bare)
    with pytest.raises(TypeError):
        resource_policy("x", "y", validate=lambda a, r: None)  # type: ignore[call-arg]


def test_control_vocabulary() -> None:
    assert set(CONTROLS) == set(FRAMEWORKS)
    assert Controls(pci_dss=("99.9.9",)).unknown() == ["PCI-DSS v4.0 99.9.9"]
    evidenced = {c for p in POLICIES for c in policy_meta(p).controls}
    assert len(evidenced) >= 40


def test_plan_report_summarises_the_matrix() -> None:
    from meridian_ops.plan.report import compliance_summary

    evidenced = {c for p in POLICIES for c in policy_meta(p).controls}
    assert compliance_summary() == (
        f"compliance: {len(evidenced)} controls evidenced by {len(POLICIES)} policies"
    )
