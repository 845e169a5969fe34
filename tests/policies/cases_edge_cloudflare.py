"""Table cases for ``policies/edge_cloudflare.py``.

Props are the engine's camelCase inputs as pulumi-cloudflare 6 sends them (``settingId``,
``zoneId``, ``actionParameters``), the shapes ``components/edge/cloudflare_edge.py`` registers.
"""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import PolicyCase

ZONE = "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49"
SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
RULESET = "cloudflare:index/ruleset:Ruleset"
LOAD_BALANCER = "cloudflare:index/loadBalancer:LoadBalancer"
MANAGED = "efb7b8c949ac4650a09736fc376e9aee"
OWASP = "4814384a9e5d4991b9815dcfc25d2f1f"

HSTS = {
    "strict_transport_security": {
        "enabled": True,
        "max_age": 31536000,
        "include_subdomains": True,
        "preload": True,
        "nosniff": True,
    }
}


def _setting(setting: str, value: Any, name: str = "", zone: str = ZONE) -> dict[str, Any]:
    return {
        "type": SETTING,
        "name": name or f"edge-{setting}",
        "props": {"zoneId": zone, "settingId": setting, "value": value},
    }


BASELINE = [
    _setting("ssl", "strict"),
    _setting("min_tls_version", "1.2"),
    _setting("always_use_https", "on"),
    _setting("security_header", HSTS),
]


def _execute(ruleset_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "action": "execute",
        "expression": "true",
        "enabled": True,
        "actionParameters": {"id": ruleset_id, **extra},
    }


def _managed(rules: list[dict[str, Any]], phase: str = "http_request_firewall_managed") -> Any:
    return {
        "type": RULESET,
        "name": "edge-waf-managed",
        "props": {"zoneId": ZONE, "kind": "zone", "phase": phase, "name": "waf", "rules": rules},
    }


LB = {
    "type": LOAD_BALANCER,
    "name": "edge-lb",
    "props": {
        "zoneId": ZONE,
        "name": "api.example.com",
        "defaultPools": ["0f1e2d3c4b5a69788796a5b4c3d2e1f0"],
        "fallbackPool": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "proxied": True,
    },
}

OWASP_BLOCKING = {
    "overrides": {
        "rules": [
            {"id": "6179ae15870a4bb7b2d480d4843b323c", "action": "block", "scoreThreshold": 40}
        ]
    }
}


