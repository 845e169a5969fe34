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

# --- cloudwatch-log-group-retention by data class, cloudwatch-log-group-archived ---------------
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
BUCKET = "aws:s3/bucketV2:BucketV2"
ARCHIVE = "meridian-prod-use1-logs-123456789012"
STREAM = "meridian-prod-use1-workload-logs"
STREAM_ARN = f"arn:aws:firehose:us-east-1:123456789012:deliverystream/{STREAM}"


def _group(days: int, data_class: str = "confidential", name: str = "workloads") -> dict[str, Any]:
    return {
        "name": f"/aws/eks/meridian/{name}",
        "retentionInDays": days,
        "kmsKeyId": KEY_ARN,
        "tags": {"data-classification": data_class},
    }


def _archive_path(bucket_tags: dict[str, str], group: str = "/aws/eks/meridian/workloads"):
    return [
        {"type": BUCKET, "name": "log-archive", "props": {"bucket": ARCHIVE, "tags": bucket_tags}},
        {
            "type": FIREHOSE,
            "name": "workload-logs",
            "props": {
                "name": STREAM,
                "destination": "extended_s3",
                "extendedS3Configuration": {"bucketArn": f"arn:aws:s3:::{ARCHIVE}"},
            },
        },
        {
            "type": FILTER,
            "name": "workload-logs-archive",
            "props": {
                "logGroup": group,
                "filterPattern": "",
                "destinationArn": STREAM_ARN,
            },
        },
    ]


def _archived(stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase("cloudwatch-log-group-archived", "", {}, violates, stack=stack, note=note)


EVIDENCE = {"meridian:evidence": "audit", "data-classification": "confidential"}
CASES += [
    PolicyCase("cloudwatch-log-group-retention", LOG_GROUP, _group(30), False, note="hot-tier"),
    PolicyCase(
        "cloudwatch-log-group-retention", LOG_GROUP, _group(14), True, note="below-class-tier"
    ),
    PolicyCase(
        "cloudwatch-log-group-retention",
        LOG_GROUP,
        _group(7, "public"),
        False,
        note="public-floor",
    ),
    _archived(
        [{"type": LOG_GROUP, "name": "workloads", "props": _group(30)}, *_archive_path(EVIDENCE)],
        False,
        "subscribed-to-archive",
    ),
    _archived(
        [{"type": LOG_GROUP, "name": "workloads", "props": _group(30)}],
        True,
        "not-archived",
    ),
    _archived(
        [
            {"type": LOG_GROUP, "name": "workloads", "props": _group(30)},
            *_archive_path({"data-classification": "confidential"}),
        ],
        True,
        "firehose-into-other-bucket",
    ),
    _archived(
        [
            {"type": LOG_GROUP, "name": "workloads", "props": _group(30)},
            *_archive_path(EVIDENCE, group="/aws/eks/meridian/other"),
        ],
        True,
        "filter-on-other-group",
    ),
    _archived(
        [{"type": LOG_GROUP, "name": "control-plane", "props": _group(365)}],
        False,
        "kept-a-year-in-cloudwatch",
    ),
    _archived(
        [{"type": LOG_GROUP, "name": "metrics", "props": _group(30, "internal")}],
        False,
        "internal-class",
    ),
]
