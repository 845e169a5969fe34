"""Settings of the transactional data layer: Aurora, Cassandra, caches, DynamoDB global
tables, AWS Backup, the DR targets and which tenant services reach which store; their
per-environment defaults and the checks beyond types.

Keys:

```yaml
meridian:dataPlacement:        # environment-wide (manifest only): where each store replicates
  auroraSecondaries: null      # regions whose cluster joins the global database; null = all others
  cassandraEngines: {}         # region -> keyspaces | k8ssandra; default: keyspaces where offered
  cacheSecondaries: null       # global datastore members besides the primary (<= 2); null = the
                               # active-active partners, then the next regions
  backupCopies: {}             # region -> region its backups are copied to; default: the DR peer
  globalByDesign: {}           # store (aurora|cassandra|cache|dynamodb) -> why it replicates to
                               # every region whatever the residency table says
meridian:data:                 # regional (a region's stack file may override it)
  aurora: {secondaryReaders: 2, backupRetentionDays: 35, monitoringIntervalSeconds: 30,
           performanceInsightsRetentionDays: 465, proxy: true, masterRotationDays: 30}
  cache: {engine: valkey, snapshotRetentionDays: 7}
  backup: {vaultLock: true, restoreTesting: true}   # tiers: meridian:retention.backups
  access:                      # store -> tenant services granted it (components/tenancy)
    aurora: [user, auth, content, payment, geo, order]
  dr:                          # targets the stack exports as drSummary (and the README states)
    postgres: {rpoSeconds: 0, crossRegionRpoSeconds: 1, rtoSeconds: 30}
```

Replicated stores follow the residency table (stacks/data/residency.json) for the environment's
`dataClassification`: the Aurora global database, the multi-Region keyspace (or K8ssandra's
datacenters), the cache's global datastore and the DynamoDB global tables take only the regions
that may exchange data with every other member both ways (stacks/residency.replication_group,
the primary first); any other region runs a store of its own (a stand-alone Aurora cluster, a
single-Region keyspace, regional tables and cache). The config gate refuses a listed secondary the
table forbids. `globalByDesign` names a store that holds nothing the table restricts and
replicates everywhere, with the reason, which `drSummary` repeats.

A region's backups are copied to its DR peer (stacks/topology.py: the same region its lake and log
archive replicate to); `backupCopies` overrides it for backups (any region offering AWS Backup that
the residency table allows; one outside the environment gets its copy vault from this stack). The
plan keeps recovery points in the tiers of `meridian:retention.backups` (hot, warm, cold days).

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from components.data.tables import CassandraTable, KeyValueTable
from components.tenancy.services import SERVICES as TENANT_SERVICES
from stacks import capabilities
from stacks.config.errors import ConfigProblem
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel
from stacks.dependencies import store_access
from stacks.residency import group_refusal, replication_group
from stacks.streaming_settings import dr_target_problems
from stacks.topology import active_active_partners, dr_peer

ROTATION_SERVICES = ("serverless-repo", "lambda")
"""What the global primary's master-secret rotation deploys (components/data/secret_rotation.py)."""
AURORA_MAX_SECONDARY_REGIONS = 10
"""Aurora global database: one primary cluster and up to 10 secondary clusters, each in another
region (Aurora User Guide, "Configuration requirements of an Amazon Aurora global database")."""
AURORA_MAX_READERS = 15
"""Read-only instances per Aurora cluster."""
CACHE_MAX_SECONDARY_REGIONS = 2
"""ElastiCache global datastore: a primary cluster replicates to secondary clusters in up to two
other regions (ElastiCache User Guide, "Prerequisites and limitations" of global datastores)."""
CACHE_GLOBAL_MIN_SIZE = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
"""Global datastores run on node sizes `large` and above (same page)."""

CassandraEngine = Literal["keyspaces", "k8ssandra"]
GlobalStore = Literal["aurora", "cassandra", "cache", "dynamodb"]
GLOBAL_STORES: tuple[GlobalStore, ...] = ("aurora", "cassandra", "cache", "dynamodb")
"""Stores that replicate across regions by themselves (not through backups or S3)."""
STORES = ("aurora", "cassandra", "cache", "sessions", "idempotency")
"""Stores a tenant service can be granted (meridian:data.access)."""


