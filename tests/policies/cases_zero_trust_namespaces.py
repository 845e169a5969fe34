"""Table cases for ``policies/zero_trust_namespaces.py``: tenant namespaces (Pod Security,
sidecar injection, default deny, quotas, allowed callers).

Engine camelCase inputs (pulumi-kubernetes 4 objects and CustomResources as
apiVersion/kind/metadata/spec), evaluated with policies/config/prod.json. The small builders
are shared with the mesh cases.
"""

from __future__ import annotations

from typing import Any

from policies.type_tokens import ISTIO_AUTHORIZATION_POLICY, K8S_NAMESPACE, K8S_NETWORK_POLICY
from tests.policies.cases_common import PolicyCase
from tests.policies.cases_zero_trust_mesh import (
    DENY_ALL_NETPOL,
    LIMITS,
    QUOTA,
    TENANT_LABELS,
    authz,
    labelled_namespace,
    namespace,
    netpol,
)

CASES: list[PolicyCase] = [
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        False,
        stack=[namespace("payments"), authz("payments", {})],
        note="empty-spec",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        False,
        stack=[namespace("payments"), authz("payments", {"action": "ALLOW"}, link=True)],
        note="allow-no-rules-linked-by-dependency",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        True,
        stack=[namespace("payments")],
        note="missing",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        True,
        stack=[
            namespace("payments"),
            authz("payments", {"selector": {"matchLabels": {"app": "web"}}}),
        ],
        note="selector-not-namespace-wide",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        True,
        stack=[namespace("payments"), namespace("orders"), authz("payments", {})],
        note="second-namespace-uncovered",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        False,
        stack=[namespace("kube-system"), namespace("istio-system")],
        note="system-namespaces",
    ),
    PolicyCase(
        "namespace-default-deny-netpol",
        "",
        {},
        False,
        stack=[namespace("payments"), netpol("payments", DENY_ALL_NETPOL)],
        note="deny-all",
    ),
    PolicyCase(
        "namespace-default-deny-netpol",
        "",
        {},
        True,
        stack=[
            namespace("payments"),
            netpol("payments", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        ],
        note="ingress-only",
    ),
    PolicyCase(
        "namespace-default-deny-netpol",
        "",
        {},
        True,
        stack=[
            namespace("payments"),
            netpol(
                "payments",
                {**DENY_ALL_NETPOL, "ingress": [{"from": [{"podSelector": {}}]}]},
            ),
        ],
        note="has-allow-rule",
    ),
    PolicyCase(
        "namespace-default-deny-netpol",
        "",
        {},
        True,
        stack=[namespace("payments"), netpol("orders", DENY_ALL_NETPOL)],
        note="other-namespace",
    ),
    PolicyCase(
        "namespace-pod-security",
        K8S_NAMESPACE,
        labelled_namespace("payment", TENANT_LABELS),
        False,
        note="restricted",
    ),
    PolicyCase(
        "namespace-pod-security",
        K8S_NAMESPACE,
        labelled_namespace("payment", {"istio-injection": "enabled"}),
        True,
        note="no-label",
    ),
    PolicyCase(
        "namespace-pod-security",
        K8S_NAMESPACE,
        labelled_namespace("payment", {"pod-security.kubernetes.io/enforce": "privileged"}),
        True,
        note="privileged",
    ),
    PolicyCase(
        "namespace-pod-security",
        K8S_NAMESPACE,
        labelled_namespace("kube-system", {}),
        False,
        note="system-namespace",
    ),
    PolicyCase(
        "namespace-pod-security",
        K8S_NAMESPACE,
        {"apiVersion": "v1", "kind": "Namespace"},
        True,
        note="auto-named-without-labels",
    ),
    PolicyCase(
        "namespace-pod-security-restricted",
        K8S_NAMESPACE,
        labelled_namespace("payment", {"pod-security.kubernetes.io/enforce": "baseline"}),
        True,
        note="baseline",
    ),
    PolicyCase(
        "namespace-pod-security-restricted",
        K8S_NAMESPACE,
        labelled_namespace("payment", TENANT_LABELS),
        False,
        note="restricted",
    ),
    PolicyCase(
        "namespace-sidecar-injection",
        K8S_NAMESPACE,
        labelled_namespace("payment", TENANT_LABELS),
        False,
        note="injection-enabled",
    ),
    PolicyCase(
        "namespace-sidecar-injection",
        K8S_NAMESPACE,
        labelled_namespace("payment", {"istio.io/rev": "1-26"}),
        False,
        note="revision-label",
    ),
    PolicyCase(
        "namespace-sidecar-injection",
        K8S_NAMESPACE,
        labelled_namespace("payment", {"istio-injection": "disabled", "istio.io/rev": "1-26"}),
        True,
        note="disabled-wins-over-revision",
    ),
    PolicyCase(
        "namespace-sidecar-injection",
        K8S_NAMESPACE,
        labelled_namespace("payment", {"pod-security.kubernetes.io/enforce": "restricted"}),
        True,
        note="no-injection-label",
    ),
    PolicyCase(
        "namespace-sidecar-injection",
        K8S_NAMESPACE,
        labelled_namespace("karpenter", {"pod-security.kubernetes.io/enforce": "restricted"}),
        False,
        note="exempt-by-config",
    ),
    PolicyCase(
        "namespace-resource-limits",
        "",
        {},
        False,
        stack=[namespace("payment"), QUOTA, LIMITS],
        note="quota-and-limits",
    ),
    PolicyCase(
        "namespace-resource-limits",
        "",
        {},
        True,
        stack=[namespace("payment"), QUOTA],
        note="no-limit-range",
    ),
    PolicyCase(
        "namespace-resource-limits",
        "",
        {},
        True,
        stack=[namespace("payment"), namespace("order"), QUOTA, LIMITS],
        note="second-namespace-uncovered",
    ),
]

