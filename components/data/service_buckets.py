"""ServiceBuckets: the object stores domain services own (the file service's uploads, the
recommendation service's models), each a hardened bucket (`secure_bucket`: owner-enforced, public
access blocked, SSE-KMS with the region's storage key and a bucket key, versioned, TLS only,
access-logged), protected, and the prefix grants the services' identities get. Where the region
has a replica region (its DR peer, within the jurisdiction its data class requires), the buckets
replicate there through a `LakeReplica` of purpose `svc`: replica buckets and key this stack owns
in that region, two-way for failback.

Example::

    buckets = ServiceBuckets("service-buckets", ServiceBucketsArgs(
        names=names, scope=AwsScope(account_id=account_id, region="eu-west-1"),
        buckets=["uploads"], kms_key_arn=keys.arn(KeyClass.STORAGE),
        access_log_bucket=archive.bucket.id, replica_region="eu-central-1"), opts=in_region)
    buckets.grant_prefix(identities["file"], "uploads", "uploads/", "read-write")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.common.buckets import SecureBucket, SecureBucketSpec, secure_bucket
from components.common.iam import statement
from components.common.naming import Names
from components.common.scope import AwsScope
from components.data.lakehouse.replication import LakeReplica, LakeReplicaArgs
from components.kubernetes.workload_identity import WorkloadIdentity

Access = Literal["read", "read-write"]
READ_OBJECT_ACTIONS = ("s3:GetObject",)
WRITE_OBJECT_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
LIST_ACTIONS = ("s3:ListBucket",)
NONCURRENT_DAYS = 30
"""Overwritten or deleted objects stay recoverable this long (versioning), then expire."""
INCOMPLETE_UPLOAD_DAYS = 7
"""Multipart uploads a client abandoned (presigned direct uploads) are cleaned up after this."""


@dataclass(frozen=True)
class ServiceBucketsArgs:
    names: Names
    scope: AwsScope
    """The account, partition and region of the buckets (the stack's)."""
    buckets: Sequence[str]
    """Logical names (the dependency table's `buckets`), each physical `names.physical(name,
    account_id)`."""
    kms_key_arn: pulumi.Input[str]
    access_log_bucket: pulumi.Input[str]
    """An SSE-S3 bucket of the region admitting S3 server access logs (the lakehouse's)."""
    replica_region: str | None = None
    """Where the buckets replicate (the region's DR peer); None: nowhere (the region has no peer
    its data may go to)."""
    replication_time_control: bool = True
    key_deletion_window_days: int = 30
    protect: bool = True

    def __post_init__(self) -> None:
        if self.replica_region == self.scope.region:
            raise ValueError(f"replica region {self.replica_region} is the buckets' own region")


def service_bucket_name(names: Names, bucket: str, account_id: str) -> str:
    """A service bucket's physical name (deterministic: the access-log target names it)."""
    return names.physical(bucket, account_id)


class ServiceBuckets(pulumi.ComponentResource):
    buckets: dict[str, SecureBucket]

    def __init__(
        self, name: str, args: ServiceBucketsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:data:ServiceBuckets", name, None, opts)
        self.buckets = {}
        for bucket in args.buckets:
            self.buckets[bucket] = secure_bucket(
                self,
                f"{name}-{bucket}",
                SecureBucketSpec(
                    bucket_name=service_bucket_name(args.names, bucket, args.scope.account_id),
                    partition=args.scope.partition,
                    kms_key_arn=args.kms_key_arn,
                    access_log_bucket=args.access_log_bucket,
                    access_log_prefix=f"s3/{bucket}/",
                    lifecycle=self._lifecycle(),
                    protect=args.protect,
                ),
            )
        self.replica: LakeReplica | None = None
        if args.replica_region is not None:
            self.replica = LakeReplica(
                f"{name}-replica",
                LakeReplicaArgs(
                    names=args.names,
                    scope=args.scope,
                    target_region=args.replica_region,
                    sources={b: self.buckets[b].bucket for b in args.buckets},
                    source_key_arn=args.kms_key_arn,
                    lifecycle={b: self._lifecycle() for b in args.buckets},
                    source_versioning=[self.buckets[b].versioning for b in args.buckets],
                    replication_time_control=args.replication_time_control,
                    key_deletion_window_days=args.key_deletion_window_days,
                    protect=args.protect,
                    purpose="svc",
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"buckets": {k: b.arn for k, b in self.buckets.items()}})

    @staticmethod
    def _lifecycle() -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
        """The same on a bucket and its replica: old versions and abandoned uploads expire."""
        return [
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_DAYS},
                "abort_incomplete_multipart_upload": {
                    "days_after_initiation": INCOMPLETE_UPLOAD_DAYS
                },
            }
        ]

    def arn(self, bucket: str) -> pulumi.Output[str]:
        return self.buckets[bucket].arn

    def grant_prefix(
        self, identity: WorkloadIdentity, bucket: str, prefix: str, access: Access
    ) -> aws.iam.RolePolicy:
        """Objects under one prefix of one bucket (decrypting goes through the identity's
        storage-key grant, usable only via S3)."""
        arn = self.buckets[bucket].arn
        return identity.grant(
            f"bucket-{bucket}",
            [
                statement(
                    [
                        *READ_OBJECT_ACTIONS,
                        *(WRITE_OBJECT_ACTIONS if access == "read-write" else ()),
                    ],
                    arn.apply(lambda a: f"{a}/{prefix}*"),
                    sid="ObjectsUnderThePrefix",
                ),
                statement(
                    LIST_ACTIONS,
                    arn,
                    sid="ListThePrefix",
                    condition={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
                ),
            ],
        )
