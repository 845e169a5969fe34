"""AuditTrail: the environment's immutable audit trail, once, from the global stack.

- A multi-region CloudTrail trail (`is_multi_region_trail`, global service events, log file
  validation), management events plus S3 data events on the lakehouse buckets of every region
  (advanced event selectors on the lake buckets' ARN prefixes, `lake_bucket_prefixes`).
- Written into a hardened `LogArchive` of its own in the home (primary) region: Object Lock in
  COMPLIANCE mode for the whole retention (hot/warm/cold tiers from `meridian:retention.logs`),
  server access logs to a separate bucket, replication to the DR peer, `confidential`.
- Also delivered to a CloudWatch log group of its own (warm-tier retention, the audit key), through
  a role CloudTrail assumes for this trail only (`logs:CreateLogStream`/`PutLogEvents` on that
  group), so metric filters and alarms see events within minutes; every log file delivered is
  announced on an SNS topic encrypted with the same key that only this trail may publish to.
- Encrypted with a customer-managed key of the global stack (the regional KeyRings are per
  region and deploy after this stack): CloudTrail may generate data keys only for this trail
  (`aws:SourceArn`) and with its encryption context; the account may use the key only through S3
  (reading the logs, replicating them).

`is_organization_trail` is off: an organization trail must be created from the management (or
delegated administrator) account, and Meridian runs in one member account per environment. The
trail is still the organization-style one: every region, global services, validated, encrypted.

Example::

    AuditTrail("audit", AuditTrailArgs(
        names=Names("prod"), scope=AwsScope(account_id=account_id, region="us-east-1"),
        lake_bucket_prefixes=["meridian-prod-use1-lake-"], hot_days=30, warm_days=365,
        cold_days=2555, replica_region="eu-west-1"), opts=in_primary)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.iam import deny_insecure_transport, service_trust_policy, statement
from components.common.iam import policy_document as iam_document
from components.common.kms import KEY_USE_ACTIONS, account_use_statement, service_use_statement
from components.common.kms import key_policy as shared_key_policy
from components.common.naming import Names
from components.common.scope import AwsScope
from components.foundation.keyring import customer_key
from components.foundation.log_archive import LogArchive, LogArchiveArgs
from components.kubernetes.cluster import LOG_RETENTION_DAYS

TRAIL_PREFIX = "cloudtrail"


@dataclass(frozen=True)
class AuditTrailArgs:
    names: Names
    scope: AwsScope
    """The account, partition and home (primary) region of the trail and its archive."""
    lake_bucket_prefixes: Sequence[str]
    """Bucket-name prefixes of the lakehouse buckets whose object events are recorded."""
    hot_days: int
    warm_days: int
    cold_days: int
    replica_region: str | None = None
    deletion_window_days: int = 30
    protect: bool = True

    @property
    def trail_name(self) -> str:
        return self.names.physical("audit")

    @property
    def trail_arn(self) -> str:
        return self.scope.arn("cloudtrail", f"trail/{self.trail_name}")

    @property
    def log_group_name(self) -> str:
        return f"/aws/cloudtrail/{self.trail_name}"

    @property
    def log_group_arn(self) -> str:
        return self.scope.arn("logs", f"log-group:{self.log_group_name}")

    @property
    def topic_name(self) -> str:
        return self.names.physical("audit", "deliveries")

    @property
    def log_retention_days(self) -> int:
        """The warm tier, rounded up to a retention CloudWatch Logs accepts: the trail's events
        stay queryable (and alarmed on) for the warm period; the archive keeps them cold."""
        return min(d for d in LOG_RETENTION_DAYS if d >= self.warm_days)


def key_policy(args: AuditTrailArgs) -> dict[str, Any]:
    scope = args.scope
    context = scope.arn("cloudtrail", "trail/*", region="*")
    return shared_key_policy(
        scope.partition,
        scope.account_id,
        [
            service_use_statement(
                "CloudTrailEncryptsThisTrail",
                "cloudtrail.amazonaws.com",
                "kms:GenerateDataKey*",
                {
                    "StringEquals": {"aws:SourceArn": args.trail_arn},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": context},
                },
            ),
            service_use_statement(
                "CloudTrailDescribesKey",
                "cloudtrail.amazonaws.com",
                "kms:DescribeKey",
                {"StringEquals": {"aws:SourceArn": args.trail_arn}},
            ),
            service_use_statement(
                "CloudTrailPublishesToItsTopic",
                "cloudtrail.amazonaws.com",
                ["kms:GenerateDataKey*", "kms:Decrypt"],
                {
                    "StringEquals": {
                        "aws:SourceAccount": scope.account_id,
                        "aws:SourceArn": args.trail_arn,
                    }
                },
            ),
            service_use_statement(
                "CloudWatchLogsEncryptsTheTrailGroup",
                scope.service_endpoint("logs"),
                ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": args.log_group_arn}},
            ),
            account_use_statement(
                scope.partition,
                scope.account_id,
                "AccountReadsThroughS3AndSns",
                [scope.service_endpoint("s3"), scope.service_endpoint("sns")],
                KEY_USE_ACTIONS,
            ),
        ],
    )


def delivery_role_policy(args: AuditTrailArgs) -> dict[str, Any]:
    """CloudTrail writes its events into the trail's own log group, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            statement(
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                f"{args.log_group_arn}:log-stream:*",
                sid="CloudTrailWritesTheTrailGroup",
            )
        ],
    }


