"""AuditTrail: the environment's immutable audit trail, once, from the global stack.

- A multi-region CloudTrail trail (`is_multi_region_trail`, global service events, log file
  validation), management events plus S3 data events on the lakehouse buckets of every region
  (advanced event selectors on the lake buckets' ARN prefixes, `lake_bucket_prefixes`).
- Written into a hardened `LogArchive` of its own in the home (primary) region: Object Lock in
  COMPLIANCE mode for the whole retention (hot/warm/cold tiers from `meridian:retention.logs`),
  server access logs to a separate bucket, replication to the DR peer, `confidential`.
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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.kms import KEY_USE_ACTIONS, account_use_statement, service_use_statement
from components.common.kms import key_policy as shared_key_policy
from components.common.naming import Names
from components.common.scope import AwsScope
from components.foundation.keyring import customer_key
from components.foundation.log_archive import LogArchive, LogArchiveArgs

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
            account_use_statement(
                scope.partition,
                scope.account_id,
                "AccountReadsThroughS3",
                scope.service_endpoint("s3"),
                KEY_USE_ACTIONS,
            ),
        ],
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
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.archive],  # its bucket policy must admit CloudTrail first
            ),
        )
        self.register_outputs(
            {
                "trailArn": self.trail.arn,
                "bucketArn": self.archive.bucket_arn,
                "keyArn": self.key.arn,
            }
        )
