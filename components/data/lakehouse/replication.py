"""LakeReplica: this region's lake buckets replicated to the paired region, into replica buckets
this stack owns there, with S3 Replication Time Control (15-minute SLA, metrics on).

Why own replica buckets (not the peer's lake buckets): replication cannot rename keys, so two
regions' `gold/fct_orders/...` would overwrite each other in one bucket; and a stack that owns
both ends needs no other stack to exist first (S3 refuses a replication configuration whose
destination bucket does not exist yet, and regional stacks deploy in parallel after the primary).
Every piece in the paired region sets `region=` that region (pulumi-aws 7's per-resource region on
the stack's own provider):

- a customer-managed key for the replicas (the KeyRing's storage-key policy, in that region),
- per replicated zone a bucket: versioned, owner-enforced, public access blocked, TLS-only, SSE-KMS
  with a bucket key, the same lifecycle; the compliance replica with Object Lock like its source;
- here: one least-privilege role and a replication configuration on each source bucket (delete
  markers replicated, except from the WORM compliance bucket);
- two-way: each replica replicates back to its source with replica-modification sync, so objects
  written to the replica during a failover return to the source region on failback (S3 does not
  replicate a replica again, so nothing loops).

Example::

    LakeReplica("lake-replica", LakeReplicaArgs(
        names=names, scope=AwsScope(account_id=account_id, region="eu-west-1"),
        target_region="us-east-1", sources={"gold": lake.buckets["gold"].bucket},
        source_key_arn=storage_key, lifecycle={"gold": rules}), opts=in_region)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.common.buckets import SecureBucketSpec, secure_bucket
from components.common.iam import key_use_through, policy_document, service_trust_policy, statement
from components.common.naming import Names, region_code
from components.common.scope import AwsScope
from components.foundation.keyring import KeyClass, KeyRingArgs, customer_key, key_policy

RTC_MINUTES = 15
"""S3 Replication Time Control's SLA and metrics threshold: the only value S3 accepts."""


@dataclass(frozen=True)
class LakeReplicaArgs:
    names: Names
    scope: AwsScope
    """The account, partition and region of the source buckets."""
    target_region: str
    """The paired region the replicas live in (`scope.in_region(target_region)`)."""
    sources: Mapping[str, aws.s3.Bucket]
    """zone -> source bucket (versioned)."""
    source_key_arn: pulumi.Input[str]
    lifecycle: Mapping[str, Sequence[aws.s3.BucketLifecycleConfigurationRuleArgsDict]] = field(
        default_factory=dict
    )
    object_lock: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    """zone -> (mode, years) for replicas of Object Lock buckets."""
    source_versioning: Sequence[pulumi.Resource] = ()
    replication_time_control: bool = True
    key_deletion_window_days: int = 30
    protect: bool = True
    purpose: str = "lake"
    """What is replicated: the word in the replica buckets', key alias's and role's names (the log
    archive reuses this component with `logs`)."""


def replica_bucket_name(names: Names, zone: str, account_id: str, purpose: str = "lake") -> str:
    return names.physical(purpose, zone, "replica", account_id)