class AuroraSettings(MeridianModel):
    secondary_readers: int = Field(alias="secondaryReaders", ge=0, le=AURORA_MAX_READERS)
    """Reader instances of a secondary region's cluster; 0 = headless (storage only)."""
    backup_retention_days: int = Field(alias="backupRetentionDays", ge=1, le=35)
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60] = Field(
        alias="monitoringIntervalSeconds"
    )
    performance_insights_retention_days: int = Field(alias="performanceInsightsRetentionDays")
    proxy: bool
    master_rotation_days: int = Field(alias="masterRotationDays", ge=1, le=365)
    """Days between rotations of the global primary's master secret (Secrets Manager allows 1 to
    1,000; Meridian caps it at a year, and a month is the usual compliance ceiling)."""


class CacheSettings(MeridianModel):
    engine: Literal["valkey", "redis"]
    snapshot_retention_days: int = Field(alias="snapshotRetentionDays", ge=1, le=35)


class BackupSettings(MeridianModel):
    vault_lock: bool = Field(alias="vaultLock")
    """AWS Backup Vault Lock (governance mode, then compliance after the grace period)."""
    restore_testing: bool = Field(alias="restoreTesting")


class DrTarget(MeridianModel):
    rpo_seconds: float = Field(alias="rpoSeconds", ge=0)
    cross_region_rpo_seconds: float = Field(alias="crossRegionRpoSeconds", ge=0)
    rto_seconds: float = Field(alias="rtoSeconds", gt=0)


class DrTargets(MeridianModel):
    postgres: DrTarget
    cassandra: DrTarget
    cache: DrTarget
    dynamodb: DrTarget


class DataSettings(MeridianModel):
    aurora: AuroraSettings
    cache: CacheSettings
    backup: BackupSettings
    access: dict[str, list[str]]
    dr: DrTargets


class DataPlacement(MeridianModel):
    aurora_secondaries: list[str] | None = Field(alias="auroraSecondaries")
    cassandra_engines: dict[str, CassandraEngine] = Field(alias="cassandraEngines")
    cache_secondaries: list[str] | None = Field(alias="cacheSecondaries")
    """None: the primary's active-active partners, then the next regions, up to two."""
    backup_copies: dict[str, str] = Field(alias="backupCopies")
    global_by_design: dict[GlobalStore, str] = Field(alias="globalByDesign", default_factory=dict)
    """Store -> why it replicates to every region whatever the residency table says."""


# --- defaults ------------------------------------------------------------------------------------

# The seed (architecture section 07): Postgres RPO 0 s locally (synchronous six-way storage
# quorum) and < 1 s cross-region (global database storage replication), RTO < 30 s; Cassandra
# RF=3 per DC; Redis failover < 10 s. DynamoDB global tables replicate asynchronously, typically
# within a second.
_DR = {
    "postgres": {"rpoSeconds": 0, "crossRegionRpoSeconds": 1, "rtoSeconds": 30},
    "cassandra": {"rpoSeconds": 0, "crossRegionRpoSeconds": 1, "rtoSeconds": 30},
    "cache": {"rpoSeconds": 1, "crossRegionRpoSeconds": 1, "rtoSeconds": 10},
    "dynamodb": {"rpoSeconds": 0, "crossRegionRpoSeconds": 1, "rtoSeconds": 30},
}
# Who reaches what: the store rows of the service dependency table
# (stacks/data/service_dependencies.json), store -> services.
_ACCESS = store_access()
_PROD = {
    "aurora": {
        "secondaryReaders": 2,
        "backupRetentionDays": 35,
        "monitoringIntervalSeconds": 30,
        "performanceInsightsRetentionDays": 465,
        "proxy": True,
        "masterRotationDays": 30,
    },
    "cache": {"engine": "valkey", "snapshotRetentionDays": 7},
    "backup": {
        "vaultLock": True,
        "restoreTesting": True,
    },
    "access": _ACCESS,
    "dr": _DR,
}
DATA_DEFAULTS: dict[str, dict[str, object]] = {
    "dev": {
        **_PROD,
        "aurora": {
            **_PROD["aurora"],  # type: ignore[dict-item]
            "backupRetentionDays": 7,
            "monitoringIntervalSeconds": 60,
            "performanceInsightsRetentionDays": 7,
        },
        "cache": {"engine": "valkey", "snapshotRetentionDays": 1},
        "backup": {
            "vaultLock": False,
            "restoreTesting": False,
        },
    },
    "staging": {
        **_PROD,
        "aurora": {**_PROD["aurora"], "backupRetentionDays": 14},  # type: ignore[dict-item]
        "backup": {**_PROD["backup"], "vaultLock": False},  # type: ignore[dict-item]
    },
    "prod": _PROD,
}
PLACEMENT_DEFAULTS: dict[str, dict[str, object]] = {
    "dev": {
        "auroraSecondaries": None,
        "cassandraEngines": {},
        "cacheSecondaries": None,
        "backupCopies": {},
        "globalByDesign": {},
    },
    "staging": {
        "auroraSecondaries": None,
        "cassandraEngines": {},
        "cacheSecondaries": None,
        "backupCopies": {},
        "globalByDesign": {},
    },
    # Architecture: active-active us-east-1 <-> eu-west-1; the cache's global datastore follows the
    # active-active pair, then the next region (prod: eu-west-1 and us-west-2; two at most).
    "prod": {
        "auroraSecondaries": None,
        "cassandraEngines": {},
        "cacheSecondaries": None,
        "backupCopies": {},
        "globalByDesign": {},
    },
}


