"""Edge policies, Cloudflare: every zone the stack configures is hardened and behind the WAF.

``cloudflare-zone-tls`` (encryption_transit) judges the values of the TLS zone settings a stack
declares; these policies add what a missing declaration leaves to Cloudflare's defaults (which
include TLS 1.0 and, on some plans, "Flexible" SSL to the origin) and the WAF:

- ``cloudflare-zone-hsts``: the ``security_header`` zone setting turns HSTS on, long enough, for
  subdomains, with preload (configurable);
- ``cloudflare-zone-baseline`` (stack): every zone the stack configures declares ``ssl``,
  ``min_tls_version``, ``always_use_https`` and ``security_header``;
- ``cloudflare-waf-managed-rulesets`` (stack): every zone has an ``http_request_firewall_managed``
  entry-point ruleset executing the Cloudflare Managed Ruleset and the OWASP Core Ruleset,
  enabled and not overridden to log only;
- ``cloudflare-origin-gateway-mutual-tls`` (stack): an origin behind Cloudflare (the stack issues
  its origin certificate from Cloudflare's Origin CA) demands Cloudflare's origin-pull client
  certificate: every HTTPS server of its Istio Gateways is ``tls.mode: MUTUAL`` and its
  ``credentialName`` Secret holds a client CA, so a connection that bypasses Cloudflare (straight
  to the NLB) fails the handshake. Authenticated Origin Pulls on the zone is what makes Cloudflare
  present that certificate; without MUTUAL on the origin it proves nothing.

A zone is recognised by the ``zoneId`` of the stack's Cloudflare resources (zone settings,
rulesets, load balancers, DNS records); a ``zoneId`` unknown during preview names no zone yet and
is skipped, so preview never reports a violation for a value it cannot see.
"""

from __future__ import annotations

import json
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

from . import type_tokens
from .compliance import (
    CREDENTIAL_PROTECTION,
    ENCRYPTION_IN_TRANSIT,
    HARDENED_CONFIG,
    LEAST_PRIVILEGE,
    MUTUAL_TLS,
    WEB_APPLICATION_FIREWALL,
)
from .declare import resource_policy, stack_policy
from .support import (
    as_list,
    cfg_bool,
    cfg_number,
    cfg_strings,
    dig,
    is_unknown,
    pget,
    plain,
)

CONCERN = "edge"


ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
RULESET = "cloudflare:index/ruleset:Ruleset"
API_TOKEN = "cloudflare:index/apiToken:ApiToken"
ZONE_SCOPED_TYPES = frozenset(
    {
        ZONE_SETTING,
        RULESET,
        "cloudflare:index/loadBalancer:LoadBalancer",
        "cloudflare:index/dnsRecord:DnsRecord",
    }
)
MANAGED_PHASE = "http_request_firewall_managed"
CLOUDFLARE_MANAGED_RULESET_ID = "efb7b8c949ac4650a09736fc376e9aee"
OWASP_CORE_RULESET_ID = "4814384a9e5d4991b9815dcfc25d2f1f"
RULESET_NAMES = {
    CLOUDFLARE_MANAGED_RULESET_ID: "Cloudflare Managed Ruleset",
    OWASP_CORE_RULESET_ID: "OWASP Core Ruleset",
}
BASELINE_SETTINGS = ("ssl", "min_tls_version", "always_use_https", "security_header")
SIX_MONTHS = 15_552_000

_Member = tuple[str, dict[str, Any], str, str]
"""(type, plain props, resource name, urn) of a zone-scoped resource."""


def _zone_label(zone: str, members: list[_Member]) -> str:
    names = ", ".join(sorted({f"'{m[2]}'" for m in members}))
    return f"Cloudflare zone {zone} (configured by {names})"


# --------------------------------------------------------------------------------------------
# API tokens
# --------------------------------------------------------------------------------------------