class LakeReplica(pulumi.ComponentResource):
    key: aws.kms.Key
    buckets: dict[str, aws.s3.Bucket]
    configurations: list[aws.s3.BucketReplicationConfig]

    def __init__(
        self, name: str, args: LakeReplicaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:data:LakeReplica", name, None, opts)
        self.key = self._key(name, args)
        versioned = self._replica_buckets(name, args)
        role = self._role(name, args)
        self.configurations = self._configurations(name, args, role, versioned)
        self.register_outputs(
            {"replicaBucketArns": {z: b.arn for z, b in self.buckets.items()}, "roleArn": role.arn}
        )

    def _key(self, name: str, args: LakeReplicaArgs) -> aws.kms.Key:
        """The replicas' customer-managed key, in the paired region."""
        names = args.names
        here, peer = args.scope, args.scope.in_region(args.target_region)
        there = peer.region
        dst = region_code(there)
        ring = KeyRingArgs(
            names=names,
            scope=peer,
            deletion_window_days=args.key_deletion_window_days,
        )
        return customer_key(
            f"{name}-key",
            description=f"Meridian {names.environment}: replicas of the {here.region} "
            f"{args.purpose} in {there} (usable via s3)",
            policy=key_policy(ring, KeyClass.STORAGE),
            alias=f"alias/meridian/{names.environment}/{here.region}/{args.purpose}-replica-{dst}",
            display_name=names.display("kms", f"{args.purpose}-replica", dst),
            deletion_window_days=args.key_deletion_window_days,
            protect=args.protect,
            parent=self,
            region=there,
        )

    def _replica_buckets(self, name: str, args: LakeReplicaArgs) -> list[pulumi.Resource]:
        """Per zone a replica bucket in the paired region; returns their versioning."""
        names = args.names
        here, there = args.scope, args.target_region
        src = region_code(here.region)
        self.buckets = {}
        versioned: list[pulumi.Resource] = []
        for zone in args.sources:
            bucket_name = replica_bucket_name(names, zone, here.account_id, args.purpose)
            lock = args.object_lock.get(zone)
            made = secure_bucket(
                self,
                f"{name}-{zone}",
                SecureBucketSpec(
                    bucket_name=bucket_name,
                    partition=args.scope.partition,
                    kms_key_arn=self.key.arn,
                    lifecycle=args.lifecycle.get(zone) or (),
                    object_lock=lock is not None,
                    protect=args.protect,
                    tags={"meridian:zone": zone, "meridian:replica-of": src},
                    region=there,
                ),
            )
            versioned.append(made.versioning)
            if lock is not None:
                aws.s3.BucketObjectLockConfiguration(
                    f"{name}-{zone}-object-lock",
                    bucket=made.id,
                    object_lock_enabled="Enabled",
                    rule={"default_retention": {"mode": lock[0], "years": lock[1]}},
                    region=there,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[made.versioning]),
                )
            self.buckets[zone] = made.bucket
        return versioned

    def _role(self, name: str, args: LakeReplicaArgs) -> aws.iam.Role:
        """The replication role, least privilege on both ends of each pair."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        here, peer = args.scope, args.scope.in_region(args.target_region)
        there = peer.region
        src, dst = region_code(here.region), region_code(there)
        role = aws.iam.Role(
            f"{name}-role",
            name=names.physical(f"{args.purpose}-crr", src, "to", dst, max_length=64),
            description=f"S3 replication of the {args.purpose} {here.region} -> {there}",
            assume_role_policy=service_trust_policy(
                "s3.amazonaws.com",
                condition={"StringEquals": {"aws:SourceAccount": here.account_id}},
            ),
            opts=child,
        )
        sources = [b.arn for b in args.sources.values()]
        replicas = [b.arn for b in self.buckets.values()]
        both = [*sources, *replicas]
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=policy_document(
                [
                    statement(
                        ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                        both,
                        sid="PairedBuckets",
                    ),
                    statement(
                        [
                            "s3:GetObjectVersionForReplication",
                            "s3:GetObjectVersionAcl",
                            "s3:GetObjectVersionTagging",
                            "s3:GetObjectRetention",
                            "s3:GetObjectLegalHold",
                        ],
                        [b.apply(lambda a: f"{a}/*") for b in both],
                        sid="PairedObjectsRead",
                    ),
                    statement(
                        ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                        [b.apply(lambda a: f"{a}/*") for b in both],
                        sid="PairedObjectsWrite",
                    ),
                    key_use_through(
                        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                        args.source_key_arn,
                        here.service_endpoint("s3"),
                        sid="SourceKeyThroughS3",
                    ),
                    key_use_through(
                        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                        self.key.arn,
                        peer.service_endpoint("s3"),
                        sid="ReplicaKeyThroughS3",
                    ),
                ]
            ),
            opts=child,
        )
        return role

    def _configurations(
        self,
        name: str,
        args: LakeReplicaArgs,
        role: aws.iam.Role,
        versioned: Sequence[pulumi.Resource],
    ) -> list[aws.s3.BucketReplicationConfig]:
        """Per zone the replication to the replica and the failback from it."""
        there = args.target_region
        src, dst = region_code(args.scope.region), region_code(there)
        configurations: list[aws.s3.BucketReplicationConfig] = []
        for zone, source in args.sources.items():
            replica = self.buckets[zone]
            deletes = zone not in args.object_lock
            configurations.append(
                _replication(
                    f"{name}-{zone}-replication",
                    args,
                    bucket=source,
                    destination=replica,
                    key_arn=self.key.arn,
                    rule_id=f"{zone}-to-{dst}",
                    deletes=deletes,
                    region=None,
                    opts=pulumi.ResourceOptions(
                        parent=self, depends_on=[*args.source_versioning, *versioned]
                    ),
                    role_arn=role.arn,
                )
            )
            configurations.append(
                _replication(
                    f"{name}-{zone}-failback",
                    args,
                    bucket=replica,
                    destination=source,
                    key_arn=args.source_key_arn,
                    rule_id=f"{zone}-back-to-{src}",
                    deletes=deletes,
                    region=there,
                    opts=pulumi.ResourceOptions(
                        parent=self, depends_on=[*args.source_versioning, *versioned]
                    ),
                    role_arn=role.arn,
                )
            )
        return configurations


def _replication(
    name: str,
    args: LakeReplicaArgs,
    *,
    bucket: aws.s3.Bucket,
    destination: aws.s3.Bucket,
    key_arn: pulumi.Input[str],
    rule_id: str,
    deletes: bool,
    region: str | None,
    role_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.s3.BucketReplicationConfig:
    rtc = "Enabled" if args.replication_time_control else "Disabled"
    return aws.s3.BucketReplicationConfig(
        name,
        bucket=bucket.id,
        role=role_arn,
        rules=[
            {
                "id": rule_id,
                "status": "Enabled",
                "priority": 1,
                "filter": {"prefix": ""},
                "delete_marker_replication": {"status": "Enabled" if deletes else "Disabled"},
                "source_selection_criteria": {
                    "sse_kms_encrypted_objects": {"status": "Enabled"},
                    "replica_modifications": {"status": "Enabled"},
                },
                "destination": {
                    "bucket": destination.arn,
                    "storage_class": "STANDARD",
                    "encryption_configuration": {"replica_kms_key_id": key_arn},
                    "replication_time": {"status": rtc, "time": {"minutes": RTC_MINUTES}},
                    "metrics": {"status": rtc, "event_threshold": {"minutes": RTC_MINUTES}},
                },
            }
        ],
        region=region,
        opts=opts,
    )