# --- the plan of the environment's data stores ---------------------------------------------------


@dataclass(frozen=True)
class DataTopology:
    """Where every store lives and replicates, for the whole environment (validated settings).
    `groups`: store -> the regions its replicated copy spans (the residency table's group, or
    every region for a store global by design); `global_by_design`: store -> why."""

    primary: str
    regions: tuple[str, ...]
    aurora_secondaries: tuple[str, ...]
    cassandra_engines: Mapping[str, CassandraEngine]
    cache_secondaries: tuple[str, ...]
    backup_copies: Mapping[str, str | None]
    groups: Mapping[str, tuple[str, ...]]
    global_by_design: Mapping[GlobalStore, str]

    @property
    def keyspaces_regions(self) -> tuple[str, ...]:
        """The regions of the primary's multi-Region keyspace."""
        return tuple(
            r for r in self.groups["cassandra"] if self.cassandra_engines[r] == "keyspaces"
        )

    @property
    def k8ssandra_regions(self) -> tuple[str, ...]:
        """The datacenters of the primary's K8ssandra cluster."""
        return tuple(
            r for r in self.groups["cassandra"] if self.cassandra_engines[r] == "k8ssandra"
        )

    def cassandra_regions(self, region: str) -> tuple[str, ...]:
        """The regions `region`'s keyspace (or K8ssandra cluster) spans, owner first: the shared
        one of its engine, or `region` alone where the residency table keeps it out."""
        if region not in self.groups["cassandra"]:
            return (region,)
        engine = self.cassandra_engines[region]
        return self.keyspaces_regions if engine == "keyspaces" else self.k8ssandra_regions

    def aurora_role(self, region: str) -> Literal["primary", "secondary", "standalone", "none"]:
        """`standalone`: the residency table keeps the region out of the global database, so it
        runs a cluster of its own; `none`: no cluster (a region left out of auroraSecondaries)."""
        if region == self.primary:
            return "primary"
        if region in self.aurora_secondaries:
            return "secondary"
        return "none" if region in self.groups["aurora"] else "standalone"

    @property
    def aurora_global(self) -> bool:
        return bool(self.aurora_secondaries)

    def cache_role(self, region: str) -> Literal["primary", "secondary", "regional"]:
        if self.cache_secondaries and region == self.primary:
            return "primary"
        return "secondary" if region in self.cache_secondaries else "regional"

    def dynamodb_member(self, region: str) -> bool:
        """Whether `region` holds replicas of the primary's global tables (else tables of its
        own)."""
        return region in self.groups["dynamodb"]

    def replica_regions(self, store: str, region: str) -> tuple[str, ...]:
        """The other regions holding `store`'s copy of `region`'s data."""
        members: tuple[str, ...]
        if store == "aurora":
            role = self.aurora_role(region)
            members = (
                (self.primary, *self.aurora_secondaries) if role in ("primary", "secondary") else ()
            )
        elif store == "cassandra":
            members = self.cassandra_regions(region)
        elif store == "cache":
            members = (
                (self.primary, *self.cache_secondaries)
                if self.cache_role(region) != "regional"
                else ()
            )
        else:
            members = self.groups["dynamodb"] if self.dynamodb_member(region) else ()
        return tuple(r for r in members if r != region)


