"""Data-safety policies of the Meridian CrossGuard pack (issue 3, part 2).

These policies make sure stateful data survives mistakes: deletion protection, backup retention,
point-in-time recovery, final snapshots, S3 versioning and replication, cross-region backup
copies, Kafka durability settings and the ``protect`` resource option.

Unknown values are handled as in :mod:`policies.support`: resource policies read through the
SDK proxy (an unknown value skips the policy for that resource during preview, it is never
caught here), stack policies unwrap the props and treat unknown values as "cannot tell yet".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .s3_matching import BUCKET_TYPES, check_bucket_coverage, exempt_bucket_filter
from .support import (
    UNKNOWN,
    Finding,
    Verdict,
    arn_region,
    as_list,
    cfg_bool,
    cfg_number,
    cfg_strings,
    dig,
    dispatching_policy,
    is_unknown,
    merge_findings,
    number,
    pget,
    plain,
    provider_region,
    requires_true,
    short_type,
)

# --------------------------------------------------------------------------------------------
# Deletion protection
# --------------------------------------------------------------------------------------------


_DB_DELETION_FIX: Final = (
    "Fix: set {prop} = true; turn it off deliberately (separate change) before a planned delete."
)

database_deletion_protection = dispatching_policy(
    name="database-deletion-protection",
    description=(
        "Databases cannot be deleted by accident: rds.Cluster, rds.Instance and "
        "rds.GlobalCluster set deletionProtection = true; dynamodb.Table sets "
        "deletionProtectionEnabled = true. (Amazon Keyspaces has no deletion-protection "
        "setting; keyspaces are covered by stateful-resources-protected.)"
    ),
    validators={
        "aws:rds/cluster:Cluster": requires_true(
            "deletionProtection", _DB_DELETION_FIX.format(prop="deletionProtection")
        ),
        "aws:rds/instance:Instance": requires_true(
            "deletionProtection", _DB_DELETION_FIX.format(prop="deletionProtection")
        ),
        "aws:rds/globalCluster:GlobalCluster": requires_true(
            "deletionProtection", _DB_DELETION_FIX.format(prop="deletionProtection")
        ),
        "aws:dynamodb/table:Table": requires_true(
            "deletionProtectionEnabled",
            _DB_DELETION_FIX.format(prop="deletionProtectionEnabled"),
        ),
    },
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["data-safety", "deletion-protection"],
)


lb_deletion_protection = dispatching_policy(
    name="lb-deletion-protection",
    description=(
        "Load balancers have enableDeletionProtection = true, so a production entry point "
        "(and its DNS name) is not lost by an accidental delete. Meant for prod."
    ),
    validators={
        t: requires_true(
            "enableDeletionProtection",
            "Fix: set enableDeletionProtection = true on production load balancers.",
        )
        for t in (
            "aws:lb/loadBalancer:LoadBalancer",
            "aws:alb/loadBalancer:LoadBalancer",
        )
    },
    severity=Severity.LOW,
    enforcement_level=EnforcementLevel.ADVISORY,
    tags=["data-safety", "deletion-protection"],
)


# --------------------------------------------------------------------------------------------
# Backups: retention, point-in-time recovery
# --------------------------------------------------------------------------------------------


def _rds_backup_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if dig(props, "replicateSourceDb"):
        return  # read replicas do not need their own automated backups
    minimum = cfg_number(args.get_config(), "minimumDays", 7)
    days = number(dig(props, "backupRetentionPeriod"))
    if days is None or days < minimum:
        shown = "unset (AWS default: 1 day)" if days is None else f"{days:g} days"
        report(
            f"{short_type(args.resource_type)} '{args.name}': backupRetentionPeriod is {shown}, "
            f"below the required {minimum:g} days. Fix: set backupRetentionPeriod = "
            f"{minimum:g} or more (maximum 35).",
            None,
        )


rds_backup_retention = dispatching_policy(
    name="rds-backup-retention",
    description=(
        "RDS/Aurora automated backups are kept at least N days (backupRetentionPeriod >= "
        "minimumDays; default 7, prod 35) on rds.Cluster and rds.Instance (read replicas "
        "excepted)."
    ),
    validators={
        "aws:rds/cluster:Cluster": _rds_backup_retention,
        "aws:rds/instance:Instance": _rds_backup_retention,
    },
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": 7,
                "description": "Minimum backupRetentionPeriod in days (prod: 35).",
            }
        }
    ),
    tags=["data-safety", "backup"],
)


def _elasticache_snapshot_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "aws:elasticache/cluster:Cluster" and (
        dig(props, "replicationGroupId") or dig(props, "engine") == "memcached"
    ):
        return  # members inherit the group's setting; memcached has no snapshots
    minimum = cfg_number(args.get_config(), "minimumDays", 1)
    days = number(dig(props, "snapshotRetentionLimit"))
    if days is None or days < minimum:
        shown = "unset (0: no automatic snapshots)" if days is None else f"{days:g}"
        report(
            f"{short_type(args.resource_type)} '{args.name}': snapshotRetentionLimit is {shown}, "
            f"below {minimum:g} day(s). Fix: set snapshotRetentionLimit = {minimum:g} or more "
            "(and a snapshotWindow).",
            None,
        )


elasticache_snapshot_retention = dispatching_policy(
    name="elasticache-snapshot-retention",
    description=(
        "ElastiCache replication groups, serverless caches and standalone Redis/Valkey clusters "
        "take daily automatic snapshots kept at least N days (snapshotRetentionLimit >= "
        "minimumDays, default 1)."
    ),
    validators={
        "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache_snapshot_retention,
        "aws:elasticache/serverlessCache:ServerlessCache": _elasticache_snapshot_retention,
        "aws:elasticache/cluster:Cluster": _elasticache_snapshot_retention,
    },
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": 1,
                "description": "Minimum snapshotRetentionLimit in days.",
            }
        }
    ),
    tags=["data-safety", "backup"],
)


def _dynamodb_pitr(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if dig(args.props, "pointInTimeRecovery", "enabled") is not True:
        report(
            f"dynamodb.Table '{args.name}': pointInTimeRecovery.enabled is not true, the table "
            "cannot be restored to a point in time. Fix: set pointInTimeRecovery = {enabled: "
            "true}.",
            None,
        )


dynamodb_point_in_time_recovery = dispatching_policy(
    name="dynamodb-point-in-time-recovery",
    description=(
        "DynamoDB tables have point-in-time recovery enabled (pointInTimeRecovery.enabled = true)."
    ),
    validators={"aws:dynamodb/table:Table": _dynamodb_pitr},
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["data-safety", "backup"],
)


def _keyspaces_pitr(args: ResourceValidationArgs, report: ReportViolation) -> None:
    status = dig(args.props, "pointInTimeRecovery", "status")
    if status != "ENABLED":
        report(
            f"keyspaces.Table '{args.name}': pointInTimeRecovery.status is "
            f"'{status or 'DISABLED (default)'}'. Fix: set pointInTimeRecovery = {{status: "
            "'ENABLED'}.",
            None,
        )


keyspaces_point_in_time_recovery = dispatching_policy(
    name="keyspaces-point-in-time-recovery",
    description=(
        "Amazon Keyspaces tables have point-in-time recovery enabled "
        "(pointInTimeRecovery.status = ENABLED)."
    ),
    validators={"aws:keyspaces/table:Table": _keyspaces_pitr},
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["data-safety", "backup"],
)


# --------------------------------------------------------------------------------------------
# Final snapshots
# --------------------------------------------------------------------------------------------


def _rds_final_snapshot(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    kind = short_type(args.resource_type)
    if dig(props, "replicateSourceDb"):
        return  # RDS cannot take a final snapshot of a read replica
    if dig(props, "skipFinalSnapshot") is True:
        report(
            f"{kind} '{args.name}': skipFinalSnapshot is true, deleting it discards the data. "
            "Fix: set skipFinalSnapshot = false and finalSnapshotIdentifier = a unique name.",
            None,
        )
        return
    if not dig(props, "finalSnapshotIdentifier"):
        report(
            f"{kind} '{args.name}': finalSnapshotIdentifier is not set, so a delete either "
            "fails or (with skipFinalSnapshot) loses the data. Fix: set "
            "finalSnapshotIdentifier = a unique snapshot name.",
            None,
        )


rds_final_snapshot = dispatching_policy(
    name="rds-final-snapshot",
    description=(
        "Deleting an rds.Cluster or rds.Instance leaves a final snapshot: skipFinalSnapshot is "
        "false and finalSnapshotIdentifier is set."
    ),
    validators={
        "aws:rds/cluster:Cluster": _rds_final_snapshot,
        "aws:rds/instance:Instance": _rds_final_snapshot,
    },
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["data-safety", "snapshot"],
)


def _elasticache_final_snapshot(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "aws:elasticache/cluster:Cluster" and (
        dig(props, "replicationGroupId") or dig(props, "engine") == "memcached"
    ):
        return
    if not dig(props, "finalSnapshotIdentifier"):
        report(
            f"{short_type(args.resource_type)} '{args.name}': finalSnapshotIdentifier is not "
            "set, deleting it discards the cached data set. Fix: set finalSnapshotIdentifier = "
            "a unique snapshot name.",
            None,
        )


elasticache_final_snapshot = dispatching_policy(
    name="elasticache-final-snapshot",
    description=(
        "Deleting an ElastiCache replication group (or standalone Redis/Valkey cluster) leaves a "
        "final snapshot (finalSnapshotIdentifier is set)."
    ),
    validators={
        "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache_final_snapshot,
        "aws:elasticache/cluster:Cluster": _elasticache_final_snapshot,
    },
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.ADVISORY,
    tags=["data-safety", "snapshot"],
)


# --------------------------------------------------------------------------------------------
# S3: versioning, replication of sensitive buckets, lifecycle of log buckets (stack policies)
# --------------------------------------------------------------------------------------------

VERSIONING_TYPES: Final = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
REPLICATION_TYPES: Final = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
LIFECYCLE_TYPES: Final = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)


def _versioning_finding(props: dict[str, Any]) -> Finding:
    status = pget(props, "versioningConfiguration", "status")
    if is_unknown(status):
        return "unknown", []
    if status != "Enabled":
        return "bad", [f"versioningConfiguration.status is '{status}'"]
    return "ok", []


def _versioning_inline(props: dict[str, Any]) -> Finding:
    enabled = pget(props, "versioning", "enabled")
    if is_unknown(enabled):
        return "unknown", []
    return ("ok", []) if enabled is True else ("bad", ["versioning.enabled is not true"])


def _validate_s3_versioning(args: StackValidationArgs, report: ReportViolation) -> None:
    check_bucket_coverage(
        args,
        report,
        config_types=VERSIONING_TYPES,
        applies_to=exempt_bucket_filter(cfg_strings(args.get_config(), "exemptBuckets", [])),
        evaluate_config=lambda _r, p: _versioning_finding(p),
        evaluate_inline=_versioning_inline,
        config_message=lambda r, problems: (
            f"S3 versioning configuration '{r.name}': {'; '.join(problems)}. Fix: set "
            "versioningConfiguration.status = 'Enabled'."
        ),
        missing_message=lambda b: (
            f"S3 bucket '{b.name}' has no s3.BucketVersioning with status 'Enabled', so "
            "overwritten or deleted objects cannot be recovered. Fix: add an s3.BucketVersioning "
            "whose bucket is this bucket with versioningConfiguration.status = 'Enabled'."
        ),
    )


s3_bucket_versioning = StackValidationPolicy(
    name="s3-bucket-versioning",
    description=(
        "Every S3 bucket has an s3.BucketVersioning resource with versioningConfiguration.status "
        "= 'Enabled' (matched to the bucket by its bucket reference), so overwritten and deleted "
        "objects can be recovered."
    ),
    validate=_validate_s3_versioning,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "exemptBuckets": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Regular expressions (full match on the logical resource name or "
                "the bucket name) of buckets that need no versioning (e.g. scratch buckets).",
            }
        }
    ),
    tags=["data-safety", "s3"],
)


_SENSITIVE_DEFAULT: Final = ("confidential", "restricted")


def _stack_tags(resource: PolicyResource, props: dict[str, Any]) -> Any:
    """Effective tags of a stack resource (provider defaultTags < tagsAll < tags); UNKNOWN if
    the resource's tags are unknown."""
    merged: dict[str, Any] = {}
    if resource.provider is not None:
        default_tags = pget(plain(resource.provider.props), "defaultTags")
        if isinstance(default_tags, str) and not is_unknown(default_tags):
            try:
                default_tags = json.loads(default_tags)
            except ValueError:
                default_tags = None
        tags = pget(default_tags, "tags")
        if isinstance(tags, Mapping):
            merged.update({str(k): v for k, v in tags.items()})  # pyright: ignore[reportUnknownVariableType]
    for key in ("tagsAll", "tags"):
        value = pget(props, key)
        if is_unknown(value):
            return UNKNOWN
        if isinstance(value, Mapping):
            merged.update({str(k): v for k, v in value.items()})  # pyright: ignore[reportUnknownVariableType]
    return merged


