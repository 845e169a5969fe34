"""Table cases for ``policies/operations.py`` (engine camelCase inputs, pulumi-aws 7; resource
options in the engine's naming, e.g. ``ignoreChanges``)."""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import PolicyCase

EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
SYSTEM_POOL: dict[str, Any] = {
    "clusterName": "meridian",
    "nodeRoleArn": "arn:aws:iam::123456789012:role/meridian-node",
    "subnetIds": ["subnet-1", "subnet-2"],
    "launchTemplate": {"id": "lt-1", "version": "1"},
    "scalingConfig": {"minSize": 2, "desiredSize": 3, "maxSize": 6},
}
IGNORE_DESIRED = {"ignoreChanges": ["scalingConfig.desiredSize"]}

CASES: list[PolicyCase] = [
    # ---- eks-control-plane-logging ----
    PolicyCase(
        "eks-control-plane-logging", EKS, {"enabledClusterLogTypes": ALL_LOGS}, False, note="all"
    ),
    PolicyCase(
        "eks-control-plane-logging",
        EKS,
        {"enabledClusterLogTypes": ["api", "audit"]},
        True,
        note="api-audit-only",
    ),
    PolicyCase("eks-control-plane-logging", EKS, {"version": "1.33"}, True, note="none"),
    # ---- cloudwatch-log-group-retention ----
    PolicyCase(
        "cloudwatch-log-group-retention",
        LOG_GROUP,
        {"name": "/aws/eks/meridian/cluster", "retentionInDays": 90, "kmsKeyId": KEY_ARN},
        False,
        note="ninety-days",
    ),
    PolicyCase(
        "cloudwatch-log-group-retention",
        LOG_GROUP,
        {"name": "/aws/eks/meridian/cluster", "kmsKeyId": KEY_ARN},
        True,
        note="never-expires",
    ),
    PolicyCase(
        "cloudwatch-log-group-retention",
        LOG_GROUP,
        {"name": "/aws/eks/meridian/cluster", "retentionInDays": 3},
        True,
        note="below-minimum",
    ),
    # ---- eks-nodegroup-scaling ----
    PolicyCase(
        "eks-nodegroup-scaling", NODE_GROUP, SYSTEM_POOL, False, options=IGNORE_DESIRED, note="ok"
    ),
    PolicyCase(
        "eks-nodegroup-scaling", NODE_GROUP, SYSTEM_POOL, True, note="desired-size-not-ignored"
    ),
    PolicyCase(
        "eks-nodegroup-scaling",
        NODE_GROUP,
        {**SYSTEM_POOL, "scalingConfig": {"minSize": 4, "desiredSize": 3, "maxSize": 6}},
        True,
        options=IGNORE_DESIRED,
        note="desired-below-min",
    ),
]
