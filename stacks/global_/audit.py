"""The environment's audit trail, once: every region, into an Object Lock (compliance) archive in
the primary region, replicated to its DR peer."""

from __future__ import annotations

from components.common.naming import Names
from components.security import AuditTrail, AuditTrailArgs
from stacks.global_.context import GlobalContext
from stacks.topology import replica_region


def build(ctx: GlobalContext) -> AuditTrail:
    manifest = ctx.settings.manifest
    logs = manifest.retention.logs
    return AuditTrail(
        "audit",
        AuditTrailArgs(
            names=ctx.names,
            scope=ctx.scope,
            lake_bucket_prefixes=[
                f"{Names(ctx.env, r).physical('lake')}-" for r in ctx.settings.regions
            ],
            hot_days=logs.hot_days,
            warm_days=logs.warm_days,
            cold_days=logs.cold_days,
            replica_region=replica_region(
                manifest.regions,
                manifest.replication,
                ctx.primary,
                manifest.data_classification,
            ),
            deletion_window_days=manifest.keys.deletion_window_days,
        ),
        opts=ctx.opts,
    )
