"""Settings of the streaming layer and the lakehouse: Kafka retention and storage, the schema
registry's default compatibility, the replication pairs between regions, the lake's lifecycle and
who reads gold; their per-environment defaults; the checks beyond types; the topic table loader.

Keys:

```yaml
meridian:streaming:          # regional (a region's stack file may override it)
  tieredStorage: true        # MSK tiered storage for older data
  hotRetentionHours: 168     # 7 days on broker disks
  totalRetentionDays: 30     # 30 days in all (tiered topics)
  maxVolumeGb: 16384         # storage autoscaling ceiling per broker
  storageTargetUtilization: 60
  brokerLogRetentionDays: 30
  schemaCompatibility: BACKWARD
  dlqMaxReceives: 5
meridian:lakehouse:          # regional
  lifecycle: {iaDays: 30, glacierDays: 90, bronzeExpireDays: 730, noncurrentDays: 30}
  complianceRetentionYears: 7
  objectLockMode: COMPLIANCE
  goldReaders: [meridian-bi-reader]     # IAM role names Lake Formation lets SELECT gold
  lakeAdmins: [MeridianDeployer]        # IAM role names administering Lake Formation
  replicationTimeControl: true
meridian:replication:        # environment-wide (manifest only)
  activeActive: [[us-east-1, eu-west-1]]
  drPeers: {eu-west-1: eu-west-3, sa-east-1: none}   # storage DR peers (stacks/topology.py)
  kafkaDrOptOuts: {me-south-1: "MSK Replicator is not offered in me-south-1"}
```

`drPeers` sets where a region's backups, lake and log archive go (any region offering S3, KMS and
AWS Backup that the residency table, stacks/data/residency.json, allows for the environment's
`dataClassification`). Kafka pairs are separate: every region's topics have a DR copy on another
cluster (a non-primary region's on the primary's, the primary's on its active-active partner's) or
the region is listed in `kafkaDrOptOuts` with the reason; the config gate refuses a region with
neither, and an opt-out where the copy would be made.

Kafka replication pairs always include the primary region. The stack of the NON-primary side owns
everything that links the two (both MSK replicators, both S3 replication configurations): regional
stacks deploy after the primary's, so they can read its outputs through `stacks/references.py`,
while two non-primary regions deploy in the same wave and cannot read each other. A non-primary
region not named anywhere replicates to the primary for DR.

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, Protocol

from pydantic import Field

from stacks.config.errors import ConfigProblem
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel
from stacks.residency import dr_capable, may_copy, why_not
from stacks.topology import NO_PEER, active_active_partners
from stacks.versions import MSK_REPLICATOR_REGIONS

TOPICS_FILE = Path(__file__).resolve().parent / "data" / "kafka_topics.json"

MSK_MAX_CLIENT_SUBNETS = 3
"""MSK Provisioned places brokers in two or three client subnets (one per AZ), never more."""

S3_IA_MINIMUM_DAYS = 30
"""S3 moves nothing to Standard-IA before it is 30 days old."""
GLACIER_MINIMUM_STORAGE_DAYS = 90
"""Glacier Flexible Retrieval bills 90 days at least: expiring sooner only adds a fee."""


class StreamingSettings(MeridianModel):
    tiered_storage: bool = Field(alias="tieredStorage")
    hot_retention_hours: int = Field(alias="hotRetentionHours", ge=1, le=8760)
    total_retention_days: int = Field(alias="totalRetentionDays", ge=1, le=3650)
    max_volume_gb: int = Field(alias="maxVolumeGb", ge=10, le=16384)
    storage_target_utilization: int = Field(alias="storageTargetUtilization", ge=10, le=80)
    broker_log_retention_days: Literal[
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557
    ] = Field(alias="brokerLogRetentionDays")
    schema_compatibility: Literal[
        "NONE", "BACKWARD", "BACKWARD_ALL", "FORWARD", "FORWARD_ALL", "FULL", "FULL_ALL"
    ] = Field(alias="schemaCompatibility")
    dlq_max_receives: int = Field(alias="dlqMaxReceives", ge=1, le=1000)


class LakeLifecycle(MeridianModel):
    ia_days: int = Field(alias="iaDays", ge=1)
    glacier_days: int = Field(alias="glacierDays", ge=1)
    bronze_expire_days: int = Field(alias="bronzeExpireDays", ge=1)
    noncurrent_days: int = Field(alias="noncurrentDays", ge=1)


class LakehouseSettings(MeridianModel):
    lifecycle: LakeLifecycle
    compliance_retention_years: int = Field(alias="complianceRetentionYears", ge=1, le=100)
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(alias="objectLockMode")
    gold_readers: list[str] = Field(alias="goldReaders")
    lake_admins: list[str] = Field(alias="lakeAdmins", min_length=1)
    replication_time_control: bool = Field(alias="replicationTimeControl")


class ReplicationSettings(MeridianModel):
    active_active: list[list[str]] = Field(alias="activeActive")
    dr_peers: dict[str, str] = Field(alias="drPeers")
    kafka_dr_opt_outs: dict[str, str] = Field(alias="kafkaDrOptOuts")
    """region -> why its topics have no DR copy on another cluster (shown in drSummary)."""


_STREAMING_PROD = {
    "tieredStorage": True,
    "hotRetentionHours": 168,
    "totalRetentionDays": 30,
    "maxVolumeGb": 16384,
    "storageTargetUtilization": 60,
    "brokerLogRetentionDays": 30,
    "schemaCompatibility": "BACKWARD",
    "dlqMaxReceives": 5,
}
STREAMING_DEFAULTS: dict[str, dict[str, object]] = {
    # Architecture: retention 7 days hot (NVMe), 30 days cold (S3 tier); schemas backward
    # compatible.
    "dev": {**_STREAMING_PROD, "maxVolumeGb": 500, "brokerLogRetentionDays": 7},
    "staging": {**_STREAMING_PROD, "maxVolumeGb": 2000},
    "prod": _STREAMING_PROD,
}

_LIFECYCLE = {"iaDays": 30, "glacierDays": 90, "bronzeExpireDays": 730, "noncurrentDays": 30}
LAKEHOUSE_DEFAULTS: dict[str, dict[str, object]] = {
    # Architecture: S3 Standard -> IA (30 d) -> Glacier (90 d); bronze kept 2 years; audit logs
    # immutable (WORM), compliance archive 7 years.
    "dev": {
        "lifecycle": _LIFECYCLE,
        "complianceRetentionYears": 1,
        "objectLockMode": "GOVERNANCE",
        "goldReaders": ["meridian-bi-reader"],
        "lakeAdmins": ["MeridianDeployer"],
        "replicationTimeControl": True,
    },
    "staging": {
        "lifecycle": _LIFECYCLE,
        "complianceRetentionYears": 7,
        "objectLockMode": "GOVERNANCE",
        "goldReaders": ["meridian-bi-reader"],
        "lakeAdmins": ["MeridianDeployer"],
        "replicationTimeControl": True,
    },
    "prod": {
        "lifecycle": _LIFECYCLE,
        "complianceRetentionYears": 7,
        "objectLockMode": "COMPLIANCE",
        "goldReaders": ["meridian-bi-reader", "meridian-finance-analyst"],
        "lakeAdmins": ["MeridianDeployer"],
        "replicationTimeControl": True,
    },
}

REPLICATION_DEFAULTS: dict[str, dict[str, object]] = {
    # Architecture: active-active us-east-1 <-> eu-west-1; the other regions DR (async).
    "dev": {"activeActive": [], "drPeers": {}, "kafkaDrOptOuts": {}},
    "staging": {"activeActive": [], "drPeers": {}, "kafkaDrOptOuts": {}},
    "prod": {"activeActive": [["us-east-1", "eu-west-1"]], "drPeers": {}, "kafkaDrOptOuts": {}},
}


# --- the topic table --------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicRow:
    """One topic of the seed's table (patterns already expanded)."""

    name: str
    partitions: int
    replication_factor: int
    schema: bool
    bronze: bool
    tiered: bool


