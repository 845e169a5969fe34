"""The architecture's numbers (/work/shared/reference/architecture.txt), checked on the planned
graph against literals copied from the design, never against a constant of the module under test.
Where AWS forces another number, docs/architecture.md's deviations table says why, and the test
pins what replaces it.

Design lines read here:
- 07 Data / 09 Observability: "PG: pg_stat_statements, slow query log >100ms"
- 07 Data, cache hierarchy: "Redis Cluster — shared cache, <1ms P99, 30 min TTL, 100GB per node"
- 07 Data, failover: "Redis sentinel < 10s failover"; "Redis: RDB snapshot hourly + AOF every
  second" (deviation: AWS has neither on ElastiCache with a global datastore)
- 12 AI/ML, training infrastructure: "Cluster Size 256 GPUs (32 nodes x 8)", "Spot Fraction 60%
  (fault-tolerant)"
- GPU inference nodes 8-40 in prod (docs/architecture.md "Requirements that are numbers")
- 03 Edge, health checks: "Active — HTTP /health every 5s, timeout 2s" (deviation: Route 53 checks
  run every 10 or 30 s only; the AWS edge uses the fast 10 s)
- 04 Ingress, WebSocket Gateway: "Sticky sessions — consistent hashing by user ID", "Heartbeat
  ping/pong — 30s interval" (deviation: no connection-count limit per user; Envoy and the
  rate-limit service count requests, not open connections)
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from stacks.config.errors import ConfigError
from stacks.config.source import PROJECT_DIR, read_stack_file
from tests.plans import PROD_REGIONS, name_of, planned, states
from tests.test_config_errors import MANIFEST, NO_REPLICATION, settings

SLOW_QUERY_MS = "100"
CACHE_NODE_GB = 100
TRAINING_GPUS = 256
TRAINING_NODES = 32
GPUS_PER_TRAINING_NODE = 8
SPOT_FRACTION = 0.60
INFERENCE_FLOOR = 8
INFERENCE_CEILING = 40
HEALTH_PATH = "/health"
ROUTE53_HEALTH_INTERVAL_S = 10
"""The design asks every 5 s; Route 53 accepts 10 or 30 (HealthCheckConfig.RequestInterval), the
deviation recorded in docs/architecture.md."""
GLOBAL_DATABASE_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")
"""The prod regions that may exchange confidential data both ways (stacks/data/residency.json),
the members of the Aurora global database; the others run stand-alone clusters."""

ELASTICACHE_NODE_MEMORY_GIB = {
    # ElastiCache pricing, "On-Demand Nodes", memory per node type (GiB)
    "cache.r7g.large": 13.07,
    "cache.r7g.xlarge": 26.32,
    "cache.r7g.2xlarge": 52.82,
    "cache.r7g.4xlarge": 105.81,
}
GPUS_PER_INSTANCE = {
    # EC2 accelerated computing instance pages: 8 GPUs per p4d/p4de/p5/p5en instance
    "p5en.48xlarge": 8,
    "p5.48xlarge": 8,
    "p4de.24xlarge": 8,
    "p4d.24xlarge": 8,
}

CLUSTER = "aws:rds/cluster:Cluster"
PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"


@pytest.fixture(scope="module", params=[False, True], ids=["up", "preview"])
def prod(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    return planned("prod", preview=request.param)


def regional(plans: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r: plans[f"prod-{r}"] for r in PROD_REGIONS}


def node_pools(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["inputs"]["metadata"]["name"]: s["inputs"]["spec"] for s in states(plan, NODE_POOL)}


# --- Aurora ---------------------------------------------------------------------------------


def test_every_aurora_cluster_logs_queries_slower_than_100_ms(
    prod: dict[str, dict[str, Any]],
) -> None:
    for region, plan in regional(prod).items():
        for group in states(plan, PARAMS):
            params = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
            assert params["log_min_duration_statement"] == SLOW_QUERY_MS, region
            assert params["log_statement"] == "ddl", region  # schema changes audited, no data
        for cluster in states(plan, CLUSTER):
            assert "postgresql" in cluster["inputs"]["enabledCloudwatchLogsExports"], region


def test_secondaries_with_readers_forward_writes(prod: dict[str, dict[str, Any]]) -> None:
    """Only a secondary of the global database forwards writes (to the primary's writer); the
    regions outside the residency group run stand-alone clusters that are their own writers."""
    primary = PROD_REGIONS[0]
    for region, plan in regional(prod).items():
        (cluster,) = states(plan, CLUSTER)
        secondary = region in GLOBAL_DATABASE_REGIONS and region != primary
        assert ("globalClusterIdentifier" in cluster["inputs"]) is (
            region in GLOBAL_DATABASE_REGIONS
        ), region
        forwarding = cluster["inputs"].get("enableGlobalWriteForwarding", False)
        readers = len(states(plan, INSTANCE))
        assert forwarding is (secondary and readers > 0), region


# --- cache ---------------------------------------------------------------------------------------


def test_cache_nodes_hold_100_gb(prod: dict[str, dict[str, Any]]) -> None:
    """The design's number is the shared cache's; the rate-limit service's counters run in a
    small replication group of their own (components/mesh/rate_limit.py), not counted here."""
    for region, plan in regional(prod).items():
        groups = {name_of(c): c for c in states(plan, CACHE)}
        assert sorted(groups) == ["cache-group", "rate-limit-store"], region
        cache = groups["cache-group"]["inputs"]
        node_type = cache.get("nodeType")
        if node_type is None:  # a global datastore secondary runs the primary's node type
            assert cache["globalReplicationGroupId"], region
            continue
        gib = ELASTICACHE_NODE_MEMORY_GIB[node_type]
        assert gib * 2**30 >= CACHE_NODE_GB * 10**9, (region, node_type)


def test_cache_persistence_is_snapshots_and_multi_az(prod: dict[str, dict[str, Any]]) -> None:
    """The design's AOF + hourly RDB has no ElastiCache equivalent (deviations table); what
    replaces it: Multi-AZ automatic failover, daily snapshots kept, a final snapshot."""
    for region, plan in regional(prod).items():
        for cache in states(plan, CACHE):
            i = cache["inputs"]
            assert i["multiAzEnabled"] is True and i["automaticFailoverEnabled"] is True, region
            assert i["snapshotRetentionLimit"] >= 1 and i["snapshotWindow"], region
            assert i["finalSnapshotIdentifier"], region


# --- GPU pools -----------------------------------------------------------------------------------


def test_one_training_cluster_of_256_gpus_60_percent_spot(prod: dict[str, dict[str, Any]]) -> None:
    hosts = {}
    for region, plan in regional(prod).items():
        pools = node_pools(plan)
        training = {n: p for n, p in pools.items() if n.startswith("gpu-training")}
        if training:
            hosts[region] = training
    assert list(hosts) == [
        read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")["meridian:trainingRegion"]
    ], "exactly one region runs the training cluster"
    (pools,) = hosts.values()
    nodes = {name: int(spec["limits"]["nodes"]) for name, spec in pools.items()}
    assert sum(nodes.values()) == TRAINING_NODES
    types = {
        r["values"][0]
        for spec in pools.values()
        for r in spec["template"]["spec"]["requirements"]
        if r["key"] == "node.kubernetes.io/instance-type"
    }
    (instance_type,) = types
    assert GPUS_PER_INSTANCE[instance_type] == GPUS_PER_TRAINING_NODE
    assert sum(nodes.values()) * GPUS_PER_INSTANCE[instance_type] == TRAINING_GPUS
    capacity = {
        name: next(
            r["values"]
            for r in spec["template"]["spec"]["requirements"]
            if r["key"] == "karpenter.sh/capacity-type"
        )
        for name, spec in pools.items()
    }
    spot = sum(nodes[n] for n, types_ in capacity.items() if types_ == ["spot"])
    assert all(types_ == ["spot"] or "spot" not in types_ for types_ in capacity.values())
    assert abs(spot - SPOT_FRACTION * TRAINING_NODES) < 1, spot  # 19 of 32 nodes


def test_inference_floor_of_8_nodes_is_enforced(prod: dict[str, dict[str, Any]]) -> None:
    for region, plan in regional(prod).items():
        pools = node_pools(plan)
        if "gpu-inference" not in pools:
            continue
        floor = pools["gpu-inference-floor"]
        assert floor["replicas"] == INFERENCE_FLOOR, region
        assert floor["limits"] == {"nodes": str(INFERENCE_FLOOR)}, region
        assert "weight" not in floor, region  # the CRD refuses weight on a static pool
        ceiling = int(floor["limits"]["nodes"]) + int(pools["gpu-inference"]["limits"]["nodes"])
        assert ceiling == INFERENCE_CEILING, region
        assert "replicas" not in pools["gpu-inference"], region
        # serving pods land on either: same pool label, same GPU taint
        for key in ("labels",):
            assert (
                floor["template"]["metadata"][key]
                == pools["gpu-inference"]["template"]["metadata"][key]
            )
        assert (
            floor["template"]["spec"]["taints"]
            == pools["gpu-inference"]["template"]["spec"]["taints"]
        )


# --- the gate ------------------------------------------------------------------------------------


def _manifest(**changes: Any) -> dict[str, Any]:
    manifest = copy.deepcopy(MANIFEST)
    manifest["meridian:replication"] = {
        **NO_REPLICATION,  # without a pair, every region's topics say why they have no copy
        "kafkaDrOptOuts": {
            r: "no replication pair in this manifest" for r in manifest["meridian:regions"]
        },
    }
    manifest.update({f"meridian:{k}": v for k, v in changes.items()})
    return manifest


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (["us-east-1", "eu-west-1"], "meridian:trainingRegion"),
        ("sa-east-1", "is not a region of the environment"),
    ],
    ids=["more-than-one", "not-a-region"],
)
def test_training_region_names_exactly_one_region(value: Any, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings("prod-global", manifest=_manifest(trainingRegion=value))
    text = str(info.value)
    assert "meridian:trainingRegion" in text and says in text and "Fix:" in text, text


def test_training_region_must_keep_the_training_pool() -> None:
    manifest = _manifest(trainingRegion="eu-west-1", serviceOptOuts={"eu-west-1": ["gpu-training"]})
    with pytest.raises(ConfigError) as info:
        settings("prod-global", manifest=manifest)
    assert "drops gpu-training there" in str(info.value)


def test_only_the_training_region_plans_the_training_pool() -> None:
    loaded = settings("prod-global", manifest=_manifest(trainingRegion="eu-west-1"))
    assert {r: p.hosts_training for r, p in loaded.regions.items()} == {
        "us-east-1": False,
        "eu-west-1": True,
        "ap-northeast-1": False,
    }


# --- Edge -----------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_route53_checks_probe_health_every_10_seconds(preview: bool) -> None:
    """staging runs the AWS-native edge: one Route 53 check per region, each probing `/health`
    at the fastest interval Route 53 allows."""
    plans = planned("staging", preview)
    regions = [s.split("-", 1)[1] for s in plans if not s.endswith(("-global", "-edge"))]
    checks = states(plans["staging-edge"], "aws:route53/healthCheck:HealthCheck")
    assert len(checks) == len(regions) > 0
    for check in checks:
        inputs = check["inputs"]
        assert inputs["requestInterval"] == ROUTE53_HEALTH_INTERVAL_S, name_of(check)
        assert inputs["resourcePath"] == HEALTH_PATH, name_of(check)


# --- Identity -------------------------------------------------------------------------------

DESIGN_CODE_MINUTES = 10
"""04 Ingress, OAuth 2.0 + PKCE flow: "Short-lived code (10min) sent to redirect_uri callback"."""
COGNITO_CODE_MINUTES = 5
"""Cognito developer guide, "Authorize endpoint": an authorization code is valid five minutes."""


def test_cognito_fixes_the_code_lifetime_and_cannot_require_pkce() -> None:
    """The deviations table's two identity rows hold for the pinned provider: an app client has
    no argument for the authorization code's lifetime nor for requiring PKCE, so Meridian sets
    neither (tests/test_identity.py checks what it does instead: public clients get only the
    code grant, without a secret). Cognito's fixed five minutes meet the design's ten."""
    import inspect

    from pulumi_aws.cognito.user_pool_client import UserPoolClientArgs

    arguments = set(inspect.signature(UserPoolClientArgs.__init__).parameters)
    assert {"allowed_oauth_flows", "generate_secret", "auth_session_validity"} <= arguments
    assert not {a for a in arguments if "pkce" in a or "code_challenge" in a}, arguments
    assert not {a for a in arguments if "authorization_code" in a or "code_valid" in a}
    assert COGNITO_CODE_MINUTES <= DESIGN_CODE_MINUTES


# --- WebSocket connections per user ---------------------------------------------------------

RATE_TABLE = json.loads((PROJECT_DIR / "stacks/data/rate_limits.json").read_text())
ROUTE_TABLE = json.loads((PROJECT_DIR / "stacks/data/api_routes.json").read_text())
WS_ROUTE = "chat"
WS_PATH = "/ws/v2/chat"
HEARTBEAT_S = 30
"""architecture.txt section 04, WebSocket Gateway: 'Heartbeat ping/pong — 30s interval'."""
GATEWAY_DRAIN_S = {"dev": 30, "staging": 120, "prod": 300}
"""The gateway's drain per environment (stacks/mesh_settings.py defaults, as literals)."""
DEVIATIONS = PROJECT_DIR / "docs/architecture.md"


def _named(plan: dict[str, Any], suffix: str, name: str) -> dict[str, Any]:
    (found,) = [
        s["inputs"]
        for s in states(plan)
        if s["type"].endswith(suffix) and s["inputs"].get("metadata", {}).get("name") == name
    ]
    return found


def _deviation_row(asked: str) -> str:
    text = DEVIATIONS.read_text()
    table = text.split("## Where Meridian departs from the design's numbers", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith(f"| {asked}")]
    assert len(rows) == 1, asked
    return rows[0]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_websocket_users_are_limited_by_upgrade_rate_not_open_connections(
    env: str, preview: bool
) -> None:
    """No published Envoy filter or rate-limit service counts one user's open connections (the
    deviation row says which were checked); what the gateway does instead, in every region:
    the user's upgrades per minute from the rate-limit table, keyed on the JWT subject header the
    gateway writes (a client's own value stripped first), the WebSocket route without a route
    timeout and with consistent hashing on that header (one user's sockets on one messaging pod),
    and the gateway's drain before its pod is killed."""
    (user,) = [d for d in RATE_TABLE["dimensions"] if d["key"] == "user"]
    header = user["header"]
    (limit,) = [r for r in RATE_TABLE["routes"] if r["route"] == WS_ROUTE]
    assert limit["dimension"] == "user"
    (row,) = [r for r in ROUTE_TABLE["routes"] if r["id"] == WS_ROUTE]
    assert row["sticky"] is True and WS_PATH in row["paths"]
    plans = planned(env, preview)
    regions = [p for n, p in plans.items() if not n.endswith(("-global", "-edge"))]
    assert regions
    for plan in regions:
        config = json.loads(_named(plan, ":ConfigMap", "ratelimit-config")["data"]["config.yaml"])
        (entry,) = [
            e for e in config["descriptors"] if e["key"] == "route" and e["value"] == WS_ROUTE
        ]
        assert entry["descriptors"] == [
            {
                "key": "user",
                "rate_limit": {"requests_per_unit": limit["requestsPerMinute"], "unit": "minute"},
            }
        ]
        routes = _named(plan, ":EnvoyFilter", "rate-limit-routes")["spec"]["configPatches"]
        (patch,) = [
            p
            for p in routes
            if p["match"]["routeConfiguration"]
            == {"gateway": "istio-ingress/edge", "vhost": {"route": {"name": WS_ROUTE}}}
        ]
        assert patch["patch"]["value"]["route"]["rate_limits"] == [
            {
                "actions": [
                    {"generic_key": {"descriptor_key": "route", "descriptor_value": WS_ROUTE}},
                    {"request_headers": {"descriptor_key": "user", "header_name": header}},
                ]
            }
        ]
        # the gateway writes the header from the verified token's subject, after removing any
        # value the client sent
        jwt = _named(plan, ":RequestAuthentication", "edge-jwt")["spec"]["jwtRules"]
        assert {"claim": "sub", "header": header} in jwt[0]["outputClaimToHeaders"]
        strip = _named(plan, ":EnvoyFilter", "strip-claim-headers")["spec"]["configPatches"][0]
        assert strip["patch"]["operation"] == "INSERT_FIRST"
        removed = strip["patch"]["value"]["typed_config"]["mutations"]["request_mutations"]
        assert {"remove": header} in removed
        # the WebSocket route: no route timeout (it would cut the socket), sticky by user
        (http,) = _named(plan, ":VirtualService", f"edge-{WS_ROUTE}")["spec"]["http"]
        assert http["match"] == [{"uri": {"exact": WS_PATH}}, {"uri": {"prefix": f"{WS_PATH}/"}}]
        assert http["timeout"] == "0s"
        (host,) = {r["destination"]["host"] for r in http["route"]}
        (rule,) = [
            s["inputs"]["spec"]
            for s in states(plan)
            if s["type"].endswith(":DestinationRule") and s["inputs"]["spec"]["host"] == host
        ]
        policy = rule["trafficPolicy"]
        assert policy["loadBalancer"] == {"consistentHash": {"httpHeaderName": header}}
        assert policy["connectionPool"]["http"]["idleTimeout"] == f"{3 * HEARTBEAT_S}s"
        # no lifetime cap on a socket: nothing bounds a user's open sockets but the rate
        assert "maxConnectionDuration" not in policy["connectionPool"]["tcp"]
        # a gateway pod being replaced drains open sockets before it is killed
        (gateway,) = [
            s["inputs"]["values"]
            for s in states(plan, "kubernetes:helm.sh/v3:Release")
            if s["inputs"].get("name") == "istio-ingressgateway"
        ]
        proxy = json.loads(gateway["podAnnotations"]["proxy.istio.io/config"])
        assert proxy["terminationDrainDuration"] == f"{GATEWAY_DRAIN_S[env]}s"
        assert gateway["terminationGracePeriodSeconds"] > GATEWAY_DRAIN_S[env]
    row_text = _deviation_row("a connection-count limit per user on the WebSocket route")
    assert "test_websocket_users_are_limited_by_upgrade_rate_not_open_connections" in row_text
    for checked in ("connection_limit", "hits_addend", "apply_on_stream_done"):
        assert checked in row_text, checked
