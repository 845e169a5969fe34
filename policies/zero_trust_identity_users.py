"""Zero-trust policies, end users: the user directory and the token check in front of the API.

Cognito user pools require MFA, are protected against deletion, ask for long passwords of every
character class, and block risky sign-ins (threat protection ENFORCED) where their tier has it;
app clients that sign users in with the authorization code grant (public clients: browsers,
mobile and desktop apps) hold no secret, revoke their tokens on sign-out and rotate refresh
tokens; clients of the client credentials grant (machines) have no flow that signs a user in; and
every client's tokens live within Cognito's bounds and the pack's ceiling. At the mesh's edge,
every Istio Gateway's pods validate end-user tokens (a RequestAuthentication with an issuer and
its keys) and refuse requests without one (a DENY AuthorizationPolicy with
`notRequestPrincipals: ["*"]`) on every path but the configured public ones; claims the gateway
copies into request headers cannot be forged by a client, because an EnvoyFilter removes those
headers from the client's request before the JWT filter writes them.

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from .compliance import AUTHENTICATION, CREDENTIAL_PROTECTION, DELETION_PROTECTION
from .declare import resource_policy, stack_policy
from .istio_objects import (
    DEFAULT_PUBLIC_PATHS,
    JWT_FILTER,
    PUBLIC_PATHS_SCHEMA,
    decided_objects,
    headers_removed_early,
    namespace_of,
)
from .support import as_list, config, get, is_unknown, label

CONCERN = "zero-trust"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
ENVOY_FILTER = "kubernetes:networking.istio.io/v1alpha3:EnvoyFilter"
REQUEST_AUTHENTICATION = "kubernetes:security.istio.io/v1:RequestAuthentication"
AUTHORIZATION_POLICY = "kubernetes:security.istio.io/v1:AuthorizationPolicy"

_UNIT_MINUTES = {"seconds": 1 / 60, "minutes": 1, "hours": 60, "days": 24 * 60}
_DEFAULT_UNIT = {"accessToken": "hours", "idToken": "hours", "refreshToken": "days"}
"""Cognito's default units when tokenValidityUnits is absent (TokenValidityUnitsType)."""
_BOUNDS = {"accessToken": (5, 24 * 60), "idToken": (5, 24 * 60), "refreshToken": (60, 5256000)}
"""Cognito's bounds in minutes: access/ID five minutes to one day, refresh 60 min to 10 years."""
_DEFAULT_MIN_PASSWORD = 14
"""The floor Meridian plans (components/identity/user_directory.py)."""
_COGNITO_DEFAULT_PASSWORD = {
    "minimumLength": 8,
    "requireLowercase": True,
    "requireUppercase": True,
    "requireNumbers": True,
    "requireSymbols": True,
}
"""Cognito's password policy when none is given (Cognito API reference, PasswordPolicyType)."""
_CHARACTER_CLASSES = ("requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols")


def _mfa_required(args: ResourceValidationArgs, report: ReportViolation) -> None:
    mode = get(args.props, "mfaConfiguration")
    if is_unknown(mode) or mode == "ON":
        return
    report(
        f"{label(args.resource_type, args.name)}: mfaConfiguration is {mode or 'OFF'}, so a "
        "stolen password alone signs a user in. Fix: set mfa_configuration='ON' with "
        "software_token_mfa_configuration={'enabled': True} (TOTP).",
        None,
    )


def _deletion_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    value = get(args.props, "deletionProtection")
    if is_unknown(value) or value == "ACTIVE":
        return
    report(
        f"{label(args.resource_type, args.name)}: deletionProtection is {value or 'INACTIVE'}: "
        "one delete call removes every user and their credentials. Fix: "
        "deletion_protection='ACTIVE'.",
        None,
    )


def _password_policy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    floor = int(config(args, "minimumPasswordLength", _DEFAULT_MIN_PASSWORD))
    policy = get(args.props, "passwordPolicy")
    if is_unknown(policy):
        return
    given = policy if isinstance(policy, Mapping) else {}
    effective = {**_COGNITO_DEFAULT_PASSWORD, **{k: v for k, v in given.items() if v is not None}}
    length = effective["minimumLength"]
    weak: list[str] = []
    if not is_unknown(length) and int(length) < floor:
        weak.append(f"minimumLength is {length}, below {floor}")
    off = [
        c for c in _CHARACTER_CLASSES if not is_unknown(effective[c]) and effective[c] is not True
    ]
    if off:
        weak.append(f"{', '.join(off)} off")
    if weak:
        report(
            f"{label(args.resource_type, args.name)}: a weak password policy ({'; '.join(weak)}): "
            "short or single-class passwords fall to guessing and credential stuffing. Fix: "
            f"password_policy with minimum_length >= {floor} and require_lowercase, "
            "require_uppercase, require_numbers and require_symbols all True.",
            None,
        )


