"""THE table of the seed's "Istio Service Mesh — Traffic Rules", one row per service, and the
Istio objects generated from it: a DestinationRule (ISTIO_MUTUAL, outlier detection, connection
pool, subsets) and a VirtualService (retries, timeout, traffic split or mirror) per row.

| seed column     | here                       | Istio field                                  |
|-----------------|----------------------------|----------------------------------------------|
| Retries         | `attempts`, `retry_on`     | VirtualService http[].retries                |
| Timeout         | `timeout_ms`               | VirtualService http[].timeout, perTryTimeout |
| Circuit Breaker | `consecutive_5xx`          | DestinationRule outlierDetection             |
| Traffic Split   | `split`, `canary_percent`  | route weights / mirror / consistentHash      |
| mTLS            | `mtls`                     | DestinationRule trafficPolicy.tls.mode       |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from components.common.paths import route_matches
from components.tenancy.services import BY_NAME, GATEWAY, DomainService


class Split(StrEnum):
    CANARY = "canary"
    """Weighted split: (100 - canary_percent) to stable, canary_percent to canary."""
    STABLE_ONLY = "stable-only"
    HASH = "hash"
    """Sticky sessions (consistent hash on the user id), no split."""
    SHADOW = "shadow"
    """All traffic to stable, mirrored (canary_percent %) to canary; mirror replies are dropped."""


STABLE = "stable"
CANARY = "canary"
VERSION_LABEL = "version"
STICKY_HEADER = "x-meridian-sub"
"""The JWT subject the gateway forwards after validating the token: the architecture's WebSocket
gateway keeps sessions sticky by "consistent hashing by user ID"."""
WEBSOCKET_IDLE_TIMEOUT = "90s"
"""A WebSocket sends a heartbeat every 30 s (architecture, WebSocket Gateway): a pooled upstream
connection with no stream on it for three heartbeats is closed. Envoy counts this idle time only
while no request or stream is active on the connection, so it never cuts an open WebSocket: a
silent one is ended by the edge's idle timeout or the gateway's stream idle timeout (Envoy's HTTP
connection manager; Meridian does not set it)."""

OUTLIER_INTERVAL = "10s"
OUTLIER_BASE_EJECTION = "30s"
OUTLIER_MAX_EJECTION_PERCENT = 50


@dataclass(frozen=True)
class TrafficRule:
    service: str
    attempts: int
    retry_on: str
    timeout_ms: int
    consecutive_5xx: int
    split: Split
    canary_percent: int
    mtls: str = "ISTIO_MUTUAL"
    max_connections: int = 1024
    """TCP connections per upstream host (connection pool); WebSockets need more."""
    idle_timeout: str | None = None
    """connectionPool.http.idleTimeout: how long an upstream connection may idle (Istio's
    default is 1h); long-lived WebSockets set it from their heartbeat."""
    seed: str = ""
    """The seed's row, verbatim, for the docs."""

    @property
    def target(self) -> DomainService:
        return BY_NAME[self.service]

    @property
    def host(self) -> str:
        s = self.target
        return f"{s.name}.{s.namespace}.svc.cluster.local"

    @property
    def per_try_timeout_ms(self) -> int:
        """Each try gets an equal share of the route's deadline."""
        return self.timeout_ms // (self.attempts + 1)


TRAFFIC_RULES: tuple[TrafficRule, ...] = (
    TrafficRule(
        "user",
        3,
        "5xx",
        2000,
        5,
        Split.CANARY,
        10,
        seed="3x on 5xx | 2s | 5 consec. 5xx | Canary 10%",
    ),
    TrafficRule(
        "payment",
        1,
        "5xx",
        5000,
        2,
        Split.STABLE_ONLY,
        0,
        seed="1x (idempotent) | 5s | 2 consec. 5xx | Stable only",
    ),
    TrafficRule(
        "search",
        3,
        "5xx",
        1000,
        10,
        Split.CANARY,
        20,
        seed="3x on 5xx | 1s | 10 consec. 5xx | Canary 20%",
    ),
    TrafficRule(
        "messaging",
        0,
        "",
        30000,
        5,
        Split.HASH,
        0,
        max_connections=100_000,
        idle_timeout=WEBSOCKET_IDLE_TIMEOUT,
        seed="0x (WS sticky) | 30s | 5 consec. 5xx | Hash-based",
    ),
    TrafficRule(
        "notification",
        3,
        "5xx",
        10000,
        5,
        Split.CANARY,
        5,
        seed="3x on 5xx | 10s | 5 consec. 5xx | Canary 5%",
    ),
    TrafficRule(
        "recommendation",
        2,
        "5xx",
        500,
        3,
        Split.SHADOW,
        100,
        seed="2x on 5xx | 500ms | 3 consec. 5xx | Shadow 100%",
    ),
)


def _duration(ms: int) -> str:
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def _subset(name: str) -> dict[str, Any]:
    return {"name": name, "labels": {VERSION_LABEL: name}}


