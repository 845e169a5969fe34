"""The log shipping of a region: every log group the region's layers make, shipped to the region's
own log archive, so each log gets the design's tiers (architecture "Log Aggregation": hot 30
days, warm 1 year, cold 7 years; the archive's lifecycle holds warm and cold).

One Firehose stream per region (components/observability/log_shipping.py) writes each group under
`logs/<source>/` of the archive in the same region (residency: no log leaves its region here; the
archive itself replicates to the region's DR peer). The stream's own delivery-error group cannot
be shipped through the stream it reports on; CloudWatch keeps it for the warm tier instead.
"""

from __future__ import annotations

import pulumi

from components.foundation.keyring import KeyClass
from components.observability.agents import cloudwatch_retention_days
from components.observability.log_shipping import LogShipping, LogShippingArgs
from components.streaming.cdc import DebeziumPostgresSource
from stacks.regional.baseline import Baseline
from stacks.regional.context import RegionContext
from stacks.regional.data import Data
from stacks.regional.foundation import Foundation
from stacks.regional.kubernetes import Kubernetes
from stacks.regional.streaming import Streaming


def log_sources(
    baseline: Baseline,
    kubernetes: Kubernetes,
    streaming: Streaming,
    data: Data,
    cdc: DebeziumPostgresSource | None,
) -> dict[str, pulumi.Output[str]]:
    """Every log group of the region's layers by source (its folder in the archive)."""
    telemetry = kubernetes.telemetry.log_group_names
    sources = {
        "workloads": telemetry["workloads"],  # Fluent Bit: container logs
        "otel-metrics": telemetry["metrics"],  # the collector's EMF metrics
        "eks-control-plane": kubernetes.cluster.log_group.name,
        "deploy-runner": kubernetes.runner.log_group.name,
        "prometheus": baseline.prometheus.log_group.name,
        "kafka-brokers": streaming.kafka.log_group.name,
    }
    if streaming.lake.bronze_feed_log_group is not None:
        sources["lakehouse-bronze-feed"] = streaming.lake.bronze_feed_log_group.name
    if data.aurora is not None and data.aurora.rotation is not None:
        sources["aurora-rotation"] = data.aurora.rotation.log_group.name
    if cdc is not None:
        sources["cdc-connector"] = cdc.log_group.name
        sources["cdc-rotation"] = cdc.rotation.log_group.name
    return sources


def build(
    ctx: RegionContext,
    foundation: Foundation,
    baseline: Baseline,
    kubernetes: Kubernetes,
    streaming: Streaming,
    data: Data,
    cdc: DebeziumPostgresSource | None,
) -> LogShipping:
    warm_days = ctx.plan.settings.retention.logs.warm_days
    return LogShipping(
        "log-shipping",
        LogShippingArgs(
            names=ctx.names,
            scope=ctx.scope,
            log_groups=log_sources(baseline, kubernetes, streaming, data, cdc),
            archive_bucket_arn=foundation.archive.bucket_arn,
            archive_key_arn=foundation.keys.arn(KeyClass.LOGS),
            error_retention_days=cloudwatch_retention_days(warm_days),
        ),
        opts=ctx.opts,
    )
