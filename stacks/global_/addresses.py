"""The environment's address plan: one IPAM in the primary region with a VPC pool and a pod pool
per region (stacks/cidr_plan.py)."""

from __future__ import annotations

from dataclasses import dataclass

from components.foundation.ipam import Ipam, IpamArgs
from stacks.cidr_plan import POD_SUPERNET, environment_supernet, pod_cidr
from stacks.global_.context import GlobalContext


@dataclass(frozen=True)
class Addresses:
    """`vpc_cidrs` / `pod_cidrs`: region -> its VPC / pod CIDR."""

    ipam: Ipam
    vpc_cidrs: dict[str, str]
    pod_cidrs: dict[str, str]


def build(ctx: GlobalContext) -> Addresses:
    regions = ctx.settings.regions
    cidrs = {region: str(plan.vpc_cidr) for region, plan in regions.items()}
    pod_cidrs = {region: str(pod_cidr(region)) for region in regions}
    ipam = Ipam(
        "ipam",
        IpamArgs(
            names=ctx.names,
            home_region=ctx.primary,
            supernet=str(environment_supernet(ctx.env)),
            region_cidrs=cidrs,
            pod_supernet=str(POD_SUPERNET),
            pod_cidrs=pod_cidrs,
        ),
        opts=ctx.opts,
    )
    return Addresses(ipam, cidrs, pod_cidrs)
