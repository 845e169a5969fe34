"""The offline plan: preview-shaped JSON per stack, dependency order, cross-stack references,
the command's files, the policy verdicts."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from meridian_ops.plan import cli as plan_module
from meridian_ops.plan.cli import stacks_of, summarize
from meridian_ops.plan.waves import recorded_reads
from stacks.outputs import EdgeKey, GlobalKey, RegionalKey
from tests.conftest import ROOT
from tests.plans import plan_directory, planned, source_key, states, summary


def references_of(plan: dict[str, Any]) -> list[str]:
    return sorted(recorded_reads(plan))


PROD_STACKS = 12


def test_prod_has_twelve_stacks_in_dependency_order() -> None:
    names = [s.name for s in stacks_of("prod")]
    assert len(names) == PROD_STACKS
    assert names[0] == "prod-global" and names[-1] == "prod-edge"
    assert names[1] == "prod-us-east-1"  # primary region first


def test_plan_json_has_the_preview_shape() -> None:
    for env in ("dev", "prod"):
        for name, plan in planned(env).items():
            assert plan["stack"] == name and plan["project"] == "meridian"
            assert set(plan) >= {"steps", "changeSummary", "outputs", "config"}
            assert sum(plan["changeSummary"].values()) == len(plan["steps"])
            for step in plan["steps"]:
                assert step["op"] in ("create", "read")
                assert step["urn"].startswith(f"urn:pulumi:{name}::meridian::")
                state = step["newState"]
                assert set(state) >= {
                    "type",
                    "inputs",
                    "parent",
                    "protect",
                    "dependencies",
                    "provider",
                    "propertyDependencies",
                }
                if state["type"] != "pulumi:pulumi:Stack":
                    assert state["parent"], step["urn"]
            json.dumps(plan)  # serializable as written


def test_stack_references_resolve_to_the_stacks_planned_before() -> None:
    plans = planned("prod")
    pools = plans["prod-global"]["outputs"][GlobalKey.IPAM_POOL_IDS]
    for region in ("us-east-1", "af-south-1"):
        plan = plans[f"prod-{region}"]
        assert "prod-global" in references_of(plan)
        vpc = states(plan, "aws:ec2/vpc:Vpc")[0]
        assert vpc["inputs"]["ipv4IpamPoolId"] == pools[region]
    assert GlobalKey.IPAM_POOL_IDS in recorded_reads(plans["prod-us-east-1"])["prod-global"]
    edge = plans["prod-edge"]
    assert sorted(references_of(edge)) == sorted(
        ["prod-global"] + [f"prod-{r}" for r in plans["prod-global"]["outputs"][GlobalKey.REGIONS]]
    )
    origins = edge["outputs"][EdgeKey.ORIGINS]
    assert set(origins) == set(plans["prod-global"]["outputs"][GlobalKey.REGIONS])
    assert (
        origins["eu-west-1"][RegionalKey.VPC_ID]
        == plans["prod-eu-west-1"]["outputs"][RegionalKey.VPC_ID]
    )
    assert len(edge["outputs"][EdgeKey.EGRESS_IPS]) == 30  # 3 NAT gateways x 10 regions


def test_global_ipam_matches_the_cidr_plan() -> None:
    plan = planned("prod")["prod-global"]
    pools = [
        s for s in states(plan, "aws:ec2/vpcIpamPool:VpcIpamPool") if s["inputs"].get("locale")
    ]
    assert len(pools) == 20  # per region: a VPC pool and a pod pool
    cidrs = {s["inputs"]["cidr"] for s in states(plan, "aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr")}
    assert "10.128.0.0/10" in cidrs
    assert set(plan["outputs"][GlobalKey.VPC_CIDRS].values()) <= cidrs
    ipam = states(plan, "aws:ec2/vpcIpam:VpcIpam")[0]
    assert len(ipam["inputs"]["operatingRegions"]) == 10


def test_summary_counts_by_component_and_type() -> None:
    text = summarize(planned("dev")["dev-us-east-1"])
    assert "Network network" in text and "KeyRing keys" in text
    assert "aws:ec2/subnet:Subnet" in text


def test_make_plan_cli_writes_files_and_a_diagram(tmp_path: Path) -> None:
    """`make plan` as a user runs it, once the tests have planned dev (tests/plans.py runs the
    same command, which fills the plan cache): it copies the cached plan files, prints the table
    and the waves, and writes the summary and the architecture page again."""
    cached = plan_directory("dev")
    result = subprocess.run(
        [sys.executable, "-m", "meridian_ops.plan", "--env", "dev", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "planned 3 stacks of dev" in result.stdout
    assert "dev-us-east-1" in result.stdout and "KeyRing" in result.stdout  # the table
    assert "deploy waves: [global] -> [us-east-1] -> [edge]" in result.stdout
    assert f"reused the plan of this content (key {source_key()})" in result.stdout
    for name in ("dev-global.json", "dev-us-east-1.json", "dev-edge.json"):
        assert (tmp_path / name).read_bytes() == (cached / name).read_bytes(), name
    # the summary, written again from the plan files: the same content
    assert json.loads((tmp_path / "dev.json").read_text()) == summary("dev")
    assert {p.name for p in tmp_path.iterdir()} == {
        "dev-global.json",
        "dev-us-east-1.json",
        "dev-edge.json",
        "dev.json",
        "dev.d2",
        "dev.svg",
        "dev.html",
    }
    svg = (tmp_path / "dev.svg").read_text()
    assert svg.startswith("<?xml") and "dev-global" in svg
    page = (tmp_path / "dev.html").read_text()
    assert "<svg" in page and "dev-us-east-1" in page


def test_every_flag_is_in_the_help() -> None:
    """The README lists these; a new flag must be added there too."""
    text = plan_module._parser(ROOT).format_help()
    flags = ("--env", "--out", "--preview", "--deployed", "--jobs", "--no-policies", "--detail")
    flags += ("--no-cache",)
    for flag in (*flags, "--quiet"):
        assert flag in text
    flags = {a.option_strings[-1] for a in plan_module._parser(ROOT)._actions}
    assert flags == {
        "--help",
        "--env",
        "--out",
        "--preview",
        "--deployed",
        "--jobs",
        "--no-policies",
        "--no-cache",
        "--detail",
        "--quiet",
    }


def test_readme_diagram_is_the_current_prod_plan() -> None:
    """docs/prod-architecture.svg (shown in the README) is what `make plan ENV=prod` draws."""
    from tests.plans import plan_directory

    fresh = plan_directory("prod") / "prod.svg"
    assert fresh.exists(), f"no architecture page in {fresh.parent}: is d2 installed?"
    committed = (ROOT / "docs" / "prod-architecture.svg").read_text()
    assert committed == fresh.read_text(), (
        "docs/prod-architecture.svg is stale: run "
        "`make plan ENV=prod && cp build/plan/prod.svg docs/prod-architecture.svg`"
    )


def _tamper(plans: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Someone dropped a required tag and turned off key rotation in dev-us-east-1."""
    plans = copy.deepcopy(plans)
    for step in plans["dev-us-east-1"]["steps"]:
        state = step["newState"]
        if state["type"] == "aws:ec2/vpc:Vpc":
            del state["inputs"]["tags"]["owner"]
        if state["type"] == "aws:kms/key:Key":
            state["inputs"]["enableKeyRotation"] = False
    return plans


