"""Settings of the ingress's global rate limiting, the rate-limit table
(stacks/data/rate_limits.json) and its checks.

Key (regional: the manifest sets it for every region, a regional stack file may override it):

```yaml
meridian:rateLimit:
  serviceReplicas: 3            # envoyproxy/ratelimit pods in the region (>= 2 outside dev)
  rpcTimeoutMs: 20              # the gateway's deadline for one rate-limit check; on timeout
                                # the request passes (fail open) and the local limit still holds
  localRequestsPerSecond: 5000  # the fallback token bucket, per gateway pod
  storeNodeType: cache.r7g.large   # the counters' own Valkey replication group
  storeReplicas: 1              # replicas of that group (automatic failover needs >= 1)
```

The table: every rate-limited route of the routing table (api_routes.json `rateLimitPerMinute`)
is limited in the mesh per user, per API key and per client address at that number; a dimension
with `clients` (the API key: the validated token's client id) is limited only for the clients of
that kind in identity_clients.json, one limit per client (public clients share one id among all
their users, so a limit on it would throttle them together); rows of
`rate_limits.json` add limits the routing table has no column for (WebSocket upgrades per user)
and the partner tiers (per partner on the partner Gateway's routes; the partner and its tier are
the verified client certificate's URI SAN `<partnerUriPrefix><tier>:<partner id>`).
`rate_limit_table_problems` refuses a row for a route the routing table lacks, a tier without a
rate or with a repeated name or one unfit for a URI, a dimension that is not one of the
table's, and a dimension whose `clients` kind has no client or no header to read the id from,
naming the file, the row and the fix.

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field

from stacks.config.errors import ConfigProblem
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel
from stacks.edge_settings import ROUTES_FILE
from stacks.identity_settings import clients_document

KEY = "rateLimit"
TABLE_FILE = Path(__file__).parent / "data" / "rate_limits.json"
TABLE_KEY = "stacks/data/rate_limits.json"
ROUTES_KEY = "stacks/data/api_routes.json"
CLIENTS_KEY = "stacks/data/identity_clients.json"
CLIENT_KINDS = ("confidential",)
"""The kinds a dimension may be limited for: the global stack exports the confidential clients'
ids (the API keys); a public client's id is shared by all its users."""
TIER_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
UNIT = "minute"
"""Every limit of the design is per minute."""


class RateLimitSettings(MeridianModel):
    service_replicas: int = Field(
        alias="serviceReplicas", ge=1, le=50, description="envoyproxy/ratelimit pods."
    )
    rpc_timeout_ms: int = Field(
        alias="rpcTimeoutMs", ge=1, le=1000, description="Deadline of one rate-limit check."
    )
    local_requests_per_second: int = Field(
        alias="localRequestsPerSecond",
        ge=1,
        le=1_000_000,
        description="The fallback token bucket's rate per gateway pod.",
    )
    store_node_type: str = Field(
        alias="storeNodeType", pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$", description="Node type."
    )
    store_replicas: int = Field(alias="storeReplicas", ge=1, le=5, description="Store replicas.")


RATE_LIMIT_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "serviceReplicas": 1,
        "rpcTimeoutMs": 20,
        "localRequestsPerSecond": 500,
        "storeNodeType": "cache.t4g.small",
        "storeReplicas": 1,
    },
    "staging": {
        "serviceReplicas": 2,
        "rpcTimeoutMs": 20,
        "localRequestsPerSecond": 2000,
        "storeNodeType": "cache.t4g.small",
        "storeReplicas": 1,
    },
    # prod: one rate-limit pod per AZ; the design's 5M req/s over 3+ regions and up to 30
    # gateway pods each is ~55k req/s per pod at the peak: the local bucket is a ceiling that
    # only protects the backends while the global service is unreachable.
    "prod": {
        "serviceReplicas": 3,
        "rpcTimeoutMs": 20,
        "localRequestsPerSecond": 60000,
        "storeNodeType": "cache.r7g.large",
        "storeReplicas": 2,
    },
}
"""Per environment, merged into `settings.ENVIRONMENT_DEFAULTS[env]["rateLimit"]`."""


