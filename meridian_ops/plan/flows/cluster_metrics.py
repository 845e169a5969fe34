"""The cluster-metrics flows of one regional plan.

- Resource metrics: every HorizontalPodAutoscaler a release enables (the ingress gateway's and
  the GraphQL router's `autoscaling.enabled`, istiod's `pilot.autoscaleEnabled`) reads
  `metrics.k8s.io`, so the same cluster must install metrics-server with its APIService.
- Exporters: kube-state-metrics and node-exporter are installed, and the telemetry scraper (the
  collector release remote-writing to the AMP workspace) has a scrape job that keeps each one's
  Service, the RBAC its EndpointSlice discovery needs, the exporter's port outside its sidecar,
  and NetworkPolicies that let the scraper out to the exporter and (kube-state-metrics) in.
- Kafka brokers: every MSK cluster has open monitoring's JMX and node exporters on, and for each
  the scraper has a job that sets the exporter's port on targets its file discovery reads from
  a ConfigMap mounted into it, which lists exactly the cluster's brokers (in preview, where the
  names are unknown, a ConfigMap whose data is computed from the cluster), the scraper bypasses
  its sidecar on the port, the brokers' security group admits the nodes' group (which the
  scraper's pods share) on it, and a NetworkPolicy lets the scraper out to every broker subnet
  on it.

Pure functions over plan documents (`steps[*].newState`); each returns the broken links.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from meridian_ops.plan.flows.alert import NETWORK_POLICY, RELEASE, WORKSPACE, depends_on, of_type
from meridian_ops.plan.flows.harness import known, name_of

CLUSTER_NAMESPACE = "kube-system"
SCRAPER_NAMESPACE = "observability"
EXPORTERS: dict[str, tuple[str, int]] = {
    # release -> (the chart's app.kubernetes.io/name, its metrics port): the charts' defaults,
    # prometheus-community/helm-charts kube-state-metrics 8.4.0 and prometheus-node-exporter
    # 4.56.1 values.yaml (service.port)
    "kube-state-metrics": ("kube-state-metrics", 8080),
    "node-exporter": ("prometheus-node-exporter", 9100),
}


MSK_CLUSTER = "aws:msk/cluster:Cluster"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NODE_SECURITY_GROUP = "eks-node-sg"
"""The EKS nodes' group, which pods share (custom networking): the scraper's source group."""
BROKER_EXPORTERS: dict[str, tuple[str, int]] = {
    # exporter -> (its openMonitoring.prometheus field, its port on every broker): "Amazon MSK
    # uses port 11001 for the JMX Exporter and port 11002 for the Node Exporter" (MSK developer
    # guide, "Set up a Prometheus host on an Amazon EC2 instance")
    "jmx": ("jmxExporter", 11001),
    "node": ("nodeExporter", 11002),
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


def _scraper_egress(
    plan: Mapping[str, Any], scraper: str, port: int
) -> Iterator[Mapping[str, Any]]:
    """The egress rules on `port` of the NetworkPolicies of the scraper's namespace that select
    the scraper's pods (or every pod of the namespace)."""
    for policy in of_type(plan, NETWORK_POLICY):
        inputs = policy["inputs"]
        spec = inputs.get("spec", {})
        if inputs.get("metadata", {}).get("namespace") != SCRAPER_NAMESPACE:
            continue
        selected = spec.get("podSelector", {}).get("matchLabels", {})
        if selected and selected.get("app.kubernetes.io/instance") != scraper:
            continue
        for rule in spec.get("egress", []) or []:
            if port in {p.get("port") for p in rule.get("ports", [])}:
                yield rule


def _egress_admits(plan: Mapping[str, Any], scraper: str, app: str, port: int) -> bool:
    for rule in _scraper_egress(plan, scraper, port):
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
    bypassed = _bypassed(values)
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


def _bypassed(values: Mapping[str, Any]) -> set[int]:
    ports = values.get("podAnnotations", {}).get(
        "traffic.sidecar.istio.io/excludeOutboundPorts", ""
    )
    return {int(p) for p in ports.split(",") if p}


def _targets_files(
    plan: Mapping[str, Any], values: Mapping[str, Any], job: Mapping[str, Any]
) -> list[tuple[dict[str, Any], str]]:
    """(ConfigMap, key) of every file the job's file discovery reads from a ConfigMap volume
    mounted into the scraper."""
    volumes = {v.get("name"): v for v in values.get("extraVolumes", []) or []}
    mounts = {m.get("mountPath"): m.get("name") for m in values.get("extraVolumeMounts", []) or []}
    maps = {
        c["inputs"].get("metadata", {}).get("name"): c
        for c in of_type(plan, CONFIG_MAP)
        if c["inputs"].get("metadata", {}).get("namespace") == SCRAPER_NAMESPACE
    }
    found = []
    for sd in job.get("file_sd_configs", []) or []:
        for path in sd.get("files", []) or []:
            directory, key = posixpath.split(str(path))
            volume = volumes.get(mounts.get(directory), {})
            config_map = maps.get(volume.get("configMap", {}).get("name"))
            if config_map is not None:
                found.append((config_map, key))
    return found


