"""LogArchive: an S3 bucket that AWS log delivery (VPC flow logs and others) writes to.

Encrypted with a customer-managed key (bucket key on), versioned, public access blocked, owner
enforced, TLS-only, and tiered by age: hot in S3 Standard, warm in an infrequent-access class,
cold in Glacier, deleted at the end of the cold tier.

Example::

    archive = LogArchive("flow-logs", LogArchiveArgs(
        names=names, bucket_name=names.physical("logs", account_id), kms_key_arn=ring.arn(LOGS),
        account_id=account_id, region="us-east-1", hot_days=30, warm_days=365, cold_days=2555))
    archive.bucket_arn  # pass to FlowLog.log_destination
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.naming import Names

IA_MINIMUM_DAYS = 30
"""S3 does not move objects to Standard-IA before they are 30 days old."""


@dataclass(frozen=True)
class LogArchiveArgs:
    names: Names
    bucket_name: str
    kms_key_arn: pulumi.Input[str]
    account_id: str
    region: str
    hot_days: int
    warm_days: int
    cold_days: int
    partition: str = "aws"
    protect: bool = True

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


def bucket_policy(bucket_arn: str, args: LogArchiveArgs) -> str:
    import json

    source_arn = f"arn:{args.partition}:logs:{args.region}:{args.account_id}:*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "LogDeliveryWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "delivery.logs.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/AWSLogs/{args.account_id}/*",
                    "Condition": {
                        "StringEquals": {
                            "aws:SourceAccount": args.account_id,
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
                        "StringEquals": {"aws:SourceAccount": args.account_id},
                        "ArnLike": {"aws:SourceArn": source_arn},
                    },
                },
            ],
        }
    )


class LogArchive(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    bucket_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LogArchiveArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:LogArchive", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            force_destroy=False,
            object_lock_enabled=False,
            tags={"Name": args.bucket_name, "data-classification": "internal"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
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
            rules=[
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
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=self.bucket.arn.apply(lambda arn: bucket_policy(arn, args)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block, ownership]),
        )
        self.bucket_arn = self.bucket.arn
        self.register_outputs({"bucketArn": self.bucket.arn, "bucketName": self.bucket.bucket})
