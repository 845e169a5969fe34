"""The partner API's routes and the subgraphs the federation router composes (the routing
table's domain backends). The partner usage tiers are rows of the rate-limit table
(stacks/data/rate_limits.json `tiers`, stacks/rate_limit_settings.py).

- `subgraphs()`: one `Subgraph` per domain backend of the routing table.
- `partner_routes()`: the routes the partner hostname serves (the federation router's), each
  with the scopes of its routing-table row that the machine-to-machine client may hold
  (stacks/data/identity_clients.json `partner-m2m`).
"""

from __future__ import annotations

from typing import Any

from components.graphql.router import Subgraph
from components.partner import PartnerRoute
from components.tenancy.services import BY_NAME
from stacks.identity_settings import clients_document
from stacks.ingress_routes import ROUTER_BACKEND, graphql_route, routes_document

M2M_CLIENT = "partner-m2m"
"""The identity table's machine-to-machine client partners use (client credentials)."""


def subgraphs(document: dict[str, Any] | None = None) -> tuple[Subgraph, ...]:
    """The routing table's domain backends, as subgraphs of the supergraph.

    Services in PCI-DSS scope are left out: their namespace admits only the gateway and the
    callers the tenancy table names, so the cardholder-data environment does not grow by a
    router that fans out to every domain; clients reach them on their own REST routes.
    """
    rows = (document or routes_document())["routes"]
    names = sorted(
        {
            r["backend"]
            for r in rows
            if not r.get("internal")
            and r.get("backend") not in (None, ROUTER_BACKEND)
            and not BY_NAME[r["backend"]].pci
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
