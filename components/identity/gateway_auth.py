"""GatewayAuthentication: end-user tokens checked at the edge Gateway, per region.

- A `RequestAuthentication` on the ingress gateway pods: tokens of the environment's issuer, keys
  from its JWKS URI; the token is not forwarded upstream (`forwardOriginalToken: false`) and the
  claims the services need are copied into `x-meridian-*` headers (`outputClaimToHeaders`).
- An `AuthorizationPolicy` (DENY) refusing every request without a valid token
  (`notRequestPrincipals: ["*"]`) to any path but the public ones: what the routes table does not
  name is closed, not open.
- One DENY `AuthorizationPolicy` per protected route: a token without one of the route's scopes
  (`request.auth.claims[scope]`; Istio treats `scope` as space-delimited) is refused.
- An `EnvoyFilter` that removes client-supplied `x-meridian-*` headers first in the gateway's HTTP
  filter chain, before the JWT filter writes them: a route-level removal (a VirtualService's
  `headers.request.remove`) runs in the router, after the JWT filter, and would drop the claims
  too.

Example::

    GatewayAuthentication("gateway-auth", GatewayAuthenticationArgs(
        provider=cluster.provider, namespace="istio-ingress",
        gateway_labels={"istio": "ingressgateway"},
        issuer=issuer_url, jwks_uri=jwks_uri, resource_server="meridian-api",
        routes=(ProtectedRoute("orders", ("/api/v2/orders",), ("orders.write",)),),
        public_paths=("/health",)))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.common.kubernetes import custom_object, object_meta
from components.common.paths import authorization_paths

CLAIM_HEADERS: Mapping[str, str] = {
    "sub": "x-meridian-sub",
    "scope": "x-meridian-scope",
    "client_id": "x-meridian-client-id",
}
"""Access-token claims the gateway hands to services, and the header each goes into."""
HTTP_CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager"
HEADER_MUTATION = "envoy.filters.http.header_mutation"
HEADER_MUTATION_TYPE = (
    "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation"
)
REQUIRE_TOKEN = "require-token"
"""The name of the DENY policy refusing requests without a token."""


@dataclass(frozen=True)
class ProtectedRoute:
    """A route that needs a token carrying one of `scopes` (names without the resource server)."""

    id: str
    paths: tuple[str, ...]
    scopes: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.paths or not self.scopes:
            raise ValueError(f"route {self.id}: a protected route needs paths and scopes")


@dataclass(frozen=True)
class GatewayAuthenticationArgs:
    provider: k8s.Provider
    namespace: str
    gateway_labels: Mapping[str, str]
    issuer: pulumi.Input[str]
    jwks_uri: pulumi.Input[str]
    resource_server: str
    routes: tuple[ProtectedRoute, ...]
    public_paths: tuple[str, ...]
    after: Sequence[pulumi.Resource] = ()


def istio_paths(paths: Sequence[str]) -> list[str]:
    """Istio path patterns covering a route's paths and everything under them: exactly what the
    route's VirtualService routes (components/common/paths.py), so no routed path escapes the
    scope check."""
    return authorization_paths(paths)


def request_authentication_spec(
    labels: Mapping[str, str], issuer: pulumi.Input[str], jwks_uri: pulumi.Input[str]
) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": dict(labels)},
        "jwtRules": [
            {
                "issuer": issuer,
                "jwksUri": jwks_uri,
                "forwardOriginalToken": False,
                "outputClaimToHeaders": [
                    {"header": header, "claim": claim} for claim, header in CLAIM_HEADERS.items()
                ],
            }
        ],
    }


def require_token_spec(labels: Mapping[str, str], public_paths: Sequence[str]) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": dict(labels)},
        "action": "DENY",
        "rules": [
            {
                "from": [{"source": {"notRequestPrincipals": ["*"]}}],
                "to": [{"operation": {"notPaths": list(public_paths)}}],
            }
        ],
    }


def route_scope_spec(
    labels: Mapping[str, str], route: ProtectedRoute, resource_server: str
) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": dict(labels)},
        "action": "DENY",
        "rules": [
            {
                "to": [{"operation": {"paths": istio_paths(route.paths)}}],
                "when": [
                    {
                        "key": "request.auth.claims[scope]",
                        "notValues": [f"{resource_server}/{s}" for s in route.scopes],
                    }
                ],
            }
        ],
    }


def strip_claim_headers_spec(labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "workloadSelector": {"labels": dict(labels)},
        "configPatches": [
            {
                "applyTo": "HTTP_FILTER",
                "match": {
                    "context": "GATEWAY",
                    "listener": {"filterChain": {"filter": {"name": HTTP_CONNECTION_MANAGER}}},
                },
                "patch": {
                    "operation": "INSERT_FIRST",
                    "value": {
                        "name": HEADER_MUTATION,
                        "typed_config": {
                            "@type": HEADER_MUTATION_TYPE,
                            "mutations": {
                                "request_mutations": [{"remove": h} for h in CLAIM_HEADERS.values()]
                            },
                        },
                    },
                },
            }
        ],
    }


class GatewayAuthentication(pulumi.ComponentResource):
    """See the module docstring."""

    def __init__(
        self,
        name: str,
        args: GatewayAuthenticationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("meridian:identity:GatewayAuthentication", name, None, opts)
        kube = pulumi.ResourceOptions(
            parent=self, provider=args.provider, depends_on=list(args.after)
        )
        ns, labels = args.namespace, args.gateway_labels
        self.request_authentication = custom_object(
            f"{name}-jwt",
            "security.istio.io/v1",
            "RequestAuthentication",
            object_meta("edge-jwt", ns),
            request_authentication_spec(labels, args.issuer, args.jwks_uri),
            kube,
        )
        self.require_token = custom_object(
            f"{name}-require-token",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta(REQUIRE_TOKEN, ns),
            require_token_spec(labels, args.public_paths),
            kube,
        )
        self.route_scopes = {
            route.id: custom_object(
                f"{name}-scope-{route.id}",
                "security.istio.io/v1",
                "AuthorizationPolicy",
                object_meta(f"scope-{route.id}", ns),
                route_scope_spec(labels, route, args.resource_server),
                kube,
            )
            for route in args.routes
        }
        self.strip_headers = custom_object(
            f"{name}-strip-claim-headers",
            "networking.istio.io/v1alpha3",
            "EnvoyFilter",
            object_meta("strip-claim-headers", ns),
            strip_claim_headers_spec(labels),
            kube,
        )
        self.register_outputs({"routes": sorted(self.route_scopes)})