def _classified_as(values: list[str], tag_key: str) -> Any:
    def applies(resource: PolicyResource, props: dict[str, Any]) -> Verdict:
        tags = _stack_tags(resource, props)
        if is_unknown(tags):
            return "unknown"
        value = tags.get(tag_key)
        if is_unknown(value):
            return "unknown"
        return "ok" if isinstance(value, str) and value.lower() in values else "bad"

    return applies


def _validate_s3_replication(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    tag_key = str(config.get("classificationTagKey") or "data-classification")
    values = [v.lower() for v in cfg_strings(config, "classificationValues", _SENSITIVE_DEFAULT)]
    require_cross_region = cfg_bool(config, "requireCrossRegion", True)

    bucket_regions: dict[str, Any] = {}
    for resource in args.resources:
        if resource.resource_type in BUCKET_TYPES:
            name = pget(plain(resource.props), "bucket")
            if isinstance(name, str) and not is_unknown(name):
                bucket_regions[name] = provider_region(resource)

    def evaluate(resource: PolicyResource, props: dict[str, Any]) -> Finding:
        rules = pget(props, "rules")
        if is_unknown(rules):
            return "unknown", []
        findings: list[Finding] = []
        enabled = False
        for index, rule in enumerate(as_list(rules)):
            status = pget(rule, "status")
            if is_unknown(status):
                findings.append(("unknown", []))
                continue
            if status != "Enabled":
                continue
            enabled = True
            if not require_cross_region:
                continue
            destination = pget(rule, "destination", "bucket")
            if is_unknown(destination) or not isinstance(destination, str):
                continue
            dest_name = destination.split(":::", 1)[-1]
            dest_region = bucket_regions.get(dest_name)
            source_region = provider_region(resource)
            if (
                isinstance(dest_region, str)
                and isinstance(source_region, str)
                and not is_unknown(dest_region)
                and not is_unknown(source_region)
                and dest_region == source_region
            ):
                problem = (
                    f"rules[{index}].destination.bucket is in the same region ({source_region})"
                )
                findings.append(("bad", [problem]))
        if not enabled and not any(v == "unknown" for v, _ in findings):
            findings.append(("bad", ["no rule has status 'Enabled'"]))
        return merge_findings(findings)

    check_bucket_coverage(
        args,
        report,
        config_types=REPLICATION_TYPES,
        evaluate_config=evaluate,
        applies_to=_classified_as(values, tag_key),
        config_message=lambda r, problems: (
            f"S3 replication configuration '{r.name}': {'; '.join(problems)}. Fix: replicate "
            "with at least one rule status 'Enabled' to a bucket in another region."
        ),
        missing_message=lambda b: (
            f"S3 bucket '{b.name}' is tagged {tag_key} in {values} but has no "
            "s3.BucketReplicationConfig. Fix: add an s3.BucketReplicationConfig whose bucket is "
            "this bucket, replicating to a versioned, KMS-encrypted bucket in another region."
        ),
    )


s3_sensitive_bucket_replication = StackValidationPolicy(
    name="s3-sensitive-bucket-replication",
    description=(
        "S3 buckets tagged data-classification = confidential or restricted have an "
        "s3.BucketReplicationConfig with an enabled rule replicating to another region "
        "(disaster recovery). Meant for prod; the tag key/values are configurable."
    ),
    validate=_validate_s3_replication,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "classificationTagKey": {
                "type": "string",
                "default": "data-classification",
            },
            "classificationValues": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(_SENSITIVE_DEFAULT),
            },
            "requireCrossRegion": {
                "type": "boolean",
                "default": True,
                "description": "Flag rules whose destination bucket (in this stack) is in the "
                "same region as the source.",
            },
        }
    ),
    tags=["data-safety", "s3", "dr"],
)


