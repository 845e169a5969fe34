"""The Prometheus series something in a planned stack collects, and the metric names PromQL reads.

Each `Source` is one producer of series: its names are literals copied from the publisher (the
URL says where), never read from the module under test, and `present(plan)` says whether the
plan deploys the producer AND has the scraper read it (a release and a scrape job). A rule or
dashboard query in a stack may name only series of sources present in that stack, or series a
recording rule of the same stack records.

`metric_names(expr)` is a small PromQL reader: it drops strings, label matchers, ranges and
subqueries, grouping label lists and function calls, and returns the metric names left.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from meridian_ops.plan.flows.alert import parsed_yaml

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
RULES = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
SCRAPER_RELEASE = "otel-scraper"
MSK_CLUSTER = "aws:msk/cluster:Cluster"


def _states(plan: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s["newState"] for s in plan["steps"] if s["newState"]["type"] == kind]


def _release(plan: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    for state in _states(plan, RELEASE):
        if state["inputs"].get("name") == name:
            return state
    return None


def scrape_jobs(plan: Mapping[str, Any]) -> set[str]:
    """The job names of the scraper's Prometheus receiver."""
    scraper = _release(plan, SCRAPER_RELEASE)
    if scraper is None:
        return set()
    values = scraper["inputs"].get("values", {})
    try:
        jobs = values["config"]["receivers"]["prometheus"]["config"]["scrape_configs"]
    except (KeyError, TypeError):
        return set()
    return {str(j["job_name"]) for j in jobs if isinstance(j, dict) and "job_name" in j}


