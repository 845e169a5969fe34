"""The typed schema of every `meridian:*` config key, with per-environment defaults.

Where settings live:
- The environment's global stack file (`Pulumi.<env>-global.yaml`) is the environment manifest:
  `owner`, `costCenter`, `dataClassification`, `regions`, `awsAccountId`, `vpcCidrs`,
  `serviceOptOuts`, and environment-wide values for the regional settings below.
- A regional stack file (`Pulumi.<env>-<region>.yaml`) may override the regional settings
  (`network`, `keys`, `retention`, `sizing`) for its own region, nothing else.
- The edge stack file takes no `meridian:*` keys yet.

`load_settings` merges defaults, manifest and stack file, validates everything (types, regions,
address plan, availability zones, sizes, service availability) and raises one `ConfigError` that
lists every problem, before any resource is registered.
"""

from __future__ import annotations

import copy
import difflib
import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from components.network import MAX_AZS, MIN_AZS
from stacks import capabilities
from stacks.cidr_plan import (
    REGION_SLOTS,
    default_vpc_cidr,
    environment_supernet,
)
from stacks.errors import ConfigError, ConfigProblem
from stacks.identity import ENVIRONMENTS, Role, StackIdentity

NAMESPACE = "meridian"
DATA_CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")

REGIONAL_SERVICES: tuple[str, ...] = (
    "eks",
    "aurora-postgresql",
    "msk",
    "keyspaces",
    "elasticache",
    "s3",
    "kms",
    "managed-prometheus",
    "cloudwatch-logs",
    "ecr",
    "secretsmanager",
    "backup",
    "sts",
    "ssm",
    "dynamodb",
)
"""Services every region of the platform runs (names from stacks/region_capabilities.json)."""

OPTIONAL_CAPABILITIES: tuple[str, ...] = ("gpu-nodes",)
"""Capabilities that are not AWS services but can be opted out of per region."""

