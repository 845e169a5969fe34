"""The rate-limit flow in every region of dev, staging (the AWS edge) and prod, up and preview:
every rate-limited route has a limit at the edge and in the mesh and the numbers agree with the
tables; the per-API-key limit is keyed on the validated token's client id, once per confidential
client and never for every value; each route patch names a route a VirtualService serves on
its Gateway and each rate-limited (and partner) route has its patch; the global filter sits
before the router on the gateway's pods, asking the service's domain at this region's rate-limit
Service; each link removed from a copy of the planned graph is reported. Also the gateway's
filters (global check failing open only beside the local bucket), the rate-limit store's TLS and
authentication, the service's pod hardening, and the table's bad input."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from meridian_ops.plan.flows.rate_limit import partner_tier_flow, rate_limit_flow
from stacks.outputs import GlobalKey
from stacks.rate_limit_settings import rate_limit_table_problems
from tests.plans import editable, planned
from tests.policies.cases_common import UNKNOWN

ROOT = Path(__file__).resolve().parents[2]
ROUTES = json.loads((ROOT / "stacks/data/api_routes.json").read_text())
TABLE = json.loads((ROOT / "stacks/data/rate_limits.json").read_text())
CLIENTS = json.loads((ROOT / "stacks/data/identity_clients.json").read_text())
ENVIRONMENTS = ("dev", "staging", "prod")
CONFIDENTIAL = [c["id"] for c in CLIENTS["clients"] if c["kind"] == "confidential"]
PUBLIC = [c["id"] for c in CLIENTS["clients"] if c["kind"] == "public"]
API_KEY_HEADER = "x-meridian-client-id"
"""Where the gateway's JWT validation writes the access token's client_id claim
(components/identity/gateway_auth.py), as a literal."""


def _stacks(env: str, preview: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    plans = planned(env, preview)
    regional = [p for n, p in plans.items() if n not in (f"{env}-edge", f"{env}-global")]
    return plans[f"{env}-edge"], regional


def _deployed_global(env: str) -> dict[str, Any]:
    """The global stack's outputs as the regional stacks read them: a preview reads the deployed
    (up-mode) global stack."""
    return planned(env, False)[f"{env}-global"]["outputs"]


def _flow(
    edge: dict[str, Any],
    plan: dict[str, Any],
    env: str = "dev",
    routes: list[dict[str, Any]] | None = None,
    table: dict[str, Any] | None = None,
    clients: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
) -> list[str]:
    return rate_limit_flow(
        routes or ROUTES["routes"],
        table or TABLE,
        edge,
        plan,
        outputs if outputs is not None else _deployed_global(env),
        clients or CLIENTS,
    )


def _named(plan: dict[str, Any], suffix: str, name: str) -> dict[str, Any]:
    found = [
        s["newState"]["inputs"]
        for s in plan["steps"]
        if s["newState"]["type"].endswith(suffix)
        and s["newState"]["inputs"].get("metadata", {}).get("name") == name
    ]
    assert len(found) == 1, (suffix, name, len(found))
    return found[0]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_edge_and_mesh_limits_agree_with_the_tables(env: str, preview: bool) -> None:
    edge, regional = _stacks(env, preview)
    assert regional
    for plan in regional:
        assert _flow(edge, plan, env) == []
        # the global stack's own preview, its client ids unknown: the count of limits is checked
        unknown = planned(env, preview)[f"{env}-global"]["outputs"]
        assert _flow(edge, plan, env, outputs=unknown) == []


def _without(plan: dict[str, Any], predicate: Any) -> dict[str, Any]:
    copied = copy.deepcopy(plan)
    copied["steps"] = [s for s in copied["steps"] if not predicate(s["newState"])]
    return copied


def test_removed_links_are_reported() -> None:
    edge, regional = _stacks("dev", False)
    plan = regional[0]
    no_config = _without(
        plan, lambda s: s["inputs"].get("metadata", {}).get("name") == "ratelimit-config"
    )
    lines = _flow(edge, no_config)
    assert "users: no user descriptor in the mesh" in lines
    assert any(line.startswith("chat: the mesh allows None/min per user") for line in lines)

    no_routes = _without(
        plan, lambda s: s["inputs"].get("metadata", {}).get("name") == "rate-limit-routes"
    )
    assert "payments: no remote_address descriptor in the mesh" in _flow(edge, no_routes)

    no_edge = _without(edge, lambda s: s["type"] == "cloudflare:index/ruleset:Ruleset")
    assert "orders: no rate limit at the edge" in _flow(no_edge, plan)

    changed = copy.deepcopy(ROUTES["routes"])
    next(r for r in changed if r["id"] == "search")["rateLimitPerMinute"] = 499
    lines = _flow(edge, plan, routes=changed)
    assert "search: the edge allows 500/min, the table 499/min" in lines
    assert (
        f"search: the mesh allows 500/min per api_key for client {CONFIDENTIAL[0]}, the table 499"
        in lines
    )
    assert "search: the mesh allows 500/min per user, the table 499" in lines


def _edited(plan: dict[str, Any], name: str, edit: Any) -> dict[str, Any]:
    copied = copy.deepcopy(plan)
    for step in copied["steps"]:
        inputs = step["newState"]["inputs"]
        if inputs.get("metadata", {}).get("name") == name:
            edit(inputs)
    return copied


def _rate_limited_routes() -> list[str]:
    return [
        r["id"]
        for r in ROUTES["routes"]
        if r.get("rateLimitPerMinute") is not None
        and not r.get("internal")
        and r.get("backend") is not None
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_api_key_limits_are_one_per_confidential_client_on_the_validated_claim(
    env: str, preview: bool
) -> None:
    """Read from the planned graph, not through the flow: every rate-limited route limits
    exactly the confidential clients' ids (the global stack's export), each at the route's
    number, with no value-less api_key entry, from the header the JWT validation writes."""
    ids = _deployed_global(env)[GlobalKey.API_KEY_CLIENT_IDS]
    assert sorted(ids) == sorted(CONFIDENTIAL) and set(ids).isdisjoint(PUBLIC)
    rates = {r["id"]: r["rateLimitPerMinute"] for r in ROUTES["routes"]}
    for plan in _stacks(env, preview)[1]:
        config = json.loads(
            _named(plan, "core/v1:ConfigMap", "ratelimit-config")["data"]["config.yaml"]
        )
        by_route = {
            d["value"]: d["descriptors"] for d in config["descriptors"] if d["key"] == "route"
        }
        for route in _rate_limited_routes():
            api_keys = [d for d in by_route[route] if d["key"] == "api_key"]
            assert {d.get("value") for d in api_keys} == set(ids.values()), route
            assert {d["rate_limit"]["requests_per_unit"] for d in api_keys} == {rates[route]}
        spec = _named(plan, ":EnvoyFilter", "rate-limit-routes")["spec"]
        read = {
            action["request_headers"]["header_name"]
            for patch in spec["configPatches"]
            for limit in patch["patch"]["value"]["route"]["rate_limits"]
            for action in limit["actions"]
            if action.get("request_headers", {}).get("descriptor_key") == "api_key"
        }
        assert read == {API_KEY_HEADER}


def api_key_read_from(header: str) -> Any:
    """An edit of the rate-limit route patches: the `api_key` actions read `header`."""

    def edit(inputs: dict[str, Any]) -> None:
        for patch in inputs["spec"]["configPatches"]:
            for limit in patch["patch"]["value"]["route"]["rate_limits"]:
                for action in limit["actions"]:
                    headers = action.get("request_headers", {})
                    if headers.get("descriptor_key") == "api_key":
                        headers["header_name"] = header

    return edit


def test_an_api_key_read_from_a_client_supplied_header_is_reported() -> None:
    edge, regional = _stacks("dev", False)
    forged = _edited(regional[0], "rate-limit-routes", api_key_read_from("x-api-key"))
    lines = _flow(edge, forged)
    assert (
        "users: the mesh reads api_key from x-api-key, the table from x-meridian-client-id" in lines
    )
    # the table itself naming a header nothing validates: the header is not the gateway's
    table = copy.deepcopy(TABLE)
    next(d for d in table["dimensions"] if d["key"] == "api_key")["header"] = "x-api-key"
    lines = _flow(edge, forged, table=table)
    assert (
        "users: the api_key header x-api-key is not set by the gateway from a validated token "
        "(a client can send any value)"
    ) in lines
    # the claim headers' strip filter gone: a client could send its own client id
    unstripped = _without(
        regional[0], lambda s: s["inputs"].get("metadata", {}).get("name") == "strip-claim-headers"
    )
    lines = _flow(edge, unstripped)
    assert len([x for x in lines if "x-meridian-client-id is not set by the gateway" in x]) == len(
        _rate_limited_routes()
    )


def _config_edit(change: Any) -> Any:
    def edit(inputs: dict[str, Any]) -> None:
        config = json.loads(inputs["data"]["config.yaml"])
        for entry in config["descriptors"]:
            if entry["key"] == "route":
                change(entry)
        inputs["data"]["config.yaml"] = json.dumps(config)

    return edit


def test_a_value_less_api_key_limit_is_reported() -> None:
    edge, regional = _stacks("dev", False)

    def add(entry: dict[str, Any]) -> None:
        rate = entry["descriptors"][0]["rate_limit"]
        entry["descriptors"].append({"key": "api_key", "rate_limit": rate})

    lines = _flow(edge, _edited(regional[0], "ratelimit-config", _config_edit(add)))
    assert (
        "orders: a api_key limit without a value in the mesh (it limits every value, the users "
        "of a public client together)"
    ) in lines


def test_a_confidential_client_without_its_limit_is_reported() -> None:
    edge, regional = _stacks("dev", False)
    outputs = copy.deepcopy(_deployed_global("dev"))
    ids = outputs[GlobalKey.API_KEY_CLIENT_IDS]

    def drop(entry: dict[str, Any]) -> None:
        entry["descriptors"] = [
            d for d in entry["descriptors"] if d.get("value") not in ids.values()
        ]

    lines = _flow(edge, _edited(regional[0], "ratelimit-config", _config_edit(drop)))
    assert (
        f"search: the mesh allows None/min per api_key for client {CONFIDENTIAL[0]}, the table 500"
        in lines
    )
    # a second machine client in the table and the export, but not in the mesh
    clients = copy.deepcopy(CLIENTS)
    clients["clients"].append({**clients["clients"][-1], "id": "batch-m2m"})
    ids["batch-m2m"] = "5ok0batchclientid0000000000"
    lines = _flow(edge, regional[0], clients=clients, outputs=outputs)
    assert (
        "search: the mesh allows None/min per api_key for client batch-m2m, the table 500" in lines
    )
    # the ids unknown (the global stack's preview): a missing limit still shows in the count
    unknown: dict[str, Any] = {GlobalKey.API_KEY_CLIENT_IDS: dict.fromkeys(ids, UNKNOWN)}
    lines = _flow(edge, regional[0], clients=clients, outputs=unknown)
    assert "search: 1 api_key limits in the mesh, 2 clients" in lines


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_global_check_fails_open_beside_the_local_bucket(preview: bool) -> None:
    plan = _stacks("prod", preview)[1][0]
    spec = _named(plan, ":EnvoyFilter", "rate-limit-filters")["spec"]
    assert spec["workloadSelector"] == {"labels": {"istio": "ingressgateway"}}
    values = [p["patch"]["value"] for p in spec["configPatches"]]
    assert [v["name"] for v in values] == [
        "envoy.filters.http.local_ratelimit",
        "envoy.filters.http.ratelimit",
    ]
    local, global_ = (v["typed_config"] for v in values)
    assert global_["failure_mode_deny"] is False
    assert global_["enable_x_ratelimit_headers"] == "DRAFT_VERSION_03"
    assert global_["domain"] == TABLE["domain"]
    cluster = global_["rate_limit_service"]["grpc_service"]["envoy_grpc"]["cluster_name"]
    assert cluster == "outbound|8081||ratelimit.rate-limit.svc.cluster.local"
    assert {h["header"]["key"] for h in global_["response_headers_to_add"]} == {"retry-after"}
    bucket = local["token_bucket"]
    assert bucket["max_tokens"] == TABLE["localBurstFactor"] * bucket["tokens_per_fill"]
    for patch in spec["configPatches"]:
        assert patch["patch"]["operation"] == "INSERT_BEFORE"
        sub = patch["match"]["listener"]["filterChain"]["filter"]["subFilter"]
        assert sub == {"name": "envoy.filters.http.router"}


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_store_is_encrypted_authenticated_and_scoped(preview: bool) -> None:
    plan = _stacks("prod", preview)[1][0]
    states = [s["newState"] for s in plan["steps"]]
    groups = [
        s
        for s in states
        if s["type"] == "aws:elasticache/replicationGroup:ReplicationGroup"
        and "rate-limit" in s["urn"]
    ]
    assert len(groups) == 1
    group = groups[0]["inputs"]
    assert group["transitEncryptionEnabled"] is True
    assert group["transitEncryptionMode"] == "required"
    assert group["atRestEncryptionEnabled"] is True
    assert group["kmsKeyId"] and group["userGroupIds"]
    assert groups[0].get("protect") is True
    users = {
        s["inputs"]["userName"]: s["inputs"]
        for s in states
        if s["type"] == "aws:elasticache/user:User" and "rate-limit" in s["urn"]
    }
    assert users["default"]["accessString"].startswith("off")
    assert users["ratelimit"]["accessString"].startswith("on ~ratelimit:* ")
    assert users["ratelimit"]["authenticationMode"]["type"] == "password"
    deployment = _named(plan, "apps/v1:Deployment", "ratelimit")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["REDIS_TLS"]["value"] == "true"
    assert env["CACHE_KEY_PREFIX"]["value"] == "ratelimit:"
    assert "value" not in env["REDIS_AUTH"]
    assert env["REDIS_AUTH"]["valueFrom"]["secretKeyRef"]["name"] == "ratelimit-redis"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    authz = _named(plan, ":AuthorizationPolicy", "allow-ingress-gateway")["spec"]
    assert authz["rules"] == [
        {
            "from": [
                {
                    "source": {
                        "principals": ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"]
                    }
                }
            ],
            "to": [{"operation": {"ports": ["8081"]}}],
        }
    ]


def test_table_rows_for_unknown_routes_and_tiers_without_rates_are_refused() -> None:
    assert rate_limit_table_problems(TABLE, ROUTES) == []
    bad = copy.deepcopy(TABLE)
    bad["routes"][0]["route"] = "chat-v3"
    bad["tiers"][1].pop("requestsPerMinute")
    lines = [p.render() for p in rate_limit_table_problems(bad, ROUTES)]
    assert len(lines) == 2, lines
    assert "routes[0].route" in lines[0] and "chat-v3" in lines[0]
    assert "api_routes.json" in lines[0]
    assert "tiers[1] (business).requestsPerMinute" in lines[1]
    assert "set requestsPerMinute" in lines[1]


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ({"route": "users", "dimension": "user"}, "limits route users per user a second time"),
        ({"route": "chat", "dimension": "user"}, "limits route chat per user a second time"),
    ],
    ids=["over-the-routing-table", "repeated-row"],
)
def test_a_second_limit_for_one_route_and_dimension_is_refused(
    row: dict[str, Any], said: str
) -> None:
    """The rate-limit service refuses a configuration holding one descriptor key twice
    (envoyproxy/ratelimit: duplicate descriptor composite key), so the table may give a route
    one number per dimension: the routing table's, or one row of its own."""
    bad = copy.deepcopy(TABLE)
    bad["routes"].append({**row, "requestsPerMinute": 30, "what": "a second number"})
    lines = [p.render() for p in rate_limit_table_problems(bad, ROUTES)]
    assert len(lines) == 1, lines
    assert f"routes[{len(bad['routes']) - 1}].dimension" in lines[0], lines[0]
    assert said in lines[0] and "Fix: " in lines[0], lines[0]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_websocket_route_is_sticky_by_user_and_long_lived(preview: bool) -> None:
    plan = _stacks("dev", preview)[1][0]
    chat = next(r for r in ROUTES["routes"] if r["method"] == "WS")
    states = [s["newState"]["inputs"] for s in plan["steps"]]
    served = [
        s["spec"]["http"][0]
        for s in states
        if s.get("kind") == "VirtualService" and s["spec"]["http"][0].get("name") == chat["id"]
    ]
    assert len(served) == 1
    assert served[0]["timeout"] == "0s"  # the upgraded stream outlives any route deadline
    host = served[0]["route"][0]["destination"]["host"]
    rules = [
        s["spec"]
        for s in states
        if s.get("kind") == "DestinationRule" and s["spec"]["host"] == host
    ]
    assert len(rules) == 1
    policy = rules[0]["trafficPolicy"]
    # "Sticky sessions - consistent hashing by user ID": the JWT subject header.
    assert policy["loadBalancer"] == {"consistentHash": {"httpHeaderName": "x-meridian-sub"}}
    # "Heartbeat ping/pong - 30s interval": idle for three heartbeats = dead.
    assert policy["connectionPool"]["http"]["idleTimeout"] == "90s"
    # the upgrade request counts against the per-user limit of the rate-limit table
    per_user = next(r for r in TABLE["routes"] if r["route"] == chat["id"])
    assert per_user["dimension"] == "user" and per_user["requestsPerMinute"] == 60


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_partner_tiers_are_enforced_per_partner_on_the_partner_gateway(
    env: str, preview: bool
) -> None:
    rates = sorted(t["requestsPerMinute"] for t in TABLE["tiers"])
    assert rates[0] == 10_000 and rates[-1] == 1_000_000  # architecture: 10k-1M req/min by tier
    for plan in _stacks(env, preview)[1]:
        assert partner_tier_flow(TABLE, plan) == []