_LOG_NAME_DEFAULT: Final = r"(^|[-_.])(access-?|audit-?|flow-?)?logs?($|[-_.])"
_LOG_PURPOSES_DEFAULT: Final = ("logs", "log", "access-logs", "audit-logs")


def _lifecycle_rule_ok(rule: Any) -> Verdict:
    status = pget(rule, "status")
    if is_unknown(status):
        return "unknown"
    if status != "Enabled":
        return "bad"
    for key in ("expiration", "transitions", "noncurrentVersionExpiration"):
        value = pget(rule, key)
        if is_unknown(value):
            return "unknown"
        if value:
            return "ok"
    return "bad"


def _lifecycle_finding(props: dict[str, Any]) -> Finding:
    rules = pget(props, "rules")
    if is_unknown(rules):
        return "unknown", []
    verdicts = [_lifecycle_rule_ok(r) for r in as_list(rules)]
    if "ok" in verdicts:
        return "ok", []
    if "unknown" in verdicts:
        return "unknown", []
    return "bad", ["no enabled rule with expiration or transitions"]


def _lifecycle_inline(props: dict[str, Any]) -> Finding:
    rules = pget(props, "lifecycleRules")
    if is_unknown(rules):
        return "unknown", []
    for rule in as_list(rules):
        enabled = pget(rule, "enabled")
        expiration = pget(rule, "expiration")
        transitions = pget(rule, "transitions")
        if is_unknown(enabled) or is_unknown(expiration) or is_unknown(transitions):
            return "unknown", []
        if enabled is True and (expiration or transitions):
            return "ok", []
    return "bad", ["no lifecycleRules"]