def _has(release: str, job: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda plan: _release(plan, release) is not None and job in scrape_jobs(plan)


def _msk_open_monitoring(field: str, job: str) -> Callable[[Mapping[str, Any]], bool]:
    """An MSK cluster of the plan runs open monitoring's exporter `field` and the scraper has the
    job that reads its brokers."""

    def present(plan: Mapping[str, Any]) -> bool:
        return job in scrape_jobs(plan) and any(
            state["inputs"]
            .get("openMonitoring", {})
            .get("prometheus", {})
            .get(field, {})
            .get("enabledInBroker")
            for state in _states(plan, MSK_CLUSTER)
        )

    return present


def _meshed_namespace(namespace: str) -> Callable[[Mapping[str, Any]], bool]:
    def present(plan: Mapping[str, Any]) -> bool:
        for state in _states(plan, NAMESPACE):
            meta = state["inputs"].get("metadata", {})
            if meta.get("name") == namespace:
                labels = meta.get("labels", {})
                return labels.get("istio-injection") == "enabled" and (
                    "kubernetes-pods" in scrape_jobs(plan)
                )
        return False

    return present


def _histogram(name: str) -> tuple[str, ...]:
    return (f"{name}_bucket", f"{name}_count", f"{name}_sum")


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    series: frozenset[str]
    present: Callable[[Mapping[str, Any]], bool]


SOURCES: tuple[Source, ...] = (
    Source(
        "istio",
        # Istio standard metrics, emitted by every sidecar and gateway Envoy (istio/istio 1.29.2
        # manifests/addons/dashboards read the same names), read by the pod job on 15020.
        "https://istio.io/latest/docs/reference/config/metrics/",
        frozenset(
            {
                "istio_requests_total",
                *_histogram("istio_request_duration_milliseconds"),
                *_histogram("istio_request_bytes"),
                *_histogram("istio_response_bytes"),
                "istio_tcp_sent_bytes_total",
                "istio_tcp_received_bytes_total",
                "istio_tcp_connections_opened_total",
                "istio_tcp_connections_closed_total",
            }
        ),
        _has("istiod", "kubernetes-pods"),
    ),
    Source(
        "kube-state-metrics",
        # kube-state-metrics v2.20.0 (the pinned chart's appVersion): docs/metrics/workload/
        # pod-metrics.md, deployment-metrics.md, horizontalpodautoscaler-metrics.md,
        # docs/metrics/cluster/node-metrics.md
        "https://github.com/kubernetes/kube-state-metrics/tree/v2.20.0/docs/metrics",
        frozenset(
            {
                "kube_pod_status_phase",
                "kube_pod_container_status_restarts_total",
                "kube_pod_container_status_last_terminated_reason",
                "kube_pod_container_status_waiting_reason",
                "kube_pod_container_resource_requests",
                "kube_deployment_spec_replicas",
                "kube_deployment_status_replicas_available",
                "kube_horizontalpodautoscaler_spec_min_replicas",
                "kube_horizontalpodautoscaler_spec_max_replicas",
                "kube_horizontalpodautoscaler_status_current_replicas",
                "kube_horizontalpodautoscaler_status_desired_replicas",
                "kube_node_info",
                "kube_node_status_condition",
            }
        ),
        _has("kube-state-metrics", "kube-state-metrics"),
    ),
    Source(
        "node-exporter",
        # node_exporter v1.12.1 (the pinned chart's appVersion): collector/cpu_linux.go,
        # meminfo.go (node_memory_<key>_bytes of /proc/meminfo), filesystem_common.go,
        # netdev_common.go (node_network_<key>_total), loadavg.go
        "https://github.com/prometheus/node_exporter/tree/v1.12.1/collector",
        frozenset(
            {
                "node_cpu_seconds_total",
                "node_load1",
                "node_memory_MemTotal_bytes",
                "node_memory_MemAvailable_bytes",
                "node_filesystem_size_bytes",
                "node_filesystem_avail_bytes",
                "node_network_receive_bytes_total",
                "node_network_transmit_bytes_total",
            }
        ),
        _has("node-exporter", "node-exporter"),
    ),
    Source(
        "cloudflare-exporter",
        # lablabs/cloudflare-exporter tag 0.0.16 (the pinned chart's appVersion), prometheus.go
        "https://github.com/lablabs/cloudflare-exporter/blob/0.0.16/prometheus.go",
        frozenset(
            {
                "cloudflare_zone_requests_total",
                "cloudflare_zone_requests_cached",
                "cloudflare_zone_requests_content_type",
                "cloudflare_zone_requests_status",
                "cloudflare_zone_requests_country",
                "cloudflare_zone_bandwidth_total",
                "cloudflare_zone_bandwidth_cached",
                "cloudflare_zone_threats_total",
                "cloudflare_zone_pageviews_total",
                "cloudflare_zone_uniques_total",
                "cloudflare_zone_firewall_events_count",
                "cloudflare_zone_pool_health_status",
            }
        ),
        _has("cloudflare-exporter", "kubernetes-pods"),
    ),
    Source(
        "msk-jmx-exporter",
        # MSK open monitoring's JMX exporter on every broker (11001): the names AWS's own sample
        # dashboard for it reads (aws-samples/msk-open-monitoring, msk_grafana_dashboard.json at
        # 2bb3fb12033157ce440d66e19afaea3e52a1a410), without its ZooKeeper series (the clusters
        # run in KRaft mode) and its controller series (AWS does not say which KRaft brokers
        # publish them)
        "https://github.com/aws-samples/msk-open-monitoring/blob/2bb3fb12033157ce440d66e19afaea3e52a1a410/msk_grafana_dashboard.json",
        frozenset(
            {
                "kafka_server_BrokerTopicMetrics_OneMinuteRate",
                "kafka_server_BrokerTopicMetrics_Count",
                "kafka_cluster_Partition_Value",
                "kafka_network_RequestMetrics_OneMinuteRate",
                "kafka_network_Processor_Value",
                "kafka_log_LogFlushStats_Count",
                "kafka_server_Fetch_queue_size",
            }
        ),
        _msk_open_monitoring("jmxExporter", "kafka-jmx"),
    ),
    Source(
        "messaging-service",
        # Meridian's own series: the messaging service's instrumentation contract (README
        # "Observability"), exported by its pods and merged into the sidecar's 15020.
        "README.md#observability",
        frozenset(_histogram("meridian_message_delivery_seconds")),
        _meshed_namespace("messaging"),
    ),
)


def collected(plan: Mapping[str, Any]) -> dict[str, str]:
    """Series name -> the source that collects it, over the sources present in `plan`."""
    return {s: source.name for source in SOURCES if source.present(plan) for s in source.series}


_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless"}
    | {"offset", "inf", "nan"}
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_TOKEN = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _GROUPING.sub(" ", text)
    names: set[str] = set()
    for match in _TOKEN.finditer(text):
        token, call = match.group(1), match.group(2)
        if call or token.lower() in _KEYWORDS:
            continue
        names.add(token)
    return names


def rule_groups(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every rule group of every AMP rule namespace in the plan."""
    groups: list[dict[str, Any]] = []
    for state in _states(plan, RULES):
        data = state["inputs"].get("data")
        if isinstance(data, str):
            groups += (parsed_yaml(data) or {}).get("groups", [])
    return groups


def uncollected(exprs: Iterable[str], plan: Mapping[str, Any], recorded: set[str]) -> set[str]:
    """The metric names of `exprs` that no source present in `plan` collects and no rule
    records."""
    have = collected(plan)
    return {n for e in exprs for n in metric_names(e) if n not in have and n not in recorded}
