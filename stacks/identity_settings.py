"""Settings of the identity layer: the environment's Cognito user pool (global stack) and its app
clients, with per-environment defaults and the checks beyond their types; and the loader of the
clients table (stacks/data/identity_clients.json) and the routes' scopes.

Key (environment-wide: the global stack file sets it, every stack reads it):

```yaml
meridian:identity:
  tier: PLUS                   # ESSENTIALS | PLUS (PLUS: threat protection ENFORCED)
  accessTokenMinutes: 15       # access and ID tokens: 5 min to 1 day (Cognito)
  idTokenMinutes: 15
  refreshTokenMinutes: 10080   # 60 min to 10 years (Cognito); 7 days by design
  smsMfa: false                # SMS as a second MFA factor next to TOTP (an SNS role)
  domainPrefix: meridian-prod  # the hosted sign-in domain <prefix>.auth.<region>.amazoncognito.com
  customDomain: null           # or auth.example.com, with customDomainCertificateArn (us-east-1)
  clients:                     # per row of the clients table: callbacks, sign-out URLs
    web: {callbackUrls: [https://www.meridian.example.com/auth/callback]}
  federation:                  # enterprise SSO (optional)
    - {name: Corp, kind: SAML, metadataUrl: https://idp.example.com/metadata}
    - name: Okta
      kind: OIDC
      issuer: https://x.okta.com
      clientId: abc
      clientSecret:            # a Pulumi secret, never plain text:
        secure: v1:...         #   pulumi config set --secret --path \
                               #   'meridian:identity.federation[1].clientSecret' <secret>
```

Federation: a SAML provider needs `metadataUrl`, an OIDC provider `issuer`, `clientId` and
`clientSecret` (a secret); URLs are HTTPS. Public clients list every provider next to COGNITO.

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from stacks.config.errors import ConfigProblem
from stacks.config.source import is_secure
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel

KEY = "identity"
DATA = Path(__file__).parent / "data"
CLIENTS_FILE = DATA / "identity_clients.json"
ROUTES_FILE = DATA / "api_routes.json"

ACCESS_BOUNDS = (5, 24 * 60)
"""Access and ID token lifetimes Cognito accepts, minutes: five minutes to one day (Cognito API
reference, TokenValidityUnitsType)."""
REFRESH_BOUNDS = (60, 10 * 365 * 24 * 60)
"""Refresh token lifetimes Cognito accepts, minutes: 60 minutes to 10 years (same page)."""


class ClientSettings(MeridianModel):
    callback_urls: list[str] = Field(alias="callbackUrls", default_factory=list)
    logout_urls: list[str] = Field(alias="logoutUrls", default_factory=list)
    generate_secret: bool | None = Field(
        alias="generateSecret",
        default=None,
        description="Only confidential clients have a secret; a public client must not.",
    )


class FederationSettings(MeridianModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    kind: Literal["SAML", "OIDC"]
    metadata_url: str | None = Field(alias="metadataUrl", default=None)
    issuer: str | None = None
    client_id: str | None = Field(alias="clientId", default=None)
    client_secret: dict[str, str] | str | None = Field(
        alias="clientSecret",
        default=None,
        description="OIDC: the client secret the IdP issued Cognito, as a Pulumi secret.",
    )


class IdentitySettings(MeridianModel):
    tier: Literal["ESSENTIALS", "PLUS"]
    access_token_minutes: int = Field(alias="accessTokenMinutes")
    id_token_minutes: int = Field(alias="idTokenMinutes")
    refresh_token_minutes: int = Field(alias="refreshTokenMinutes")
    sms_mfa: bool = Field(alias="smsMfa", default=False)
    domain_prefix: str | None = Field(alias="domainPrefix", default=None)
    custom_domain: str | None = Field(alias="customDomain", default=None)
    custom_domain_certificate_arn: str | None = Field(
        alias="customDomainCertificateArn", default=None
    )
    clients: dict[str, ClientSettings] = Field(default_factory=dict)
    federation: list[FederationSettings] = Field(default_factory=list)


def _callbacks(env: str) -> dict[str, Any]:
    host = "www.meridian.example.com" if env == "prod" else f"www.{env}.meridian.example.com"
    return {
        "web": {
            "callbackUrls": [f"https://{host}/auth/callback"],
            "logoutUrls": [f"https://{host}/"],
        },
        "mobile": {
            "callbackUrls": ["com.meridian.app://auth/callback"],
            "logoutUrls": ["com.meridian.app://auth/signout"],
        },
        # RFC 8252: native apps receive the code on the loopback interface
        "desktop": {"callbackUrls": ["http://localhost/auth/callback"]},
    }


IDENTITY_DEFAULTS: dict[str, dict[str, Any]] = {
    env: {
        "tier": "ESSENTIALS" if env == "dev" else "PLUS",
        "accessTokenMinutes": 15,  # architecture section 04: access token 15-min TTL
        "idTokenMinutes": 15,
        "refreshTokenMinutes": 7 * 24 * 60,  # refresh token 7 days
        "smsMfa": False,
        "domainPrefix": f"meridian-{env}",
        "clients": _callbacks(env),
    }
    for env in ("dev", "staging", "prod")
}
"""Per environment, merged into `settings.ENVIRONMENT_DEFAULTS[env]["identity"]`."""


@cache
def clients_document() -> dict[str, Any]:
    return json.loads(CLIENTS_FILE.read_text(encoding="utf-8"))


def confidential_clients(document: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The row ids of the confidential (machine-to-machine) clients: the platform's API keys
    (Cognito issues each one's id and secret; the caller trades them for an access token)."""
    rows = (document or clients_document())["clients"]
    return tuple(r["id"] for r in rows if r["kind"] == "confidential")


