"""Table cases for ``policies/lakehouse.py`` (engine camelCase inputs, pulumi-aws 7)."""

from __future__ import annotations

import json
from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
WORKGROUP = "aws:athena/workgroup:Workgroup"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
LAKE = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET_ARN = "arn:aws:s3:::meridian-prod-use1-lake-gold-123456789012"

TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
READ = {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:*"}


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "bucket": "meridian-prod-use1-lake-gold-123456789012",
        "policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    }


def _rule(rtc: str = "Enabled", kms: str = "Enabled") -> dict[str, Any]:
    return {
        "id": "gold-to-euw1",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "deleteMarkerReplication": {"status": "Enabled"},
        "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": kms}},
        "destination": {
            "bucket": BUCKET_ARN + "-replica",
            "encryptionConfiguration": {"replicaKmsKeyId": KEY_ARN},
            "replicationTime": {"status": rtc, "time": {"minutes": 15}},
            "metrics": {"status": rtc, "eventThreshold": {"minutes": 15}},
        },
    }


def _workgroup(enforce: bool = True, option: str = "SSE_KMS", key: Any = KEY_ARN) -> dict[str, Any]:
    encryption: dict[str, Any] = {"encryptionOption": option}
    if key is not None:
        encryption["kmsKeyArn"] = key
    return {
        "name": "meridian-prod-use1-analytics",
        "configuration": {
            "enforceWorkgroupConfiguration": enforce,
            "resultConfiguration": {
                "outputLocation": "s3://results/",
                "encryptionConfiguration": encryption,
            },
        },
    }


def _firehose(key: Any) -> dict[str, Any]:
    s3: dict[str, Any] = {"roleArn": "arn:aws:iam::1:role/r", "bucketArn": BUCKET_ARN}
    if key is not None:
        s3["kmsKeyArn"] = key
    return {"name": "bronze", "destination": "extended_s3", "extendedS3Configuration": s3}


LF_PERMISSIONS = "aws:lakeformation/permissions:Permissions"
LF_GRANT: dict[str, Any] = {
    "database": {"name": "meridian_prod_gold"},
    "principal": "arn:aws:iam::123456789012:role/meridian-bi-reader",
}


LF_RESOURCE = "aws:lakeformation/resource:Resource"
LF_LOCATION: dict[str, Any] = {
    "arn": "arn:aws:s3:::meridian-prod-use1-lake-gold-123456789012",
    "hybridAccessEnabled": False,
    "roleArn": "arn:aws:iam::123456789012:role/meridian-prod-use1-lake-access",
}


CASES: list[PolicyCase] = [
    # --- s3-bucket-policy-tls-only -------------------------------------------------------------
    PolicyCase("s3-bucket-policy-tls-only", BUCKET_POLICY, _policy(TLS_ONLY, READ), False),
    PolicyCase("s3-bucket-policy-tls-only", BUCKET_POLICY, _policy(READ), True, note="no-deny"),
    PolicyCase(
        "s3-bucket-policy-tls-only",
        BUCKET_POLICY,
        _policy(dict(TLS_ONLY, Action="s3:GetObject")),
        True,
        note="deny-covers-reads-only",
    ),
    PolicyCase(
        "s3-bucket-policy-tls-only",
        BUCKET_POLICY,
        {"bucket": "b", "policy": UNKNOWN},
        False,
        note="policy-unknown",
    ),
    # --- s3-replication-time-control ----------------------------------------------------------
    PolicyCase(
        "s3-replication-time-control",
        REPLICATION,
        {"bucket": "gold", "role": "r", "rules": [_rule()]},
        False,
        note="rtc",
    ),
    PolicyCase(
        "s3-replication-time-control",
        REPLICATION,
        {"bucket": "gold", "role": "r", "rules": [_rule(rtc="Disabled")]},
        True,
        note="no-rtc",
    ),
    PolicyCase(
        "s3-replication-time-control",
        REPLICATION,
        {"bucket": "gold", "role": "r", "rules": [_rule(kms="Disabled")]},
        True,
        note="skips-kms-objects",
    ),
    # --- athena-workgroup-enforced-encryption --------------------------------------------------
    PolicyCase("athena-workgroup-enforced-encryption", WORKGROUP, _workgroup(), False),
    PolicyCase(
        "athena-workgroup-enforced-encryption",
        WORKGROUP,
        _workgroup(enforce=False),
        True,
        note="not-enforced",
    ),
    PolicyCase(
        "athena-workgroup-enforced-encryption",
        WORKGROUP,
        _workgroup(option="SSE_S3", key=None),
        True,
        note="sse-s3",
    ),
    PolicyCase(
        "athena-workgroup-enforced-encryption",
        WORKGROUP,
        _workgroup(key="alias/aws/s3"),
        True,
        note="aws-managed-key",
    ),
    # --- firehose-s3-cmk -----------------------------------------------------------------------
    PolicyCase("firehose-s3-cmk", FIREHOSE, _firehose(KEY_ARN), False),
    PolicyCase("firehose-s3-cmk", FIREHOSE, _firehose(None), True, note="no-key"),
    # --- lakeformation-no-iam-allowed-principals -----------------------------------------------
    PolicyCase(
        "lakeformation-no-iam-allowed-principals",
        LAKE,
        {
            "admins": ["arn:aws:iam::123456789012:role/MeridianDeployer"],
            "createDatabaseDefaultPermissions": [],
            "createTableDefaultPermissions": [],
        },
        False,
        note="no-defaults",
    ),
    PolicyCase(
        "lakeformation-no-iam-allowed-principals",
        LAKE,
        {"admins": ["arn:aws:iam::123456789012:role/MeridianDeployer"]},
        True,
        note="defaults-unset",
    ),
    PolicyCase(
        "lakeformation-no-iam-allowed-principals",
        LAKE,
        {
            "admins": ["arn:aws:iam::123456789012:role/MeridianDeployer"],
            "createDatabaseDefaultPermissions": [
                {"permissions": ["ALL"], "principal": "IAM_ALLOWED_PRINCIPALS"}
            ],
            "createTableDefaultPermissions": [],
        },
        True,
        note="iam-allowed-principals",
    ),
    # ---- lakeformation-permissions-least-privilege ----
    PolicyCase(
        "lakeformation-permissions-least-privilege",
        LF_PERMISSIONS,
        {**LF_GRANT, "permissions": ["DESCRIBE"]},
        False,
        note="describe",
    ),
    PolicyCase(
        "lakeformation-permissions-least-privilege",
        LF_PERMISSIONS,
        {**LF_GRANT, "permissions": ["ALL"]},
        True,
        note="all",
    ),
    PolicyCase(
        "lakeformation-permissions-least-privilege",
        LF_PERMISSIONS,
        {**LF_GRANT, "permissions": ["SELECT"], "permissionsWithGrantOptions": ["SELECT"]},
        True,
        note="grant-option",
    ),
    # ---- lakeformation-location-scoped-role ----
    PolicyCase(
        "lakeformation-location-scoped-role",
        LF_RESOURCE,
        LF_LOCATION,
        False,
        note="own-role",
    ),
    PolicyCase(
        "lakeformation-location-scoped-role",
        LF_RESOURCE,
        {"arn": LF_LOCATION["arn"], "useServiceLinkedRole": True},
        True,
        note="service-linked-role",
    ),
    PolicyCase(
        "lakeformation-location-scoped-role",
        LF_RESOURCE,
        {**LF_LOCATION, "hybridAccessEnabled": True},
        True,
        note="hybrid-access",
    ),
]
