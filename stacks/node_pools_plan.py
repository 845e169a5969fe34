"""From one region's validated settings to the pools `NodePools` builds there.

Decides, from config and AWS's published offerings (stacks/region_capabilities.json):
- which pools the region runs (the GPU pools unless `serviceOptOuts` drops them; the training pool
  only in the environment's `meridian:trainingRegion`),
- each GPU pool's instance type: the first of its preference list offered in the region,
- the training pool's one availability zone: the first of the VPC's AZs where AWS offers the
  chosen training type (matched by AZ ID, which is the same in every account; AZ names are not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.kubernetes.node_pools import (
    GeneralPool,
    GpuInferencePool,
    GpuTrainingPool,
    SystemPool,
)
from stacks import capabilities
from stacks.node_pool_settings import (
    GPU_INFERENCE,
    GPU_TRAINING,
    choose_instance_type,
    pool_opted_out,
)
from stacks.settings import RegionPlan


def system_pool(plan: RegionPlan) -> SystemPool:
    sizing = plan.settings.sizing.system_nodes
    return SystemPool(
        instance_types=list(sizing.instance_types),
        min_size=sizing.min_size,
        max_size=sizing.max_size,
    )


def general_pool(plan: RegionPlan) -> GeneralPool:
    sizing = plan.settings.sizing.general_nodes
    return GeneralPool(
        instance_families=list(sizing.instance_families),
        capacity_types=list(sizing.capacity_types),
        max_nodes=sizing.max_size,
    )


def gpu_inference_pool(plan: RegionPlan) -> GpuInferencePool | None:
    if pool_opted_out(plan.opt_outs, GPU_INFERENCE):
        return None
    sizing = plan.settings.sizing.gpu_nodes
    instance_type = choose_instance_type(plan.region, sizing.instance_types)
    if instance_type is None:  # refused by the config checks; never silently dropped
        raise ValueError(f"{plan.region}: no offered type in {sizing.instance_types}")
    return GpuInferencePool(instance_type, sizing.min_size, sizing.max_size)


def gpu_training_pool(
    plan: RegionPlan, availability_zones: Sequence[str], zone_ids: Mapping[str, str]
) -> GpuTrainingPool | None:
    """The training pool in the first of `availability_zones` (the VPC's, in subnet order)
    that offers its type; `zone_ids` maps this account's AZ names to AZ IDs."""
    if not plan.hosts_training or pool_opted_out(plan.opt_outs, GPU_TRAINING):
        return None  # one training cluster per environment, in `meridian:trainingRegion`
    sizing = plan.settings.sizing.gpu_training_nodes
    instance_type = choose_instance_type(plan.region, sizing.instance_types)
    if instance_type is None:
        raise ValueError(f"{plan.region}: no offered type in {sizing.instance_types}")
    offered = set(capabilities.instance_type_az_ids(plan.region, instance_type))
    for index, zone in enumerate(availability_zones):
        if zone_ids.get(zone) in offered:
            return GpuTrainingPool(
                instance_type=instance_type,
                min_size=sizing.min_size,
                max_size=sizing.max_size,
                availability_zone=zone,
                subnet_index=index,
                capacity_reservation_id=sizing.capacity_reservation_id,
                spot_nodes=sizing.spot_nodes,
            )
    raise pulumi.RunError(
        f"{plan.region}: AWS offers {instance_type} (meridian:sizing.gpuTrainingNodes) only in "
        f"AZs {sorted(offered)}, none of the VPC's {list(availability_zones)}. Fix: list a type "
        f"offered in those AZs first, or opt out with meridian:serviceOptOuts.{plan.region}: "
        f"[{GPU_TRAINING}]."
    )
