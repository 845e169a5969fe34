"""The routing table's backends: the config gate refuses a route the ingress cannot serve."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stacks import settings as settings_module
from stacks.config.errors import ConfigError
from stacks.config.gate import check_environment
from stacks.ingress_routes import mesh_routes, route_table_problems, routes_document


def _with(index: int, **changes: object) -> dict[str, Any]:
    document = copy.deepcopy(routes_document())
    document["routes"][index].update(changes)
    return document


def test_the_shipped_table_is_clean_and_every_public_backend_is_served() -> None:
    assert route_table_problems(routes_document()) == []
    assert {r.id for r in mesh_routes()} == {"users", "orders", "search", "chat", "payments"}


def test_a_route_without_a_backend_is_refused_with_key_value_and_fix() -> None:
    problems = route_table_problems(_with(0, backend=None))
    assert len(problems) == 1
    line = problems[0].render()
    assert "routes[0] (users).backend = None" in line
    assert "names no backend service" in line and "Fix: set backend to the tenant service" in line


def test_a_route_naming_an_unknown_service_is_refused() -> None:
    line = route_table_problems(_with(4, backend="payments-v2"))[0].render()
    assert "routes[4] (payments).backend = 'payments-v2'" in line
    assert "is not a service of the tenancy table" in line and "use one of [" in line


def test_a_route_to_a_service_the_gateway_may_not_call_is_refused() -> None:
    line = route_table_problems(_with(0, backend="config"))[0].render()
    assert "does not admit the ingress gateway" in line


def test_the_gate_refuses_a_bad_table_before_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "routes_document", lambda: _with(1, backend=None))
    with pytest.raises(ConfigError) as info:
        check_environment("dev")
    assert "routes[1] (orders).backend = None: names no backend service" in str(info.value)


@pytest.mark.parametrize("path", ["api/v2/users/", "/api/v2/users/*"])
def test_a_path_that_is_not_literal_is_refused(path: str) -> None:
    (problem,) = route_table_problems(_with(0, paths=[path]))
    line = problem.render()
    assert f"routes[0] (users).paths = {path!r}: is not a literal request path" in line
    assert 'Fix: start it with "/" and use no "*"' in line
