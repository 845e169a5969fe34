"""The transactional data layer of a region: Aurora PostgreSQL, Cassandra (Amazon Keyspaces, or
K8ssandra where Keyspaces is not offered), the cache, the DynamoDB global tables, the backup
vault, and the tenants' grants to them.

A secondary region joins the primary's global database, cache global datastore and global tables
through the primary's stack outputs (`ctx.primary`; stacks/data_layer.py says which region is
which)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.data.aurora import AuroraArgs, AuroraGlobalPostgres, MasterRotation
from components.data.backup import BackupVault, BackupVaultArgs
from components.data.cache import ID_MAX as CACHE_ID_MAX
from components.data.cache import Cache, CacheArgs
from components.data.dynamodb import GlobalTables, GlobalTablesArgs
from components.data.k8ssandra import K8ssandra, K8ssandraArgs
from components.data.keyspaces import CassandraKeyspace, CassandraKeyspaceArgs
from components.foundation.keyring import KeyClass
from components.observability.alarms import cache_shard_node_ids
from stacks.data_layer import aurora_global_identifier, backup_placement, dr_summary, grant_tenants
from stacks.data_settings import CassandraTable, cassandra_tables, dynamodb_tables
from stacks.regional.baseline import Baseline
from stacks.regional.context import RegionContext
from stacks.regional.foundation import Foundation
from stacks.regional.kubernetes import Kubernetes
from stacks.versions import (
    AURORA_POSTGRES_FAMILY,
    AURORA_POSTGRES_VERSION,
    AURORA_ROTATION_APPLICATION,
    AURORA_ROTATION_VERSIONS,
    CACHE_ENGINE_VERSIONS,
    CASSANDRA_VERSION,
    HELM_CHARTS,
)


@dataclass(frozen=True)
class Data:
    """The data layer's result. `aurora` is None where the region runs no Aurora cluster;
    `keyspace` is the Keyspaces component where Cassandra is Amazon Keyspaces (None with
    K8ssandra); `keyspace_name` the Cassandra keyspace either way; `cache_node_ids` the cache's
    node ids by shard (what the alarms watch); `dr_summary` what the stack exports of how each
    store replicates."""

    aurora: AuroraGlobalPostgres | None
    aurora_secondary: bool
    keyspace: CassandraKeyspace | None
    k8ssandra: K8ssandra | None
    keyspace_name: str
    cache: Cache
    cache_node_ids: list[list[str]]
    tables: GlobalTables
    backup: BackupVault
    dr_summary: dict[str, Any]


def build(
    ctx: RegionContext, foundation: Foundation, baseline: Baseline, kubernetes: Kubernetes
) -> Data:
    stores = ctx.stores
    aurora = _aurora(ctx, foundation, baseline, kubernetes)
    keyspace_name, table_specs = cassandra_tables()
    keyspace = k8ssandra = None
    if stores.cassandra_engines[ctx.region] == "keyspaces":
        keyspace = CassandraKeyspace(
            "cassandra",
            CassandraKeyspaceArgs(
                keyspace=keyspace_name,
                regions=stores.cassandra_regions(ctx.region),
                owner=ctx.region == stores.cassandra_regions(ctx.region)[0],
                tables=table_specs,
                kms_key_arn=foundation.keys.arn(KeyClass.DATABASES),
                scope=ctx.scope,
            ),
            opts=ctx.opts,
        )
    else:
        k8ssandra = _k8ssandra(ctx, foundation, kubernetes, keyspace_name, table_specs)
    cache = _cache(ctx, foundation, kubernetes)
    tables = _global_tables(ctx, foundation)
    backup = _backup(ctx, foundation, aurora, tables)
    data = ctx.plan.settings.data
    grant_tenants(
        kubernetes.tenants.identities,
        data.access,
        aurora=aurora,
        cassandra=keyspace,
        cache=cache,
        tables=tables,
    )
    size = ctx.plan.settings.sizing.cache
    return Data(
        aurora=aurora,
        aurora_secondary=(
            aurora is not None
            and stores.aurora_global
            and stores.aurora_role(ctx.region) == "secondary"
        ),
        keyspace=keyspace,
        k8ssandra=k8ssandra,
        keyspace_name=keyspace_name,
        cache=cache,
        cache_node_ids=cache_shard_node_ids(
            ctx.names.physical("cache", max_length=CACHE_ID_MAX),
            size.shards,
            size.replicas_per_shard,
        ),
        tables=tables,
        backup=backup,
        dr_summary=dr_summary(
            ctx.region, stores, data, ctx.settings.manifest, ctx.plan.settings.retention.backups
        ),
    )


def _aurora(
    ctx: RegionContext, foundation: Foundation, baseline: Baseline, kubernetes: Kubernetes
) -> AuroraGlobalPostgres | None:
    stores = ctx.stores
    role = stores.aurora_role(ctx.region)
    if role == "none":
        return None
    data = ctx.plan.settings.data
    sizing = ctx.plan.settings.sizing.aurora
    network, keys = foundation.network, foundation.keys
    joins = stores.aurora_global and role != "standalone"
    global_identifier = None
    if joins:
        global_identifier = (
            aurora_global_identifier(ctx.env)
            if ctx.primary is None
            else ctx.primary.aurora_global_cluster_identifier()
        )
    return AuroraGlobalPostgres(
        "aurora",
        AuroraArgs(
            names=ctx.names,
            role=(role if joins and role != "standalone" else "standalone"),
            global_identifier=global_identifier,
            engine_version=AURORA_POSTGRES_VERSION,
            parameter_family=AURORA_POSTGRES_FAMILY,
            instance_class=sizing.instance_class,
            instances=(1 + sizing.readers if role == "primary" else data.aurora.secondary_readers),
            availability_zones=ctx.azs,
            vpc_id=network.vpc.id,
            subnet_ids=network.data_subnet_ids,
            clients=[kubernetes.client_security_group_id],
            endpoint_security_group_id=network.endpoint_security_group_id,
            storage_key_arn=keys.arn(KeyClass.DATABASES),
            secrets_key_arn=keys.arn(KeyClass.SECRETS),
            scope=ctx.scope,
            backup_retention_days=data.aurora.backup_retention_days,
            monitoring_interval_seconds=data.aurora.monitoring_interval_seconds,
            performance_insights_retention_days=data.aurora.performance_insights_retention_days,
            proxy=data.aurora.proxy,
            master_rotation=MasterRotation(  # the master secret rotates
                application=AURORA_ROTATION_APPLICATION,
                semantic_version=AURORA_ROTATION_VERSIONS[ctx.partition],
                days=data.aurora.master_rotation_days,
                logs_key_arn=keys.arn(KeyClass.LOGS),
                log_retention_days=foundation.log_retention_days,
                alert_topic_arn=baseline.alerts.arns["P3"],
            ),
        ),
        opts=ctx.opts,
    )


def _k8ssandra(
    ctx: RegionContext,
    foundation: Foundation,
    kubernetes: Kubernetes,
    keyspace_name: str,
    table_specs: tuple[CassandraTable, ...],
) -> K8ssandra:
    keys = foundation.keys
    return K8ssandra(
        "cassandra",
        K8ssandraArgs(
            names=ctx.names,
            cluster=kubernetes.cluster,
            region=ctx.region,
            datacenters=ctx.stores.cassandra_regions(ctx.region),
            keyspace=keyspace_name,
            tables=table_specs,
            chart=HELM_CHARTS["k8ssandra-operator"],
            cassandra_version=CASSANDRA_VERSION,
            volume_key_arn=keys.arn(KeyClass.COMPUTE),
            backup_bucket=ctx.names.physical("cassandra-backups", ctx.account_id),
            backup_key_arn=keys.arn(KeyClass.BACKUPS),
            partition=ctx.scope.partition,
            clients=ctx.plan.settings.data.access.get("cassandra", []),
            after=kubernetes.ready,
        ),
        opts=ctx.opts,
    )


def _cache(ctx: RegionContext, foundation: Foundation, kubernetes: Kubernetes) -> Cache:
    data = ctx.plan.settings.data
    size = ctx.plan.settings.sizing.cache
    role = ctx.stores.cache_role(ctx.region)
    network = foundation.network
    return Cache(
        "cache",
        CacheArgs(
            names=ctx.names,
            role=role,
            engine=data.cache.engine,
            engine_version=CACHE_ENGINE_VERSIONS[data.cache.engine],
            node_type=size.node_type,
            shards=size.shards,
            replicas=size.replicas_per_shard,
            vpc_id=network.vpc.id,
            subnet_ids=network.data_subnet_ids,
            clients=[kubernetes.client_security_group_id],
            kms_key_arn=foundation.keys.arn(KeyClass.DATABASES),
            users=data.access.get("cache", []),
            snapshot_retention_days=data.cache.snapshot_retention_days,
            region=ctx.region,
            global_datastore_id=(
                ctx.primary.cache_global_datastore_id()
                if ctx.primary is not None and role == "secondary"
                else None
            ),
        ),
        opts=ctx.opts,
    )


def _global_tables(ctx: RegionContext, foundation: Foundation) -> GlobalTables:
    specs = dynamodb_tables()
    # a region the residency table keeps out of the global tables owns tables of its own
    primary = ctx.primary if ctx.stores.dynamodb_member(ctx.region) else None
    return GlobalTables(
        "dynamodb",
        GlobalTablesArgs(
            names=ctx.names,
            tables=specs,
            owner=primary is None,
            kms_key_arn=foundation.keys.arn(KeyClass.DATABASES),
            scope=ctx.scope,
            global_table_arns=(
                {t.name: primary.global_table_arn(t.name) for t in specs}
                if primary is not None
                else {}
            ),
        ),
        opts=ctx.opts,
    )


def _backup(
    ctx: RegionContext,
    foundation: Foundation,
    aurora: AuroraGlobalPostgres | None,
    tables: GlobalTables,
) -> BackupVault:
    """The region's vault, copying to its DR peer's vault (`stores.backup_copies`) in the tiers of
    `meridian:retention.backups`."""
    backup = ctx.plan.settings.data.backup
    return BackupVault(
        "backup",
        BackupVaultArgs(
            names=ctx.names,
            kms_key_arn=foundation.keys.arn(KeyClass.BACKUPS),
            **backup_placement(ctx.region, ctx.stores, ctx.plan.settings.retention.backups),
            vault_lock=backup.vault_lock,
            restore_testing=backup.restore_testing,
            resources={
                "Aurora": [aurora.cluster.arn] if aurora is not None else [],
                "DynamoDB": [
                    *(t.arn for t in tables.tables.values()),
                    *(r.arn for r in tables.replicas.values()),
                ],
            },
            scope=ctx.scope,
            key_deletion_window_days=foundation.deletion_window_days,
        ),
        opts=ctx.opts,
    )
