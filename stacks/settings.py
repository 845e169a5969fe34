"""The typed schema of every `meridian:*` config key, with per-environment defaults.

Where settings live:
- The environment's global stack file (`Pulumi.<env>-global.yaml`) is the environment manifest:
  `owner`, `costCenter`, `dataClassification`, `regions`, `awsAccountId`, `vpcCidrs`,
  `serviceOptOuts`, and environment-wide values for the regional settings below.
- A regional stack file (`Pulumi.<env>-<region>.yaml`) may override the regional settings
  (`network`, `keys`, `retention`, `sizing`, and each layer's key) for its own region, nothing else.
- The edge stack file (`Pulumi.<env>-edge.yaml`) takes one key, `edge` (stacks/edge_settings.py).

`load_settings` merges defaults, manifest and stack file, validates everything (types, regions,
address plan, availability zones, sizes, service availability) and raises one `ConfigError` that
lists every problem, before any resource is registered. `stacks/config/gate.py` runs it for every
stack of an environment before the plan starts.

Where the code lives: the core models (network, keys, retention, sizing, the manifest's own
keys) and `load_settings` here; the config machinery in the package `stacks/config/`: the strict
base model, shared constants and the defaults merge in `types`; the checks beyond types (regions,
partitions, AZs, instance types, address plan) in `checks`; pydantic's errors as problems
(expected types, "did you mean", "quote it") in `problems`; keys outside `meridian:`
(`aws:region`, plain-text secrets) in `foreign`; how stack files and engine values are read in
`source`; the layers' settings in `registry` (each a `SettingSpec`, see `spec`). Which region
pairs with which (paired region, DR peer, replica region) is `stacks/topology.py`.

Adding a setting (a layer's key):
1. In its own module `stacks/<layer>_settings.py`: a model deriving from
   `stacks.config.types.MeridianModel` (strict, extra="forbid", frozen, camelCase aliases), its
   defaults per environment (dev, staging, prod; camelCase, as in a stack file), its checks beyond
   types, and one `SettingSpec` (key, model, defaults, scope, `validate`: a `SettingsContext` in,
   `ConfigProblem`s out, and the check's name). It must not import this module.
2. One line in `stacks/config/registry.py`'s `SETTINGS`.
This module takes the defaults and the checks (run guarded, refused regions filtered) from the
registry. For typed attribute access (`plan.settings.kubernetes`) the value's field is declared
on `RegionalSettings` (scope regional) or `EnvironmentManifest` (scope manifest);
tests/test_settings_registry.py checks that the declaration and the spec agree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from pydantic import Field, ValidationError

from stacks import capabilities
from stacks.alerting_settings import AlertingSettings
from stacks.baseline_settings import BaselineSettings
from stacks.cidr_plan import REGION_SLOTS
from stacks.config.checks import (
    validate_address_plan,
    validate_manifest,
    validate_region,
    vpc_cidr,
)
from stacks.config.errors import ConfigError, ConfigProblem
from stacks.config.foreign import foreign_key_problems
from stacks.config.problems import did_you_mean, pydantic_problems
from stacks.config.registry import of_scope
from stacks.config.spec import SettingsContext, SettingSpec
from stacks.config.types import (
    DATA_CLASSIFICATIONS,
    NAMESPACE,
    OPTIONAL_CAPABILITIES,
    REGIONAL_SERVICES,
    MeridianModel,
    deep_merge,
    with_layer_defaults,
)
from stacks.data_settings import DataPlacement, DataSettings
from stacks.delivery_settings import DeployRunnerSettings
from stacks.edge_settings import (
    EdgeSettings,
    load_edge_settings,
    resolve_edge_cloudflare,
    resolve_edge_hostnames,
    resolve_edge_provider,
    resolve_edge_zone,
)
from stacks.identity import ENVIRONMENTS, Role, StackIdentity
from stacks.identity_settings import IdentitySettings
from stacks.ingress_routes import route_table_problems, routes_document
from stacks.kubernetes_settings import KubernetesSettings
from stacks.mesh_settings import MeshSettings
from stacks.node_pool_settings import (
    NODE_POOL_DEFAULTS,
    GeneralPoolSizing,
    GpuPoolSizing,
    TrainingPoolSizing,
    training_region,
)
from stacks.partner_api import graph_problems
from stacks.partner_settings import GraphqlSettings, PartnerApiSettings
from stacks.rate_limit_settings import RateLimitSettings, rate_limit_table_problems, table_document
from stacks.streaming_settings import LakehouseSettings, ReplicationSettings, StreamingSettings

_Model = MeridianModel  # the name earlier modules used


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
    # node pools beyond `system`: stacks/node_pool_settings.py
    gpu_nodes: GpuPoolSizing = Field(alias="gpuNodes")
    gpu_training_nodes: TrainingPoolSizing = Field(alias="gpuTrainingNodes")
    general_nodes: GeneralPoolSizing = Field(alias="generalNodes")
    kafka: KafkaSizing
    aurora: AuroraSizing
    cache: CacheSizing


class RegionalSettings(_Model):
    """Settings a regional stack file may override for its region."""

    network: NetworkSettings
    keys: KeySettings
    retention: RetentionSettings
    sizing: Sizing
    # the layers' regional settings: each a `SettingSpec` of scope "regional" in the registry
    # (stacks/config/registry.py), typed here for attribute access
    streaming: StreamingSettings
    kubernetes: KubernetesSettings
    mesh: MeshSettings
    rate_limit: RateLimitSettings = Field(alias="rateLimit")
    lakehouse: LakehouseSettings
    data: DataSettings
    baseline: BaselineSettings
    alerting: AlertingSettings
    deploy_runner: DeployRunnerSettings = Field(alias="deployRunner")
    graphql: GraphqlSettings
    partner_api: PartnerApiSettings = Field(alias="partnerApi")


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
    training_region: str | None = Field(alias="trainingRegion", default=None)
    """The one region running the training cluster (stacks/node_pool_settings.py)."""
    # the layers' environment-wide settings: each a `SettingSpec` of scope "manifest"
    replication: ReplicationSettings
    data_placement: DataPlacement = Field(alias="dataPlacement")
    identity: IdentitySettings


ENVIRONMENT_KEYS = frozenset(
    f.alias or n for n, f in EnvironmentManifest.model_fields.items()
) - frozenset(f.alias or n for n, f in RegionalSettings.model_fields.items())
REGIONAL_KEYS = frozenset(f.alias or n for n, f in RegionalSettings.model_fields.items())
EDGE_KEY = "edge"
EDGE_KEYS = frozenset(s.key for s in of_scope("edge"))
"""The edge stack file's keys: `edge` (stacks/edge_settings.py)."""
EDGE_DEFAULTS_PROVIDER = {
    env: next(s for s in of_scope("edge") if s.key == EDGE_KEY).defaults[env]["provider"]
    for env in ENVIRONMENTS
}

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
            **NODE_POOL_DEFAULTS["dev"],  # gpuNodes, gpuTrainingNodes, generalNodes
            # kafka.t3 has neither tiered storage nor multi-VPC connectivity (streaming_settings)
            "kafka": {"brokersPerAz": 1, "instanceType": "kafka.m7g.large", "volumeGb": 100},
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
            **NODE_POOL_DEFAULTS["staging"],  # gpuNodes, gpuTrainingNodes, generalNodes
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
            **NODE_POOL_DEFAULTS["prod"],  # gpuNodes, gpuTrainingNodes, generalNodes
            "kafka": {"brokersPerAz": 3, "instanceType": "kafka.m7g.4xlarge", "volumeGb": 4000},
            "aurora": {"instanceClass": "db.r7g.4xlarge", "readers": 3},
            # Architecture 07 "Redis Cluster ... 100GB per node": cache.r7g.4xlarge holds 105.81 GiB
            # (ElastiCache pricing, node memory).
            "cache": {"nodeType": "cache.r7g.4xlarge", "shards": 3, "replicasPerShard": 2},
        },
    },
}

