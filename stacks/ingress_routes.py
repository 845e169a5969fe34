"""The request path of a regional stack, generated from the routing table
(stacks/data/api_routes.json): the public routes the ingress serves, the certificate its gateway
presents to the edge, and the checks the config gate runs on the table.

- `mesh_routes()`: one `EdgeRoute` per public route with a tenant backend (VirtualServices on the
  edge Gateway, components/tenancy/traffic.py); internal routes (health, metrics) and routes whose
  backend is pending are not served through the edge; `/graphql` (backend `graphql-router`) is
  bound by the federation router itself (`graphql_route()`, stacks/regional/ingress_api.py).
- `origin_certificate(...)`: with Cloudflare, a Cloudflare Origin CA certificate for the public
  hostnames and Cloudflare's origin-pull CA as the gateway's client CA (MUTUAL); with the AWS
  edge, a self-signed certificate behind the NLB (components/mesh/origin_tls.py).
- `route_table_problems(document)`: a route with no backend (and no stated reason why it is
  pending), or naming a service the tenancy table does not have, is refused with the key, the
  value and the fix, before anything is planned.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare
import pulumi_tls as tls

from components.common.naming import Names
from components.edge.origin_pull import CLOUDFLARE_ORIGIN_PULL_CA
from components.mesh.origin_tls import OriginCertificate, OriginCertificateArgs, OriginIssuer
from components.tenancy.services import BY_NAME, GATEWAY
from components.tenancy.traffic import EdgeRoute
from stacks.config.errors import ConfigProblem
from stacks.edge_settings import ROUTES_FILE, TOKEN_KEY

ROUTES_KEY = "stacks/data/api_routes.json"
INGRESS_BACKEND = "ingress-gateway"
"""The backend of the internal health route: the gateway answers it (ServiceMesh)."""
ROUTER_BACKEND = "graphql-router"
"""The backend of `/graphql`: the federation router (components/graphql/router.py), which binds
its own route on the edge Gateway."""
WEBSOCKET = "WS"
DEFAULT_HEALTH_PATH = "/health"


@cache
def routes_document() -> dict[str, Any]:
    return json.loads(ROUTES_FILE.read_text(encoding="utf-8"))


def route_table_problems(document: dict[str, Any]) -> list[ConfigProblem]:
    """Routes the ingress cannot serve: no backend without a `pending` reason, a backend that is
    no tenant service, or a tenant that does not admit the ingress gateway."""
    problems: list[ConfigProblem] = []
    services = sorted(BY_NAME)
    for index, row in enumerate(document.get("routes", [])):
        key = f"{ROUTES_KEY} routes[{index}] ({row.get('id', '?')}).backend"
        backend = row.get("backend")
        for path in row.get("paths") or []:
            if not isinstance(path, str) or not path.startswith("/") or "*" in path:
                problems.append(
                    ConfigProblem(
                        f"{ROUTES_KEY} routes[{index}] ({row.get('id', '?')}).paths",
                        path,
                        "is not a literal request path: the route's VirtualService and its "
                        "scope rule both read it as the path itself and what is below it",
                        'start it with "/" and use no "*" (a trailing "/" means only what is '
                        "below it)",
                        file=ROUTES_KEY,
                    )
                )
        if row.get("internal"):
            if backend != INGRESS_BACKEND:
                problems.append(
                    ConfigProblem(
                        key,
                        backend,
                        "an internal route is answered by the ingress gateway itself",
                        f'set "backend": "{INGRESS_BACKEND}"',
                        file=ROUTES_KEY,
                    )
                )
            continue
        if backend is None:
            if not row.get("pending"):
                problems.append(
                    ConfigProblem(
                        key,
                        None,
                        "names no backend service: the ingress would have no route for it",
                        f"set backend to the tenant service that serves it (one of {services}), "
                        'or state why there is none yet in "pending"',
                        file=ROUTES_KEY,
                    )
                )
            continue
        if backend == ROUTER_BACKEND:
            pass
        elif backend not in BY_NAME:
            problems.append(
                ConfigProblem(
                    key,
                    backend,
                    "is not a service of the tenancy table (components/tenancy/services.py)",
                    f"use one of {services}",
                    file=ROUTES_KEY,
                )
            )
        elif GATEWAY not in BY_NAME[backend].callers:
            problems.append(
                ConfigProblem(
                    key,
                    backend,
                    "does not admit the ingress gateway as a caller, so its AuthorizationPolicy "
                    "would refuse every request of the route",
                    f"add GATEWAY to {backend}'s callers in components/tenancy/services.py, or "
                    "route to a service that admits it",
                    file=ROUTES_KEY,
                )
            )
        if not isinstance(row.get("timeoutMs"), int) or row["timeoutMs"] <= 0:
            problems.append(
                ConfigProblem(
                    f"{ROUTES_KEY} routes[{index}] ({row.get('id', '?')}).timeoutMs",
                    row.get("timeoutMs"),
                    "is not a positive number of milliseconds",
                    "set the route's deadline (architecture section 05: 2000 unless the "
                    "service's traffic rule gives one)",
                    file=ROUTES_KEY,
                )
            )
    return problems


def mesh_routes(document: dict[str, Any] | None = None) -> tuple[EdgeRoute, ...]:
    """The public routes with a tenant backend, as the ingress serves them."""
    rows = (document or routes_document())["routes"]
    return tuple(
        EdgeRoute(
            id=row["id"],
            paths=tuple(row["paths"]),
            service=row["backend"],
            timeout_ms=row["timeoutMs"],
            websocket=row["method"] == WEBSOCKET,
        )
        for row in rows
        if not row.get("internal") and row.get("backend") not in (None, ROUTER_BACKEND)
    )


def graphql_route(document: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The routing table's row served by the federation router, if any."""
    rows = (document or routes_document())["routes"]
    return next((r for r in rows if r.get("backend") == ROUTER_BACKEND), None)


def health_path(document: dict[str, Any] | None = None) -> str:
    """The path the edge monitors probe: the internal route answered by the gateway."""
    rows = (document or routes_document())["routes"]
    found = [r["healthPath"] for r in rows if r.get("backend") == INGRESS_BACKEND]
    return found[0] if found else DEFAULT_HEALTH_PATH


def origin_certificate(
    names: Names, edge_provider: str, hostnames: tuple[str, ...], region: str
) -> OriginCertificate:
    """The gateway's origin certificate for the environment's edge (see the module docstring).
    The Cloudflare token is the secret `cloudflare:apiToken` of this stack, else the provider
    reads CLOUDFLARE_API_TOKEN (the config gate refuses a plain-text token)."""
    tls_provider = tls.Provider(f"tls-{region}")
    if edge_provider == "cloudflare":
        namespace, key = TOKEN_KEY.split(":")
        provider = cloudflare.Provider(
            f"cloudflare-{region}", api_token=pulumi.Config(namespace).get_secret(key)
        )
        args = OriginCertificateArgs(
            names,
            OriginIssuer.CLOUDFLARE_ORIGIN_CA,
            hostnames,
            tls_provider,
            cloudflare_provider=provider,
            client_ca_pem=CLOUDFLARE_ORIGIN_PULL_CA,
        )
    else:
        args = OriginCertificateArgs(names, OriginIssuer.SELF_SIGNED, hostnames, tls_provider)
    return OriginCertificate("origin-certificate", args)
