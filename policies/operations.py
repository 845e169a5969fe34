"""Operations policies: the audit trail exists and is kept, and the next ``pulumi up`` never
fights an autoscaler.

EKS control-plane logs (all five types, including audit and authenticator), CloudWatch log
groups with a bounded retention, and EKS managed node groups whose desired size belongs to the
autoscaler (``ignoreChanges``).
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from .compliance import (
    CAPACITY,
    CHANGE_MANAGEMENT,
    LOG_RETENTION,
    LOGGING,
)
from .declare import resource_policy
from .support import as_int, as_list, config, get, label

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


def _log_group_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != LOG_GROUP:
        return
    minimum = as_int(config(args, "minimumDays", 7), 7) or 7
    days = as_int(get(args.props, "retentionInDays"))
    if days is None or days == 0 or days < minimum:
        shown = "never expire" if not days else f"are kept {days} days"
        report(
            f"{label(args.resource_type, args.name)}: log events {shown} (retentionInDays). "
            f"Fix: set retentionInDays to a CloudWatch retention value of at least {minimum} "
            "days that matches the data's retention requirement (archive older logs to S3).",
            None,
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
                "minimumDays": {"type": "integer", "minimum": 1, "maximum": 3653, "default": 7}
            }
        ),
    ),
]
