"""ClusterMetrics: the cluster's own metrics, beside the mesh's.

- metrics-server (kubernetes-sigs chart): the `metrics.k8s.io` resource metrics API that the
  HorizontalPodAutoscalers of the ingress gateway, istiod and the GraphQL router read CPU from
  (without it their targets stay `<unknown>` and they never scale). Two replicas, a disruption
  budget, on the system pool. The API server reaches it on 10250, a control-plane-to-node port
  the cluster already admits (components/kubernetes/cluster.py CONTROL_PLANE_TO_NODE_PORTS).
- kube-state-metrics (prometheus-community chart), one replica: `kube_*` series of the API
  objects (pod restarts, OOMKills, HPA replicas), served on `KUBE_STATE_METRICS_PORT`.
- node-exporter (prometheus-community chart), a DaemonSet on every node (GPU and system pools
  included): `node_*` series (CPU, memory, disk, network), served on the node's address,
  `NODE_EXPORTER_PORT` (it runs in the host's network namespace).

All three are node-level agents like Fluent Bit and run in `kube-system`, outside the mesh: the
collector's scraper (components/observability/agents.py) reads the two exporters in plain text
through `cluster_scrape_jobs()` (Kubernetes EndpointSlice discovery) and remote-writes them to
the region's AMP workspace. A NetworkPolicy admits only the scraper's pods to
kube-state-metrics; a second one lets only the scraper's pods leave the observability namespace
for the two exporters. node-exporter is on the host network, where NetworkPolicies do not apply:
the node security group (node to node only) is its boundary.

Example::

    ClusterMetrics("cluster-metrics", ClusterMetricsArgs(
        cluster=cluster, node_cidrs=["10.0.0.0/16"],
        metrics_server=HELM_CHARTS["metrics-server"],
        kube_state_metrics=HELM_CHARTS["kube-state-metrics"],
        node_exporter=HELM_CHARTS["prometheus-node-exporter"],
        scraper_namespace=telemetry.namespace, after=addons.ready), opts=in_region)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from components.common.kubernetes import OBSERVABILITY_NAMESPACE, PinnedChart, pinned_release
from components.kubernetes.cluster import EksCluster
from components.mesh.service_mesh import CRITICAL_ADDONS_TOLERATION

CLUSTER_METRICS_NAMESPACE = "kube-system"
METRICS_SERVER_RELEASE = "metrics-server"
KUBE_STATE_METRICS_RELEASE = "kube-state-metrics"
NODE_EXPORTER_RELEASE = "node-exporter"
KUBE_STATE_METRICS_NAME = "kube-state-metrics"
NODE_EXPORTER_NAME = "prometheus-node-exporter"
"""The charts' `app.kubernetes.io/name` labels (their chart names; no nameOverride)."""
KUBE_STATE_METRICS_PORT = 8080
"""kube-state-metrics' `http` port (the chart's service.port default)."""
NODE_EXPORTER_PORT = 9100
"""node-exporter's `metrics` port on the node (the chart's service.port default)."""
SCRAPED_PORTS: tuple[int, ...] = (KUBE_STATE_METRICS_PORT, NODE_EXPORTER_PORT)
SCRAPER_RELEASE = "otel-scraper"
"""The collector release that scrapes (agents.py); its pods carry this as
`app.kubernetes.io/instance` (the opentelemetry-collector chart's selector labels)."""
SCRAPE_INTERVAL = "30s"
EXPORTERS: tuple[tuple[str, str], ...] = (
    ("kube-state-metrics", KUBE_STATE_METRICS_NAME),
    ("node-exporter", NODE_EXPORTER_NAME),
)
"""Scrape job name -> the exporter's `app.kubernetes.io/name`."""


def scraper_pods() -> kubernetes.networking.v1.NetworkPolicyPeerArgsDict:
    """The NetworkPolicy peer of the scraper's pods (and nothing else of the namespace)."""
    return {
        "namespace_selector": {
            "match_labels": {"kubernetes.io/metadata.name": OBSERVABILITY_NAMESPACE}
        },
        "pod_selector": {"match_labels": {"app.kubernetes.io/instance": SCRAPER_RELEASE}},
    }


def cluster_scrape_jobs() -> list[dict[str, Any]]:
    """The Prometheus scrape jobs of kube-state-metrics and node-exporter: EndpointSlice
    discovery in `kube-system`, kept by the Service's `app.kubernetes.io/name` label; `node`
    names the node an endpoint runs on (node-exporter's series are per node). kube-state-metrics'
    own labels are honoured: its `pod` is the object's, not the exporter's."""
    service_label = "__meta_kubernetes_service_label_app_kubernetes_io_name"
    return [
        {
            "job_name": job,
            "scrape_interval": SCRAPE_INTERVAL,
            # kube-state-metrics labels its series with the object's own `pod`, `namespace` and
            # `node`: they win over the target's (else they would be renamed `exported_pod`...)
            "honor_labels": job == "kube-state-metrics",
            "kubernetes_sd_configs": [
                {"role": "endpointslice", "namespaces": {"names": [CLUSTER_METRICS_NAMESPACE]}}
            ],
            "relabel_configs": [
                {"source_labels": [service_label], "action": "keep", "regex": app},
                {
                    "source_labels": ["__meta_kubernetes_endpointslice_address_target_name"],
                    "action": "replace",
                    "target_label": "pod",
                },
                {
                    "source_labels": ["__meta_kubernetes_endpointslice_endpoint_node_name"],
                    "action": "replace",
                    "target_label": "node",
                },
            ],
        }
        for job, app in EXPORTERS
    ]


