"""The synthetic health flow: per region in rotation, the edge probes the region's `/health` and a
failing probe pages someone.

AWS edge: the region's NLB admits Route 53's health checkers (their managed prefix list on 443,
on a security group the NLB carries) -> a Route 53 HTTPS health check on the region's ingress
(`/health`, 443) -> a CloudWatch alarm in us-east-1 on its `AWS/Route53` `HealthCheckStatus` ->
alarm action: us-east-1's P2 topic -> a subscription on it.

Cloudflare edge: the NLB admits Cloudflare's published ranges on 443 -> the load balancer
monitor (HTTPS `/health`, 443, expects 200) on the region's enabled pool -> the Cloudflare
analytics exporter in the primary region (which publishes the pool's health) -> a rule in the
primary's Prometheus workspace alerting P2 on the pool -> the workspace's Alertmanager routing
P2 to the P2 topic -> a subscription on it.

A drained region is out of rotation on purpose: it is not counted. Pure functions over planned
graphs; each link is named, so a missing one says what it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from components.mesh.service_mesh import GATEWAY_NAME
from meridian_ops.plan.aws_mocks import managed_prefix_list_id
from meridian_ops.plan.flows.harness import Flow, Graph, State, known, name_of
from stacks.config.source import PROJECT_DIR
from stacks.outputs import RegionalKey

HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
WORKSPACE = "aws:amp/workspace:Workspace"
RULES = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
ALERTMANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"
POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
SEVERITY = "P2"
"""The design's severity of one region down: a partial outage (architecture, "Alert Severity
Levels": P2, the primary on-call engineer paged)."""
HTTPS = 443
METRICS_REGION = "us-east-1"
"""Route 53 publishes health check metrics in us-east-1 only."""
POOL_HEALTH_METRIC = "cloudflare_zone_pool_health_status"
"""lablabs/cloudflare-exporter 0.0.16 (prometheus.go): a pool's health, 1 healthy, 0 unhealthy."""
EXPORTER_CHART = "cloudflare-exporter"
NLB = "service.beta.kubernetes.io/aws-load-balancer"
EDGE_RANGES = json.loads((PROJECT_DIR / "stacks" / "data" / "edge_ranges.json").read_text())


def health_checker_list(region: str) -> str:
    """AWS's managed prefix list of Route 53's health checkers (IPv4) in `region`."""
    return f"com.amazonaws.{region}.route53-healthchecks"


def _depends(state: State, prop: str, target: State) -> bool:
    return target["urn"] in (state.get("propertyDependencies") or {}).get(prop, [])


def _nlb_groups(regional: Graph) -> list[State]:
    """The security groups the ingress NLB carries: those its gateway release's values name."""
    gateways = [
        r
        for r in regional.of_type(RELEASE)
        if ((r.get("inputs") or {}).get("values") or {}).get("name") == GATEWAY_NAME
    ]
    if not gateways:
        return []
    annotations = (gateways[0]["inputs"]["values"].get("service") or {}).get("annotations") or {}
    listed = annotations.get(f"{NLB}-security-groups")
    ids = set(str(listed).split(",")) if known(listed) else set()
    return [
        g
        for g in regional.of_type(SECURITY_GROUP)
        if (known(g.get("id")) and g.get("id") in ids) or _depends(gateways[0], "values", g)
    ]


def _admits(group: State, port: int, prefix_list: str | None = None) -> set[str]:
    """What `group` admits on TCP `port`: its CIDRs, or whether it names `prefix_list`."""
    found: set[str] = set()
    for rule in (group.get("inputs") or {}).get("ingress") or []:
        low, high = rule.get("fromPort"), rule.get("toPort")
        if rule.get("protocol") != "tcp" or not isinstance(low, int) or not isinstance(high, int):
            continue
        if not low <= port <= high:
            continue
        found |= set(rule.get("cidrBlocks") or []) | set(rule.get("ipv6CidrBlocks") or [])
        if prefix_list is not None and prefix_list in (rule.get("prefixListIds") or []):
            found.add(prefix_list)
    return found


def _topic(regional: Graph, severity: str) -> State | None:
    return next(
        (
            t
            for t in regional.of_type(TOPIC)
            if ((t.get("inputs") or {}).get("tags") or {}).get("meridian:severity") == severity
        ),
        None,
    )


def _subscribed(flow: Flow, name: str, regional: Graph, topic: State | None) -> None:
    subscriptions = (
        []
        if topic is None
        else [s for s in regional.of_type(SUBSCRIPTION) if _depends(s, "topic", topic)]
    )
    flow.check(
        name,
        f"{SEVERITY} topic of {regional.stack} has a receiver",
        bool(subscriptions),
        f"no subscription on {regional.stack}'s {SEVERITY} topic (meridian:alerting.pager unset)",
    )


