"""The rate-limit flow over planned graphs: for every rate-limited route of the routing table,
the edge's rule (Cloudflare http_ratelimit or an AWS WAF rate-based rule) and, in every region,
the mesh's limits (the rate-limit service's descriptors, the gateway route's actions), with the
numbers compared to the table and to each other, each dimension read from the table's header and
that header one only the gateway sets (from the validated token, the client's value removed
first), and the per-API-key limit listed once per confidential client id (the global stack's
export) with no value-less entry; and each partner tier: the service's
descriptor, the partner Gateway's route actions keyed by the tier's URI prefix, and the header the
gateway sets from the verified client certificate (client values removed first). Each route patch
is joined to the planned VirtualServices: a patch names a route some VirtualService serves on that
Gateway (else Istio's MERGE applies to nothing), and every rate-limited route's VirtualService
route, and every route of the partner Gateway, has its patch. The gateway's pods carry the global
rate-limit HTTP filter before the router, asking the rate-limit service's domain at a gRPC port of
this region's rate-limit Service. Each missing or disagreeing link is one line."""

from __future__ import annotations

import json
from typing import Any

from meridian_ops.plan.flows.harness import known
from policies.istio_objects import headers_removed_early
from stacks.outputs import GlobalKey

API_KEYS = GlobalKey.API_KEY_CLIENT_IDS
GATEWAY_LABELS = {"istio": "ingressgateway"}
RATE_LIMIT_PHASE = "http_ratelimit"
PARTNER_GATEWAY = "istio-ingress/partner"
EDGE_GATEWAY = "istio-ingress/edge"
PEER_URI_SAN = "%DOWNSTREAM_PEER_URI_SAN%"
CONFIG_MAP = "ratelimit-config"
ROUTES_FILTER = "rate-limit-routes"
GLOBAL_FILTER = "envoy.filters.http.ratelimit"
GLOBAL_TYPE = "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit"
HCM = "envoy.filters.network.http_connection_manager"
ROUTER_FILTER = "envoy.filters.http.router"
ROOT_NAMESPACE = "istio-system"
"""Istio's root configuration namespace: an EnvoyFilter there applies in every namespace."""


