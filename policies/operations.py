"""Operations policies: the audit trail exists and is kept, alarms reach someone, and the next
``pulumi up`` never fights an autoscaler.

EKS control-plane logs (all five types, including audit and authenticator), access logs of load
balancers (including those the AWS Load Balancer Controller creates from Service annotations)
and CloudFront distributions, CloudWatch log groups with a bounded retention, CloudWatch alarms
with actions, and EKS managed node groups whose desired size belongs to the autoscaler
(``ignoreChanges``).
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
    OBSERVABILITY,
)
from .declare import resource_policy, stack_policy
from .kubernetes_objects import installs
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
    linked_urns,
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


def _archive_buckets(args: StackValidationArgs, tag: Mapping[str, Any]) -> tuple[set[str], bool]:
    """Names of the buckets tagged as the log archive; whether a bucket's tag or the archive's
    name is unknown (preview)."""
    names, unknown = set(), False
    for resource in args.resources:
        if resource.resource_type not in type_tokens.S3_BUCKET_TYPES:
            continue
        props = plain(resource.props)
        tags = props.get("tags")
        if is_unknown(tags) or (isinstance(tags, dict) and is_unknown(tags.get(tag.get("key")))):
            unknown = True
        elif isinstance(tags, dict) and tags.get(tag.get("key")) == tag.get("value"):
            bucket = props.get("bucket")
            if isinstance(bucket, str) and not is_unknown(bucket):
                names.add(bucket)
            else:
                unknown = True
    return names, unknown


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
    buckets, unknown_bucket = _archive_buckets(args, tag)
    streams, unknown_stream = _archive_streams(args, buckets)
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
        if is_unknown(name) or name in archived:
            continue
        if unknown_bucket or unknown_stream or unknown_filter:  # preview cannot tell
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


# --------------------------------------------------------------------------------------------
# CloudWatch alarms route somewhere
# --------------------------------------------------------------------------------------------
METRIC_ALARM: Final = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM: Final = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


def _alarm_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    if get(args.props, "actionsEnabled") is False:
        report(
            f"{where} sets actionsEnabled = false: it changes state and tells nobody. Fix: "
            "remove actionsEnabled (default true).",
            None,
        )
    actions = [a for a in as_list(get(args.props, "alarmActions")) if a]
    if not actions:
        report(
            f"{where} has no alarmActions: it changes state and tells nobody. Fix: set "
            "alarmActions to the SNS topic of the alarm's severity (and okActions to close the "
            "page).",
            None,
        )


# --------------------------------------------------------------------------------------------
# Access logs of load balancers and CloudFront
# --------------------------------------------------------------------------------------------
LOAD_BALANCER_TYPES: Final = (
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:alb/loadBalancer:LoadBalancer",
)
K8S_SERVICE: Final = "kubernetes:core/v1:Service"
HELM_RELEASE: Final = type_tokens.HELM_RELEASE
# The AWS Load Balancer Controller's annotation carrying load balancer attributes
# (comma-separated key=value of the ELBv2 attribute names).
LB_ATTRIBUTES_ANNOTATION: Final = "service.beta.kubernetes.io/aws-load-balancer-attributes"
CLOUDFRONT_DISTRIBUTION: Final = "aws:cloudfront/distribution:Distribution"
LOG_DELIVERY_SOURCE: Final = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DELIVERY: Final = "aws:cloudwatch/logDelivery:LogDelivery"


def _load_balancer_logs(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get(args.props, "loadBalancerType") == "gateway":
        return  # Gateway Load Balancers have no access logs
    enabled = get(args.props, "accessLogs", "enabled")
    bucket = get(args.props, "accessLogs", "bucket")
    if enabled is True and isinstance(bucket, str) and bucket.strip():
        return
    report(
        f"{label(args.resource_type, args.name)} does not write access logs "
        f"(accessLogs.enabled = {enabled!r}, bucket = {bucket!r}; the default is off): no "
        "record of who connected. Fix: set accessLogs = {enabled: true, bucket: <the region's "
        "log archive bucket>}.",
        None,
    )


def _attributes(value: Any) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in str(value or "").split(",") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs}


def _service_logs_problem(service_type: Any, annotations: Any) -> str:
    if service_type != "LoadBalancer":
        return ""
    annotations = annotations if isinstance(annotations, Mapping) else {}
    raw = (
        annotations[LB_ATTRIBUTES_ANNOTATION]
        if LB_ATTRIBUTES_ANNOTATION in list(annotations)
        else ""
    )
    attributes = _attributes(raw)
    if attributes.get("access_logs.s3.enabled") == "true" and attributes.get(
        "access_logs.s3.bucket"
    ):
        return ""
    return (
        f"is a LoadBalancer Service whose {LB_ATTRIBUTES_ANNOTATION} annotation "
        f"({raw!r}) does not set access_logs.s3.enabled=true and access_logs.s3.bucket, so the "
        "load balancer the controller creates writes no access logs"
    )


def _k8s_lb_logs(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == K8S_SERVICE:
        problem = _service_logs_problem(
            get(args.props, "spec", "type"), get(args.props, "metadata", "annotations")
        )
        where = label(args.resource_type, args.name)
    elif installs(args.props, "gateway"):
        service = get(args.props, "values", "service", default={})
        problem = _service_logs_problem(
            get(service, "type", default="LoadBalancer"),  # the gateway chart's default
            get(service, "annotations"),
        )
        where = f"{label(args.resource_type, args.name)} (values.service)"
    else:
        return
    if problem:
        report(
            f"{where} {problem}. Fix: add access_logs.s3.enabled=true,access_logs.s3.bucket="
            f"<log archive bucket> to the {LB_ATTRIBUTES_ANNOTATION} annotation.",
            None,
        )


def _access_log_source(log_type: Any) -> bool:
    """An ACCESS_LOGS delivery source; an unknown type may be one (never fail on unknown)."""
    return is_unknown(log_type) or log_type == "ACCESS_LOGS"


def _cloudfront_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    sources = [
        r
        for r in resources
        if r.resource_type == LOG_DELIVERY_SOURCE
        and _access_log_source(pget(plain(r.props), "logType"))
    ]
    deliveries = [r for r in resources if r.resource_type == LOG_DELIVERY]
    for distribution in resources:
        if distribution.resource_type != CLOUDFRONT_DISTRIBUTION:
            continue
        bucket = pget(plain(distribution.props), "loggingConfig", "bucket")
        if is_unknown(bucket) or (isinstance(bucket, str) and bucket.strip()):
            continue
        delivered = any(
            distribution.urn in linked_urns(source, "resourceArn")
            and any(source.urn in linked_urns(d, "deliverySourceName") for d in deliveries)
            for source in sources
        )
        if delivered:
            continue
        report(
            f"{label(distribution.resource_type, distribution.name)} writes no access logs: no "
            "loggingConfig bucket and no standard logging v2 delivery (a cloudwatch."
            "LogDeliverySource with logType ACCESS_LOGS for it and a LogDelivery from that "
            "source). Fix: add a LogDeliverySource (logType ACCESS_LOGS, resourceArn = the "
            "distribution's ARN), a LogDeliveryDestination and a LogDelivery.",
            distribution.urn,
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
    # cloudwatch
    resource_policy(
        "cloudwatch-alarm-actions",
        "CloudWatch metric and composite alarms notify someone: alarmActions is not empty and "
        "actionsEnabled is not false (an alarm without actions changes state silently).",
        concern=CONCERN,
        service="cloudwatch",
        severity=Severity.HIGH,
        controls=OBSERVABILITY,
        validators=dict.fromkeys((METRIC_ALARM, COMPOSITE_ALARM), _alarm_actions),
    ),
    # elasticloadbalancing
    resource_policy(
        "lb-access-logging",
        "Application and Network Load Balancers write access logs to S3 (accessLogs.enabled = "
        "true with a bucket), and so do those the AWS Load Balancer Controller creates for "
        "LoadBalancer Services and the Istio gateway chart's values.service (annotation "
        "aws-load-balancer-attributes with access_logs.s3.enabled=true and "
        "access_logs.s3.bucket).",
        concern=CONCERN,
        service=("elasticloadbalancing", "kubernetes"),
        severity=Severity.MEDIUM,
        controls=LOGGING,
        validators={
            **dict.fromkeys(LOAD_BALANCER_TYPES, _load_balancer_logs),
            K8S_SERVICE: _k8s_lb_logs,
            HELM_RELEASE: _k8s_lb_logs,
        },
    ),
    # cloudfront
    stack_policy(
        "cloudfront-access-logging",
        "CloudFront distributions write access logs: a loggingConfig bucket (legacy standard "
        "logs) or a standard logging v2 delivery (cloudwatch.LogDeliverySource with logType "
        "ACCESS_LOGS for the distribution, delivered by a cloudwatch.LogDelivery).",
        concern=CONCERN,
        service="cloudfront",
        severity=Severity.MEDIUM,
        controls=LOGGING,
        types=(CLOUDFRONT_DISTRIBUTION,),
        validate=_cloudfront_logs,
    ),
]
