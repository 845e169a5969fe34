"""Token checks at a region's edge Gateway, generated from the routing table
(stacks/data/api_routes.json `public` and `scopes`) and the environment's issuer (the global
stack's export): components/identity/gateway_auth.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from components.identity import GatewayAuthentication, GatewayAuthenticationArgs, ProtectedRoute
from components.mesh.service_mesh import INGRESS_NAMESPACE
from stacks.identity_settings import clients_document, routes_document
from stacks.regional.context import RegionContext

GATEWAY_LABELS = {"istio": "ingressgateway"}
"""The ingress gateway pods' labels (components/mesh/service_mesh.py)."""


def public_paths(document: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The paths served without a token: every path of a route marked public."""
    rows = (document or routes_document())["routes"]
    return tuple(p for r in rows if r.get("public") for p in r["paths"])


def protected_routes(document: dict[str, Any] | None = None) -> tuple[ProtectedRoute, ...]:
    """Every other route, with the scopes its token must carry (one of them)."""
    rows = (document or routes_document())["routes"]
    return tuple(
        ProtectedRoute(r["id"], tuple(r["paths"]), tuple(r["scopes"]))
        for r in rows
        if not r.get("public")
    )


def build(
    ctx: RegionContext, cluster: Any, after: Sequence[pulumi.Resource]
) -> GatewayAuthentication:
    """The region's RequestAuthentication, AuthorizationPolicies and claim-header strip."""
    return GatewayAuthentication(
        "gateway-auth",
        GatewayAuthenticationArgs(
            provider=cluster.provider,
            namespace=INGRESS_NAMESPACE,
            gateway_labels=GATEWAY_LABELS,
            issuer=ctx.environment.issuer_url(),
            jwks_uri=ctx.environment.jwks_uri(),
            resource_server=clients_document()["resourceServer"],
            routes=protected_routes(),
            public_paths=public_paths(),
            after=after,
        ),
        opts=ctx.opts,
    )
