"""Table cases for ``policies/zero_trust_identity_users.py``: Cognito user pools and clients, and
the token check at the Istio ingress Gateway.

Engine camelCase inputs (pulumi-aws 7; Istio objects as apiVersion/kind/metadata/spec), evaluated
with policies/config/prod.json; preview cases carry the engine's unknown sentinel.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
REQUEST_AUTHENTICATION = "kubernetes:security.istio.io/v1:RequestAuthentication"
AUTHORIZATION_POLICY = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
ENVOY_FILTER = "kubernetes:networking.istio.io/v1alpha3:EnvoyFilter"
LABELS = {"istio": "ingressgateway"}
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI"

MINUTES = {"accessToken": "minutes", "idToken": "minutes", "refreshToken": "minutes"}


def _client(**props: Any) -> dict[str, Any]:
    base = {
        "userPoolId": UNKNOWN,
        "accessTokenValidity": 15,
        "idTokenValidity": 15,
        "refreshTokenValidity": 10080,
        "tokenValidityUnits": MINUTES,
        "allowedOauthFlows": ["code"],
        "generateSecret": False,
    }
    return {**base, **props}


def _object(kind: str, api: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": "istio-ingress"},
        "spec": spec,
    }


def gateway_stack(
    *,
    authn: bool = True,
    deny: bool = True,
    not_paths: list[str] | None = None,
    issuer: Any = ISSUER,
) -> list[dict[str, Any]]:
    stack: list[dict[str, Any]] = [
        {
            "type": GATEWAY,
            "name": "edge-gateway",
            "props": _object(
                "Gateway", "networking.istio.io/v1", "edge", {"selector": dict(LABELS)}
            ),
        }
    ]
    if authn:
        stack.append(
            {
                "type": REQUEST_AUTHENTICATION,
                "name": "edge-jwt",
                "props": _object(
                    "RequestAuthentication",
                    "security.istio.io/v1",
                    "edge-jwt",
                    {
                        "selector": {"matchLabels": dict(LABELS)},
                        "jwtRules": [
                            {"issuer": issuer, "jwksUri": f"{ISSUER}/.well-known/jwks.json"}
                        ],
                    },
                ),
            }
        )
    if deny:
        stack.append(
            {
                "type": AUTHORIZATION_POLICY,
                "name": "require-token",
                "props": _object(
                    "AuthorizationPolicy",
                    "security.istio.io/v1",
                    "require-token",
                    {
                        "selector": {"matchLabels": dict(LABELS)},
                        "action": "DENY",
                        "rules": [
                            {
                                "from": [{"source": {"notRequestPrincipals": ["*"]}}],
                                "to": [{"operation": {"notPaths": not_paths or ["/health"]}}],
                            }
                        ],
                    },
                ),
            }
        )
    return stack


STRONG_PASSWORDS = {
    "minimumLength": 14,
    "requireLowercase": True,
    "requireUppercase": True,
    "requireNumbers": True,
    "requireSymbols": True,
    "temporaryPasswordValidityDays": 3,
}
CLAIM_HEADERS = ["x-meridian-sub", "x-meridian-scope", "x-meridian-client-id"]
HEADER_MUTATION = (
    "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation"
)


def _strip_filter(
    removed: list[str], *, operation: str = "INSERT_FIRST", labels: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "type": ENVOY_FILTER,
        "name": "strip-claim-headers",
        "props": _object(
            "EnvoyFilter",
            "networking.istio.io/v1alpha3",
            "strip-claim-headers",
            {
                "workloadSelector": {"labels": dict(LABELS if labels is None else labels)},
                "configPatches": [
                    {
                        "applyTo": "HTTP_FILTER",
                        "match": {
                            "context": "GATEWAY",
                            "listener": {
                                "filterChain": {
                                    "filter": {
                                        "name": "envoy.filters.network.http_connection_manager"
                                    }
                                }
                            },
                        },
                        "patch": {
                            "operation": operation,
                            "value": {
                                "name": "envoy.filters.http.header_mutation",
                                "typed_config": {
                                    "@type": HEADER_MUTATION,
                                    "mutations": {
                                        "request_mutations": [{"remove": h} for h in removed]
                                    },
                                },
                            },
                        },
                    }
                ],
            },
        ),
    }


def claims_stack(strip: dict[str, Any] | None, *, issuer: Any = ISSUER) -> list[dict[str, Any]]:
    """A gateway's RequestAuthentication copying three claims into headers, and `strip`."""
    stack = gateway_stack(deny=False, issuer=issuer)
    rule = stack[1]["props"]["spec"]["jwtRules"][0]
    rule["outputClaimToHeaders"] = [
        {"header": h, "claim": c}
        for h, c in zip(CLAIM_HEADERS, ["sub", "scope", "client_id"], strict=True)
    ]
    return stack + ([strip] if strip is not None else [])


