"""The environment's user directory as planned (global stack, up and preview), and the identity
setting's bad input: one clean problem naming the key, the value and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.config_projects import add_config, copy_project
from tests.plans import planned
from tests.test_config_bad_input import gate_text, problem_lines

DATA = Path(__file__).resolve().parents[1] / "stacks" / "data"
CLIENTS = json.loads((DATA / "identity_clients.json").read_text())
ROUTES = json.loads((DATA / "api_routes.json").read_text())["routes"]
POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
SERVER = "aws:cognito/resourceServer:ResourceServer"


def _states(env: str, preview: bool, kind: str) -> list[dict[str, Any]]:
    plan = planned(env, preview)[f"{env}-global"]
    return [s["newState"] for s in plan["steps"] if s.get("newState", {}).get("type") == kind]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_pool_requires_mfa_and_resists_deletion(env: str, preview: bool) -> None:
    (pool,) = _states(env, preview, POOL)
    inputs = pool["inputs"]
    assert inputs["mfaConfiguration"] == "ON"
    assert inputs["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert "smsConfiguration" not in inputs  # SMS only by setting
    assert inputs["deletionProtection"] == "ACTIVE"
    assert pool.get("protect") is True
    assert inputs["signInPolicy"]["allowedFirstAuthFactors"] == ["PASSWORD", "WEB_AUTHN"]
    assert inputs["userPoolTier"] == ("ESSENTIALS" if env == "dev" else "PLUS")
    assert ("userPoolAddOns" in inputs) == (env == "prod")


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_clients_follow_the_table_with_design_lifetimes(preview: bool) -> None:
    clients = {c["inputs"]["name"]: c["inputs"] for c in _states("prod", preview, CLIENT)}
    assert set(clients) == {row["id"] for row in CLIENTS["clients"]}
    for row in CLIENTS["clients"]:
        got = clients[row["id"]]
        # architecture section 04: access token 15 min, refresh token 7 days
        assert (got["accessTokenValidity"], got["refreshTokenValidity"]) == (15, 7 * 24 * 60)
        assert got["tokenValidityUnits"]["accessToken"] == "minutes"
        assert got["enableTokenRevocation"] is True
        assert got["preventUserExistenceErrors"] == "ENABLED"
        scopes = {f"{CLIENTS['resourceServer']}/{s}" for s in row["scopes"]}
        assert scopes <= set(got["allowedOauthScopes"])
        if row["kind"] == "public":
            assert got["generateSecret"] is False
            assert got["allowedOauthFlows"] == ["code"]
            assert got["refreshTokenRotation"]["feature"] == "ENABLED"
            assert got["callbackUrls"]
        else:
            assert got["generateSecret"] is True
            assert got["allowedOauthFlows"] == ["client_credentials"]


def test_the_resource_server_has_every_route_scope() -> None:
    (server,) = _states("dev", False, SERVER)
    names = {s["scopeName"] for s in server["inputs"]["scopes"]}
    assert names == {s for r in ROUTES for s in r.get("scopes", [])}


@pytest.mark.parametrize(
    ("yaml", "key", "said"),
    [
        (
            "meridian:identity:\n  clients:\n    web:\n      generateSecret: true",
            "meridian:identity.clients.web.generateSecret",
            "gives a public client a secret",
        ),
        (
            "meridian:identity:\n  accessTokenMinutes: 2",
            "meridian:identity.accessTokenMinutes",
            "is outside Cognito's bounds (5 to 1440 minutes)",
        ),
        (
            "meridian:identity:\n  refreshTokenMinutes: 30",
            "meridian:identity.refreshTokenMinutes",
            "is outside Cognito's bounds",
        ),
        (
            "meridian:identity:\n  clients:\n    kiosk:\n      callbackUrls: [https://k/cb]",
            "meridian:identity.clients.kiosk",
            "is not a client of the clients table",
        ),
    ],
    ids=["public-client-secret", "access-too-short", "refresh-too-short", "unknown-client"],
)
def test_bad_identity_input_is_one_clean_problem(
    tmp_path: Path, yaml: str, key: str, said: str
) -> None:
    project = copy_project(tmp_path / "dev", "dev")
    add_config(project, "dev-global", yaml)
    lines = problem_lines(gate_text(project, "dev"))
    assert len(lines) == 1, lines
    assert key in lines[0] and said in lines[0] and "Fix: " in lines[0], lines[0]


COGNITO_DIRECTORY = (POOL, CLIENT, SERVER, "aws:cognito/userPoolDomain:UserPoolDomain")


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_the_pool_exists_once_in_the_global_stack_and_nowhere_else(preview: bool) -> None:
    """Prod's one user directory: the pool and its domain once, its resource server once and
    one client per row of the clients table, all in prod-global; no regional or edge stack has
    any of them."""
    plans = planned("prod", preview)
    counts = {
        name: [
            sum(1 for s in plan["steps"] if s.get("newState", {}).get("type") == kind)
            for kind in COGNITO_DIRECTORY
        ]
        for name, plan in plans.items()
    }
    assert counts.pop("prod-global") == [1, len(CLIENTS["clients"]), 1, 1]
    assert len(counts) == 11  # ten regional stacks and the edge
    assert {name: c for name, c in counts.items() if any(c)} == {}
