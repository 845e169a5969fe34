"""The public API routes the edge knows: one typed row per route of the seed's routing table.

Both edges derive their per-route behaviour from these rows (rate limits, WebSocket affinity,
internal routes blocked at the edge), so the table in `stacks/data/api_routes.json` is the only
place a limit is written down. The expressions below are the request matchers each provider
evaluates.

Example::

    payments = ApiRoute("payments", "POST", ("/api/v2/payments",), "payment-service", 20)
    cloudflare_match(payments)
    # '(http.request.method eq "POST" and starts_with(http.request.uri.path, "/api/v2/payments"))'
"""

from __future__ import annotations

from dataclasses import dataclass

WEBSOCKET = "WS"
"""The routing table's method for a WebSocket upgrade (an HTTP GET with `Upgrade: websocket`)."""


@dataclass(frozen=True)
class ApiRoute:
    """One row of the routing table."""

    id: str
    method: str
    paths: tuple[str, ...]
    service: str
    rate_limit_per_minute: int | None = None
    sticky: bool = False
    """Sessions stay on one origin (WebSocket)."""
    internal: bool = False
    """Never served through the edge (health checks and metrics go to origins directly)."""

    def __post_init__(self) -> None:
        if not self.paths or any(not p.startswith("/") for p in self.paths):
            raise ValueError(f"route {self.id}: paths must be absolute: {self.paths}")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError(f"route {self.id}: rate limit must be positive")

    @property
    def http_method(self) -> str:
        """The HTTP method on the wire (a WebSocket upgrade is a GET)."""
        return "GET" if self.method == WEBSOCKET else self.method


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cloudflare_path_match(paths: tuple[str, ...]) -> str:
    """A Cloudflare Rules language matcher for requests whose path starts with any of `paths`."""
    parts = [f"starts_with(http.request.uri.path, {_quote(p)})" for p in paths]
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


def cloudflare_match(route: ApiRoute) -> str:
    """A Cloudflare Rules language expression matching the route's requests."""
    method = _quote(route.http_method)
    return f"(http.request.method eq {method} and {cloudflare_path_match(route.paths)})"


def rate_limited(routes: tuple[ApiRoute, ...] | list[ApiRoute]) -> list[ApiRoute]:
    """The routes with a rate limit, in table order."""
    return [r for r in routes if r.rate_limit_per_minute is not None and not r.internal]
