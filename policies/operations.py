"""Operations policies: the audit trail exists and is kept, and the next ``pulumi up`` never
fights an autoscaler.

EKS control-plane logs (all five types, including audit and authenticator), CloudWatch log
groups with a bounded retention, and EKS managed node groups whose desired size belongs to the
autoscaler (``ignoreChanges``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from . import type_tokens
from .compliance import (
    AUDIT_LOG_INTEGRITY,
    CAPACITY,
    CHANGE_MANAGEMENT,
    LOG_RETENTION,
    LOGGING,
)
from .declare import resource_policy, stack_policy
from .support import (
    as_int,
    as_list,
    cfg_number,
    cfg_strings,
    cfg_value,
    config,
    effective_tags,
    get,
    is_unknown,
    label,
    pget,
    plain,
    provider_default_tags,
)

CONCERN = "operations"


EKS_CLUSTER: Final = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP: Final = "aws:eks/nodeGroup:NodeGroup"
LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
CONTROL_PLANE_LOG_TYPES: Final = (
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
)
# ignoreChanges entries that leave the desired size to the autoscaler.
_DESIRED_SIZE_PATHS: Final = frozenset(
    {"scalingConfig.desiredSize", "scalingConfig", "scaling_config.desired_size"}
)


def _control_plane_logging(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    required = [str(t) for t in config(args, "requiredLogTypes", list(CONTROL_PLANE_LOG_TYPES))]
    enabled = {str(t) for t in as_list(get(args.props, "enabledClusterLogTypes"))}
    missing = [t for t in required if t not in enabled]
    if missing:
        report(
            f"{label(args.resource_type, args.name)} does not send the control-plane logs "
            f"{missing} to CloudWatch, so API calls and sign-ins leave no trail. Fix: set "
            f"enabledClusterLogTypes = {required} and create the log group "
            "/aws/eks/<cluster name>/cluster first, KMS-encrypted and with a retention.",
            None,
        )


LOG_HOT_DAYS_BY_CLASS: Final = {"public": 7, "internal": 30, "confidential": 30, "restricted": 30}
"""Shortest CloudWatch retention per data class (the ``data-classification`` tag): the design's
hot, fast-query tier is 30 days (architecture.txt, "Observability": "30 days Hot Retention /
Fast query tier; 1 year Warm Retention; 7 years Cold Archive"); public logs only need the
pack's floor. Environments override it in policies/config/<env>.json (dev keeps 7 days)."""
ARCHIVE_CLASSES: Final = ("confidential", "restricted")
"""Data classes whose logs the design keeps a year (warm) and seven years (cold archive)."""
WARM_DAYS: Final = 365
ARCHIVE_TAG: Final = {"key": "meridian:evidence", "value": "audit"}
"""How the log archive bucket is tagged (Object Lock evidence bucket, policies/audit.py)."""
SUBSCRIPTION_FILTER: Final = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
FIREHOSE: Final = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"


def _data_class(args: ResourceValidationArgs) -> str | None:
    value = effective_tags(args.props, args.provider).get("data-classification")
    return str(value) if value is not None else None


def _log_group_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != LOG_GROUP:
        return
    floor = as_int(config(args, "minimumDays", 7), 7) or 7
    by_class = config(args, "minimumDaysByClass", LOG_HOT_DAYS_BY_CLASS)
    data_class = _data_class(args)
    required = as_int(by_class.get(data_class)) if data_class in by_class else None
    minimum = max(floor, required or 0)
    days = as_int(get(args.props, "retentionInDays"))
    if days is None or days == 0 or days < minimum:
        shown = "never expire" if not days else f"are kept {days} days"
        why = f" ({data_class} data needs {minimum})" if required and required >= floor else ""
        report(
            f"{label(args.resource_type, args.name)}: log events {shown} (retentionInDays)"
            f"{why}. Fix: set retentionInDays to a CloudWatch retention value of at least "
            f"{minimum} days that matches the data's retention requirement (archive older logs "
            "to S3).",
            None,
        )


def _archive_buckets(args: StackValidationArgs, tag: Mapping[str, Any]) -> set[str]:
    names = set()
    for resource in args.resources:
        if resource.resource_type not in type_tokens.S3_BUCKET_TYPES:
            continue
        props = plain(resource.props)
        tags = props.get("tags")
        if isinstance(tags, dict) and tags.get(tag.get("key")) == tag.get("value"):
            bucket = props.get("bucket")
            if isinstance(bucket, str) and not is_unknown(bucket):
                names.add(bucket)
    return names


def _archive_streams(args: StackValidationArgs, buckets: set[str]) -> tuple[set[str], bool]:
    """Names of Firehose streams writing into an archive bucket; whether any stream's
    destination is unknown (preview)."""
    names, unknown = set(), False
    for resource in args.resources:
        if resource.resource_type != FIREHOSE:
            continue
        props = plain(resource.props)
        arn = pget(props, "extendedS3Configuration", "bucketArn")
        name = props.get("name")
        if is_unknown(arn) or is_unknown(name):
            unknown = True
        elif isinstance(arn, str) and arn.rsplit(":", 1)[-1] in buckets:
            names.add(str(name))
    return names, unknown


def _archived_groups(args: StackValidationArgs, streams: set[str]) -> tuple[set[str], bool]:
    """Log group names with a subscription filter into one of ``streams``; whether any filter
    is unknown (preview)."""
    groups, unknown = set(), False
    for resource in args.resources:
        if resource.resource_type != SUBSCRIPTION_FILTER:
            continue
        props = plain(resource.props)
        group, destination = props.get("logGroup"), props.get("destinationArn")
        if is_unknown(group) or is_unknown(destination):
            unknown = True
        elif isinstance(destination, str) and destination.rsplit("/", 1)[-1] in streams:
            groups.add(str(group))
    return groups, unknown


def _log_groups_archived(args: StackValidationArgs, report: ReportViolation) -> None:
    cfg = args.get_config()
    classes = set(cfg_strings(cfg, "archiveClasses", list(ARCHIVE_CLASSES)))
    warm = int(cfg_number(cfg, "warmDays", WARM_DAYS))
    tag = cfg_value(cfg, "archiveBucketTag", ARCHIVE_TAG)
    streams, unknown_stream = _archive_streams(args, _archive_buckets(args, tag))
    archived, unknown_filter = _archived_groups(args, streams)
    for resource in args.resources:
        if resource.resource_type != LOG_GROUP:
            continue
        props = plain(resource.props)
        tags = props.get("tags")
        merged = {
            **provider_default_tags(resource.provider),
            **(tags if isinstance(tags, dict) else {}),
        }
        days, name = props.get("retentionInDays"), props.get("name")
        if merged.get("data-classification") not in classes or is_unknown(days):
            continue
        if isinstance(days, int | float) and (days == 0 or days >= warm):
            continue  # CloudWatch itself keeps them the year (0 = never expire)
        if is_unknown(name) or name in archived or unknown_stream or unknown_filter:
            continue
        report(
            f"{label(resource.resource_type, resource.name)} ({merged.get('data-classification')}"
            f") keeps events {days} days and no subscription filter sends them to a Firehose "
            "stream that writes into the log archive bucket, so the design's 1-year warm and "
            "7-year cold tiers never receive them. Fix: add a LogSubscriptionFilter on the group "
            "whose destinationArn is a Firehose delivery stream into the archive bucket (tagged "
            f"{tag.get('key')}={tag.get('value')}), or keep them {warm} days in CloudWatch.",
            resource.urn,
        )


def _nodegroup_scaling(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_NODE_GROUP:
        return
    where = label(args.resource_type, args.name)
    scaling = get(args.props, "scalingConfig")
    low = as_int(get(scaling, "minSize"))
    high = as_int(get(scaling, "maxSize"))
    desired = as_int(get(scaling, "desiredSize"))
    if low is None or high is None or desired is None or not low <= desired <= high:
        report(
            f"{where} scalingConfig has minSize={low}, desiredSize={desired}, maxSize={high}: "
            "it needs minSize <= desiredSize <= maxSize. Fix: declare scalingConfig "
            "{minSize, desiredSize, maxSize} from the pool's settings.",
            None,
        )
    ignored = {str(p) for p in args.opts.ignore_changes or []}
    if not ignored & _DESIRED_SIZE_PATHS:
        report(
            f"{where} does not ignore changes to scalingConfig.desiredSize, so the next "
            "`pulumi up` resets whatever the autoscaler (or an operator) scaled the group to. "
            "Fix: add ignore_changes=['scalingConfig.desiredSize'] to its resource options.",
            None,
        )


POLICIES: list[Policy] = [
    # eks
    resource_policy(
        "eks-control-plane-logging",
        "EKS clusters send all five control-plane log types to CloudWatch "
        "(enabledClusterLogTypes: api, audit, authenticator, controllerManager, scheduler).",
        concern=CONCERN,
        service="eks",
        severity=Severity.HIGH,
        controls=LOGGING,
        validate=_control_plane_logging,
        config_schema=PolicyConfigSchema(
            properties={
                "requiredLogTypes": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(CONTROL_PLANE_LOG_TYPES)},
                    "default": list(CONTROL_PLANE_LOG_TYPES),
                }
            }
        ),
    ),
    resource_policy(
        "eks-nodegroup-scaling",
        "EKS managed node groups declare scalingConfig (minSize <= desiredSize <= maxSize) and "
        "ignore changes to scalingConfig.desiredSize, which the autoscaler owns.",
        concern=CONCERN,
        service="eks",
        severity=Severity.MEDIUM,
        controls=CAPACITY | CHANGE_MANAGEMENT,
        validate=_nodegroup_scaling,
    ),
    # cloudwatch
    resource_policy(
        "cloudwatch-log-group-retention",
        "CloudWatch log groups keep events for a bounded period of at least minimumDays "
        "(retentionInDays set, not 0 = never expire; default minimum 7 days).",
        concern=CONCERN,
        service="cloudwatch",
        severity=Severity.MEDIUM,
        controls=LOG_RETENTION,
        validate=_log_group_retention,
        config_schema=PolicyConfigSchema(
            properties={
                "minimumDays": {"type": "integer", "minimum": 1, "maximum": 3653, "default": 7},
                "minimumDaysByClass": {
                    "type": "object",
                    "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 3653},
                    "default": dict(LOG_HOT_DAYS_BY_CLASS),
                },
            }
        ),
    ),
    stack_policy(
        "cloudwatch-log-group-archived",
        "Log groups whose data class the design keeps a year (archiveClasses: confidential, "
        "restricted) reach the log archive: a subscription filter into a Firehose stream that "
        "writes into the archive bucket (tagged meridian:evidence=audit), unless CloudWatch "
        "itself keeps them warmDays (365).",
        concern=CONCERN,
        service=("cloudwatch", "firehose"),
        severity=Severity.MEDIUM,
        controls=LOG_RETENTION | AUDIT_LOG_INTEGRITY,
        enforcement=EnforcementLevel.ADVISORY,
        types=(LOG_GROUP, SUBSCRIPTION_FILTER, FIREHOSE),
        validate=_log_groups_archived,
        config_schema=PolicyConfigSchema(
            properties={
                "archiveClasses": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": list(ARCHIVE_CLASSES),
                },
                "warmDays": {"type": "integer", "minimum": 1, "maximum": 3653, "default": 365},
                "archiveBucketTag": {
                    "type": "object",
                    "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
                    "default": dict(ARCHIVE_TAG),
                },
            }
        ),
    ),
]
