"""Lakehouse policies: bucket policies refuse plain HTTP, replication meets its time SLA, Athena
workgroups enforce encrypted results, Firehose writes with a customer-managed key, and Lake
Formation grants nothing to IAMAllowedPrincipals by default.

(Bucket encryption, versioning, public access and replication coverage: ``s3-bucket-sse-kms-cmk``,
``s3-bucket-versioning``, ``s3-public-access-block``-style zero-trust policies and
``s3-sensitive-bucket-replication``.)
"""

from __future__ import annotations

import json
from typing import Any, Final

from pulumi_policy import (
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from .compliance import (
    ENCRYPTION_AT_REST,
    ENCRYPTION_IN_TRANSIT,
    LEAST_PRIVILEGE,
    RESILIENCE,
)
from .declare import resource_policy
from .support import as_list, get, is_unknown, kms_key_problem, label

CONCERN = "lakehouse"


BUCKET_POLICY: Final = "aws:s3/bucketPolicy:BucketPolicy"
REPLICATION: Final = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
WORKGROUP: Final = "aws:athena/workgroup:Workgroup"
FIREHOSE: Final = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
LAKE_SETTINGS: Final = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
IAM_ALLOWED_PRINCIPALS: Final = "IAM_ALLOWED_PRINCIPALS"


def _denies_plain_http(statement: Any) -> bool:
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return False
    actions = statement.get("Action")
    actions = actions if isinstance(actions, list) else [actions]
    if "s3:*" not in actions:
        return False
    condition = statement.get("Condition") or {}
    secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
    return str(secure).lower() == "false"


def _bucket_policy_tls(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != BUCKET_POLICY:
        return
    document = get(args.props, "policy")
    if is_unknown(document) or not isinstance(document, str):
        return
    try:
        statements = as_list(json.loads(document).get("Statement"))
    except (json.JSONDecodeError, AttributeError):
        return
    if not any(_denies_plain_http(s) for s in statements):
        report(
            f"{label(args.resource_type, args.name)} does not deny requests without TLS. Fix: "
            "add {Effect: Deny, Principal: '*', Action: 's3:*', Resource: [bucket, bucket/*], "
            "Condition: {Bool: {'aws:SecureTransport': 'false'}}}.",
            None,
        )


def _replication_rtc(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != REPLICATION:
        return
    for index, rule in enumerate(as_list(get(args.props, "rules"))):
        if get(rule, "status") != "Enabled":
            continue
        dest = get(rule, "destination")
        rtc = get(dest, "replicationTime", "status")
        metrics = get(dest, "metrics", "status")
        if rtc != "Enabled" or metrics != "Enabled":
            report(
                f"{label(args.resource_type, args.name)}: rules[{index}] replicates without "
                "Replication Time Control (replicationTime and metrics enabled), so nothing "
                "bounds or reports how far the copy lags. Fix: set destination.replicationTime "
                "= {status: Enabled, time: {minutes: 15}} and destination.metrics = {status: "
                "Enabled, eventThreshold: {minutes: 15}}.",
                None,
            )
        if get(rule, "sourceSelectionCriteria", "sseKmsEncryptedObjects", "status") != "Enabled":
            report(
                f"{label(args.resource_type, args.name)}: rules[{index}] skips SSE-KMS objects "
                "(sourceSelectionCriteria.sseKmsEncryptedObjects not Enabled), which is every "
                "object of a KMS-encrypted bucket. Fix: enable it and set destination."
                "encryptionConfiguration.replicaKmsKeyId to a customer-managed key there.",
                None,
            )


def _athena_workgroup(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != WORKGROUP:
        return
    where = label(args.resource_type, args.name)
    cfg = get(args.props, "configuration")
    if get(cfg, "enforceWorkgroupConfiguration") is False or cfg is None:
        report(
            f"{where} lets queries override its settings (result location, encryption). Fix: "
            "set configuration.enforceWorkgroupConfiguration = true.",
            None,
        )
    encryption = get(cfg, "resultConfiguration", "encryptionConfiguration")
    option = get(encryption, "encryptionOption")
    if option not in ("SSE_KMS", "CSE_KMS"):
        report(
            f"{where}: query results are written with encryption {option!r}. Fix: set "
            "configuration.resultConfiguration.encryptionConfiguration = {encryptionOption: "
            "'SSE_KMS', kmsKeyArn: <customer-managed key>}.",
            None,
        )
        return
    problem = kms_key_problem(get(encryption, "kmsKeyArn"))
    if problem:
        report(f"{where}: the results' kmsKeyArn {problem}. Fix: use a customer-managed key.", None)


def _firehose_s3(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != FIREHOSE:
        return
    s3 = get(args.props, "extendedS3Configuration")
    if s3 is None:
        return
    problem = kms_key_problem(get(s3, "kmsKeyArn"))
    if problem:
        report(
            f"{label(args.resource_type, args.name)}: extendedS3Configuration.kmsKeyArn "
            f"{problem}; delivered objects would fall back to the bucket default or SSE-S3. "
            "Fix: set it to the lake's customer-managed storage key.",
            None,
        )


def _lake_defaults(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != LAKE_SETTINGS:
        return
    for key in ("createDatabaseDefaultPermissions", "createTableDefaultPermissions"):
        grants = get(args.props, key)
        if grants is None:
            report(
                f"{label(args.resource_type, args.name)}: {key} is not set, so new databases "
                "and tables grant ALL to IAMAllowedPrincipals and Lake Formation grants decide "
                f"nothing. Fix: set {key} = [].",
                None,
            )
            continue
        for grant in as_list(grants):
            if get(grant, "principal") == IAM_ALLOWED_PRINCIPALS:
                report(
                    f"{label(args.resource_type, args.name)}: {key} grants "
                    f"{IAM_ALLOWED_PRINCIPALS}. Fix: remove that entry (set {key} = []).",
                    None,
                )


# Lake Formation permissions that make the grantee an administrator of the resource.
_LF_SUPER_PERMISSIONS = frozenset({"ALL", "SUPER"})


def _lake_permissions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    principal = get(args.props, "principal")
    broad = [str(p) for p in as_list(get(args.props, "permissions")) if p in _LF_SUPER_PERMISSIONS]
    if broad:
        report(
            f"{where} grants {principal} {broad} (every operation, including drop and grant). "
            "Fix: grant the named permissions the principal needs (DESCRIBE, SELECT ...).",
            None,
        )
    if as_list(get(args.props, "permissionsWithGrantOptions")):
        report(
            f"{where} lets {principal} pass its permissions on (permissionsWithGrantOptions). "
            "Fix: leave permissionsWithGrantOptions empty; data lake administrators grant.",
            None,
        )


# The Lake Formation service-linked role: every registered location would share it.
_LF_SERVICE_LINKED_ROLE = "AWSServiceRoleForLakeFormationDataAccess"


def _lake_location(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    role = get(args.props, "roleArn")
    if not role or str(role).endswith(f"/{_LF_SERVICE_LINKED_ROLE}"):
        report(
            f"{where} registers {get(args.props, 'arn')} with Lake Formation's service-linked "
            "role, which every registered location shares. Fix: set roleArn to a role scoped "
            "to this location's bucket and key.",
            None,
        )
    if get(args.props, "hybridAccessEnabled") is True:
        report(
            f"{where} enables hybrid access mode: IAM and bucket policies keep granting access "
            "to the location beside Lake Formation's grants. Fix: set hybridAccessEnabled=false.",
            None,
        )


POLICIES: list[Policy] = [
    # s3
    resource_policy(
        "s3-bucket-policy-tls-only",
        "Every S3 bucket policy denies s3:* on the bucket and its objects when "
        "aws:SecureTransport is false.",
        concern=CONCERN,
        service="s3",
        severity=Severity.HIGH,
        controls=ENCRYPTION_IN_TRANSIT,
        validate=_bucket_policy_tls,
    ),
    resource_policy(
        "s3-replication-time-control",
        "Enabled S3 replication rules use Replication Time Control with metrics and replicate "
        "SSE-KMS encrypted objects.",
        concern=CONCERN,
        service="s3",
        severity=Severity.MEDIUM,
        controls=RESILIENCE,
        validate=_replication_rtc,
    ),
    # athena
    resource_policy(
        "athena-workgroup-enforced-encryption",
        "Athena workgroups enforce their configuration and write query results encrypted with a "
        "customer-managed KMS key (SSE_KMS or CSE_KMS).",
        concern=CONCERN,
        service="athena",
        severity=Severity.HIGH,
        controls=ENCRYPTION_AT_REST,
        validate=_athena_workgroup,
    ),
    # firehose
    resource_policy(
        "firehose-s3-cmk",
        "Firehose streams delivering to S3 encrypt the objects with a customer-managed KMS key "
        "(extendedS3Configuration.kmsKeyArn).",
        concern=CONCERN,
        service="firehose",
        severity=Severity.MEDIUM,
        controls=ENCRYPTION_AT_REST,
        validate=_firehose_s3,
    ),
    # lakeformation
    resource_policy(
        "lakeformation-no-iam-allowed-principals",
        "Lake Formation data lake settings give IAMAllowedPrincipals no default permissions on "
        "new databases and tables (createDatabaseDefaultPermissions and "
        "createTableDefaultPermissions set, without IAM_ALLOWED_PRINCIPALS).",
        concern=CONCERN,
        service="lakeformation",
        severity=Severity.HIGH,
        controls=LEAST_PRIVILEGE,
        validate=_lake_defaults,
    ),
    resource_policy(
        "lakeformation-permissions-least-privilege",
        "Lake Formation grants name their permissions (no ALL or SUPER) and carry no grant "
        "option: only data lake administrators grant.",
        concern=CONCERN,
        service="lakeformation",
        severity=Severity.HIGH,
        controls=LEAST_PRIVILEGE,
        validators={"aws:lakeformation/permissions:Permissions": _lake_permissions},
    ),
    resource_policy(
        "lakeformation-location-scoped-role",
        "Data locations registered with Lake Formation use a role of their own (not the "
        "service-linked role) and hybrid access mode off.",
        concern=CONCERN,
        service="lakeformation",
        severity=Severity.MEDIUM,
        controls=LEAST_PRIVILEGE,
        validators={"aws:lakeformation/resource:Resource": _lake_location},
    ),
]