def store_groups(
    regions: Sequence[str], data_class: str, global_by_design: Mapping[GlobalStore, str]
) -> dict[str, tuple[str, ...]]:
    """Store -> the regions its replicated copy may span (the primary first)."""
    group = replication_group(regions, data_class)
    return {s: tuple(regions) if s in global_by_design else group for s in GLOBAL_STORES}


def default_cassandra_engine(region: str, opted_out: bool = False) -> CassandraEngine:
    """Keyspaces where AWS offers it and the region did not opt out of it, else Cassandra on EKS."""
    offered = capabilities.offers(region, "keyspaces") and not opted_out
    return "keyspaces" if offered else "k8ssandra"


def cache_secondaries(
    regions: Sequence[str],
    placement: DataPlacement,
    active_active: Sequence[Sequence[str]],
    data_class: str = "internal",
) -> list[str]:
    """The regions whose cache joins the primary's global datastore: as listed, else the
    active-active partners, then the next regions, that the residency table lets join."""
    if placement.cache_secondaries is not None:
        return list(placement.cache_secondaries)
    if not regions:
        return []
    primary = regions[0]
    group = store_groups(regions, data_class, placement.global_by_design)["cache"]
    partners = active_active_partners(regions, active_active)
    ordered = dict.fromkeys([*partners, *(r for r in regions if r != primary)])
    return [r for r in ordered if r in group][:CACHE_MAX_SECONDARY_REGIONS]


def topology(
    regions: Sequence[str],
    placement: DataPlacement,
    active_active: Sequence[Sequence[str]],
    dr_peers: Mapping[str, str],
    data_class: str,
    opt_outs: Mapping[str, Sequence[str]] | None = None,
) -> DataTopology:
    primary = regions[0]
    opt_outs = opt_outs or {}
    groups = store_groups(regions, data_class, placement.global_by_design)
    others = [r for r in groups["aurora"] if r != primary]
    secondaries = others if placement.aurora_secondaries is None else placement.aurora_secondaries
    copies = {
        r: placement.backup_copies.get(r, dr_peer(r, regions, active_active, dr_peers, data_class))
        for r in regions
    }
    return DataTopology(
        primary=primary,
        regions=tuple(regions),
        aurora_secondaries=tuple(secondaries),
        cassandra_engines={
            r: placement.cassandra_engines.get(
                r, default_cassandra_engine(r, "keyspaces" in opt_outs.get(r, ()))
            )
            for r in regions
        },
        cache_secondaries=tuple(cache_secondaries(regions, placement, active_active, data_class)),
        backup_copies={r: (None if c == "none" else c) for r, c in copies.items()},
        groups=groups,
        global_by_design=dict(placement.global_by_design),
    )


# --- checks beyond types -------------------------------------------------------------------------


def validate_placement(
    regions: Sequence[str],
    placement: DataPlacement,
    manifest_file: str,
    data_class: str = "internal",
) -> list[ConfigProblem]:
    """The environment-wide checks: Aurora's and the global datastore's limits, Keyspaces where
    AWS offers it, regions of the environment."""
    if not regions:
        return []
    return [
        *_listed_secondary_problems(regions, placement, manifest_file),
        *_residency_problems(regions, placement, manifest_file, data_class),
        *_global_store_limit_problems(regions, placement, manifest_file, data_class),
        *_cassandra_engine_problems(regions, placement, manifest_file),
        *_backup_copy_problems(regions, placement, manifest_file, data_class),
    ]


