"""A regional stack: one region's platform, composed layer by layer.

Each layer is a module with one `build(ctx, ...)` returning a frozen result the later layers
take: foundation (keys, log archive, network, account defaults) -> baseline (alert topics,
threat detection, Prometheus) -> kubernetes (cluster, node pools, add-ons, deploy runner, mesh,
tenancy, telemetry agents) -> edge_metrics (the Cloudflare analytics exporter, primary
region) -> rate_limit (the ingress's global rate limiting) -> ingress API
(GraphQL router, partner mTLS entry) -> streaming (Kafka, lakehouse, replication to the primary)
-> data (Aurora, Cassandra, cache, DynamoDB, backup, grants) -> cdc (Debezium on MSK Connect,
primary region) -> services (the dependency table's buckets, grants and event alarms) -> alarms
-> logs (every log group shipped to the region's log archive) -> outputs (stacks/outputs.py).
`RegionContext` (context.py) is what they all share.
"""

from __future__ import annotations

from stacks.regional import (
    alarms,
    baseline,
    cdc,
    data,
    edge_metrics,
    foundation,
    ingress_api,
    kubernetes,
    logs,
    outputs,
    rate_limit,
    services,
    streaming,
)
from stacks.regional.context import RegionContext, region_context
from stacks.settings import MeridianSettings

__all__ = ["RegionContext", "region_context", "run"]


def run(settings: MeridianSettings) -> None:
    ctx = region_context(settings)
    base = foundation.build(ctx)
    watch = baseline.build(ctx, base)
    kube = kubernetes.build(ctx, base, watch)
    edge_metrics.build(ctx, kube)
    rate_limit.build(ctx, base, kube)
    ingress_api.build(ctx, kube)
    streams = streaming.build(ctx, base, kube)
    stores = data.build(ctx, base, watch, kube)
    connector = cdc.build(ctx, base, watch, streams, stores)
    services.build(ctx, base, watch, kube, streams)
    alarms.build(ctx, base, watch, streams, stores)
    logs.build(ctx, base, watch, kube, streams, stores, connector)
    outputs.build(ctx, base, watch, kube, streams, stores).export()
