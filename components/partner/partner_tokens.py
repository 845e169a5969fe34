"""PartnerTokens: OAuth 2.0 client credentials on the partner hostname, on top of its mutual TLS.

The design lists three partner methods (OAuth 2.0 client credentials, API key + HMAC, mTLS
certificates). On the partner hostname this program asks for two together: the client
certificate (the partner Gateway's MUTUAL TLS) says which partner is connecting and in which tier,
and an access token of the environment's issuer, obtained with the partner's machine-to-machine
client, says what it may call. A token alone or a certificate alone is refused.

Istio's RequestAuthentication selects workloads (an Istio `Gateway` cannot be a `targetRef`;
only Gateway API gateways can), so the ingress gateway pods' one RequestAuthentication (the
environment's issuer and JWKS: components/identity/gateway_auth.py) validates tokens on every
listener, the partner Gateway's included. What is the partner's is authorization, by host:

- `partner-require-token` (DENY): a request to the partner hostname without a valid token
  (`notRequestPrincipals: ["*"]`), on any path: the edge's public paths are not public here.
- `partner-client-credentials` (DENY): a token that is not an access token
  (`request.auth.claims[token_use]`, Cognito's claim: `access` or `id`) is refused, and for each
  partner route a token without one of its scopes (Istio splits the space-delimited `scope`).

Example::

    PartnerTokens("partner-tokens", PartnerTokensArgs(
        provider=cluster.provider, namespace="istio-ingress",
        gateway_labels={"istio": "ingressgateway"}, hostname="partners.meridian.example.com",
        resource_server="meridian-api",
        routes=(PartnerRoute("graphql", ("/graphql",), ("graphql",)),)))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.common.kubernetes import custom_object, object_meta
from components.common.paths import authorization_paths

REQUIRE_TOKEN = "partner-require-token"
CLIENT_CREDENTIALS = "partner-client-credentials"
TOKEN_USE_CLAIM = "request.auth.claims[token_use]"
ACCESS_TOKEN = "access"
"""Cognito's `token_use` claim of an access token (an ID token says `id`)."""


@dataclass(frozen=True)
class PartnerRoute:
    """A route served on the partner hostname and the scopes (one of them) its token needs."""

    id: str
    paths: tuple[str, ...]
    scopes: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.paths or not self.scopes:
            raise ValueError(f"partner route {self.id}: needs paths and scopes")


@dataclass(frozen=True)
class PartnerTokensArgs:
    provider: k8s.Provider
    namespace: str
    gateway_labels: Mapping[str, str]
    hostname: str
    resource_server: str
    routes: tuple[PartnerRoute, ...]
    after: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if not self.routes:
            raise ValueError("the partner hostname serves no route")


def partner_hosts(hostname: str) -> list[str]:
    """The Host values of the partner hostname (with and without a port)."""
    return [hostname, f"{hostname}:*"]


def require_token_spec(labels: Mapping[str, str], hostname: str) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": dict(labels)},
        "action": "DENY",
        "rules": [
            {
                "from": [{"source": {"notRequestPrincipals": ["*"]}}],
                "to": [{"operation": {"hosts": partner_hosts(hostname)}}],
            }
        ],
    }


def client_credentials_spec(
    labels: Mapping[str, str], hostname: str, resource_server: str, routes: Sequence[PartnerRoute]
) -> dict[str, Any]:
    hosts = partner_hosts(hostname)
    rules: list[dict[str, Any]] = [
        {
            "to": [{"operation": {"hosts": hosts}}],
            "when": [{"key": TOKEN_USE_CLAIM, "notValues": [ACCESS_TOKEN]}],
        }
    ]
    rules += [
        {
            "to": [{"operation": {"hosts": hosts, "paths": authorization_paths(route.paths)}}],
            "when": [
                {
                    "key": "request.auth.claims[scope]",
                    "notValues": [f"{resource_server}/{s}" for s in route.scopes],
                }
            ],
        }
        for route in routes
    ]
    return {"selector": {"matchLabels": dict(labels)}, "action": "DENY", "rules": rules}


class PartnerTokens(pulumi.ComponentResource):
    """See the module docstring."""

    def __init__(
        self, name: str, args: PartnerTokensArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:partner:PartnerTokens", name, None, opts)
        kube = pulumi.ResourceOptions(
            parent=self, provider=args.provider, depends_on=list(args.after)
        )
        labels = args.gateway_labels
        self.require_token = custom_object(
            f"{name}-require-token",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta(REQUIRE_TOKEN, args.namespace),
            require_token_spec(labels, args.hostname),
            kube,
        )
        self.client_credentials = custom_object(
            f"{name}-client-credentials",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta(CLIENT_CREDENTIALS, args.namespace),
            client_credentials_spec(labels, args.hostname, args.resource_server, args.routes),
            kube,
        )
        self.register_outputs({"routes": [r.id for r in args.routes]})