@cache
def topic_table(path: Path = TOPICS_FILE) -> tuple[TopicRow, ...]:
    """Every topic of stacks/data/kafka_topics.json, patterns expanded, in table order."""
    data = json.loads(path.read_text())
    rf = int(data["replicationFactor"])
    rows: list[TopicRow] = []
    for entry in data["topics"]:
        names = (
            [entry["name"].format(i) for i in entry["instances"]]
            if "{}" in entry["name"]
            else [entry["name"]]
        )
        rows += [
            TopicRow(
                name=n,
                partitions=int(entry["partitions"]),
                replication_factor=rf,
                schema=bool(entry["schema"]),
                bronze=bool(entry["bronze"]),
                tiered=bool(entry["tiered"]),
            )
            for n in names
        ]
    return tuple(rows)


# --- replication pairs ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicationPair:
    """The Kafka link between the primary and one other region, owned by the other region's stack.
    `kafka`: MSK replicators run (region -> primary, and back for an active-active pair)."""

    primary: str
    region: str
    active_active: bool
    kafka: bool


def kafka_dr_gap(
    regions: Sequence[str], replication: ReplicationSettings, region: str, data_class: str
) -> str | None:
    """Why `region`'s topics can have no DR copy on another cluster (None: they can). A non-primary
    region copies to the primary; the primary copies to its active-active partner."""
    primary = regions[0]
    partners = active_active_partners(regions, replication.active_active)
    target = primary if region != primary else (partners[0] if partners else None)
    if target is None:
        return f"the primary {primary} has no active-active partner to copy its topics to"
    missing = [r for r in (region, target) if r not in MSK_REPLICATOR_REGIONS]
    if missing:
        return (
            f"MSK Replicator is not offered in {', '.join(missing)} "
            "(stacks/versions.py MSK_REPLICATOR_REGIONS)"
        )
    if not may_copy(region, target, data_class):
        return why_not(region, target, data_class)
    return None