def _validate_log_lifecycle(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    pattern = re.compile(
        str(config.get("logBucketNamePattern") or _LOG_NAME_DEFAULT), re.IGNORECASE
    )
    purposes = [v.lower() for v in cfg_strings(config, "logBucketPurposes", _LOG_PURPOSES_DEFAULT)]

    def is_log_bucket(resource: PolicyResource, props: dict[str, Any]) -> Verdict:
        name = pget(props, "bucket")
        if pattern.search(resource.name) or (
            isinstance(name, str) and not is_unknown(name) and pattern.search(name)
        ):
            return "ok"
        tags = _stack_tags(resource, props)
        if is_unknown(tags):
            return "unknown"
        purpose = tags.get("purpose")
        return "ok" if isinstance(purpose, str) and purpose.lower() in purposes else "bad"

    check_bucket_coverage(
        args,
        report,
        config_types=LIFECYCLE_TYPES,
        evaluate_config=lambda _r, p: _lifecycle_finding(p),
        evaluate_inline=_lifecycle_inline,
        applies_to=is_log_bucket,
        config_message=lambda r, problems: (
            f"S3 lifecycle configuration '{r.name}' of a log bucket: {'; '.join(problems)}. Fix: "
            "add a rule with status 'Enabled' and an expiration (and/or transitions)."
        ),
        missing_message=lambda b: (
            f"Log bucket '{b.name}' has no s3.BucketLifecycleConfiguration, logs accumulate "
            "forever. Fix: add an s3.BucketLifecycleConfiguration with an enabled rule that "
            "transitions and expires log objects (and noncurrent versions) after the retention "
            "period."
        ),
    )


s3_log_bucket_lifecycle = StackValidationPolicy(
    name="s3-log-bucket-lifecycle",
    description=(
        "S3 log buckets (name matches a logs pattern or tag purpose = logs) have an "
        "s3.BucketLifecycleConfiguration with an enabled expiration/transition rule, so log "
        "retention is bounded and cheap."
    ),
    validate=_validate_log_lifecycle,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    config_schema=PolicyConfigSchema(
        properties={
            "logBucketNamePattern": {"type": "string", "default": _LOG_NAME_DEFAULT},
            "logBucketPurposes": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(_LOG_PURPOSES_DEFAULT),
            },
        }
    ),
    tags=["data-safety", "s3", "cost"],
)