# -- the layers' defaults, from the registry (stacks/config/registry.py) --
for _spec in (*of_scope("regional"), *of_scope("manifest")):
    ENVIRONMENT_DEFAULTS = with_layer_defaults(ENVIRONMENT_DEFAULTS, _spec.key, _spec.defaults)


@dataclass(frozen=True)
class RegionPlan:
    """Everything a regional stack needs about one region, validated."""

    region: str
    vpc_cidr: ipaddress.IPv4Network
    settings: RegionalSettings
    opt_outs: frozenset[str]
    hosts_training: bool = True
    """Whether the environment's one training cluster runs here (`meridian:trainingRegion`)."""

    @property
    def gpu_enabled(self) -> bool:
        return "gpu-nodes" not in self.opt_outs


@dataclass(frozen=True)
class MeridianSettings:
    """The validated configuration of one stack."""

    identity: StackIdentity
    manifest: EnvironmentManifest
    regions: dict[str, RegionPlan]
    edge: EdgeSettings | None = None
    """The edge stack's `meridian:edge` (stacks/edge_settings.py); None in other stacks."""
    edge_provider: str = "cloudflare"
    """The environment's edge (`meridian:edge.provider` of its edge stack file, else the
    environment's default), resolved and judged by `load_settings`: which sources a regional
    ingress admits (Cloudflare's ranges, or CloudFront's origin-facing prefix list)."""
    edge_hostnames: tuple[str, ...] = ()
    """The public hostnames of the environment's edge (regional stacks: its origin certificate)."""
    edge_cloudflare: tuple[str, str] | None = None
    """The Cloudflare (account id, zone id) of a Cloudflare edge (regional stacks: the primary
    region's analytics exporter), else None."""
    edge_zone: str = ""
    """The edge's public DNS zone (`meridian:edge.zone` of the edge stack file, else the
    environment's default): with the AWS edge the global stack hosts it in Route 53 and the
    regional stacks name their origin certificate in it."""

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
                    file=where,
                )
            )
            continue
        values[name] = value
    return values, problems