CLUSTER_SCRAPE_RBAC: tuple[dict[str, Any], ...] = (
    {"apiGroups": [""], "resources": ["services", "pods"], "verbs": ["get", "list", "watch"]},
    {
        "apiGroups": ["discovery.k8s.io"],
        "resources": ["endpointslices"],
        "verbs": ["get", "list", "watch"],
    },
)
"""What EndpointSlice discovery reads (Kubernetes RBAC, read-only)."""


@dataclass(frozen=True)
class ClusterMetricsArgs:
    cluster: EksCluster
    node_cidrs: Sequence[str]
    """Where the nodes' addresses are (node-exporter listens on them): the VPC's ranges."""
    metrics_server: PinnedChart
    kube_state_metrics: PinnedChart
    node_exporter: PinnedChart
    scraper_namespace: pulumi.Resource
    """The observability namespace (TelemetryAgents.namespace): the scraper's egress lives there."""
    after: Sequence[pulumi.Resource] = ()
    """What must run first (the cluster add-ons: DNS, the system pool)."""
    metrics_server_replicas: int = 2

    def __post_init__(self) -> None:
        if not self.node_cidrs:
            raise ValueError("node_cidrs must name at least one range")
        if self.metrics_server_replicas < 1:
            raise ValueError("metrics_server_replicas must be at least 1")


class ClusterMetrics(pulumi.ComponentResource):
    """metrics-server, kube-state-metrics and node-exporter for one cluster."""

    releases: dict[str, kubernetes.helm.v3.Release]

    def __init__(
        self, name: str, args: ClusterMetricsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:ClusterMetrics", name, None, opts)
        self._name = name
        self._args = args
        self._in_kube = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider)
        self.releases = {
            METRICS_SERVER_RELEASE: self._release(
                METRICS_SERVER_RELEASE, args.metrics_server, self._metrics_server_values()
            ),
            KUBE_STATE_METRICS_RELEASE: self._release(
                KUBE_STATE_METRICS_RELEASE,
                args.kube_state_metrics,
                {
                    "replicas": 1,  # two would export every object twice
                    "prometheusScrape": False,  # scraped by cluster_scrape_jobs, not annotations
                    "tolerations": [CRITICAL_ADDONS_TOLERATION],
                },
            ),
            NODE_EXPORTER_RELEASE: self._release(
                NODE_EXPORTER_RELEASE,
                args.node_exporter,
                {
                    # every node, the tainted system and GPU pools included
                    "tolerations": [{"operator": "Exists"}],
                    "priorityClassName": "system-node-critical",
                },
            ),
        }
        self._network_policies()
        self.register_outputs(
            {
                "releases": {k: r.name for k, r in self.releases.items()},
                "scrapeJobs": [j["job_name"] for j in cluster_scrape_jobs()],
            }
        )

    def _metrics_server_values(self) -> dict[str, Any]:
        return {
            "replicas": self._args.metrics_server_replicas,
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
            "tolerations": [CRITICAL_ADDONS_TOLERATION],
            "apiService": {"create": True},
        }

    def _network_policies(self) -> None:
        """Only the scraper reaches kube-state-metrics; only the scraper leaves the observability
        namespace for the two exporters."""
        kubernetes.networking.v1.NetworkPolicy(
            f"{self._name}-kube-state-metrics-ingress",
            metadata={"name": "kube-state-metrics-scrape", "namespace": CLUSTER_METRICS_NAMESPACE},
            spec={
                "pod_selector": {
                    "match_labels": {"app.kubernetes.io/name": KUBE_STATE_METRICS_NAME}
                },
                "policy_types": ["Ingress"],
                "ingress": [
                    {
                        "from_": [scraper_pods()],
                        "ports": [{"protocol": "TCP", "port": KUBE_STATE_METRICS_PORT}],
                    }
                ],
            },
            opts=self._in_kube.merge(pulumi.ResourceOptions(depends_on=list(self._args.after))),
        )
        kubernetes.networking.v1.NetworkPolicy(
            f"{self._name}-scraper-egress",
            metadata={"name": "scrape-cluster-metrics", "namespace": OBSERVABILITY_NAMESPACE},
            spec={
                "pod_selector": {"match_labels": {"app.kubernetes.io/instance": SCRAPER_RELEASE}},
                "policy_types": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespace_selector": {
                                    "match_labels": {
                                        "kubernetes.io/metadata.name": CLUSTER_METRICS_NAMESPACE
                                    }
                                },
                                "pod_selector": {
                                    "match_labels": {
                                        "app.kubernetes.io/name": KUBE_STATE_METRICS_NAME
                                    }
                                },
                            }
                        ],
                        "ports": [{"protocol": "TCP", "port": KUBE_STATE_METRICS_PORT}],
                    },
                    {
                        # node-exporter answers on the nodes' own addresses (host network)
                        "to": [{"ip_block": {"cidr": c}} for c in self._args.node_cidrs],
                        "ports": [{"protocol": "TCP", "port": NODE_EXPORTER_PORT}],
                    },
                ],
            },
            opts=self._in_kube.merge(
                pulumi.ResourceOptions(depends_on=[self._args.scraper_namespace])
            ),
        )

    def _release(
        self, release: str, chart: PinnedChart, values: dict[str, Any]
    ) -> kubernetes.helm.v3.Release:
        return pinned_release(
            f"{self._name}-{release}",
            release=release,
            chart=chart,
            namespace=CLUSTER_METRICS_NAMESPACE,
            values=values,
            timeout=600,
            opts=self._in_kube.merge(pulumi.ResourceOptions(depends_on=list(self._args.after))),
        )