_TAG_VALUE_RE = re.compile(r"^[\w .:/=+\-@]{1,256}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True)


class NetworkSettings(_Model):
    az_count: int = Field(alias="azCount", description="Availability zones the VPC spans (3-4).")
    vpc_prefix_length: int = Field(
        alias="vpcPrefixLength", ge=16, le=20, description="Size of the VPC CIDR (/16 to /20)."
    )
    flow_log_aggregation_seconds: Literal[60, 600] = Field(
        alias="flowLogAggregationSeconds", description="Flow log aggregation window."
    )


class KeySettings(_Model):
    deletion_window_days: int = Field(
        alias="deletionWindowDays", ge=7, le=30, description="KMS key deletion waiting period."
    )


class RetentionTier(_Model):
    hot_days: int = Field(alias="hotDays", ge=1, description="Days in the fast, queryable tier.")
    warm_days: int = Field(alias="warmDays", ge=1, description="Days until data moves to cold.")
    cold_days: int = Field(alias="coldDays", ge=1, description="Days until data is deleted.")


class RetentionSettings(_Model):
    logs: RetentionTier
    backups: RetentionTier


class NodePoolSizing(_Model):
    instance_types: list[str] = Field(alias="instanceTypes", min_length=1)
    min_size: int = Field(alias="minSize", ge=0)
    max_size: int = Field(alias="maxSize", ge=1)


class KafkaSizing(_Model):
    brokers_per_az: int = Field(alias="brokersPerAz", ge=1, le=10)
    instance_type: str = Field(alias="instanceType", pattern=r"^kafka\.[a-z0-9]+\.[a-z0-9]+$")
    volume_gb: int = Field(alias="volumeGb", ge=10, le=16384)


class AuroraSizing(_Model):
    instance_class: str = Field(alias="instanceClass", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    readers: int = Field(ge=0, le=15)


class CacheSizing(_Model):
    node_type: str = Field(alias="nodeType", pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
    shards: int = Field(ge=1, le=500)
    replicas_per_shard: int = Field(alias="replicasPerShard", ge=0, le=5)


class Sizing(_Model):
    system_nodes: NodePoolSizing = Field(alias="systemNodes")
    gpu_nodes: NodePoolSizing = Field(alias="gpuNodes")
    kafka: KafkaSizing
    aurora: AuroraSizing
    cache: CacheSizing


class RegionalSettings(_Model):
    """Settings a regional stack file may override for its region."""

    network: NetworkSettings
    keys: KeySettings
    retention: RetentionSettings
    sizing: Sizing


class EnvironmentManifest(RegionalSettings):
    """Everything the environment's global stack file holds."""

    owner: str = Field(min_length=1, max_length=256)
    cost_center: str = Field(alias="costCenter", min_length=1, max_length=256)
    data_classification: Literal["public", "internal", "confidential", "restricted"] = Field(
        alias="dataClassification"
    )
    regions: list[str] = Field(min_length=1)
    aws_account_id: str | None = Field(alias="awsAccountId", default=None, pattern=r"^\d{12}$")
    vpc_cidrs: dict[str, str] = Field(alias="vpcCidrs", default_factory=dict)
    service_opt_outs: dict[str, list[str]] = Field(alias="serviceOptOuts", default_factory=dict)


ENVIRONMENT_KEYS = frozenset(
    f.alias or n for n, f in EnvironmentManifest.model_fields.items()
) - frozenset(f.alias or n for n, f in RegionalSettings.model_fields.items())
REGIONAL_KEYS = frozenset(f.alias or n for n, f in RegionalSettings.model_fields.items())

_SMALL_RETENTION = {
    "logs": {"hotDays": 7, "warmDays": 30, "coldDays": 90},
    "backups": {"hotDays": 7, "warmDays": 14, "coldDays": 35},
}
# Architecture text: logs hot 30 days, warm 1 year, cold (Glacier) 7 years; backups 7 days hot,
# 30 days warm, 1 year cold.
_ARCHITECTURE_RETENTION = {
    "logs": {"hotDays": 30, "warmDays": 365, "coldDays": 2555},
    "backups": {"hotDays": 7, "warmDays": 30, "coldDays": 365},
}

ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "dataClassification": "internal",
        "network": {"azCount": 3, "vpcPrefixLength": 20, "flowLogAggregationSeconds": 600},
        "keys": {"deletionWindowDays": 7},
        "retention": _SMALL_RETENTION,
        "sizing": {
            "systemNodes": {
                "instanceTypes": ["m7i.large", "m6i.large"],
                "minSize": 3,
                "maxSize": 6,
            },
            "gpuNodes": {"instanceTypes": ["g5.xlarge"], "minSize": 0, "maxSize": 2},
            "kafka": {"brokersPerAz": 1, "instanceType": "kafka.t3.small", "volumeGb": 100},
            "aurora": {"instanceClass": "db.t4g.medium", "readers": 1},
            "cache": {"nodeType": "cache.t4g.small", "shards": 1, "replicasPerShard": 1},
        },
    },
    "staging": {
        "dataClassification": "confidential",
        "network": {"azCount": 3, "vpcPrefixLength": 18, "flowLogAggregationSeconds": 60},
        "keys": {"deletionWindowDays": 30},
        "retention": _ARCHITECTURE_RETENTION,
        "sizing": {
            "systemNodes": {
                "instanceTypes": ["m7i.xlarge", "m6i.xlarge"],
                "minSize": 3,
                "maxSize": 12,
            },
            "gpuNodes": {"instanceTypes": ["g5.2xlarge"], "minSize": 1, "maxSize": 8},
            "kafka": {"brokersPerAz": 1, "instanceType": "kafka.m7g.large", "volumeGb": 500},
            "aurora": {"instanceClass": "db.r7g.large", "readers": 1},
            "cache": {"nodeType": "cache.r7g.large", "shards": 2, "replicasPerShard": 1},
        },
    },
    # prod follows the architecture text: GPU nodes 8-40, Kafka RF=3 across 3 AZs, up to 15
    # Aurora replicas (3 readers per region), Redis cluster with replicas in every AZ.
    "prod": {
        "dataClassification": "confidential",
        "network": {"azCount": 3, "vpcPrefixLength": 16, "flowLogAggregationSeconds": 60},
        "keys": {"deletionWindowDays": 30},
        "retention": _ARCHITECTURE_RETENTION,
        "sizing": {
            "systemNodes": {
                "instanceTypes": ["m7i.2xlarge", "m6i.2xlarge"],
                "minSize": 6,
                "maxSize": 60,
            },
            "gpuNodes": {"instanceTypes": ["g5.12xlarge"], "minSize": 8, "maxSize": 40},
            "kafka": {"brokersPerAz": 3, "instanceType": "kafka.m7g.4xlarge", "volumeGb": 4000},
            "aurora": {"instanceClass": "db.r7g.4xlarge", "readers": 3},
            "cache": {"nodeType": "cache.r7g.xlarge", "shards": 3, "replicasPerShard": 2},
        },
    },
}


@dataclass(frozen=True)
class RegionPlan:
    """Everything a regional stack needs about one region, validated."""

    region: str
    vpc_cidr: ipaddress.IPv4Network
    settings: RegionalSettings
    opt_outs: frozenset[str]

    @property
    def gpu_enabled(self) -> bool:
        return "gpu-nodes" not in self.opt_outs


@dataclass(frozen=True)
class MeridianSettings:
    """The validated configuration of one stack."""

    identity: StackIdentity
    manifest: EnvironmentManifest
    regions: dict[str, RegionPlan]

    @property
    def environment(self) -> str:
        return self.identity.environment

    @property
    def primary_region(self) -> str:
        return self.manifest.regions[0]

    @property
    def region(self) -> RegionPlan:
        """The region of a regional stack."""
        if self.identity.region is None:
            raise ValueError(f"stack {self.identity.name} is not regional")
        return self.regions[self.identity.region]

    def tags(self) -> dict[str, str]:
        """The six tags every taggable AWS resource of this stack carries."""
        return {
            "owner": self.manifest.owner,
            "cost-center": self.manifest.cost_center,
            "environment": self.environment,
            "data-classification": self.manifest.data_classification,
            "managed-by": "pulumi",
            "stack": self.identity.name,
        }


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)  # type: ignore[arg-type]
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _strip_namespace(
    raw: dict[str, Any], stack: str, where: str
) -> tuple[dict[str, Any], list[ConfigProblem]]:
    values: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for key, value in raw.items():
        if not key.startswith(f"{NAMESPACE}:"):
            continue
        name = key[len(NAMESPACE) + 1 :]
        if isinstance(value, dict) and "secure" in value:
            problems.append(
                ConfigProblem(
                    key=key,
                    value="<secret>",
                    problem=f"is stored as a secret in {where}; Meridian settings are not secrets",
                    fix=f"set it in plain text: pulumi config set {key} <value> --stack {stack}",
                )
            )
            continue
        values[name] = value
    return values, problems


