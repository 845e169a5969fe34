"""The global stack of an environment: what exists once per environment.

Now: the IPAM address plan in the primary region. It exports the environment contract the regional
and edge stacks read: regions, primary region, VPC CIDRs and IPAM pools.
"""

from __future__ import annotations

import pulumi

from components.ipam import Ipam, IpamArgs
from components.naming import Names
from stacks.cidr_plan import environment_supernet
from stacks.providers import aws_provider
from stacks.settings import MeridianSettings


def run(settings: MeridianSettings) -> None:
    env = settings.environment
    primary = settings.primary_region
    provider = aws_provider(primary, settings)
    cidrs = {region: str(plan.vpc_cidr) for region, plan in settings.regions.items()}
    ipam = Ipam(
        "ipam",
        IpamArgs(
            names=Names(env),
            home_region=primary,
            supernet=str(environment_supernet(env)),
            region_cidrs=cidrs,
        ),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    pulumi.export("environment", env)
    pulumi.export("primaryRegion", primary)
    pulumi.export("regions", list(settings.manifest.regions))
    pulumi.export("vpcCidrs", cidrs)
    pulumi.export("ipamId", ipam.ipam_id)
    pulumi.export("ipamPoolIds", ipam.pool_ids)
    pulumi.export("tags", settings.tags())
