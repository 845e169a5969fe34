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


BRANDING = "aws:cognito/managedLoginBranding:ManagedLoginBranding"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
USER_SIGN_IN_FLOWS = {
    "ALLOW_USER_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
}
"""ExplicitAuthFlows values that sign a user in (Cognito API reference, ExplicitAuthFlowsType);
only ALLOW_REFRESH_TOKEN_AUTH does not."""


def _steps(env: str, preview: bool, kind: str) -> list[dict[str, Any]]:
    plan = planned(env, preview)[f"{env}-global"]
    return [s for s in plan["steps"] if s.get("newState", {}).get("type") == kind]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_public_client_has_one_managed_login_style_on_the_pool(
    env: str, preview: bool
) -> None:
    """Managed login (domain version 2) serves sign-in pages only to clients with a style."""
    (domain,) = _states(env, preview, DOMAIN)
    assert domain["inputs"]["managedLoginVersion"] == 2
    (pool,) = _steps(env, preview, POOL)
    clients = {s["newState"]["inputs"]["name"]: s for s in _steps(env, preview, CLIENT)}
    brandings = [s["newState"] for s in _steps(env, preview, BRANDING)]
    public = {row["id"] for row in CLIENTS["clients"] if row["kind"] == "public"}
    assert public and len(brandings) == len(public)
    styled: list[str] = []
    for branding in brandings:
        deps = branding["propertyDependencies"]
        (client_urn,) = deps["clientId"]
        (name,) = [n for n, s in clients.items() if s["urn"] == client_urn]
        styled.append(name)
        assert deps["userPoolId"] == [pool["urn"]]
        assert clients[name]["newState"]["inputs"]["userPoolId"] == branding["inputs"].get(
            "userPoolId"
        )
        assert branding["inputs"]["useCognitoProvidedValues"] is True
        assert branding["parent"] == pool["newState"]["parent"]
    assert sorted(styled) == sorted(public)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_machine_clients_can_sign_no_user_in(preview: bool) -> None:
    """An empty ExplicitAuthFlows may reach Cognito as no value, which it reads as SRP, custom
    and refresh: the client-credentials clients name a flow list with no user sign-in in it."""
    clients = {c["inputs"]["name"]: c["inputs"] for c in _states("prod", preview, CLIENT)}
    machines = [row["id"] for row in CLIENTS["clients"] if row["kind"] == "confidential"]
    assert machines
    for client_id in machines:
        flows = clients[client_id]["explicitAuthFlows"]
        assert flows == ["ALLOW_REFRESH_TOKEN_AUTH"], flows
        assert not USER_SIGN_IN_FLOWS & set(flows)
        assert clients[client_id]["allowedOauthFlows"] == ["client_credentials"]
