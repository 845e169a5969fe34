"""Audit and posture policies: the audit trail, threat detection, compliance
standards, configuration recording, and immutable audit evidence.

- ``cloudtrail-multi-region-validated``: trails record every region and global services, sign
  their log files (validation) and encrypt with a customer-managed key.
- ``guardduty-detector-features``: every GuardDuty detector is enabled with the protection plans
  Meridian relies on (EKS audit logs, runtime monitoring, S3, RDS login, EBS malware).
- ``securityhub-standards``: a stack that enables Security Hub subscribes to the required
  standards (AWS Foundational Security Best Practices, CIS AWS Foundations Benchmark).
- ``vpc-flow-log-all-traffic``, ``vpc-flow-logs-every-vpc``: every VPC has a flow log that
  records all traffic to a named destination.
- ``config-recorder-all-supported``: AWS Config recorders record every supported resource type.
- ``s3-access-log-delivery-scoped``: a bucket policy letting S3 server access logging write names
  the source buckets (``aws:SourceArn``) and their account (``aws:SourceAccount``).
- ``s3-audit-bucket-object-lock``: buckets tagged as audit evidence (``meridian:evidence`` =
  ``audit``) have Object Lock in COMPLIANCE mode with a default retention of at least
  ``minimumDays``.

Log groups: encryption and retention are existing policies, reused (``cloudwatch-log-group-cmk``
in encryption_services, ``cloudwatch-log-group-retention`` in operations).
Values unknown during preview never make a policy fail.
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import (
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
    ASSET_INVENTORY,
    AUDIT_LOG_INTEGRITY,
    CONFIG_MONITORING,
    LOG_RETENTION,
    LOGGING,
    THREAT_DETECTION,
)
from .declare import resource_policy, stack_policy
from .s3_matching import check_bucket_coverage
from .support import (
    Finding,
    Verdict,
    as_int,
    as_list,
    config,
    is_unknown,
    kms_key_problem,
    label,
    linked_urns,
    pget,
    plain,
    policy_statements,
)

CONCERN = "audit"


TRAIL: Final = "aws:cloudtrail/trail:Trail"
DETECTOR: Final = "aws:guardduty/detector:Detector"
DETECTOR_FEATURE: Final = "aws:guardduty/detectorFeature:DetectorFeature"
HUB: Final = "aws:securityhub/account:Account"
STANDARD: Final = "aws:securityhub/standardsSubscription:StandardsSubscription"
RECORDER: Final = "aws:cfg/recorder:Recorder"
RECORDER_STATUS: Final = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY_CHANNEL: Final = "aws:cfg/deliveryChannel:DeliveryChannel"
OBJECT_LOCK: Final = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
EVIDENCE_TAG: Final = "meridian:evidence"

DEFAULT_FEATURES: Final = (
    "EKS_AUDIT_LOGS",
    "RUNTIME_MONITORING",
    "S3_DATA_EVENTS",
    "RDS_LOGIN_EVENTS",
    "EBS_MALWARE_PROTECTION",
)
DEFAULT_STANDARDS: Final = (
    "aws-foundational-security-best-practices",
    "cis-aws-foundations-benchmark",
)


# --- the trail ---------------------------------------------------------------------------------


def _trail(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != TRAIL:
        return
    props = plain(args.props)
    problems = [
        f"{key} is not true"
        for key in ("isMultiRegionTrail", "includeGlobalServiceEvents", "enableLogFileValidation")
        if not is_unknown(props.get(key)) and props.get(key) is not True
    ]
    key = props.get("kmsKeyId")
    if not is_unknown(key):
        problem = kms_key_problem(key)
        if problem:
            problems.append(f"kmsKeyId {problem}")
    if problems:
        report(
            f"{label(args.resource_type, args.name)}: {'; '.join(problems)}. An audit trail must "
            "record every region and the global services, sign its log files and encrypt them "
            "with a customer-managed key. Fix: set is_multi_region_trail=True, "
            "include_global_service_events=True, enable_log_file_validation=True and kms_key_id "
            "= the ARN of a CMK whose policy admits cloudtrail.amazonaws.com for this trail.",
            None,
        )


def _trail_monitored(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != TRAIL:
        return
    props = plain(args.props)
    missing = [
        key
        for key in ("cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn", "snsTopicName")
        if not is_unknown(props.get(key)) and not props.get(key)
    ]
    if missing:
        report(
            f"{label(args.resource_type, args.name)} does not set {missing}: its events reach "
            "only S3, where no metric filter or alarm sees a root sign-in or a policy change "
            "within minutes, and nobody is told when a log file lands. Fix: set "
            "cloud_watch_logs_group_arn ('<log group ARN>:*') and cloud_watch_logs_role_arn (a "
            "role CloudTrail assumes, allowed logs:CreateLogStream and logs:PutLogEvents on that "
            "group only) and sns_topic_name (a KMS-encrypted topic whose policy admits "
            "cloudtrail.amazonaws.com for this trail).",
            None,
        )


def _recorder_status(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != RECORDER_STATUS:
        return
    enabled = plain(args.props).get("isEnabled")
    if not is_unknown(enabled) and enabled is not True:
        report(
            f"{label(args.resource_type, args.name)}: isEnabled is not true, so the recorder "
            "records nothing. Fix: set is_enabled=True.",
            None,
        )


def _delivery_channel(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != DELIVERY_CHANNEL:
        return
    key = plain(args.props).get("s3KmsKeyArn")
    if is_unknown(key):
        return
    problem = kms_key_problem(key)
    if problem:
        report(
            f"{label(args.resource_type, args.name)}: s3KmsKeyArn {problem}, so configuration "
            "snapshots are not encrypted with a customer-managed key. Fix: set s3_kms_key_arn to "
            "the archive bucket's CMK.",
            None,
        )


def _recorder(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != RECORDER:
        return
    group = pget(plain(args.props), "recordingGroup")
    if is_unknown(group):
        return
    everything = pget(group, "allSupported") if isinstance(group, dict) else None
    if is_unknown(everything):
        return
    if everything is not True:
        report(
            f"{label(args.resource_type, args.name)} does not record all supported resource "
            "types, so changes to the others leave no configuration history. Fix: set "
            "recording_group={'all_supported': True} (include_global_resource_types in one "
            "region of the account).",
            None,
        )


# --- detection and standards (stack policies) --------------------------------------------------


def _of_type(args: StackValidationArgs, resource_type: str) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type == resource_type]


def _detector_features(args: StackValidationArgs, report: ReportViolation) -> None:
    detectors = _of_type(args, DETECTOR)
    if not detectors:
        return
    for detector in detectors:
        enable = plain(detector.props).get("enable")
        if enable is False:
            report(f"{label(DETECTOR, detector.name)} is disabled. Fix: enable=True.", detector.urn)
    required = [str(f) for f in config(args, "requiredFeatures", list(DEFAULT_FEATURES))]
    statuses: dict[str, Any] = {}
    for feature in _of_type(args, DETECTOR_FEATURE):
        props = plain(feature.props)
        name = props.get("name")
        if is_unknown(name):
            return  # cannot tell which feature it is yet
        statuses[str(name)] = props.get("status")
    missing = [
        f for f in required if not is_unknown(statuses.get(f)) and statuses.get(f) != "ENABLED"
    ]
    if missing:
        report(
            f"GuardDuty detector(s) {[d.name for d in detectors]} lack the protection plans "
            f"{missing}. Fix: add an aws.guardduty.DetectorFeature(detector_id=detector.id, "
            "name=<plan>, status='ENABLED') per plan (RUNTIME_MONITORING with the "
            "EKS_ADDON_MANAGEMENT additional configuration).",
            detectors[0].urn,
        )


def _standards(args: StackValidationArgs, report: ReportViolation) -> None:
    hubs = _of_type(args, HUB)
    if not hubs:
        return
    required = [str(s) for s in config(args, "requiredStandards", list(DEFAULT_STANDARDS))]
    arns: list[str] = []
    for subscription in _of_type(args, STANDARD):
        arn = plain(subscription.props).get("standardsArn")
        if is_unknown(arn):
            return
        arns.append(str(arn))
    missing = [s for s in required if not any(f"/{s}/" in arn for arn in arns)]
    if missing:
        report(
            f"Security Hub is enabled ({hubs[0].name}) without the standards {missing}: their "
            "controls never run. Fix: add aws.securityhub.StandardsSubscription(standards_arn="
            "'arn:aws:securityhub:<region>::standards/<standard>/v/<version>') for each, "
            "depending on the hub.",
            hubs[0].urn,
        )


# --- audit evidence is immutable ---------------------------------------------------------------


def _is_evidence(_resource: PolicyResource, props: dict[str, Any]) -> Verdict:
    tags = props.get("tags")
    if is_unknown(tags):
        return "unknown"
    value = tags.get(EVIDENCE_TAG) if isinstance(tags, dict) else None
    return "ok" if value == "audit" else "bad"


def _lock_finding(props: dict[str, Any], minimum_days: int) -> Finding:
    retention = pget(props, "rule", "defaultRetention")
    if is_unknown(retention):
        return "unknown", []
    if not isinstance(retention, dict):
        return "bad", ["no default retention"]
    problems: list[str] = []
    mode = retention.get("mode")
    if not is_unknown(mode) and mode != "COMPLIANCE":
        problems.append(f"mode is {mode!r}, not COMPLIANCE")
    days = as_int(retention.get("days"))
    years = as_int(retention.get("years"))
    if is_unknown(retention.get("days")) or is_unknown(retention.get("years")):
        return ("bad", problems) if problems else ("unknown", [])
    total = (days or 0) + 365 * (years or 0)
    if total < minimum_days:
        problems.append(f"retention {total} days is below {minimum_days}")
    return ("bad", problems) if problems else ("ok", [])


def _audit_object_lock(args: StackValidationArgs, report: ReportViolation) -> None:
    minimum = int(config(args, "minimumDays", 365))
    check_bucket_coverage(
        args,
        report,
        config_types=(OBJECT_LOCK,),
        applies_to=_is_evidence,
        evaluate_config=lambda _r, p: _lock_finding(p, minimum),
        config_message=lambda r, problems: (
            f"S3 Object Lock configuration '{r.name}' of an audit-evidence bucket: "
            f"{'; '.join(problems)}. Fix: rule={{'default_retention': {{'mode': 'COMPLIANCE', "
            f"'days': >= {minimum}}}}}."
        ),
        missing_message=lambda b: (
            f"S3 bucket '{b.name}' is tagged {EVIDENCE_TAG}=audit but has no Object Lock "
            "configuration in COMPLIANCE mode, so its evidence can be deleted or overwritten. "
            "Fix: add an s3.BucketObjectLockConfiguration(bucket=..., object_lock_enabled="
            "'Enabled', rule={'default_retention': {'mode': 'COMPLIANCE', 'days': ...}}) after "
            "its versioning."
        ),
    )


# --- VPC flow logs -------------------------------------------------------------------------------


def _flow_log(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    traffic = args.props.get("trafficType")
    if traffic != "ALL":
        report(
            f"{where} records trafficType={traffic!r}: rejected or accepted flows alone leave "
            "the other half of the network's history out of the audit trail. Fix: set "
            "trafficType='ALL'.",
            None,
        )
    if not (args.props.get("logDestination") or args.props.get("logGroupName")):
        report(
            f"{where} names no destination (logDestination). Fix: deliver to the region's log "
            "archive bucket (logDestinationType='s3', logDestination=<bucket ARN>).",
            None,
        )


def _every_vpc_logged(args: StackValidationArgs, report: ReportViolation) -> None:
    logs = _of_type(args, type_tokens.FLOW_LOG)
    logged = {urn for log in logs for urn in linked_urns(log, "vpcId")}
    for vpc in _of_type(args, type_tokens.VPC):
        if vpc.urn in logged:
            continue
        report(
            f"{label(type_tokens.VPC, vpc.name)} has no flow log: no record of who talked to "
            "whom inside it. Fix: add an aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL') "
            "delivering to the region's log archive.",
            vpc.urn,
        )


# --- S3 server access logging ----------------------------------------------------------------


def _bucket_logging(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    bucket = args.props.get("bucket")
    target = args.props.get("targetBucket")
    if not target:
        report(f"{where} names no targetBucket. Fix: log to the access-log bucket.", None)
    elif target == bucket:
        report(
            f"{where} logs bucket {bucket!r} into itself: every log delivery writes another "
            "object that is logged in turn. Fix: set targetBucket to the access-log bucket.",
            None,
        )


LOG_DELIVERY_SERVICE: Final = "logging.s3.amazonaws.com"
BUCKET_POLICY_PROPS: Final = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    type_tokens.S3_BUCKET: "policy",
    type_tokens.S3_BUCKET_V2: "policy",
}
LOG_DELIVERY_SOURCE_KEYS: Final = ("aws:SourceArn", "aws:SourceAccount")
"""The conditions of the S3 User Guide's bucket policy for server access log delivery: the
source buckets' ARNs and their account."""
_SOURCE_OPERATORS: Final = {
    "aws:sourcearn": ("arnlike", "arnequals", "stringequals", "stringlike"),
    "aws:sourceaccount": ("stringequals",),
}
"""The condition operators that pin each key to the given values (not a negation, not
`...IfExists`, which passes a request without the key)."""


