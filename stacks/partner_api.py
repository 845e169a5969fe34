"""The partner API's usage tiers (stacks/data/partner_tiers.json) and the rate-limit descriptors
generated from them, plus the subgraphs the federation router composes (the routing table's
domain backends).

- `tier_problems(document)`: a tier without a positive requests-per-minute rate, or a repeated
  id, is refused with the file, the row and the fix, before anything is planned.
- `partner_descriptors(document)`: one descriptor per tier in the rate-limit service's shape
  (envoyproxy/ratelimit configuration: `key`, `value`, `rate_limit.unit`,
  `rate_limit.requests_per_unit`), keyed by the partner key's tier.
- `subgraphs()`: one `Subgraph` per domain backend of the routing table.
- `partner_routes()`: the routes the partner hostname serves (the federation router's), each
  with the scopes of its routing-table row that the machine-to-machine client may hold
  (stacks/data/identity_clients.json `partner-m2m`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from components.graphql.router import Subgraph
from components.partner import PartnerRoute
from components.tenancy.services import BY_NAME
from stacks.config.errors import ConfigProblem
from stacks.identity_settings import clients_document
from stacks.ingress_routes import ROUTER_BACKEND, graphql_route, routes_document

TIERS_FILE = Path(__file__).resolve().parent / "data" / "partner_tiers.json"
TIERS_KEY = "stacks/data/partner_tiers.json"
RATE_LIMIT_DOMAIN = "partner-api"
DESCRIPTOR_KEY = "partner_tier"


@cache
def tiers_document() -> dict[str, Any]:
    return json.loads(TIERS_FILE.read_text(encoding="utf-8"))


def tier_problems(document: dict[str, Any]) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    seen: set[str] = set()
    tiers = document.get("tiers")
    if not isinstance(tiers, list) or not tiers:
        return [
            ConfigProblem(
                f"{TIERS_KEY} tiers",
                tiers,
                "holds no usage tier",
                "list the tiers, each with an id and requestsPerMinute",
                file=TIERS_KEY,
            )
        ]
    for index, row in enumerate(tiers):
        tier_id = row.get("id") if isinstance(row, dict) else None
        where = f"{TIERS_KEY} tiers[{index}] ({tier_id or '?'})"
        rate = row.get("requestsPerMinute") if isinstance(row, dict) else None
        if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
            problems.append(
                ConfigProblem(
                    f"{where}.requestsPerMinute",
                    rate,
                    "is not a positive number of requests per minute: the tier would have no "
                    "rate limit",
                    "set requestsPerMinute (architecture section 01: 10000 to 1000000)",
                    file=TIERS_KEY,
                )
            )
        if not isinstance(tier_id, str) or not tier_id or tier_id in seen:
            problems.append(
                ConfigProblem(
                    f"{where}.id",
                    tier_id,
                    "is missing or repeated",
                    "give every tier a unique id",
                    file=TIERS_KEY,
                )
            )
        else:
            seen.add(tier_id)
    return problems


def partner_descriptors(document: dict[str, Any] | None = None) -> dict[str, Any]:
    """The partner tiers as a rate-limit service configuration (one domain, one descriptor per
    tier)."""
    doc = document or tiers_document()
    problems = tier_problems(doc)
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    return {
        "domain": RATE_LIMIT_DOMAIN,
        "descriptors": [
            {
                "key": DESCRIPTOR_KEY,
                "value": row["id"],
                "rate_limit": {"unit": "minute", "requests_per_unit": row["requestsPerMinute"]},
            }
            for row in doc["tiers"]
        ],
    }


def subgraphs(document: dict[str, Any] | None = None) -> tuple[Subgraph, ...]:
    """The routing table's domain backends, as subgraphs of the supergraph."""
    rows = (document or routes_document())["routes"]
    names = sorted(
        {
            r["backend"]
            for r in rows
            if not r.get("internal") and r.get("backend") not in (None, ROUTER_BACKEND)
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


M2M_CLIENT = "partner-m2m"
"""The identity table's machine-to-machine client partners use (client credentials)."""


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