def _listed_secondary_problems(
    regions: Sequence[str], placement: DataPlacement, manifest_file: str
) -> list[ConfigProblem]:
    """Listed secondaries of the global database and the global datastore that are not
    secondary regions of the environment."""
    problems: list[ConfigProblem] = []
    key = f"{NAMESPACE}:dataPlacement"
    primary = regions[0]
    known = set(regions)
    others = [r for r in regions if r != primary]
    for name, listed in (
        ("auroraSecondaries", placement.aurora_secondaries or []),
        ("cacheSecondaries", placement.cache_secondaries or []),
    ):
        for i, region in enumerate(listed):
            if region not in known or region == primary:
                problems.append(
                    ConfigProblem(
                        f"{key}.{name}[{i}]",
                        region,
                        "is not a secondary region of the environment "
                        f"(the primary is {primary}; the others: {', '.join(others) or 'none'})",
                        "name regions of meridian:regions other than the primary in "
                        + manifest_file,
                    )
                )
    return problems


def _global_store_limit_problems(
    regions: Sequence[str], placement: DataPlacement, manifest_file: str, data_class: str
) -> list[ConfigProblem]:
    """AWS's limits on the global stores: Aurora's secondary count and the rotation function its
    primary needs, and the global datastore's secondary count."""
    problems: list[ConfigProblem] = []
    key = f"{NAMESPACE}:dataPlacement"
    primary = regions[0]
    group = store_groups(regions, data_class, placement.global_by_design)["aurora"]
    secondaries = (
        [r for r in group if r != primary]
        if placement.aurora_secondaries is None
        else placement.aurora_secondaries
    )
    if len(secondaries) > AURORA_MAX_SECONDARY_REGIONS:
        shown = "auroraSecondaries" if placement.aurora_secondaries is not None else "(default)"
        problems.append(
            ConfigProblem(
                f"{key}.auroraSecondaries",
                list(secondaries) if placement.aurora_secondaries is not None else shown,
                f"makes {len(secondaries)} secondary regions join the Aurora global database; "
                f"Aurora allows at most {AURORA_MAX_SECONDARY_REGIONS} secondary clusters (one "
                "per region) besides the primary",
                f"list at most {AURORA_MAX_SECONDARY_REGIONS} regions in "
                f"{key}.auroraSecondaries in {manifest_file}; the others run no Aurora cluster "
                "and reach the nearest secondary",
            )
        )
    if secondaries:
        missing = [s for s in ROTATION_SERVICES if not capabilities.offers(primary, s)]
        if missing:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:regions[0]",
                    primary,
                    "is the Aurora global database's primary, whose master secret Meridian rotates "
                    "with AWS's rotation function from the Serverless Application Repository; AWS "
                    f"does not offer {' or '.join(missing)} in {primary} "
                    "(stacks/region_capabilities.json)",
                    f"list a region that offers it first in meridian:regions in {manifest_file}, "
                    f"or set {key}.auroraSecondaries: [] (a stand-alone cluster, whose password "
                    "RDS manages and rotates)",
                )
            )
    listed_caches = placement.cache_secondaries or []
    if len(listed_caches) > CACHE_MAX_SECONDARY_REGIONS:
        problems.append(
            ConfigProblem(
                f"{key}.cacheSecondaries",
                list(listed_caches),
                f"names {len(listed_caches)} regions; an ElastiCache global "
                f"datastore replicates to at most {CACHE_MAX_SECONDARY_REGIONS} secondary regions",
                f"keep at most {CACHE_MAX_SECONDARY_REGIONS} regions in {manifest_file}; the other "
                "regions run regional caches",
            )
        )
    return problems


def _cassandra_engine_problems(
    regions: Sequence[str], placement: DataPlacement, manifest_file: str
) -> list[ConfigProblem]:
    """Cassandra engines named for regions outside the environment, or Keyspaces where AWS does
    not offer it."""
    problems: list[ConfigProblem] = []
    key = f"{NAMESPACE}:dataPlacement"
    known = set(regions)
    for region, engine in placement.cassandra_engines.items():
        if region not in known:
            problems.append(
                ConfigProblem(
                    f"{key}.cassandraEngines.{region}",
                    engine,
                    "names a region that is not in meridian:regions",
                    f"remove it from {manifest_file} or add the region to meridian:regions",
                )
            )
        elif engine == "keyspaces" and not capabilities.offers(region, "keyspaces"):
            problems.append(
                ConfigProblem(
                    f"{key}.cassandraEngines.{region}",
                    engine,
                    f"asks for Amazon Keyspaces, which AWS does not offer in {region} "
                    "(stacks/region_capabilities.json)",
                    "set it to k8ssandra (Cassandra on the region's EKS cluster) in "
                    + manifest_file,
                )
            )
    return problems


