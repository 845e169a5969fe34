"""Table cases for ``policies/delivery.py`` (engine camelCase inputs, pulumi-aws 7)."""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase

PROJECT = "aws:codebuild/project:Project"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RUNNER: dict[str, Any] = {
    "name": "meridian-dev-use1-deploy-runner",
    "serviceRole": "arn:aws:iam::123456789012:role/meridian-dev-use1-deploy-runner",
    "artifacts": {"type": "NO_ARTIFACTS"},
    "source": {"type": "GITHUB", "location": "https://github.com/example-org/meridian.git"},
    "environment": {
        "type": "LINUX_CONTAINER",
        "computeType": "BUILD_GENERAL1_MEDIUM",
        "image": "aws/codebuild/standard:7.0",
        "privilegedMode": False,
    },
    "vpcConfig": {"vpcId": "vpc-1", "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]},
    "encryptionKey": KEY_ARN,
    "logsConfig": {"cloudwatchLogs": {"status": "ENABLED", "groupName": "/aws/codebuild/x"}},
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**RUNNER, **changes}


CASES: list[PolicyCase] = [
    PolicyCase("codebuild-project-hardened", PROJECT, RUNNER, False, note="deploy-runner"),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        _with(
            encryptionKey=UNKNOWN,
            vpcConfig={"vpcId": UNKNOWN, "subnets": [UNKNOWN], "securityGroupIds": [UNKNOWN]},
        ),
        False,
        note="preview-unknowns",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        {k: v for k, v in RUNNER.items() if k != "vpcConfig"},
        True,
        note="no-vpc",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        _with(environment={**RUNNER["environment"], "privilegedMode": True}),
        True,
        note="privileged",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        {k: v for k, v in RUNNER.items() if k != "encryptionKey"},
        True,
        note="aws-managed-key",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        _with(encryptionKey="arn:aws:kms:us-east-1:123456789012:alias/aws/s3"),
        True,
        note="aws-s3-alias",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        _with(logsConfig={"cloudwatchLogs": {"status": "DISABLED"}}),
        True,
        note="logs-off",
    ),
]