def _without_identity(plan: dict[str, Any]) -> dict[str, Any]:
    broken = copy.deepcopy(plan)
    broken["steps"] = [
        s
        for s in broken["steps"]
        if s["newState"]["inputs"].get("metadata", {}).get("name") != "partner-identity"
    ]
    return broken


def test_without_the_certificate_identity_no_tier_holds() -> None:
    plan = _stacks("dev", False)[1][0]
    lines = partner_tier_flow(TABLE, _without_identity(plan))
    assert len(lines) == len(TABLE["tiers"]) and "per partner" in lines[0], lines


def test_a_forgeable_partner_header_breaks_the_tiers() -> None:
    plan = copy.deepcopy(_stacks("dev", False)[1][0])
    for step in plan["steps"]:
        inputs = step["newState"]["inputs"]
        if inputs.get("metadata", {}).get("name") == "partner-identity":
            mutations = inputs["spec"]["configPatches"][0]["patch"]["value"]["typed_config"]
            mutations["mutations"]["request_mutations"].pop(0)  # the client's value kept
    assert len(partner_tier_flow(TABLE, plan)) == len(TABLE["tiers"])


def test_a_tier_limit_only_on_the_edge_gateway_fails() -> None:
    plan = copy.deepcopy(_stacks("dev", False)[1][0])
    for step in plan["steps"]:
        inputs = step["newState"]["inputs"]
        if inputs.get("metadata", {}).get("name") == "rate-limit-routes":
            for patch in inputs["spec"]["configPatches"]:
                patch["match"]["routeConfiguration"]["gateway"] = "istio-ingress/edge"
    assert partner_tier_flow(TABLE, plan)