def _backup_copy_problems(
    regions: Sequence[str], placement: DataPlacement, manifest_file: str, data_class: str
) -> list[ConfigProblem]:
    """Backup copies named for regions outside the environment, or to a target the residency
    table does not allow."""
    problems: list[ConfigProblem] = []
    key = f"{NAMESPACE}:dataPlacement"
    known = set(regions)
    for region, target in placement.backup_copies.items():
        if region not in known:
            problems.append(
                ConfigProblem(
                    f"{key}.backupCopies.{region}",
                    target,
                    f"names {region}, which is not in meridian:regions",
                    f"remove it from {manifest_file}",
                )
            )
        elif target != "none":
            problems.extend(
                dr_target_problems(
                    f"{key}.backupCopies.{region}",
                    region,
                    target,
                    data_class,
                    manifest_file,
                    "the backup copy region",
                )
            )
    return problems


def _residency_problems(
    regions: Sequence[str], placement: DataPlacement, manifest_file: str, data_class: str
) -> list[ConfigProblem]:
    """Listed secondaries of the global database and the global datastore that the residency
    table keeps out of the group (unless the store is global by design), and blank reasons."""
    problems: list[ConfigProblem] = []
    key = f"{NAMESPACE}:dataPlacement"
    known = set(regions)
    group = replication_group(regions, data_class)
    for store, name, listed in (
        ("aurora", "auroraSecondaries", placement.aurora_secondaries or []),
        ("cache", "cacheSecondaries", placement.cache_secondaries or []),
    ):
        if store in placement.global_by_design:
            continue
        for i, region in enumerate(listed):
            if region not in known or region == regions[0]:
                continue  # reported as not a secondary region
            reason = group_refusal(region, group, data_class)
            if reason is not None:
                problems.append(
                    ConfigProblem(
                        f"{key}.{name}[{i}]",
                        region,
                        f"would replicate the {store} store of the environment's "
                        f"{data_class} data out of its jurisdiction: {reason}",
                        f"remove {region} from {key}.{name} in {manifest_file} (it then runs a "
                        f"{store} store of its own), or, if the {store} store holds nothing the "
                        f"residency table restricts, say why under {key}.globalByDesign.{store}",
                    )
                )
    for store, why in placement.global_by_design.items():
        if not why.strip():
            problems.append(
                ConfigProblem(
                    f"{key}.globalByDesign.{store}",
                    why,
                    "gives no reason why the store may replicate to every region",
                    "write the reason (what the store holds and why the residency table does not "
                    f"restrict it) in {manifest_file}, or remove the entry",
                )
            )
    return problems


def validate_data(
    region: str,
    data: DataSettings,
    cache_node_type: str,
    cache_global: bool,
    known_services: Sequence[str],
    source: Mapping[str, str],
) -> list[ConfigProblem]:
    """One region's checks: the cache node type is offered there, access names real services."""
    problems: list[ConfigProblem] = []
    where = source.get("data", "the stack file")
    sizing_where = source.get("sizing", "the stack file")
    node_key = f"{NAMESPACE}:sizing.cache.nodeType"
    ec2_type = cache_node_type.removeprefix("cache.")
    tracked = capabilities.instance_types()
    if ec2_type not in tracked:
        problems.append(
            ConfigProblem(
                node_key,
                cache_node_type,
                f"is a node type Meridian cannot check in {region}: its instance type {ec2_type} "
                "is not tracked in stacks/region_capabilities.json",
                "use one of "
                + ", ".join(f"cache.{t}" for t in tracked if t[:1] in "rmt" and "g." in t)
                + f" in {sizing_where}, or add {ec2_type} to meridian_ops/gen/capabilities.py and "
                "regenerate the table",
            )
        )
    elif not capabilities.instance_type_offered(region, ec2_type):
        problems.append(
            ConfigProblem(
                node_key,
                cache_node_type,
                f"is not offered in {region} (its instance family is not in the region, "
                "stacks/region_capabilities.json)",
                f"choose a node type offered in {region} in {sizing_where}",
            )
        )
    if cache_global and cache_node_type.rsplit(".", 1)[-1] not in CACHE_GLOBAL_MIN_SIZE:
        problems.append(
            ConfigProblem(
                node_key,
                cache_node_type,
                f"is smaller than large; {region}'s cache is in the global datastore, which runs "
                "on node sizes large and above",
                f"use cache.r7g.large or larger in {sizing_where}, or take {region} out of "
                "meridian:dataPlacement.cacheSecondaries",
            )
        )
    pi = data.aurora.performance_insights_retention_days
    if not (pi in (7, 731) or (pi % 31 == 0 and 1 <= pi // 31 <= 23)):
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:data.aurora.performanceInsightsRetentionDays",
                pi,
                "is not a retention Performance Insights offers (7, 31 x months for 1-23 months, "
                "or 731)",
                f"use 7, 465 (15 months) or 731 in {where}",
            )
        )
    for store, services in data.access.items():
        if store not in STORES:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:data.access.{store}",
                    services,
                    "is not a data store of the layer",
                    f"use one of {', '.join(STORES)} in {where}",
                )
            )
            continue
        for i, service in enumerate(services):
            if service not in known_services:
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:data.access.{store}[{i}]",
                        service,
                        "is not a tenant service (components/tenancy/services.py)",
                        f"use one of {', '.join(known_services)} in {where}",
                    )
                )
    return problems