def _preview(stack: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = copy.deepcopy(stack)
    for item in out:
        for rule in (item["props"].get("spec") or {}).get("jwtRules") or []:
            rule["issuer"] = UNKNOWN
            rule["jwksUri"] = UNKNOWN
    return out


CASES: list[PolicyCase] = [
    PolicyCase("cognito-mfa-required", POOL, {"mfaConfiguration": "ON"}, False, note="on"),
    PolicyCase("cognito-mfa-required", POOL, {"mfaConfiguration": "OPTIONAL"}, True, note="opt"),
    PolicyCase("cognito-mfa-required", POOL, {}, True, note="unset"),
    PolicyCase(
        "cognito-deletion-protection", POOL, {"deletionProtection": "ACTIVE"}, False, note="on"
    ),
    PolicyCase("cognito-deletion-protection", POOL, {}, True, note="unset"),
    PolicyCase("cognito-public-client-no-secret", CLIENT, _client(), False, note="pkce"),
    PolicyCase(
        "cognito-public-client-no-secret",
        CLIENT,
        _client(generateSecret=True),
        True,
        note="code-with-secret",
    ),
    PolicyCase(
        "cognito-public-client-no-secret",
        CLIENT,
        _client(allowedOauthFlows=["client_credentials"], generateSecret=True),
        False,
        note="m2m-secret",
    ),
    PolicyCase(
        "cognito-public-client-no-secret",
        CLIENT,
        _client(allowedOauthFlows=["implicit"]),
        True,
        note="implicit",
    ),
    PolicyCase("cognito-token-lifetimes", CLIENT, _client(), False, note="15min-7d"),
    PolicyCase(
        "cognito-token-lifetimes",
        CLIENT,
        _client(accessTokenValidity=UNKNOWN),
        False,
        note="preview-unknown",
    ),
    PolicyCase(
        "cognito-token-lifetimes",
        CLIENT,
        _client(accessTokenValidity=2),
        True,
        note="below-cognito-minimum",
    ),
    PolicyCase(
        "cognito-token-lifetimes",
        CLIENT,
        {"accessTokenValidity": 12, "refreshTokenValidity": 7},
        True,
        note="default-units-hours",
    ),
    PolicyCase(
        "cognito-token-lifetimes",
        CLIENT,
        _client(refreshTokenValidity=30),
        True,
        note="refresh-below-60min",
    ),
    PolicyCase("istio-gateway-requires-token", "", {}, False, stack=gateway_stack(), note="both"),
    PolicyCase(
        "istio-gateway-requires-token",
        "",
        {},
        False,
        stack=_preview(gateway_stack()),
        note="preview-issuer-unknown",
    ),
    PolicyCase(
        "istio-gateway-requires-token",
        "",
        {},
        True,
        stack=gateway_stack(authn=False),
        note="no-request-authentication",
    ),
    PolicyCase(
        "istio-gateway-requires-token",
        "",
        {},
        True,
        stack=gateway_stack(deny=False),
        note="no-deny",
    ),
    PolicyCase(
        "istio-gateway-requires-token",
        "",
        {},
        True,
        stack=gateway_stack(not_paths=["/health", "/api/v2/users/*"]),
        note="api-path-exempted",
    ),
    PolicyCase("cognito-password-policy", POOL, {"passwordPolicy": STRONG_PASSWORDS}, False),
    PolicyCase(
        "cognito-password-policy",
        POOL,
        {"passwordPolicy": {**STRONG_PASSWORDS, "minimumLength": 10}},
        True,
        note="short",
    ),
    PolicyCase(
        "cognito-password-policy",
        POOL,
        {"passwordPolicy": {**STRONG_PASSWORDS, "requireSymbols": False}},
        True,
        note="no-symbols",
    ),
    PolicyCase("cognito-password-policy", POOL, {}, True, note="cognito-default-8"),
    PolicyCase(
        "cognito-password-policy",
        POOL,
        {"passwordPolicy": {**STRONG_PASSWORDS, "minimumLength": UNKNOWN}},
        False,
        note="preview-unknown",
    ),
    PolicyCase("cognito-password-policy", POOL, {"passwordPolicy": UNKNOWN}, False, note="unk"),
    PolicyCase(
        "cognito-threat-protection",
        POOL,
        {"userPoolTier": "PLUS", "userPoolAddOns": {"advancedSecurityMode": "ENFORCED"}},
        False,
        note="plus-enforced",
    ),
    PolicyCase(
        "cognito-threat-protection",
        POOL,
        {"userPoolTier": "PLUS", "userPoolAddOns": {"advancedSecurityMode": "AUDIT"}},
        True,
        note="plus-audit",
    ),
    PolicyCase(
        "cognito-threat-protection", POOL, {"userPoolTier": "PLUS"}, True, note="plus-unset"
    ),
    PolicyCase(
        "cognito-threat-protection",
        POOL,
        {"userPoolTier": "ESSENTIALS"},
        False,
        note="essentials-has-none",
    ),
    PolicyCase(
        "cognito-threat-protection",
        POOL,
        {"userPoolTier": UNKNOWN},
        False,
        note="preview-unknown-tier",
    ),
    PolicyCase(
        "istio-claim-headers-stripped",
        "",
        {},
        False,
        stack=claims_stack(_strip_filter(CLAIM_HEADERS)),
        note="stripped",
    ),
    PolicyCase(
        "istio-claim-headers-stripped",
        "",
        {},
        False,
        stack=_preview(claims_stack(_strip_filter(CLAIM_HEADERS))),
        note="preview-issuer-unknown",
    ),
    PolicyCase(
        "istio-claim-headers-stripped",
        "",
        {},
        False,
        stack=gateway_stack(),
        note="no-claim-headers",
    ),
    PolicyCase(
        "istio-claim-headers-stripped",
        "",
        {},
        True,
        stack=claims_stack(None),
        note="no-envoy-filter",
    ),
    PolicyCase(
        "istio-claim-headers-stripped",
        "",
        {},
        True,
        stack=claims_stack(_strip_filter(CLAIM_HEADERS[:2])),
        note="one-header-left",
    ),
    PolicyCase(
        "istio-claim-headers-stripped",
        "",
        {},
        True,
        stack=claims_stack(_strip_filter(CLAIM_HEADERS, operation="INSERT_LAST")),
        note="after-the-jwt-filter",
    ),
    PolicyCase(
        "istio-claim-headers-stripped",
        "",
        {},
        True,
        stack=claims_stack(_strip_filter(CLAIM_HEADERS, labels={"app": "other"})),
        note="other-pods",
    ),
]


def _machine(**props: Any) -> dict[str, Any]:
    return _client(allowedOauthFlows=["client_credentials"], generateSecret=True, **props)


def _public(**props: Any) -> dict[str, Any]:
    base = {
        "enableTokenRevocation": True,
        "refreshTokenRotation": {"feature": "ENABLED", "retryGracePeriodSeconds": 10},
        "explicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH"],
    }
    return _client(**{**base, **props})


