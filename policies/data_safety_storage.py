"""Data-safety policies, storage: objects and recovery points can be recovered.

S3 versioning, replication of sensitive buckets and bounded lifecycle of log buckets (stack
policies matching buckets to their configuration resources), the ``protect`` option on
stateful resources, AWS Backup plans that copy to another region and backup vaults locked
against early deletion of recovery points.


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
    Severity,
    StackValidationArgs,
)

from . import type_tokens
from .compliance import (
    BACKUP,
    CHANGE_MANAGEMENT,
    DATA_RETENTION,
    DELETION_PROTECTION,
    LOG_RETENTION,
    RESILIENCE,
)
from .declare import resource_policy, stack_policy
from .s3_matching import BUCKET_TYPES, check_bucket_coverage, exempt_bucket_filter
from .support import (
    UNKNOWN,
    Finding,
    Verdict,
    arn_region,
    as_list,
    cfg_bool,
    cfg_strings,
    get,
    is_unknown,
    label,
    merge_findings,
    pget,
    plain,
    provider_region,
    short_type,
)

CONCERN = "data-safety"

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


s3_bucket_versioning = stack_policy(
    "s3-bucket-versioning",
    "Every S3 bucket has an s3.BucketVersioning resource with versioningConfiguration.status "
    "= 'Enabled' (matched to the bucket by its bucket reference), so overwritten and deleted "
    "objects can be recovered.",
    concern=CONCERN,
    service="s3",
    severity=Severity.HIGH,
    controls=BACKUP,
    types=type_tokens.S3_BUCKET_TYPES,
    validate=_validate_s3_versioning,
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


def _residency_pinned(config: Any) -> dict[str, str]:
    """Regions whose data may not leave and that have no in-jurisdiction peer (config
    residencyPinnedRegions: region -> the reason, e.g. the law): their copies stay in-region."""
    pinned = config.get("residencyPinnedRegions") or {}
    if not isinstance(pinned, Mapping):
        return {}
    return {str(r): str(why) for r, why in pinned.items() if str(why).strip()}


def _outside(pinned: dict[str, str], applies: Any) -> Any:
    """`applies`, except for resources in a residency-pinned region."""

    def check(resource: PolicyResource, props: dict[str, Any]) -> Verdict:
        region = provider_region(resource)
        if isinstance(region, str) and not is_unknown(region) and region in pinned:
            return "bad"
        return applies(resource, props)

    return check


_RESIDENCY_PINNED_SCHEMA: Final = {
    "type": "object",
    "additionalProperties": {"type": "string", "minLength": 1},
    "default": {},
    "description": "region -> why its data has no cross-region copy (no region of its "
    "jurisdiction, and the law keeps the data class home); the deviation is recorded here, "
    "reviewed with the pack config",
}


def _validate_s3_replication(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    tag_key = str(config.get("classificationTagKey") or "data-classification")
    values = [v.lower() for v in cfg_strings(config, "classificationValues", _SENSITIVE_DEFAULT)]
    require_cross_region = cfg_bool(config, "requireCrossRegion", True)
    pinned = _residency_pinned(config)

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
                # A rule that exists but is Disabled leaves the objects it selects unreplicated
                # while the configuration looks like disaster recovery.
                findings.append(("bad", [f"rules[{index}].status is '{status}'"]))
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
        applies_to=_outside(pinned, _classified_as(values, tag_key)),
        config_message=lambda r, problems: (
            f"S3 replication configuration '{r.name}': {'; '.join(problems)}. Fix: set every "
            "rule's status to 'Enabled' (delete a rule that is no longer wanted) and replicate "
            "to a bucket in another region."
        ),
        missing_message=lambda b: (
            f"S3 bucket '{b.name}' is tagged {tag_key} in {values} but has no "
            "s3.BucketReplicationConfig. Fix: add an s3.BucketReplicationConfig whose bucket is "
            "this bucket, replicating to a versioned, KMS-encrypted bucket in another region."
        ),
    )


s3_sensitive_bucket_replication = stack_policy(
    "s3-sensitive-bucket-replication",
    "S3 buckets tagged data-classification = confidential or restricted have an "
    "s3.BucketReplicationConfig whose rules are all enabled (a Disabled rule is refused), "
    "replicating to another region (disaster recovery). Meant for prod; the tag key/values are "
    "configurable.",
    concern=CONCERN,
    service="s3",
    severity=Severity.HIGH,
    controls=RESILIENCE,
    enforcement=EnforcementLevel.ADVISORY,
    types=type_tokens.S3_BUCKET_TYPES,
    validate=_validate_s3_replication,
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
            "residencyPinnedRegions": _RESIDENCY_PINNED_SCHEMA,
        }
    ),
)


def _no_inline_replication(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get(args.props, "replicationConfiguration") is None:
        return
    report(
        f"{label(args.resource_type, args.name)} declares replication in its deprecated inline "
        "replicationConfiguration: the provider only detects drift when it is set, it fights "
        "with any s3.BucketReplicationConfig of the bucket, and the replication policies cannot "
        "check it. Fix: remove replicationConfiguration and declare an "
        "s3.BucketReplicationConfig whose bucket is this bucket.",
        None,
    )


s3_no_inline_replication = resource_policy(
    "s3-no-inline-replication",
    "S3 buckets (Bucket, BucketV2) declare no inline replicationConfiguration (deprecated in "
    "pulumi-aws); replication is an s3.BucketReplicationConfig resource.",
    concern=CONCERN,
    service="s3",
    severity=Severity.MEDIUM,
    controls=RESILIENCE | CHANGE_MANAGEMENT,
    validators=dict.fromkeys(type_tokens.S3_BUCKET_TYPES, _no_inline_replication),
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


s3_log_bucket_lifecycle = stack_policy(
    "s3-log-bucket-lifecycle",
    "S3 log buckets (name matches a logs pattern or tag purpose = logs) have an "
    "s3.BucketLifecycleConfiguration with an enabled expiration/transition rule, so log "
    "retention is bounded and cheap.",
    concern=CONCERN,
    service="s3",
    severity=Severity.LOW,
    controls=DATA_RETENTION | LOG_RETENTION,
    enforcement=EnforcementLevel.ADVISORY,
    types=type_tokens.S3_BUCKET_TYPES,
    validate=_validate_log_lifecycle,
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
    "aws:secretsmanager/secret:Secret",
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


stateful_resources_protected = resource_policy(
    "stateful-resources-protected",
    "Stateful resources (RDS/Aurora clusters, instances and global clusters, DynamoDB and "
    "Keyspaces tables, keyspaces, MSK clusters, S3 buckets, KMS keys, Backup vaults, EBS "
    "volumes, ElastiCache replication groups and serverless caches, Secrets Manager secrets) "
    "carry the Pulumi `protect` resource option.",
    concern=CONCERN,
    service=("pulumi", "rds", "dynamodb", "keyspaces", "msk", "s3", "kms"),
    severity=Severity.HIGH,
    controls=DELETION_PROTECTION | CHANGE_MANAGEMENT,
    validate=_validate_protect,
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
    pinned = _residency_pinned(args.get_config())
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
        if plan_region in pinned:
            continue  # recovery points stay in the region's own (locked) vault
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


backup_plan_cross_region_copy = stack_policy(
    "backup-plan-cross-region-copy",
    "Every rule of every AWS Backup plan copies its recovery points to a vault in another "
    "region (a copyActions entry whose destinationVaultArn region differs from the plan's "
    "provider region). Meant for prod.",
    concern=CONCERN,
    service="backup",
    severity=Severity.HIGH,
    controls=BACKUP | RESILIENCE,
    enforcement=EnforcementLevel.ADVISORY,
    types=(type_tokens.BACKUP_PLAN,),
    validate=_validate_backup_copies,
    config_schema=PolicyConfigSchema(
        properties={"residencyPinnedRegions": _RESIDENCY_PINNED_SCHEMA}
    ),
)


# --------------------------------------------------------------------------------------------
# Backup vaults are locked (prod)
# --------------------------------------------------------------------------------------------


def _vault_locks(args: StackValidationArgs, report: ReportViolation) -> None:
    locked_names: set[str] = set()
    locked_urns: set[str] = set()
    unknown = False
    for resource in args.resources:
        if resource.resource_type != "aws:backup/vaultLockConfiguration:VaultLockConfiguration":
            continue
        name = pget(plain(resource.props), "backupVaultName")
        if is_unknown(name):
            unknown = True
        elif isinstance(name, str):
            locked_names.add(name)
        locked_urns |= {d.urn for d in resource.property_dependencies.get("backupVaultName", [])}
    for vault in args.resources:
        if vault.resource_type != "aws:backup/vault:Vault":
            continue
        name = pget(plain(vault.props), "name")
        if vault.urn in locked_urns or (isinstance(name, str) and name in locked_names):
            continue
        if unknown or is_unknown(name):
            continue  # cannot tell during preview
        report(
            f"backup.Vault '{vault.name}' has no Vault Lock: anyone with backup:Delete* can "
            "delete its recovery points, ransomware included. Fix: add an "
            "aws.backup.VaultLockConfiguration for it (minRetentionDays, maxRetentionDays, "
            "changeableForDays for compliance mode).",
            vault.urn,
        )


backup_vault_locked = stack_policy(
    "backup-vault-locked",
    "Every AWS Backup vault has a Vault Lock configuration, so recovery points cannot be "
    "deleted or their retention shortened before it ends. Meant for prod.",
    concern=CONCERN,
    service="backup",
    severity=Severity.HIGH,
    controls=BACKUP | DELETION_PROTECTION,
    enforcement=EnforcementLevel.ADVISORY,
    types=(type_tokens.BACKUP_VAULT,),
    validate=_vault_locks,
)


def _efs_regional(args: ResourceValidationArgs, report: ReportViolation) -> None:
    zone = args.props.get("availabilityZoneName")
    if zone:
        report(
            f"efs.FileSystem '{args.name}' is a One Zone file system ({zone}): it is lost with "
            "its Availability Zone. Fix: leave availability_zone_name unset (Regional file "
            "system, data in every zone of the region).",
            None,
        )


efs_regional = resource_policy(
    "efs-regional",
    "EFS file systems are Regional (no availabilityZoneName), so one Availability Zone's loss "
    "loses no data.",
    concern=CONCERN,
    service="efs",
    severity=Severity.MEDIUM,
    controls=RESILIENCE,
    validators={"aws:efs/fileSystem:FileSystem": _efs_regional},
)


POLICIES: list[Policy] = [
    # s3
    s3_bucket_versioning,
    s3_sensitive_bucket_replication,
    s3_no_inline_replication,
    s3_log_bucket_lifecycle,
    # pulumi
    stateful_resources_protected,
    # backup
    backup_plan_cross_region_copy,
    backup_vault_locked,
    # efs
    efs_regional,
]
