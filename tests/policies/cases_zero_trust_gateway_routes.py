"""Table cases for ``policies/zero_trust_gateway_routes.py``: what a token-protected Istio Gateway
routes is public or inside a scope rule's paths.

Istio objects as apiVersion/kind/metadata/spec (the engine's inputs), evaluated with
policies/config/prod.json (public paths `/health`, `/metrics`); preview cases carry the engine's
unknown sentinel.
"""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase

POLICY = "istio-gateway-routes-scoped"
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService"
AUTHORIZATION_POLICY = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
LABELS = {"istio": "ingressgateway"}
TIGHT = [{"uri": {"exact": "/api/v2/orders"}}, {"uri": {"prefix": "/api/v2/orders/"}}]
SCOPE_PATHS = ["/api/v2/orders", "/api/v2/orders/*"]


def _object(kind: str, api: str, name: str, namespace: str, spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _policy(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    spec = {"selector": {"matchLabels": dict(LABELS)}, "action": "DENY", "rules": rules}
    return {
        "type": AUTHORIZATION_POLICY,
        "name": name,
        "props": _object(
            "AuthorizationPolicy", "security.istio.io/v1", name, "istio-ingress", spec
        ),
    }


def _scope_operation(paths: list[str]) -> dict[str, Any]:
    return {"operation": {"paths": paths}}


def routes_stack(
    matches: list[dict[str, Any]] | None = None,
    *,
    require_token: bool = True,
    scope_operation: dict[str, Any] | None = None,
    vs_namespace: str = "order",
    gateways: list[str] | None = None,
    vs_spec: Any = None,
) -> list[dict[str, Any]]:
    """The edge Gateway, its token DENY, the orders route's scope DENY, the orders
    VirtualService and the health VirtualService (exact `/health`)."""
    stack: list[dict[str, Any]] = [
        {
            "type": GATEWAY,
            "name": "edge-gateway",
            "props": _object(
                "Gateway",
                "networking.istio.io/v1",
                "edge",
                "istio-ingress",
                {"selector": dict(LABELS)},
            ),
        },
        _policy(
            "scope-orders",
            [
                {
                    "to": [scope_operation or _scope_operation(SCOPE_PATHS)],
                    "when": [
                        {
                            "key": "request.auth.claims[scope]",
                            "notValues": ["meridian-api/orders.write"],
                        }
                    ],
                }
            ],
        ),
        {
            "type": VIRTUAL_SERVICE,
            "name": "edge-orders",
            "props": _object(
                "VirtualService",
                "networking.istio.io/v1",
                "edge-orders",
                vs_namespace,
                vs_spec
                if vs_spec is not None
                else {
                    "hosts": ["*"],
                    "gateways": gateways or ["istio-ingress/edge"],
                    "http": [{"name": "orders", "match": TIGHT if matches is None else matches}],
                },
            ),
        },
        {
            "type": VIRTUAL_SERVICE,
            "name": "edge-health",
            "props": _object(
                "VirtualService",
                "networking.istio.io/v1",
                "edge-health",
                "istio-ingress",
                {
                    "hosts": ["*"],
                    "gateways": ["istio-ingress/edge"],
                    "http": [
                        {
                            "name": "edge-health",
                            "match": [{"method": {"exact": "GET"}, "uri": {"exact": "/health"}}],
                        }
                    ],
                },
            ),
        },
    ]
    if require_token:
        stack.append(
            _policy(
                "require-token",
                [
                    {
                        "from": [{"source": {"notRequestPrincipals": ["*"]}}],
                        "to": [{"operation": {"notPaths": ["/health", "/metrics"]}}],
                    }
                ],
            )
        )
    return stack


def _case(stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase(POLICY, "", {}, violates, stack=stack, note=note)


CASES: list[PolicyCase] = [
    _case(routes_stack(), False, "exact-and-below"),
    _case(routes_stack([{"uri": {"exact": "/api/v2/orders/123"}}]), False, "exact-below"),
    _case(routes_stack([{"uri": {"prefix": "/api/v2/orders"}}]), True, "raw-prefix"),
    _case(routes_stack([{"uri": {"regex": "/api/v2/orders/.*"}}]), True, "regex"),
    _case(
        routes_stack([{"uri": {"exact": "/api/v2/orders"}, "ignoreUriCase": True}]),
        True,
        "any-case",
    ),
    _case(routes_stack([{"method": {"exact": "POST"}}]), True, "no-uri"),
    _case(routes_stack([{"uri": {"prefix": "/health"}}]), True, "public-as-prefix"),
    _case(
        routes_stack(
            [{"uri": {"prefix": "/api/v2/orders"}}], vs_namespace="istio-ingress", gateways=["edge"]
        ),
        True,
        "bare-gateway-name",
    ),
    _case(
        routes_stack(
            scope_operation={"operation": {"hosts": ["api.example.com"], "paths": SCOPE_PATHS}}
        ),
        True,
        "scope-rule-one-host",
    ),
    _case(routes_stack(scope_operation={"operation": {"paths": ["/api/v2/*"]}}), False, "wider"),
    _case(
        routes_stack([{"uri": {"prefix": "/api/v2/orders"}}], gateways=["mesh"]),
        False,
        "mesh-only",
    ),
    _case(
        routes_stack([{"uri": {"prefix": "/api/v2/orders"}}], require_token=False),
        False,
        "gateway-without-token-check",
    ),
    _case(routes_stack(vs_spec=UNKNOWN), False, "preview-unknown"),
]