def _regional_file_problems(
    identity: StackIdentity, own: dict[str, Any], own_file: str, manifest_file: str
) -> tuple[list[ConfigProblem], dict[str, Any]]:
    """A regional stack file's own keys: environment-wide keys, unknown keys, the address plan's
    prefix length and the environment-wide fields of regional keys (`SettingSpec.
    environment_wide`) are refused there; returns the problems and the regional values kept."""
    env = identity.environment
    problems: list[ConfigProblem] = []
    for key in sorted(own):
        if key in ENVIRONMENT_KEYS:
            problems.append(
                ConfigProblem(
                    key=f"{NAMESPACE}:{key}",
                    value=own[key],
                    problem=f"is environment-wide and cannot be set in {own_file}",
                    fix=f"move it to {manifest_file} (pulumi config set {NAMESPACE}:{key} ... "
                    f"--stack {env}-global)",
                    file=own_file,
                )
            )
        elif key not in REGIONAL_KEYS:
            problems.append(
                ConfigProblem(
                    key=f"{NAMESPACE}:{key}",
                    value=own[key],
                    problem="is not a Meridian setting"
                    + did_you_mean(key, REGIONAL_KEYS, f"{NAMESPACE}:"),
                    fix=f"remove it from {own_file} or correct the spelling",
                    file=own_file,
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
                file=own_file,
            )
        )
    kept = {k: v for k, v in own.items() if k in REGIONAL_KEYS}
    for spec in of_scope("regional"):
        override = kept.get(spec.key)
        if not isinstance(override, dict):
            continue
        for name in sorted(spec.environment_wide.keys() & override.keys()):
            problems.append(
                ConfigProblem(
                    key=f"{NAMESPACE}:{spec.key}.{name}",
                    value=override[name],
                    problem=f"is environment-wide ({spec.environment_wide[name]}) and cannot be "
                    f"set in {own_file}",
                    fix=f"remove it from {own_file} and set it for the environment in "
                    f"{manifest_file} (pulumi config set --path '{NAMESPACE}:{spec.key}.{name}' "
                    f"<value> --stack {env}-global)",
                    file=own_file,
                )
            )
            # judged once, here: the merge and the layer's check see the manifest's value
            kept[spec.key] = {k: v for k, v in kept[spec.key].items() if k != name}
    return problems, kept


def _edge_file_problems(
    own: dict[str, Any], own_file: str, manifest_file: str
) -> tuple[list[ConfigProblem], Any]:
    """The edge stack file reads one key (`meridian:edge`, returned); every other key is refused:
    a key of the manifest is named as such, anything else may be a misspelling of the edge
    stack's own key (never of itself)."""
    known_keys = ENVIRONMENT_KEYS | REGIONAL_KEYS
    rest = dict(own)
    edge_value = rest.pop(EDGE_KEY, None)
    problems = [
        ConfigProblem(
            key=f"{NAMESPACE}:{key}",
            value=rest[key],
            problem="is not read by the edge stack"
            + ("" if key in known_keys else did_you_mean(key, EDGE_KEYS, f"{NAMESPACE}:")),
            fix=f"remove it from {own_file}"
            + (f"; it belongs in {manifest_file}" if key in known_keys else ""),
            file=own_file,
        )
        for key in sorted(rest)
    ]
    return problems, edge_value


