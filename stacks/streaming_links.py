"""The Kafka link between this region and the primary: the MSK replicators of the pair.

Every pair includes the primary region (stacks/streaming_settings.py) and is owned by the
non-primary region's stack: regional stacks deploy after the primary's, so this stack reads the
primary's cluster, subnets and security group through `UpstreamStack` and declares both
directions. The primary's stack declares no replicator; two non-primary regions never pair (they
deploy in the same wave and cannot read each other). The lake needs no cross-stack read: each
stack replicates its buckets into replica buckets it owns in the paired region
(components/data/lakehouse/replication.py).
"""

from __future__ import annotations

import pulumi

from components.common.naming import Names
from components.streaming import ClusterEndpoint, KafkaReplication, KafkaReplicationArgs
from stacks.identity import Role
from stacks.references import UpstreamStack
from stacks.streaming_settings import ReplicationPair


def kafka_link_to_primary(
    pair: ReplicationPair,
    *,
    names: Names,
    environment: str,
    account_id: str,
    partition: str,
    kafka_arn: pulumi.Input[str],
    kafka_subnet_ids: pulumi.Input[list[str]],
    kafka_security_group_id: pulumi.Input[str],
    topics: list[str],
    opts: pulumi.ResourceOptions,
) -> None:
    """Declare the pair's replicators (see the module docstring)."""
    primary = UpstreamStack(environment, Role.REGIONAL, pair.primary)
    if not pair.kafka:
        return  # MSK Replicator does not run in one of the two regions
    KafkaReplication(
        "kafka-replication",
        KafkaReplicationArgs(
            names=names,
            local=ClusterEndpoint(
                kafka_arn, kafka_subnet_ids, kafka_security_group_id, pair.region
            ),
            remote=ClusterEndpoint(
                primary.require("kafkaClusterArn"),
                primary.require("kafkaSubnetIds"),
                primary.require("kafkaSecurityGroupId"),
                pair.primary,
            ),
            active_active=pair.active_active,
            topics=topics,
            account_id=account_id,
            partition=partition,
        ),
        opts=opts,
    )
