"""ThreatDetection: threat detection and posture for one region.

- GuardDuty: a detector with the protection plans as `DetectorFeature`s (the detector's
  `datasources` block is deprecated): EKS audit logs, runtime monitoring with GuardDuty managing
  the EKS agent add-on, S3 data events, RDS login events, malware protection for EBS.
- Security Hub: the account hub with control findings consolidated, no default standards, and
  exactly the standards Meridian reports on (`STANDARDS`: AWS Foundational Security Best
  Practices v1.0.0 and CIS AWS Foundations Benchmark v3.0.0, ARNs per region).
- AWS Config: a recorder for all supported resource types (global types such as IAM only in the
  primary region, so they are recorded once), delivering to the region's log archive (KMS
  encrypted, Object Lock) through a role of its own, and a conformance pack of managed rules
  (`CONFORMANCE_RULES`, one data table) checking what the platform promises.
- IAM Access Analyzer for the account in this region (external access findings).
- Findings routing: EventBridge rules send GuardDuty (medium and above), Security Hub (high and
  critical, new, active) and Access Analyzer (active) findings to the encrypted `findings` topic
  (components/security/notifications.py).

Example::

    ThreatDetection("detection", ThreatDetectionArgs(
        names=names, scope=AwsScope(account_id=account_id, region="us-east-1"), primary=True,
        archive_bucket=archive.bucket.bucket, archive_key_arn=keys.arn(KeyClass.LOGS),
        findings_topic_arn=alerts.findings.arn), opts=in_region)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import yaml

from components.common.iam import key_use_through, policy_document, service_trust_policy, statement
from components.common.naming import Names
from components.common.scope import AwsScope

GUARDDUTY_FEATURES: dict[str, tuple[str, ...]] = {
    "EKS_AUDIT_LOGS": (),
    "RUNTIME_MONITORING": ("EKS_ADDON_MANAGEMENT",),
    "S3_DATA_EVENTS": (),
    "RDS_LOGIN_EVENTS": (),
    "EBS_MALWARE_PROTECTION": (),
}
"""GuardDuty protection plans -> the additional configurations enabled with them."""

STANDARDS: dict[str, str] = {
    "aws-foundational-security-best-practices": (
        "standards/aws-foundational-security-best-practices/v/1.0.0"
    ),
    "cis-aws-foundations-benchmark": "standards/cis-aws-foundations-benchmark/v/3.0.0",
}
"""Security Hub standards: `arn:<partition>:securityhub:<region>::<path>`."""

CONFORMANCE_RULES: dict[str, dict[str, str]] = {
    "MULTI_REGION_CLOUD_TRAIL_ENABLED": {},
    "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED": {},
    "CLOUD_TRAIL_ENCRYPTION_ENABLED": {},
    "GUARDDUTY_ENABLED_CENTRALIZED": {},
    "SECURITYHUB_ENABLED": {},
    "CLOUDWATCH_LOG_GROUP_ENCRYPTED": {},
    "CW_LOGGROUP_RETENTION_PERIOD_CHECK": {"MinRetentionTime": "30"},
    "S3_BUCKET_SSL_REQUESTS_ONLY": {},
    "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED": {},
    "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED": {},
    "S3_BUCKET_VERSIONING_ENABLED": {},
    "S3_BUCKET_LOGGING_ENABLED": {},
    "ENCRYPTED_VOLUMES": {},
    "EC2_IMDSV2_CHECK": {},
    "EKS_SECRETS_ENCRYPTED": {},
    "EKS_ENDPOINT_NO_PUBLIC_ACCESS": {},
    "RDS_STORAGE_ENCRYPTED": {},
    "RDS_CLUSTER_DELETION_PROTECTION_ENABLED": {},
    "KMS_CMK_NOT_SCHEDULED_FOR_DELETION": {},
    "CMK_BACKING_KEY_ROTATION_ENABLED": {},
    "VPC_FLOW_LOGS_ENABLED": {},
    "SNS_ENCRYPTED_KMS": {},
    "SECRETSMANAGER_ROTATION_ENABLED_CHECK": {},
    "IAM_ROOT_ACCESS_KEY_CHECK": {},
    "ROOT_ACCOUNT_MFA_ENABLED": {},
}
"""AWS Config managed rules (source identifier -> input parameters) of Meridian's conformance
pack: the promises of the baseline, checked continuously against what is deployed."""


def finding_rules(guardduty_minimum_severity: float) -> dict[str, dict[str, Any]]:
    """EventBridge patterns of the findings worth a notification."""
    return {
        "guardduty": {
            "source": ["aws.guardduty"],
            "detail-type": ["GuardDuty Finding"],
            "detail": {"severity": [{"numeric": [">=", guardduty_minimum_severity]}]},
        },
        **FINDING_RULES,
    }


FINDING_RULES: dict[str, dict[str, Any]] = {
    "securityhub": {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {
            "findings": {
                "Severity": {"Label": ["HIGH", "CRITICAL"]},
                "Workflow": {"Status": ["NEW"]},
                "RecordState": ["ACTIVE"],
            }
        },
    },
    "access-analyzer": {
        "source": ["aws.access-analyzer"],
        "detail-type": ["Access Analyzer Finding"],
        "detail": {"status": ["ACTIVE"]},
    },
}
"""EventBridge patterns of Security Hub and Access Analyzer findings worth a notification
(GuardDuty's: `finding_rules`, by the configured minimum severity)."""

CONFIG_ROLE_POLICY = "arn:{partition}:iam::aws:policy/service-role/AWS_ConfigRole"
CONFIG_PREFIX = "config"


def standards_arn(partition: str, region: str, standard: str) -> str:
    return f"arn:{partition}:securityhub:{region}::{STANDARDS[standard]}"


def conformance_template() -> str:
    """The conformance pack's CloudFormation template body, from `CONFORMANCE_RULES`."""
    resources: dict[str, Any] = {}
    for identifier, params in CONFORMANCE_RULES.items():
        logical = "".join(w.capitalize() for w in identifier.split("_"))
        properties: dict[str, Any] = {
            "ConfigRuleName": identifier.lower().replace("_", "-"),
            "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
        }
        if params:
            properties["InputParameters"] = dict(params)
        resources[logical] = {"Type": "AWS::Config::ConfigRule", "Properties": properties}
    return yaml.safe_dump({"Resources": resources}, sort_keys=False)


@dataclass(frozen=True)
class ThreatDetectionArgs:
    names: Names
    scope: AwsScope
    """The account, partition and region the detectors and recorder run in."""
    archive_bucket: pulumi.Input[str]
    """The region's log archive bucket (name): Config delivers there."""
    archive_key_arn: pulumi.Input[str]
    findings_topic_arn: pulumi.Input[str]
    primary: bool = False
    """The environment's primary region records Config's global resource types."""
    guardduty_minimum_severity: float = 4.0
    """GuardDuty findings at or above this severity are notified (medium and above)."""


class ThreatDetection(pulumi.ComponentResource):
    detector: aws.guardduty.Detector
    standards: dict[str, aws.securityhub.StandardsSubscription]
    recorder: aws.cfg.Recorder

    def __init__(
        self, name: str, args: ThreatDetectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:security:ThreatDetection", name, None, opts)
        self._guardduty(name, args)
        self._security_hub(name, args)
        self._config(name, args)
        self._access_analyzer(name, args)
        self._findings(name, args)
        self.register_outputs(
            {
                "detectorId": self.detector.id,
                "standards": {k: v.standards_arn for k, v in self.standards.items()},
                "recorder": self.recorder.name,
            }
        )

    def _guardduty(self, name: str, args: ThreatDetectionArgs) -> None:
        """GuardDuty's detector and its protection features."""
        child = pulumi.ResourceOptions(parent=self)
        self.detector = aws.guardduty.Detector(
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            opts=child,
        )
        self.features = {
            feature: aws.guardduty.DetectorFeature(
                f"{name}-guardduty-{feature.lower().replace('_', '-')}",
                detector_id=self.detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=[{"name": extra, "status": "ENABLED"} for extra in more]
                or None,
                opts=child,
            )
            for feature, more in GUARDDUTY_FEATURES.items()
        }

    def _security_hub(self, name: str, args: ThreatDetectionArgs) -> None:
        """Security Hub with the standards Meridian subscribes to."""
        child = pulumi.ResourceOptions(parent=self)
        hub = aws.securityhub.Account(
            f"{name}-securityhub",
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
            opts=child,
        )
        self.standards = {
            standard: aws.securityhub.StandardsSubscription(
                f"{name}-standard-{standard}",
                standards_arn=standards_arn(args.scope.partition, args.scope.region, standard),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[hub]),
            )
            for standard in STANDARDS
        }

    def _config(self, name: str, args: ThreatDetectionArgs) -> None:
        """AWS Config: the recorder, its delivery to the log archive and the conformance pack."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        role = aws.iam.Role(
            f"{name}-config-role",
            name=names.physical("config-recorder", max_length=64),
            description="AWS Config recorder and delivery to the log archive",
            assume_role_policy=service_trust_policy(
                "config.amazonaws.com",
                condition={"StringEquals": {"aws:SourceAccount": args.scope.account_id}},
            ),
            opts=child,
        )
        read_all = aws.iam.RolePolicyAttachment(
            f"{name}-config-read",
            role=role.name,
            policy_arn=CONFIG_ROLE_POLICY.format(partition=args.scope.partition),
            opts=child,
        )
        bucket_arn = pulumi.Output.concat(f"arn:{args.scope.partition}:s3:::", args.archive_bucket)
        delivery = aws.iam.RolePolicy(
            f"{name}-config-delivery",
            role=role.id,
            policy=policy_document(
                [
                    statement(["s3:GetBucketAcl", "s3:ListBucket"], bucket_arn, sid="Bucket"),
                    statement(
                        ["s3:PutObject"],
                        pulumi.Output.concat(
                            bucket_arn, f"/{CONFIG_PREFIX}/AWSLogs/{args.scope.account_id}/*"
                        ),
                        sid="Deliver",
                    ),
                    key_use_through(
                        ["kms:GenerateDataKey", "kms:Decrypt"],
                        args.archive_key_arn,
                        args.scope.service_endpoint("s3"),
                        sid="ArchiveKeyThroughS3",
                    ),
                ]
            ),
            opts=child,
        )
        self.recorder = aws.cfg.Recorder(
            f"{name}-config-recorder",
            name=names.physical("config"),
            role_arn=role.arn,
            recording_group={
                "all_supported": True,
                "include_global_resource_types": args.primary,
            },
            recording_mode={"recording_frequency": "CONTINUOUS"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[read_all]),
        )
        channel = aws.cfg.DeliveryChannel(
            f"{name}-config-delivery-channel",
            name=names.physical("config"),
            s3_bucket_name=args.archive_bucket,
            s3_key_prefix=CONFIG_PREFIX,
            s3_kms_key_arn=args.archive_key_arn,
            snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.recorder, delivery]),
        )
        status = aws.cfg.RecorderStatus(
            f"{name}-config-recorder-status",
            name=self.recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[channel]),
        )
        aws.cfg.ConformancePack(
            f"{name}-conformance-pack",
            name=names.physical("baseline"),
            template_body=conformance_template(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[status]),
        )

    def _access_analyzer(self, name: str, args: ThreatDetectionArgs) -> None:
        """IAM Access Analyzer for the account."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        aws.accessanalyzer.Analyzer(
            f"{name}-access-analyzer",
            analyzer_name=names.physical("access-analyzer"),
            type="ACCOUNT",
            opts=child,
        )

    def _findings(self, name: str, args: ThreatDetectionArgs) -> None:
        """Findings of each source to the encrypted findings topic."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        for source, pattern in finding_rules(args.guardduty_minimum_severity).items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{source}-findings",
                name=names.physical(source, "findings", max_length=64),
                description=f"{source} findings to the findings topic",
                event_pattern=json.dumps(pattern),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{source}-findings-target",
                rule=rule.name,
                arn=args.findings_topic_arn,
                opts=child,
            )
