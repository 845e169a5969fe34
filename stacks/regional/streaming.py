"""The streaming layer of a region: the MSK cluster and its topics, the brokers' exporters as
the cluster's telemetry scraper reads them, the lakehouse fed from the bronze topics, and the
Kafka link to the primary region.

The link is owned by the non-primary region's stack (every pair includes the primary,
stacks/streaming_settings.py): regional stacks deploy after the primary's, so this stack reads
the primary's cluster, subnets and security group and declares both directions. The primary's
stack declares no replicator; two non-primary regions never pair (they deploy in the same wave
and cannot read each other). The lake needs no cross-stack read: each stack replicates its
buckets into replica buckets it owns in the paired region
(components/data/lakehouse/replication.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.common.buckets import bucket_arn
from components.data.lakehouse import Lakehouse, LakehouseArgs, LakeLifecycleArgs
from components.data.service_buckets import service_bucket_name
from components.foundation.keyring import KeyClass
from components.foundation.network import Tier, plan_subnets
from components.observability.broker_metrics import BrokerMetrics, BrokerMetricsArgs
from components.streaming import (
    ClusterEndpoint,
    KafkaCluster,
    KafkaClusterArgs,
    KafkaReplication,
    KafkaReplicationArgs,
    TopicSpec,
)
from components.streaming.cdc import plugin_bucket_name
from components.streaming.kafka import MAX_CLIENT_SUBNETS
from stacks.dependencies import service_buckets
from stacks.identity import Role
from stacks.outputs import RegionalOutputs
from stacks.references import UpstreamStack
from stacks.regional.context import RegionContext
from stacks.regional.foundation import Foundation
from stacks.regional.kubernetes import Kubernetes
from stacks.streaming_settings import (
    ReplicationPair,
    TopicRow,
    broker_count,
    kafka_replicator_source,
    replication_pairs,
    topic_table,
)
from stacks.versions import KAFKA_VERSION


@dataclass(frozen=True)
class Streaming:
    """The streaming layer's result. `lake_replica_region`: where the lake's buckets replicate
    (the region's DR peer, None without one); `pair`: this region's link to the primary (None in
    the primary and in regions without one); `replication`: its MSK replicators, None where MSK
    Replicator does not run in one of the two regions."""

    kafka: KafkaCluster
    topics: tuple[TopicRow, ...]
    lake: Lakehouse
    lake_replica_region: str | None
    pair: ReplicationPair | None
    replication: KafkaReplication | None

    @property
    def topic_names(self) -> list[str]:
        return [t.name for t in self.topics]

    @property
    def replication_peer(self) -> str | None:
        """The region this region's streams replicate with (the primary), if any: none where the
        pair replicates the lake only (no MSK Replicator, or residency forbids the copy)."""
        return self.pair.primary if self.pair and self.pair.kafka else None


def build(ctx: RegionContext, foundation: Foundation, kubernetes: Kubernetes) -> Streaming:
    topics = topic_table()
    kafka = _kafka(ctx, foundation, kubernetes, topics)
    _broker_metrics(ctx, kubernetes, kafka)
    lake = _lakehouse(ctx, foundation, kafka, topics)
    manifest = ctx.settings.manifest
    pair = replication_pairs(
        manifest.regions, manifest.replication, manifest.data_classification
    ).get(ctx.region)
    replication = _link_to_primary(ctx, pair, kafka, topics) if pair is not None else None
    return Streaming(kafka, topics, lake, ctx.replica_region, pair, replication)


def _kafka(
    ctx: RegionContext,
    foundation: Foundation,
    kubernetes: Kubernetes,
    topics: tuple[TopicRow, ...],
) -> KafkaCluster:
    stream = ctx.plan.settings.streaming
    size = ctx.plan.settings.sizing.kafka
    network, keys = foundation.network, foundation.keys
    manifest = ctx.settings.manifest
    return KafkaCluster(
        "kafka",
        KafkaClusterArgs(
            names=ctx.names,
            kafka_version=KAFKA_VERSION,
            instance_type=size.instance_type,
            broker_count=broker_count(size.brokers_per_az, len(ctx.azs)),
            volume_gb=size.volume_gb,
            vpc_id=network.vpc.id,
            subnet_ids=pulumi.Output.all(*network.data_subnet_ids),
            availability_zone_count=len(ctx.azs),
            client_security_group_ids=[kubernetes.client_security_group_id],
            # the telemetry scraper's pods share the nodes' group (custom networking)
            monitoring_security_group_ids=[kubernetes.client_security_group_id],
            kms_key_arn=keys.arn(KeyClass.STREAMING),
            logs_kms_key_arn=keys.arn(KeyClass.LOGS),
            scope=ctx.scope,
            topics=[
                TopicSpec(t.name, t.partitions, t.replication_factor, t.tiered, t.schema)
                for t in topics
            ],
            tiered_storage=stream.tiered_storage,
            hot_retention_hours=stream.hot_retention_hours,
            total_retention_days=stream.total_retention_days,
            max_volume_gb=stream.max_volume_gb,
            storage_target_utilization=stream.storage_target_utilization,
            log_retention_days=stream.broker_log_retention_days,
            schema_compatibility=stream.schema_compatibility,
            dlq_max_receives=stream.dlq_max_receives,
            replicator_source=kafka_replicator_source(
                manifest.regions, manifest.replication, ctx.region, manifest.data_classification
            ),
        ),
        opts=ctx.opts,
    )


def _broker_metrics(ctx: RegionContext, kubernetes: Kubernetes, kafka: KafkaCluster) -> None:
    """The brokers' exporters as the cluster's telemetry scraper reads them: the targets file of
    every broker and the scraper's egress to the brokers' subnets (the first data subnets, one
    per AZ the brokers use)."""
    layout = plan_subnets(ctx.plan.vpc_cidr, len(ctx.azs))  # the Network's own layout
    data = [str(p.cidr) for p in sorted(layout, key=lambda p: p.az_index) if p.tier == Tier.DATA]
    BrokerMetrics(
        "kafka-metrics",
        BrokerMetricsArgs(
            cluster=kubernetes.cluster,
            cluster_name=kafka.cluster.cluster_name,
            broker_endpoints=kafka.broker_endpoints,
            broker_cidrs=data[:MAX_CLIENT_SUBNETS],
            scraper_namespace=kubernetes.observability_namespace,
        ),
        opts=ctx.opts,
    )


CDC_TOPIC_PREFIX = "cdc.postgres"
"""Debezium's `topic.prefix`: the CDC rows of the topic table are `cdc.postgres.{}`."""


def cdc_runs_here(ctx: RegionContext, topic_names: Sequence[str]) -> bool:
    """Whether the region runs the CDC connector (stacks/regional/cdc.py): the Aurora primary's
    region, with CDC topics in the topic table."""
    return ctx.stores.aurora_role(ctx.region) == "primary" and any(
        t.startswith(f"{CDC_TOPIC_PREFIX}.") for t in topic_names
    )


def lake_log_sources(ctx: RegionContext, topic_names: Sequence[str]) -> list[str]:
    """The buckets outside the lake that log into its access-log bucket: the service buckets
    (stacks/regional/services.py) and, where CDC runs, the CDC plugin bucket."""
    names, account = ctx.names, ctx.scope.account_id
    buckets = [service_bucket_name(names, b, account) for b in service_buckets()]
    if cdc_runs_here(ctx, topic_names):
        buckets.append(plugin_bucket_name(names, account))
    return [bucket_arn(ctx.scope.partition, b) for b in buckets]


def _lakehouse(
    ctx: RegionContext, foundation: Foundation, kafka: KafkaCluster, topics: tuple[TopicRow, ...]
) -> Lakehouse:
    lake = ctx.plan.settings.lakehouse
    life = lake.lifecycle
    keys = foundation.keys
    return Lakehouse(
        "lakehouse",
        LakehouseArgs(
            names=ctx.names,
            scope=ctx.scope,
            storage_key_arn=keys.arn(KeyClass.STORAGE),
            logs_key_arn=keys.arn(KeyClass.LOGS),
            kafka_cluster_arn=kafka.arn,
            bronze_topics=[t.name for t in topics if t.bronze],
            kafka_ready=[
                kafka.cluster_policy,
                *(kafka.topics[t.name] for t in topics if t.bronze),
            ],
            gold_readers=lake.gold_readers,
            lake_admins=lake.lake_admins,
            lifecycle=LakeLifecycleArgs(
                life.ia_days, life.glacier_days, life.bronze_expire_days, life.noncurrent_days
            ),
            compliance_retention_years=lake.compliance_retention_years,
            object_lock_mode=lake.object_lock_mode,
            replica_region=ctx.replica_region,
            replication_time_control=lake.replication_time_control,
            key_deletion_window_days=foundation.deletion_window_days,
            other_log_sources=lake_log_sources(ctx, [t.name for t in topics]),
        ),
        opts=ctx.opts,
    )


def _link_to_primary(
    ctx: RegionContext, pair: ReplicationPair, kafka: KafkaCluster, topics: tuple[TopicRow, ...]
) -> KafkaReplication | None:
    """The pair's replicators (see the module docstring)."""
    primary = RegionalOutputs.read(UpstreamStack(ctx.env, Role.REGIONAL, pair.primary))
    if not pair.kafka:
        return None  # MSK Replicator does not run in one of the two regions
    return KafkaReplication(
        "kafka-replication",
        KafkaReplicationArgs(
            names=ctx.names,
            local=ClusterEndpoint(
                kafka.arn, kafka.subnet_ids, kafka.security_group.id, pair.region
            ),
            remote=ClusterEndpoint(
                primary.kafka_cluster_arn(),
                primary.kafka_subnet_ids(),
                primary.kafka_security_group_id(),
                pair.primary,
            ),
            active_active=pair.active_active,
            topics=[t.name for t in topics],
            scope=ctx.scope,
        ),
        opts=ctx.opts,
    )
