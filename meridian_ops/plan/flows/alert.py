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
CLOUDFLARE_EXPORTER_CHART = "cloudflare-exporter"
CLOUDFLARE_EXPORTER_PORT = 8080
"""lablabs/cloudflare-exporter 0.0.16: LISTEN defaults to :8080 (main.go)."""


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
    if not any(e.get("name") == "CF_ZONES" and e.get("value") for e in values.get("env", [])):
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


@functools.lru_cache(maxsize=256)
def parsed_yaml(text: str) -> Any:
    """A YAML document of a plan (a rule group's `data`, an Alertmanager definition), parsed once.

    `check_slo` runs once per SLO (61 in prod) over the same regional plan and reads the same
    few documents each time; the pure-Python parser made that most of the flow report's time.
    The result is shared between callers, who only read it."""
    return yaml.safe_load(text)


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