def destination_rule_spec(rule: TrafficRule) -> dict[str, Any]:
    traffic_policy: dict[str, Any] = {
        "tls": {"mode": rule.mtls},
        "connectionPool": {
            "tcp": {"maxConnections": rule.max_connections, "connectTimeout": "1s"},
            "http": {"http1MaxPendingRequests": 1024, "http2MaxRequests": rule.max_connections},
        },
        "outlierDetection": {
            "consecutive5xxErrors": rule.consecutive_5xx,
            "interval": OUTLIER_INTERVAL,
            "baseEjectionTime": OUTLIER_BASE_EJECTION,
            "maxEjectionPercent": OUTLIER_MAX_EJECTION_PERCENT,
        },
    }
    if rule.idle_timeout is not None:
        traffic_policy["connectionPool"]["http"]["idleTimeout"] = rule.idle_timeout
    if rule.split is Split.HASH:
        traffic_policy["loadBalancer"] = {"consistentHash": {"httpHeaderName": STICKY_HEADER}}
    subsets = [_subset(STABLE)]
    if rule.split in (Split.CANARY, Split.SHADOW):
        subsets.append(_subset(CANARY))
    return {"host": rule.host, "trafficPolicy": traffic_policy, "subsets": subsets}


def virtual_service_spec(rule: TrafficRule) -> dict[str, Any]:
    route: dict[str, Any] = {"timeout": _duration(rule.timeout_ms)}
    if rule.attempts:
        route["retries"] = {
            "attempts": rule.attempts,
            "perTryTimeout": _duration(rule.per_try_timeout_ms),
            "retryOn": rule.retry_on,
        }
    else:
        route["retries"] = {"attempts": 0}
    destination = {"host": rule.host, "port": {"number": rule.target.port}}
    if rule.split is Split.CANARY:
        route["route"] = [
            {"destination": {**destination, "subset": STABLE}, "weight": 100 - rule.canary_percent},
            {"destination": {**destination, "subset": CANARY}, "weight": rule.canary_percent},
        ]
    else:
        route["route"] = [{"destination": {**destination, "subset": STABLE}, "weight": 100}]
    if rule.split is Split.SHADOW:
        route["mirror"] = {**destination, "subset": CANARY}
        route["mirrorPercentage"] = {"value": float(rule.canary_percent)}
    return {"hosts": [rule.host], "gateways": ["mesh"], "http": [route]}


def check_table() -> None:
    seen: set[str] = set()
    for rule in TRAFFIC_RULES:
        if rule.service not in BY_NAME:
            raise ValueError(f"traffic rule for unknown service {rule.service!r}")
        if rule.service in seen:
            raise ValueError(f"two traffic rules for {rule.service!r}")
        seen.add(rule.service)
        if not 0 <= rule.canary_percent <= 100:
            raise ValueError(f"{rule.service}: canary_percent must be 0-100")
        if rule.attempts and not rule.retry_on:
            raise ValueError(f"{rule.service}: retries need retry_on")


check_table()


@dataclass(frozen=True)
class EdgeRoute:
    """One public route of the routing table, served through the ingress gateway: the paths the
    edge forwards, the tenant service behind them and the route's deadline.

    Example::

        EdgeRoute("payments", ("/api/v2/payments",), "payment", 5000)
    """

    id: str
    paths: tuple[str, ...]
    service: str
    """A row of the tenancy table (components/tenancy/services.py) that admits GATEWAY."""
    timeout_ms: int
    websocket: bool = False
    """A WebSocket upgrade (no route timeout: the connection lives past it)."""

    def __post_init__(self) -> None:
        if self.service not in BY_NAME:
            raise ValueError(f"route {self.id}: no tenant service {self.service!r}")
        if GATEWAY not in BY_NAME[self.service].callers:
            raise ValueError(
                f"route {self.id}: {self.service} does not admit the ingress gateway as a caller"
            )
        if self.timeout_ms <= 0 or not self.paths:
            raise ValueError(f"route {self.id}: needs paths and a positive timeout")

    @property
    def target(self) -> DomainService:
        return BY_NAME[self.service]

    @property
    def resource_name(self) -> str:
        return f"edge-{self.id}"


def edge_virtual_service_spec(route: EdgeRoute, gateway: str) -> dict[str, Any]:
    """The route bound to the edge Gateway (`<namespace>/<name>`): the route's paths and what is
    below them (never a longer name: components/common/paths.py) to the tenant's stable subset
    on its port, with the route's deadline. Any Host: the edge is the only client the Gateway
    admits, and it sends the public hostname (Cloudflare) or the origin name (CloudFront); Istio
    merges the gateway's VirtualServices for the same host."""
    target = route.target
    destination = {
        "host": f"{target.name}.{target.namespace}.svc.cluster.local",
        "port": {"number": target.port},
    }
    http: dict[str, Any] = {
        "name": route.id,
        "match": route_matches(route.paths),
        "route": [{"destination": destination, "weight": 100}],
    }
    rule = next((r for r in TRAFFIC_RULES if r.service == route.service), None)
    if rule is not None:
        # The service's traffic rule decides the split (canary weights, stable only, shadow):
        # public traffic is split exactly as in-mesh traffic is.
        mesh_route = virtual_service_spec(rule)["http"][0]
        http["route"] = mesh_route["route"]
        for key in ("mirror", "mirrorPercentage"):
            if key in mesh_route:
                http[key] = mesh_route[key]
    if route.websocket:
        # Envoy's route timeout would cut the upgraded stream; a silent one is ended by the
        # edge's idle timeout or the gateway's stream idle timeout instead.
        http["timeout"] = "0s"
    else:
        http["timeout"] = _duration(route.timeout_ms)
    return {"hosts": ["*"], "gateways": [gateway], "http": [http]}
