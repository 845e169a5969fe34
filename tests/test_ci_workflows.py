"""The CI matrices (affected stacks, waves by role) and the users' GitHub workflows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from meridian_ops.ci_matrix import affected_stacks, main, wave_matrix
from meridian_ops.waves import waves_for
from stacks.config_source import PROJECT_DIR
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
        (["components/network.py"], PROD_STACKS),
        (["policies/encryption_data.py"], PROD_STACKS),
        (["Pulumi.prod-edge.yaml", "Pulumi.prod-global.yaml"], PROD_STACKS),
    ],
)
def test_affected_stacks(changed: list[str], expected: list[str]) -> None:
    assert affected_stacks("prod", PROD_STACKS, changed) == expected


def test_affected_matrix_across_environments(capsys: pytest.CaptureFixture[str]) -> None:
    main(["affected", "--envs", "dev", "prod", "--changed", "Pulumi.prod-sa-east-1.yaml"])
    result = json.loads(capsys.readouterr().out)
    assert result == {"include": [{"stack": "prod-sa-east-1", "env": "prod"}], "any": True}


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
