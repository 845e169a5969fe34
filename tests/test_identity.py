"""The environment's user directory as planned (global stack, up and preview), and the identity
setting's bad input: one clean problem naming the key, the value and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from pulumi.runtime import proto

from meridian_ops.plan.aws_mocks import MotoValidator
from meridian_ops.plan.engine import run_stack
from meridian_ops.plan.policy_eval import (
    Analyzer,
    ProviderIndex,
    load_policy_config,
    stack_resource,
)
from stacks.config.source import PulumiConfigSource, read_stack_file
from stacks.program import main
from tests.config_projects import add_config, copy_project
from tests.plans import planned
from tests.test_config_bad_input import gate_text, problem_lines

DATA = Path(__file__).resolve().parents[1] / "stacks" / "data"
CLIENTS = json.loads((DATA / "identity_clients.json").read_text())
ROUTES = json.loads((DATA / "api_routes.json").read_text())["routes"]
POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
SERVER = "aws:cognito/resourceServer:ResourceServer"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
IDP = "aws:cognito/identityProvider:IdentityProvider"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The engine's marker of a secret value (pulumi.runtime.rpc._special_sig_key)."""

PASSWORD_FLOOR = 14
"""The platform's minimum password length (NIST SP 800-63B allows 8; CIS and Meridian ask for 14),
with upper and lower case, digits and symbols, and temporary passwords valid 3 days (Cognito's
default is 7)."""
TEMPORARY_PASSWORD_DAYS = 3
PLUS_ENVIRONMENTS = ("staging", "prod")
"""Environments on Cognito's PLUS tier, which has threat protection; dev runs ESSENTIALS, which
has none (Cognito developer guide, "User pool feature plans")."""
SIGN_IN_REGION = "us-east-1"
"""The primary region, where the pool and its hosted domain live."""


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


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_password_policy_is_strong(env: str, preview: bool) -> None:
    (pool,) = _states(env, preview, POOL)
    policy = pool["inputs"]["passwordPolicy"]
    assert policy["minimumLength"] >= PASSWORD_FLOOR
    for character_class in ("requireLowercase", "requireUppercase", "requireNumbers"):
        assert policy[character_class] is True, character_class
    assert policy["requireSymbols"] is True
    assert policy["temporaryPasswordValidityDays"] == TEMPORARY_PASSWORD_DAYS


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_threat_protection_is_enforced_where_the_tier_has_it(env: str, preview: bool) -> None:
    """PLUS pools (staging, prod) block risky sign-ins (`user_pool_add_ons.advanced_security_mode`
    ENFORCED, not AUDIT); an ESSENTIALS pool (dev) cannot have threat protection, so the input is
    absent there rather than refused by Cognito."""
    (pool,) = _states(env, preview, POOL)
    inputs = pool["inputs"]
    if env in PLUS_ENVIRONMENTS:
        assert inputs["userPoolTier"] == "PLUS"
        assert inputs["userPoolAddOns"] == {"advancedSecurityMode": "ENFORCED"}
    else:
        assert inputs["userPoolTier"] == "ESSENTIALS"
        assert "userPoolAddOns" not in inputs


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_one_hosted_domain_per_environment_serves_the_pool_and_its_clients(
    env: str, preview: bool
) -> None:
    """The hosted sign-in domain `meridian-<env>` (managed login, version 2) exists once, on the
    environment's pool, the pool every client belongs to; passkeys are bound to that host."""
    plans = planned(env, preview)
    domains = [
        s["newState"]
        for plan in plans.values()
        for s in plan["steps"]
        if s.get("newState", {}).get("type") == DOMAIN
    ]
    assert len(domains) == 1, [d["urn"] for d in domains]
    (domain,) = domains
    assert domain["inputs"]["domain"] == f"meridian-{env}"
    assert "certificateArn" not in domain["inputs"]  # a Cognito prefix domain, no certificate
    assert domain["inputs"]["managedLoginVersion"] == 2
    (pool,) = _states(env, preview, POOL)
    host = f"meridian-{env}.auth.{SIGN_IN_REGION}.amazoncognito.com"
    assert pool["inputs"]["webAuthnConfiguration"]["relyingPartyId"] == host
    clients = _states(env, preview, CLIENT)
    assert {c["inputs"]["name"] for c in clients} == {row["id"] for row in CLIENTS["clients"]}
    if not preview:  # the pool's id is known once created
        ids = {domain["inputs"]["userPoolId"], *(c["inputs"]["userPoolId"] for c in clients)}
        assert ids == {pool["id"]}


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