def validate_rate_limit(settings: RateLimitSettings, env: str, where: str) -> list[ConfigProblem]:
    """What the types cannot say: outside dev, one rate-limit pod is a single point of failure
    (the gateway then fails open to the local limit only)."""
    if env == "dev" or settings.service_replicas >= 2:
        return []
    return [
        ConfigProblem(
            f"{NAMESPACE}:{KEY}.serviceReplicas",
            settings.service_replicas,
            f"is a single rate-limit pod in {env}: a restart leaves only the local limit",
            f"set serviceReplicas to 2 or more in {where}",
        )
    ]


SPEC = SettingSpec(
    key=KEY,
    field="rate_limit",
    model=RateLimitSettings,
    defaults=RATE_LIMIT_DEFAULTS,
    scope="regional",
    validate=lambda c: validate_rate_limit(c.value, c.env, c.file),
    check="validate_rate_limit",
)
"""`meridian:rateLimit`, regional (stacks/config/registry.py)."""


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """One limit of the rate-limit service: `requests_per_minute` per distinct value of
    `dimension` (a descriptor key), within `route` (a routing-table id) or `tier`."""

    dimension: str
    requests_per_minute: int
    route: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class RateLimitTable:
    domain: str
    dimensions: dict[str, str | None]
    """Descriptor key -> the request header it is read from (None: the client address)."""
    dimension_clients: dict[str, tuple[str, ...]]
    """Descriptor key -> the app clients (identity_clients.json row ids) it is limited for, one
    limit per client; a key not here is limited per any value."""
    route_limits: tuple[Limit, ...]
    partner_header: str
    """The header the gateway fills with the verified client certificate's URI SAN."""
    partner_uri_prefix: str
    """A partner certificate's URI SAN is `<prefix><tier>:<partner id>`."""
    tier_limits: tuple[Limit, ...]
    local_burst_factor: int

    def for_route(self, route: str) -> tuple[Limit, ...]:
        return tuple(limit for limit in self.route_limits if limit.route == route)


@cache
def table_document() -> dict[str, Any]:
    return json.loads(TABLE_FILE.read_text(encoding="utf-8"))


def rate_limit_table_problems(
    document: dict[str, Any], routes: dict[str, Any], clients: dict[str, Any] | None = None
) -> list[ConfigProblem]:
    """Rows the rate-limit service could not enforce (see the module docstring)."""
    problems = _dimension_problems(document, clients or clients_document())
    route_ids = sorted(str(r.get("id")) for r in routes.get("routes", []))
    dimensions = sorted(str(d.get("key")) for d in document.get("dimensions", []))
    limited: set[tuple[Any, Any]] = {
        (r.get("id"), key)
        for r in routes.get("routes", [])
        if r.get("rateLimitPerMinute") is not None and not r.get("internal")
        for key in dimensions
    }
    for index, row in enumerate(document.get("routes", [])):
        where = f"{TABLE_KEY} routes[{index}]"
        if row.get("route") not in route_ids:
            problems.append(
                ConfigProblem(
                    f"{where}.route",
                    row.get("route"),
                    f"is not a route of the routing table ({ROUTES_KEY})",
                    f"use one of {route_ids}, or add the route to {ROUTES_KEY} first",
                    file=TABLE_KEY,
                )
            )
        if row.get("dimension") not in dimensions:
            problems.append(
                ConfigProblem(
                    f"{where}.dimension",
                    row.get("dimension"),
                    "is not a dimension of the table",
                    f"use one of {dimensions}",
                    file=TABLE_KEY,
                )
            )
        problems += _rate_problems(row, f"{where} ({row.get('route')})")
        pair = (row.get("route"), row.get("dimension"))
        if pair in limited:
            problems.append(
                ConfigProblem(
                    f"{where}.dimension",
                    row.get("dimension"),
                    f"limits route {row.get('route')} per {row.get('dimension')} a second time "
                    "(the routing table's rateLimitPerMinute, or an earlier row, already does; "
                    "the rate-limit service refuses a configuration with a key twice)",
                    "keep one number per route and dimension: change the routing table's "
                    f"rateLimitPerMinute ({ROUTES_KEY}) or drop this row",
                    file=TABLE_KEY,
                )
            )
        limited.add(pair)
    seen: set[str] = set()
    for index, row in enumerate(document.get("tiers", [])):
        where = f"{TABLE_KEY} tiers[{index}] ({row.get('tier')})"
        problems += _rate_problems(row, where)
        tier = row.get("tier")
        if not isinstance(tier, str) or not TIER_NAME.fullmatch(tier) or tier in seen:
            problems.append(
                ConfigProblem(
                    f"{where}.tier",
                    tier,
                    "is missing, repeated or not lower-case letters, digits and '-' (it is part "
                    "of the partner certificate's URI SAN)",
                    "give every tier a unique name such as 'standard'",
                    file=TABLE_KEY,
                )
            )
        else:
            seen.add(tier)
    for index, row in enumerate(routes.get("routes", [])):
        rate = row.get("rateLimitPerMinute")
        if rate is not None and (not isinstance(rate, int) or isinstance(rate, bool) or rate < 1):
            problems.append(
                ConfigProblem(
                    f"{ROUTES_KEY} routes[{index}] ({row.get('id')}).rateLimitPerMinute",
                    rate,
                    "is not a positive whole number of requests per minute",
                    "set the route's limit from the routing table, or null for none",
                    file=ROUTES_KEY,
                )
            )
    return problems


