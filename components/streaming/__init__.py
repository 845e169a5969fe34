"""The streaming layer: MSK (KafkaCluster), its topics, schemas and queues, and replication."""

from components.streaming.kafka import KafkaCluster, KafkaClusterArgs, TopicSpec
from components.streaming.replication import (
    ClusterEndpoint,
    KafkaReplication,
    KafkaReplicationArgs,
)

__all__ = [
    "ClusterEndpoint",
    "KafkaCluster",
    "KafkaClusterArgs",
    "KafkaReplication",
    "KafkaReplicationArgs",
    "TopicSpec",
]