def replication_pairs(
    regions: Sequence[str], replication: ReplicationSettings, data_class: str
) -> dict[str, ReplicationPair]:
    """Non-primary region -> its Kafka pair with the primary (validated settings assumed)."""
    if not regions:
        return {}
    primary = regions[0]
    active = set(active_active_partners(regions, replication.active_active))
    opted_out = replication.kafka_dr_opt_outs
    pairs: dict[str, ReplicationPair] = {}
    for region in regions[1:]:
        runs = (
            region not in opted_out
            and kafka_dr_gap(regions, replication, region, data_class) is None
        )
        if region in active:
            runs = (
                runs
                and primary not in opted_out
                and kafka_dr_gap(regions, replication, primary, data_class) is None
            )
        pairs[region] = ReplicationPair(primary, region, region in active, runs)
    return pairs


def kafka_replicator_source(
    regions: Sequence[str], replication: ReplicationSettings, region: str, data_class: str
) -> bool:
    """Whether an MSK Replicator reads `region`'s cluster: every paired region's cluster replicates
    to the primary; the primary's replicates back to its active-active partners."""
    pairs = [p for p in replication_pairs(regions, replication, data_class).values() if p.kafka]
    return any(p.region == region or (p.active_active and p.primary == region) for p in pairs)


def kafka_dr(
    regions: Sequence[str], replication: ReplicationSettings, region: str, data_class: str
) -> dict[str, str]:
    """What happens to `region`'s topics for DR: `replicatedTo` a region, or `optOut` and its
    reason (the drSummary's `kafka` entry)."""
    pairs = replication_pairs(regions, replication, data_class)
    if region != regions[0]:
        pair = pairs.get(region)
        if pair is not None and pair.kafka:
            return {"replicatedTo": pair.primary, "via": "MSK Replicator"}
    else:
        for pair in pairs.values():
            if pair.active_active and pair.kafka:
                return {"replicatedTo": pair.region, "via": "MSK Replicator (active-active)"}
    reason = replication.kafka_dr_opt_outs.get(region) or kafka_dr_gap(
        regions, replication, region, data_class
    )
    return {"optOut": reason or "none given"}


# --- checks beyond types ----------------------------------------------------------------------


class _Network(Protocol):
    @property
    def az_count(self) -> int: ...


class _Kafka(Protocol):
    @property
    def brokers_per_az(self) -> int: ...
    @property
    def instance_type(self) -> str: ...


class _Sizing(Protocol):
    @property
    def kafka(self) -> _Kafka: ...


