"""Settings of the node pools beyond `system`: the GPU preference lists, the training pool and the
Graviton `general` pool, their per-environment defaults, the checks against AWS's instance type
offerings (`stacks/region_capabilities.json`), and the choice of GPU type per region.

Keys (under `meridian:sizing`, overridable per region like every sizing key):

```yaml
meridian:sizing:
  gpuNodes:            # the gpu-inference pool (Karpenter)
    instanceTypes: [g6e.12xlarge, g6.12xlarge, g5.12xlarge, g4dn.12xlarge]   # ORDERED preference
    minSize: 8
    maxSize: 40
  gpuTrainingNodes:    # the gpu-training pool (managed node group, EFA, one AZ, placement group)
    instanceTypes: [p5en.48xlarge, p5.48xlarge, p4de.24xlarge, p4d.24xlarge]
    minSize: 0
    maxSize: 32
    capacityReservationId: cr-0123456789abcdef0   # optional: launch into this ODCR
    spotFraction: 0.6  # share of maxSize on spot (architecture: "Spot Fraction 60%")
  generalNodes:        # the general pool (Karpenter, Graviton)
    instanceFamilies: [m7g, c7g, r7g]
    capacityTypes: [on-demand]
    maxSize: 200
```

The training cluster is ONE cluster for the environment (architecture, AI/ML: "Cluster Size 256
GPUs (32 nodes x 8)"): it runs in `meridian:trainingRegion` (environment-wide, in the global stack
file; default: the primary region) and in no other region.

Each region runs a GPU pool on the FIRST type of its list that AWS offers there. A region offering
none of a list is a configuration error unless `meridian:serviceOptOuts.<region>` drops that pool:
`gpu-inference`, `gpu-training`, or `gpu-nodes` (both).

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, Protocol

from pydantic import Field

from stacks import capabilities
from stacks.config.errors import ConfigProblem
from stacks.config.types import NAMESPACE, MeridianModel

GPU_INFERENCE = "gpu-inference"
GPU_TRAINING = "gpu-training"
ALL_GPU_POOLS = "gpu-nodes"
"""Opt-out names: one GPU pool, or `gpu-nodes` for both."""
POOL_OPT_OUTS: tuple[str, ...] = (ALL_GPU_POOLS, GPU_INFERENCE, GPU_TRAINING)

GPU_POOL_KEYS: Mapping[str, str] = {GPU_INFERENCE: "gpuNodes", GPU_TRAINING: "gpuTrainingNodes"}
"""Pool name -> its key under meridian:sizing."""


class GpuPoolSizing(MeridianModel):
    instance_types: list[str] = Field(
        alias="instanceTypes",
        min_length=1,
        description="Ordered preference: each region runs the first type AWS offers there.",
    )
    min_size: int = Field(alias="minSize", ge=0)
    max_size: int = Field(alias="maxSize", ge=1)


class TrainingPoolSizing(GpuPoolSizing):
    capacity_reservation_id: str | None = Field(
        alias="capacityReservationId",
        default=None,
        pattern=r"^cr-[0-9a-f]{8}([0-9a-f]{9})?$",
        description="An On-Demand Capacity Reservation the training nodes launch into.",
    )
    spot_fraction: float = Field(
        alias="spotFraction",
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of maxSize that runs on spot capacity (fault-tolerant jobs).",
    )

    @property
    def spot_nodes(self) -> int:
        """Nodes of `max_size` on spot: the fraction, rounded to the nearest node."""
        return round(self.max_size * self.spot_fraction)


class GeneralPoolSizing(MeridianModel):
    instance_families: list[str] = Field(
        alias="instanceFamilies",
        min_length=1,
        description="Graviton instance families Karpenter may choose from (e.g. m7g).",
    )
    capacity_types: list[Literal["on-demand", "spot"]] = Field(alias="capacityTypes", min_length=1)
    max_size: int = Field(alias="maxSize", ge=1, description="Most nodes the pool may hold.")


_INFERENCE = {
    "dev": ["g6e.xlarge", "g6.xlarge", "g5.xlarge", "g4dn.xlarge"],
    "staging": ["g6e.2xlarge", "g6.2xlarge", "g5.2xlarge", "g4dn.2xlarge"],
    # 4 GPUs each: L40S > L4 > A10G > T4.
    "prod": ["g6e.12xlarge", "g6.12xlarge", "g5.12xlarge", "g4dn.12xlarge"],
}
_TRAINING = ["p5en.48xlarge", "p5.48xlarge", "p4de.24xlarge", "p4d.24xlarge"]
_GRAVITON = ["m7g", "c7g", "r7g"]
TRAINING_SPOT_FRACTION = 0.6
"""Architecture, AI/ML training infrastructure: "Spot Fraction 60% (fault-tolerant)"."""

NODE_POOL_DEFAULTS: dict[str, dict[str, object]] = {
    # Architecture: "Karpenter: spot instances for non-prod"; GPU nodes 8-40 in prod; training
    # cluster of 32 nodes x 8 H100 (a pool that idles at 0 and scales to 32), 60% of it spot
    # ("Spot Fraction 60% (fault-tolerant)": 19 of 32 nodes).
    "dev": {
        "gpuNodes": {"instanceTypes": _INFERENCE["dev"], "minSize": 0, "maxSize": 2},
        "gpuTrainingNodes": {
            "instanceTypes": _TRAINING,
            "minSize": 0,
            "maxSize": 1,
            "spotFraction": TRAINING_SPOT_FRACTION,
        },
        "generalNodes": {
            "instanceFamilies": _GRAVITON,
            "capacityTypes": ["spot", "on-demand"],
            "maxSize": 10,
        },
    },
    "staging": {
        "gpuNodes": {"instanceTypes": _INFERENCE["staging"], "minSize": 1, "maxSize": 8},
        "gpuTrainingNodes": {
            "instanceTypes": _TRAINING,
            "minSize": 0,
            "maxSize": 2,
            "spotFraction": TRAINING_SPOT_FRACTION,
        },
        "generalNodes": {
            "instanceFamilies": _GRAVITON,
            "capacityTypes": ["spot", "on-demand"],
            "maxSize": 40,
        },
    },
    "prod": {
        "gpuNodes": {"instanceTypes": _INFERENCE["prod"], "minSize": 8, "maxSize": 40},
        "gpuTrainingNodes": {
            "instanceTypes": _TRAINING,
            "minSize": 0,
            "maxSize": 32,
            "spotFraction": TRAINING_SPOT_FRACTION,
        },
        "generalNodes": {
            "instanceFamilies": _GRAVITON,
            "capacityTypes": ["on-demand"],
            "maxSize": 200,
        },
    },
}
"""Per-environment defaults of the keys above, merged into `meridian:sizing`."""


class _NodePoolSizes(Protocol):
    """What the checks read from `Sizing` (kept structural so this module needn't import it)."""

    @property
    def gpu_nodes(self) -> GpuPoolSizing: ...
    @property
    def gpu_training_nodes(self) -> TrainingPoolSizing: ...
    @property
    def general_nodes(self) -> GeneralPoolSizing: ...


def training_region(regions: Sequence[str], chosen: str | None) -> str:
    """The one region of the environment that hosts the training cluster."""
    return chosen if chosen is not None else regions[0]


def validate_training_region(
    regions: Sequence[str],
    chosen: str | None,
    opt_outs: Mapping[str, Iterable[str]],
    *,
    manifest_file: str,
) -> list[ConfigProblem]:
    """`meridian:trainingRegion` names one region of the environment that keeps the pool."""
    key = f"{NAMESPACE}:trainingRegion"
    if chosen is not None and chosen not in regions:
        return [
            ConfigProblem(
                key,
                chosen,
                f"is not a region of the environment ({NAMESPACE}:regions: {', '.join(regions)})",
                f"name exactly one of those regions in {manifest_file}",
            )
        ]
    region = training_region(regions, chosen)
    if pool_opted_out(opt_outs.get(region, ()), GPU_TRAINING):
        return [
            ConfigProblem(
                key,
                region,
                f"hosts the training cluster, but {NAMESPACE}:serviceOptOuts.{region} drops "
                f"{GPU_TRAINING} there",
                f"set {key} to a region that runs the training pool in {manifest_file}",
            )
        ]
    return []


def pool_opted_out(opt_outs: Iterable[str], pool: str) -> bool:
    """Whether config drops GPU `pool` in a region (`gpu-nodes` drops both)."""
    names = set(opt_outs)
    return ALL_GPU_POOLS in names or pool in names


def choose_instance_type(region: str, preference: Iterable[str]) -> str | None:
    """The first type of `preference` that AWS offers in `region` (None if none is)."""
    tracked = set(capabilities.instance_types())
    for instance_type in preference:
        if instance_type in tracked and capabilities.instance_type_offered(region, instance_type):
            return instance_type
    return None


def gpu_instance_types(
    region: str, sizing: _NodePoolSizes, opt_outs: Iterable[str]
) -> dict[str, str]:
    """The GPU type each GPU pool of `region` runs, for the pools config keeps there."""
    chosen: dict[str, str] = {}
    pools: dict[str, GpuPoolSizing] = {
        GPU_INFERENCE: sizing.gpu_nodes,
        GPU_TRAINING: sizing.gpu_training_nodes,
    }
    outs = list(opt_outs)
    for pool, pool_sizing in pools.items():
        if pool_opted_out(outs, pool):
            continue
        instance_type = choose_instance_type(region, pool_sizing.instance_types)
        if instance_type is not None:
            chosen[pool] = instance_type
    return chosen


def _offered_gpu_types(region: str, like: Iterable[str]) -> list[str]:
    """Tracked GPU types offered in `region`, of the same families as `like` first."""
    families = {t.split(".")[0] for t in like}
    offered = [
        t
        for t in capabilities.gpu_instance_types()
        if capabilities.instance_type_offered(region, t)
    ]
    return sorted(offered, key=lambda t: (t.split(".")[0] not in families, t))


def validate_node_pools(
    region: str,
    sizing: _NodePoolSizes,
    opt_outs: Iterable[str],
    *,
    sizing_file: str,
    manifest_file: str,
    own_region: bool,
    region_file: str,
) -> list[ConfigProblem]:
    """Problems with the GPU and general pools of `region`.

    Sizes are checked everywhere; instance types only by the region's own stack (its stack file
    may override them), like the system pool's.
    """
    problems: list[ConfigProblem] = []
    outs = list(opt_outs)
    gpu_pools: tuple[tuple[str, GpuPoolSizing], ...] = (
        (GPU_INFERENCE, sizing.gpu_nodes),
        (GPU_TRAINING, sizing.gpu_training_nodes),
    )
    for pool, pool_sizing in gpu_pools:
        key = f"{NAMESPACE}:sizing.{GPU_POOL_KEYS[pool]}"
        if pool_sizing.min_size > pool_sizing.max_size:
            problems.append(
                ConfigProblem(
                    key,
                    {"minSize": pool_sizing.min_size, "maxSize": pool_sizing.max_size},
                    "has minSize greater than maxSize",
                    f"make minSize <= maxSize in {sizing_file}",
                )
            )
        types = pool_sizing.instance_types
        duplicates = sorted({t for t in types if types.count(t) > 1})
        if duplicates:
            problems.append(
                ConfigProblem(
                    f"{key}.instanceTypes",
                    types,
                    f"lists {', '.join(duplicates)} more than once; it is an ordered preference",
                    f"list each type once, most preferred first, in {sizing_file}",
                )
            )
        if not own_region or pool_opted_out(outs, pool):
            continue
        untracked = [t for t in types if t not in capabilities.instance_types()]
        if untracked:
            problems.append(
                ConfigProblem(
                    f"{key}.instanceTypes",
                    types,
                    f"lists {', '.join(untracked)}, which the capability table does not track",
                    "use tracked types (stacks/region_capabilities.json) or add them to "
                    "GPU_INSTANCE_TYPES in meridian_ops/gen/capabilities.py and run "
                    "`python -m meridian_ops.gen.capabilities generate`",
                )
            )
            continue
        if choose_instance_type(region, types) is None:
            offered = _offered_gpu_types(region, types)
            add = (
                f"add a type {region} offers to the list (offered here: {', '.join(offered)})"
                if offered
                else f"{region} offers none of the tracked GPU types"
            )
            problems.append(
                ConfigProblem(
                    f"{key}.instanceTypes",
                    types,
                    f"names no instance type AWS offers in {region} (EC2 instance type "
                    "offerings, stacks/region_capabilities.json)",
                    f"{add} in {region_file}; or drop the pool there with "
                    f"{NAMESPACE}:serviceOptOuts.{region}: [{pool}] in {manifest_file}",
                )
            )

    general = sizing.general_nodes
    key = f"{NAMESPACE}:sizing.generalNodes.instanceFamilies"
    not_graviton = [f for f in general.instance_families if not _is_graviton_family(f)]
    if not_graviton:
        problems.append(
            ConfigProblem(
                key,
                general.instance_families,
                f"lists {', '.join(not_graviton)}, not Graviton (arm64) instance families",
                f"use Graviton families such as m7g, c7g, r7g in {sizing_file}",
            )
        )
    elif own_region:
        tracked = set(capabilities.instance_types())
        judged = [f for f in general.instance_families if f"{f}.xlarge" in tracked]
        if judged and not any(
            capabilities.instance_type_offered(region, f"{f}.xlarge") for f in judged
        ):
            problems.append(
                ConfigProblem(
                    key,
                    general.instance_families,
                    f"names no instance family AWS offers in {region}",
                    f"choose Graviton families offered in {region} in {sizing_file}",
                )
            )
    return problems


def _is_graviton_family(family: str) -> bool:
    """m7g, c7gn, r8g, m6gd ...: a generation digit followed by `g` (AWS's Graviton marker)."""
    return re.fullmatch(r"[a-z]+[0-9]+g[a-z]*", family) is not None and "." not in family


__all__ = [
    "ALL_GPU_POOLS",
    "GPU_INFERENCE",
    "GPU_TRAINING",
    "NODE_POOL_DEFAULTS",
    "POOL_OPT_OUTS",
    "TRAINING_SPOT_FRACTION",
    "GeneralPoolSizing",
    "GpuPoolSizing",
    "TrainingPoolSizing",
    "choose_instance_type",
    "gpu_instance_types",
    "pool_opted_out",
    "training_region",
    "validate_node_pools",
    "validate_training_region",
]
