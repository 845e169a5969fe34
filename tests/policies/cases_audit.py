"""Table cases for ``policies/audit.py`` (engine camelCase inputs, pulumi-aws 7)."""

from __future__ import annotations

import json
from typing import Any

from policies.type_tokens import FLOW_LOG, VPC
from tests.policies.cases_common import UNKNOWN, PolicyCase

TRAIL = "aws:cloudtrail/trail:Trail"
RECORDER = "aws:cfg/recorder:Recorder"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
HUB = "aws:securityhub/account:Account"
STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
BUCKET = "aws:s3/bucket:Bucket"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
USE1 = {"region": "us-east-1"}
GOOD_TRAIL: dict[str, Any] = {
    "name": "meridian-prod-global-audit",
    "s3BucketName": "meridian-prod-global-audit-123456789012",
    "isMultiRegionTrail": True,
    "includeGlobalServiceEvents": True,
    "enableLogFileValidation": True,
    "kmsKeyId": KEY_ARN,
}
FEATURES = (
    "EKS_AUDIT_LOGS",
    "RUNTIME_MONITORING",
    "S3_DATA_EVENTS",
    "RDS_LOGIN_EVENTS",
    "EBS_MALWARE_PROTECTION",
)
FSBP = "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"
CIS = "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0"


BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOG_TARGET = "meridian-prod-use1-lake-access-logs-123456789012"
ACCOUNT_ONLY = {"aws:SourceAccount": "123456789012"}
SCOPED: dict[str, Any] = {
    "StringEquals": ACCOUNT_ONLY,
    "ArnLike": {
        "aws:SourceArn": [
            "arn:aws:s3:::meridian-prod-use1-lake-bronze-123456789012",
            "arn:aws:s3:::meridian-prod-use1-lake-gold-123456789012",
        ]
    },
}


def _log_policy(condition: dict[str, Any] | None) -> str:
    """A log target's policy: TLS only, and S3 server access logging may write (on `condition`)."""
    delivery: dict[str, Any] = {
        "Sid": "S3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{LOG_TARGET}/*",
    }
    if condition is not None:
        delivery["Condition"] = condition
    deny = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{LOG_TARGET}", f"arn:aws:s3:::{LOG_TARGET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [deny, delivery]})