# --- the data tables -----------------------------------------------------------------------------

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def cassandra_tables(
    path: Path = DATA_DIR / "cassandra_tables.json",
) -> tuple[str, tuple[CassandraTable, ...]]:
    """(keyspace name, tables) of stacks/data/cassandra_tables.json."""
    data = json.loads(path.read_text())
    tables = tuple(
        CassandraTable(
            name=t["name"],
            columns=tuple((str(k), str(v)) for k, v in t["columns"].items()),
            partition_key=tuple(t["partitionKey"]),
            clustering=tuple(
                (str(c), "DESC" if o == "DESC" else "ASC") for c, o in t["clustering"]
            ),
            ttl_days=int(t["ttlDays"]),
            comment=str(t["comment"]),
        )
        for t in data["tables"]
    )
    return str(data["keyspace"]), tables


@cache
def dynamodb_tables(path: Path = DATA_DIR / "dynamodb_tables.json") -> tuple[KeyValueTable, ...]:
    """The global tables of stacks/data/dynamodb_tables.json."""
    data = json.loads(path.read_text())
    return tuple(
        KeyValueTable(
            name=t["name"],
            hash_key=(t["hashKey"][0], t["hashKey"][1]),
            range_key=(t["rangeKey"][0], t["rangeKey"][1]) if t["rangeKey"] else None,
            ttl_attribute=t["ttlAttribute"],
            store=t["store"],
            comment=t["comment"],
        )
        for t in data["tables"]
    )


def cache_in_global_datastore(
    region: str,
    regions: Sequence[str],
    placement: DataPlacement,
    active_active: Sequence[Sequence[str]],
    data_class: str = "internal",
) -> bool:
    """Whether `region`'s cache is a member of the environment's global datastore (`regions`: the
    environment's usable regions)."""
    members = cache_secondaries(regions, placement, active_active, data_class)
    return bool(members) and (region in members or region == regions[0])


DATA_SPEC = SettingSpec(
    key="data",
    field="data",
    model=DataSettings,
    defaults=DATA_DEFAULTS,
    scope="regional",
    validate=lambda c: validate_data(
        c.region_name,
        c.value,
        c.region_settings.sizing.cache.node_type,
        cache_in_global_datastore(
            c.region_name,
            c.regions,
            c.manifest.data_placement,
            c.manifest.replication.active_active,
            c.manifest.data_classification,
        ),
        [s.name for s in TENANT_SERVICES],
        c.source,
    ),
    check="validate_data",
)
"""`meridian:data`, regional (stacks/config/registry.py)."""
PLACEMENT_SPEC = SettingSpec(
    key="dataPlacement",
    field="data_placement",
    model=DataPlacement,
    defaults=PLACEMENT_DEFAULTS,
    scope="manifest",
    validate=lambda c: validate_placement(
        c.regions, c.value, c.manifest_file, c.manifest.data_classification
    ),
    check="validate_placement",
)
"""`meridian:dataPlacement`, environment-wide (stacks/config/registry.py)."""