def _did_you_mean(name: str, candidates: list[str] | frozenset[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return f" (did you mean {NAMESPACE}:{close[0]}?)" if close else ""


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = f"{NAMESPACE}:"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += part if i == 0 else f".{part}"
    return path


def _pydantic_problems(
    exc: ValidationError, stack: str, source_of: dict[str, str], known: frozenset[str]
) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = _key_path(loc)
        where = source_of.get(str(loc[0]) if loc else "", f"Pulumi.{stack}.yaml")
        kind = err["type"]
        if kind == "missing":
            problem, fix = "is required", f"set it in {where}: pulumi config set {key} <value>"
        elif kind == "extra_forbidden":
            top = str(loc[0]) if loc else ""
            hint = _did_you_mean(top, known) if len(loc) == 1 else ""
            problem = f"is not a Meridian setting{hint}"
            fix = f"remove it from {where} or correct the spelling"
        else:
            problem = err["msg"][0].lower() + err["msg"][1:]
            fix = f"change it in {where} (pulumi config set --path {key} <value>)"
        value = "<unset>" if kind == "missing" else err.get("input")
        problems.append(ConfigProblem(key=key, value=value, problem=problem, fix=fix))
    return problems


def load_settings(
    identity: StackIdentity,
    stack_config: dict[str, Any],
    environment_config: dict[str, Any],
) -> MeridianSettings:
    """Validate the stack's own config and its environment manifest; raise `ConfigError`.

    `stack_config` and `environment_config` map full config keys (`meridian:regions`) to values.
    For the global stack both are the same mapping.
    """
    stack = identity.name
    env = identity.environment
    manifest_file = f"Pulumi.{env}-global.yaml"
    own_file = f"Pulumi.{stack}.yaml"
    own, problems = _strip_namespace(stack_config, stack, own_file)
    env_values, env_problems = _strip_namespace(environment_config, stack, manifest_file)
    problems += env_problems if identity.role is not Role.GLOBAL else []

    known_keys = ENVIRONMENT_KEYS | REGIONAL_KEYS
    if identity.role is Role.REGIONAL:
        for key in sorted(own):
            if key in ENVIRONMENT_KEYS:
                problems.append(
                    ConfigProblem(
                        key=f"{NAMESPACE}:{key}",
                        value=own[key],
                        problem=f"is environment-wide and cannot be set in {own_file}",
                        fix=f"move it to {manifest_file} (pulumi config set {NAMESPACE}:{key} ... "
                        f"--stack {env}-global)",
                    )
                )
            elif key not in REGIONAL_KEYS:
                problems.append(
                    ConfigProblem(
                        key=f"{NAMESPACE}:{key}",
                        value=own[key],
                        problem=f"is not a Meridian setting{_did_you_mean(key, known_keys)}",
                        fix=f"remove it from {own_file} or correct the spelling",
                    )
                )
        network_override = own.get("network")
        if isinstance(network_override, dict) and "vpcPrefixLength" in network_override:
            problems.append(
                ConfigProblem(
                    key=f"{NAMESPACE}:network.vpcPrefixLength",
                    value=network_override["vpcPrefixLength"],
                    problem=f"sizes the environment's address plan and cannot be set in {own_file}",
                    fix=f"set {NAMESPACE}:vpcCidrs.{identity.region} in {manifest_file} to give "
                    "this region a block of another size",
                )
            )
        own = {k: v for k, v in own.items() if k in REGIONAL_KEYS}
    elif identity.role is Role.EDGE:
        for key in sorted(own):
            problems.append(
                ConfigProblem(
                    key=f"{NAMESPACE}:{key}",
                    value=own[key],
                    problem=f"is not read by the edge stack{_did_you_mean(key, known_keys)}",
                    fix=f"remove it from {own_file}; environment settings belong in "
                    f"{manifest_file}",
                )
            )
        own = {}
    if problems:
        raise ConfigError(stack, problems)

    manifest_values = own if identity.role is Role.GLOBAL else env_values
    source_of = {k: manifest_file for k in known_keys}
    merged_env = _deep_merge(ENVIRONMENT_DEFAULTS[env], manifest_values)
    try:
        manifest = EnvironmentManifest.model_validate(merged_env)
    except ValidationError as exc:
        raise ConfigError(stack, _pydantic_problems(exc, stack, source_of, known_keys)) from None

    problems = _validate_manifest(manifest, identity)
    if problems:
        raise ConfigError(stack, problems)

    regions: dict[str, RegionPlan] = {}
    env_regional = {k: v for k, v in merged_env.items() if k in REGIONAL_KEYS}
    for region in manifest.regions:
        values = env_regional
        source = {k: manifest_file for k in REGIONAL_KEYS}
        if identity.role is Role.REGIONAL and region == identity.region:
            values = _deep_merge(env_regional, own)
            source = {k: (own_file if k in own else manifest_file) for k in REGIONAL_KEYS}
        try:
            regional = RegionalSettings.model_validate(values)
        except ValidationError as exc:
            problems += _pydantic_problems(exc, stack, source, known_keys)
            continue
        # Instance types and AZ counts can be overridden in a region's own stack file, so only
        # that region's stack can judge them; every stack checks what the manifest decides.
        own_region = identity.role is Role.REGIONAL and region == identity.region
        problems += _validate_region(manifest, region, regional, source, env, own_region)
        if not problems:
            regions[region] = RegionPlan(
                region=region,
                vpc_cidr=_vpc_cidr(manifest, env, region, regional),
                settings=regional,
                opt_outs=frozenset(manifest.service_opt_outs.get(region, [])),
            )
    if problems:
        raise ConfigError(stack, _dedupe(problems))
    problems = _validate_address_plan(manifest, env, regions)
    if problems:
        raise ConfigError(stack, problems)
    return MeridianSettings(identity=identity, manifest=manifest, regions=regions)


def _dedupe(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    seen: set[str] = set()
    unique: list[ConfigProblem] = []
    for p in problems:
        text = p.render()
        if text not in seen:
            seen.add(text)
            unique.append(p)
    return unique


def _validate_manifest(
    manifest: EnvironmentManifest, identity: StackIdentity
) -> list[ConfigProblem]:
    env = identity.environment
    manifest_file = f"Pulumi.{env}-global.yaml"
    problems: list[ConfigProblem] = []
    for key, value in (("owner", manifest.owner), ("costCenter", manifest.cost_center)):
        if not _TAG_VALUE_RE.match(value):
            problems.append(
                ConfigProblem(
                    key=f"{NAMESPACE}:{key}",
                    value=value,
                    problem="is not a valid AWS tag value",
                    fix="use letters, digits, spaces and _ . : / = + - @ only",
                )
            )
    seen: set[str] = set()
    for i, region in enumerate(manifest.regions):
        key = f"{NAMESPACE}:regions[{i}]"
        if region in seen:
            problems.append(
                ConfigProblem(
                    key, region, "is listed twice", f"remove the duplicate from {manifest_file}"
                )
            )
            continue
        seen.add(region)
        if not capabilities.region_exists(region):
            near = capabilities.nearest_known_region(region)
            hint = f" (did you mean {near}?)" if near else ""
            problems.append(
                ConfigProblem(
                    key,
                    region,
                    f"is not an AWS region{hint}",
                    f"use a region code from stacks/region_capabilities.json in {manifest_file}",
                )
            )
        elif region not in REGION_SLOTS:
            problems.append(
                ConfigProblem(
                    key,
                    region,
                    "has no address slot in Meridian's CIDR plan",
                    "append it to REGION_SLOTS in stacks/cidr_plan.py with the next free number",
                )
            )
    if identity.role is Role.REGIONAL and identity.region not in manifest.regions:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:regions",
                manifest.regions,
                f"does not include {identity.region}, the region of stack {identity.name}",
                f"add {identity.region} to {NAMESPACE}:regions in {manifest_file}, then "
                f"`pulumi up` the {env}-global stack before this one",
            )
        )
    for region in manifest.vpc_cidrs:
        if region not in manifest.regions:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:vpcCidrs.{region}",
                    manifest.vpc_cidrs[region],
                    f"names {region}, which is not in {NAMESPACE}:regions",
                    f"remove it or add {region} to {NAMESPACE}:regions",
                )
            )
    valid_opt_outs = sorted(set(capabilities.services()) | set(OPTIONAL_CAPABILITIES))
    for region, services in manifest.service_opt_outs.items():
        if region not in manifest.regions:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:serviceOptOuts.{region}",
                    services,
                    f"names {region}, which is not in {NAMESPACE}:regions",
                    f"remove it or add {region} to {NAMESPACE}:regions",
                )
            )
        for j, service in enumerate(services):
            if service not in valid_opt_outs:
                close = difflib.get_close_matches(service, valid_opt_outs, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:serviceOptOuts.{region}[{j}]",
                        service,
                        f"is not a service Meridian knows{hint}",
                        f"use one of: {', '.join(valid_opt_outs)}",
                    )
                )
    return problems


