"""The telemetry and alert flow of one regional plan, per SLO of `stacks/data/slos.json`:

producer (the workload whose proxy or exporter emits the SLO's series) -> scrape (a Prometheus
receiver with pod discovery, remote-writing to this region's AMP workspace; the producer's
namespace admits the scraper on 15020) -> rule (the SLO's group in the workspace's rule
namespace, one alert per severity) -> Alertmanager (each severity routed to its SNS topic) ->
topic -> subscription (someone receives it).

`check_slo` returns (failures, pending): a failure names the broken link; a pending link is one
the plan cannot hold yet (no receiver configured in `meridian:alerting`). The CDN SLO's producer
is the Cloudflare analytics exporter of the primary region (its series merged into the sidecar's
15020 and read by the same pod job).

With the AWS edge a row with a CloudFront metric (`cloudfrontMetric`, the CDN hit ratio) is judged
in the edge stack instead, and `check_cloudfront_slo` follows that flow: the distribution's
monitoring subscription (additional metrics on) -> an alarm per severity in us-east-1 on the
metric of that distribution below the row's floor -> the severity's topic of the us-east-1
regional stack -> subscription.
Pure functions over plan documents (`steps[*].newState`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from components.common.kubernetes import MERGED_METRICS_PORT, OBSERVABILITY_NAMESPACE
from components.mesh.service_mesh import (
    GATEWAY_NAME,
    HISTOGRAM_BUCKETS_ANNOTATION,
    INGRESS_NAMESPACE,
    ISTIO_DEFAULT_DURATION_BUCKETS,
)
from components.observability.slo_alerts import SEVERITIES, Slo
from meridian_ops.plan.flows.harness import known

_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (the same documents, parsed in C)."""


@functools.lru_cache(maxsize=512)
def parsed_yaml(text: str) -> Any:
    """A YAML document, parsed once per distinct text: every SLO of every stack reads the same
    rule namespace and Alertmanager definition. Callers only read what it returns."""
    return yaml.load(text, Loader=_SAFE_LOADER)


RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
WORKSPACE = "aws:amp/workspace:Workspace"
RULES = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
ALERTMANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
SECRET = "kubernetes:core/v1:Secret"
API_TOKEN = "cloudflare:index/apiToken:ApiToken"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
MONITORING_SUBSCRIPTION = "aws:cloudfront/monitoringSubscription:MonitoringSubscription"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
CLOUDFRONT_METRICS_REGION = "us-east-1"
"""CloudFront publishes its metrics in us-east-1 only (namespace AWS/CloudFront)."""
CLOUDFLARE_EXPORTER_CHART = "cloudflare-exporter"
CLOUDFLARE_EXPORTER_PORT = 8080
"""lablabs/cloudflare-exporter 0.0.16: LISTEN defaults to :8080 (main.go)."""
CONTENT_TYPE_SERIES = "cloudflare_zone_requests_content_type"
"""lablabs/cloudflare-exporter 0.0.16 prometheus.go: requests per zone per `content_type` (the
analytics' edgeResponseContentTypeName), the one request series that tells API responses apart."""
NEVER_CACHED_CONTENT_TYPES = frozenset({"json", "xml", "grpc", "grpcweb"})
"""The content types of API responses (Cloudflare's analytics names), which the edge never
caches: a hit-ratio SLI over cacheable requests leaves them out of its denominator."""