class _Regional(Protocol):
    @property
    def network(self) -> _Network: ...
    @property
    def sizing(self) -> _Sizing: ...
    @property
    def streaming(self) -> StreamingSettings: ...
    @property
    def lakehouse(self) -> LakehouseSettings: ...


def kafka_availability_zones(az_count: int) -> int:
    """How many AZs (client subnets) the MSK cluster spans."""
    return min(az_count, MSK_MAX_CLIENT_SUBNETS)


def broker_count(brokers_per_az: int, az_count: int) -> int:
    """Total brokers: brokersPerAz in each AZ of the region."""
    return brokers_per_az * az_count


_ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")


def validate_streaming(
    region: str, regional: _Regional, source: Mapping[str, str]
) -> list[ConfigProblem]:
    """The streaming and lakehouse checks of one region's settings."""
    problems: list[ConfigProblem] = []
    kafka = regional.sizing.kafka
    az_count = regional.network.az_count
    brokers = broker_count(kafka.brokers_per_az, az_count)
    msk_azs = kafka_availability_zones(az_count)
    if brokers % msk_azs:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:sizing.kafka.brokersPerAz",
                kafka.brokers_per_az,
                f"gives {brokers} brokers ({kafka.brokers_per_az} x azCount {az_count}) in "
                f"{region}, not a multiple of the {msk_azs} AZs an MSK cluster spans (MSK takes at "
                f"most {MSK_MAX_CLIENT_SUBNETS} client subnets and needs the same broker count in "
                "each)",
                f"set brokersPerAz to a multiple of {msk_azs} or network.azCount to "
                f"{MSK_MAX_CLIENT_SUBNETS} in {source.get('sizing', 'the stack file')}",
            )
        )
    streaming = regional.streaming
    if kafka.instance_type.startswith("kafka.t3."):
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:sizing.kafka.instanceType",
                kafka.instance_type,
                "is a burstable type: MSK offers neither tiered storage nor the multi-VPC "
                "private connectivity the Firehose feed to the bronze zone uses on kafka.t3",
                f"use kafka.m7g.large or larger in {source.get('sizing', 'the stack file')}",
            )
        )
    if streaming.hot_retention_hours > streaming.total_retention_days * 24:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:streaming.hotRetentionHours",
                streaming.hot_retention_hours,
                f"keeps data on broker disks longer than totalRetentionDays "
                f"({streaming.total_retention_days} days) keeps it at all",
                f"lower it or raise totalRetentionDays in {source.get('streaming', 'the file')}",
            )
        )
    lake = regional.lakehouse
    life = lake.lifecycle
    where = source.get("lakehouse", "the stack file")
    key = f"{NAMESPACE}:lakehouse.lifecycle"
    shown = life.model_dump(by_alias=True)
    if life.ia_days < S3_IA_MINIMUM_DAYS:
        problems.append(
            ConfigProblem(
                f"{key}.iaDays",
                life.ia_days,
                f"is below {S3_IA_MINIMUM_DAYS}: S3 moves nothing to Standard-IA before it is "
                f"{S3_IA_MINIMUM_DAYS} days old",
                f"set it to {S3_IA_MINIMUM_DAYS} or more in {where}",
            )
        )
    if life.glacier_days <= life.ia_days:
        problems.append(
            ConfigProblem(
                key,
                shown,
                f"sends data to Glacier (day {life.glacier_days}) before or when it reaches "
                f"Standard-IA (day {life.ia_days}): the tiers must go Standard -> IA -> Glacier",
                f"make glacierDays greater than iaDays in {where}",
            )
        )
    elif life.glacier_days - life.ia_days < S3_IA_MINIMUM_DAYS:
        problems.append(
            ConfigProblem(
                key,
                shown,
                f"moves objects from Standard-IA to Glacier after "
                f"{life.glacier_days - life.ia_days} days; S3 refuses a transition out of "
                f"Standard-IA sooner than {S3_IA_MINIMUM_DAYS} days",
                f"make glacierDays at least iaDays + {S3_IA_MINIMUM_DAYS} in {where}",
            )
        )
    if life.bronze_expire_days < life.glacier_days + GLACIER_MINIMUM_STORAGE_DAYS:
        problems.append(
            ConfigProblem(
                f"{key}.bronzeExpireDays",
                life.bronze_expire_days,
                f"expires bronze before it has spent Glacier's minimum "
                f"{GLACIER_MINIMUM_STORAGE_DAYS} days there (glacierDays {life.glacier_days})",
                f"make it at least glacierDays + {GLACIER_MINIMUM_STORAGE_DAYS} in {where}",
            )
        )
    for field_key, names in (("goldReaders", lake.gold_readers), ("lakeAdmins", lake.lake_admins)):
        for i, name in enumerate(names):
            if not _ROLE_NAME_RE.match(name):
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:lakehouse.{field_key}[{i}]",
                        name,
                        "is not an IAM role name",
                        "give the role's name (1-64 letters, digits and +=,.@_-), not its ARN",
                    )
                )
    return problems


