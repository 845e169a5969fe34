"""The secure-bucket pieces every Meridian data bucket carries, as one helper: owner-enforced,
public access blocked, default encryption (SSE-KMS with a bucket key, or SSE-S3 where AWS allows
nothing else), versioning, a TLS-only bucket policy (plus the caller's statements, such as a
server-access-log target's `access_log_delivery_statement`), server access logging and lifecycle
rules. The same pieces `LogArchive` (components/foundation/log_archive.py)
declares for the log bucket; LogArchive keeps its own resources so its URNs do not move.

Example::

    bucket = secure_bucket(self, "bronze", SecureBucketSpec(
        bucket_name=names.physical("lake", "bronze", account_id), kms_key_arn=storage_key_arn,
        partition=scope.partition, access_log_bucket=logs.id, lifecycle=[...]))
    bucket.arn
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.iam import deny_insecure_transport


@dataclass(frozen=True)
class SecureBucketSpec:
    bucket_name: str
    kms_key_arn: pulumi.Input[str] | None
    """None: SSE-S3 (only for targets of S3 server access logging, which refuse SSE-KMS)."""
    partition: str
    """The AWS partition (``AwsScope.partition``): the bucket's ARN is known from its name, so
    its policy is a known document in preview and the pack checks its principals then."""
    lifecycle: Sequence[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = ()
    access_log_bucket: pulumi.Input[str] | None = None
    access_log_prefix: str = ""
    extra_statements: Callable[[str], list[dict[str, Any]]] | None = None
    """More bucket policy statements, given the bucket's ARN."""
    object_lock: bool = False
    protect: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    region: str | None = None
    """The region of the bucket when it is not the provider's (a cross-region replica)."""


def tls_only_statement(bucket_arn: str) -> dict[str, Any]:
    return deny_insecure_transport("s3:*", [bucket_arn, f"{bucket_arn}/*"])


def bucket_arn(partition: str, bucket_name: str) -> str:
    """A general-purpose bucket's ARN (S3 bucket ARNs carry no region and no account)."""
    return f"arn:{partition}:s3:::{bucket_name}"


def access_log_delivery_statement(
    bucket_arn: str, account_id: str, source_bucket_arns: Sequence[str]
) -> dict[str, Any]:
    """The statement of a server-access-log target's policy that lets S3's logging service
    (`logging.s3.amazonaws.com`) write log objects into it for the buckets it logs only: their
    ARNs (`aws:SourceArn`) and their account (`aws:SourceAccount`), the two conditions of the S3
    User Guide's bucket policy for server access log delivery. Without the source ARNs, any
    bucket of the account could log into the target (or fill it)."""
    if isinstance(source_bucket_arns, str) or not source_bucket_arns:
        raise ValueError(
            "an access-log target names the buckets it logs: a list of ARNs (source_bucket_arns)"
        )
    sources = list(source_bucket_arns)
    return {
        "Sid": "S3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": sources[0] if len(sources) == 1 else sources},
        },
    }


def bucket_policy(bucket_arn: str, spec: SecureBucketSpec) -> str:
    statements = [tls_only_statement(bucket_arn)]
    if spec.extra_statements is not None:
        statements += spec.extra_statements(bucket_arn)
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass
class SecureBucket:
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.bucket.arn

    @property
    def id(self) -> pulumi.Output[str]:
        return self.bucket.id


def secure_bucket(parent: pulumi.Resource, name: str, spec: SecureBucketSpec) -> SecureBucket:
    """Declare one secure bucket and its configuration, every child parented to `parent`."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        name,
        bucket=spec.bucket_name,
        force_destroy=False,
        object_lock_enabled=spec.object_lock,
        tags={"Name": spec.bucket_name, **spec.tags},
        region=spec.region,
        opts=pulumi.ResourceOptions(parent=parent, protect=spec.protect),
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        region=spec.region,
        opts=child,
    )
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        region=spec.region,
        opts=child,
    )
    default: aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgsDict = (  # noqa: E501
        {"sse_algorithm": "aws:kms", "kms_master_key_id": spec.kms_key_arn}
        if spec.kms_key_arn is not None
        else {"sse_algorithm": "AES256"}
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": default,
                "bucket_key_enabled": spec.kms_key_arn is not None,
            }
        ],
        region=spec.region,
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        region=spec.region,
        opts=child,
    )
    if spec.lifecycle:
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=list(spec.lifecycle),
            region=spec.region,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
        )
    if spec.access_log_bucket is not None:
        aws.s3.BucketLogging(
            f"{name}-access-logging",
            bucket=bucket.id,
            target_bucket=spec.access_log_bucket,
            target_prefix=spec.access_log_prefix or f"{spec.bucket_name}/",
            region=spec.region,
            opts=child,
        )
    aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=bucket_policy(bucket_arn(spec.partition, spec.bucket_name), spec),
        region=spec.region,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_block, ownership]),
    )
    return SecureBucket(bucket=bucket, versioning=versioning)