def test_repeated_or_unfit_tier_names_are_refused() -> None:
    bad = copy.deepcopy(TABLE)
    bad["tiers"][1]["tier"] = bad["tiers"][0]["tier"]
    bad["tiers"][2]["tier"] = "Top Tier"
    lines = [p.render() for p in rate_limit_table_problems(bad, ROUTES)]
    assert len(lines) == 2, lines
    assert "tiers[1] (standard).tier" in lines[0] and "tiers[2] (Top Tier).tier" in lines[1]


DRAIN_SECONDS = {"dev": 30, "staging": 120, "prod": 300}
"""The gateway's drain per environment (stacks/mesh_settings.py defaults, as literals)."""


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_gateway_drains_websockets_and_trusts_the_edges_hop(env: str, preview: bool) -> None:
    for plan in _stacks(env, preview)[1]:
        (gateway,) = [
            s["newState"]["inputs"]["values"]
            for s in plan["steps"]
            if s["newState"]["type"] == "kubernetes:helm.sh/v3:Release"
            and s["newState"]["inputs"].get("name") == "istio-ingressgateway"
        ]
        proxy = json.loads(gateway["podAnnotations"]["proxy.istio.io/config"])
        assert proxy["terminationDrainDuration"] == f"{DRAIN_SECONDS[env]}s"
        # one edge hop (Cloudflare or CloudFront) appends the client to X-Forwarded-For
        assert proxy["gatewayTopology"] == {"numTrustedProxies": 1}
        # the pod is not killed before its proxy has drained
        assert gateway["terminationGracePeriodSeconds"] > DRAIN_SECONDS[env]


