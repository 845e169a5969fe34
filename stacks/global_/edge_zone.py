"""The AWS edge's public DNS zone, hosted once per environment in Route 53 by the global stack.

The global stack deploys first, so the zone exists before the regional stacks: each region
validates its origin certificate (ACM, DNS validation) by records in this zone, and the edge
stack, deployed last, adds its latency records, certificate validation and aliases to it. With the
Cloudflare edge the zone lives in Cloudflare and nothing is built here.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from stacks.global_.context import GlobalContext


def build(ctx: GlobalContext) -> aws.route53.Zone | None:
    """The protected public zone (its name servers are delegated to), or None with Cloudflare."""
    settings = ctx.settings
    if settings.edge_provider != "aws":
        return None
    return aws.route53.Zone(
        "edge-zone",
        name=settings.edge_zone,
        comment=f"{ctx.names.prefix}: public edge zone (delegate to its name servers)",
        force_destroy=False,
        opts=pulumi.ResourceOptions.merge(ctx.opts, pulumi.ResourceOptions(protect=True)),
    )