def topic_policy(topic_arn: str, args: AuditTrailArgs) -> str:
    """This trail may publish its delivery notifications; the account manages the topic."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountManages",
                    "Effect": "Allow",
                    "Principal": {"AWS": args.scope.root},
                    "Action": [
                        "SNS:GetTopicAttributes",
                        "SNS:SetTopicAttributes",
                        "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic",
                    ],
                    "Resource": topic_arn,
                },
                {
                    "Sid": "CloudTrailPublishes",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "SNS:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"aws:SourceArn": args.trail_arn}},
                },
                deny_insecure_transport("SNS:Publish", topic_arn),
            ],
        }
    )


def trail_bucket_statements(bucket_arn: str, args: AuditTrailArgs) -> list[dict[str, Any]]:
    """What CloudTrail needs on the bucket, for this trail only."""
    only_this_trail = {"aws:SourceArn": args.trail_arn}
    return [
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": only_this_trail},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{TRAIL_PREFIX}/AWSLogs/{args.scope.account_id}/*",
            "Condition": {
                "StringEquals": {**only_this_trail, "s3:x-amz-acl": "bucket-owner-full-control"}
            },
        },
    ]


def event_selectors(
    args: AuditTrailArgs,
) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgsDict]:
    """Management events, and object-level events of the lakehouse buckets."""
    return [
        {
            "name": "Management events",
            "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
        },
        {
            "name": "Lakehouse object events",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {
                    "field": "resources.ARN",
                    "starts_withs": [
                        f"arn:{args.scope.partition}:s3:::{prefix}"
                        for prefix in sorted(args.lake_bucket_prefixes)
                    ],
                },
            ],
        },
    ]


class AuditTrail(pulumi.ComponentResource):
    key: aws.kms.Key
    archive: LogArchive
    log_group: aws.cloudwatch.LogGroup
    delivery_role: aws.iam.Role
    topic: aws.sns.Topic
    trail: aws.cloudtrail.Trail

    def __init__(
        self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:security:AuditTrail", name, None, opts)
        names = args.names
        self.key = customer_key(
            f"{name}-key",
            description=f"Meridian {names.environment}: the audit trail (CloudTrail, via s3)",
            policy=key_policy(args),
            alias=names.kms_alias("audit"),
            display_name=names.display("kms", "audit"),
            deletion_window_days=args.deletion_window_days,
            protect=args.protect,
            parent=self,
        )
        self.archive = LogArchive(
            f"{name}-archive",
            LogArchiveArgs(
                names=names,
                bucket_name=names.physical("audit", args.scope.account_id),
                kms_key_arn=self.key.arn,
                scope=args.scope,
                hot_days=args.hot_days,
                warm_days=args.warm_days,
                cold_days=args.cold_days,
                protect=args.protect,
                classification="confidential",
                object_lock_mode="COMPLIANCE",
                replica_region=args.replica_region,
                log_delivery=False,
                extra_statements=lambda arn: trail_bucket_statements(arn, args),
                purpose="audit",
                key_deletion_window_days=args.deletion_window_days,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=self.key.arn,
            tags={"data-classification": "confidential"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.delivery_role = aws.iam.Role(
            f"{name}-delivery",
            name=names.physical("audit", "cloudtrail-logs"),
            description="CloudTrail delivers the trail's events to its CloudWatch log group",
            assume_role_policy=service_trust_policy(
                "cloudtrail.amazonaws.com",
                condition={"StringEquals": {"aws:SourceArn": args.trail_arn}},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        delivery = aws.iam.RolePolicy(
            f"{name}-delivery-policy",
            role=self.delivery_role.name,
            policy=iam_document(delivery_role_policy(args)["Statement"]),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.topic = aws.sns.Topic(
            f"{name}-deliveries",
            name=args.topic_name,
            kms_master_key_id=self.key.arn,
            tags={"data-classification": "confidential"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        topic_access = aws.sns.TopicPolicy(
            f"{name}-deliveries-policy",
            arn=self.topic.arn,
            policy=self.topic.arn.apply(lambda arn: topic_policy(arn, args)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=self.archive.bucket.bucket,
            s3_key_prefix=TRAIL_PREFIX,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            is_organization_trail=False,
            kms_key_id=self.key.arn,
            advanced_event_selectors=event_selectors(args),
            cloud_watch_logs_group_arn=self.log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=self.delivery_role.arn,
            sns_topic_name=self.topic.name,
            opts=pulumi.ResourceOptions(
                parent=self,
                # the bucket, topic and role policies must admit CloudTrail first
                depends_on=[self.archive, delivery, topic_access],
            ),
        )
        self.register_outputs(
            {
                "trailArn": self.trail.arn,
                "bucketArn": self.archive.bucket_arn,
                "keyArn": self.key.arn,
                "logGroupArn": self.log_group.arn,
                "topicArn": self.topic.arn,
            }
        )
