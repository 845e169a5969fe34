"""One meaning for a route's paths, in Istio's routing and in its authorization.

A route of the routing table names paths such as `/api/v2/orders` (the resource and everything
under it) or `/api/v2/users/` (a trailing slash: everything under it). A VirtualService's raw
`uri.prefix: /api/v2/orders` would also route `/api/v2/orders-x` and `/api/v2/ordersX` to the
backend, where the route's scope check (an AuthorizationPolicy on `/api/v2/orders` and
`/api/v2/orders/*`) does not apply. Both sides are therefore generated here from the same
rule, so the set of paths a route routes is exactly the set its authorization covers:

==================  ===================================================  ===================
route path          VirtualService `http[].match[].uri`                 AuthorizationPolicy
==================  ===================================================  ===================
`/api/v2/orders`    `exact: /api/v2/orders`, `prefix: /api/v2/orders/`   `/api/v2/orders`,
                                                                         `/api/v2/orders/*`
`/api/v2/users/`    `prefix: /api/v2/users/`                             `/api/v2/users/*`
==================  ===================================================  ===================

Istio's `exact` URI match compares the path without its query string (Envoy's `path`), and an
AuthorizationPolicy's `paths` match the path without the query (exact, `prefix*`, `*suffix` or
`*`: Istio's security reference, `Operation.paths`), so `/api/v2/orders?x=1` is routed and
checked alike.

Example::

    route_matches(("/api/v2/orders",))
    # [{"uri": {"exact": "/api/v2/orders"}}, {"uri": {"prefix": "/api/v2/orders/"}}]
    authorization_paths(("/api/v2/orders",))  # ["/api/v2/orders", "/api/v2/orders/*"]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _check(path: str) -> None:
    if not path.startswith("/") or "*" in path:
        raise ValueError(f"route path {path!r}: must start with '/' and hold no '*'")


def route_matches(paths: Sequence[str]) -> list[dict[str, Any]]:
    """The VirtualService `http[].match` entries routing a route's paths (see the module
    docstring): the path itself exactly and everything below it, never a longer name."""
    out: list[dict[str, Any]] = []
    for path in paths:
        _check(path)
        if path.endswith("/"):
            out.append({"uri": {"prefix": path}})
        else:
            out.extend([{"uri": {"exact": path}}, {"uri": {"prefix": f"{path}/"}}])
    return out


def authorization_paths(paths: Sequence[str]) -> list[str]:
    """The AuthorizationPolicy `paths` covering exactly what `route_matches` routes."""
    out: list[str] = []
    for path in paths:
        _check(path)
        out.extend([f"{path}*"] if path.endswith("/") else [path, f"{path}/*"])
    return out
