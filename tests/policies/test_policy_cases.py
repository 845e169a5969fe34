"""Table-driven tests: every case of every policy module, through the engine-shaped harness."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.runtime import proto
from pulumi_policy import Severity

from meridian_ops.plan.policy_eval import (
    ProviderIndex,
    Violation,
    analyze_request,
    stack_resource,
    urn_name,
)
from policies.catalog import all_policies
from tests.policies.cases_common import UNKNOWN, PolicyCase
from tests.policies.conftest import all_cases, case_modules
from tests.policies.harness import (
    ROOT_URN,
    SUBJECT,
    case_plan,
    evaluate,
    run_case,
    single_policy_servicer,
    violations_from,
)

CASES = all_cases()
POLICY_NAMES = {p.name for p in all_policies()}


@pytest.mark.parametrize("case", CASES, ids=[c.case_id() for c in CASES])
def test_case(case: PolicyCase) -> None:
    assert case.policy in POLICY_NAMES, f"case names unknown policy {case.policy!r}"
    found = run_case(case)
    if not case.expect_violation:
        assert not found, "\n".join(v.message for v in found)
        return
    assert found, f"{case.policy} reported nothing for {case.note or case.props}"
    names = [SUBJECT] if case.stack is None else [str(e["name"]) for e in case.stack]
    for violation in found:
        assert any(n in violation.message for n in names), (
            f"message does not name the resource: {violation.message}"
        )
        assert "fix" in violation.message.lower(), f"message gives no fix: {violation.message}"


def test_every_policy_module_has_cases() -> None:
    missing = [name for name, module in case_modules() if module is None]
    assert not missing, f"no tests/policies/cases_<module>.py for {missing}"


def test_every_policy_has_violating_and_compliant_cases() -> None:
    violating = {c.policy for c in CASES if c.expect_violation}
    compliant = {c.policy for c in CASES if not c.expect_violation}
    problems = [
        f"{name}: "
        + ", ".join(
            kind
            for kind, names in (("no violating case", violating), ("no compliant case", compliant))
            if name not in names
        )
        for name in sorted(POLICY_NAMES)
        if name not in violating or name not in compliant
    ]
    assert not problems, "\n".join(problems)


def test_policies_are_documented_and_severe() -> None:
    policies = all_policies()
    assert len(policies) >= 40
    for policy in policies:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", policy.name), policy.name
        assert len(policy.description) > 20, policy.name
        assert isinstance(policy.severity, Severity), f"{policy.name} has no severity"
        assert policy.enforcement_level is not None, f"{policy.name} has no default level"


# ---------------------------------------------------------------------------------------------
# Unknown values: for every compliant case of a policy, making any single input value unknown
# (as during preview) never makes that policy report a mandatory violation.
# ---------------------------------------------------------------------------------------------
def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        if path:
            yield path  # the whole object unknown
        for key, item in value.items():
            yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        yield path
        for index, item in enumerate(value):
            yield from _leaf_paths(item, (*path, index))
    elif value != UNKNOWN:
        yield path


def _set(target: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _mandatory(found: list[Violation]) -> set[tuple[str, str]]:
    return {(v.policy, v.urn) for v in found if v.level == "mandatory" and not v.unknown}


def _mutations(plan: dict[str, Any]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(label, step index, mutated state) for every input value of every custom resource."""
    for index, step in enumerate(plan["steps"]):
        state = step["newState"]
        if state["type"].startswith("pulumi:"):
            continue
        for path in _leaf_paths(state["inputs"]):
            if not path:
                continue
            mutated = copy.deepcopy(state)
            _set(mutated["inputs"], path, UNKNOWN)
            yield f"{urn_name(state['urn'])}.{'.'.join(map(str, path))}", index, mutated


def _analyze(states: list[dict[str, Any]], index: int, policy: str) -> list[Violation]:
    """Analyze the resource at ``index`` and AnalyzeStack, as evaluate_states would, with a
    servicer serving only ``policy``."""
    servicer = single_policy_servicer(policy)
    providers = ProviderIndex(states)
    urns = {s["urn"] for s in states}
    response = servicer.Analyze(analyze_request(states[index], providers), None)
    found = violations_from(response, states[index]["urn"], None)
    stack = proto.AnalyzeStackRequest(resources=[stack_resource(s, providers) for s in states])
    found += violations_from(servicer.AnalyzeStack(stack, None), ROOT_URN, urns)
    return found


COMPLIANT = [c for c in CASES if not c.expect_violation]


@pytest.mark.parametrize("case", COMPLIANT, ids=[c.case_id() for c in COMPLIANT])
def test_unknown_value_never_adds_a_mandatory_violation(case: PolicyCase) -> None:
    plan = case_plan(case)
    states = [step["newState"] for step in plan["steps"]]
    baseline = _mandatory(evaluate(plan))
    for where, index, mutated in _mutations(plan):
        changed = [*states[:index], mutated, *states[index + 1 :]]
        added = _mandatory(_analyze(changed, index, case.policy)) - baseline
        assert not added, f"{where}=<unknown> produced mandatory {sorted(added)}"


def test_unknown_value_is_reported_as_advisory_preview_note() -> None:
    case = PolicyCase("required-tags", "aws:ec2/vpc:Vpc", {"tags": UNKNOWN}, False)
    found = [v for v in evaluate(case_plan(case)) if v.policy == "required-tags"]
    assert found and all(v.unknown and v.level == "advisory" for v in found)
    assert "during preview" in found[0].message