def _threat_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    tier = get(args.props, "userPoolTier")
    if is_unknown(tier) or tier != "PLUS":
        return  # ESSENTIALS and LITE have no threat protection to turn on
    mode = get(args.props, "userPoolAddOns", "advancedSecurityMode")
    if is_unknown(mode) or mode == "ENFORCED":
        return
    report(
        f"{label(args.resource_type, args.name)}: a PLUS pool with threat protection "
        f"{mode or 'OFF'}: compromised credentials and risky sign-ins are "
        f"{'only logged' if mode == 'AUDIT' else 'not detected'}, not blocked. Fix: "
        "user_pool_add_ons={'advanced_security_mode': 'ENFORCED'}.",
        None,
    )


def _public_client_no_secret(args: ResourceValidationArgs, report: ReportViolation) -> None:
    flows = [str(f) for f in as_list(get(args.props, "allowedOauthFlows"))]
    if "implicit" in flows:
        report(
            f"{label(args.resource_type, args.name)}: the implicit grant returns tokens in the "
            "redirect URL. Fix: allowed_oauth_flows=['code'] with PKCE.",
            None,
        )
    if "code" in flows and get(args.props, "generateSecret") is True:
        report(
            f"{label(args.resource_type, args.name)}: a client signing users in with the "
            "authorization code grant (a browser, mobile or desktop app) has a secret it cannot "
            "keep. Fix: generate_secret=False and PKCE; give machine callers their own "
            "client-credentials client.",
            None,
        )


def _token_lifetimes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    ceiling = float(config(args, "maxAccessTokenMinutes", 60))
    units = get(args.props, "tokenValidityUnits") or {}
    for token in ("accessToken", "idToken", "refreshToken"):
        value = get(args.props, f"{token}Validity")
        if value is None or is_unknown(value):
            continue
        unit = str(get(units, token) or _DEFAULT_UNIT[token])
        minutes = float(value) * _UNIT_MINUTES.get(unit, 1)
        low, high = _BOUNDS[token]
        if token != "refreshToken":
            high = min(high, ceiling)
        if not low <= minutes <= high:
            report(
                f"{label(args.resource_type, args.name)}: {token}Validity is {value} {unit} "
                f"({minutes:g} min), outside {low}-{high:g} min. Fix: short-lived access and ID "
                "tokens (the design: 15 minutes) with refresh-token rotation; Cognito accepts "
                "5 min-1 day (access/ID) and 60 min-10 years (refresh).",
                None,
            )


_USER_SIGN_IN_FLOWS = frozenset(
    {
        "ALLOW_USER_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_CUSTOM_AUTH",
        "ADMIN_NO_SRP_AUTH",
        "CUSTOM_AUTH_FLOW_ONLY",
        "USER_PASSWORD_AUTH",
    }
)
"""ExplicitAuthFlows values that sign a user in (Cognito API reference, ExplicitAuthFlowsType):
all but ALLOW_REFRESH_TOKEN_AUTH, which only renews tokens this client issued, and
ALLOW_CLIENT_TOKEN_AUTH, which issues a machine's token (GetClientToken)."""
_DEFAULT_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
"""What Cognito gives a client created without ExplicitAuthFlows (CreateUserPoolClient)."""


def _machine_client_no_user_sign_in(args: ResourceValidationArgs, report: ReportViolation) -> None:
    oauth = as_list(get(args.props, "allowedOauthFlows"))
    if any(is_unknown(f) for f in oauth) or "client_credentials" not in oauth:
        return
    declared = get(args.props, "explicitAuthFlows")
    if is_unknown(declared):
        return
    flows = as_list(declared)
    if any(is_unknown(f) for f in flows):
        return
    signing_in = sorted(_USER_SIGN_IN_FLOWS & {str(f) for f in flows})
    if flows and not signing_in:
        return
    said = (
        f"explicitAuthFlows allows {signing_in}"
        if flows
        else "explicitAuthFlows is empty or unset, which Cognito reads as "
        f"{list(_DEFAULT_FLOWS)} (an empty list may reach it as no value)"
    )
    report(
        f"{label(args.resource_type, args.name)}: a client-credentials (machine) client whose "
        f"{said}: its id and secret can also sign a user in with a password, outside the "
        "public clients' PKCE and MFA path. Fix: explicit_auth_flows=['ALLOW_REFRESH_TOKEN_AUTH'] "
        "(no user sign-in flow), and sign users in through a public client.",
        None,
    )