def _plan_regions(
    identity: StackIdentity,
    manifest: EnvironmentManifest,
    usable: list[str],
    merged_env: dict[str, Any],
    own: dict[str, Any],
    files: tuple[str, str],
    problems: list[ConfigProblem],
) -> dict[str, RegionPlan]:
    """Judge every usable region's settings (the manifest's, merged with the stack file's for the
    stack's own region), appending what is wrong to `problems`, each in the file its key came
    from; plan a region only while there is no problem at all.

    The regions are judged even when the manifest has problems, so that one message lists a stack
    file's own mistakes with them."""
    manifest_file, own_file = files
    env = identity.environment
    defaults = ENVIRONMENT_DEFAULTS[env]
    regions: dict[str, RegionPlan] = {}
    env_regional = {k: v for k, v in merged_env.items() if k in REGIONAL_KEYS}
    for region in usable:
        found = len(problems)
        values = env_regional
        source = {k: manifest_file for k in REGIONAL_KEYS}
        if identity.role is Role.REGIONAL and region == identity.region:
            values = deep_merge(env_regional, own)
            source = {k: (own_file if k in own else manifest_file) for k in REGIONAL_KEYS}
        try:
            regional = RegionalSettings.model_validate(values)
        except ValidationError as exc:
            problems += pydantic_problems(exc, RegionalSettings, defaults, source, own_file)
            continue
        # Instance types and AZ counts can be overridden in a region's own stack file, so only
        # that region's stack can judge them; every stack checks what the manifest decides.
        context = SettingsContext[Any](
            value=regional,
            file=own_file,
            env=env,
            manifest=manifest,
            regions=usable,
            manifest_file=manifest_file,
            region=region,
            regional=regional,
            source=source,
            own_region=identity.role is Role.REGIONAL and region == identity.region,
        )
        for name, check in REGIONAL_CHECKS:
            problems += guarded(name, partial(check, context))
        # each problem in the file its key came from, whichever check found it
        problems[found:] = [
            p.in_file(source.get(_top_key(p.key), own_file)) for p in problems[found:]
        ]
        if not problems:
            regions[region] = RegionPlan(
                region=region,
                vpc_cidr=vpc_cidr(manifest, env, region, regional),
                settings=regional,
                opt_outs=frozenset(manifest.service_opt_outs.get(region, [])),
                hosts_training=region
                == training_region(manifest.regions, manifest.training_region),
            )
    return regions