# ---- namespace-allowed-callers: payment admits only order and the gateway (prod config) ----
GATEWAY_SA = "cluster.local/ns/istio-ingress/sa/istio-ingressgateway"
ORDER_SA = "cluster.local/ns/order/sa/order"


def payment_authz(*sources: dict[str, Any], to_port: str = "8080") -> dict[str, Any]:
    rule: dict[str, Any] = {"to": [{"operation": {"ports": [to_port]}}]}
    if sources:
        rule["from"] = [{"source": s} for s in sources]
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "allow-callers", "namespace": "payment"},
        "spec": {"action": "ALLOW", "rules": [rule]},
    }


def from_namespace(name: str, **pods: str) -> dict[str, Any]:
    peer: dict[str, Any] = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}
    }
    if pods:
        peer["podSelector"] = {"matchLabels": dict(pods)}
    return peer


def payment_netpol(*peers: dict[str, Any], port: int | None = 8080) -> dict[str, Any]:
    rule: dict[str, Any] = {"from": list(peers)}
    if port is not None:
        rule["ports"] = [{"port": port, "protocol": "TCP"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-callers", "namespace": "payment"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [rule]},
    }


CASES += [
    PolicyCase(
        "namespace-allowed-callers",
        ISTIO_AUTHORIZATION_POLICY,
        payment_authz({"principals": [GATEWAY_SA, ORDER_SA]}),
        False,
        note="gateway-and-order",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        ISTIO_AUTHORIZATION_POLICY,
        payment_authz({"principals": [ORDER_SA, "cluster.local/ns/search/sa/search"]}),
        True,
        note="search-is-not-a-caller",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        ISTIO_AUTHORIZATION_POLICY,
        payment_authz(),
        True,
        note="rule-without-from",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        ISTIO_AUTHORIZATION_POLICY,
        payment_authz({"notNamespaces": ["search"]}),
        True,
        note="exclusion",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        ISTIO_AUTHORIZATION_POLICY,
        {**payment_authz({"principals": ["*"]}), "metadata": {"namespace": "search"}},
        False,
        note="other-namespaces-not-isolated",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        K8S_NETWORK_POLICY,
        payment_netpol(
            from_namespace("istio-ingress", istio="ingressgateway"), from_namespace("order")
        ),
        False,
        note="netpol-gateway-and-order",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        K8S_NETWORK_POLICY,
        payment_netpol(from_namespace("order"), {"namespaceSelector": {}}),
        True,
        note="netpol-any-namespace",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        K8S_NETWORK_POLICY,
        payment_netpol({"ipBlock": {"cidr": "10.0.0.0/8"}}),
        True,
        note="netpol-ip-block",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        K8S_NETWORK_POLICY,
        payment_netpol({"podSelector": {"matchLabels": {"app": "payment-worker"}}}),
        False,
        note="netpol-same-namespace",
    ),
    # the metrics scraper (prod config metricsScrapers: observability -> [15020]) reaches the
    # merged metrics port only
    PolicyCase(
        "namespace-allowed-callers",
        K8S_NETWORK_POLICY,
        payment_netpol(from_namespace("observability"), port=15020),
        False,
        note="netpol-scraper-metrics-port",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        K8S_NETWORK_POLICY,
        payment_netpol(from_namespace("observability"), port=8080),
        True,
        note="netpol-scraper-service-port",
    ),
    PolicyCase(
        "namespace-allowed-callers",
        K8S_NETWORK_POLICY,
        payment_netpol(from_namespace("observability"), port=None),
        True,
        note="netpol-scraper-every-port",
    ),
]
