"""The data layer's helpers (stacks/regional/data.py composes it): where a region stands in each
store's topology, the grants config asks for, the DR summary a regional stack exports and the
docs' DR table.

Cross-stack reads: a secondary region reads the global database's identifier, the cache's global
datastore id and the global tables' ARNs from the primary region's stack (waves: global, primary,
the other regions, edge), never from another secondary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.data.aurora import AuroraGlobalPostgres
from components.data.cache import Cache
from components.data.dynamodb import GlobalTables
from components.data.keyspaces import CassandraKeyspace
from components.kubernetes.workload_identity import WorkloadIdentity
from stacks.data_settings import DataSettings, DataTopology, DrTarget, topology
from stacks.settings import MeridianSettings


def data_topology(settings: MeridianSettings) -> DataTopology:
    """Where every store of the environment lives and replicates (validated settings)."""
    manifest = settings.manifest
    return topology(
        manifest.regions,
        manifest.data_placement,
        manifest.replication.active_active,
        manifest.replication.dr_peers,
        manifest.service_opt_outs,
    )


def aurora_global_identifier(environment: str) -> str:
    """The global cluster's identifier: one per environment, created by the primary's stack."""
    return f"meridian-{environment}-aurora"


def grant_tenants(
    identities: Mapping[str, WorkloadIdentity],
    access: Mapping[str, Sequence[str]],
    *,
    aurora: AuroraGlobalPostgres | None,
    cassandra: CassandraKeyspace | None,
    cache: Cache,
    tables: GlobalTables,
) -> None:
    """Exactly the access `meridian:data.access` names: store -> tenant services."""
    for service in access.get("aurora", ()):
        if aurora is not None:
            aurora.grant_connect(identities[service], db_user=service)
    for service in access.get("cassandra", ()):
        if cassandra is not None:
            cassandra.grant_read_write(identities[service])
    for service in access.get("cache", ()):
        cache.grant_connect(identities[service], service)
    for spec in tables.args.tables:
        for service in access.get(spec.store, ()):
            tables.grant_read_write(identities[service], spec.name)


def _target(t: DrTarget) -> dict[str, float]:
    return {
        "rpoSeconds": t.rpo_seconds,
        "crossRegionRpoSeconds": t.cross_region_rpo_seconds,
        "rtoSeconds": t.rto_seconds,
    }


def dr_summary(region: str, stores: DataTopology, data: DataSettings) -> dict[str, Any]:
    """Per data store: how this region's copy replicates, and its RPO/RTO targets as configured."""
    role = stores.aurora_role(region)
    engine = stores.cassandra_engines[region]
    cache_role = stores.cache_role(region)
    copy_to = stores.backup_copies.get(region)
    return {
        "postgres": {
            "engine": "aurora-postgresql",
            "role": role,
            "replication": (
                "Aurora storage: 6 copies over 3 AZs (synchronous quorum)"
                + (
                    "; global database storage replication to "
                    + f"{len(stores.aurora_secondaries)} secondary regions (async, typically < 1 s)"
                    if stores.aurora_global and role != "none"
                    else ""
                )
            ),
            **_target(data.dr.postgres),
        },
        "cassandra": {
            "engine": engine,
            "replication": (
                "Amazon Keyspaces: 3 copies over 3 AZs; multi-region keyspace over "
                + ", ".join(stores.keyspaces_regions)
                if engine == "keyspaces"
                else "K8ssandra: RF=3 per datacenter (NetworkTopologyStrategy), datacenters "
                + ", ".join(stores.k8ssandra_regions)
            ),
            **_target(data.dr.cassandra),
        },
        "cache": {
            "engine": data.cache.engine,
            "role": cache_role,
            "replication": (
                "Multi-AZ replicas, automatic failover"
                + (
                    f"; global datastore {stores.primary} -> {', '.join(stores.cache_secondaries)}"
                    if cache_role != "regional"
                    else ""
                )
            ),
            **_target(data.dr.cache),
        },
        "dynamodb": {
            "replication": f"global tables in {len(stores.regions)} regions (multi-active, async)",
            **_target(data.dr.dynamodb),
        },
        "backups": {
            "vault": "AWS Backup, daily",
            "retentionDays": data.backup.retention_days,
            "copyTo": copy_to,
            "vaultLock": data.backup.vault_lock,
        },
    }


def _seconds(value: float, bound: str) -> str:
    return "0 s" if value == 0 else f"{bound}{value:g} s"


def dr_table(data: DataSettings, engines: Mapping[str, str]) -> str:
    """The README/docs table of the data stores' replication, RPO and RTO (as configured)."""
    dr = data.dr
    rows = [
        (
            "PostgreSQL",
            f"Aurora PostgreSQL {engines['postgres']}, global database",
            "6 copies over 3 AZs (quorum); storage replication to every other region "
            "(up to 10 secondaries)",
            dr.postgres,
        ),
        (
            "Cassandra",
            "Amazon Keyspaces multi-region keyspace (K8ssandra where Keyspaces is not offered)",
            "3 replicas per region (RF=3 per DC), multi-region replication",
            dr.cassandra,
        ),
        (
            "Cache",
            f"ElastiCache {data.cache.engine} {engines['cache']}, cluster mode",
            "Multi-AZ replicas with automatic failover; global datastore (primary + 2 regions)",
            dr.cache,
        ),
        (
            "Key-value",
            "DynamoDB global tables (sessions, idempotency keys)",
            "multi-active replicas in every region",
            dr.dynamodb,
        ),
    ]
    lines = [
        "| store | engine | replication | RPO in region | RPO across regions | RTO |",
        "|---|---|---|---|---|---|",
    ]
    for store, engine, replication, target in rows:
        lines.append(
            f"| {store} | {engine} | {replication} | {_seconds(target.rpo_seconds, '')} | "
            f"< {target.cross_region_rpo_seconds:g} s | < {target.rto_seconds:g} s |"
        )
    backup = data.backup
    lines.append(
        f"| Backups | AWS Backup (daily; Aurora, DynamoDB, tagged EBS) | copied to the DR peer, "
        f"kept {backup.retention_days} days"
        + (", vault locked" if backup.vault_lock else "")
        + (", restore tested weekly" if backup.restore_testing else "")
        + " | 24 h | 24 h | restore time |"
    )
    return "\n".join(lines) + "\n"
