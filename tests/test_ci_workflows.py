"""The CI matrices (affected stacks, waves by role) and the users' GitHub workflows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from components.delivery import DEPLOY_SESSION_SECONDS, DeployRunnerArgs
from meridian_ops.ops.ci_matrix import affected_stacks, main, runner_for, wave_matrix
from meridian_ops.plan.waves import waves_for
from stacks.config.source import PROJECT_DIR
from tests.plans import PROD_REGIONS

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
PROD_STACKS = [s for w in waves_for("prod") for s in w.stacks]


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["docs/architecture.md", "tests/test_plan.py"], []),
        (["Pulumi.prod-eu-west-1.yaml"], ["prod-eu-west-1"]),
        (["Pulumi.dev-us-east-1.yaml"], []),
        (["Pulumi.prod-global.yaml"], PROD_STACKS),
        (["components/foundation/network.py"], PROD_STACKS),
        (["policies/encryption_data.py"], PROD_STACKS),
        (["Pulumi.prod-edge.yaml", "Pulumi.prod-global.yaml"], PROD_STACKS),
    ],
)
def test_affected_stacks(changed: list[str], expected: list[str]) -> None:
    assert affected_stacks("prod", PROD_STACKS, changed) == expected


def test_affected_matrix_across_environments(capsys: pytest.CaptureFixture[str]) -> None:
    main(["affected", "--envs", "dev", "prod", "--changed", "Pulumi.prod-sa-east-1.yaml"])
    result = json.loads(capsys.readouterr().out)
    assert result == {
        "include": [
            {"stack": "prod-sa-east-1", "env": "prod", "runner": "meridian-prod-sae1-deploy-runner"}
        ],
        "any": True,
    }


def test_wave_matrix_has_one_key_per_role() -> None:
    prod = wave_matrix(waves_for("prod"))
    assert prod["global"] == ["prod-global"]
    assert prod["primary"] == [f"prod-{PROD_REGIONS[0]}"]
    assert prod["regions"] == [f"prod-{r}" for r in PROD_REGIONS[1:]]
    assert prod["edge"] == ["prod-edge"]
    dev = wave_matrix(waves_for("dev"))
    assert dev["regions"] == [] and dev["edge"] == ["dev-edge"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_is_valid_and_pins_actions(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["name"] and workflow["jobs"]
    assert True in workflow or "on" in workflow  # YAML 1.1 reads the key `on` as True
    for job_name, job in workflow["jobs"].items():
        uses = job.get("uses")
        if uses:  # a reusable workflow of this repository
            assert uses.startswith("./.github/workflows/"), job_name
            assert (PROJECT_DIR / uses).exists(), f"{job_name} calls missing {uses}"
            continue
        assert job.get("runs-on"), job_name
        for step in job["steps"]:
            action = step.get("uses")
            if action:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+", action), (
                    f"{path.name}:{job_name} uses {action}: pin an exact release"
                )


def test_deploy_jobs_follow_the_waves() -> None:
    jobs = yaml.safe_load((PROJECT_DIR / ".github/workflows/deploy.yml").read_text())["jobs"]
    assert set(wave_matrix(waves_for("prod"))) <= set(jobs)
    assert jobs["primary"]["needs"] == ["waves", "global"]
    assert "primary" in jobs["regions"]["needs"]
    assert "regions" in jobs["edge"]["needs"]
    assert jobs["regions"]["strategy"]["fail-fast"] is True


CODEBUILD_RUNS_ON = (
    "${{ %s != '' && format('codebuild-{0}-{1}-{2}', %s, github.run_id, github.run_attempt) "
    "|| 'ubuntu-24.04' }}"
)


@pytest.mark.parametrize(
    ("workflow", "job", "runner"),
    [
        ("up-stack.yml", "up", "inputs.runner"),
        ("preview.yml", "preview", "matrix.runner"),
        ("drift.yml", "drift", "matrix.runner"),
    ],
)
def test_stack_jobs_run_on_their_regions_runner_for_the_deploy_session(
    workflow: str, job: str, runner: str
) -> None:
    """Regional stacks' jobs run on the CodeBuild runner (label format of the CodeBuild guide);
    the OIDC session, the job timeout and the runner's build timeout all equal the deploy
    session, which outlasts a regional `up`."""
    spec = yaml.safe_load((PROJECT_DIR / ".github/workflows" / workflow).read_text())["jobs"][job]
    assert " ".join(spec["runs-on"].split()) == CODEBUILD_RUNS_ON % (runner, runner)
    assert spec["timeout-minutes"] * 60 == DEPLOY_SESSION_SECONDS
    creds = next(s for s in spec["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert creds["with"]["role-duration-seconds"] == DEPLOY_SESSION_SECONDS
    default_timeout = DeployRunnerArgs.__dataclass_fields__["build_timeout_minutes"].default
    assert default_timeout * 60 == DEPLOY_SESSION_SECONDS
    assert DEPLOY_SESSION_SECONDS > 3600  # beyond a chained session's cap and a regional up


def test_deploy_passes_each_stacks_runner(capsys: pytest.CaptureFixture[str]) -> None:
    jobs = yaml.safe_load((PROJECT_DIR / ".github/workflows/deploy.yml").read_text())["jobs"]
    for role in ("global", "primary", "regions", "edge"):
        assert jobs[role]["with"]["runner"] == (
            "${{ fromJSON(needs.waves.outputs.runners)[matrix.stack] }}"
        )
    assert "runners" in jobs["waves"]["outputs"]
    main(["waves", "--env", "prod"])
    runners = json.loads(capsys.readouterr().out)["runners"]
    assert runners["prod-global"] == runners["prod-edge"] == ""
    assert runners["prod-eu-west-1"] == runner_for("prod-eu-west-1") != ""
    assert len({r for r in runners.values() if r}) == len(PROD_REGIONS)
