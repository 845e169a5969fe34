"""The partner API's routes and the subgraphs the federation router composes (the routing
table's domain backends). The partner usage tiers are rows of the rate-limit table
(stacks/data/rate_limits.json `tiers`, stacks/rate_limit_settings.py).

- `subgraphs()`: one `Subgraph` per domain backend of the routing table that every caller of
  the router may reach on its own route (no PCI-DSS scope, no MFA, no scope a router client
  lacks).
- `partner_routes()`: the routes the partner hostname serves (the federation router's), each
  with the scopes of its routing-table row that the machine-to-machine client may hold
  (stacks/data/identity_clients.json `partner-m2m`).
"""

from __future__ import annotations

from typing import Any

from components.graphql.router import Subgraph
from components.partner import PartnerRoute
from components.tenancy.services import BY_NAME
from stacks.config.problems import ConfigProblem
from stacks.identity_settings import clients_document
from stacks.ingress_routes import ROUTER_BACKEND, ROUTES_KEY, graphql_route, routes_document

M2M_CLIENT = "partner-m2m"
"""The identity table's machine-to-machine client partners use (client credentials)."""


MFA_AUTH = "JWT+MFA"
"""The routing table's `auth` of a route that needs a signed-in user with MFA."""


def _graph_safe(row: dict[str, Any], graph_clients: list[dict[str, Any]]) -> bool:
    """Whether every caller the router admits may also call the row's REST route: the route
    needs no MFA and every client holding the router's scopes holds each of the route's
    scopes."""
    if row.get("auth") == MFA_AUTH:
        return False
    return all(set(row.get("scopes") or []) <= set(c["scopes"]) for c in graph_clients)


def subgraphs(
    document: dict[str, Any] | None = None, clients: dict[str, Any] | None = None
) -> tuple[Subgraph, ...]:
    """The routing table's domain backends the router may reach, as subgraphs of the supergraph.

    The router is one route with its own scopes (`graphql`): a token that may call `/graphql`
    reaches, through it, every subgraph. A backend is therefore composed only when that grants
    nothing its REST route would refuse, and is left out when

    - it is in PCI-DSS scope: its namespace admits only the gateway and the callers the tenancy
      table names, so the cardholder-data environment does not grow by a router that fans out
      to every domain;
    - one of its routes needs MFA (`auth` JWT+MFA): a client-credentials token has no user
      and no MFA (the order service);
    - one of its routes needs a scope that some client holding the router's scopes lacks
      (stacks/data/identity_clients.json): the partner machine-to-machine client holds
      `graphql` but not `chat`, so the messaging service stays out.

    Clients reach the services left out on their own REST routes, where the edge Gateway checks
    the route's scopes. Subgraphs are derived from the tables only (no setting adds one): a
    table row that changes a route's auth or scopes changes the set here.
    """
    rows = (document or routes_document())["routes"]
    router_row = graphql_route(document or routes_document())
    router_scopes = set((router_row or {}).get("scopes") or [])
    graph_clients = [
        c for c in (clients or clients_document())["clients"] if router_scopes & set(c["scopes"])
    ]
    domain = [
        r for r in rows if not r.get("internal") and r.get("backend") not in (None, ROUTER_BACKEND)
    ]
    names = sorted(
        {
            r["backend"]
            for r in domain
            if not BY_NAME[r["backend"]].pci
            and all(_graph_safe(o, graph_clients) for o in domain if o["backend"] == r["backend"])
        }
    )
    return tuple(
        Subgraph(
            name=n,
            host=f"{BY_NAME[n].name}.{BY_NAME[n].namespace}.svc.cluster.local",
            port=BY_NAME[n].port,
            namespace=BY_NAME[n].namespace,
        )
        for n in names
    )


def graph_problems(
    document: dict[str, Any] | None = None, clients: dict[str, Any] | None = None
) -> list[ConfigProblem]:
    """A `/graphql` route whose graph would compose no subgraph (every domain backend left out,
    see `subgraphs()`): one problem naming the route, before anything is planned."""
    routes = document or routes_document()
    row = graphql_route(routes)
    if row is None or subgraphs(routes, clients):
        return []
    index = routes["routes"].index(row)
    return [
        ConfigProblem(
            f"{ROUTES_KEY} routes[{index}] ({row['id']}).backend",
            row["backend"],
            "would compose no subgraph: every domain backend's route needs MFA (auth JWT+MFA), "
            "a scope some client holding the route's scopes lacks, or is in PCI-DSS scope",
            "let one domain route need no MFA and only scopes every client holding "
            f"{row['scopes']} holds (stacks/data/identity_clients.json), or remove the row",
            file=ROUTES_KEY,
        )
    ]


def partner_routes(
    routes: dict[str, Any] | None = None, clients: dict[str, Any] | None = None
) -> tuple[PartnerRoute, ...]:
    """The partner hostname's routes and the scopes a partner's token must carry (one of)."""
    row = graphql_route(routes or routes_document())
    if row is None:
        return ()
    client = next(c for c in (clients or clients_document())["clients"] if c["id"] == M2M_CLIENT)
    scopes = tuple(s for s in row["scopes"] if s in client["scopes"])
    if not scopes:
        raise ValueError(
            f"route {row['id']}: the {M2M_CLIENT} client holds none of its scopes {row['scopes']}"
        )
    return (PartnerRoute(row["id"], tuple(row["paths"]), scopes),)
