"""The edge stack: reads every regional stack, publishes the origin table of the environment
(per-region VPC and egress addresses), builds the edge in front of the regions' ingress (front.py)
and the environment's Managed Grafana (grafana.py). Its outputs: stacks/outputs.py `EdgeOutputs`.
"""

from __future__ import annotations

import pulumi

from components.edge.geography import RegionOrigin
from stacks.edge import front, grafana
from stacks.edge.context import edge_context
from stacks.edge.providers import reset_providers
from stacks.outputs import EdgeOutputs, origin_entry
from stacks.settings import MeridianSettings


def run(settings: MeridianSettings) -> None:
    reset_providers()  # providers belong to one program run
    ctx = edge_context(settings)
    regions = ctx.regions
    origins = {
        region: origin_entry(ref.vpc_id(), ref.nat_public_ips(), ref.ingress_hostname())
        for region, ref in regions.items()
    }
    egress_ips = pulumi.Output.all(*[ref.nat_public_ips() for ref in regions.values()]).apply(
        lambda lists: sorted(ip for ips in lists for ip in ips)
    )
    edge = front.build(ctx, [RegionOrigin(r, ref.ingress_hostname()) for r, ref in regions.items()])
    workspace = grafana.build(ctx)
    EdgeOutputs(
        primary_region=ctx.environment.primary_region(),
        origins=origins,
        egress_ips=egress_ips,
        cloudflare_account_id=edge.cloudflare_account_id,
        origin_pools=edge.origin_pools,
        name_servers=edge.name_servers,
        distribution_domain=edge.distribution_domain,
        health_checks=edge.health_checks,
        edge_provider=ctx.edge.provider,
        public_hostnames=edge.component.hostnames,
        regions_in_rotation=edge.component.regions_in_rotation,
        drained_regions=sorted(edge.drained),
        rate_limits=edge.rate_limits,
        edge_replacement_guard=edge.replacement_guard,
        grafana_region=workspace.region,
        grafana_endpoint=workspace.grafana.workspace.endpoint,
    ).export()