# --------------------------------------------------------------------------------------------
# protect on stateful resources
# --------------------------------------------------------------------------------------------

STATEFUL_TYPES: Final = (
    "aws:rds/cluster:Cluster",
    "aws:rds/instance:Instance",
    "aws:rds/globalCluster:GlobalCluster",
    "aws:dynamodb/table:Table",
    "aws:keyspaces/keyspace:Keyspace",
    "aws:keyspaces/table:Table",
    "aws:msk/cluster:Cluster",
    "aws:msk/serverlessCluster:ServerlessCluster",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:kms/key:Key",
    "aws:kms/replicaKey:ReplicaKey",
    "aws:backup/vault:Vault",
    "aws:ebs/volume:Volume",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/serverlessCache:ServerlessCache",
)


def _validate_protect(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    types = set(STATEFUL_TYPES) | set(cfg_strings(config, "additionalTypes", []))
    types -= set(cfg_strings(config, "exemptTypes", []))
    if args.resource_type not in types:
        return
    if not args.opts.protect:
        report(
            f"{short_type(args.resource_type)} '{args.name}' holds state but is not protected; "
            "`pulumi destroy` or a replacing change would delete it. Fix: pass "
            "opts=pulumi.ResourceOptions(protect=True) (Meridian components: protect=True for "
            "stateful children).",
            None,
        )


stateful_resources_protected = ResourceValidationPolicy(
    name="stateful-resources-protected",
    description=(
        "Stateful resources (RDS/Aurora clusters, instances and global clusters, DynamoDB and "
        "Keyspaces tables, keyspaces, MSK clusters, S3 buckets, KMS keys, Backup vaults, EBS "
        "volumes, ElastiCache replication groups and serverless caches) carry the Pulumi "
        "`protect` resource option."
    ),
    validate=_validate_protect,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "additionalTypes": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
            },
            "exemptTypes": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
            },
        }
    ),
    tags=["data-safety", "protect"],
)