def _public_client_revocation_rotation(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    oauth = as_list(get(args.props, "allowedOauthFlows"))
    if any(is_unknown(f) for f in oauth) or "code" not in oauth:
        return
    problems: list[str] = []
    revocation = get(args.props, "enableTokenRevocation")
    if not is_unknown(revocation) and revocation is not True:
        problems.append(f"enableTokenRevocation is {revocation} (a signed-out token keeps working)")
    feature = get(args.props, "refreshTokenRotation", "feature", blocks=True)
    if not is_unknown(feature) and feature != "ENABLED":
        problems.append(
            f"refreshTokenRotation.feature is {feature or 'unset'} (a stolen refresh token "
            "renews for its whole lifetime)"
        )
    if problems:
        report(
            f"{label(args.resource_type, args.name)}: a client signing users in with the "
            f"authorization code grant: {'; '.join(problems)}. Fix: enable_token_revocation=True "
            "and refresh_token_rotation={'feature': 'ENABLED', 'retry_grace_period_seconds': "
            "10}.",
            None,
        )


def _selector(props: dict[str, Any]) -> dict[str, Any]:
    spec = props.get("spec") or {}
    selector = spec.get("selector")
    if isinstance(selector, dict) and "matchLabels" in selector:
        return dict(selector.get("matchLabels") or {})
    return dict(selector or {})


def _covers(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Whether a policy with `selector` applies to pods labelled at least `labels`."""
    return all(labels.get(k) == v for k, v in selector.items())


def _requires_token(props: dict[str, Any], public: set[str]) -> bool:
    spec = props.get("spec") or {}
    if spec.get("action") != "DENY":
        return False
    for rule in spec.get("rules") or []:
        sources = [f.get("source") or {} for f in rule.get("from") or []]
        if not any(s.get("notRequestPrincipals") == ["*"] for s in sources):
            continue
        operations = [t.get("operation") or {} for t in rule.get("to") or []]
        if not operations:
            return True
        for op in operations:
            if set(op) <= {"notPaths"} and set(op.get("notPaths") or []) <= public:
                return True
    return False


def _gateway_requires_token(args: StackValidationArgs, report: ReportViolation) -> None:
    public = {str(p) for p in as_list(config(args, "publicPaths", DEFAULT_PUBLIC_PATHS))}
    objects = decided_objects(args, (GATEWAY, REQUEST_AUTHENTICATION, AUTHORIZATION_POLICY))
    if objects is None:
        return  # undecided: an object's namespace, selector or rules are not known yet

    for gateway, props in objects:
        if gateway.resource_type != GATEWAY:
            continue
        labels = (props.get("spec") or {}).get("selector") or {}
        ns = namespace_of(props)
        authn = [
            p
            for r, p in objects
            if r.resource_type == REQUEST_AUTHENTICATION
            and namespace_of(p) == ns
            and _covers(_selector(p), labels)
            and any(
                rule.get("issuer") and (rule.get("jwksUri") or rule.get("jwks"))
                for rule in (p.get("spec") or {}).get("jwtRules") or []
            )
        ]
        deny = [
            p
            for r, p in objects
            if r.resource_type == AUTHORIZATION_POLICY
            and namespace_of(p) == ns
            and _covers(_selector(p), labels)
            and _requires_token(p, public)
        ]
        if authn and deny:
            continue
        missing = []
        if not authn:
            missing.append("a RequestAuthentication (issuer and jwksUri) on its pods")
        if not deny:
            missing.append(
                "a DENY AuthorizationPolicy refusing requests without a token "
                "(from.source.notRequestPrincipals ['*']) on every path but "
                f"{sorted(public)}"
            )
        report(
            f"{label(GATEWAY, gateway.name)} admits requests without an end-user token: it has "
            f"no {' and no '.join(missing)}. Fix: generate both from the routes table "
            "(Meridian: components/identity/gateway_auth.py).",
            gateway.urn,
        )


def _claim_headers(props: dict[str, Any]) -> set[str]:
    rules = (props.get("spec") or {}).get("jwtRules") or []
    return {
        str(h.get("header")).lower()
        for rule in rules
        if isinstance(rule, dict)
        for h in rule.get("outputClaimToHeaders") or []
        if isinstance(h, dict) and h.get("header")
    }


def _claim_headers_stripped(args: StackValidationArgs, report: ReportViolation) -> None:
    objects = decided_objects(args, (REQUEST_AUTHENTICATION, ENVOY_FILTER))
    if objects is None:
        return

    for authn, props in objects:
        if authn.resource_type != REQUEST_AUTHENTICATION:
            continue
        headers = _claim_headers(props)
        if not headers:
            continue
        labels = _selector(props)
        removed: set[str] = set()
        for r, p in objects:
            selector = (get(p, "spec", "workloadSelector", "labels") or {}) if p else {}
            if (
                r.resource_type == ENVOY_FILTER
                and namespace_of(p) == namespace_of(props)
                and _covers(selector, labels)
            ):
                removed |= headers_removed_early(p, before=JWT_FILTER)
        forgeable = sorted(headers - removed)
        if forgeable:
            report(
                f"{label(REQUEST_AUTHENTICATION, authn.name)} copies token claims into "
                f"{forgeable}, and no EnvoyFilter of its pods removes those headers from the "
                "client's request first: a request without a token on a public path, or one "
                "whose claim is absent, reaches the services with an identity the client wrote. "
                "Fix: an EnvoyFilter (context GATEWAY, INSERT_FIRST) with a header_mutation "
                "filter removing them (Meridian: components/identity/gateway_auth.py, "
                "strip-claim-headers).",
                authn.urn,
            )


POLICIES: list[Policy] = [
    resource_policy(
        "cognito-mfa-required",
        "Cognito user pools require MFA for every user (mfaConfiguration ON).",
        concern=CONCERN,
        service="cognito",
        severity=Severity.HIGH,
        controls=AUTHENTICATION,
        validators={USER_POOL: _mfa_required},
    ),
    resource_policy(
        "cognito-deletion-protection",
        "Cognito user pools have deletion protection ACTIVE.",
        concern=CONCERN,
        service="cognito",
        severity=Severity.HIGH,
        controls=DELETION_PROTECTION,
        validators={USER_POOL: _deletion_protection},
    ),
    resource_policy(
        "cognito-password-policy",
        "Cognito user pools require passwords of at least `minimumPasswordLength` (default 14) "
        "characters with lower and upper case letters, digits and symbols.",
        concern=CONCERN,
        service="cognito",
        severity=Severity.HIGH,
        controls=AUTHENTICATION,
        validators={USER_POOL: _password_policy},
        config_schema=PolicyConfigSchema(
            properties={
                "minimumPasswordLength": {"type": "number", "default": _DEFAULT_MIN_PASSWORD}
            }
        ),
    ),
    resource_policy(
        "cognito-threat-protection",
        "Cognito user pools of the PLUS tier have threat protection ENFORCED "
        "(userPoolAddOns.advancedSecurityMode), blocking risky sign-ins rather than logging them.",
        concern=CONCERN,
        service="cognito",
        severity=Severity.MEDIUM,
        controls=AUTHENTICATION,
        validators={USER_POOL: _threat_protection},
    ),
    resource_policy(
        "cognito-public-client-no-secret",
        "Cognito app clients with the authorization code grant (public clients) have no secret, "
        "and no client uses the implicit grant.",
        concern=CONCERN,
        service="cognito",
        severity=Severity.HIGH,
        controls=CREDENTIAL_PROTECTION,
        validators={USER_POOL_CLIENT: _public_client_no_secret},
    ),
    resource_policy(
        "cognito-token-lifetimes",
        "Cognito app clients' token lifetimes are within Cognito's bounds and access/ID tokens "
        "live at most `maxAccessTokenMinutes` (default 60).",
        concern=CONCERN,
        service="cognito",
        severity=Severity.MEDIUM,
        controls=AUTHENTICATION,
        validators={USER_POOL_CLIENT: _token_lifetimes},
        config_schema=PolicyConfigSchema(
            properties={"maxAccessTokenMinutes": {"type": "number", "default": 60}}
        ),
    ),
    resource_policy(
        "cognito-machine-client-no-user-sign-in",
        "Cognito app clients with the client_credentials grant (machine clients) name their "
        "explicit auth flows, none of which signs a user in.",
        concern=CONCERN,
        service="cognito",
        severity=Severity.HIGH,
        controls=AUTHENTICATION,
        validators={USER_POOL_CLIENT: _machine_client_no_user_sign_in},
    ),
    resource_policy(
        "cognito-public-client-revocation-rotation",
        "Cognito app clients with the authorization code grant (public clients) have token "
        "revocation on and refresh-token rotation ENABLED.",
        concern=CONCERN,
        service="cognito",
        severity=Severity.MEDIUM,
        controls=CREDENTIAL_PROTECTION,
        validators={USER_POOL_CLIENT: _public_client_revocation_rotation},
    ),
    stack_policy(
        "istio-gateway-requires-token",
        "Every Istio Gateway's pods validate end-user tokens (a RequestAuthentication with an "
        "issuer and its keys) and deny requests without one (DENY, notRequestPrincipals ['*']) "
        "on every path but `publicPaths`.",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=AUTHENTICATION,
        types=(GATEWAY, REQUEST_AUTHENTICATION, AUTHORIZATION_POLICY),
        validate=_gateway_requires_token,
        config_schema=PUBLIC_PATHS_SCHEMA,
    ),
    stack_policy(
        "istio-claim-headers-stripped",
        "Every RequestAuthentication that copies token claims into request headers "
        "(outputClaimToHeaders) has an EnvoyFilter on the same pods that removes those headers "
        "from the client's request before the JWT filter runs.",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=AUTHENTICATION,
        types=(REQUEST_AUTHENTICATION, ENVOY_FILTER),
        validate=_claim_headers_stripped,
    ),
]