def _names_a_source(key: str, value: Any) -> bool:
    """Whether a condition value names particular sources: not empty, and for the ARN no
    wildcard over every bucket (`*`, `arn:aws:s3:::*`)."""
    values = [str(v) for v in as_list(value)]
    if not values:
        return False
    if key == "aws:sourcearn":
        return all(v.split(":::", 1)[-1] not in ("", "*") and v != "*" for v in values)
    return all(v not in ("", "*") for v in values)


def _unscoped_keys(condition: Any) -> list[str]:
    """The source keys that `condition` leaves open: absent, under an operator that does not pin
    them, or with a value that names no particular source."""
    pinned: set[str] = set()
    if isinstance(condition, dict):
        for operator, block in condition.items():
            if not isinstance(block, dict):
                continue
            for key, value in block.items():
                key = str(key).lower()
                allowed = _SOURCE_OPERATORS.get(key, ())
                if str(operator).lower() in allowed and _names_a_source(key, value):
                    pinned.add(key)
    return [k for k in LOG_DELIVERY_SOURCE_KEYS if k.lower() not in pinned]


def _log_delivery_scoped(args: ResourceValidationArgs, report: ReportViolation) -> None:
    prop = BUCKET_POLICY_PROPS[args.resource_type]
    where = label(args.resource_type, args.name)
    for statement in policy_statements(args.props.get(prop)):
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else None
        if statement.get("Effect") != "Allow" or LOG_DELIVERY_SERVICE not in as_list(services):
            continue
        missing = _unscoped_keys(statement.get("Condition"))
        if missing:
            sid = f" (Sid {statement['Sid']})" if statement.get("Sid") else ""
            report(
                f"{where} {prop} lets S3 server access logging ({LOG_DELIVERY_SERVICE}) write"
                f"{sid} without pinning {' and '.join(missing)} to the sources, so buckets it "
                "does not log (of any account, without aws:SourceAccount) can deliver logs into "
                "it. Fix: add ArnLike aws:SourceArn with the ARNs of the buckets that log here "
                "and StringEquals aws:SourceAccount with their account "
                "(components/common/buckets.py access_log_delivery_statement).",
                None,
            )