@cache
def routes_document() -> dict[str, Any]:
    return json.loads(ROUTES_FILE.read_text(encoding="utf-8"))


def api_scopes(routes: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The resource server's scopes: every scope a route of the API table requires."""
    rows = (routes or routes_document())["routes"]
    return tuple(sorted({s for r in rows for s in r.get("scopes", [])}))


def clients_table_problems(clients: dict[str, Any], routes: dict[str, Any]) -> list[ConfigProblem]:
    """The clients table and the routes' identity columns, judged together."""
    problems: list[ConfigProblem] = []
    known = set(api_scopes(routes))
    mfa_scopes = {
        s for r in routes["routes"] if r.get("auth") == "JWT+MFA" for s in r.get("scopes", [])
    }
    where = "stacks/data/identity_clients.json"
    for index, row in enumerate(clients.get("clients", [])):
        key = f"{where} clients[{index}] ({row.get('id', '?')})"
        if row.get("kind") not in ("public", "confidential"):
            problems.append(
                ConfigProblem(
                    f"{key}.kind",
                    row.get("kind"),
                    "is not a client kind",
                    'use "public" (code + PKCE) or "confidential" (client credentials)',
                    file=where,
                )
            )
        unknown = sorted(set(row.get("scopes", [])) - known)
        if unknown:
            problems.append(
                ConfigProblem(
                    f"{key}.scopes",
                    unknown,
                    "are not scopes of any API route",
                    f"use scopes of stacks/data/api_routes.json ({sorted(known)})",
                    file=where,
                )
            )
        if row.get("kind") == "confidential":
            needs_user = sorted(set(row.get("scopes", [])) & mfa_scopes)
            if needs_user:
                problems.append(
                    ConfigProblem(
                        f"{key}.scopes",
                        needs_user,
                        "belong to JWT+MFA routes, which need a signed-in user with MFA; a "
                        "client-credentials token has no user",
                        "remove them from the machine-to-machine client",
                        file=where,
                    )
                )
    for index, row in enumerate(routes["routes"]):
        key = f"stacks/data/api_routes.json routes[{index}] ({row.get('id', '?')})"
        if not isinstance(row.get("public"), bool):
            problems.append(
                ConfigProblem(
                    f"{key}.public",
                    row.get("public"),
                    "is not true or false",
                    "mark the route public (no token) or not",
                    file="stacks/data/api_routes.json",
                )
            )
        elif not row["public"] and not row.get("scopes"):
            problems.append(
                ConfigProblem(
                    f"{key}.scopes",
                    row.get("scopes"),
                    "is empty for a route that needs a token: any token would do",
                    "list the scopes a token must carry for the route",
                    file="stacks/data/api_routes.json",
                )
            )
    return problems


def validate_identity(settings: IdentitySettings, where: str) -> list[ConfigProblem]:
    """Token lifetimes within Cognito's bounds, client overrides naming clients of the table (and
    no secret for a public one), the sign-in domain, and federation details per kind."""
    problems: list[ConfigProblem] = []

    def problem(field: str, value: Any, why: str, fix: str) -> None:
        problems.append(ConfigProblem(f"{NAMESPACE}:{KEY}.{field}", value, why, fix))

    for field, value in (
        ("accessTokenMinutes", settings.access_token_minutes),
        ("idTokenMinutes", settings.id_token_minutes),
    ):
        low, high = ACCESS_BOUNDS
        if not low <= value <= high:
            problem(
                field,
                value,
                f"is outside Cognito's bounds ({low} to {high} minutes)",
                f"set it between {low} and {high} in {where} (the design: 15)",
            )
    low, high = REFRESH_BOUNDS
    if not low <= settings.refresh_token_minutes <= high:
        problem(
            "refreshTokenMinutes",
            settings.refresh_token_minutes,
            f"is outside Cognito's bounds ({low} minutes to 10 years, {high} minutes)",
            f"set it between {low} and {high} in {where} (the design: 10080, 7 days)",
        )
    if settings.refresh_token_minutes <= settings.access_token_minutes:
        problem(
            "refreshTokenMinutes",
            settings.refresh_token_minutes,
            "is not longer than the access token's lifetime: silent refresh could not work",
            f"make it longer than accessTokenMinutes in {where}",
        )
    if settings.domain_prefix is None and settings.custom_domain is None:
        problem(
            "domainPrefix",
            None,
            "and customDomain are both unset: nothing names the hosted sign-in domain",
            f"set domainPrefix, or customDomain with customDomainCertificateArn, in {where}",
        )
    elif settings.domain_prefix is not None and settings.custom_domain is not None:
        problem(
            "domainPrefix",
            settings.domain_prefix,
            f"and customDomain ({settings.custom_domain}) both name the hosted sign-in domain "
            "(a pool has one; the environment's default prefix is meridian-<env>)",
            f"set domainPrefix: null next to customDomain in {where}, or remove customDomain",
        )
    if settings.custom_domain and not settings.custom_domain_certificate_arn:
        problem(
            "customDomainCertificateArn",
            None,
            "is missing for the custom domain",
            f"give an ACM certificate ARN in us-east-1 for {settings.custom_domain} in {where}",
        )
    kinds = {row["id"]: row["kind"] for row in clients_document()["clients"]}
    for client_id, client in settings.clients.items():
        if client_id not in kinds:
            problem(
                f"clients.{client_id}",
                client_id,
                "is not a client of the clients table",
                f"use one of {sorted(kinds)} (stacks/data/identity_clients.json)",
            )
            continue
        public = kinds[client_id] == "public"
        if public and client.generate_secret:
            problem(
                f"clients.{client_id}.generateSecret",
                True,
                "gives a public client a secret: a browser, mobile or desktop app cannot keep "
                "it, and PKCE is what protects its code exchange",
                f"remove generateSecret from clients.{client_id} in {where}",
            )
        if not public and client.generate_secret is False:
            problem(
                f"clients.{client_id}.generateSecret",
                False,
                "removes the secret of a confidential (client credentials) client",
                f"remove generateSecret from clients.{client_id} in {where}",
            )
    for client_id, kind in kinds.items():
        if kind == "public" and not settings.clients.get(client_id, ClientSettings()).callback_urls:
            problem(
                f"clients.{client_id}.callbackUrls",
                [],
                "is empty: the public client could not receive its authorization code",
                f"list the app's redirect URIs in {where}",
            )
    problems += [
        ConfigProblem(f"{NAMESPACE}:{KEY}.{p.key}", p.value, p.problem, f"{p.fix} in {where}")
        for p in federation_problems(settings.federation)
    ]
    return problems


FEDERATION_NEEDS = {"SAML": ("metadataUrl",), "OIDC": ("issuer", "clientId", "clientSecret")}
"""What Cognito needs of each kind of provider (CreateIdentityProvider, ProviderDetails: SAML
MetadataURL; OIDC oidc_issuer, client_id, client_secret)."""


def federation_problems(federation: list[FederationSettings]) -> list[ConfigProblem]:
    """Each provider's details per kind, HTTPS URLs, the OIDC client secret stored encrypted, and
    names unique and not Cognito's own. Keys are relative to `meridian:identity`; the caller
    adds the namespace and the file to the fix."""
    problems: list[ConfigProblem] = []
    seen: set[str] = set()
    for index, idp in enumerate(federation):
        at = f"federation[{index}]"
        values = {
            "metadataUrl": idp.metadata_url,
            "issuer": idp.issuer,
            "clientId": idp.client_id,
            "clientSecret": idp.client_secret,
        }
        for field in FEDERATION_NEEDS[idp.kind]:
            if values[field] is None:
                fix = (
                    f"pulumi config set --secret --path 'meridian:identity.{at}.clientSecret' "
                    "<the secret the IdP issued>"
                    if field == "clientSecret"
                    else f"add {at}.{field} (the IdP's {_FIELD_TEXT[field]})"
                )
                problems.append(
                    ConfigProblem(
                        f"{at}.{field}", None, f"is missing for {idp.kind} provider {idp.name}", fix
                    )
                )
        for field in ("metadataUrl", "issuer"):
            url = values[field]
            if isinstance(url, str) and not url.startswith("https://"):
                problems.append(
                    ConfigProblem(
                        f"{at}.{field}",
                        url,
                        "is not an HTTPS URL: Cognito would fetch the IdP's metadata or keys "
                        "over a channel an attacker can change",
                        f"give the IdP's https:// {_FIELD_TEXT[field]}",
                    )
                )
        if (
            idp.kind == "OIDC"
            and idp.client_secret is not None
            and not is_secure(idp.client_secret)
        ):
            problems.append(
                ConfigProblem(
                    f"{at}.clientSecret",
                    "<plain text>",
                    "is stored in plain text in the stack file",
                    f"pulumi config set --secret --path 'meridian:identity.{at}.clientSecret' "
                    "<the secret>",
                )
            )
        if idp.name in seen or idp.name.upper() == "COGNITO":
            problems.append(
                ConfigProblem(
                    f"{at}.name",
                    idp.name,
                    "names another provider of the pool (or Cognito's own, COGNITO)",
                    "give each provider its own name",
                )
            )
        seen.add(idp.name)
    return problems


_FIELD_TEXT = {
    "metadataUrl": "SAML metadata document URL",
    "issuer": "OIDC issuer URL",
    "clientId": "client id for Cognito",
}


SPEC = SettingSpec(
    key=KEY,
    field="identity",
    model=IdentitySettings,
    defaults=IDENTITY_DEFAULTS,
    scope="manifest",
    validate=lambda c: (
        validate_identity(c.value, c.manifest_file)
        + clients_table_problems(clients_document(), routes_document())
    ),
    check="validate_identity",
)
"""`meridian:identity`, environment-wide (stacks/config/registry.py)."""
