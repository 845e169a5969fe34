"""The cluster-metrics flows of one regional plan.

- Resource metrics: every HorizontalPodAutoscaler a release enables (the ingress gateway's and
  the GraphQL router's `autoscaling.enabled`, istiod's `pilot.autoscaleEnabled`) reads
  `metrics.k8s.io`, so the same cluster must install metrics-server with its APIService.
- Exporters: kube-state-metrics and node-exporter are installed, and the telemetry scraper (the
  collector release remote-writing to the AMP workspace) has a scrape job that keeps each one's
  Service, the RBAC its EndpointSlice discovery needs, the exporter's port outside its sidecar,
  and NetworkPolicies that let the scraper out to the exporter and (kube-state-metrics) in.

Pure functions over plan documents (`steps[*].newState`); each returns the broken links.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meridian_ops.plan.flows.alert import NETWORK_POLICY, RELEASE, WORKSPACE, depends_on, of_type

CLUSTER_NAMESPACE = "kube-system"
SCRAPER_NAMESPACE = "observability"
EXPORTERS: dict[str, tuple[str, int]] = {
    # release -> (the chart's app.kubernetes.io/name, its metrics port): the charts' defaults,
    # prometheus-community/helm-charts kube-state-metrics 8.4.0 and prometheus-node-exporter
    # 4.56.1 values.yaml (service.port)
    "kube-state-metrics": ("kube-state-metrics", 8080),
    "node-exporter": ("prometheus-node-exporter", 9100),
}


def _release(plan: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    for release in of_type(plan, RELEASE):
        if release["inputs"].get("name") == name:
            return release
    return None


def autoscaled_releases(plan: Mapping[str, Any]) -> list[str]:
    """The releases whose chart creates a HorizontalPodAutoscaler."""
    found = []
    for release in of_type(plan, RELEASE):
        values = release["inputs"].get("values", {})
        if values.get("autoscaling", {}).get("enabled") or values.get("pilot", {}).get(
            "autoscaleEnabled"
        ):
            found.append(release["inputs"]["name"])
    return found


def check_resource_metrics(plan: Mapping[str, Any]) -> list[str]:
    failures = []
    server = _release(plan, "metrics-server")
    for name in autoscaled_releases(plan):
        hpa = _release(plan, name)
        assert hpa is not None
        if server is None:
            failures.append(f"{name}: HPA: no metrics-server release serves metrics.k8s.io")
        elif server["inputs"].get("values", {}).get("apiService", {}).get("create") is False:
            failures.append(f"{name}: HPA: metrics-server registers no APIService")
        elif server.get("provider") != hpa.get("provider"):
            failures.append(f"{name}: HPA: metrics-server is installed in another cluster")
    return failures


def _scraper(plan: Mapping[str, Any]) -> dict[str, Any] | None:
    workspaces = of_type(plan, WORKSPACE)
    for release in of_type(plan, RELEASE):
        if (
            release["inputs"].get("namespace") == SCRAPER_NAMESPACE
            and workspaces
            and depends_on(release, "values", workspaces[0]["urn"])
            and release["inputs"]
            .get("values", {})
            .get("config", {})
            .get("receivers", {})
            .get("prometheus")
        ):
            return release
    return None


def _keeps(job: Mapping[str, Any], app: str) -> bool:
    roles = {
        (c.get("role"), tuple(c.get("namespaces", {}).get("names", [])))
        for c in job.get("kubernetes_sd_configs", [])
    }
    return ("endpointslice", (CLUSTER_NAMESPACE,)) in roles and any(
        r.get("action") == "keep"
        and r.get("source_labels") == ["__meta_kubernetes_service_label_app_kubernetes_io_name"]
        and r.get("regex") == app
        for r in job.get("relabel_configs", [])
    )


def _egress_admits(plan: Mapping[str, Any], scraper: str, app: str, port: int) -> bool:
    for policy in of_type(plan, NETWORK_POLICY):
        inputs = policy["inputs"]
        spec = inputs.get("spec", {})
        if inputs.get("metadata", {}).get("namespace") != SCRAPER_NAMESPACE:
            continue
        selected = spec.get("podSelector", {}).get("matchLabels", {})
        if selected and selected.get("app.kubernetes.io/instance") != scraper:
            continue
        for rule in spec.get("egress", []) or []:
            if port not in {p.get("port") for p in rule.get("ports", [])}:
                continue
            for peer in rule.get("to", []):
                labels = peer.get("podSelector", {}).get("matchLabels", {})
                if "ipBlock" in peer or labels.get("app.kubernetes.io/name") == app:
                    return True
    return False


def _ingress_admits(plan: Mapping[str, Any], scraper: str, app: str, port: int) -> bool:
    for policy in of_type(plan, NETWORK_POLICY):
        inputs = policy["inputs"]
        spec = inputs.get("spec", {})
        if inputs.get("metadata", {}).get("namespace") != CLUSTER_NAMESPACE:
            continue
        if spec.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") != app:
            continue
        for rule in spec.get("ingress", []) or []:
            if port not in {p.get("port") for p in rule.get("ports", [])}:
                continue
            for peer in rule.get("from", []):
                namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
                pods = peer.get("podSelector", {}).get("matchLabels", {})
                if (
                    namespace.get("kubernetes.io/metadata.name") == SCRAPER_NAMESPACE
                    and pods.get("app.kubernetes.io/instance") == scraper
                ):
                    return True
    return False


def check_exporters(plan: Mapping[str, Any]) -> list[str]:
    scraper = _scraper(plan)
    if scraper is None:
        return ["scrape: no collector remote-writes scraped metrics to the AMP workspace"]
    name = scraper["inputs"]["name"]
    values = scraper["inputs"]["values"]
    jobs = values["config"]["receivers"]["prometheus"]["config"].get("scrape_configs", [])
    rules = values.get("clusterRole", {}).get("rules", [])
    reads_slices = any(
        "endpointslices" in r.get("resources", []) and "list" in r.get("verbs", []) for r in rules
    )
    bypassed = {
        int(p)
        for p in values.get("podAnnotations", {})
        .get("traffic.sidecar.istio.io/excludeOutboundPorts", "")
        .split(",")
        if p
    }
    failures = []
    for release, (app, port) in EXPORTERS.items():
        exporter = _release(plan, release)
        if exporter is None or exporter["inputs"].get("namespace") != CLUSTER_NAMESPACE:
            failures.append(f"{release}: producer: no {release} release in {CLUSTER_NAMESPACE}")
            continue
        if not any(_keeps(j, app) for j in jobs):
            failures.append(f"{release}: scrape: no job of {name} keeps the {app} Service")
        if not reads_slices:
            failures.append(f"{release}: scrape: {name} may not list EndpointSlices")
        if port not in bypassed:
            failures.append(f"{release}: scrape: port {port} goes through {name}'s sidecar")
        if not _egress_admits(plan, name, app, port):
            failures.append(f"{release}: scrape: no NetworkPolicy lets {name} out to {port}")
        if release == "kube-state-metrics" and not _ingress_admits(plan, name, app, port):
            failures.append(f"{release}: scrape: no NetworkPolicy admits {name} on {port}")
    return failures