def _features_schema() -> PolicyConfigSchema:
    return PolicyConfigSchema(
        properties={
            "requiredFeatures": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DEFAULT_FEATURES),
            }
        }
    )


POLICIES: list[Policy] = [
    # vpc flow logs
    resource_policy(
        "vpc-flow-log-all-traffic",
        "VPC flow logs record all traffic (trafficType = ALL) to a named destination.",
        concern=CONCERN,
        service="vpc",
        severity=Severity.MEDIUM,
        controls=LOGGING,
        validators={type_tokens.FLOW_LOG: _flow_log},
    ),
    stack_policy(
        "vpc-flow-logs-every-vpc",
        "Every VPC of the stack has a flow log (tied to it through its vpcId input).",
        concern=CONCERN,
        service="vpc",
        severity=Severity.HIGH,
        controls=LOGGING,
        types=(type_tokens.VPC, type_tokens.FLOW_LOG),
        validate=_every_vpc_logged,
    ),
    # cloudtrail
    resource_policy(
        "cloudtrail-multi-region-validated",
        "CloudTrail trails are multi-region, include global service events, validate their log "
        "files and encrypt them with a customer-managed KMS key.",
        concern=CONCERN,
        service="cloudtrail",
        severity=Severity.HIGH,
        controls=LOGGING | AUDIT_LOG_INTEGRITY,
        validate=_trail,
    ),
    resource_policy(
        "cloudtrail-monitored",
        "CloudTrail trails also deliver to CloudWatch Logs (cloudWatchLogsGroupArn with "
        "cloudWatchLogsRoleArn), where metric filters and alarms see events within minutes, "
        "and notify an SNS topic (snsTopicName) of every log file delivered.",
        concern=CONCERN,
        service=("cloudtrail", "cloudwatch", "sns"),
        severity=Severity.MEDIUM,
        controls=LOGGING | THREAT_DETECTION,
        validate=_trail_monitored,
    ),
    # config
    resource_policy(
        "config-recorder-all-supported",
        "AWS Config recorders record all supported resource types "
        "(recordingGroup.allSupported = true).",
        concern=CONCERN,
        service="config",
        severity=Severity.MEDIUM,
        controls=CONFIG_MONITORING | ASSET_INVENTORY,
        validate=_recorder,
    ),
    resource_policy(
        "config-recording-on",
        "AWS Config recorders are switched on (RecorderStatus isEnabled) and deliver "
        "snapshots encrypted with a customer-managed key (DeliveryChannel s3KmsKeyArn).",
        concern=CONCERN,
        service="config",
        severity=Severity.MEDIUM,
        controls=CONFIG_MONITORING | AUDIT_LOG_INTEGRITY,
        validators={RECORDER_STATUS: _recorder_status, DELIVERY_CHANNEL: _delivery_channel},
    ),
    # guardduty
    stack_policy(
        "guardduty-detector-features",
        "Every GuardDuty detector is enabled, and the stack enables the required protection "
        "plans as DetectorFeatures (default: EKS audit logs, runtime monitoring, S3 data events, "
        "RDS login events, EBS malware protection).",
        concern=CONCERN,
        service="guardduty",
        severity=Severity.HIGH,
        controls=THREAT_DETECTION,
        types=(type_tokens.GUARDDUTY_DETECTOR,),
        validate=_detector_features,
        config_schema=_features_schema(),
    ),
    # securityhub
    stack_policy(
        "securityhub-standards",
        "A stack that enables Security Hub subscribes to the required standards (default: AWS "
        "Foundational Security Best Practices and CIS AWS Foundations Benchmark).",
        concern=CONCERN,
        service="securityhub",
        severity=Severity.HIGH,
        controls=CONFIG_MONITORING,
        types=(type_tokens.SECURITYHUB_ACCOUNT,),
        validate=_standards,
        config_schema=PolicyConfigSchema(
            properties={
                "requiredStandards": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": list(DEFAULT_STANDARDS),
                }
            }
        ),
    ),
    # s3
    resource_policy(
        "s3-access-logging-target",
        "S3 server access logging delivers to a separate target bucket (never the bucket itself).",
        concern=CONCERN,
        service="s3",
        severity=Severity.LOW,
        controls=LOGGING,
        validators={"aws:s3/bucketLogging:BucketLogging": _bucket_logging},
    ),
    resource_policy(
        "s3-access-log-delivery-scoped",
        "A bucket policy that lets S3 server access logging (logging.s3.amazonaws.com) write "
        "names the buckets it logs (aws:SourceArn) and their account (aws:SourceAccount).",
        concern=CONCERN,
        service="s3",
        severity=Severity.MEDIUM,
        controls=LOGGING,
        validators=dict.fromkeys(BUCKET_POLICY_PROPS, _log_delivery_scoped),
    ),
    stack_policy(
        "s3-audit-bucket-object-lock",
        "S3 buckets tagged meridian:evidence = audit have Object Lock in COMPLIANCE mode with a "
        "default retention of at least minimumDays (default 365).",
        concern=CONCERN,
        service="s3",
        severity=Severity.HIGH,
        controls=AUDIT_LOG_INTEGRITY | LOG_RETENTION,
        types=type_tokens.S3_BUCKET_TYPES,
        validate=_audit_object_lock,
        config_schema=PolicyConfigSchema(
            properties={
                "minimumDays": {"type": "integer", "minimum": 1, "maximum": 36500, "default": 365}
            }
        ),
    ),
]
