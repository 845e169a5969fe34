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
from components.data.backup import BackupTiers
from components.data.cache import Cache
from components.data.dynamodb import GlobalTables
from components.data.keyspaces import CassandraKeyspace
from components.kubernetes.workload_identity import WorkloadIdentity
from stacks.data_settings import DataSettings, DataTopology, DrTarget, GlobalStore, topology
from stacks.dependencies import cassandra_tables_of
from stacks.residency import group_refusal, jurisdiction_of
from stacks.settings import EnvironmentManifest, MeridianSettings, RetentionTier
from stacks.streaming_settings import kafka_dr
from stacks.topology import replica_region


def data_topology(settings: MeridianSettings) -> DataTopology:
    """Where every store of the environment lives and replicates (validated settings)."""
    manifest = settings.manifest
    return topology(
        manifest.regions,
        manifest.data_placement,
        manifest.replication.active_active,
        manifest.replication.dr_peers,
        manifest.data_classification,
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
            cassandra.grant_read_write(identities[service], cassandra_tables_of(service))
    for service in access.get("cache", ()):
        cache.grant_connect(identities[service], service)
    for spec in tables.args.tables:
        for service in access.get(spec.store, ()):
            tables.grant_read_write(identities[service], spec.name)


def backup_tiers(tier: RetentionTier) -> BackupTiers:
    """`meridian:retention.backups` as the vault's tiers."""
    return BackupTiers(tier.hot_days, tier.warm_days, tier.cold_days)


def backup_placement(region: str, stores: DataTopology, tier: RetentionTier) -> dict[str, Any]:
    """The BackupVault arguments that place this region's copies: the copy region (its DR peer or
    `backupCopies`), whether this stack creates the copy vault there (a peer outside the
    environment's regions has no stack of its own), and the tiers."""
    copy_to = stores.backup_copies.get(region)
    return {
        "copy_region": copy_to,
        "copy_vault_owned": copy_to is not None and copy_to not in stores.regions,
        "tiers": backup_tiers(tier),
    }


def _target(t: DrTarget, cross_region: bool = True) -> dict[str, float | None]:
    return {
        "rpoSeconds": t.rpo_seconds,
        "crossRegionRpoSeconds": t.cross_region_rpo_seconds if cross_region else None,
        "rtoSeconds": t.rto_seconds,
    }


def _where(region: str | None) -> dict[str, str | None]:
    j = jurisdiction_of(region) if region is not None else None
    return {"region": region, "jurisdiction": j.code if j is not None else None}


def no_peer_reason(region: str, manifest: EnvironmentManifest) -> str:
    """Why `region` has no DR peer (drSummary)."""
    if manifest.replication.dr_peers.get(region) == "none":
        return f"meridian:replication.drPeers.{region} is 'none'"
    if len(manifest.regions) == 1 and manifest.data_classification in ("public", "internal"):
        return "the environment has one region"
    return (
        f"no region the residency table allows for {manifest.data_classification} data of "
        f"{region} (stacks/data/residency.json)"
    )


def store_residency(
    region: str, stores: DataTopology, store: GlobalStore, data_class: str
) -> dict[str, Any]:
    """Where `store`'s copy of `region`'s data is replicated (regions and their jurisdictions) and
    why it may go there: global by design (the configured reason), or the residency table's group;
    for a region the table keeps out of the group, why."""
    replicas = stores.replica_regions(store, region)
    out: dict[str, Any] = {
        "replicaRegions": list(replicas),
        "replicaJurisdictions": sorted({_where(r)["jurisdiction"] or "?" for r in replicas}),
    }
    if store in stores.global_by_design:
        out["globalByDesign"] = stores.global_by_design[store]
    elif region not in stores.groups[store]:
        reason = group_refusal(region, stores.groups[store], data_class)
        out["residency"] = f"kept out of the {stores.primary} group: {reason}"
    return out


def dr_summary(
    region: str,
    stores: DataTopology,
    data: DataSettings,
    manifest: EnvironmentManifest,
    backups: RetentionTier,
) -> dict[str, Any]:
    """Per data store, what the plan does with this region's copy: where it is replicated or
    copied (and that region's jurisdiction), or that it is not, and why; RPO/RTO targets as
    configured, a cross-region RPO only where a cross-region copy exists."""
    role = stores.aurora_role(region)
    engine = stores.cassandra_engines[region]
    cache_role = stores.cache_role(region)
    copy_to = stores.backup_copies.get(region)
    tiers = backup_tiers(backups)
    data_class = manifest.data_classification
    lake_to = replica_region(manifest.regions, manifest.replication, region, data_class)
    in_datastore = cache_role != "regional"
    home = jurisdiction_of(region)
    return {
        "dataClassification": data_class,
        "jurisdiction": home.code if home is not None else None,
        "postgres": {
            "engine": "aurora-postgresql",
            "role": role,
            "replication": (
                "Aurora storage: 6 copies over 3 AZs (synchronous quorum)"
                + (
                    "; global database storage replication to "
                    + f"{len(stores.aurora_secondaries)} secondary regions (async, typically < 1 s)"
                    if stores.aurora_global and role in ("primary", "secondary")
                    else ""
                )
            ),
            **_target(data.dr.postgres, stores.aurora_global and role in ("primary", "secondary")),
            **store_residency(region, stores, "aurora", data_class),
        },
        "cassandra": {
            "engine": engine,
            "replication": (
                "Amazon Keyspaces: 3 copies over 3 AZs; "
                + (
                    "multi-region keyspace over " + ", ".join(stores.cassandra_regions(region))
                    if len(stores.cassandra_regions(region)) > 1
                    else "single-region keyspace"
                )
                if engine == "keyspaces"
                else "K8ssandra: RF=3 per datacenter (NetworkTopologyStrategy), datacenters "
                + ", ".join(stores.cassandra_regions(region))
            ),
            **_target(data.dr.cassandra, len(stores.cassandra_regions(region)) > 1),
            **store_residency(region, stores, "cassandra", data_class),
        },
        "cache": {
            "engine": data.cache.engine,
            "role": cache_role,
            "globalDatastoreMember": in_datastore,
            "replication": (
                f"Multi-AZ replicas, automatic failover; global datastore {stores.primary} -> "
                f"{', '.join(stores.cache_secondaries)}"
                if in_datastore
                else "Multi-AZ replicas, automatic failover; in no global datastore: no copy "
                "outside the region"
            ),
            **_target(data.dr.cache, in_datastore),
            **store_residency(region, stores, "cache", data_class),
        },
        "dynamodb": {
            "replication": (
                f"global tables in {len(stores.groups['dynamodb'])} regions (multi-active, async)"
                if stores.dynamodb_member(region) and len(stores.groups["dynamodb"]) > 1
                else "regional tables of this region (no replica elsewhere)"
            ),
            **_target(
                data.dr.dynamodb,
                stores.dynamodb_member(region) and len(stores.groups["dynamodb"]) > 1,
            ),
            **store_residency(region, stores, "dynamodb", data_class),
        },
        "kafka": kafka_dr(manifest.regions, manifest.replication, region, data_class),
        "lake": {
            "replicaRegion": lake_to,
            "replicaJurisdiction": _where(lake_to)["jurisdiction"],
            **(
                {}
                if lake_to
                else {
                    "note": f"no replica: {no_peer_reason(region, manifest)}; the lake stays "
                    "in region"
                }
            ),
        },
        "backups": {
            "vault": "AWS Backup, daily",
            "copyTo": copy_to,
            "copyJurisdiction": _where(copy_to)["jurisdiction"],
            **(
                {}
                if copy_to
                else {
                    "note": f"no copy: {no_peer_reason(region, manifest)}; recovery points stay "
                    "in this region's vault (stored across its AZs)"
                }
            ),
            "hotDays": tiers.hot_days,
            "warmDays": tiers.warm_days,
            "coldStorageAfterDays": tiers.cold_storage_after,
            "deleteAfterDays": tiers.cold_days,
            "vaultLock": data.backup.vault_lock,
        },
    }


def _seconds(value: float, bound: str) -> str:
    return "0 s" if value == 0 else f"{bound}{value:g} s"


def dr_table(data: DataSettings, engines: Mapping[str, str], backups: RetentionTier) -> str:
    """The README/docs table of the data stores' replication, RPO and RTO (as configured)."""
    dr = data.dr
    rows = [
        (
            "PostgreSQL",
            f"Aurora PostgreSQL {engines['postgres']}, global database",
            "6 copies over 3 AZs (quorum); storage replication to every other region the "
            "residency table allows (up to 10 secondaries; the rest run stand-alone clusters)",
            dr.postgres,
        ),
        (
            "Cassandra",
            "Amazon Keyspaces multi-region keyspace (K8ssandra where Keyspaces is not offered)",
            "3 replicas per region (RF=3 per DC), multi-region replication over the regions the "
            "residency table allows (the rest: single-region keyspaces)",
            dr.cassandra,
        ),
        (
            "Cache",
            f"ElastiCache {data.cache.engine} {engines['cache']}, cluster mode",
            "Multi-AZ replicas with automatic failover; global datastore of the primary and up to "
            "2 regions (the other regions' caches have no cross-region copy and are refilled "
            "from the stores)",
            dr.cache,
        ),
        (
            "Key-value",
            "DynamoDB global tables (sessions, idempotency keys)",
            "multi-active replicas in every region the residency table allows (the rest: "
            "regional tables)",
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
            f"< {target.cross_region_rpo_seconds:g} s"
            + (" (datastore members)" if store == "Cache" else "")
            + f" | < {target.rto_seconds:g} s |"
        )
    backup = data.backup
    tiers = backup_tiers(backups)
    cold = (
        f"{tiers.cold_days - tiers.cold_storage_after} days cold"
        if tiers.cold_storage_after is not None
        else "no cold tier"
    )
    lines.append(
        f"| Backups | AWS Backup (daily; Aurora, DynamoDB, tagged EBS) | copied to the DR peer "
        f"the residency table allows; {tiers.hot_days} days hot (restore-tested, locked), "
        f"warm until day {tiers.warm_days}, {cold}, deleted after {tiers.cold_days} days"
        + (", vault locked" if backup.vault_lock else "")
        + (", restore tested weekly" if backup.restore_testing else "")
        + " | 24 h | 24 h | restore time |"
    )
    return "\n".join(lines) + "\n"
