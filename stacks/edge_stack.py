"""The edge stack: reads every regional stack. Now it publishes the origin table of the
environment (per-region VPC and egress addresses) that the CDN/WAF/GeoDNS layer builds on."""

from __future__ import annotations

import pulumi

from stacks.identity import Role
from stacks.references import UpstreamStack
from stacks.settings import MeridianSettings


def run(settings: MeridianSettings) -> None:
    env = settings.environment
    environment = UpstreamStack(env, Role.GLOBAL)
    regions = {r: UpstreamStack(env, Role.REGIONAL, r) for r in settings.manifest.regions}
    pulumi.export("primaryRegion", environment.require("primaryRegion"))
    pulumi.export(
        "origins",
        {
            region: {
                "vpcId": ref.require("vpcId"),
                "egressIps": ref.require("natPublicIps"),
            }
            for region, ref in regions.items()
        },
    )
    pulumi.export(
        "egressIps",
        pulumi.Output.all(*[ref.require("natPublicIps") for ref in regions.values()]).apply(
            lambda lists: sorted(ip for ips in lists for ip in ips)
        ),
    )