def _stack(policy: str, stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase(policy, "", {}, violates, stack=stack, note=note)


TOKEN = "cloudflare:index/apiToken:ApiToken"
GROUP = "c8fed203ed3043cba015a93ad1616f1f"


def _token(resources: str) -> dict[str, Any]:
    return {
        "name": "analytics",
        "policies": [
            {"effect": "allow", "permissionGroups": [{"id": GROUP}], "resources": resources}
        ],
    }


CASES: list[PolicyCase] = [
    # cloudflare-api-token-scoped
    PolicyCase(
        "cloudflare-api-token-scoped",
        TOKEN,
        _token(f'{{"com.cloudflare.api.account.zone.{ZONE}": "*"}}'),
        False,
        note="one-zone",
    ),
    PolicyCase(
        "cloudflare-api-token-scoped",
        TOKEN,
        _token('{"com.cloudflare.api.account.zone.*": "*"}'),
        True,
        note="every-zone",
    ),
    PolicyCase(
        "cloudflare-api-token-scoped",
        TOKEN,
        _token(
            '{"com.cloudflare.api.account.4f7e2a9c1b3d5e6f8a0b2c4d6e8f0a1b": '
            '{"com.cloudflare.api.account.zone.*": "*"}}'
        ),
        True,
        note="every-zone-of-an-account",
    ),
    # cloudflare-zone-hsts
    PolicyCase(
        "cloudflare-zone-hsts",
        SETTING,
        {"zoneId": ZONE, "settingId": "security_header", "value": HSTS},
        False,
        note="hsts-one-year-preload",
    ),
    PolicyCase(
        "cloudflare-zone-hsts",
        SETTING,
        {
            "zoneId": ZONE,
            "settingId": "security_header",
            "value": {"strict_transport_security": {"enabled": False, "max_age": 0}},
        },
        True,
        note="hsts-off",
    ),
    PolicyCase(
        "cloudflare-zone-hsts",
        SETTING,
        {
            "zoneId": ZONE,
            "settingId": "security_header",
            "value": {"strict_transport_security": {"enabled": True, "max_age": 3600}},
        },
        True,
        note="hsts-one-hour-no-subdomains-no-preload",
    ),
    PolicyCase(
        "cloudflare-zone-hsts",
        SETTING,
        {"zoneId": ZONE, "settingId": "brotli", "value": "on"},
        False,
        note="other-setting-ignored",
    ),
    # cloudflare-zone-baseline
    _stack("cloudflare-zone-baseline", [*BASELINE, LB], False, "all-four-declared"),
    _stack(
        "cloudflare-zone-baseline",
        [_setting("ssl", "strict"), LB],
        True,
        "only-ssl-declared",
    ),
    _stack("cloudflare-zone-baseline", [LB], True, "zone-with-no-settings"),
    # cloudflare-waf-managed-rulesets
    _stack(
        "cloudflare-waf-managed-rulesets",
        [_managed([_execute(MANAGED), _execute(OWASP, **OWASP_BLOCKING)]), LB],
        False,
        "both-rulesets-executed",
    ),
    _stack(
        "cloudflare-waf-managed-rulesets",
        [_managed([_execute(MANAGED)]), LB],
        True,
        "owasp-missing",
    ),
    _stack(
        "cloudflare-waf-managed-rulesets",
        [
            _managed(
                [_execute(MANAGED), _execute(OWASP, overrides={"action": "log", "enabled": True})]
            ),
            LB,
        ],
        True,
        "owasp-log-only",
    ),
    _stack(
        "cloudflare-waf-managed-rulesets",
        [_managed([_execute(MANAGED), _execute(OWASP)], phase="http_request_firewall_custom"), LB],
        True,
        "wrong-phase",
    ),
    _stack("cloudflare-waf-managed-rulesets", [LB], True, "zone-without-waf"),
]

# cloudflare-origin-gateway-mutual-tls: the regional stack's edge Gateway and its credential, as
# components/mesh/service_mesh.py plans them (edge_gateway_spec, the edge-tls Secret)
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
SECRET = "kubernetes:core/v1:Secret"
ORIGIN_CA = {
    "type": "cloudflare:index/originCaCertificate:OriginCaCertificate",
    "name": "origin-ca",
    "props": {"hostnames": ["api.example.com"], "requestType": "origin-ecc"},
}
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _gateway(mode: str, credential: str = "edge-tls") -> dict[str, Any]:
    tls = {"mode": mode, "credentialName": credential, "minProtocolVersion": "TLSV1_2"}
    return {
        "type": GATEWAY,
        "name": "mesh-edge-gateway",
        "props": {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "edge", "namespace": "istio-ingress"},
            "spec": {
                "selector": {"istio": "ingressgateway"},
                "servers": [
                    {
                        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                        "hosts": ["*/*"],
                        "tls": tls,
                    }
                ],
            },
        },
    }


def _secret(keys: Any, name: str = "edge-tls") -> dict[str, Any]:
    string_data = keys if keys == UNKNOWN else dict.fromkeys(keys, "PEM")
    return {
        "type": SECRET,
        "name": f"mesh-{name}",
        "props": {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": "istio-ingress"},
            "type": "kubernetes.io/tls",
            "stringData": string_data,
        },
    }


SERVED = ("tls.crt", "tls.key")
MUTUAL_POLICY = "cloudflare-origin-gateway-mutual-tls"
CASES += [
    _stack(
        MUTUAL_POLICY,
        [ORIGIN_CA, _secret((*SERVED, "ca.crt")), _gateway("MUTUAL")],
        False,
        "mutual-with-client-ca",
    ),
    _stack(
        MUTUAL_POLICY,
        [ORIGIN_CA, _secret(SERVED), _secret(("cacert",), "edge-tls-cacert"), _gateway("MUTUAL")],
        False,
        "client-ca-in-cacert-secret",
    ),
    _stack(
        MUTUAL_POLICY,
        [ORIGIN_CA, _secret((*SERVED, "ca.crt")), _gateway("SIMPLE")],
        True,
        "simple-tls-behind-cloudflare",
    ),
    _stack(
        MUTUAL_POLICY,
        [ORIGIN_CA, _secret(SERVED), _gateway("MUTUAL")],
        True,
        "mutual-without-client-ca",
    ),
    _stack(
        MUTUAL_POLICY,
        [ORIGIN_CA, _gateway("MUTUAL", "elsewhere")],
        True,
        "credential-secret-not-in-stack",
    ),
    _stack(
        MUTUAL_POLICY,
        [ORIGIN_CA, _secret(UNKNOWN), _gateway("MUTUAL")],
        False,
        "secret-unknown-in-preview",
    ),
    # the AWS edge: a self-signed origin certificate, no client certificate to demand
    _stack(MUTUAL_POLICY, [_secret(SERVED), _gateway("SIMPLE")], False, "not-behind-cloudflare"),
]