def states(plan: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for step in plan["steps"]:
        yield step["newState"]


def of_type(plan: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for s in states(plan) if s["type"] == kind]


def name_of(state: Mapping[str, Any]) -> str:
    return state["urn"].split("::")[-1]


def depends_on(state: Mapping[str, Any], prop: str, urn: str) -> bool:
    return urn in state.get("propertyDependencies", {}).get(prop, [])


@dataclass
class FlowResult:
    failures: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


def _selector(expr: str, label: str) -> set[str]:
    return set(re.findall(rf'{label}="([^"]+)"', expr))


def _namespace_meshed(plan: Mapping[str, Any], namespace: str) -> bool:
    for ns in of_type(plan, NAMESPACE):
        meta = ns["inputs"].get("metadata", {})
        if meta.get("name") == namespace:
            return meta.get("labels", {}).get("istio-injection") == "enabled"
    return False


def _admits_scraper(plan: Mapping[str, Any], namespace: str) -> bool:
    """A NetworkPolicy of `namespace` admits the observability namespace on 15020."""
    for policy in of_type(plan, NETWORK_POLICY):
        inputs = policy["inputs"]
        if inputs.get("metadata", {}).get("namespace") != namespace:
            continue
        for rule in inputs.get("spec", {}).get("ingress", []) or []:
            ports = {p.get("port") for p in rule.get("ports", [])}
            peers = [
                p.get("namespaceSelector", {}).get("matchLabels", {}) for p in rule.get("from", [])
            ]
            if MERGED_METRICS_PORT in ports and any(
                m.get("kubernetes.io/metadata.name") == OBSERVABILITY_NAMESPACE for m in peers
            ):
                return True
    return False


def _gateway_buckets(plan: Mapping[str, Any]) -> set[float] | None:
    for release in of_type(plan, RELEASE):
        values = release["inputs"].get("values", {})
        if values.get("name") == GATEWAY_NAME:
            raw = values.get("podAnnotations", {}).get(HISTOGRAM_BUCKETS_ANNOTATION)
            if raw is None:
                return set(ISTIO_DEFAULT_DURATION_BUCKETS)
            return {float(b) for b in json.loads(raw).get("istiocustom", [])}
    return None


def _producer(plan: Mapping[str, Any], slo: Slo, out: FlowResult) -> None:
    exprs = slo.bad + slo.total
    if "cloudflare_" in exprs:
        _cloudflare_exporter(plan, slo, out)
        return
    bounds = {float(b) for b in _selector(exprs, "le")}
    if _selector(exprs, "source_workload") == {GATEWAY_NAME}:
        buckets = _gateway_buckets(plan)
        if buckets is None:
            out.failures.append(f"{slo.name}: producer: no {GATEWAY_NAME} release")
            return
        if missing := bounds - buckets:
            out.failures.append(
                f"{slo.name}: producer: le bounds {sorted(missing)} are not buckets of "
                f"{GATEWAY_NAME}'s istio_request_duration_milliseconds"
            )
        namespaces = {INGRESS_NAMESPACE}
    else:
        namespaces = _selector(exprs, "destination_workload_namespace") | _selector(
            exprs, "namespace"
        )
        if "istio_request_duration" in exprs and (
            missing := bounds - set(ISTIO_DEFAULT_DURATION_BUCKETS)
        ):
            out.failures.append(
                f"{slo.name}: producer: le bounds {sorted(missing)} are not Istio's default buckets"
            )
    if not namespaces:
        out.failures.append(f"{slo.name}: producer: the SLI names no workload or namespace")
    for namespace in sorted(namespaces):
        if not _namespace_meshed(plan, namespace):
            out.failures.append(
                f"{slo.name}: producer: namespace {namespace} is not planned with sidecar "
                "injection (no proxy metrics on 15020)"
            )
        elif not _admits_scraper(plan, namespace):
            out.failures.append(
                f"{slo.name}: scrape: no NetworkPolicy in {namespace} admits "
                f"{OBSERVABILITY_NAMESPACE} on {MERGED_METRICS_PORT}"
            )


def _cloudflare_exporter(plan: Mapping[str, Any], slo: Slo, out: FlowResult) -> None:
    """The edge's analytics exporter: its release in the meshed observability namespace, its pod
    annotated for scraping on the exporter's port (merged into 15020 by the sidecar), one zone,
    its token from a Secret whose value is a Cloudflare API token of the plan."""
    releases = [
        r
        for r in of_type(plan, RELEASE)
        if r["inputs"].get("chart") == CLOUDFLARE_EXPORTER_CHART
        and r["inputs"].get("namespace") == OBSERVABILITY_NAMESPACE
    ]
    if len(releases) != 1:
        out.failures.append(
            f"{slo.name}: producer: {len(releases)} Cloudflare analytics exporters, not 1"
        )
        return
    values = releases[0]["inputs"].get("values", {})
    annotations = values.get("podAnnotations", {})
    if annotations.get("prometheus.io/scrape") != "true" or annotations.get(
        "prometheus.io/port"
    ) != str(CLOUDFLARE_EXPORTER_PORT):
        out.failures.append(
            f"{slo.name}: scrape: the Cloudflare exporter's pod is not annotated for scraping "
            f"on {CLOUDFLARE_EXPORTER_PORT}"
        )
    if not _namespace_meshed(plan, OBSERVABILITY_NAMESPACE):
        out.failures.append(
            f"{slo.name}: scrape: {OBSERVABILITY_NAMESPACE} has no sidecar injection (the "
            "exporter's series are not merged into 15020)"
        )
    env = {e.get("name"): e.get("value") for e in values.get("env", [])}
    denied = set(str(env.get("METRICS_DENYLIST") or "").split(",")) & set(
        re.findall(r"cloudflare_[a-z_]+", slo.bad + slo.total)
    )
    if denied:
        out.failures.append(
            f"{slo.name}: producer: the Cloudflare exporter denies {sorted(denied)}, which the "
            "SLI reads"
        )
    if not env.get("CF_ZONES"):
        out.failures.append(f"{slo.name}: producer: the Cloudflare exporter names no zone")
    tokens = {t["urn"] for t in of_type(plan, API_TOKEN)}
    secrets = [
        s
        for s in of_type(plan, SECRET)
        if s["inputs"].get("metadata", {}).get("name") == values.get("secretRef")
        and any(depends_on(s, "stringData", t) for t in tokens)
    ]
    if not secrets:
        out.failures.append(
            f"{slo.name}: producer: the Cloudflare exporter's Secret holds no API token of the plan"
        )


def _cacheable_only(group: Mapping[str, Any], slo: Slo, out: FlowResult) -> None:
    """Every recording rule of a Cloudflare hit-ratio SLI takes the never-cached API content
    types out of its denominator (else a mostly-API zone can never reach the floor)."""
    for rule in group["rules"]:
        if "record" not in rule:
            continue
        expr = str(rule["expr"])
        # `total - (sum(rate(<content-type series>{content_type=~"a|b"}[..])) or vector(0))`
        subtracted = re.findall(
            rf'- \(sum\(rate\({CONTENT_TYPE_SERIES}\{{content_type=~"([^"]+)"\}}', expr
        )
        excluded = {t for m in subtracted for t in m.split("|")}
        if missing := NEVER_CACHED_CONTENT_TYPES - excluded:
            out.failures.append(
                f"{slo.name}: rule: {rule['record']} counts the never-cached content types "
                f"{sorted(missing)} in its denominator (API requests can never be hits)"
            )
            return


def _scrapes_pods(release: Mapping[str, Any]) -> bool:
    config = release["inputs"].get("values", {}).get("config", {})
    jobs = config.get("receivers", {}).get("prometheus", {}).get("config", {})
    for job in jobs.get("scrape_configs", []):
        roles = {c.get("role") for c in job.get("kubernetes_sd_configs", [])}
        keeps = [
            r
            for r in job.get("relabel_configs", [])
            if r.get("action") == "keep"
            and r.get("source_labels") == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
        ]
        if "pod" in roles and keeps:
            pipelines = config.get("service", {}).get("pipelines", {}).values()
            return any(
                "prometheus" in p.get("receivers", [])
                and "prometheusremotewrite" in p.get("exporters", [])
                for p in pipelines
            )
    return False


def check_slo(plan: Mapping[str, Any], slo: Slo, receivers: bool = False) -> FlowResult:
    """`receivers`: the stack configures `meridian:alerting` (a missing subscription fails)."""
    out = FlowResult()
    _producer(plan, slo, out)
    workspaces = of_type(plan, WORKSPACE)
    if len(workspaces) != 1:
        out.failures.append(f"{slo.name}: collection: {len(workspaces)} AMP workspaces, not 1")
        return out
    workspace = workspaces[0]["urn"]
    scrapers = [
        r
        for r in of_type(plan, RELEASE)
        if r["inputs"].get("namespace") == OBSERVABILITY_NAMESPACE
        and _scrapes_pods(r)
        and depends_on(r, "values", workspace)
    ]
    if not scrapers:
        out.failures.append(
            f"{slo.name}: scrape: no collector scrapes annotated pods into the AMP workspace"
        )
    rules = [r for r in of_type(plan, RULES) if depends_on(r, "workspaceId", workspace)]
    group = f"slo-{slo.name}"
    found = [
        g
        for r in rules
        if isinstance(r["inputs"].get("data"), str)
        for g in parsed_yaml(r["inputs"]["data"]).get("groups", [])
        if g["name"] == group
    ]
    if not found:
        out.failures.append(f"{slo.name}: rule: no group {group} in the workspace's rules")
    else:
        severities = {
            r.get("labels", {}).get("severity") for r in found[0]["rules"] if "alert" in r
        }
        if missing := set(SEVERITIES) - severities:
            out.failures.append(f"{slo.name}: rule: no alert of severity {sorted(missing)}")
        if slo.floor is not None and "cloudflare_" in slo.bad:
            _cacheable_only(found[0], slo, out)
    topics = {t["inputs"].get("tags", {}).get("meridian:severity"): t for t in of_type(plan, TOPIC)}
    managers = [m for m in of_type(plan, ALERTMANAGER) if depends_on(m, "workspaceId", workspace)]
    if not managers:
        out.failures.append(f"{slo.name}: Alertmanager: no definition on the workspace")
        return out
    manager = managers[0]
    definition = manager["inputs"].get("definition")
    routed: dict[str, str | None] = {}
    if isinstance(definition, str) and definition.startswith("alertmanager_config"):
        inner = parsed_yaml(parsed_yaml(definition)["alertmanager_config"])
        by_receiver = {r["name"]: r for r in inner["receivers"]}
        for route in inner["route"]["routes"]:
            (severity,) = re.findall(r'severity="(P\d)"', route["matchers"][0])
            sns = by_receiver.get(route["receiver"], {}).get("sns_configs", [{}])
            routed[severity] = sns[0].get("topic_arn")
    for severity in SEVERITIES:
        topic = topics.get(severity)
        if topic is None:
            out.failures.append(f"{slo.name}: topic: no {severity} topic")
            continue
        if not depends_on(manager, "definition", topic["urn"]):
            out.failures.append(f"{slo.name}: Alertmanager: {severity} not routed to its topic")
        elif routed and routed.get(severity) != topic.get("outputs", {}).get("arn"):
            out.failures.append(
                f"{slo.name}: Alertmanager: route {severity} names {routed.get(severity)}, "
                f"not the {severity} topic"
            )
        subscriptions = [
            s for s in of_type(plan, SUBSCRIPTION) if depends_on(s, "topic", topic["urn"])
        ]
        if not subscriptions:
            (out.failures if receivers else out.pending).append(
                f"{slo.name}: subscription: no receiver of {severity} (meridian:alerting unset)"
            )
    return out


def _sns_in_metrics_region(action: Any) -> bool:
    """An alarm action a preview cannot resolve yet: an SNS topic ARN of us-east-1, or unknown."""
    return not known(action) or f":sns:{CLOUDFRONT_METRICS_REGION}:" in str(action)


def check_cloudfront_slo(
    edge: Mapping[str, Any], metrics: Mapping[str, Any], slo: Slo, receivers: bool = False
) -> FlowResult:
    """The AWS edge's flow of `slo` (a row with `cloudfront_metric`): `edge` the edge stack's
    plan, `metrics` the plan of the us-east-1 regional stack (the topics the alarms notify)."""
    out = FlowResult()
    metric, floor = slo.cloudfront_metric, slo.floor
    if metric is None or floor is None:
        out.failures.append(f"{slo.name}: the row names no CloudFront metric and floor")
        return out
    distributions = [d["urn"] for d in of_type(edge, DISTRIBUTION)]
    if len(distributions) != 1:
        out.failures.append(f"{slo.name}: producer: {len(distributions)} distributions, not 1")
        return out
    distribution = distributions[0]
    subscribed = [
        m
        for m in of_type(edge, MONITORING_SUBSCRIPTION)
        if depends_on(m, "distributionId", distribution)
        and (m["inputs"].get("monitoringSubscription") or {})
        .get("realtimeMetricsSubscriptionConfig", {})
        .get("realtimeMetricsSubscriptionStatus")
        == "Enabled"
    ]
    if not subscribed:
        out.failures.append(
            f"{slo.name}: producer: the distribution's additional metrics are off (no "
            f"monitoring subscription): CloudFront publishes no {metric}"
        )
    topics = {
        t["inputs"].get("tags", {}).get("meridian:severity"): t for t in of_type(metrics, TOPIC)
    }
    for severity in SEVERITIES:
        alarms = [
            a
            for a in of_type(edge, ALARM)
            if a["inputs"].get("namespace") == "AWS/CloudFront"
            and a["inputs"].get("metricName") == metric
            and depends_on(a, "dimensions", distribution)
            and (a["inputs"].get("tags") or {}).get("meridian:severity") == severity
        ]
        if not alarms:
            out.failures.append(
                f"{slo.name}: alarm: no {severity} alarm on the distribution's {metric}"
            )
            continue
        alarm = alarms[0]
        inputs = alarm["inputs"]
        if f"::aws-{CLOUDFRONT_METRICS_REGION}::" not in str(alarm.get("provider", "")):
            out.failures.append(
                f"{slo.name}: alarm: {name_of(alarm)} is not in {CLOUDFRONT_METRICS_REGION}, "
                "where CloudFront publishes its metrics"
            )
        if not (
            inputs.get("comparisonOperator") == "LessThanThreshold"
            and inputs.get("threshold") == round(floor * 100, 6)
            and inputs.get("statistic") == "Average"
            and (inputs.get("dimensions") or {}).get("Region") == "Global"
        ):
            out.failures.append(
                f"{slo.name}: alarm: {name_of(alarm)} does not count minutes below "
                f"{floor * 100:g} % (Average, Region=Global)"
            )
        topic = topics.get(severity)
        if topic is None:
            out.failures.append(f"{slo.name}: topic: no {severity} topic in us-east-1")
            continue
        arn = topic.get("outputs", {}).get("arn")
        actions = inputs.get("alarmActions") or []
        routed = bool(actions) and (
            arn in actions if known(arn) else all(map(_sns_in_metrics_region, actions))
        )
        if not routed:
            out.failures.append(
                f"{slo.name}: alarm: {name_of(alarm)} notifies {actions}, not the {severity} topic"
            )
        if not [s for s in of_type(metrics, SUBSCRIPTION) if depends_on(s, "topic", topic["urn"])]:
            (out.failures if receivers else out.pending).append(
                f"{slo.name}: subscription: no receiver of {severity} (meridian:alerting unset)"
            )
    return out