def _states(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [s["newState"] for s in plan["steps"]]


def edge_limits(edge: dict[str, Any]) -> dict[str, int]:
    """Route id -> requests per minute per client IP, as the edge enforces them."""
    found: dict[str, int] = {}
    for state in _states(edge):
        inputs = state.get("inputs", {})
        if state["type"] == "cloudflare:index/ruleset:Ruleset" and inputs.get("phase") == (
            RATE_LIMIT_PHASE
        ):
            for rule in inputs.get("rules", []):
                found[rule["ref"].removeprefix("rate-limit-")] = rule["ratelimit"][
                    "requestsPerPeriod"
                ]
        if state["type"] == "aws:wafv2/webAcl:WebAcl":
            for rule in inputs.get("rules", []):
                rate = rule.get("statement", {}).get("rateBasedStatement")
                if rate and rule["name"].startswith("rate-limit-"):
                    assert rate["evaluationWindowSec"] == 60, rule["name"]
                    found[rule["name"].removeprefix("rate-limit-")] = rate["limit"]
    return found


Entries = dict[tuple[str, str], dict[str | None, int]]
"""(route id, descriptor key) -> value (None: the value-less entry) -> requests per minute."""


def service_entries(regional: dict[str, Any]) -> Entries | None:
    """(route id, descriptor key) -> value (None: the value-less entry, any value) -> requests per
    minute, as the rate-limit service's configuration holds them; None while the configuration
    is unknown (a preview before the API keys' ids exist)."""
    config: Entries = {}
    for state in _states(regional):
        inputs = state.get("inputs", {})
        name = inputs.get("metadata", {}).get("name")
        if state["type"] != "kubernetes:core/v1:ConfigMap" or name != "ratelimit-config":
            continue
        text = inputs["data"]["config.yaml"]
        if not known(text):
            return None
        for entry in json.loads(text)["descriptors"]:
            if entry["key"] != "route":
                continue
            for inner in entry["descriptors"]:
                rate = inner["rate_limit"]
                assert rate["unit"] == "minute", entry
                values = config.setdefault((entry["value"], inner["key"]), {})
                values[inner.get("value")] = rate["requests_per_unit"]
    return config


def route_actions(regional: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    """(route id, descriptor key) -> the request header the edge Gateway's route reads the value
    from (None: the client address), for each action list that also sends the route."""
    actions: dict[tuple[str, str], str | None] = {}
    for state in _states(regional):
        inputs = state.get("inputs", {})
        name = inputs.get("metadata", {}).get("name")
        if not state["type"].endswith(":EnvoyFilter") or name != "rate-limit-routes":
            continue
        for patch in inputs["spec"]["configPatches"]:
            match = patch["match"]["routeConfiguration"]
            if match.get("gateway") != EDGE_GATEWAY:
                continue  # a route of that name on another Gateway is another route
            route = match["vhost"]["route"]["name"]
            for limit in patch["patch"]["value"]["route"]["rate_limits"]:
                keys = _action_keys(limit["actions"])
                if ("route", route, None) in keys:
                    actions |= {(route, k): h for k, _, h in keys if k != "route"}
    return actions


def mesh_limits(regional: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(route id, descriptor key) -> requests per minute per any value, where the rate-limit
    service's configuration has the value-less limit AND the gateway's route sends that
    descriptor."""
    config = service_entries(regional) or {}
    sent = route_actions(regional)
    return {key: values[None] for key, values in config.items() if key in sent and None in values}


def gateway_set_headers(regional: dict[str, Any]) -> set[str]:
    """The request headers only the gateway can set: written from the validated token's claims
    (the gateway pods' RequestAuthentication `outputClaimToHeaders`) and removed from the client's
    request first (a header mutation inserted first in the gateway's HTTP filters)."""
    from_claims: set[str] = set()
    removed: set[str] = set()
    for state in _states(regional):
        inputs = state.get("inputs", {})
        spec = inputs.get("spec") or {}
        if state["type"].endswith(":RequestAuthentication") and (
            (spec.get("selector") or {}).get("matchLabels") == GATEWAY_LABELS
        ):
            for rule in spec.get("jwtRules") or []:
                from_claims |= {h["header"] for h in rule.get("outputClaimToHeaders") or []}
        if not state["type"].endswith(":EnvoyFilter"):
            continue
        if (spec.get("workloadSelector") or {}).get("labels") != GATEWAY_LABELS:
            continue
        removed |= headers_removed_early(inputs)
    return from_claims & removed


def _action_keys(actions: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    """(descriptor key, fixed value or "*", the header read or None) of each action."""
    keys: set[tuple[str, str, str | None]] = set()
    for action in actions:
        if "generic_key" in action:
            generic = action["generic_key"]
            keys.add((generic["descriptor_key"], generic["descriptor_value"], None))
        elif "request_headers" in action:
            headers = action["request_headers"]
            keys.add((headers["descriptor_key"], "*", headers["header_name"]))
        elif "remote_address" in action:
            keys.add(("remote_address", "*", None))
    return keys


def api_key_ids(
    table: dict[str, Any], clients: dict[str, Any], global_outputs: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Dimension -> client row id -> the Cognito client id the global stack exports (unknown
    in a preview of the global stack), for each dimension limited per client."""
    exported = global_outputs.get(API_KEYS) or {}
    return {
        d["key"]: {
            c["id"]: exported.get(c["id"]) if isinstance(exported, dict) else exported
            for c in clients["clients"]
            if c["kind"] == d["clients"]
        }
        for d in table["dimensions"]
        if "clients" in d
    }


def _per_client(
    route: str, key: str, rate: int, ids: dict[str, Any], values: dict[str | None, int]
) -> list[str]:
    """A dimension limited per client: one limit per client id at the rate, no value-less one
    (it would limit the users of a public client together), none for another value."""
    problems: list[str] = []
    if None in values:
        problems.append(
            f"{route}: a {key} limit without a value in the mesh (it limits every value, the "
            "users of a public client together)"
        )
    listed = {v for v in values if v is not None}
    if not all(known(i) for i in ids.values()):  # ids unknown: the count is what can be seen
        if len(listed) != len(ids):
            problems.append(f"{route}: {len(listed)} {key} limits in the mesh, {len(ids)} clients")
        return problems
    for client, cid in sorted(ids.items()):
        got = values.get(cid)
        if got != rate:
            problems.append(
                f"{route}: the mesh allows {got}/min per {key} for client {client}, the table "
                f"{rate}"
            )
    for extra in sorted(listed - set(ids.values())):
        problems.append(f"{route}: a {key} limit for {extra}, which is no client of the table")
    return problems


def _mesh_route(
    route: str,
    rate: int,
    table: dict[str, Any],
    config: Entries,
    sent: dict[tuple[str, str], str | None],
    context: tuple[set[str], dict[str, dict[str, Any]]],
) -> list[str]:
    """One route's descriptors in the mesh against the table: each dimension sent from the
    table's header (a gateway-set one, never a client's), at the table's number."""
    trusted, per_client = context
    problems: list[str] = []
    for dimension in table["dimensions"]:
        key, header = dimension["key"], dimension.get("header")
        if (route, key) not in sent:
            problems.append(f"{route}: no {key} descriptor in the mesh")
            continue
        read = sent[(route, key)]
        if read != header:
            problems.append(f"{route}: the mesh reads {key} from {read}, the table from {header}")
        elif header is not None and header not in trusted:
            problems.append(
                f"{route}: the {key} header {header} is not set by the gateway from a validated "
                "token (a client can send any value)"
            )
        values = config.get((route, key), {})
        if key in per_client:
            problems += _per_client(route, key, rate, per_client[key], values)
        elif values.get(None) != rate:
            got = values.get(None)
            if got is None:
                problems.append(f"{route}: no {key} descriptor in the mesh")
            else:
                problems.append(f"{route}: the mesh allows {got}/min per {key}, the table {rate}")
    return problems


# --- the links between the route patches, the Gateways' routes and the gateway's filter ----------


def _gateway_ref(ref: str, namespace: str) -> str:
    """A VirtualService's `gateways` entry as namespace/name (a bare name is a Gateway of the
    VirtualService's own namespace)."""
    return ref if "/" in ref else f"{namespace}/{ref}"


def _envoy_route_names(http: dict[str, Any]) -> dict[str, set[str]]:
    """One VirtualService http route's Envoy route names -> the URI paths (prefix or exact) each
    matches. Istio names the Envoy route after the http route's `name`, joined by a dot with a
    match's own `name` where the match has one (VirtualService HTTPRoute.name); an unnamed route
    is "", which no patch names."""
    name = http.get("name") or ""
    names: dict[str, set[str]] = {}
    for match in http.get("match") or [{}]:
        full = f"{name}.{match['name']}" if name and match.get("name") else name
        uri = match.get("uri") or {}
        names.setdefault(full, set()).update(str(uri[k]) for k in ("prefix", "exact") if k in uri)
    return names


def gateway_routes(regional: dict[str, Any]) -> dict[str, dict[str, set[str]]]:
    """Gateway (namespace/name) -> Envoy route name -> URI paths, over the http routes of every
    VirtualService bound to that Gateway (`mesh` binds the sidecars, no Gateway)."""
    found: dict[str, dict[str, set[str]]] = {}
    for state in _states(regional):
        if not state["type"].endswith(":VirtualService"):
            continue
        inputs = state.get("inputs", {})
        namespace = (inputs.get("metadata") or {}).get("namespace") or "default"
        spec = inputs.get("spec") or {}
        for ref in spec.get("gateways") or []:
            if ref == "mesh":
                continue
            routes = found.setdefault(_gateway_ref(ref, namespace), {})
            for http in spec.get("http") or []:
                for name, paths in _envoy_route_names(http).items():
                    routes.setdefault(name, set()).update(paths)
    return found


def _gateway_selectors(regional: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Gateway (namespace/name) -> the labels of the proxy pods it configures (its selector)."""
    return {
        f"{state['inputs']['metadata'].get('namespace', 'default')}/"
        f"{state['inputs']['metadata']['name']}": (state["inputs"].get("spec") or {}).get(
            "selector"
        )
        or {}
        for state in _states(regional)
        if state["type"].startswith("kubernetes:networking.istio.io/")
        and state["type"].endswith(":Gateway")
    }


def _on_gateway_pods(inputs: dict[str, Any], gateway: str, selector: dict[str, str]) -> bool:
    """Whether an EnvoyFilter applies to the Gateway's proxy pods: in the Gateway's namespace
    (where its pods run) or Istio's root namespace, with a workload selector no wider in labels
    than the Gateway's selector (every label it asks for, the pods carry)."""
    namespace = (inputs.get("metadata") or {}).get("namespace")
    if namespace not in (gateway.split("/")[0], ROOT_NAMESPACE) or not selector:
        return False
    labels = ((inputs.get("spec") or {}).get("workloadSelector") or {}).get("labels") or {}
    return all(selector.get(k) == v for k, v in labels.items())


def _gateway_filters(regional: dict[str, Any], gateway: str) -> list[dict[str, Any]]:
    """The EnvoyFilters on the Gateway's proxy pods (their inputs)."""
    selector = _gateway_selectors(regional).get(gateway) or {}
    return [
        state.get("inputs", {})
        for state in _states(regional)
        if state["type"].endswith(":EnvoyFilter")
        and _on_gateway_pods(state.get("inputs", {}), gateway, selector)
    ]


def route_patches(regional: dict[str, Any]) -> dict[str, set[str]]:
    """Gateway -> the route names the rate-limit routes EnvoyFilter, on that Gateway's pods,
    merges `rate_limits` into (HTTP_ROUTE patches, MERGE, in the GATEWAY context)."""
    patched: dict[str, set[str]] = {}
    for gateway in _gateway_selectors(regional):
        for inputs in _gateway_filters(regional, gateway):
            if inputs["metadata"].get("name") != ROUTES_FILTER:
                continue
            for patch in inputs["spec"].get("configPatches") or []:
                match = patch.get("match") or {}
                config = match.get("routeConfiguration") or {}
                if (
                    patch.get("applyTo") == "HTTP_ROUTE"
                    and patch["patch"].get("operation") == "MERGE"
                    and match.get("context") == "GATEWAY"
                    and config.get("gateway") == gateway
                    and "rate_limits" in (patch["patch"].get("value") or {}).get("route", {})
                ):
                    name = ((config.get("vhost") or {}).get("route") or {}).get("name")
                    patched.setdefault(gateway, set()).add(str(name or ""))
    return patched


def _patches_without_routes(regional: dict[str, Any], gateway: str) -> list[tuple[str, str]]:
    """(route name, line) for each route the rate-limit patches name on the Gateway that no
    VirtualService bound to it serves."""
    served = gateway_routes(regional).get(gateway, {})
    return [
        (
            name,
            f"the rate-limit patch of route {name} on {gateway} matches no VirtualService route "
            "of that Gateway (the MERGE applies to nothing)",
        )
        for name in sorted(route_patches(regional).get(gateway, set()) - set(served))
    ]


def edge_route_links(
    routes: list[dict[str, Any]], table: dict[str, Any], regional: dict[str, Any]
) -> list[str]:
    """The edge Gateway's patches joined to its VirtualServices: each patch's route served on
    the Gateway, and each rate-limited route of the tables (by its paths) served by
    VirtualService routes that each carry a patch."""
    served = gateway_routes(regional).get(EDGE_GATEWAY, {})
    patched = route_patches(regional).get(EDGE_GATEWAY, set())
    problems = [f"{name}: {line}" for name, line in _patches_without_routes(regional, EDGE_GATEWAY)]
    by_id = {r["id"]: r for r in routes}
    limited = {
        r["id"] for r in routes if r.get("rateLimitPerMinute") is not None and not r.get("internal")
    } | {r["route"] for r in table.get("routes", [])}
    for route in sorted(limited):
        row = by_id.get(route)
        if row is None or row.get("backend") is None:
            continue  # no gateway route to attach to (pending backend)
        paths = set(row.get("paths") or [])
        serving = sorted(name for name, matched in served.items() if matched & paths)
        if not serving:
            problems.append(
                f"{route}: no VirtualService route on {EDGE_GATEWAY} serves {sorted(paths)}"
            )
        for name in serving:
            if name not in patched:
                problems.append(
                    f"{route}: the VirtualService route {name or '(unnamed)'} serving "
                    f"{sorted(served[name] & paths)} on {EDGE_GATEWAY} has no rate-limit patch"
                )
    return problems


def partner_route_links(regional: dict[str, Any]) -> list[str]:
    """The partner Gateway's patches joined to its VirtualServices: each patch's route served on
    the Gateway and each route served there patched (the tiers hold on every partner route)."""
    served = gateway_routes(regional).get(PARTNER_GATEWAY, {})
    patched = route_patches(regional).get(PARTNER_GATEWAY, set())
    problems = [line for _, line in _patches_without_routes(regional, PARTNER_GATEWAY)]
    problems += [
        f"the route {name or '(unnamed)'} of {PARTNER_GATEWAY} has no rate-limit patch"
        for name in sorted(set(served) - patched)
    ]
    return problems


def _service_configuration(regional: dict[str, Any]) -> tuple[str, Any] | None:
    """(namespace, domain) of the rate-limit service's configuration ConfigMap; the domain is
    None while the configuration is unknown."""
    for state in _states(regional):
        inputs = state.get("inputs", {})
        meta = inputs.get("metadata") or {}
        if state["type"] == "kubernetes:core/v1:ConfigMap" and meta.get("name") == CONFIG_MAP:
            text = (inputs.get("data") or {}).get("config.yaml")
            domain = json.loads(str(text)).get("domain") if known(text) else None
            return meta.get("namespace") or "default", domain
    return None


def _port_protocol(port: dict[str, Any]) -> str:
    """A Service port's protocol as Istio selects it: `appProtocol` when set, else the port
    name's `<protocol>[-<suffix>]` prefix (`grpc-web` is a protocol of its own)."""
    if port.get("appProtocol"):
        return str(port["appProtocol"])
    name = str(port.get("name") or "")
    return "grpc-web" if name.startswith("grpc-web") else name.split("-")[0]


def service_clusters(regional: dict[str, Any], namespace: str) -> set[str]:
    """The Envoy clusters of the region's rate-limit service: `outbound|<port>||<service>.
    <namespace>.svc.cluster.local` for each Service port in `namespace` Istio takes for gRPC
    (`_port_protocol`: the gRPC client needs HTTP/2 to the upstream) whose target is a
    container port of a Deployment mounting the service's configuration ConfigMap, the Service's
    selector within the Deployment's pod labels."""
    pods: list[tuple[dict[str, str], set[Any]]] = []
    services: list[dict[str, Any]] = []
    for state in _states(regional):
        inputs = state.get("inputs", {})
        if (inputs.get("metadata") or {}).get("namespace") != namespace:
            continue
        if state["type"] == "kubernetes:apps/v1:Deployment":
            template = inputs["spec"]["template"]
            pod = template.get("spec") or {}
            volumes = [(v.get("configMap") or {}).get("name") for v in pod.get("volumes") or []]
            if CONFIG_MAP in volumes:
                ports = {
                    x
                    for c in pod.get("containers") or []
                    for p in c.get("ports") or []
                    for x in (p.get("containerPort"), p.get("name"))
                    if x is not None
                }
                pods.append(((template.get("metadata") or {}).get("labels") or {}, ports))
        if state["type"] == "kubernetes:core/v1:Service":
            services.append(inputs)
    clusters: set[str] = set()
    for service in services:
        selector = (service.get("spec") or {}).get("selector") or {}
        targets = {
            x
            for labels, ports in pods
            if selector and all(labels.get(k) == v for k, v in selector.items())
            for x in ports
        }
        for port in (service.get("spec") or {}).get("ports") or []:
            if _port_protocol(port) == "grpc" and (
                port.get("targetPort", port.get("port")) in targets
            ):
                host = f"{service['metadata']['name']}.{namespace}.svc.cluster.local"
                clusters.add(f"outbound|{port['port']}||{host}")
    return clusters


def _placed_before_router(patch: dict[str, Any]) -> bool:
    """An HTTP filter patch that puts its filter ahead of the router in the gateway's HTTP
    connection manager (inserted before the router, or first)."""
    match = patch.get("match") or {}
    chain = ((match.get("listener") or {}).get("filterChain") or {}).get("filter") or {}
    operation = patch["patch"].get("operation")
    return (
        match.get("context") in ("GATEWAY", "ANY", None)
        and chain.get("name") == HCM
        and (
            operation == "INSERT_FIRST"
            or (
                operation == "INSERT_BEFORE"
                and (chain.get("subFilter") or {}).get("name") == ROUTER_FILTER
            )
        )
    )


def global_filter_links(regional: dict[str, Any], gateway: str) -> list[str]:
    """The global rate-limit HTTP filter on the Gateway's proxy pods: present, before the
    router, of the RateLimit v3 type, asking the domain of the service's configuration at one of
    this region's rate-limit Service's gRPC clusters over the v3 API (Envoy's ratelimit filter
    refuses another `transport_api_version`: checkTransportVersion) (empty: the links hold)."""
    configuration = _service_configuration(regional)
    if configuration is None:
        return [f"no rate-limit service configuration ({CONFIG_MAP}) for {gateway} to ask"]
    namespace, domain = configuration
    clusters = service_clusters(regional, namespace)
    where = f"the global rate-limit filter on the pods of {gateway}"
    patches = [
        patch
        for inputs in _gateway_filters(regional, gateway)
        for patch in inputs["spec"].get("configPatches") or []
        if patch.get("applyTo") == "HTTP_FILTER"
        and (patch["patch"].get("value") or {}).get("name") == GLOBAL_FILTER
    ]
    if not patches:
        return [f"no global rate-limit filter ({GLOBAL_FILTER}) on the pods of {gateway}"]
    problems: list[str] = []
    for patch in patches:
        typed = patch["patch"]["value"].get("typed_config") or {}
        service = typed.get("rate_limit_service") or {}
        cluster = ((service.get("grpc_service") or {}).get("envoy_grpc") or {}).get("cluster_name")
        if not _placed_before_router(patch):
            problems.append(f"{where} is not inserted before the router")
        if typed.get("@type") != GLOBAL_TYPE:
            problems.append(f"{where} is of type {typed.get('@type')}, not {GLOBAL_TYPE}")
        if domain is not None and typed.get("domain") != domain:
            problems.append(
                f"{where} asks domain {typed.get('domain')}, the rate-limit service's "
                f"configuration is for {domain}"
            )
        if cluster not in clusters:
            problems.append(
                f"{where} calls {cluster}, no gRPC port of the rate-limit Service in {namespace} "
                f"of this region ({', '.join(sorted(clusters)) or 'none'})"
            )
        if service.get("transport_api_version") != "V3":
            problems.append(f"{where} speaks {service.get('transport_api_version')}, not V3")
    return problems


def rate_limit_flow(
    routes: list[dict[str, Any]],
    table: dict[str, Any],
    edge: dict[str, Any],
    regional: dict[str, Any],
    global_outputs: dict[str, Any],
    clients: dict[str, Any],
) -> list[str]:
    """Every missing or disagreeing link, one line each (empty: the flow holds). `clients` is
    identity_clients.json; `global_outputs` the global stack's (the API keys' client ids)."""
    problems: list[str] = []
    at_edge = edge_limits(edge)
    config = service_entries(regional)
    if config is None:
        return ["the rate-limit service's configuration is unknown"]
    sent = route_actions(regional)
    context = (gateway_set_headers(regional), api_key_ids(table, clients, global_outputs))
    for row in routes:
        rate = row.get("rateLimitPerMinute")
        if rate is None or row.get("internal"):
            continue
        route = row["id"]
        edge_rate = at_edge.get(route)
        if edge_rate is None:
            problems.append(f"{route}: no rate limit at the edge")
        elif edge_rate != max(rate, 10) and edge_rate != rate:
            problems.append(f"{route}: the edge allows {edge_rate}/min, the table {rate}/min")
        if row.get("backend") is None:
            continue  # no gateway route to attach to (pending backend)
        problems += _mesh_route(route, rate, table, config, sent, context)
    problems += edge_route_links(routes, table, regional)
    problems += global_filter_links(regional, EDGE_GATEWAY)
    in_mesh = mesh_limits(regional)
    for row in table.get("routes", []):
        got = in_mesh.get((row["route"], row["dimension"]))
        if got != row["requestsPerMinute"]:
            problems.append(
                f"{row['route']}: the mesh allows {got}/min per {row['dimension']}, "
                f"the table {row['requestsPerMinute']}"
            )
    return problems


def partner_tier_limits(regional: dict[str, Any], table: dict[str, Any]) -> dict[str, int]:
    """Tier -> requests per minute per partner, where the service has the limit, every route of
    the partner Gateway sends (tier, partner) keyed by the tier's URI prefix on the partner
    header, and the gateway sets that header from the peer certificate after removing it."""
    header, prefix = table["partnerHeader"], table["partnerUriPrefix"]
    config: dict[str, int] = {}
    per_route: list[set[str]] = []
    identity = False
    for state in _states(regional):
        inputs = state.get("inputs", {})
        name = inputs.get("metadata", {}).get("name")
        if state["type"] == "kubernetes:core/v1:ConfigMap" and name == "ratelimit-config":
            for entry in json.loads(inputs["data"]["config.yaml"])["descriptors"]:
                for inner in entry.get("descriptors", []):
                    if entry["key"] == "tier" and inner["key"] == "partner":
                        config[entry["value"]] = inner["rate_limit"]["requests_per_unit"]
        if not state["type"].endswith(":EnvoyFilter"):
            continue
        for patch in inputs["spec"]["configPatches"]:
            if name == "rate-limit-routes" and (
                patch["match"]["routeConfiguration"].get("gateway") == PARTNER_GATEWAY
            ):
                per_route.append(_tiers_sent(patch, header, prefix))
            if patch.get("applyTo") == "HTTP_FILTER" and patch["patch"]["operation"] == (
                "INSERT_FIRST"
            ):
                mutations = (
                    patch["patch"]["value"].get("typed_config", {}).get("mutations", {})
                ).get("request_mutations", [])
                identity |= mutations[:2] == [
                    {"remove": header},
                    {
                        "append": {
                            "header": {"key": header, "value": PEER_URI_SAN},
                            "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                        }
                    },
                ]
    if not identity or not per_route:
        return {}
    sent = set.intersection(*per_route)
    return {tier: rate for tier, rate in config.items() if tier in sent}


def _tiers_sent(patch: dict[str, Any], header: str, prefix: str) -> set[str]:
    tiers: set[str] = set()
    for limit in patch["patch"]["value"]["route"]["rate_limits"]:
        actions = limit["actions"]
        matched = [a["header_value_match"] for a in actions if "header_value_match" in a]
        keyed = [a["request_headers"] for a in actions if "request_headers" in a]
        for m in matched:
            tier = m.get("descriptor_value")
            if (
                m.get("descriptor_key") == "tier"
                and m.get("headers")
                == [{"name": header, "string_match": {"prefix": f"{prefix}{tier}:"}}]
                and {"header_name": header, "descriptor_key": "partner"} in keyed
            ):
                tiers.add(tier)
    return tiers


def partner_tier_flow(table: dict[str, Any], regional: dict[str, Any]) -> list[str]:
    """Every partner tier of the table enforced per partner at its rate, on every route of the
    partner Gateway, by the global filter of that Gateway's pods (empty: the flow holds); a
    broken route or filter link is a line for each tier."""
    got = partner_tier_limits(regional, table)
    links = partner_route_links(regional) + global_filter_links(regional, PARTNER_GATEWAY)
    problems: list[str] = []
    for row in table.get("tiers", []):
        tier = f"partner tier {row['tier']}"
        if got.get(row["tier"]) != row["requestsPerMinute"]:
            problems.append(
                f"{tier}: the mesh allows {got.get(row['tier'])}/min per partner, "
                f"the table {row['requestsPerMinute']}"
            )
        problems += [f"{tier}: {line}" for line in links]
    return problems