FEDERATION = """meridian:identity:
  federation:
    - {name: Corp, kind: SAML, metadataUrl: https://idp.corp.example/saml/metadata}
    - name: Okta
      kind: OIDC
      issuer: https://corp.okta.example
      clientId: cognito-dev
      clientSecret: {secure: v1:c2VjcmV0}"""
"""Two enterprise providers as an operator adds them to dev's manifest (the client secret stored
encrypted, as `pulumi config set --secret --path` writes it)."""


@pytest.fixture(scope="module", params=[False, True], ids=["up", "preview"])
def federated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, Any]]]:
    """dev's global stack planned with FEDERATION added: the states by type."""
    project = copy_project(tmp_path_factory.mktemp("federated") / "dev", "dev")
    add_config(project, "dev-global", FEDERATION)
    config = read_stack_file(project / "Pulumi.dev-global.yaml")
    MotoValidator.reset()  # a fresh account: other tests in this process created dev's objects
    run = run_stack(
        "dev-global", config, lambda: main(PulumiConfigSource(project)), preview=request.param
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for step in run.steps:
        state = step.to_preview_json()["newState"]
        out.setdefault(state["type"], []).append(state)
    return out


def test_federation_plans_each_provider_with_its_details(
    federated: dict[str, list[dict[str, Any]]],
) -> None:
    providers = {p["inputs"]["providerName"]: p["inputs"] for p in federated[IDP]}
    assert set(providers) == {"Corp", "Okta"}
    saml, oidc = providers["Corp"], providers["Okta"]
    assert saml["providerType"] == "SAML"
    assert saml["providerDetails"] == {"MetadataURL": "https://idp.corp.example/saml/metadata"}
    assert oidc["providerType"] == "OIDC"
    details = oidc["providerDetails"]
    assert details[SECRET_SIG]  # the whole details map is a secret: it holds the client secret
    clear = details["value"]
    assert clear["oidc_issuer"] == "https://corp.okta.example"
    assert clear["client_id"] == "cognito-dev"
    assert clear["client_secret"]
    assert set(clear["authorize_scopes"].split()) >= {"openid", "email"}
    assert saml["attributeMapping"]["email"] and oidc["attributeMapping"]["email"]


def test_public_clients_offer_the_providers_and_machines_do_not(
    federated: dict[str, list[dict[str, Any]]],
) -> None:
    clients = {c["inputs"]["name"]: c["inputs"] for c in federated[CLIENT]}
    for row in CLIENTS["clients"]:
        offered = clients[row["id"]]["supportedIdentityProviders"]
        if row["kind"] == "public":
            assert sorted(offered) == ["COGNITO", "Corp", "Okta"], row["id"]
        else:
            assert offered == ["COGNITO"], row["id"]


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
def test_without_federation_settings_there_is_no_provider(env: str, preview: bool) -> None:
    assert _states(env, preview, IDP) == []
    for client in _states(env, preview, CLIENT):
        assert client["inputs"]["supportedIdentityProviders"] == ["COGNITO"]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_public_clients_get_only_the_code_grant_and_no_secret(preview: bool) -> None:
    """What stands for the design's "OAuth 2.0 + PKCE — public clients" and "Short-lived code
    (10min)": Cognito has no switch that requires PKCE of a client and fixes the code's lifetime
    (docs/architecture.md, deviations). Public clients get the authorization code grant only, no
    secret, no implicit grant and no plain-password sign-in, so a code is the only way to their
    tokens and PKCE is what the apps send with it."""
    clients = {c["inputs"]["name"]: c["inputs"] for c in _states("prod", preview, CLIENT)}
    for row in CLIENTS["clients"]:
        if row["kind"] != "public":
            continue
        got = clients[row["id"]]
        assert got["allowedOauthFlows"] == ["code"]
        assert got["allowedOauthFlowsUserPoolClient"] is True
        assert got["generateSecret"] is False
        assert "ALLOW_USER_PASSWORD_AUTH" not in got["explicitAuthFlows"]
        assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" not in got["explicitAuthFlows"]


@pytest.mark.parametrize(
    ("entry", "key", "said"),
    [
        (
            "{name: Okta, kind: OIDC, clientId: c, clientSecret: {secure: v1:eA==}}",
            "meridian:identity.federation[0].issuer",
            "is missing for OIDC provider Okta",
        ),
        (
            "{name: Corp, kind: SAML}",
            "meridian:identity.federation[0].metadataUrl",
            "is missing for SAML provider Corp",
        ),
        (
            "{name: Okta, kind: OIDC, issuer: https://o.example, clientId: c, clientSecret: s}",
            "meridian:identity.federation[0].clientSecret",
            "is stored in plain text",
        ),
        (
            "{name: Okta, kind: OIDC, issuer: https://o.example, clientId: c}",
            "meridian:identity.federation[0].clientSecret",
            "is missing for OIDC provider Okta",
        ),
        (
            "{name: Corp, kind: SAML, metadataUrl: http://idp.example/metadata}",
            "meridian:identity.federation[0].metadataUrl",
            "is not an HTTPS URL",
        ),
    ],
    ids=["oidc-no-issuer", "saml-no-metadata", "oidc-plain-secret", "oidc-no-secret", "saml-http"],
)
def test_bad_federation_input_is_one_clean_problem(
    tmp_path: Path, entry: str, key: str, said: str
) -> None:
    project = copy_project(tmp_path / "dev", "dev")
    add_config(project, "dev-global", f"meridian:identity:\n  federation:\n    - {entry}")
    lines = problem_lines(gate_text(project, "dev"))
    assert len(lines) == 1, lines
    assert key in lines[0] and said in lines[0] and "Fix: " in lines[0], lines[0]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_the_claim_header_policy_holds_on_the_plan_and_fails_without_the_strip_filter(
    preview: bool,
) -> None:
    """`istio-claim-headers-stripped` over dev's planned regional stack: silent as planned, and a
    violation once the strip-claim-headers EnvoyFilter is taken out of the graph."""
    plans = planned("dev", preview)
    (regional,) = [p for n, p in plans.items() if not n.endswith(("-global", "-edge"))]
    analyzer = Analyzer(load_policy_config("dev"))

    def violations(states: list[dict[str, Any]]) -> list[str]:
        providers = ProviderIndex(states)
        request = proto.AnalyzeStackRequest(
            resources=[stack_resource(s, providers) for s in states]
        )
        answer = analyzer.analyze_stack(request)
        return [
            d.get("message", "")
            for d in (json_format.MessageToDict(x) for x in answer.diagnostics)
            if d.get("policyName") == "istio-claim-headers-stripped"
        ]

    states = [s["newState"] for s in regional["steps"] if "newState" in s]
    assert violations(states) == []
    without = [
        s
        for s in states
        if ((s.get("inputs") or {}).get("metadata") or {}).get("name") != "strip-claim-headers"
    ]
    assert len(without) == len(states) - 1
    (found,) = violations(without)
    assert "x-meridian-sub" in found


CUSTOM_DOMAIN = "auth.dev.meridian.example.com"
CUSTOM_CERTIFICATE = (
    "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-1111-2222-3333-444455556666"
)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_custom_sign_in_domain_has_its_certificate_and_the_passkeys(
    tmp_path: Path, preview: bool
) -> None:
    project = copy_project(tmp_path / "dev", "dev")
    add_config(
        project,
        "dev-global",
        f"meridian:identity:\n  domainPrefix: null\n  customDomain: {CUSTOM_DOMAIN}\n"
        f"  customDomainCertificateArn: {CUSTOM_CERTIFICATE}",
    )
    config = read_stack_file(project / "Pulumi.dev-global.yaml")
    MotoValidator.reset()
    run = run_stack(
        "dev-global", config, lambda: main(PulumiConfigSource(project)), preview=preview
    )
    states = [step.to_preview_json()["newState"] for step in run.steps]
    (domain,) = [s["inputs"] for s in states if s["type"] == DOMAIN]
    assert domain["domain"] == CUSTOM_DOMAIN
    assert domain["certificateArn"] == CUSTOM_CERTIFICATE
    assert domain["managedLoginVersion"] == 2
    (pool,) = [s["inputs"] for s in states if s["type"] == POOL]
    assert pool["webAuthnConfiguration"]["relyingPartyId"] == CUSTOM_DOMAIN


def test_a_custom_domain_next_to_the_default_prefix_says_how_to_drop_the_prefix(
    tmp_path: Path,
) -> None:
    project = copy_project(tmp_path / "dev", "dev")
    add_config(
        project,
        "dev-global",
        f"meridian:identity:\n  customDomain: {CUSTOM_DOMAIN}\n"
        f"  customDomainCertificateArn: {CUSTOM_CERTIFICATE}",
    )
    lines = problem_lines(gate_text(project, "dev"))
    assert len(lines) == 1, lines
    assert "meridian:identity.domainPrefix = 'meridian-dev'" in lines[0], lines[0]
    assert "Fix: set domainPrefix: null next to customDomain" in lines[0], lines[0]


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