# --- the route patches joined to the Gateways' VirtualServices; the gateway's global filter -------

EDGE = "istio-ingress/edge"
PARTNER = "istio-ingress/partner"
"""The Gateways the route patches name (components/mesh/rate_limit.py defaults), as literals."""
SERVICE_CLUSTER = "outbound|8081||ratelimit.rate-limit.svc.cluster.local"
"""The rate-limit Service's gRPC port as Istio names its cluster (envoyproxy/ratelimit's
GRPC_PORT 8081 in namespace rate-limit), as a literal."""
LINK_ENVS = ENVIRONMENTS
TIERS = [t["tier"] for t in TABLE["tiers"]]


@functools.cache
def _planned_region(env: str, preview: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The edge stack and the environment's last region, read once (never edited)."""
    edge, regional = _stacks(env, preview)
    return edge, regional[-1]


@functools.cache
def _global_outputs(env: str) -> dict[str, Any]:
    return _deployed_global(env)


def _link_flow(edge: dict[str, Any], plan: dict[str, Any], env: str) -> list[str]:
    return _flow(edge, plan, env, outputs=_global_outputs(env))


def _region(env: str, preview: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The edge stack and an editable copy of the environment's last region."""
    edge, plan = _planned_region(env, preview)
    return edge, editable(plan)


def _each(plan: dict[str, Any], pick: Any, edit: Any) -> int:
    """Apply `edit` to the inputs of the resources `pick` selects (by type and inputs); how many."""
    count = 0
    for step in plan["steps"]:
        state = step["newState"]
        if pick(state["type"], state.get("inputs") or {}):
            edit(state["inputs"])
            count += 1
    return count


def _resource(kind: str, name: str | None = None, namespace: str | None = None) -> Any:
    def pick(state_kind: str, inputs: dict[str, Any]) -> bool:
        meta = inputs.get("metadata", {})
        return (
            state_kind == kind
            and name in (None, meta.get("name"))
            and (namespace in (None, meta.get("namespace")))
        )

    return pick


def _virtual_service(name: str) -> Any:
    return lambda kind, inputs: (
        kind.endswith(":VirtualService") and (inputs.get("metadata", {}).get("name") == name)
    )


def _envoy_filter(name: str) -> Any:
    return lambda kind, inputs: (
        kind.endswith(":EnvoyFilter") and (inputs.get("metadata", {}).get("name") == name)
    )


def _rename_http_route(old: str, new: str) -> Any:
    def edit(inputs: dict[str, Any]) -> None:
        for http in inputs["spec"]["http"]:
            if http.get("name") == old:
                http["name"] = new

    return edit


def _route_patches(edit: Any, gateway: str | None = None, route: str | None = None) -> Any:
    """Apply `edit` to each route patch (of `gateway`, of `route`) of the routes EnvoyFilter."""

    def each(inputs: dict[str, Any]) -> None:
        for patch in inputs["spec"]["configPatches"]:
            config = patch["match"]["routeConfiguration"]
            if gateway in (None, config["gateway"]) and route in (
                None,
                config["vhost"]["route"]["name"],
            ):
                edit(patch)

    return each


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", LINK_ENVS)
@pytest.mark.parametrize(("route", "service"), [("chat", "edge-chat"), ("users", "edge-users")])
def test_a_renamed_virtual_service_route_leaves_its_patch_matching_nothing(
    env: str, preview: bool, route: str, service: str
) -> None:
    """The VirtualService's http route renamed, the patch still names the old route: Istio's
    MERGE finds no route of that name and the limits silently vanish."""
    edge, plan = _region(env, preview)
    assert _link_flow(edge, plan, env) == []
    path = next(r for r in ROUTES["routes"] if r["id"] == route)["paths"]
    assert _each(plan, _virtual_service(service), _rename_http_route(route, f"{route}-v2")) == 1
    lines = _link_flow(edge, plan, env)
    assert (
        f"{route}: the rate-limit patch of route {route} on {EDGE} matches no VirtualService "
        "route of that Gateway (the MERGE applies to nothing)"
    ) in lines
    assert (
        f"{route}: the VirtualService route {route}-v2 serving {path} on {EDGE} has no "
        "rate-limit patch"
    ) in lines


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", LINK_ENVS)
def test_a_virtual_service_bound_by_a_bare_gateway_name_serves_no_patched_route(
    env: str, preview: bool
) -> None:
    """A bare Gateway name in `gateways` names a Gateway of the VirtualService's own namespace
    (`edge` in namespace search is search/edge), not the edge Gateway the patch names."""
    edge, plan = _region(env, preview)

    def bare(inputs: dict[str, Any]) -> None:
        inputs["spec"]["gateways"] = ["edge"]

    assert _each(plan, _virtual_service("edge-search"), bare) == 1
    lines = _link_flow(edge, plan, env)
    assert (
        f"search: the rate-limit patch of route search on {EDGE} matches no VirtualService "
        "route of that Gateway (the MERGE applies to nothing)"
    ) in lines
    assert f"search: no VirtualService route on {EDGE} serves ['/api/v2/search']" in lines


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", LINK_ENVS)
def test_a_route_patch_that_does_not_apply_to_the_route_is_reported(
    env: str, preview: bool
) -> None:
    """A patch that is no HTTP_ROUTE MERGE on the edge Gateway's routes, a routes EnvoyFilter
    on other pods, or a patch gone: the route's VirtualService route has no patch."""
    edge, _ = _region(env, preview)
    missing = (
        "the VirtualService route {0} serving {1} on istio-ingress/edge has no rate-limit patch"
    )
    paths = {r["id"]: r["paths"] for r in ROUTES["routes"]}

    def applied_to(value: str) -> Any:
        return lambda patch: patch.__setitem__("applyTo", value)

    def dropped(inputs: dict[str, Any]) -> None:
        inputs["spec"]["configPatches"] = [
            p
            for p in inputs["spec"]["configPatches"]
            if p["match"]["routeConfiguration"]["vhost"]["route"]["name"] != "search"
        ]

    def other_pods(inputs: dict[str, Any]) -> None:
        inputs["spec"]["workloadSelector"] = {"labels": {"istio": "egressgateway"}}

    for route, edit in [
        ("orders", _route_patches(applied_to("VIRTUAL_HOST"), EDGE, "orders")),
        ("search", dropped),
        ("payments", other_pods),
    ]:
        plan = _region(env, preview)[1]
        assert _each(plan, _envoy_filter("rate-limit-routes"), edit) == 1
        lines = _link_flow(edge, plan, env)
        assert f"{route}: {missing.format(route, paths[route])}" in lines, lines


def _partner_lines(line: str) -> list[str]:
    return [f"partner tier {tier}: {line}" for tier in TIERS]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", LINK_ENVS)
def test_partner_patches_and_partner_routes_are_joined(env: str, preview: bool) -> None:
    _, plan = _region(env, preview)
    assert partner_tier_flow(TABLE, plan) == []

    def rename(patch: dict[str, Any]) -> None:
        patch["match"]["routeConfiguration"]["vhost"]["route"]["name"] = "graphql-v1"

    routes = _envoy_filter("rate-limit-routes")
    assert _each(plan, routes, _route_patches(rename, PARTNER)) == 1
    lines = partner_tier_flow(TABLE, plan)
    for line in _partner_lines(
        f"the rate-limit patch of route graphql-v1 on {PARTNER} matches no VirtualService "
        "route of that Gateway (the MERGE applies to nothing)"
    ) + _partner_lines(f"the route graphql of {PARTNER} has no rate-limit patch"):
        assert line in lines
    # a second route served on the partner Gateway, no patch for it: unlimited by tier
    _, plan = _region(env, preview)
    step = next(
        s
        for s in plan["steps"]
        if _virtual_service("graphql")(s["newState"]["type"], s["newState"]["inputs"])
    )
    extra = editable(step)
    extra["newState"]["inputs"]["metadata"]["name"] = "partner-reports"
    extra["newState"]["inputs"]["spec"]["gateways"] = [PARTNER]
    extra["newState"]["inputs"]["spec"]["http"][0]["name"] = "reports"
    plan["steps"].append(extra)
    lines = partner_tier_flow(TABLE, plan)
    assert lines == _partner_lines(f"the route reports of {PARTNER} has no rate-limit patch")


def _global_patch(edit: Any) -> Any:
    def each(inputs: dict[str, Any]) -> None:
        for patch in inputs["spec"]["configPatches"]:
            if patch["patch"]["value"]["name"] == "envoy.filters.http.ratelimit":
                edit(patch)

    return each


def _filter_lines(edge: dict[str, Any], plan: dict[str, Any], env: str) -> tuple[list[str], ...]:
    return _link_flow(edge, plan, env), partner_tier_flow(TABLE, plan)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", LINK_ENVS)
def test_the_global_filter_is_required_on_the_gateway_pods(env: str, preview: bool) -> None:
    edge, plan = _region(env, preview)

    def without_global(inputs: dict[str, Any]) -> None:
        inputs["spec"]["configPatches"] = [
            p
            for p in inputs["spec"]["configPatches"]
            if p["patch"]["value"]["name"] != "envoy.filters.http.ratelimit"
        ]

    assert _each(plan, _envoy_filter("rate-limit-filters"), without_global) == 1
    at_edge, at_partner = _filter_lines(edge, plan, env)
    assert at_edge == [
        f"no global rate-limit filter (envoy.filters.http.ratelimit) on the pods of {EDGE}"
    ]
    assert at_partner == _partner_lines(
        f"no global rate-limit filter (envoy.filters.http.ratelimit) on the pods of {PARTNER}"
    )
    # on other pods, or after the router: the gateway's requests are never checked
    edge, plan = _region(env, preview)

    def elsewhere(inputs: dict[str, Any]) -> None:
        inputs["spec"]["workloadSelector"] = {"labels": {"app": "ratelimit"}}

    assert _each(plan, _envoy_filter("rate-limit-filters"), elsewhere) == 1
    assert _filter_lines(edge, plan, env)[0] == [
        f"no global rate-limit filter (envoy.filters.http.ratelimit) on the pods of {EDGE}"
    ]
    edge, plan = _region(env, preview)
    after = _global_patch(lambda p: p["patch"].__setitem__("operation", "INSERT_AFTER"))
    assert _each(plan, _envoy_filter("rate-limit-filters"), after) == 1
    assert _filter_lines(edge, plan, env)[0] == [
        f"the global rate-limit filter on the pods of {EDGE} is not inserted before the router"
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", LINK_ENVS)
def test_the_global_filter_asks_the_service_domain(env: str, preview: bool) -> None:
    where = "the global rate-limit filter on the pods of"
    edge, plan = _region(env, preview)
    renamed = _global_patch(
        lambda p: p["patch"]["value"]["typed_config"].__setitem__("domain", "edge")
    )
    assert _each(plan, _envoy_filter("rate-limit-filters"), renamed) == 1
    at_edge, at_partner = _filter_lines(edge, plan, env)
    domain = TABLE["domain"]
    line = f"asks domain edge, the rate-limit service's configuration is for {domain}"
    assert at_edge == [f"{where} {EDGE} {line}"]
    assert at_partner == _partner_lines(f"{where} {PARTNER} {line}")
    # the service's configuration renamed instead
    edge, plan = _region(env, preview)

    def config_domain(inputs: dict[str, Any]) -> None:
        config = json.loads(inputs["data"]["config.yaml"])
        inputs["data"]["config.yaml"] = json.dumps({**config, "domain": "meridian-api"})

    config_map = _resource("kubernetes:core/v1:ConfigMap", name="ratelimit-config")
    assert _each(plan, config_map, config_domain) == 1
    assert _filter_lines(edge, plan, env)[0] == [
        f"{where} {EDGE} asks domain {domain}, the rate-limit service's configuration is for "
        "meridian-api"
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", LINK_ENVS)
def test_the_global_filter_calls_this_regions_rate_limit_service(env: str, preview: bool) -> None:
    where = f"the global rate-limit filter on the pods of {EDGE}"

    def cluster(name: str) -> Any:
        return _global_patch(
            lambda p: p["patch"]["value"]["typed_config"]["rate_limit_service"]["grpc_service"][
                "envoy_grpc"
            ].__setitem__("cluster_name", name)
        )

    for wrong in (
        "outbound|8080||ratelimit.rate-limit.svc.cluster.local",  # the HTTP (health) port
        "outbound|8081||ratelimit.istio-system.svc.cluster.local",  # another namespace
    ):
        edge, plan = _region(env, preview)
        assert _each(plan, _envoy_filter("rate-limit-filters"), cluster(wrong)) == 1
        assert _link_flow(edge, plan, env) == [
            f"{where} calls {wrong}, no gRPC port of the rate-limit Service in rate-limit of "
            f"this region ({SERVICE_CLUSTER})"
        ]
    # the Service gone, its target no port of the service's pods, its selector other pods, or
    # its port not gRPC to Istio: the cluster leads nowhere
    service = _resource("kubernetes:core/v1:Service", namespace="rate-limit")

    def declared(app_protocol: str | None, name: str) -> Any:
        """The port's protocol as Istio reads it: appProtocol first, else the name's prefix."""

        def edit(inputs: dict[str, Any]) -> None:
            for port in inputs["spec"]["ports"]:
                port.pop("appProtocol", None)
                port["name"] = name
                if app_protocol is not None:
                    port["appProtocol"] = app_protocol

        return edit

    def elsewhere(inputs: dict[str, Any]) -> None:
        inputs["spec"]["ports"][0]["targetPort"] = 9090  # no port of the service's pods

    def other_pods(inputs: dict[str, Any]) -> None:
        inputs["spec"]["selector"] = {"app": "ratelimit-canary"}

    unreachable = (
        f"{where} calls {SERVICE_CLUSTER}, no gRPC port of the rate-limit Service in rate-limit "
        "of this region (none)"
    )
    for edit in (
        elsewhere,
        other_pods,
        declared(None, "tcp-ratelimit"),
        declared("http", "grpc"),
        declared(None, "grpc-web"),
    ):
        edge, plan = _region(env, preview)
        assert _each(plan, service, edit) == 1
        assert _link_flow(edge, plan, env) == [unreachable]
    # the service's name form of the gRPC port is enough
    edge, plan = _region(env, preview)
    assert _each(plan, service, declared(None, "grpc-ratelimit")) == 1
    assert _link_flow(edge, plan, env) == []
    # the v2 (or AUTO) transport: Envoy refuses the filter
    edge, plan = _region(env, preview)
    auto = _global_patch(
        lambda p: p["patch"]["value"]["typed_config"]["rate_limit_service"].pop(
            "transport_api_version"
        )
    )
    assert _each(plan, _envoy_filter("rate-limit-filters"), auto) == 1
    assert _link_flow(edge, plan, env) == [f"{where} speaks None, not V3"]
    edge, plan = _region(env, preview)
    plan["steps"] = [
        s for s in plan["steps"] if not service(s["newState"]["type"], s["newState"]["inputs"])
    ]
    assert _link_flow(edge, plan, env) == [unreachable]