def load_settings(
    identity: StackIdentity,
    stack_config: dict[str, Any],
    environment_config: dict[str, Any],
    edge_config: dict[str, Any] | None = None,
) -> MeridianSettings:
    """Validate the stack's own config and its environment manifest; raise `ConfigError`.

    `stack_config` and `environment_config` map full config keys (`meridian:regions`) to values.
    For the global stack both are the same mapping. `edge_config` is the config of the
    environment's edge stack file (None or empty: none); a regional stack reads its edge provider
    from it.
    """
    stack = identity.name
    env = identity.environment
    manifest_file = f"Pulumi.{env}-global.yaml"
    own_file = f"Pulumi.{stack}.yaml"
    own, problems = _strip_namespace(stack_config, stack, own_file)
    env_values, env_problems = _strip_namespace(environment_config, stack, manifest_file)
    problems += env_problems if identity.role is not Role.GLOBAL else []
    problems += [
        p
        for p in foreign_key_problems(
            identity, stack_config, ENVIRONMENT_KEYS | REGIONAL_KEYS | EDGE_KEYS
        )
        # the edge settings report a plain-text Cloudflare token with its own fix
        if not (identity.role is Role.EDGE and p.key == "cloudflare:apiToken")
    ]
    edge_value: Any = None  # `meridian:edge`, checked once the manifest is valid
    edge_provider = str(EDGE_DEFAULTS_PROVIDER[env])
    edge_hostnames: tuple[str, ...] = ()
    edge_cloudflare: tuple[str, str] | None = None
    edge_zone = resolve_edge_zone(env, edge_config or {})
    if identity.role in (Role.REGIONAL, Role.GLOBAL):
        edge_provider, edge_problems = resolve_edge_provider(env, edge_config or {})
        problems += edge_problems
    if identity.role is Role.REGIONAL:
        edge_hostnames = resolve_edge_hostnames(env, edge_config or {})
        edge_cloudflare = resolve_edge_cloudflare(env, edge_config or {})
    if identity.role in (Role.REGIONAL, Role.EDGE):
        route_problems = route_table_problems(routes_document())
        problems += route_problems or graph_problems(routes_document())
        problems += rate_limit_table_problems(table_document(), routes_document())

    known_keys = ENVIRONMENT_KEYS | REGIONAL_KEYS
    if identity.role is Role.REGIONAL:
        file_problems, own = _regional_file_problems(identity, own, own_file, manifest_file)
        problems += file_problems
    elif identity.role is Role.EDGE:
        file_problems, edge_value = _edge_file_problems(own, own_file, manifest_file)
        problems += file_problems
        own = {}
    # Problems so far are in the stack's own file; keep going so that one message lists the
    # manifest's problems too (manifest first: the others may follow from it).
    files = [manifest_file, own_file]
    if identity.role is Role.REGIONAL:
        files.append(f"Pulumi.{env}-edge.yaml")  # where its edge provider is read

    manifest_values = own if identity.role is Role.GLOBAL else env_values
    source_of = {k: manifest_file for k in known_keys}
    defaults = ENVIRONMENT_DEFAULTS[env]
    merged_env = deep_merge(defaults, manifest_values)
    try:
        manifest = EnvironmentManifest.model_validate(merged_env)
    except ValidationError as exc:
        problems += pydantic_problems(exc, EnvironmentManifest, defaults, source_of, manifest_file)
        problems += _manifest_problems_despite(exc, merged_env, defaults, identity)
        if identity.role is Role.REGIONAL:
            problems += _override_type_problems(own, defaults, own_file)
        raise _config_error(stack, problems, files) from None

    problems += guarded("validate_manifest", lambda: validate_manifest(manifest, identity))
    # The one place refused regions are filtered: no check below sees a region that
    # validate_manifest refused (an unknown name, another partition, no address slot), so none
    # can trip over it (and none reports a consequence of it as a second problem).
    usable = usable_regions(manifest.regions)
    environment = SettingsContext[Any](
        value=manifest,
        file=manifest_file,
        env=env,
        manifest=manifest,
        regions=usable,
        manifest_file=manifest_file,
    )
    for name, check in ENVIRONMENT_CHECKS:
        problems += guarded(name, partial(check, environment))

    regions = _plan_regions(
        identity, manifest, usable, merged_env, own, (manifest_file, own_file), problems
    )
    if problems:
        raise _config_error(stack, problems, files, manifest_file)
    problems = guarded(
        "validate_address_plan", lambda: validate_address_plan(manifest, env, regions)
    )
    if problems:
        raise _config_error(stack, problems, files, manifest_file)
    # the edge stack's own settings, judged against the environment's regions
    edge: EdgeSettings | None = None
    if identity.role is Role.EDGE:
        try:
            edge, problems = load_edge_settings(identity, edge_value, stack_config, usable)
        except Exception as exc:  # reported as an internal error, as guarded() does
            edge, problems = None, [internal_error("load_edge_settings", exc)]
        if problems:
            raise _config_error(stack, problems, files, own_file)
    if edge is not None:
        edge_provider = edge.provider
    return MeridianSettings(
        identity=identity,
        manifest=manifest,
        regions=regions,
        edge=edge,
        edge_provider=edge_provider,
        edge_hostnames=edge_hostnames,
        edge_cloudflare=edge_cloudflare,
        edge_zone=edge_zone,
    )


# -- the checks beyond types, each run through `guarded` --


def usable_regions(regions: list[str]) -> list[str]:
    """The manifest's regions that `validate_manifest` accepts as regions (known commercial
    regions with an address slot), each once, in manifest order: the only regions the layers'
    checks are given."""
    return [
        r for r in dict.fromkeys(regions) if capabilities.region_exists(r) and r in REGION_SLOTS
    ]


LayerCheck = Callable[[SettingsContext[Any]], list[ConfigProblem]]
"""A check as `load_settings` runs it: a function of the environment's or a region's context."""


def _environment_check(spec: SettingSpec[Any]) -> LayerCheck:
    """`spec`'s check, given the environment's context: run on the manifest's value."""
    return lambda c: spec.validate(spec.of(c, getattr(c.manifest, spec.field)))


def _regional_check(spec: SettingSpec[Any]) -> LayerCheck:
    """`spec`'s check, given a region's context: run on that region's value."""
    return lambda c: spec.validate(spec.of(c, getattr(c.region_settings, spec.field)))