def validate_replication(
    regions: Sequence[str],
    replication: ReplicationSettings,
    manifest_file: str,
    data_class: str = "internal",
) -> list[ConfigProblem]:
    """Every pair names regions of the environment and includes the primary."""
    problems: list[ConfigProblem] = []
    if not regions:
        return problems
    primary = regions[0]
    known = set(regions)
    paired: dict[str, str] = {}
    if len(replication.active_active) > 1:
        # the partner's stack owns the replication configuration of the primary's buckets, and a
        # bucket has exactly one
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:replication.activeActive",
                replication.active_active,
                "lists more than one pair: the primary's buckets replicate to one partner",
                f"keep one pair with {primary}; make the others drPeers in {manifest_file}",
            )
        )
    for i, pair in enumerate(replication.active_active):
        key = f"{NAMESPACE}:replication.activeActive[{i}]"
        if len(pair) != 2 or pair[0] == pair[1]:
            problems.append(
                ConfigProblem(key, pair, "is not a pair of two different regions", "list two")
            )
            continue
        missing = [r for r in pair if r not in known]
        if missing:
            problems.append(
                ConfigProblem(
                    key,
                    pair,
                    f"names {', '.join(missing)}, which is not in {NAMESPACE}:regions",
                    f"add it to {NAMESPACE}:regions or remove the pair from {manifest_file}",
                )
            )
            continue
        if primary not in pair:
            problems.append(_non_primary_pair(key, pair, primary, manifest_file))
            continue
        other = pair[1] if pair[0] == primary else pair[0]
        if other in paired:
            problems.append(
                ConfigProblem(
                    key,
                    pair,
                    f"pairs {other} a second time",
                    f"list {other} once in {manifest_file}",
                )
            )
        paired[other] = "activeActive"
    for region, peer in replication.dr_peers.items():
        key = f"{NAMESPACE}:replication.drPeers.{region}"
        if region not in known:
            problems.append(
                ConfigProblem(
                    key,
                    peer,
                    f"names {region}, which is not in {NAMESPACE}:regions",
                    f"remove it or add {region} to {NAMESPACE}:regions in {manifest_file}",
                )
            )
            continue
        if peer == NO_PEER:
            continue
        problems.extend(
            dr_target_problems(key, region, peer, data_class, manifest_file, "a DR peer")
        )
    return problems + _kafka_dr_problems(regions, replication, data_class, manifest_file)


def dr_target_problems(
    key: str, region: str, target: str, data_class: str, manifest_file: str, what: str
) -> list[ConfigProblem]:
    """A region's DR copies may go to `target`: another commercial region offering S3, KMS and AWS
    Backup, which the residency table allows for the environment's data class."""
    if target == region:
        return [
            ConfigProblem(key, target, "pairs the region with itself", f"name {what} or 'none'")
        ]
    if not dr_capable(target):
        return [
            ConfigProblem(
                key,
                target,
                "is not a commercial AWS region offering S3, KMS and AWS Backup "
                "(stacks/region_capabilities.json)",
                f"name another region as {what} of {region}, or '{NO_PEER}', in {manifest_file}",
            )
        ]
    if not may_copy(region, target, data_class):
        return [
            ConfigProblem(
                key,
                target,
                why_not(region, target, data_class),
                f"name a region the table allows (or '{NO_PEER}') in {manifest_file}, or change "
                f"the table after legal review",
            )
        ]
    return []