def _validate_region(
    manifest: EnvironmentManifest,
    region: str,
    regional: RegionalSettings,
    source: dict[str, str],
    env: str,
    own_region: bool,
) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    opt_outs = set(manifest.service_opt_outs.get(region, []))
    manifest_file = f"Pulumi.{env}-global.yaml"

    net = regional.network
    if net.az_count < MIN_AZS:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:network.azCount",
                net.az_count,
                f"is below {MIN_AZS}: Meridian spreads every tier over at least {MIN_AZS} "
                "availability zones so that losing one keeps quorum (Kafka min ISR 2, Aurora, EKS)",
                f"set it to {MIN_AZS} or {MAX_AZS} in {source['network']}",
            )
        )
    elif net.az_count > MAX_AZS:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:network.azCount",
                net.az_count,
                f"is above {MAX_AZS}, the most the subnet plan lays out",
                f"set it to {MIN_AZS} or {MAX_AZS} in {source['network']}",
            )
        )
    elif own_region and capabilities.az_count(region) < net.az_count:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:network.azCount",
                net.az_count,
                f"is more than the {capabilities.az_count(region)} availability zones {region} has",
                f"lower it in {source['network']} or choose another region",
            )
        )

    for tier_name in ("logs", "backups"):
        tier: RetentionTier = getattr(regional.retention, tier_name)
        if not tier.hot_days <= tier.warm_days <= tier.cold_days:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:retention.{tier_name}",
                    tier.model_dump(by_alias=True),
                    "has its tiers out of order: hotDays <= warmDays <= coldDays must hold",
                    f"raise the later tier or lower the earlier one in {source['retention']}",
                )
            )

    sizing = regional.sizing
    if own_region and net.az_count <= MAX_AZS:
        usable = [
            t
            for t in sizing.system_nodes.instance_types
            if t in capabilities.instance_types()
            and capabilities.instance_type_az_count(region, t) >= net.az_count
        ]
        if not usable:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:network.azCount",
                    net.az_count,
                    f"exceeds the availability zones of {region} where any system node type "
                    f"({', '.join(sizing.system_nodes.instance_types)}) is offered",
                    f"lower azCount to 3 in {source['network']}",
                )
            )
    pools = (("systemNodes", sizing.system_nodes), ("gpuNodes", sizing.gpu_nodes))
    for pool_name, pool in pools:
        key = f"{NAMESPACE}:sizing.{pool_name}"
        if pool.min_size > pool.max_size:
            problems.append(
                ConfigProblem(
                    key,
                    {"minSize": pool.min_size, "maxSize": pool.max_size},
                    "has minSize greater than maxSize",
                    f"make minSize <= maxSize in {source['sizing']}",
                )
            )
        if not own_region or (pool_name == "gpuNodes" and "gpu-nodes" in opt_outs):
            continue
        untracked = [t for t in pool.instance_types if t not in capabilities.instance_types()]
        if untracked:
            problems.append(
                ConfigProblem(
                    f"{key}.instanceTypes",
                    pool.instance_types,
                    f"lists {', '.join(untracked)}, which the capability table does not track",
                    "use a tracked type (stacks/region_capabilities.json) or add it to "
                    "meridian_ops/capabilities.py and run `make capabilities`",
                )
            )
            continue
        missing = [
            t for t in pool.instance_types if not capabilities.instance_type_offered(region, t)
        ]
        if missing:
            offered = [t for t in pool.instance_types if t not in missing]
            extra = (
                f"; or opt out with {NAMESPACE}:serviceOptOuts.{region}: [gpu-nodes] in "
                f"{manifest_file}"
                if pool_name == "gpuNodes"
                else ""
            )
            problems.append(
                ConfigProblem(
                    f"{key}.instanceTypes",
                    pool.instance_types,
                    f"lists {', '.join(missing)}, not offered in {region}",
                    f"override instanceTypes for {region} in Pulumi.{env}-{region}.yaml"
                    + (f" (offered here: {', '.join(offered)})" if offered else "")
                    + extra,
                )
            )

    for service in REGIONAL_SERVICES:
        if service in opt_outs or capabilities.offers(region, service):
            continue
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:regions",
                region,
                f"does not offer {service} according to AWS's published region table",
                f"choose another region, or opt out explicitly with "
                f"{NAMESPACE}:serviceOptOuts.{region}: [{service}] in {manifest_file}",
            )
        )
    return problems


