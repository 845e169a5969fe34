"""The request flow through identity: a request reaching a region's edge Gateway on a
non-public route must carry a valid token of this environment's issuer (the global stack's
export) with one of the route's scopes; public paths are listed and nothing else is open; the
claims the services read cannot be forged by the client."""

from __future__ import annotations

from typing import Any

from components.mesh.service_mesh import INGRESS_NAMESPACE
from meridian_ops.plan.flows.harness import Flow, Graph, known
from stacks.outputs import GlobalKey

ISSUER_KEY = GlobalKey.ISSUER_URL
JWKS_KEY = GlobalKey.JWKS_URI
CLAIM_HEADERS = ("x-meridian-sub", "x-meridian-scope", "x-meridian-client-id")
GATEWAY_LABELS = {"istio": "ingressgateway"}


def _selected(graph: Graph, state: dict[str, Any]) -> bool:
    selector = graph.spec(state).get("selector") or {}
    return (selector.get("matchLabels") or selector.get("labels") or {}) == GATEWAY_LABELS


def _istio_paths(paths: list[str]) -> set[str]:
    out: set[str] = set()
    for path in paths:
        out |= {f"{path}*"} if path.endswith("/") else {path, f"{path}/*"}
    return out


def identity_flow(
    regional: Graph, global_outputs: dict[str, Any], routes: list[dict[str, Any]], server: str
) -> Flow:
    """Every link between the issuer and each route; `routes` and `server` are the API table's
    rows and the resource server's identifier, read from stacks/data."""
    flow = Flow()
    base = f"{regional.stack} gateway tokens"
    authn = [
        s
        for s in regional.kube("RequestAuthentication", namespace=INGRESS_NAMESPACE)
        if _selected(regional, s)
    ]
    rules = [r for s in authn for r in regional.spec(s).get("jwtRules") or []]
    issuer = global_outputs.get(ISSUER_KEY)
    flow.check(base, "RequestAuthentication on the gateway pods", bool(rules), "none")
    if rules:
        rule = rules[0]
        if known(issuer) and known(rule.get("issuer")):
            flow.check(
                base,
                "issuer is the environment's (global stack export)",
                rule.get("issuer") == issuer
                and rule.get("jwksUri") == global_outputs.get(JWKS_KEY),
                f"issuer {rule.get('issuer')!r} vs export {issuer!r}",
            )
        else:
            flow.pending(base, "issuer is the environment's", "unknown until the pool exists")
        flow.check(
            base,
            "token not forwarded, claims to x-meridian-* headers",
            rule.get("forwardOriginalToken") is False
            and {h["header"] for h in rule.get("outputClaimToHeaders") or []} == set(CLAIM_HEADERS),
            f"{rule}",
        )
    policies = [
        regional.spec(s)
        for s in regional.kube("AuthorizationPolicy", namespace=INGRESS_NAMESPACE)
        if _selected(regional, s)
    ]
    public = {p for r in routes if r.get("public") for p in r["paths"]}
    require = [
        p
        for p in policies
        if p.get("action") == "DENY"
        and any(
            src.get("source", {}).get("notRequestPrincipals") == ["*"]
            for rule in p.get("rules") or []
            for src in rule.get("from") or []
        )
    ]
    not_paths = [
        set(op.get("operation", {}).get("notPaths") or [])
        for p in require
        for rule in p.get("rules") or []
        for op in rule.get("to") or []
    ]
    flow.check(
        base,
        "requests without a token denied off the public paths",
        any(n == public for n in not_paths),
        f"public paths {sorted(public)}, exempted {not_paths}",
    )
    for route in routes:
        name = f"{route['id']} token"
        if route.get("public"):
            flow.check(name, "public path listed", set(route["paths"]) <= public, "not exempt")
            continue
        wanted = {f"{server}/{s}" for s in route.get("scopes") or []}
        paths = _istio_paths(route["paths"])
        scoped = any(
            p.get("action") == "DENY"
            and any(
                paths <= set(op.get("operation", {}).get("paths") or [])
                and any(
                    w.get("key") == "request.auth.claims[scope]"
                    and set(w.get("notValues") or []) == wanted
                    for w in rule.get("when") or []
                )
                for rule in p.get("rules") or []
                for op in rule.get("to") or []
            )
            for p in policies
        )
        flow.check(name, f"scope required {sorted(wanted)}", bool(wanted) and scoped, "no rule")
    strips = [
        regional.spec(s)
        for s in regional.kube("EnvoyFilter", namespace=INGRESS_NAMESPACE)
        if (regional.spec(s).get("workloadSelector") or {}).get("labels") == GATEWAY_LABELS
    ]
    removed = {
        m.get("remove")
        for f in strips
        for patch in f.get("configPatches") or []
        if (patch.get("patch") or {}).get("operation") == "INSERT_FIRST"
        for m in ((patch["patch"].get("value") or {}).get("typed_config") or {})
        .get("mutations", {})
        .get("request_mutations", [])
    }
    flow.check(
        base,
        "client-supplied claim headers removed before the JWT filter",
        set(CLAIM_HEADERS) <= removed,
        f"removed {sorted(h for h in removed if h)}",
    )
    return flow
