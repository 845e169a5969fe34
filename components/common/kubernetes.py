"""Kubernetes object helpers shared by the components: object metadata, custom objects, the
`default-deny` NetworkPolicy a namespace starts from and the rules it re-opens (cluster DNS,
istiod), and `pinned_release`, a Helm release of a chart pinned in stacks/versions.py.

Every Meridian release installs the same way: the pinned version from its repository (an OCI
registry names the chart inside the reference), into a namespace the component created and
hardened first, atomically, and cleaned up when it fails.

Example::

    object_meta("deny-all", "istio-system")  # {"name": "deny-all", "namespace": "istio-system"}
    custom_object("mesh-default-peer-auth", "security.istio.io/v1", "PeerAuthentication",
                  object_meta("default", "istio-system"), {"mtls": {"mode": "STRICT"}},
                  opts=pulumi.ResourceOptions(parent=self, provider=kube))
    default_deny_network_policy("router-default-deny", "graphql",
                                opts=pulumi.ResourceOptions(parent=self, provider=kube))

    pinned_release("mesh-istiod", release="istiod", chart=HELM_CHARTS["istiod"],
                   namespace="istio-system", values={...}, timeout=900,
                   opts=pulumi.ResourceOptions(parent=self, provider=kube))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pulumi
import pulumi_kubernetes as k8s

ISTIO_NAMESPACE = "istio-system"


class PinnedChart(Protocol):
    """A pinned chart (stacks.versions.HelmChart satisfies it; components take this protocol so
    they import nothing from stacks/)."""

    @property
    def chart(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def repository(self) -> str: ...


def pinned_release(
    resource_name: str,
    *,
    release: str,
    chart: PinnedChart,
    namespace: pulumi.Input[str],
    values: pulumi.Input[Mapping[str, Any]],
    opts: pulumi.ResourceOptions,
    timeout: int | None = None,
) -> k8s.helm.v3.Release:
    oci = chart.repository.startswith("oci://")
    return k8s.helm.v3.Release(
        resource_name,
        name=release,
        chart=f"{chart.repository}/{chart.chart}" if oci else chart.chart,
        version=chart.version,
        repository_opts=None if oci else {"repo": chart.repository},
        namespace=namespace,
        create_namespace=False,
        atomic=True,
        cleanup_on_fail=True,
        timeout=timeout,
        values=values,
        opts=opts,
    )


def object_meta(
    name: str, namespace: str | None = None, labels: Mapping[str, str] | None = None
) -> k8s.meta.v1.ObjectMetaArgsDict:
    """The metadata of one Kubernetes object: its name, and its namespace and labels if any."""
    meta: k8s.meta.v1.ObjectMetaArgsDict = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    return meta


def custom_object(
    resource_name: str,
    api_version: str,
    kind: str,
    metadata: k8s.meta.v1.ObjectMetaArgsDict,
    spec: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """An object of a custom resource (the mesh's and the tenants' Istio objects)."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=api_version,
        kind=kind,
        metadata=metadata,
        spec=dict(spec),
        opts=opts,
    )


def small_workload_quota(pods: int) -> dict[str, str]:
    """The quota of a namespace that runs one small meshed workload: `pods` pods (the replicas, a
    rollout's surge and their sidecars) at up to 1 CPU and 1 GiB requested each, two Services and
    no volumes."""
    return {
        "pods": str(pods),
        "requests.cpu": f"{pods}",
        "requests.memory": f"{pods}Gi",
        "limits.memory": f"{2 * pods}Gi",
        "services": "2",
        "persistentvolumeclaims": "0",
    }


SMALL_CONTAINER_LIMITS: Mapping[str, str] = {"memory": "256Mi"}
SMALL_CONTAINER_REQUESTS: Mapping[str, str] = {"cpu": "100m", "memory": "128Mi"}
"""A LimitRange's defaults for containers that name no resources in such a namespace."""


def namespace_limits(
    resource_name: str,
    namespace: str,
    hard: Mapping[str, str],
    default: Mapping[str, str],
    default_request: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> tuple[k8s.core.v1.ResourceQuota, k8s.core.v1.LimitRange]:
    """A namespace's ResourceQuota (`hard`) and the LimitRange that gives containers without
    resources their limits (`default`) and requests (`default_request`), so a pod that names
    none is still admitted under the quota and one workload cannot starve the node."""
    quota_object = k8s.core.v1.ResourceQuota(
        f"{resource_name}-quota",
        metadata=object_meta(namespace, namespace),
        spec={"hard": dict(hard)},
        opts=opts,
    )
    limit_range = k8s.core.v1.LimitRange(
        f"{resource_name}-limits",
        metadata=object_meta(namespace, namespace),
        spec={
            "limits": [
                {
                    "type": "Container",
                    "default": dict(default),
                    "default_request": dict(default_request),
                }
            ]
        },
        opts=opts,
    )
    return quota_object, limit_range


OBSERVABILITY_NAMESPACE = "observability"
"""The telemetry collectors' namespace (components/observability/agents.py)."""
MERGED_METRICS_PORT = 15020
"""Istio's merged metrics port (pilot-agent serves Envoy's istio_* stats and the application's on
/stats/prometheus; istio/istio 1.29.2 pkg/kube/inject annotates meshed pods with it)."""


def default_deny_network_policy(
    resource_name: str, namespace: str, opts: pulumi.ResourceOptions
) -> k8s.networking.v1.NetworkPolicy:
    """The NetworkPolicy `default-deny` of `namespace`: every pod in it selected, no ingress and no
    egress allowed, so that each flow the namespace needs is one allowing policy beside it."""
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata=object_meta("default-deny", namespace),
        spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
        opts=opts,
    )


def metrics_scrape_ingress() -> k8s.networking.v1.NetworkPolicyIngressRuleArgsDict:
    """Ingress from the metrics scraper (the `observability` namespace) to the merged metrics
    port: the only way a namespace's metrics reach Prometheus."""
    return {
        "from_": [
            {
                "namespace_selector": {
                    "match_labels": {"kubernetes.io/metadata.name": OBSERVABILITY_NAMESPACE}
                }
            }
        ],
        "ports": [{"protocol": "TCP", "port": MERGED_METRICS_PORT}],
    }


def dns_egress() -> k8s.networking.v1.NetworkPolicyEgressRuleArgsDict:
    """Egress to the cluster DNS (kube-dns in kube-system), UDP and TCP 53."""
    return {
        "to": [
            {
                "namespace_selector": {
                    "match_labels": {"kubernetes.io/metadata.name": "kube-system"}
                },
                "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def istiod_egress() -> k8s.networking.v1.NetworkPolicyEgressRuleArgsDict:
    """Egress to istiod's XDS and certificate port (15012), for sidecars in a meshed namespace."""
    return {
        "to": [
            {
                "namespace_selector": {
                    "match_labels": {"kubernetes.io/metadata.name": ISTIO_NAMESPACE}
                },
                "pod_selector": {"match_labels": {"app": "istiod"}},
            }
        ],
        "ports": [{"protocol": "TCP", "port": 15012}],
    }
