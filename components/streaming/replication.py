"""KafkaReplication: MSK Replicator between this region's cluster and the primary region's.

A replicator runs in its TARGET cluster's region. The pair is owned by the non-primary region's
stack (it reads the primary's cluster through `stacks/references.py`), so:
- local -> primary (always; DR or one half of active-active): created in the primary's region
  (`region=` the primary, the pulumi-aws 7 per-resource region on the stack's own provider);
- primary -> local (active-active only): created in this region.
Active-active pairs keep identical topic names (MSK Replicator's loop prevention) and sync consumer
offsets in ENHANCED mode, which needs exactly that reverse replicator; a DR pair prefixes the
replicated topics with the source alias and syncs offsets in LEGACY mode.

Example::

    KafkaReplication("kafka-replication", KafkaReplicationArgs(
        names=names, local=ClusterEndpoint(kafka.arn, kafka.subnet_ids, kafka_sg, "eu-west-1"),
        remote=ClusterEndpoint(primary_arn, primary_subnets, primary_sg, "us-east-1"),
        active_active=True, topics=["user-events"],
        scope=AwsScope(account_id=account_id, region="eu-west-1")), opts=in_region)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.iam import policy_document, service_trust_policy, statement
from components.common.naming import Names, region_code
from components.common.scope import AwsScope


@dataclass(frozen=True)
class ClusterEndpoint:
    arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    region: str

    @property
    def alias(self) -> str:
        return region_code(self.region)


@dataclass(frozen=True)
class KafkaReplicationArgs:
    names: Names
    local: ClusterEndpoint
    remote: ClusterEndpoint
    active_active: bool
    topics: Sequence[str]
    scope: AwsScope
    """The account, partition and region of the stack (the local cluster's region)."""


def _cluster_resources(arn: pulumi.Input[str]) -> list[pulumi.Output[str]]:
    """The cluster, its topics and its groups (topic/group ARNs: cluster -> topic/<name>/<uuid>)."""
    out = pulumi.Output.from_input(arn)
    return [
        out,
        out.apply(lambda a: a.replace(":cluster/", ":topic/", 1) + "/*"),
        out.apply(lambda a: a.replace(":cluster/", ":group/", 1) + "/*"),
    ]


class KafkaReplication(pulumi.ComponentResource):
    replicators: list[aws.msk.Replicator]
    access: aws.iam.RolePolicy

    def __init__(
        self, name: str, args: KafkaReplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:streaming:KafkaReplication", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        self.role = aws.iam.Role(
            f"{name}-role",
            name=names.physical("kafka-replicator", max_length=64),
            description="MSK Replicator between this region's cluster and the primary's",
            assume_role_policy=service_trust_policy(
                "kafka.amazonaws.com",
                condition={"StringEquals": {"aws:SourceAccount": args.scope.account_id}},
            ),
            opts=child,
        )
        resources = _cluster_resources(args.local.arn) + _cluster_resources(args.remote.arn)
        self.access = aws.iam.RolePolicy(
            f"{name}-access",
            role=self.role.id,
            policy=policy_document(
                [
                    statement(
                        [
                            "kafka-cluster:Connect",
                            "kafka-cluster:DescribeCluster",
                            "kafka-cluster:AlterCluster",
                            "kafka-cluster:DescribeTopic",
                            "kafka-cluster:CreateTopic",
                            "kafka-cluster:AlterTopic",
                            "kafka-cluster:WriteData",
                            "kafka-cluster:ReadData",
                            "kafka-cluster:AlterGroup",
                            "kafka-cluster:DescribeGroup",
                            "kafka-cluster:DescribeTopicDynamicConfiguration",
                            "kafka-cluster:AlterTopicDynamicConfiguration",
                            "kafka-cluster:WriteDataIdempotently",
                        ],
                        resources,
                        sid="BothClustersOfThePair",
                    )
                ]
            ),
            opts=child,
        )
        self.replicators = [
            self._replicator(name, args, source=args.local, target=args.remote),
        ]
        if args.active_active:
            self.replicators.append(
                self._replicator(name, args, source=args.remote, target=args.local)
            )
        self.register_outputs({"replicatorArns": [r.arn for r in self.replicators]})

    def _replicator(
        self,
        name: str,
        args: KafkaReplicationArgs,
        *,
        source: ClusterEndpoint,
        target: ClusterEndpoint,
    ) -> aws.msk.Replicator:
        active = args.active_active
        return aws.msk.Replicator(
            f"{name}-{source.alias}-to-{target.alias}",
            replicator_name=args.names.physical(
                "replicate", source.alias, "to", target.alias, max_length=128
            ),
            description=f"Kafka {source.region} -> {target.region}"
            + (" (active-active)" if active else " (DR)"),
            service_execution_role_arn=self.role.arn,
            kafka_clusters=[
                {
                    "amazon_msk_cluster": {"msk_cluster_arn": c.arn},
                    "vpc_config": {
                        "subnet_ids": c.subnet_ids,
                        "security_groups_ids": [c.security_group_id],
                    },
                }
                for c in (source, target)
            ],
            replication_info_list={
                "source_kafka_cluster_arn": source.arn,
                "target_kafka_cluster_arn": target.arn,
                "target_compression_type": "ZSTD",
                "topic_replications": [
                    {
                        "topics_to_replicates": [re.escape(t) for t in args.topics],
                        "copy_topic_configurations": True,
                        "copy_access_control_lists_for_topics": True,
                        "detect_and_copy_new_topics": True,
                        "starting_position": {"type": "EARLIEST"},
                        "topic_name_configuration": {
                            "type": "IDENTICAL" if active else "PREFIXED_WITH_SOURCE_CLUSTER_ALIAS"
                        },
                    }
                ],
                "consumer_group_replications": [
                    {
                        "consumer_groups_to_replicates": [".*"],
                        "synchronise_consumer_group_offsets": True,
                        "detect_and_copy_new_consumer_groups": True,
                        "consumer_group_offset_sync_mode": "ENHANCED" if active else "LEGACY",
                    }
                ],
            },
            # a replicator runs in its target cluster's region
            region=target.region,
            # MSK checks the execution role's access to both clusters when it is created
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.access]),
        )