def _probe_target(flow: Flow, name: str, state: State, path: str, kind: str) -> None:
    inputs = state.get("inputs") or {}
    path_key, type_key = ("resourcePath", "type") if kind == "aws" else ("path", "type")
    flow.check(
        name,
        f"probes HTTPS {path} on 443",
        str(inputs.get(type_key, "")).lower() == "https"
        and inputs.get(path_key) == path
        and inputs.get("port") == HTTPS,
        f"{name_of(state)} probes {inputs.get(type_key)} {inputs.get(path_key)} on "
        f"{inputs.get('port')}",
    )


def _aws_region(
    flow: Flow, edge: Graph, regional: Graph, metrics: Graph | None, region: str, path: str
) -> None:
    name = f"health {region}"
    listed = managed_prefix_list_id(region, health_checker_list(region))
    flow.check(
        name,
        "NLB admits Route 53's health checkers on 443",
        any(listed in _admits(g, HTTPS, listed) for g in _nlb_groups(regional)),
        f"no security group of the NLB admits {health_checker_list(region)} on 443",
    )
    origin = (regional.plan.get("outputs") or {}).get(RegionalKey.INGRESS_HOSTNAME)
    checks = [
        c
        for c in edge.of_type(HEALTH_CHECK)
        if name_of(c).endswith(f"-{region}")
        and (not known(origin) or (c.get("inputs") or {}).get("fqdn") == origin)
    ]
    if not flow.check(name, "Route 53 health check", bool(checks), f"no health check of {region}"):
        return
    check = checks[0]
    _probe_target(flow, name, check, path, "aws")
    alarms = [
        a
        for a in edge.of_type(ALARM)
        if (a.get("inputs") or {}).get("namespace") == "AWS/Route53"
        and (a.get("inputs") or {}).get("metricName") == "HealthCheckStatus"
        and _depends(a, "dimensions", check)
    ]
    if not flow.check(
        name, "alarm on HealthCheckStatus", bool(alarms), f"no alarm on {name_of(check)}"
    ):
        return
    alarm = alarms[0]
    inputs = alarm.get("inputs") or {}
    flow.check(
        name,
        "alarm in us-east-1",
        f"::aws-{METRICS_REGION}::" in str(alarm.get("provider", "")),
        f"{name_of(alarm)} is not on the us-east-1 provider ({alarm.get('provider')})",
    )
    flow.check(
        name,
        "alarm fires when the check fails",
        inputs.get("comparisonOperator") == "LessThanThreshold"
        and inputs.get("threshold") == 1
        and inputs.get("statistic") == "Minimum",
        f"{name_of(alarm)} does not fire on a status below 1",
    )
    topic = None if metrics is None else _topic(metrics, SEVERITY)
    arn = None if topic is None else (topic.get("outputs") or {}).get("arn")
    actions = inputs.get("alarmActions") or []
    flow.check(
        name,
        f"alarm notifies us-east-1's {SEVERITY} topic",
        bool(actions)
        and (arn in actions if known(arn) else all(map(_sns_in_metrics_region, actions))),
        f"{name_of(alarm)} notifies {actions}, not {arn}",
    )
    if metrics is not None:
        _subscribed(flow, name, metrics, topic)
    else:
        flow.check(name, "us-east-1 regional stack", False, "no us-east-1 stack holds the topic")


def _sns_in_metrics_region(action: Any) -> bool:
    """A preview's alarm action, when the topic's ARN is not known yet: unknown, or a topic ARN of
    us-east-1 (the edge reads the regional stack's exported ARN)."""
    return not known(action) or bool(
        re.fullmatch(rf"arn:aws[a-z-]*:sns:{METRICS_REGION}:\d{{12}}:[\w-]+", str(action))
    )


def _alertmanager_routes(primary: Graph, workspace: State, topic: State | None) -> bool:
    managers = [m for m in primary.of_type(ALERTMANAGER) if _depends(m, "workspaceId", workspace)]
    if not managers or topic is None:
        return False
    manager = managers[0]
    definition = (manager.get("inputs") or {}).get("definition")
    if not _depends(manager, "definition", topic):
        return False
    if not (isinstance(definition, str) and definition.startswith("alertmanager_config")):
        return True  # a preview: the definition waits for the topic ARNs
    inner = yaml.safe_load(yaml.safe_load(definition)["alertmanager_config"])
    receivers = {r["name"]: r for r in inner["receivers"]}
    for route in inner["route"]["routes"]:
        if re.findall(r'severity="(P\d)"', route["matchers"][0]) == [SEVERITY]:
            sns = receivers.get(route["receiver"], {}).get("sns_configs", [{}])
            return sns[0].get("topic_arn") == (topic.get("outputs") or {}).get("arn")
    return False


