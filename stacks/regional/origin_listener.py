"""With the AWS-native edge, the region's publicly trusted origin certificate for the ingress NLB's
TLS listener (components/edge/origin_listener.py), validated in the edge's zone, which the global
stack hosts so that it exists before this stack (waves: global -> regions -> edge)."""

from __future__ import annotations

import pulumi

from components.edge.origin_listener import (
    OriginListenerCertificate,
    OriginListenerCertificateArgs,
)
from stacks.regional.context import RegionContext


def certificate_arn(ctx: RegionContext) -> pulumi.Output[str] | None:
    """The issued certificate's ARN for the NLB's TLS listener, or None with Cloudflare (whose
    edge trusts the gateway's Origin CA certificate over a TCP listener)."""
    if ctx.settings.edge_provider != "aws":
        return None
    certificate = OriginListenerCertificate(
        "origin-listener",
        OriginListenerCertificateArgs(
            names=ctx.names,
            zone=ctx.settings.edge_zone,
            zone_id=ctx.environment.edge_zone_id(),
            region=ctx.region,
        ),
        opts=ctx.opts,
    )
    return certificate.certificate_arn
