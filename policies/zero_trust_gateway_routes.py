"""Zero-trust policies, routes behind the token check: what a token-protected Istio Gateway routes
is what its scope checks cover.

A Gateway whose pods refuse requests without a token (istio-gateway-requires-token) still
lets any valid token through unless a scope rule applies to the path. A VirtualService match
wider than the scope rule's paths (a raw `uri.prefix: /api/v2/orders` against scope paths
`/api/v2/orders` and `/api/v2/orders/*`: `/api/v2/orders-x` is routed, not checked) hands the
backend to any token, an ID token or a client's without the scope. Every path routed through
such a Gateway must be a public path (an exact match) or lie inside the paths of a DENY rule on
the Gateway's pods that refuses tokens without given scopes (`request.auth.claims[scope]`
`notValues`), for every host and every source.

Path coverage follows Istio's AuthorizationPolicy matching (`Operation.paths`: exact, `prefix*`,
`*suffix`, `*`): an exact URI is covered by a pattern matching it, a URI prefix only by
`prefix*` with a prefix of it (or `*`); a regex, a case-insensitive match or a match without a
URI only by `*`.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    Policy,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from .compliance import LEAST_PRIVILEGE
from .declare import stack_policy
from .istio_objects import DEFAULT_PUBLIC_PATHS, PUBLIC_PATHS_SCHEMA, decided_objects, namespace_of
from .support import as_list, config, label

CONCERN = "zero-trust"
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService"
AUTHORIZATION_POLICY = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
SCOPE_CLAIM = "request.auth.claims[scope]"


def _applies(policy: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Whether an AuthorizationPolicy selects pods labelled `labels` (no selector: all pods)."""
    selector = (policy.get("spec") or {}).get("selector") or {}
    wanted = selector.get("matchLabels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def _requires_token(spec: dict[str, Any]) -> bool:
    return spec.get("action") == "DENY" and any(
        (f.get("source") or {}).get("notRequestPrincipals") == ["*"]
        for rule in spec.get("rules") or []
        for f in rule.get("from") or []
    )


def _scope_patterns(spec: dict[str, Any]) -> list[str]:
    """The paths on which a DENY policy refuses tokens without given scopes, for every source
    and host (a rule narrowed by source, host, method or port is not counted)."""
    if spec.get("action") != "DENY":
        return []
    out: list[str] = []
    for rule in spec.get("rules") or []:
        conditions = rule.get("when") or []
        if rule.get("from") or not conditions:
            continue
        if not all(c.get("key") == SCOPE_CLAIM and c.get("notValues") for c in conditions):
            continue
        operations = [t.get("operation") or {} for t in rule.get("to") or []]
        if not operations:
            out.append("*")
        for op in operations:
            if set(op) == {"paths"}:
                out.extend(str(p) for p in op["paths"] or [])
            elif not op:
                out.append("*")
    return out


def istio_path_matches(pattern: str, path: str) -> bool:
    """Istio's AuthorizationPolicy path match: exact, `prefix*`, `*suffix` or `*`."""
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return path.endswith(pattern[1:])
    return path == pattern


def match_covered(match: dict[str, Any], patterns: list[str]) -> bool:
    """Whether every path a VirtualService `http[].match` entry routes is matched by one of the
    AuthorizationPolicy `patterns` (the module docstring's rule; the identity flow uses it too)."""
    uri = match.get("uri")
    if not isinstance(uri, dict) or match.get("ignoreUriCase"):
        return "*" in patterns
    if "exact" in uri:
        return any(istio_path_matches(p, str(uri["exact"])) for p in patterns)
    if "prefix" in uri:
        prefix = str(uri["prefix"])
        return any(p == "*" or (p.endswith("*") and prefix.startswith(p[:-1])) for p in patterns)
    return "*" in patterns


def describe_match(match: dict[str, Any]) -> str:
    """A VirtualService match as the reports say it: `prefix /x`, `exact /y` or "any path"."""
    uri = match.get("uri")
    return " ".join(f"{k} {v}" for k, v in uri.items()) if isinstance(uri, dict) else "any path"


def _gateway_routes_scoped(args: StackValidationArgs, report: ReportViolation) -> None:
    public = {str(p) for p in as_list(config(args, "publicPaths", DEFAULT_PUBLIC_PATHS))}
    objects = decided_objects(args, (GATEWAY, VIRTUAL_SERVICE, AUTHORIZATION_POLICY))
    if objects is None:
        return  # undecided: an object's namespace, bindings or rules are not known yet
    policies = [p for r, p in objects if r.resource_type == AUTHORIZATION_POLICY]
    for gateway, props in objects:
        if gateway.resource_type != GATEWAY:
            continue
        ns = namespace_of(props)
        labels = (props.get("spec") or {}).get("selector") or {}
        on_pods = [p for p in policies if namespace_of(p) == ns and _applies(p, labels)]
        if not any(_requires_token(p.get("spec") or {}) for p in on_pods):
            continue  # not token-protected: istio-gateway-requires-token reports it
        patterns = [x for p in on_pods for x in _scope_patterns(p.get("spec") or {})]
        ref = f"{ns}/{(props.get('metadata') or {}).get('name')}"
        for vs, vs_props in objects:
            if vs.resource_type != VIRTUAL_SERVICE:
                continue
            spec = vs_props.get("spec") or {}
            vs_ns = namespace_of(vs_props)
            bound = {g if "/" in g else f"{vs_ns}/{g}" for g in spec.get("gateways") or []}
            if ref not in bound:
                continue
            loose = [
                describe_match(m)
                for http in spec.get("http") or []
                for m in http.get("match") or [{}]
                if not ((m.get("uri") or {}).get("exact") in public and not m.get("ignoreUriCase"))
                and not match_covered(m, patterns)
            ]
            if loose:
                report(
                    f"{label(VIRTUAL_SERVICE, vs.name)} routes {loose} through the token-"
                    f"protected Gateway {ref}, outside every scope rule's paths {patterns} and "
                    f"the public paths {sorted(public)}: any valid token reaches the backend "
                    "there. Fix: match the route's paths exactly and below them (exact path, "
                    "prefix path/) and cover the same paths in the route's scope DENY rule "
                    "(Meridian: components/common/paths.py).",
                    vs.urn,
                )


POLICIES: list[Policy] = [
    stack_policy(
        "istio-gateway-routes-scoped",
        "Every path a VirtualService routes through a token-protected Istio Gateway is a public "
        "path (exact, `publicPaths`) or inside the paths of a DENY rule on the Gateway's pods "
        "refusing tokens without given scopes (request.auth.claims[scope] notValues).",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=LEAST_PRIVILEGE,
        types=(GATEWAY, VIRTUAL_SERVICE, AUTHORIZATION_POLICY),
        validate=_gateway_routes_scoped,
        config_schema=PUBLIC_PATHS_SCHEMA,
    ),
]