# --------------------------------------------------------------------------------------------
# AWS Backup: copies to another region
# --------------------------------------------------------------------------------------------


def _copy_action_verdict(
    plan: PolicyResource, action: Any, plan_region: str, vaults: dict[str, Any]
) -> Verdict:
    destination = pget(action, "destinationVaultArn")
    region = arn_region(destination)
    if isinstance(region, str):
        return "ok" if region != plan_region else "bad"
    if is_unknown(region):
        # The ARN is an output of a vault created in this program: look at the vaults the plan's
        # rules depend on.
        dep_regions = [
            vaults[d.urn]
            for d in plan.property_dependencies.get("rules", [])
            if d.urn in vaults and isinstance(vaults[d.urn], str) and not is_unknown(vaults[d.urn])
        ]
        if any(r != plan_region for r in dep_regions):
            return "ok"
        return "unknown"
    return "bad"


def _validate_backup_copies(args: StackValidationArgs, report: ReportViolation) -> None:
    vaults = {
        r.urn: provider_region(r)
        for r in args.resources
        if r.resource_type == "aws:backup/vault:Vault"
    }
    for plan in args.resources:
        if plan.resource_type != "aws:backup/plan:Plan":
            continue
        region = provider_region(plan)
        plan_region = region if isinstance(region, str) and not is_unknown(region) else None
        rules = pget(plain(plan.props), "rules")
        if is_unknown(rules):
            continue
        for index, rule in enumerate(as_list(rules)):
            actions = pget(rule, "copyActions")
            if is_unknown(actions) or is_unknown(rule):
                continue
            action_list = as_list(actions)
            if action_list and plan_region is None:
                continue  # cannot tell where the plan runs (yet)
            verdicts = [
                _copy_action_verdict(plan, a, plan_region or "", vaults) for a in action_list
            ]
            if "ok" in verdicts or "unknown" in verdicts:
                continue
            rule_name = pget(rule, "ruleName")
            rule_label = rule_name if isinstance(rule_name, str) else f"#{index}"
            where = f"outside {plan_region}" if plan_region else "in another region"
            report(
                f"backup.Plan '{plan.name}' rule '{rule_label}' has no copyActions entry whose "
                f"destinationVaultArn is a vault {where}; a regional outage or account "
                "compromise in the plan's region loses every recovery point. Fix: add "
                "copyActions = [{destinationVaultArn: <vault ARN in the DR region>, lifecycle: "
                "{deleteAfter: ...}}].",
                plan.urn,
            )


