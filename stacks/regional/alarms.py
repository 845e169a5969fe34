"""The platform alarms of a region: the stores and gateways this region runs, watched, routed to
the alert topics by severity."""

from __future__ import annotations

from components.observability.alarms import PlatformAlarms, PlatformAlarmsArgs
from stacks.regional.baseline import Baseline
from stacks.regional.context import RegionContext
from stacks.regional.data import Data
from stacks.regional.foundation import Foundation
from stacks.regional.streaming import Streaming


def build(
    ctx: RegionContext,
    foundation: Foundation,
    baseline: Baseline,
    streaming: Streaming,
    data: Data,
) -> PlatformAlarms:
    aurora = data.aurora
    return PlatformAlarms(
        "alarms",
        PlatformAlarmsArgs(
            names=ctx.names,
            topic_arns=baseline.alerts.arns,
            kafka_cluster_names=[streaming.kafka.cluster.cluster_name],
            aurora_cluster_ids=[aurora.cluster.cluster_identifier] if aurora else [],
            aurora_secondary_cluster_ids=(
                [aurora.cluster.cluster_identifier] if aurora and data.aurora_secondary else []
            ),
            # every region serving the multi-region keyspace (its owner declares the keyspace)
            keyspaces=[data.keyspace_name] if data.keyspace is not None else [],
            dynamodb_tables=[data.tables.table_name(t) for t in data.tables.args.tables],
            cache_shards=data.cache_node_ids,
            nat_gateway_ids=foundation.network.nat_gateway_ids,
        ),
        opts=ctx.opts,
    )