def _kafka_dr_problems(
    regions: Sequence[str], replication: ReplicationSettings, data_class: str, manifest_file: str
) -> list[ConfigProblem]:
    """No silent Kafka DR gap: a region whose topics cannot be copied to another cluster is listed
    in kafkaDrOptOuts with its reason; an active-active pair is allowed both ways by the residency
    table; an opt-out names a region of the environment."""
    problems: list[ConfigProblem] = []
    if not regions:
        return problems
    opted = replication.kafka_dr_opt_outs
    for region, reason in opted.items():
        key = f"{NAMESPACE}:replication.kafkaDrOptOuts.{region}"
        if region not in regions:
            problems.append(
                ConfigProblem(
                    key,
                    reason,
                    f"names {region}, which is not in {NAMESPACE}:regions",
                    f"remove it from {manifest_file}",
                )
            )
        elif not reason.strip():
            problems.append(
                ConfigProblem(key, reason, "gives no reason", "say why the region has no Kafka DR")
            )
    primary = regions[0]
    for partner in active_active_partners(regions, replication.active_active):
        for source, target in ((partner, primary), (primary, partner)):
            if not may_copy(source, target, data_class):
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:replication.activeActive",
                        replication.active_active,
                        why_not(source, target, data_class),
                        f"pair {primary} with a region the residency table allows both ways in "
                        f"{manifest_file}",
                    )
                )
    for region in regions:
        gap = kafka_dr_gap(regions, replication, region, data_class)
        if gap is not None and region not in opted:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:replication.kafkaDrOptOuts.{region}",
                    None,
                    f"is missing: {region}'s Kafka topics would have no DR copy ({gap})",
                    f"add kafkaDrOptOuts.{region}: <reason> (and the alternative, e.g. the lake's "
                    f"bronze copy) to meridian:replication in {manifest_file}",
                )
            )
    return problems


def _non_primary_pair(
    key: str, pair: Sequence[str], primary: str, manifest_file: str
) -> ConfigProblem:
    return ConfigProblem(
        key,
        list(pair),
        f"pairs two non-primary regions: their stacks deploy in the same wave and cannot read "
        f"each other's cluster and buckets; every pair includes the primary {primary}, whose "
        "outputs the other side reads",
        f"pair each with {primary} (or '{NO_PEER}') in {manifest_file}",
    )


STREAMING_SPEC = SettingSpec(
    key="streaming",
    field="streaming",
    model=StreamingSettings,
    defaults=STREAMING_DEFAULTS,
    scope="regional",
    # judged with the region's network and Kafka sizing, and the lakehouse's lifecycle
    validate=lambda c: validate_streaming(c.region_name, c.region_settings, c.source),
    check="validate_streaming",
)
"""`meridian:streaming`, regional (stacks/config/registry.py)."""
LAKEHOUSE_SPEC = SettingSpec(
    key="lakehouse",
    field="lakehouse",
    model=LakehouseSettings,
    defaults=LAKEHOUSE_DEFAULTS,
    scope="regional",  # judged by validate_streaming, with the streaming settings
)
"""`meridian:lakehouse`, regional (stacks/config/registry.py)."""
REPLICATION_SPEC = SettingSpec(
    key="replication",
    field="replication",
    model=ReplicationSettings,
    defaults=REPLICATION_DEFAULTS,
    scope="manifest",
    validate=lambda c: validate_replication(
        c.regions, c.value, c.manifest_file, c.manifest.data_classification
    ),
    check="validate_replication",
)
"""`meridian:replication`, environment-wide (stacks/config/registry.py)."""


__all__ = [
    "LAKEHOUSE_DEFAULTS",
    "REPLICATION_DEFAULTS",
    "STREAMING_DEFAULTS",
    "LakehouseSettings",
    "ReplicationPair",
    "ReplicationSettings",
    "StreamingSettings",
    "TopicRow",
    "broker_count",
    "dr_target_problems",
    "kafka_availability_zones",
    "kafka_dr",
    "kafka_dr_gap",
    "kafka_replicator_source",
    "replication_pairs",
    "topic_table",
    "validate_replication",
    "validate_streaming",
]