backup_plan_cross_region_copy = StackValidationPolicy(
    name="backup-plan-cross-region-copy",
    description=(
        "Every rule of every AWS Backup plan copies its recovery points to a vault in another "
        "region (a copyActions entry whose destinationVaultArn region differs from the plan's "
        "provider region). Meant for prod."
    ),
    validate=_validate_backup_copies,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
    tags=["data-safety", "backup", "dr"],
)


# --------------------------------------------------------------------------------------------
# MSK / Kafka durability
# --------------------------------------------------------------------------------------------


def parse_server_properties(text: str) -> dict[str, str]:
    """Parse a Kafka server.properties document (``key=value`` or ``key: value`` lines)."""
    result: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        match = re.match(r"([^=:\s]+)\s*[=:]\s*(.*)", line)
        if match:
            result[match.group(1).strip()] = match.group(2).strip()
    return result


def _durability_settings(config: Mapping[str, Any]) -> tuple[float, float]:
    return (
        cfg_number(config, "minReplicationFactor", 3),
        cfg_number(config, "minInsyncReplicas", 2),
    )


def _kafka_problems(
    settings: Mapping[str, str], rf_min: float, isr_min: float, *, require_all: bool
) -> list[str]:
    problems: list[str] = []
    rf_text = settings.get("default.replication.factor")
    rf = number(rf_text)
    if rf_text is None and require_all:
        problems.append(f"default.replication.factor is not set (required: {rf_min:g})")
    elif rf_text is not None and (rf is None or rf < rf_min):
        problems.append(f"default.replication.factor is {rf_text} (required: >= {rf_min:g})")
    isr_text = settings.get("min.insync.replicas")
    isr = number(isr_text)
    if isr_text is None and require_all:
        problems.append(f"min.insync.replicas is not set (required: {isr_min:g})")
    elif isr_text is not None and (isr is None or isr < isr_min):
        problems.append(f"min.insync.replicas is {isr_text} (required: >= {isr_min:g})")
    elif isr is not None and rf is not None and isr >= rf:
        problems.append(
            f"min.insync.replicas ({isr_text}) must be lower than default.replication.factor "
            f"({rf_text}) so one broker can be down"
        )
    unclean = settings.get("unclean.leader.election.enable")
    if unclean is None and require_all:
        problems.append("unclean.leader.election.enable is not set (required: false)")
    elif unclean is not None and unclean.strip().lower() != "false":
        problems.append(f"unclean.leader.election.enable is {unclean} (required: false)")
    return problems