def _dimension_problems(document: dict[str, Any], clients: dict[str, Any]) -> list[ConfigProblem]:
    """A dimension limited per client needs a header to read the id from and at least one client
    of its kind (else it would limit nothing, silently)."""
    problems: list[ConfigProblem] = []
    for index, row in enumerate(document.get("dimensions", [])):
        if "clients" not in row:
            continue
        where = f"{TABLE_KEY} dimensions[{index}] ({row.get('key')})"
        kind = row["clients"]
        ids = [c.get("id") for c in clients.get("clients", []) if c.get("kind") == kind]
        if kind not in CLIENT_KINDS or not ids:
            problems.append(
                ConfigProblem(
                    f"{where}.clients",
                    kind,
                    f"names no API-key client of {CLIENTS_KEY} (a kind with no client limits "
                    "nothing, and a public client's id is shared by all its users)",
                    f"use one of {list(CLIENT_KINDS)} with at least one client, or remove "
                    "`clients` to limit per any value",
                    file=TABLE_KEY,
                )
            )
        if not row.get("header"):
            problems.append(
                ConfigProblem(
                    f"{where}.header",
                    row.get("header"),
                    "is missing: a limit per client reads the client id from a request header",
                    "set the header the gateway writes the token's client_id claim into",
                    file=TABLE_KEY,
                )
            )
    return problems


def _rate_problems(row: dict[str, Any], where: str) -> list[ConfigProblem]:
    rate = row.get("requestsPerMinute")
    if isinstance(rate, int) and not isinstance(rate, bool) and rate >= 1:
        return []
    return [
        ConfigProblem(
            f"{where}.requestsPerMinute",
            rate,
            "is not a rate: every limit needs a positive whole number of requests per minute",
            "set requestsPerMinute (the design's number), or remove the row",
            file=TABLE_KEY,
        )
    ]


def rate_limit_table(
    document: dict[str, Any] | None = None,
    routes: dict[str, Any] | None = None,
    clients: dict[str, Any] | None = None,
) -> RateLimitTable:
    """The typed table: the routing table's per-route numbers in every request dimension, the
    table's own route rows and the tiers. Call only on a table without problems (the config
    gate refuses one with problems before anything is planned)."""
    doc = document or table_document()
    table_routes: dict[str, Any] = (
        routes if routes is not None else json.loads(ROUTES_FILE.read_text(encoding="utf-8"))
    )
    dimensions = {str(d["key"]): d.get("header") for d in doc["dimensions"]}
    client_rows = (clients or clients_document())["clients"]
    dimension_clients = {
        str(d["key"]): tuple(c["id"] for c in client_rows if c["kind"] == d["clients"])
        for d in doc["dimensions"]
        if "clients" in d
    }
    limits: list[Limit] = []
    for row in table_routes["routes"]:
        rate = row.get("rateLimitPerMinute")
        if rate is None or row.get("internal"):
            continue
        limits += [Limit(key, rate, route=row["id"]) for key in dimensions]
    limits += [
        Limit(row["dimension"], row["requestsPerMinute"], route=row["route"])
        for row in doc.get("routes", [])
    ]
    tiers = tuple(
        Limit("partner", row["requestsPerMinute"], tier=row["tier"]) for row in doc.get("tiers", [])
    )
    return RateLimitTable(
        domain=doc["domain"],
        dimensions=dimensions,
        dimension_clients=dimension_clients,
        route_limits=tuple(limits),
        partner_header=doc["partnerHeader"],
        partner_uri_prefix=doc["partnerUriPrefix"],
        tier_limits=tiers,
        local_burst_factor=int(doc["localBurstFactor"]),
    )