def _sets_port(job: Mapping[str, Any], port: int) -> bool:
    """The job rewrites every target's address to the same host at `port`."""
    return any(
        r.get("action", "replace") == "replace"
        and r.get("source_labels") == ["__address__"]
        and r.get("target_label") == "__address__"
        and str(r.get("replacement", "")).endswith(f":{port}")
        for r in job.get("relabel_configs", []) or []
    )


def _lists_brokers(config_map: Mapping[str, Any], key: str, cluster: Mapping[str, Any]) -> bool:
    """The file lists exactly the cluster's brokers: every broker of the bootstrap string, as
    many as the cluster has. In preview (names unknown), the file's data is computed from the
    cluster."""
    data = config_map["inputs"].get("data")
    if not known(data):
        return depends_on(config_map, "data", cluster["urn"])
    text = data.get(key) if isinstance(data, dict) else None
    if not isinstance(text, str):
        return False
    targets = [t for group in json.loads(text) for t in group.get("targets", [])]
    hosts = {t.rsplit(":", 1)[0] if ":" in t else t for t in targets}
    bootstrap = str(cluster.get("outputs", {}).get("bootstrapBrokersSaslIam", ""))
    listed = {b.rsplit(":", 1)[0] for b in bootstrap.split(",") if b}
    brokers = cluster["inputs"].get("numberOfBrokerNodes")
    return bool(listed) and listed <= hosts and len(hosts) == len(targets) == brokers


def _broker_groups(
    plan: Mapping[str, Any], cluster: Mapping[str, Any], kind: str
) -> list[dict[str, Any]]:
    """The subnets or security groups the cluster's broker group is placed in."""
    urns = set(cluster.get("propertyDependencies", {}).get("brokerNodeGroupInfo", []))
    return [s for s in of_type(plan, kind) if s["urn"] in urns]


def _sg_admits(plan: Mapping[str, Any], cluster: Mapping[str, Any], port: int) -> bool:
    nodes = [g["urn"] for g in of_type(plan, SECURITY_GROUP) if name_of(g) == NODE_SECURITY_GROUP]
    for group in _broker_groups(plan, cluster, SECURITY_GROUP):
        for rule in of_type(plan, INGRESS_RULE):
            inputs = rule["inputs"]
            if (
                inputs.get("ipProtocol") == "tcp"
                and (inputs.get("fromPort") or -1) <= port <= (inputs.get("toPort") or -1)
                and depends_on(rule, "securityGroupId", group["urn"])
                and any(depends_on(rule, "referencedSecurityGroupId", n) for n in nodes)
            ):
                return True
    return False


def _egress_to_subnets(plan: Mapping[str, Any], scraper: str, cidrs: list[str], port: int) -> bool:
    """A NetworkPolicy of the scraper's namespace selecting its pods lets them out on `port` to
    every one of `cidrs`."""
    covered: set[str] = set()
    for rule in _scraper_egress(plan, scraper, port):
        blocks = [
            ipaddress.IPv4Network(peer["ipBlock"]["cidr"])
            for peer in rule.get("to", [])
            if "ipBlock" in peer and ":" not in peer["ipBlock"]["cidr"]
        ]
        covered |= {c for c in cidrs if any(ipaddress.IPv4Network(c).subnet_of(b) for b in blocks)}
    return bool(cidrs) and covered == set(cidrs)


def check_brokers(plan: Mapping[str, Any]) -> list[str]:
    """The Kafka brokers' exporters, scraped (see the module docstring)."""
    clusters = of_type(plan, MSK_CLUSTER)
    if not clusters:
        return []
    scraper = _scraper(plan)
    if scraper is None:
        return ["kafka: scrape: no collector remote-writes scraped metrics to the AMP workspace"]
    name = scraper["inputs"]["name"]
    values = scraper["inputs"]["values"]
    jobs = values["config"]["receivers"]["prometheus"]["config"].get("scrape_configs", [])
    failures = []
    for cluster in clusters:
        title = f"{cluster['inputs'].get('clusterName', name_of(cluster))}"
        monitoring = cluster["inputs"].get("openMonitoring", {}).get("prometheus", {})
        cidrs = [str(s["inputs"].get("cidrBlock")) for s in _broker_groups(plan, cluster, SUBNET)]
        for exporter, (field, port) in BROKER_EXPORTERS.items():
            unit = f"{title} {exporter}"
            if not monitoring.get(field, {}).get("enabledInBroker"):
                failures.append(f"{unit}: producer: open monitoring's {field} is off")
            if not any(
                _sets_port(job, port) and _lists_brokers(config_map, key, cluster)
                for job in jobs
                for config_map, key in _targets_files(plan, values, job)
            ):
                failures.append(
                    f"{unit}: scrape: no job of {name} reads the brokers' targets on {port}"
                )
            if port not in _bypassed(values):
                failures.append(f"{unit}: scrape: port {port} goes through {name}'s sidecar")
            if not _sg_admits(plan, cluster, port):
                failures.append(
                    f"{unit}: network: the brokers' security group does not admit the nodes' "
                    f"on {port}"
                )
            if not _egress_to_subnets(plan, name, cidrs, port):
                failures.append(
                    f"{unit}: network: no NetworkPolicy lets {name} out to the brokers' "
                    f"subnets on {port}"
                )
    return failures
