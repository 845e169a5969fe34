"""check_policies CLI on small synthetic plans in the documented format (docs/plan-format.md)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from meridian_ops.plan.check_policies import main

STACK = "prod-us-east-1"
PROJECT = "meridian"
ROOT = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
PROVIDER = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:providers:aws::aws-us-east-1"
PROVIDER_REF = f"{PROVIDER}::0b8e1c52-provider"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TAGS = {
    "owner": "platform",
    "cost-center": "cc-1234",
    "environment": "prod",
    "data-classification": "internal",
    "managed-by": "pulumi",
    "stack": STACK,
}


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_token}::{name}"


BUCKET = urn("aws:s3/bucket:Bucket", "lake")
SG = urn("aws:ec2/securityGroup:SecurityGroup", "db-sg")
AURORA = urn("aws:rds/cluster:Cluster", "aurora")


def step(type_token: str, name: str, inputs: dict[str, Any], **state: Any) -> dict[str, Any]:
    custom = not type_token.startswith("pulumi:pulumi:")
    provider = "" if type_token.startswith("pulumi:") else PROVIDER_REF
    the_urn = ROOT if type_token == "pulumi:pulumi:Stack" else urn(type_token, name)
    new_state = {
        "urn": the_urn,
        "type": type_token,
        "custom": custom,
        "id": f"{name}-id" if custom else "",
        "inputs": inputs,
        "outputs": {},
        "parent": "" if the_urn == ROOT else ROOT,
        "protect": False,
        "retainOnDelete": False,
        "dependencies": [],
        "propertyDependencies": {},
        "ignoreChanges": [],
        "provider": provider,
    }
    new_state.update(state)
    return {"op": "create", "urn": the_urn, "provider": provider, "newState": new_state}


def bucket_config(type_token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return step(
        type_token,
        name,
        {"bucket": "meridian-lake", **inputs},
        dependencies=[BUCKET],
        propertyDependencies={"bucket": [BUCKET]},
    )


def compliant_plan() -> dict[str, Any]:
    steps = [
        step("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}", {}),
        step("pulumi:providers:aws", "aws-us-east-1", {"region": "us-east-1"}, id="0b8e1c52"),
        step(
            "aws:s3/bucket:Bucket",
            "lake",
            {"bucket": "meridian-lake", "tags": dict(TAGS)},
            protect=True,
        ),
        bucket_config(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "lake-sse",
            {
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": KEY,
                        },
                        "bucketKeyEnabled": True,
                    }
                ]
            },
        ),
        bucket_config(
            "aws:s3/bucketVersioning:BucketVersioning",
            "lake-versioning",
            {"versioningConfiguration": {"status": "Enabled"}},
        ),
        bucket_config(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "lake-pab",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        step(
            "aws:ec2/securityGroup:SecurityGroup",
            "db-sg",
            {
                "vpcId": "vpc-0a1b2c3d",
                "description": "aurora",
                "ingress": [
                    {
                        "protocol": "tcp",
                        "fromPort": 5432,
                        "toPort": 5432,
                        "cidrBlocks": ["10.128.0.0/16"],
                        "description": "PostgreSQL from the VPC",
                    }
                ],
                "egress": [],
                "tags": dict(TAGS),
            },
        ),
        step(
            "aws:rds/clusterParameterGroup:ClusterParameterGroup",
            "aurora-params",
            {
                "family": "aurora-postgresql16",
                "parameters": [
                    {"name": "rds.force_ssl", "value": "1"},
                    # architecture: "slow query log >100ms"; schema changes audited
                    {"name": "log_min_duration_statement", "value": "100"},
                    {"name": "log_statement", "value": "ddl"},
                ],
                "tags": dict(TAGS),
            },
        ),
        step(
            "aws:rds/cluster:Cluster",
            "aurora",
            {
                "engine": "aurora-postgresql",
                "dbClusterParameterGroupName": "meridian-aurora-params",
                "iamDatabaseAuthenticationEnabled": True,
                "storageEncrypted": True,
                "kmsKeyId": KEY,
                "deletionProtection": True,
                "backupRetentionPeriod": 14,
                "copyTagsToSnapshot": True,
                "finalSnapshotIdentifier": "aurora-final",
                "skipFinalSnapshot": False,
                "tags": dict(TAGS),
            },
            protect=True,
        ),
    ]
    return {
        "project": PROJECT,
        "stack": STACK,
        "environment": "prod",
        "role": "regional",
        "preview": True,
        "config": {"meridian:regions": ["us-east-1"]},
        "steps": steps,
        "changeSummary": {"create": len(steps)},
        "outputs": {},
        "diagnostics": [],
    }


def _inputs(plan: dict[str, Any], target: str) -> dict[str, Any]:
    return next(s["newState"]["inputs"] for s in plan["steps"] if s["urn"] == target)


def encryption_off(plan: dict[str, Any]) -> None:
    plan["steps"] = [s for s in plan["steps"] if not s["urn"].endswith("::lake-sse")]


def open_to_world(plan: dict[str, Any]) -> None:
    _inputs(plan, SG)["ingress"][0]["cidrBlocks"] = ["0.0.0.0/0"]


def drop_owner_tag(plan: dict[str, Any]) -> None:
    del _inputs(plan, BUCKET)["tags"]["owner"]


def deletion_protection_off(plan: dict[str, Any]) -> None:
    _inputs(plan, AURORA)["deletionProtection"] = False


def write(tmp_path: Path, plan: dict[str, Any], name: str = "plan.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(plan), encoding="utf-8")
    return str(path)


def test_compliant_plan_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([write(tmp_path, compliant_plan())]) == 0
    out = capsys.readouterr().out
    assert "0 mandatory violation(s)" in out


@pytest.mark.parametrize(
    ("change", "policy", "resource", "fix"),
    [
        (encryption_off, "s3-bucket-sse-kms-cmk", BUCKET, "Fix"),
        (open_to_world, "sg-no-public-ingress", SG, "Fix: restrict the source"),
        (drop_owner_tag, "required-tags", BUCKET, "Fix: add owner"),
        (deletion_protection_off, "database-deletion-protection", AURORA, "Fix"),
    ],
    ids=["bucket-encryption-off", "sg-open-to-world", "owner-tag-dropped", "rds-deletion-off"],
)
def test_regression_is_flagged_with_resource_and_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[dict[str, Any]], None],
    policy: str,
    resource: str,
    fix: str,
) -> None:
    plan = copy.deepcopy(compliant_plan())
    change(plan)
    assert main([write(tmp_path, plan)]) == 1
    out = capsys.readouterr().out
    blocks = out.split("\n[")
    mine = [b for b in blocks if b.startswith("mandatory") and f"] {policy} " in b]
    assert mine, out
    _, resource_line, *message = mine[0].splitlines()
    assert resource_line.strip() == f"resource: {resource}"
    assert f"'{resource.rsplit('::', 1)[-1]}'" in "\n".join(message)  # the message names it
    assert fix in "\n".join(message)
    assert "1 mandatory violation(s)" in out


def test_missing_invalid_and_foreign_files_exit_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"steps": [', encoding="utf-8")
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"resources": []}', encoding="utf-8")
    good = write(tmp_path, compliant_plan(), "good.json")
    code = main([str(tmp_path / "missing.json"), str(bad_json), str(foreign), good, "--jobs", "1"])
    captured = capsys.readouterr()
    assert code == 2
    assert "plan file not found" in captured.err and "missing.json" in captured.err
    assert "bad.json is not valid JSON (line 1" in captured.err
    assert "foreign.json is not a Meridian plan file" in captured.err
    assert "good.json" in captured.out  # the readable plan is still checked
    assert "Traceback" not in captured.err + captured.out


def test_unknown_environment_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = compliant_plan()
    plan["environment"] = "qa"
    assert main([write(tmp_path, plan)]) == 2
    assert "no policy pack config for environment 'qa'" in capsys.readouterr().err


def test_module_entry_point(tmp_path: Path) -> None:
    plan = compliant_plan()
    open_to_world(plan)
    done = subprocess.run(
        [sys.executable, "-m", "meridian_ops.plan.check_policies", write(tmp_path, plan)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "sg-no-public-ingress" in done.stdout and SG in done.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "meridian_ops.plan.check_policies", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2
    assert "plan file not found" in missing.stderr and "Traceback" not in missing.stderr
