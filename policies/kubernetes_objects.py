"""Kubernetes objects as the engine sends them to the pack: type tokens and shared readers.

pulumi-kubernetes 4 registers typed objects and CustomResources alike as
``kubernetes:<group>/<version>:<Kind>`` with ``apiVersion``/``kind``/``metadata``/``spec``
inputs, and Helm releases as ``kubernetes:helm.sh/v3:Release`` (chart, version,
repositoryOpts, values). Used by ``zero_trust_mesh`` and ``zero_trust_namespaces``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pulumi_policy import PolicyResource

from .support import get, is_empty

EKS_CLUSTER: Final = "aws:eks/cluster:Cluster"
PEER_AUTHENTICATION_TYPES: Final = frozenset(
    {
        "kubernetes:security.istio.io/v1:PeerAuthentication",
        "kubernetes:security.istio.io/v1beta1:PeerAuthentication",
    }
)
AUTHORIZATION_POLICY_TYPES: Final = frozenset(
    {
        "kubernetes:security.istio.io/v1:AuthorizationPolicy",
        "kubernetes:security.istio.io/v1beta1:AuthorizationPolicy",
    }
)
NETWORK_POLICY: Final = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
HELM_RELEASE: Final = "kubernetes:helm.sh/v3:Release"
RESOURCE_QUOTA: Final = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE: Final = "kubernetes:core/v1:LimitRange"
NAMESPACE: Final = "kubernetes:core/v1:Namespace"
SERVICE: Final = "kubernetes:core/v1:Service"

SYSTEM_NAMESPACES: Final = ("kube-system", "kube-public", "kube-node-lease", "istio-system")
STRING_LIST: Final = {"type": "array", "items": {"type": "string"}}


def k8s_namespace_of(resource: PolicyResource) -> Any:
    """``metadata.namespace`` of a namespaced object (raises if unknown during preview)."""
    return get(resource.props, "metadata", "namespace")


def installs(props: Any, chart: str) -> bool:
    """Whether a Helm Release's inputs install ``chart`` (``istiod``, ``istio/istiod``,
    ``oci://.../istiod``, ``.../istiod-1.24.0.tgz``)."""
    value = get(props, "chart")
    return isinstance(value, str) and bool(
        re.search(rf"(^|/){re.escape(chart)}(-\d[\w.+-]*)?(\.tgz)?$", value.strip())
    )


def default_deny_authz(resource: PolicyResource) -> bool:
    """An AuthorizationPolicy that allows nothing: ALLOW (the default) with no rules, applying
    to every workload of its namespace (no selector or target)."""
    spec = get(resource.props, "spec")
    if is_empty(spec):
        return True
    action = str(get(spec, "action", default="ALLOW")).upper()
    return (
        action == "ALLOW"
        and is_empty(get(spec, "rules"))
        and is_empty(get(spec, "selector"))
        and is_empty(get(spec, "targetRef"))
        and is_empty(get(spec, "targetRefs"))
    )
