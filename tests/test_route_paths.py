"""A route's paths mean the same in its VirtualService and its scope rule: the path itself and
what is below it, never a longer name (literals, Istio's matching as its security reference
documents it: exact, `prefix*`)."""

from __future__ import annotations

import pytest

from components.common.paths import authorization_paths, route_matches
from policies.zero_trust_gateway_routes import match_covered


def test_a_resource_path_routes_itself_and_below() -> None:
    assert route_matches(("/api/v2/orders",)) == [
        {"uri": {"exact": "/api/v2/orders"}},
        {"uri": {"prefix": "/api/v2/orders/"}},
    ]
    assert authorization_paths(("/api/v2/orders",)) == ["/api/v2/orders", "/api/v2/orders/*"]


def test_a_trailing_slash_routes_below_only() -> None:
    assert route_matches(("/api/v2/users/",)) == [{"uri": {"prefix": "/api/v2/users/"}}]
    assert authorization_paths(("/api/v2/users/",)) == ["/api/v2/users/*"]


@pytest.mark.parametrize(
    "paths", [("/api/v2/orders",), ("/api/v2/users/",), ("/graphql", "/ws/v2/chat")]
)
def test_every_routed_match_is_inside_the_authorization_paths(paths: tuple[str, ...]) -> None:
    patterns = authorization_paths(paths)
    assert all(match_covered(m, patterns) for m in route_matches(paths))


def test_a_longer_name_is_neither_routed_nor_needed() -> None:
    patterns = authorization_paths(("/api/v2/orders",))
    assert not match_covered({"uri": {"prefix": "/api/v2/orders"}}, patterns)
    assert not match_covered({"uri": {"exact": "/api/v2/orders-x"}}, patterns)
    assert match_covered({"uri": {"exact": "/api/v2/orders/42"}}, patterns)


@pytest.mark.parametrize("path", ["api/v2/orders", "/api/*"])
def test_a_path_istio_would_read_otherwise_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="must start with '/' and hold no"):
        route_matches((path,))
