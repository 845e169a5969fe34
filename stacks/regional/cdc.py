"""The CDC layer of a region: the Debezium PostgreSQL source connector on MSK Connect that turns
the Aurora writer's WAL into the `cdc.postgres.*` topics of stacks/data/kafka_topics.json.

It runs in the primary region only. Logical replication reads the writer: the secondaries of the
global database are read-only replicas that cannot hold a logical replication slot, and CDC from
each region's own cluster would publish every change once per region. The topics are replicated
to the other regions by the Kafka link (stacks/regional/streaming.py), like every other topic.
After a global failover the new primary's stack gets the connector on its next deploy
(README "Known limits").
"""

from __future__ import annotations

from components.data.aurora import DATABASE_NAME
from components.foundation.keyring import KeyClass
from components.streaming.cdc import (
    CdcPlugin,
    CdcRotation,
    CdcTable,
    DebeziumPostgresSource,
    DebeziumPostgresSourceArgs,
)
from stacks.regional.baseline import Baseline
from stacks.regional.context import RegionContext
from stacks.regional.data import Data
from stacks.regional.foundation import Foundation
from stacks.regional.streaming import CDC_TOPIC_PREFIX, Streaming, cdc_runs_here
from stacks.versions import (
    AURORA_ROTATION_APPLICATION,
    AURORA_ROTATION_VERSIONS,
    DEBEZIUM_VERSION,
    MSK_CONFIG_PROVIDERS_VERSION,
    MSK_CONNECT_VERSION,
)

TOPIC_PREFIX = CDC_TOPIC_PREFIX
SCHEMA = "public"
"""The PostgreSQL schema of the captured tables (each instance of the topic row is a table)."""


def cdc_tables(streaming: Streaming) -> list[CdcTable]:
    """One captured table per `cdc.postgres.{}` topic of the topic table."""
    prefix = f"{TOPIC_PREFIX}."
    return [
        CdcTable(topic=name, table=f"{SCHEMA}.{name.removeprefix(prefix)}")
        for name in streaming.topic_names
        if name.startswith(prefix)
    ]


def build(
    ctx: RegionContext, foundation: Foundation, baseline: Baseline, streaming: Streaming, data: Data
) -> DebeziumPostgresSource | None:
    if not cdc_runs_here(ctx, streaming.topic_names) or data.aurora is None:
        return None
    tables = cdc_tables(streaming)
    network, keys, kafka = foundation.network, foundation.keys, streaming.kafka
    return DebeziumPostgresSource(
        "cdc",
        DebeziumPostgresSourceArgs(
            names=ctx.names,
            scope=ctx.scope,
            vpc_id=network.vpc.id,
            subnet_ids=network.private_subnet_ids,
            kafka_cluster_arn=kafka.arn,
            bootstrap_brokers_iam=kafka.bootstrap_brokers_iam,
            kafka_security_group_id=kafka.security_group.id,
            topic_prefix=TOPIC_PREFIX,
            tables=tables,
            database_host=data.aurora.cluster.endpoint,
            database_name=DATABASE_NAME,
            database_security_group_id=data.aurora.security_group.id,
            endpoint_security_group_id=network.endpoint_security_group_id,
            storage_key_arn=keys.arn(KeyClass.STORAGE),
            secrets_key_arn=keys.arn(KeyClass.SECRETS),
            logs_key_arn=keys.arn(KeyClass.LOGS),
            log_retention_days=foundation.log_retention_days,
            plugin=CdcPlugin(DEBEZIUM_VERSION, MSK_CONFIG_PROVIDERS_VERSION),
            kafkaconnect_version=MSK_CONNECT_VERSION,
            rotation=CdcRotation(  # the CDC user's secret rotates like the master's
                application=AURORA_ROTATION_APPLICATION,
                semantic_version=AURORA_ROTATION_VERSIONS[ctx.partition],
                days=ctx.plan.settings.data.aurora.master_rotation_days,
                database_subnet_ids=network.data_subnet_ids,
                alert_topic_arn=baseline.alerts.arns["P3"],
            ),
            access_log_bucket=streaming.lake.buckets["access-logs"].id,
        ),
        opts=ctx.opts,
    )
