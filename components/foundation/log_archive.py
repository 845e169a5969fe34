"""LogArchive: an S3 bucket that AWS log delivery (VPC flow logs, AWS Config, CloudTrail) writes to.

Encrypted with a customer-managed key (bucket key on), versioned, public access blocked, owner
enforced, TLS-only, and tiered by age: hot in S3 Standard, warm in an infrequent-access class,
cold in Glacier, deleted at the end of the cold tier. Hardened, because what it holds
is audit evidence and tagged by what it holds (`confidential`):

- Object Lock in COMPLIANCE mode for the whole retention (`object_lock_mode`, default retention of
  `cold_days`): nobody, root included, shortens it or deletes a locked version. Object Lock is
  enabled on the existing versioned bucket through `BucketObjectLockConfiguration` (S3 allows it
  since 2023); the bucket's create-only `objectLockEnabled` flag is then `ignore_changes`, so the
  bucket is never replaced by reading it back.
- Server access logs of the archive go to a separate bucket (`<bucket>-access`), equally
  protected (versioned, owner-enforced, public access blocked, TLS-only, same retention tiers)
  except for two things S3 imposes on a logging target: SSE-S3 (it refuses SSE-KMS) and no Object
  Lock default retention.
- Cross-region replication of both buckets to the paired region (`replica_region`) through the
  lakehouse's `LakeReplica` (components/data/lakehouse/replication.py, `purpose=`): replica buckets
  with the same lock and tiers under their own key there, least-privilege role, Replication Time
  Control.

Example::

    archive = LogArchive("flow-logs", LogArchiveArgs(
        names=names, bucket_name=names.physical("logs", account_id), kms_key_arn=ring.arn(LOGS),
        scope=AwsScope(account_id=account_id, region="us-east-1"), hot_days=30, warm_days=365,
        cold_days=2555))
    archive.bucket_arn  # pass to FlowLog.log_destination
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.buckets import (
    SecureBucketSpec,
    access_log_delivery_statement,
    bucket_arn,
    secure_bucket,
    tls_only_statement,
)
from components.common.moves import moved_type
from components.common.naming import Names
from components.common.scope import AwsScope
from components.data.lakehouse.replication import LakeReplica, LakeReplicaArgs

IA_MINIMUM_DAYS = 30
"""S3 does not move objects to Standard-IA before they are 30 days old."""


@dataclass(frozen=True)
class LogArchiveArgs:
    names: Names
    bucket_name: str
    kms_key_arn: pulumi.Input[str]
    scope: AwsScope
    """The account, partition and region the archive lives in."""
    hot_days: int
    warm_days: int
    cold_days: int
    protect: bool = True
    classification: str = "confidential"
    """The `data-classification` tag: what the archive holds (audit and flow-log data)."""
    object_lock_mode: str | None = "COMPLIANCE"
    """Object Lock default retention mode for `cold_days`; None: no lock."""
    access_logs: bool = True
    """Server access logs of the archive to a separate, equally protected bucket."""
    replica_region: str | None = None
    """Replicate to this (DR peer) region; None: no replication."""
    log_delivery: bool = True
    """Let `delivery.logs.amazonaws.com` (flow logs) write; the audit trail bucket does not."""
    extra_statements: Callable[[str], list[dict[str, Any]]] | None = None
    """More bucket policy statements (e.g. CloudTrail's), given the bucket's ARN."""
    purpose: str = "logs"
    """The word in the replica's names (`logs`, `audit`)."""
    key_deletion_window_days: int = 30

    def __post_init__(self) -> None:
        if not 0 < self.hot_days <= self.warm_days <= self.cold_days:
            raise ValueError("retention tiers must satisfy 0 < hot_days <= warm_days <= cold_days")
        if not 3 <= len(self.bucket_name) <= 63:
            raise ValueError(f"bucket name {self.bucket_name!r} must be 3-63 characters")


def lifecycle_transitions(hot_days: int, warm_days: int) -> list[dict[str, Any]]:
    """Transitions for the hot -> warm -> cold tiers, respecting S3's minimum ages."""
    transitions: list[dict[str, Any]] = []
    warm_class = "STANDARD_IA" if hot_days >= IA_MINIMUM_DAYS else "GLACIER_IR"
    transitions.append({"days": hot_days, "storage_class": warm_class})
    if warm_days > hot_days:
        transitions.append({"days": warm_days, "storage_class": "GLACIER"})
    return transitions


def retention_rules(args: LogArchiveArgs) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    """The hot -> warm -> cold tiers as a lifecycle rule: the archive, its access-log bucket and
    their replicas all keep logs this way."""
    return [
        {
            "id": "retention-tiers",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "transitions": [
                {"days": t["days"], "storage_class": t["storage_class"]}
                for t in lifecycle_transitions(args.hot_days, args.warm_days)
            ],
            "expiration": {"days": args.cold_days},
            "noncurrent_version_expiration": {"noncurrent_days": args.hot_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        }
    ]


def lock_years(days: int) -> int:
    """Whole years covering `days` (S3 replication of a locked bucket takes years)."""
    return max(1, -(-days // 365))


def bucket_policy(bucket_arn: str, args: LogArchiveArgs) -> str:
    source_arn = args.scope.arn("logs", "*")
    statements: list[dict[str, Any]] = [tls_only_statement(bucket_arn)]
    if args.log_delivery:
        statements += [
            {
                "Sid": "LogDeliveryWrite",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{args.scope.account_id}/*",
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": args.scope.account_id,
                        "s3:x-amz-acl": "bucket-owner-full-control",
                    },
                    "ArnLike": {"aws:SourceArn": source_arn},
                },
            },
            {
                "Sid": "LogDeliveryCheck",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": bucket_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": args.scope.account_id},
                    "ArnLike": {"aws:SourceArn": source_arn},
                },
            },
        ]
    if args.extra_statements is not None:
        statements += args.extra_statements(bucket_arn)
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class LogArchive(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    bucket_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LogArchiveArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            "meridian:foundation:LogArchive",
            name,
            None,
            moved_type(opts, "meridian:observability:LogArchive"),
        )
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            force_destroy=False,
            object_lock_enabled=False,
            tags={
                "Name": args.bucket_name,
                "data-classification": args.classification,
                # policies/audit.py: s3-audit-bucket-object-lock holds such buckets to COMPLIANCE
                **({"meridian:evidence": "audit"} if args.object_lock_mode else {}),
            },
            # Object Lock is enabled in place (BucketObjectLockConfiguration below): the flag
            # reads back true and must not replace the bucket.
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, ignore_changes=["objectLockEnabled"]
            ),
        )
        bucket_id = self.bucket.id
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args.kms_key_arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=retention_rules(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=bucket_policy(bucket_arn(args.scope.partition, args.bucket_name), args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block, ownership]),
        )
        self.bucket_arn = self.bucket.arn
        self._harden(name, args, versioning)
        self.register_outputs(
            {
                "bucketArn": self.bucket.arn,
                "bucketName": self.bucket.bucket,
                "accessLogBucket": self.access_log_bucket.id if self.access_log_bucket else None,
                "replicaBucketArns": (
                    {z: b.arn for z, b in self.replica.buckets.items()} if self.replica else {}
                ),
            }
        )

    def _harden(self, name: str, args: LogArchiveArgs, versioning: aws.s3.BucketVersioning) -> None:
        """Object Lock, server access logs to a separate bucket, replication to the DR peer."""
        child = pulumi.ResourceOptions(parent=self)
        tiers = retention_rules(args)
        self.object_lock: aws.s3.BucketObjectLockConfiguration | None = None
        if args.object_lock_mode is not None:
            self.object_lock = aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=self.bucket.id,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": args.object_lock_mode, "days": args.cold_days}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        self.access_log_bucket: aws.s3.Bucket | None = None
        sources: dict[str, aws.s3.Bucket] = {"archive": self.bucket}
        # replication starts once the lock is in place: every version it copies carries its
        # retention to the replica
        source_versioning: list[pulumi.Resource] = [
            versioning,
            *([self.object_lock] if self.object_lock is not None else []),
        ]
        if args.access_logs:
            access = secure_bucket(
                self,
                f"{name}-access-logs",
                SecureBucketSpec(
                    bucket_name=access_log_bucket_name(args.bucket_name),
                    partition=args.scope.partition,
                    kms_key_arn=None,  # S3 server access logging refuses SSE-KMS targets
                    lifecycle=tiers,
                    extra_statements=lambda arn: [
                        access_log_delivery_statement(
                            arn,
                            args.scope.account_id,
                            [bucket_arn(args.scope.partition, args.bucket_name)],
                        )
                    ],
                    protect=args.protect,
                    tags={"data-classification": args.classification},
                ),
            )
            self.access_log_bucket = access.bucket
            sources["access"] = access.bucket
            source_versioning.append(access.versioning)
            aws.s3.BucketLogging(
                f"{name}-access-logging",
                bucket=self.bucket.id,
                target_bucket=access.id,
                target_prefix=f"{args.bucket_name}/",
                opts=child,
            )
        self.replica: LakeReplica | None = None
        if args.replica_region is not None and args.replica_region != args.scope.region:
            self.replica = LakeReplica(
                f"{name}-replica",
                LakeReplicaArgs(
                    names=args.names,
                    scope=args.scope,
                    target_region=args.replica_region,
                    sources=sources,
                    source_key_arn=args.kms_key_arn,
                    lifecycle=dict.fromkeys(sources, tiers),
                    object_lock=(
                        {"archive": (args.object_lock_mode, lock_years(args.cold_days))}
                        if args.object_lock_mode is not None
                        else {}
                    ),
                    source_versioning=source_versioning,
                    key_deletion_window_days=args.key_deletion_window_days,
                    protect=args.protect,
                    purpose=args.purpose,
                ),
                opts=child,
            )


def access_log_bucket_name(bucket_name: str) -> str:
    """`<archive>-access`, kept within S3's 63 characters."""
    suffix = "-access"
    return f"{bucket_name[: 63 - len(suffix)]}{suffix}"