@pytest.mark.parametrize("tampered", [False, True])
def test_a_mandatory_violation_fails_the_plan(
    tampered: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    """The command's verdict on a dev plan with and without a violation. The plan is the shared
    dev plan (tests/plans.py: the same command's run, as its cache holds it), not a third
    planning of dev; the policy pack evaluates it here, tampered or not."""

    def run_environment(*args: Any, **kwargs: Any) -> plan_module.EnvironmentRun:
        from meridian_ops.plan.policy_eval import evaluate_plan

        assert args == ("dev",) and kwargs["jobs"] == 1 and kwargs["policies"]
        run = plan_module._load_run(plan_directory("dev"))  # pyright: ignore[reportPrivateUsage]
        if tampered:
            run.plans = _tamper(run.plans)
        run.violations = {name: evaluate_plan(plan) for name, plan in run.plans.items()}
        run.policies_enabled = plan_module.enabled_policies("dev")
        return run

    monkeypatch.setattr(plan_module, "run_environment", run_environment)
    code = plan_module.main(
        ["--env", "dev", "--out", str(tmp_path), "--quiet", "--jobs", "1", "--no-cache"]
    )
    out, err = capsys.readouterr()
    if not tampered:
        assert code == 0, err
        assert " 0 mandatory" in out
        return
    assert code == 1
    assert "mandatory policy violation" in err
    assert "required-tags" in out and "network-vpc" in out and "Fix:" in out
    assert "kms-key-rotation" in out


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize("preview", [False, True])
def test_shipped_stacks_pass_the_policy_pack(env: str, preview: bool) -> None:
    """Zero mandatory violations on every shipped stack, also in preview mode where computed
    values are unknown: no mandatory policy fails on a value that is merely unknown. The verdicts
    are those `make plan` computed (tests/plans.py runs it)."""
    plans = planned(env, preview)
    assert len(plans) == (3 if env == "dev" else PROD_STACKS)
    verdicts = {s["stack"]: s["policies"] for s in summary(env, preview)["stacks"]}
    assert set(verdicts) == set(plans)
    if any(v["mandatory"] for v in verdicts.values()):
        mandatory, report = plan_module.evaluate_policies(plans)  # the details, for the message
        assert mandatory == 0, report


def test_policy_line_and_check_policies_count_the_same_resources(tmp_path: Path) -> None:
    """`make plan` says N policies ran over M resources; `make check-policies` on a plan file
    says the same M for that stack (both count cloud resources: report.is_counted)."""
    from meridian_ops.plan.check_policies import check_file
    from meridian_ops.plan.report import count_resources

    plan = planned("dev")["dev-us-east-1"]
    path = tmp_path / "dev-us-east-1.json"
    path.write_text(json.dumps(plan))
    result = check_file(str(path))
    stacks = {s["stack"]: s for s in summary("dev")["stacks"]}
    assert result.resources == count_resources(plan) == stacks["dev-us-east-1"]["resources"]
    assert result.resources < len(plan["steps"])  # not the stack, providers, components
    total = summary("dev")["policyPack"]
    assert total["resources"] == sum(s["resources"] for s in stacks.values())
    assert total["policies"] == plan_module.enabled_policies("dev") > 0


def test_a_preview_against_deployed_outputs_equals_the_full_preview(tmp_path: Path) -> None:
    """--deployed takes the stacks' outputs from an up-mode plan instead of planning each stack
    in up mode first; the preview is the same."""
    from tests.plans import plan_directory

    code = plan_module.main(
        [
            "--env",
            "dev",
            "--out",
            str(tmp_path),
            "--quiet",
            "--no-policies",
            "--preview",
            "--deployed",
            str(plan_directory("dev")),
        ]
    )
    assert code == 0
    full_plans = plan_module.plan_environment("dev", out_dir=tmp_path / "full", preview=True)
    for name, full in full_plans.items():
        quick = json.loads((tmp_path / f"{name}.json").read_text())
        assert quick == full
    assert plan_module.main(["--env", "dev", "--deployed", str(tmp_path)]) == 2


_EVENTS: list[str] = []
"""What the stubbed plan saw, in the process that records it."""


def _planned_stub(task: Any) -> Any:
    """A stack's plan without the program (module level: the pool pickles it by name)."""
    _EVENTS.append("plan " + task.item.name)
    return plan_module._Result(task.item.name, {"steps": [], "stackReads": {}}, {})  # pyright: ignore[reportPrivateUsage]


def test_the_parent_collects_before_the_workers_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers start at the size of the process that forks them: each wave planned in that
    process before the fork is followed by a collection of its garbage. The waves, the gate and
    the pool are real; a stack's plan is stubbed."""
    _EVENTS.clear()
    fork = plan_module._fork_pool  # pyright: ignore[reportPrivateUsage]

    def forking(processes: int) -> Any:
        _EVENTS.append("fork")
        return fork(processes)

    collect = plan_module.gc.collect
    monkeypatch.setattr(plan_module, "_plan_stack", _planned_stub)
    monkeypatch.setattr(plan_module, "_fork_pool", forking)
    monkeypatch.setattr(
        plan_module.gc, "collect", lambda *a: _EVENTS.append("collect") or collect()
    )
    run = plan_module.run_environment("prod", out_dir=tmp_path, jobs=2)
    assert len(run.plans) == 12
    before = _EVENTS[: _EVENTS.index("fork")]
    assert len(before) >= 4
    assert before == [e for name in before[::2] for e in (name, "collect")], before
    assert all(e.startswith("plan ") for e in before[::2])
