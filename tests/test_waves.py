"""Deploy waves (meridian_ops/plan/waves.py) and the parallel plan that runs them
(meridian_ops/plan/cli.py): the order, the recorded reads against the declaration, worker results
equal to a sequential run, errors from workers, environment-wide checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import pytest

from meridian_ops.plan import cli as plan_module
from meridian_ops.plan.aws_mocks import AwsRejectedError, MotoValidator
from meridian_ops.plan.cli import PlannedStack, _plan_stack, _Result, _Task, check_global_names
from meridian_ops.plan.waves import (
    declared_reads,
    destroy_order,
    plan_waves,
    recorded_reads,
    undeclared_reads,
    waves_for,
)
from stacks.identity import Role
from stacks.outputs import GlobalKey, RegionalKey
from tests.plans import PROD_REGIONS, SESSION_KEY, planned, source_key


def _stacks(env: str, regions: list[str]) -> list[PlannedStack]:
    return [
        PlannedStack(f"{env}-global", Role.GLOBAL, None, {}),
        *(PlannedStack(f"{env}-{r}", Role.REGIONAL, r, {}) for r in regions),
        PlannedStack(f"{env}-edge", Role.EDGE, None, {}),
    ]


def test_prod_waves_are_global_primary_regions_edge() -> None:
    waves = waves_for("prod")
    assert [w.stacks for w in waves] == [
        ("prod-global",),
        (f"prod-{PROD_REGIONS[0]}",),
        tuple(f"prod-{r}" for r in PROD_REGIONS[1:]),
        ("prod-edge",),
    ]
    assert [w.label for w in waves] == [
        "global",
        f"primary region {PROD_REGIONS[0]}",
        "regions",
        "edge",
    ]
    assert [w.index for w in destroy_order(waves)] == [3, 2, 1, 0]


def test_a_single_region_environment_has_three_waves() -> None:
    assert [w.stacks for w in waves_for("dev")] == [
        ("dev-global",),
        ("dev-us-east-1",),
        ("dev-edge",),
    ]


def test_declared_reads_follow_the_roles() -> None:
    reads = declared_reads(_stacks("e", ["r1", "r2", "r3"]))
    assert reads["e-global"] == ()
    assert reads["e-r1"] == ("e-global",)
    assert reads["e-r2"] == ("e-global", "e-r1")  # secondaries read the primary
    assert reads["e-edge"] == ("e-global", "e-r1", "e-r2", "e-r3")
    assert [w.stacks for w in plan_waves(_stacks("e", ["r1", "r2", "r3"]))][2] == ("e-r2", "e-r3")


@pytest.mark.parametrize("preview", [False, True])
def test_every_recorded_read_is_declared(preview: bool) -> None:
    """What the programs really read (recorded while planning) stays inside the waves."""
    plans = planned("prod", preview)
    stacks = plan_module.stacks_of("prod")
    assert undeclared_reads(stacks, plans) == []
    assert recorded_reads(plans["prod-edge"]).keys() >= {f"prod-{r}" for r in PROD_REGIONS}
    for region in PROD_REGIONS:
        assert GlobalKey.IPAM_POOL_IDS in recorded_reads(plans[f"prod-{region}"])["prod-global"]


def test_an_undeclared_read_is_reported() -> None:
    stacks = _stacks("e", ["r1", "r2", "r3"])
    plans = {"e-r2": {"stackReads": {"e-r3": [RegionalKey.VPC_ID]}}}
    (problem,) = undeclared_reads(stacks, plans)
    assert "e-r2 reads e-r3" in problem and "declared_reads" in problem


def test_a_region_planned_in_a_worker_equals_it_planned_here(tmp_path: Path) -> None:
    """The shared prod plan comes from the plan command, whose regions ran in worker processes;
    planning one of them again in this process, from the same upstream outputs, gives the same
    document: same steps, same outputs, same reads (results do not depend on --jobs)."""
    plans = planned("prod")
    if source_key() != SESSION_KEY:
        pytest.skip("the sources changed after this test process imported them")
    stacks = {s.name: s for s in plan_module.stacks_of("prod")}
    name = f"prod-{PROD_REGIONS[-1]}"
    upstream = {n: plans[n]["outputs"] for n in ("prod-global", f"prod-{PROD_REGIONS[0]}")}
    MotoValidator.reset()
    task = _Task(stacks[name], "prod", upstream, False, plan_module.PROJECT_DIR, tmp_path, False)
    here = _plan_stack(task).document
    assert here is not None
    assert here == plans[name]


# --- the wave machinery, with a stand-in for planning a stack (no Pulumi) --------------------


def _fake_plan(task: _Task) -> _Result:
    """A plan document that records which upstream outputs the stack was given."""
    name = task.item.name
    if task.item.region == "boom":
        raise AwsRejectedError(f"AWS rejects the plan of {name}")
    if task.item.region == "odd":
        raise _UnpicklableError(name)
    document = {
        "stack": name,
        "role": task.item.role.value,
        "steps": [],
        "upstream": sorted(task.upstream),
        "pid": __import__("os").getpid(),
        "stackReads": {},
    }
    return _Result(name, document, {"from": name})


class _UnpicklableError(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"odd failure in {name}")
        self.lock = __import__("threading").Lock()  # cannot be pickled


@pytest.fixture
def fake_environment(monkeypatch: pytest.MonkeyPatch) -> list[PlannedStack]:
    stacks = _stacks("e", ["r1", "r2", "r3", "r4"])
    monkeypatch.setattr(plan_module, "stacks_of", lambda env, project_dir: stacks)
    monkeypatch.setattr(plan_module, "_plan_stack", _fake_plan)  # forked workers inherit it
    return stacks


@pytest.mark.parametrize("jobs", [1, 2])
def test_waves_run_in_order_with_the_outputs_before_them(
    fake_environment: list[PlannedStack], tmp_path: Path, jobs: int
) -> None:
    run = plan_module.run_environment("e", out_dir=tmp_path, jobs=jobs)
    assert list(run.plans) == [s.name for s in fake_environment]  # deployment order
    assert run.plans["e-global"]["upstream"] == []
    assert run.plans["e-r1"]["upstream"] == ["e-global"]
    assert run.plans["e-r3"]["upstream"] == ["e-global", "e-r1"]
    assert run.plans["e-edge"]["upstream"] == ["e-global", "e-r1", "e-r2", "e-r3", "e-r4"]
    here = {run.plans[n]["pid"] for n in ("e-global", "e-r1", "e-edge")}
    workers = {run.plans[f"e-r{i}"]["pid"] for i in (2, 3, 4)}
    assert here == {__import__("os").getpid()}
    assert workers.isdisjoint(here) if jobs > 1 else workers == here


def test_results_do_not_depend_on_jobs(
    fake_environment: list[PlannedStack], tmp_path: Path
) -> None:
    def strip(plans: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {n: {k: v for k, v in p.items() if k != "pid"} for n, p in plans.items()}

    one = plan_module.run_environment("e", out_dir=tmp_path, jobs=1).plans
    two = plan_module.run_environment("e", out_dir=tmp_path, jobs=2).plans
    assert strip(one) == strip(two)


@pytest.mark.parametrize("region", ["boom", "odd"])
def test_a_failing_stack_in_a_worker_fails_the_plan(
    fake_environment: list[PlannedStack],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    region: str,
) -> None:
    stacks = [replace(s, region=region) if s.name == "e-r3" else s for s in fake_environment]
    monkeypatch.setattr(plan_module, "stacks_of", lambda env, project_dir: stacks)
    expected = AwsRejectedError if region == "boom" else RuntimeError
    with pytest.raises(expected, match="e-r3"):
        plan_module.run_environment("e", out_dir=tmp_path, jobs=2)


def test_a_bucket_name_is_unique_across_the_environment() -> None:
    """Stacks planned in different worker processes each see only their own emulated S3; the
    environment-wide check finds a name two regions both claim."""

    def plan(stack: str) -> dict[str, Any]:
        state = {
            "type": "aws:s3/bucket:Bucket",
            "urn": f"urn:pulumi:{stack}::meridian::aws:s3/bucket:Bucket::logs",
            "inputs": {"bucket": "meridian-logs"},
        }
        return {"steps": [{"newState": state}]}

    check_global_names({"e-r1": plan("e-r1")})
    with pytest.raises(AwsRejectedError, match=r"BucketAlreadyExists.*e-r1"):
        check_global_names({"e-r1": plan("e-r1"), "e-r2": plan("e-r2")})


def test_the_plan_refuses_a_read_outside_the_waves(
    fake_environment: list[PlannedStack], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def reads_a_sibling(task: _Task) -> _Result:
        result = _fake_plan(task)
        if task.item.name == "e-r2" and result.document is not None:
            result.document["stackReads"] = {"e-r4": [RegionalKey.VPC_ID]}
        return result

    monkeypatch.setattr(plan_module, "_plan_stack", reads_a_sibling)
    with pytest.raises(pulumi.RunError, match="e-r2 reads e-r4"):
        plan_module.run_environment("e", out_dir=tmp_path, jobs=1)