CASES += [
    # --- cognito-machine-client-no-user-sign-in ---------------------------------------------
    PolicyCase(
        "cognito-machine-client-no-user-sign-in",
        CLIENT,
        _machine(explicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"]),
        False,
        note="refresh-only",
    ),
    PolicyCase(
        "cognito-machine-client-no-user-sign-in",
        CLIENT,
        _machine(explicitAuthFlows=["ALLOW_CLIENT_TOKEN_AUTH"]),
        False,
        note="client-token-only",
    ),
    PolicyCase(
        "cognito-machine-client-no-user-sign-in",
        CLIENT,
        _machine(explicitAuthFlows=[]),
        True,
        note="empty-is-cognito-defaults",
    ),
    PolicyCase(
        "cognito-machine-client-no-user-sign-in",
        CLIENT,
        _machine(),
        True,
        note="unset-is-cognito-defaults",
    ),
    PolicyCase(
        "cognito-machine-client-no-user-sign-in",
        CLIENT,
        _machine(explicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]),
        True,
        note="password-flow",
    ),
    PolicyCase(
        "cognito-machine-client-no-user-sign-in",
        CLIENT,
        _machine(explicitAuthFlows=UNKNOWN),
        False,
        note="preview-unknown",
    ),
    PolicyCase(
        "cognito-machine-client-no-user-sign-in",
        CLIENT,
        _public(),
        False,
        note="public-client-not-concerned",
    ),
    # --- cognito-public-client-revocation-rotation ------------------------------------------
    PolicyCase(
        "cognito-public-client-revocation-rotation", CLIENT, _public(), False, note="both-on"
    ),
    PolicyCase(
        "cognito-public-client-revocation-rotation",
        CLIENT,
        _public(enableTokenRevocation=False),
        True,
        note="revocation-off",
    ),
    PolicyCase(
        "cognito-public-client-revocation-rotation",
        CLIENT,
        _public(refreshTokenRotation={"feature": "DISABLED"}),
        True,
        note="rotation-disabled",
    ),
    PolicyCase(
        "cognito-public-client-revocation-rotation",
        CLIENT,
        _client(),
        True,
        note="both-unset",
    ),
    PolicyCase(
        "cognito-public-client-revocation-rotation",
        CLIENT,
        _public(refreshTokenRotation=UNKNOWN, enableTokenRevocation=UNKNOWN),
        False,
        note="preview-unknown",
    ),
    PolicyCase(
        "cognito-public-client-revocation-rotation",
        CLIENT,
        _machine(explicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"]),
        False,
        note="machine-client-not-concerned",
    ),
]