def _broad_resources(resources: Any) -> list[str]:
    """The resource keys of a token policy that reach more than one named zone or account: a
    wildcard key, or a nested mapping (e.g. every zone of an account)."""
    try:
        parsed = json.loads(resources) if isinstance(resources, str) else resources
    except ValueError:
        return [str(resources)]
    if not isinstance(parsed, dict) or not parsed:
        return [str(resources)]
    return [
        str(key)
        for key, value in parsed.items()  # pyright: ignore[reportUnknownVariableType]
        if str(key).endswith("*") or value != "*"  # pyright: ignore[reportUnknownArgumentType]
    ]


def _api_token_scoped(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != API_TOKEN:
        return
    for index, rule in enumerate(as_list(dig(args.props, "policies"))):
        resources = dig(rule, "resources")
        if is_unknown(resources) or dig(rule, "effect") != "allow":
            continue
        if broad := _broad_resources(resources):
            report(
                f"cloudflare.ApiToken '{args.name}': policies[{index}] allows "
                f"{', '.join(broad)}, more than the zones or accounts it needs. Fix: name each "
                'resource exactly, {"com.cloudflare.api.account.zone.<zone id>": "*"}.',
                None,
            )


# --------------------------------------------------------------------------------------------
# HSTS
# --------------------------------------------------------------------------------------------


def _hsts(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ZONE_SETTING or dig(args.props, "settingId") != "security_header":
        return
    config = args.get_config()
    minimum = int(cfg_number(config, "minimumMaxAgeSeconds", SIX_MONTHS))
    require_preload = cfg_bool(config, "requirePreload", True)
    hsts = dig(args.props, "value", "strict_transport_security")
    where = f"cloudflare.ZoneSetting '{args.name}': security_header"
    if dig(hsts, "enabled") is not True:
        report(
            f"{where} does not enable strict_transport_security, so a first visit over HTTP can "
            "be intercepted. Fix: set value.strict_transport_security = {enabled: true, max_age: "
            "31536000, include_subdomains: true, preload: true}.",
            None,
        )
        return
    problems: list[str] = []
    max_age = dig(hsts, "max_age")
    if not isinstance(max_age, (int, float)) or max_age < minimum:
        problems.append(f"max_age is {max_age}, below {minimum} seconds")
    if dig(hsts, "include_subdomains") is not True:
        problems.append("include_subdomains is not true")
    if require_preload and dig(hsts, "preload") is not True:
        problems.append("preload is not true")
    if problems:
        report(
            f"{where}: HSTS {'; '.join(problems)}. Fix: set strict_transport_security.max_age >= "
            f"{minimum}, include_subdomains: true"
            + (", preload: true" if require_preload else "")
            + ".",
            None,
        )


# --------------------------------------------------------------------------------------------
# Zones of a stack
# --------------------------------------------------------------------------------------------


def _zones(args: StackValidationArgs) -> tuple[dict[str, list[_Member]], bool]:
    """(known zone id -> [(type, plain props)] of the stack's zone-scoped Cloudflare resources,
    whether some resource's zone is unknown: then a missing declaration may be that one's)."""
    zones: dict[str, list[_Member]] = {}
    unknown = False
    for resource in args.resources:
        if resource.resource_type not in ZONE_SCOPED_TYPES:
            continue
        props = plain(resource.props)
        zone = pget(props, "zoneId")
        if is_unknown(zone):
            unknown = True
        elif isinstance(zone, str) and zone:
            zones.setdefault(zone, []).append(
                (resource.resource_type, props, resource.name, resource.urn)
            )
    return zones, unknown


def _baseline(args: StackValidationArgs, report: ReportViolation) -> None:
    required = cfg_strings(args.get_config(), "requiredSettings", BASELINE_SETTINGS)
    zones, unknown_zone = _zones(args)
    for zone, members in sorted(zones.items()):
        declared: set[str] = set()
        unknown = unknown_zone
        for kind, props, _, _ in members:
            if kind != ZONE_SETTING:
                continue
            setting = pget(props, "settingId")
            if is_unknown(setting):
                unknown = True
            elif isinstance(setting, str):
                declared.add(setting)
        missing = [s for s in required if s not in declared]
        if missing and not unknown:
            report(
                f"{_zone_label(zone, members)}: the stack declares no "
                f"ZoneSetting for {', '.join(missing)}, so Cloudflare's defaults apply (TLS 1.0, "
                "no HSTS, possibly Flexible SSL to the origin). Fix: add cloudflare.ZoneSetting "
                "resources for " + ", ".join(missing) + " (ssl=strict, min_tls_version=1.2, "
                "always_use_https=on, security_header with HSTS).",
                members[0][3],
            )


MUTUAL = "MUTUAL"
CLIENT_CA_KEYS = ("ca.crt", "cacert")
"""Where Istio reads a Gateway credential's client CA: `ca.crt` of a kubernetes.io/tls Secret or
`cacert` of a generic one, or either in the Secret `<credentialName>-cacert`
(istio/istio pilot/pkg/credentials/kube/secrets.go: TLSSecretCaCert, GenericScrtCaCert)."""


def _secret_keys(props: Mapping[str, Any]) -> set[str] | None:
    """The keys a planned Secret holds (data and stringData); None when they are unknown."""
    keys: set[str] = set()
    for field in ("data", "stringData"):
        value = props.get(field)
        if is_unknown(value):
            return None
        if isinstance(value, Mapping):
            keys.update(str(k) for k in value)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    return keys


def _gateway_problem(
    spec: Any, namespace: str, secrets: Mapping[tuple[str, str], set[str] | None], unsure: bool
) -> str | None:
    """Why a Gateway spec does not demand the edge's client certificate, else None."""
    for server in as_list(pget(spec, "servers")):
        if not isinstance(server, Mapping) or pget(server, "port", "protocol") != "HTTPS":
            continue
        mode = pget(server, "tls", "mode")
        credential = pget(server, "tls", "credentialName")
        if is_unknown(mode) or is_unknown(credential):
            continue
        if mode != MUTUAL:
            return f"serves HTTPS with tls.mode {mode or 'unset'}, not {MUTUAL}"
        if not isinstance(credential, str) or not credential:
            return "serves MUTUAL TLS with no credentialName (no client CA)"
        names = [(namespace, n) for n in (credential, f"{credential}-cacert")]
        held = [secrets[n] for n in names if n in secrets]
        if any(keys is None for keys in held):
            continue  # a Secret whose keys are unknown during preview
        if not any(keys and keys & set(CLIENT_CA_KEYS) for keys in held):
            if unsure:
                continue  # a Secret whose name is unknown during preview may hold the CA
            return (
                f"names credentialName {credential}, but no Secret {credential} or "
                f"{credential}-cacert in {namespace} of this stack holds a client CA "
                f"({' or '.join(CLIENT_CA_KEYS)})"
            )
    return None


def _origin_gateway_mutual(args: StackValidationArgs, report: ReportViolation) -> None:
    behind_cloudflare = any(
        r.resource_type == type_tokens.CLOUDFLARE_ORIGIN_CA_CERTIFICATE for r in args.resources
    )
    if not behind_cloudflare:
        return
    secrets: dict[tuple[str, str], set[str] | None] = {}
    unsure = False  # some Secret's name or namespace is unknown (preview)
    gateways: list[tuple[Any, str, str, str]] = []
    for resource in args.resources:
        if resource.resource_type not in (type_tokens.K8S_SECRET, type_tokens.ISTIO_GATEWAY):
            continue
        props = plain(resource.props)
        name, namespace = pget(props, "metadata", "name"), pget(props, "metadata", "namespace")
        if is_unknown(name) or is_unknown(namespace):
            unsure = unsure or resource.resource_type == type_tokens.K8S_SECRET
            continue
        namespace = namespace if isinstance(namespace, str) and namespace else "default"
        if resource.resource_type == type_tokens.K8S_SECRET:
            if isinstance(name, str):
                secrets[(namespace, name)] = _secret_keys(props)
        else:
            gateways.append((props, namespace, resource.name, resource.urn))
    for props, namespace, resource_name, urn in gateways:
        problem = _gateway_problem(pget(props, "spec"), namespace, secrets, unsure)
        if problem is not None:
            report(
                f"Istio Gateway {resource_name} ({namespace}/{pget(props, 'metadata', 'name')}) "
                f"{problem}; the "
                "stack's origin is behind Cloudflare (Origin CA certificate), so a client that "
                "skips Cloudflare would be served. Fix: tls.mode MUTUAL with a credentialName "
                "Secret holding Cloudflare's origin-pull CA as ca.crt.",
                urn,
            )


def _execute_problems(rule: Mapping[str, Any]) -> list[str] | None:
    """Why an `execute` rule does not block (None if the rule is not an enabled execute)."""
    if pget(rule, "action") != "execute":
        return None
    if pget(rule, "enabled") is False:
        return ["the rule is disabled"]
    overrides = pget(rule, "actionParameters", "overrides")
    problems: list[str] = []
    if pget(overrides, "enabled") is False:
        problems.append("overrides.enabled is false (every rule of the ruleset off)")
    if pget(overrides, "action") == "log":
        problems.append("overrides.action is 'log' (nothing is blocked)")
    for override in as_list(pget(overrides, "rules")):
        if pget(override, "action") == "log" or pget(override, "enabled") is False:
            problems.append(f"rule {pget(override, 'id')} is overridden to log or off")
    return problems


def _managed_rulesets(args: StackValidationArgs, report: ReportViolation) -> None:
    required = cfg_strings(
        args.get_config(),
        "requiredRulesetIds",
        [CLOUDFLARE_MANAGED_RULESET_ID, OWASP_CORE_RULESET_ID],
    )
    zones, unknown_zone = _zones(args)
    for zone, members in sorted(zones.items()):
        executed: set[str] = set()
        weakened: list[str] = []
        unknown = unknown_zone
        for kind, props, _, _ in members:
            if kind != RULESET:
                continue
            phase = pget(props, "phase")
            rules = pget(props, "rules")
            if is_unknown(phase) or is_unknown(rules):
                unknown = True
                continue
            if phase != MANAGED_PHASE:
                continue
            for rule in as_list(rules):
                target = pget(rule, "actionParameters", "id")
                if is_unknown(target) or is_unknown(pget(rule, "action")):
                    unknown = True
                    continue
                found = _execute_problems(rule) if isinstance(rule, Mapping) else None
                if found is None or not isinstance(target, str):
                    continue
                name = RULESET_NAMES.get(target, target)
                if found:
                    weakened.append(f"{name}: {'; '.join(found)}")
                else:
                    executed.add(target)
        missing = [RULESET_NAMES.get(r, r) for r in required if r not in executed]
        if weakened:
            report(
                f"{_zone_label(zone, members)}: managed WAF rulesets do not block: "
                f"{' | '.join(weakened)}. Fix: execute them enabled, without a 'log' action or "
                "disabling overrides.",
                members[0][3],
            )
        elif missing and not unknown:
            report(
                f"{_zone_label(zone, members)}: the {MANAGED_PHASE} phase does not execute "
                f"{', '.join(missing)}. Fix: add a zone Ruleset (kind 'zone', phase "
                f"'{MANAGED_PHASE}') with an 'execute' rule per managed ruleset id ("
                + ", ".join(f"{RULESET_NAMES.get(r, r)} {r}" for r in required)
                + ").",
                members[0][3],
            )


POLICIES: list[Policy] = [
    resource_policy(
        "cloudflare-api-token-scoped",
        "Every allow policy of a Cloudflare API token the program creates names its zones or "
        "accounts exactly (no wildcard, no 'every zone of an account'), so a leaked token reads "
        "one zone's data, not the account's.",
        concern=CONCERN,
        service="cloudflare",
        severity=Severity.HIGH,
        controls=LEAST_PRIVILEGE | CREDENTIAL_PROTECTION,
        validate=_api_token_scoped,
        remediation="Set each token policy's resources to "
        '{"com.cloudflare.api.account.zone.<zone id>": "*"} (or the one account it needs).',
    ),
    stack_policy(
        "cloudflare-origin-gateway-mutual-tls",
        "Where the origin is behind Cloudflare (its certificate comes from Cloudflare's Origin "
        "CA), every HTTPS server of the stack's Istio Gateways is tls.mode MUTUAL with a client "
        "CA in its credential Secret, so only Cloudflare's Authenticated Origin Pulls "
        "certificate is served.",
        concern=CONCERN,
        service=("cloudflare", "istio"),
        severity=Severity.HIGH,
        controls=ENCRYPTION_IN_TRANSIT | MUTUAL_TLS,
        types=(type_tokens.ISTIO_GATEWAY, type_tokens.K8S_SECRET),
        validate=_origin_gateway_mutual,
        remediation="Set the edge Gateway's servers[].tls.mode to MUTUAL and add Cloudflare's "
        "origin-pull CA to its credentialName Secret as ca.crt.",
    ),
    resource_policy(
        "cloudflare-zone-hsts",
        "Cloudflare HSTS (zone setting security_header) is enabled with max_age >= 180 days, "
        "include_subdomains and preload (preload configurable).",
        concern=CONCERN,
        service="cloudflare",
        severity=Severity.HIGH,
        controls=ENCRYPTION_IN_TRANSIT,
        validate=_hsts,
        config_schema=PolicyConfigSchema(
            properties={
                "minimumMaxAgeSeconds": {
                    "type": "integer",
                    "default": SIX_MONTHS,
                    "description": "Smallest acceptable strict_transport_security.max_age.",
                },
                "requirePreload": {
                    "type": "boolean",
                    "default": True,
                    "description": "Require preload (only for zones on a registrable domain).",
                },
            }
        ),
        remediation="Declare cloudflare.ZoneSetting(setting_id='security_header') with "
        "strict_transport_security enabled, max_age 31536000, include_subdomains and preload.",
    ),
    stack_policy(
        "cloudflare-zone-baseline",
        "Every Cloudflare zone a stack configures declares the ssl, min_tls_version, "
        "always_use_https and security_header zone settings, so none is left at Cloudflare's "
        "default (cloudflare-zone-tls and cloudflare-zone-hsts judge their values).",
        concern=CONCERN,
        service="cloudflare",
        severity=Severity.HIGH,
        controls=ENCRYPTION_IN_TRANSIT | HARDENED_CONFIG,
        types=(type_tokens.CLOUDFLARE_ZONE_SETTING,),
        validate=_baseline,
        config_schema=PolicyConfigSchema(
            properties={
                "requiredSettings": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": list(BASELINE_SETTINGS),
                    "description": "Zone setting ids every configured zone must declare.",
                }
            }
        ),
    ),
    stack_policy(
        "cloudflare-waf-managed-rulesets",
        "Every Cloudflare zone a stack configures executes the Cloudflare Managed Ruleset and the "
        "OWASP Core Ruleset from its http_request_firewall_managed entry point, enabled and not "
        "overridden to log only.",
        concern=CONCERN,
        service="cloudflare",
        severity=Severity.CRITICAL,
        controls=WEB_APPLICATION_FIREWALL,
        types=(type_tokens.CLOUDFLARE_RULESET,),
        validate=_managed_rulesets,
        config_schema=PolicyConfigSchema(
            properties={
                "requiredRulesetIds": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": [CLOUDFLARE_MANAGED_RULESET_ID, OWASP_CORE_RULESET_ID],
                    "description": "Managed ruleset ids every zone must execute.",
                }
            }
        ),
    ),
]