def _exporter(primary: Graph) -> bool:
    """The primary's Cloudflare analytics exporter, its pool health series not denied."""
    for release in primary.of_type(RELEASE):
        inputs = release.get("inputs") or {}
        if inputs.get("chart") != EXPORTER_CHART:
            continue
        env = {e.get("name"): e.get("value") for e in (inputs.get("values") or {}).get("env", [])}
        denied = str(env.get("METRICS_DENYLIST") or "").split(",")
        return bool(env.get("CF_ZONES")) and POOL_HEALTH_METRIC not in denied
    return False


def _pool_rule(rules: Sequence[State], workspace: State, pool: str, region: str) -> bool:
    workspace_id = (workspace.get("outputs") or {}).get("id") or workspace.get("id") or None
    for state in rules:
        inputs = state.get("inputs") or {}
        asked = inputs.get("workspaceId")
        if known(workspace_id) and known(asked) and asked != workspace_id:
            continue
        data = inputs.get("data")
        if not isinstance(data, str):
            continue
        for group in yaml.safe_load(data).get("groups", []):
            for rule in group.get("rules", []):
                labels = rule.get("labels") or {}
                if (
                    "alert" in rule
                    and f'{POOL_HEALTH_METRIC}{{pool_name="{pool}"}}' in str(rule.get("expr"))
                    and labels.get("severity") == SEVERITY
                    and labels.get("region") == region
                ):
                    return True
    return False


def _cloudflare_region(
    flow: Flow, edge: Graph, regional: Graph, primary: Graph, region: str, path: str
) -> None:
    name = f"health {region}"
    ranges = set(EDGE_RANGES["ipv4"]) | set(EDGE_RANGES["ipv6"])
    admitted = set().union(*[_admits(g, HTTPS) for g in _nlb_groups(regional)] or [set()])
    flow.check(
        name,
        "NLB admits Cloudflare's ranges on 443",
        ranges <= admitted,
        f"the NLB's groups miss {sorted(ranges - admitted)[:3]} on 443",
    )
    pools = [p for p in edge.of_type(POOL) if name_of(p).endswith(f"-pool-{region}")]
    if not flow.check(name, "origin pool", bool(pools), f"no pool of {region}"):
        return
    pool = pools[0]
    monitors = [m for m in edge.of_type(MONITOR) if _depends(pool, "monitor", m)]
    if flow.check(name, "health monitor on the pool", bool(monitors), "the pool has no monitor"):
        _probe_target(flow, name, monitors[0], path, "cloudflare")
    flow.check(
        name,
        "pool enabled",
        (pool.get("inputs") or {}).get("enabled") is not False,
        "the pool is disabled",
    )
    flow.check(
        name,
        "pool health exported in the primary region",
        _exporter(primary),
        f"no Cloudflare exporter in {primary.stack} publishing {POOL_HEALTH_METRIC}",
    )
    workspaces = primary.of_type(WORKSPACE)
    pool_name = str((pool.get("inputs") or {}).get("name"))
    flow.check(
        name,
        f"{SEVERITY} rule on the pool's health",
        bool(workspaces) and _pool_rule(edge.of_type(RULES), workspaces[0], pool_name, region),
        f"no {SEVERITY} alert on {POOL_HEALTH_METRIC}{{pool_name={pool_name!r}}} in "
        f"{primary.stack}'s workspace",
    )
    topic = _topic(primary, SEVERITY)
    flow.check(
        name,
        f"Alertmanager routes {SEVERITY} to its topic",
        bool(workspaces) and _alertmanager_routes(primary, workspaces[0], topic),
        f"{primary.stack}'s Alertmanager does not route {SEVERITY} to the {SEVERITY} topic",
    )
    _subscribed(flow, name, primary, topic)


def health_flow(
    edge: Graph, regionals: Mapping[str, Graph], provider: str, drained: Sequence[str] = ()
) -> Flow:
    """`regionals`: region -> its planned stack, primary first; `provider`: the edge's
    (`cloudflare` or `aws`); `drained`: the edge's drained regions (not counted)."""
    from stacks.ingress_routes import health_path

    flow = Flow()
    path = health_path()
    primary = next(iter(regionals.values()))
    metrics: Graph | None = regionals.get(METRICS_REGION)
    for region, regional in regionals.items():
        if region in drained:
            continue
        if provider == "aws":
            _aws_region(flow, edge, regional, metrics, region, path)
        else:
            _cloudflare_region(flow, edge, regional, primary, region, path)
    return flow


def edge_drained(edge: Graph) -> list[str]:
    """The drained regions the edge stack exports."""
    from stacks.outputs import EdgeKey

    value: Any = (edge.plan.get("outputs") or {}).get(EdgeKey.DRAINED_REGIONS)
    return [str(r) for r in value] if isinstance(value, list) else []