ENVIRONMENT_CHECKS: tuple[tuple[str, LayerCheck], ...] = tuple(
    (s.check, _environment_check(s)) for s in of_scope("manifest") if s.check
)
"""Environment-wide checks: the registry's manifest-scope settings' (name, check)."""

REGIONAL_CHECKS: tuple[tuple[str, LayerCheck], ...] = (
    (
        "validate_region",  # network, retention, system and node pools, service availability
        lambda c: validate_region(
            c.manifest, c.region_name, c.region_settings, c.source, c.env, c.own_region
        ),
    ),
    *((s.check, _regional_check(s)) for s in of_scope("regional") if s.check),
)
"""Per-region checks: the core keys' (`validate_region`), then the registry's regional settings'
(name, check), each run guarded with refused regions filtered."""

INTERNAL_ERROR = "internal error in Meridian's configuration checks"
"""How a check that raised instead of reporting is shown (tests assert it never appears)."""


def internal_error(check: str, exc: Exception) -> ConfigProblem:
    """A check that raised: named, with the exception, as one problem instead of a traceback."""
    return ConfigProblem(
        key=f"<check {check}>",
        value=f"{type(exc).__name__}: {exc}",
        problem=f"{INTERNAL_ERROR}: {check} raised instead of reporting a problem; the other "
        "problems listed are sound, but this check did not judge the configuration",
        fix="correct the other problems listed and run again; if this one stays, report it to "
        "the platform team with this message (a defect of the check, not of the stack file)",
    )


def guarded(check: str, run: Callable[[], list[ConfigProblem]]) -> list[ConfigProblem]:
    """The problems `run` reports, or one internal-error problem naming `check` if it raises:
    bad input never ends in a traceback, whichever layer's check it reaches."""
    try:
        return run()
    except Exception as exc:  # any failure of a check is reported, not raised
        return [internal_error(check, exc)]


def _manifest_problems_despite(
    exc: ValidationError, merged_env: dict[str, Any], defaults: dict[str, Any], ident: StackIdentity
) -> list[ConfigProblem]:
    """The manifest's other problems (a region of another partition, an unknown opt-out...),
    judged with the keys that failed their types set back to defaults; none if that fails."""
    bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    placeholders = {"owner": "unknown", "costCenter": "unknown", "regions": [ident.region or ""]}
    repaired = {k: v for k, v in merged_env.items() if k not in bad}
    for key, value in {**defaults, **placeholders}.items():
        if key in bad or key not in repaired:
            repaired[key] = value
    try:
        manifest = EnvironmentManifest.model_validate(repaired)
    except ValidationError:
        return []
    if "regions" in bad:
        return []  # the regions are judged once they read as a list of names
    manifest_file = f"Pulumi.{ident.environment}-global.yaml"
    found = validate_manifest(manifest, ident)
    return [p.in_file(manifest_file) for p in found if _top_key(p.key) not in bad]


def _override_type_problems(
    own: dict[str, Any], defaults: dict[str, Any], own_file: str
) -> list[ConfigProblem]:
    """Type errors of a regional file's own overrides, judged on the defaults alone (for when
    the manifest is broken and the region cannot be judged whole)."""
    regional_defaults = {k: v for k, v in defaults.items() if k in REGIONAL_KEYS}
    try:
        RegionalSettings.model_validate(deep_merge(regional_defaults, own))
    except ValidationError as exc:
        source = {k: own_file for k in own}
        found = pydantic_problems(exc, RegionalSettings, defaults, source, own_file)
        return [p for p in found if p.file == own_file and _top_key(p.key) in own]
    return []


def _top_key(key: str) -> str:
    return key.removeprefix(f"{NAMESPACE}:").split(".", 1)[0].split("[", 1)[0]


def _config_error(
    stack: str, problems: list[ConfigProblem], files: list[str], fallback_file: str = ""
) -> ConfigError:
    """The error for `problems` grouped by file, the manifest first; a problem no check
    attributed is in `fallback_file`."""
    attributed = [p.in_file(fallback_file) for p in problems]
    return ConfigError(stack, attributed, file_order=files)


__all__ = [
    "DATA_CLASSIFICATIONS",
    "ENVIRONMENTS",
    "ENVIRONMENT_DEFAULTS",
    "NAMESPACE",
    "OPTIONAL_CAPABILITIES",
    "REGIONAL_SERVICES",
    "EnvironmentManifest",
    "MeridianModel",
    "MeridianSettings",
    "RegionPlan",
    "RegionalSettings",
    "load_settings",
    "with_layer_defaults",
]