def _vpc_cidr(
    manifest: EnvironmentManifest, env: str, region: str, regional: RegionalSettings
) -> ipaddress.IPv4Network:
    override = manifest.vpc_cidrs.get(region)
    if override is not None:
        try:
            return ipaddress.IPv4Network(override, strict=False)
        except ValueError:
            pass  # reported by _validate_address_plan
    return default_vpc_cidr(env, region, regional.network.vpc_prefix_length)


def _validate_address_plan(
    manifest: EnvironmentManifest, env: str, regions: dict[str, RegionPlan]
) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    supernet = environment_supernet(env)
    for region, text in manifest.vpc_cidrs.items():
        key = f"{NAMESPACE}:vpcCidrs.{region}"
        try:
            net = ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            problems.append(
                ConfigProblem(
                    key,
                    text,
                    f"is not a valid IPv4 CIDR block ({exc})",
                    "write it as a network address with prefix, e.g. 10.128.0.0/16",
                )
            )
            continue
        if not 16 <= net.prefixlen <= 20:
            problems.append(
                ConfigProblem(key, text, "must be a /16 to /20", "pick a block of that size")
            )
        if not net.subnet_of(supernet):
            problems.append(
                ConfigProblem(
                    key,
                    text,
                    f"lies outside {supernet}, the {env} environment's address space",
                    f"pick a free block inside {supernet} (other environments own the rest "
                    "of 10/8)",
                )
            )
    names = sorted(regions)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if regions[a].vpc_cidr.overlaps(regions[b].vpc_cidr):
                culprit = b if b in manifest.vpc_cidrs else a
                other = a if culprit == b else b
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:vpcCidrs.{culprit}",
                        str(regions[culprit].vpc_cidr),
                        f"overlaps {regions[other].vpc_cidr}, the VPC of {other}",
                        "remove the override to use the region's own slot, or pick a block that "
                        "overlaps no other region",
                    )
                )
    return problems


__all__ = [
    "DATA_CLASSIFICATIONS",
    "ENVIRONMENTS",
    "ENVIRONMENT_DEFAULTS",
    "EnvironmentManifest",
    "MeridianSettings",
    "RegionPlan",
    "RegionalSettings",
    "load_settings",
]
