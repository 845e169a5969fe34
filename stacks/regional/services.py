"""The services layer of a region: what the service dependency table
(stacks/data/service_dependencies.json) gives each domain service beyond the shared stores: its
own buckets, its grants on the exact topics, groups, queues and bucket prefixes it uses, and the
consumer-lag and dead-letter alarms of the event flow (stacks/dependencies.py)."""

from __future__ import annotations

from dataclasses import dataclass

from components.data.service_buckets import ServiceBuckets
from components.foundation.keyring import KeyClass
from stacks.dependencies import ServiceBucketReplication, wire_dependencies
from stacks.regional.baseline import Baseline
from stacks.regional.context import RegionContext
from stacks.regional.foundation import Foundation
from stacks.regional.kubernetes import Kubernetes
from stacks.regional.streaming import Streaming


@dataclass(frozen=True)
class Services:
    buckets: ServiceBuckets


def build(
    ctx: RegionContext,
    foundation: Foundation,
    baseline: Baseline,
    kubernetes: Kubernetes,
    streaming: Streaming,
) -> Services:
    return Services(
        buckets=wire_dependencies(
            ctx.names,
            ctx.scope,
            kubernetes.tenants.identities,
            streaming.kafka,
            foundation.keys.arn(KeyClass.STORAGE),
            streaming.lake.buckets["access-logs"].id,
            baseline.alerts.arns,
            ctx.opts,
            replication=ServiceBucketReplication(
                replica_region=ctx.replica_region,
                replication_time_control=ctx.plan.settings.lakehouse.replication_time_control,
                key_deletion_window_days=foundation.deletion_window_days,
            ),
        )
    )