def _stack(policy: str, stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase(policy, "", {}, violates, stack=stack, note=note)


def _detection(features: tuple[str, ...], enable: bool = True) -> list[dict[str, Any]]:
    return [
        {"type": DETECTOR, "name": "guardduty", "props": {"enable": enable}},
        *(
            {
                "type": FEATURE,
                "name": f"feature-{f.lower()}",
                "props": {"detectorId": "abc123", "name": f, "status": "ENABLED"},
            }
            for f in features
        ),
    ]


def _hub(arns: list[str]) -> list[dict[str, Any]]:
    return [
        {"type": HUB, "name": "securityhub", "props": {"enableDefaultStandards": False}},
        *(
            {"type": STANDARD, "name": f"standard-{i}", "props": {"standardsArn": arn}}
            for i, arn in enumerate(arns)
        ),
    ]


def _archive(tags: dict[str, str], retention: dict[str, Any] | None) -> list[dict[str, Any]]:
    bucket = "meridian-prod-use1-logs-123456789012"
    stack: list[dict[str, Any]] = [
        {
            "type": BUCKET,
            "name": "log-archive-bucket",
            "props": {"bucket": bucket, "tags": tags},
            "provider_props": USE1,
        }
    ]
    if retention is not None:
        stack.append(
            {
                "type": LOCK,
                "name": "log-archive-object-lock",
                "props": {
                    "bucket": bucket,
                    "objectLockEnabled": "Enabled",
                    "rule": {"defaultRetention": retention},
                },
                "provider_props": USE1,
            }
        )
    return stack


EVIDENCE = {"meridian:evidence": "audit", "data-classification": "confidential"}

FLOW_LOG_PROPS: dict[str, Any] = {
    "logDestination": "arn:aws:s3:::meridian-prod-use1-logs-123456789012",
    "logDestinationType": "s3",
    "maxAggregationInterval": 60,
    "trafficType": "ALL",
    "vpcId": "vpc-0abc",
}


BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"


CASES: list[PolicyCase] = [
    # ---- cloudtrail-multi-region-validated ----
    PolicyCase("cloudtrail-multi-region-validated", TRAIL, GOOD_TRAIL, False, note="baseline"),
    PolicyCase(
        "cloudtrail-multi-region-validated",
        TRAIL,
        {**GOOD_TRAIL, "isMultiRegionTrail": False},
        True,
        note="single-region",
    ),
    PolicyCase(
        "cloudtrail-multi-region-validated",
        TRAIL,
        {k: v for k, v in GOOD_TRAIL.items() if k != "enableLogFileValidation"},
        True,
        note="no-validation",
    ),
    PolicyCase(
        "cloudtrail-multi-region-validated",
        TRAIL,
        {k: v for k, v in GOOD_TRAIL.items() if k != "kmsKeyId"},
        True,
        note="sse-s3",
    ),
    # ---- config-recorder-all-supported ----
    PolicyCase(
        "config-recorder-all-supported",
        RECORDER,
        {
            "roleArn": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": {"allSupported": True},
        },
        False,
        note="all",
    ),
    PolicyCase(
        "config-recorder-all-supported",
        RECORDER,
        {
            "roleArn": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": {"allSupported": False, "resourceTypes": ["AWS::S3::Bucket"]},
        },
        True,
        note="some-types",
    ),
    # ---- guardduty-detector-features ----
    _stack("guardduty-detector-features", _detection(FEATURES), False, "all-plans"),
    _stack("guardduty-detector-features", _detection(FEATURES[:3]), True, "no-rds-no-malware"),
    _stack("guardduty-detector-features", _detection(FEATURES, enable=False), True, "disabled"),
    # ---- securityhub-standards ----
    _stack("securityhub-standards", _hub([FSBP, CIS]), False, "fsbp-and-cis"),
    _stack("securityhub-standards", _hub([FSBP]), True, "no-cis"),
    # ---- s3-audit-bucket-object-lock ----
    _stack(
        "s3-audit-bucket-object-lock",
        _archive(EVIDENCE, {"mode": "COMPLIANCE", "days": 2555}),
        False,
        "compliance-7-years",
    ),
    _stack(
        "s3-audit-bucket-object-lock",
        _archive(EVIDENCE, {"mode": "GOVERNANCE", "days": 2555}),
        True,
        "governance",
    ),
    _stack("s3-audit-bucket-object-lock", _archive(EVIDENCE, None), True, "unlocked"),
    _stack(
        "s3-audit-bucket-object-lock",
        _archive({"data-classification": "internal"}, None),
        False,
        "not-evidence",
    ),
]

# --- cloudtrail-monitored, config-recording-on ---
MONITORED_TRAIL: dict[str, Any] = {
    **GOOD_TRAIL,
    "cloudWatchLogsGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/x:*",
    "cloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/meridian-prod-audit-cloudtrail-logs",
    "snsTopicName": "meridian-prod-global-audit-deliveries",
}
CASES += [
    PolicyCase("cloudtrail-monitored", TRAIL, MONITORED_TRAIL, False),
    PolicyCase("cloudtrail-monitored", TRAIL, GOOD_TRAIL, True, note="s3-only"),
    PolicyCase(
        "cloudtrail-monitored",
        TRAIL,
        {k: v for k, v in MONITORED_TRAIL.items() if k != "cloudWatchLogsRoleArn"},
        True,
        note="no-role",
    ),
    PolicyCase(
        "cloudtrail-monitored",
        TRAIL,
        {k: v for k, v in MONITORED_TRAIL.items() if k != "snsTopicName"},
        True,
        note="no-topic",
    ),
    PolicyCase(
        "config-recording-on",
        "aws:cfg/recorderStatus:RecorderStatus",
        {"name": "meridian-config", "isEnabled": True},
        False,
    ),
    PolicyCase(
        "config-recording-on",
        "aws:cfg/recorderStatus:RecorderStatus",
        {"name": "meridian-config", "isEnabled": False},
        True,
        note="stopped",
    ),
    PolicyCase(
        "config-recording-on",
        "aws:cfg/deliveryChannel:DeliveryChannel",
        {"name": "meridian-config", "s3BucketName": "meridian-logs", "s3KmsKeyArn": KEY_ARN},
        False,
        note="channel",
    ),
    PolicyCase(
        "config-recording-on",
        "aws:cfg/deliveryChannel:DeliveryChannel",
        {"name": "meridian-config", "s3BucketName": "meridian-logs"},
        True,
        note="channel-unencrypted",
    ),
    # ---- vpc-flow-log-all-traffic ----
    PolicyCase(
        "vpc-flow-log-all-traffic",
        FLOW_LOG,
        FLOW_LOG_PROPS,
        False,
        note="all-to-s3",
    ),
    PolicyCase(
        "vpc-flow-log-all-traffic",
        FLOW_LOG,
        {**FLOW_LOG_PROPS, "trafficType": "REJECT"},
        True,
        note="reject-only",
    ),
    PolicyCase(
        "vpc-flow-log-all-traffic",
        FLOW_LOG,
        {k: v for k, v in FLOW_LOG_PROPS.items() if k != "logDestination"},
        True,
        note="no-destination",
    ),
    # ---- vpc-flow-logs-every-vpc ----
    PolicyCase(
        "vpc-flow-logs-every-vpc",
        "",
        {},
        False,
        stack=[
            {"type": VPC, "name": "network-vpc", "props": {"cidrBlock": "10.0.0.0/16"}},
            {
                "type": FLOW_LOG,
                "name": "network-flow-logs",
                "props": {**FLOW_LOG_PROPS, "vpcId": UNKNOWN},
                "propertyDependencies": {"vpcId": ["network-vpc"]},
                "dependencies": ["network-vpc"],
            },
        ],
        note="logged",
    ),
    PolicyCase(
        "vpc-flow-logs-every-vpc",
        "",
        {},
        True,
        stack=[
            {"type": VPC, "name": "network-vpc", "props": {"cidrBlock": "10.0.0.0/16"}},
            {"type": VPC, "name": "sandbox-vpc", "props": {"cidrBlock": "10.1.0.0/16"}},
            {
                "type": FLOW_LOG,
                "name": "network-flow-logs",
                "props": FLOW_LOG_PROPS,
                "propertyDependencies": {"vpcId": ["network-vpc"]},
                "dependencies": ["network-vpc"],
            },
        ],
        note="second-vpc-unlogged",
    ),
    # ---- s3-access-log-delivery-scoped ----
    PolicyCase(
        "s3-access-log-delivery-scoped",
        BUCKET_POLICY,
        {"bucket": LOG_TARGET, "policy": _log_policy(SCOPED)},
        False,
        note="source-arn-and-account",
    ),
    PolicyCase(
        "s3-access-log-delivery-scoped",
        BUCKET_POLICY,
        {"bucket": LOG_TARGET, "policy": _log_policy({"StringEquals": ACCOUNT_ONLY})},
        True,
        note="account-only",
    ),
    PolicyCase(
        "s3-access-log-delivery-scoped",
        BUCKET_POLICY,
        {"bucket": LOG_TARGET, "policy": _log_policy(None)},
        True,
        note="no-condition",
    ),
    PolicyCase(
        "s3-access-log-delivery-scoped",
        BUCKET_POLICY,
        {
            "bucket": LOG_TARGET,
            "policy": _log_policy(
                {"StringEquals": ACCOUNT_ONLY, "ArnLike": {"aws:SourceArn": "*"}}
            ),
        },
        True,
        note="any-source-arn",
    ),
    PolicyCase(
        "s3-access-log-delivery-scoped",
        BUCKET_POLICY,
        {
            "bucket": LOG_TARGET,
            "policy": _log_policy(
                {"StringEquals": ACCOUNT_ONLY, "ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}
            ),
        },
        True,
        note="every-bucket-arn",
    ),
    PolicyCase(
        "s3-access-log-delivery-scoped",
        BUCKET_POLICY,
        {
            "bucket": LOG_TARGET,
            "policy": _log_policy(
                {
                    "StringNotEquals": ACCOUNT_ONLY,
                    "ArnLike": SCOPED["ArnLike"],
                }
            ),
        },
        True,
        note="negated-account",
    ),
    PolicyCase(
        "s3-access-log-delivery-scoped",
        BUCKET_POLICY,
        {
            "bucket": LOG_TARGET,
            "policy": _log_policy(
                {
                    "StringEqualsIfExists": ACCOUNT_ONLY,
                    "ArnLike": SCOPED["ArnLike"],
                }
            ),
        },
        True,
        note="account-if-exists",
    ),
    PolicyCase(
        "s3-access-log-delivery-scoped",
        BUCKET,
        {"bucket": LOG_TARGET, "policy": _log_policy({"ArnLike": SCOPED["ArnLike"]})},
        True,
        note="inline-arn-only",
    ),
    PolicyCase(
        "s3-access-log-delivery-scoped",
        BUCKET_POLICY,
        {"bucket": LOG_TARGET, "policy": UNKNOWN},
        False,
        note="preview-unknown",
    ),
    # ---- s3-access-logging-target ----
    PolicyCase(
        "s3-access-logging-target",
        BUCKET_LOGGING,
        {
            "bucket": "meridian-prod-global-audit-123456789012",
            "targetBucket": "meridian-prod-global-audit-123456789012-access",
            "targetPrefix": "meridian-prod-global-audit-123456789012/",
        },
        False,
        note="separate-target",
    ),
    PolicyCase(
        "s3-access-logging-target",
        BUCKET_LOGGING,
        {
            "bucket": "meridian-prod-global-audit-123456789012",
            "targetBucket": "meridian-prod-global-audit-123456789012",
            "targetPrefix": "logs/",
        },
        True,
        note="into-itself",
    ),
]