def _msk_configuration(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rf_min, isr_min = _durability_settings(args.get_config())
    text = dig(args.props, "serverProperties")
    settings = parse_server_properties(text if isinstance(text, str) else "")
    problems = _kafka_problems(settings, rf_min, isr_min, require_all=True)
    if problems:
        report(
            f"msk.Configuration '{args.name}': serverProperties: {'; '.join(problems)}. Fix: "
            f"set default.replication.factor={rf_min:g}, min.insync.replicas={isr_min:g} and "
            "unclean.leader.election.enable=false in serverProperties.",
            None,
        )


def _msk_cluster(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rf_min, isr_min = _durability_settings(args.get_config())
    brokers = number(dig(args.props, "numberOfBrokerNodes"))
    if brokers is not None and brokers < rf_min:
        report(
            f"msk.Cluster '{args.name}': numberOfBrokerNodes is {brokers:g}, a replication factor "
            f"of {rf_min:g} needs at least {rf_min:g} brokers. Fix: use {rf_min:g} or more "
            "brokers spread over three AZs.",
            None,
        )
    if dig(args.props, "configurationInfo") is None:
        report(
            f"msk.Cluster '{args.name}': configurationInfo is not set, the cluster runs the MSK "
            "default configuration, which does not pin the platform's durability settings. Fix: "
            "attach an msk.Configuration (configurationInfo = {arn, revision}) with "
            f"default.replication.factor={rf_min:g}, min.insync.replicas={isr_min:g} and "
            "unclean.leader.election.enable=false.",
            None,
        )


def _msk_topic(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rf_min, isr_min = _durability_settings(args.get_config())
    problems: list[str] = []
    rf = number(dig(args.props, "replicationFactor"))
    if rf is not None and rf < rf_min:
        problems.append(f"replicationFactor is {rf:g} (required: >= {rf_min:g})")
    configs = dig(args.props, "configs")
    if isinstance(configs, str) and configs.strip():
        try:
            parsed = json.loads(configs)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            settings = {str(k): str(v) for k, v in parsed.items()}  # pyright: ignore[reportUnknownVariableType]
            problems.extend(_kafka_problems(settings, rf_min, isr_min, require_all=False))
    if problems:
        report(
            f"msk.Topic '{args.name}': {'; '.join(problems)}. Fix: create the topic with "
            f"replicationFactor >= {rf_min:g}, min.insync.replicas >= {isr_min:g} and unclean "
            "leader election disabled.",
            None,
        )


msk_kafka_durability = dispatching_policy(
    name="msk-kafka-durability",
    description=(
        "Kafka on MSK keeps acknowledged writes through a broker loss: msk.Configuration "
        "serverProperties set default.replication.factor=3, min.insync.replicas=2 and "
        "unclean.leader.election.enable=false; msk.Cluster uses such a configuration and at "
        "least 3 brokers; msk.Topic does not lower these."
    ),
    validators={
        "aws:msk/configuration:Configuration": _msk_configuration,
        "aws:msk/cluster:Cluster": _msk_cluster,
        "aws:msk/topic:Topic": _msk_topic,
    },
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "minReplicationFactor": {"type": "integer", "minimum": 1, "default": 3},
            "minInsyncReplicas": {"type": "integer", "minimum": 1, "default": 2},
        }
    ),
    tags=["data-safety", "msk"],
)


# --------------------------------------------------------------------------------------------
# Snapshot tags, secret recovery window
# --------------------------------------------------------------------------------------------

rds_copy_tags_to_snapshot = dispatching_policy(
    name="rds-copy-tags-to-snapshot",
    description=(
        "rds.Cluster and rds.Instance copy their tags to snapshots (copyTagsToSnapshot = true), "
        "so snapshots keep owner/data-classification tags for retention and access control."
    ),
    validators={
        t: requires_true(
            "copyTagsToSnapshot",
            "Fix: set copyTagsToSnapshot = true so snapshots carry the data-classification tags.",
        )
        for t in ("aws:rds/cluster:Cluster", "aws:rds/instance:Instance")
    },
    severity=Severity.LOW,
    enforcement_level=EnforcementLevel.ADVISORY,
    tags=["data-safety", "rds"],
)


def _secret_recovery_window(args: ResourceValidationArgs, report: ReportViolation) -> None:
    minimum = cfg_number(args.get_config(), "minimumDays", 7)
    days = number(dig(args.props, "recoveryWindowInDays"))
    if days is not None and days < minimum:
        report(
            f"secretsmanager.Secret '{args.name}': recoveryWindowInDays is {days:g}"
            f"{' (deleted immediately, unrecoverable)' if days == 0 else ''}, below {minimum:g}. "
            f"Fix: set recoveryWindowInDays >= {minimum:g} (default 30).",
            None,
        )


secretsmanager_recovery_window = dispatching_policy(
    name="secretsmanager-recovery-window",
    description=(
        "Deleted Secrets Manager secrets stay recoverable for at least N days "
        "(recoveryWindowInDays >= minimumDays, default 7; 0 = immediate deletion is not allowed)."
    ),
    validators={"aws:secretsmanager/secret:Secret": _secret_recovery_window},
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {
                "type": "integer",
                "minimum": 7,
                "maximum": 30,
                "default": 7,
            }
        }
    ),
    tags=["data-safety", "secrets"],
)


POLICIES: list[Policy] = [
    database_deletion_protection,
    lb_deletion_protection,
    rds_backup_retention,
    elasticache_snapshot_retention,
    dynamodb_point_in_time_recovery,
    keyspaces_point_in_time_recovery,
    rds_final_snapshot,
    elasticache_final_snapshot,
    s3_bucket_versioning,
    s3_sensitive_bucket_replication,
    s3_log_bucket_lifecycle,
    stateful_resources_protected,
    backup_plan_cross_region_copy,
    msk_kafka_durability,
    rds_copy_tags_to_snapshot,
    secretsmanager_recovery_window,
]
