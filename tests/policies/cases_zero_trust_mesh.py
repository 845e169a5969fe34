"""Table cases for ``policies/zero_trust_mesh.py``: Istio and Kubernetes namespaces.

Engine camelCase inputs (pulumi-aws 7; pulumi-kubernetes 4 objects and CustomResources as
apiVersion/kind/metadata/spec), evaluated with policies/config/prod.json.
"""

from __future__ import annotations

from typing import Any

from policies.type_tokens import (
    ACMPCA_CERTIFICATE,
    ACMPCA_CERTIFICATE_AUTHORITY,
    EKS_CLUSTER,
    HELM_RELEASE,
    ISTIO_AUTHORIZATION_POLICY,
    ISTIO_GATEWAY,
    ISTIO_PEER_AUTHENTICATION,
    K8S_NAMESPACE,
    K8S_NETWORK_POLICY,
    K8S_PROVIDER,
    K8S_SECRET,
)
from tests.policies.cases_common import UNKNOWN, PolicyCase

EDGE_TAGS = {"exposure": "edge", "owner": "platform"}
WORLD = "0.0.0.0/0"
CLOUDFLARE = "173.245.48.0/20"


def mesh_stack(mode: str = "STRICT", namespace: str = "istio-system", selector: bool = False):
    spec: dict[str, Any] = {"mtls": {"mode": mode}}
    if selector:
        spec["selector"] = {"matchLabels": {"app": "web"}}
    return [
        {"type": EKS_CLUSTER, "name": "eks", "props": {"name": "meridian"}},
        {
            "type": K8S_PROVIDER,
            "name": "k8s",
            "props": {"kubeconfig": UNKNOWN},
            "propertyDependencies": {"kubeconfig": ["eks"]},
        },
        {
            "type": ISTIO_PEER_AUTHENTICATION,
            "name": "mesh-mtls",
            "provider": "k8s",
            "props": {
                "apiVersion": "security.istio.io/v1",
                "kind": "PeerAuthentication",
                "metadata": {"name": "default", "namespace": namespace},
                "spec": spec,
            },
        },
    ]


def two_cluster_stack(cover_second: bool) -> list[dict[str, Any]]:
    entries = mesh_stack()
    entries.append({"type": EKS_CLUSTER, "name": "eks-2", "props": {"name": "meridian-2"}})
    entries.append(
        {
            "type": K8S_PROVIDER,
            "name": "k8s-2",
            "props": {"kubeconfig": UNKNOWN},
            "propertyDependencies": {"kubeconfig": ["eks-2"]},
        }
    )
    if cover_second:
        second = dict(entries[2])
        second.update({"name": "mesh-mtls-2", "provider": "k8s-2"})
        entries.append(second)
    return entries


def namespace(name: str) -> dict[str, Any]:
    return {
        "type": K8S_NAMESPACE,
        "name": f"ns-{name}",
        "props": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    }


def authz(namespace_name: str, spec: dict[str, Any] | None, link: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": ISTIO_AUTHORIZATION_POLICY,
        "name": f"{namespace_name}-deny-all",
        "props": {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {
                "name": "deny-all",
                "namespace": UNKNOWN if link else namespace_name,
            },
            "spec": spec if spec is not None else {},
        },
    }
    if link:
        entry["propertyDependencies"] = {"metadata": [f"ns-{namespace_name}"]}
    return entry


def netpol(namespace_name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": K8S_NETWORK_POLICY,
        "name": f"{namespace_name}-default-deny",
        "props": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": namespace_name},
            "spec": spec,
        },
    }


DENY_ALL_NETPOL = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


CASES: list[PolicyCase] = [
    # ---- Istio / Kubernetes ----
    PolicyCase(
        "istio-peer-auth-strict",
        ISTIO_PEER_AUTHENTICATION,
        {"metadata": {"namespace": "payments"}, "spec": {"mtls": {"mode": "STRICT"}}},
        False,
        note="strict",
    ),
    PolicyCase(
        "istio-peer-auth-strict",
        ISTIO_PEER_AUTHENTICATION,
        {"metadata": {"namespace": "payments"}, "spec": {"mtls": {"mode": "PERMISSIVE"}}},
        True,
        note="permissive",
    ),
    PolicyCase(
        "istio-peer-auth-port-exception",
        "kubernetes:security.istio.io/v1beta1:PeerAuthentication",
        {
            "spec": {
                "selector": {"matchLabels": {"app": "legacy"}},
                "portLevelMtls": {"8080": {"mode": "DISABLE"}},
            }
        },
        True,
        note="port-disable-v1beta1",
    ),
    PolicyCase(
        "istio-authz-no-allow-all",
        ISTIO_AUTHORIZATION_POLICY,
        {"spec": {"action": "ALLOW", "rules": [{}]}},
        True,
        note="empty-rule",
    ),
    PolicyCase(
        "istio-authz-no-allow-all",
        ISTIO_AUTHORIZATION_POLICY,
        {
            "spec": {
                "action": "ALLOW",
                "rules": [
                    {
                        "from": [{"source": {"principals": ["cluster.local/ns/web/sa/web"]}}],
                        "to": [{"operation": {"methods": ["GET"]}}],
                    }
                ],
            }
        },
        False,
        note="scoped-rule",
    ),
    PolicyCase(
        "istio-authz-no-allow-all",
        ISTIO_AUTHORIZATION_POLICY,
        {"spec": {}},
        False,
        note="deny-all-empty-spec",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls", "", {}, False, stack=mesh_stack(), note="strict-mesh-wide"
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=mesh_stack(mode="PERMISSIVE"),
        note="permissive",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=mesh_stack(selector=True),
        note="workload-selector-only",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=mesh_stack(namespace="payments"),
        note="not-root-namespace",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=[{"type": EKS_CLUSTER, "name": "eks", "props": {"name": "meridian"}}],
        note="no-peer-authentication",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=two_cluster_stack(cover_second=False),
        note="second-cluster-uncovered",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        False,
        stack=two_cluster_stack(cover_second=True),
        note="both-clusters-covered",
    ),
]


# ---- the Kubernetes layer: mesh-wide policies, istiod values, namespace labels ----
ISTIOD_RELEASE = {
    "type": HELM_RELEASE,
    "name": "istiod",
    "provider": "k8s",
    "props": {
        "chart": "istiod",
        "version": "1.26.2",
        "namespace": "istio-system",
        "repositoryOpts": {"repo": "https://istio-release.storage.googleapis.com/charts"},
        "values": {"meshConfig": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}},
    },
}


def k8s_object(kind: str, name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": f"kubernetes:security.istio.io/v1:{kind}",
        "name": f"{namespace}-{name}",
        "provider": "k8s",
        "props": {
            "apiVersion": "security.istio.io/v1",
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        },
    }


def mesh_with(*objects: dict[str, Any], cluster: bool = True) -> list[dict[str, Any]]:
    """A cluster (optional), its Kubernetes provider, istiod and the given mesh objects."""
    entries: list[dict[str, Any]] = []
    if cluster:
        entries.append({"type": EKS_CLUSTER, "name": "eks", "props": {"name": "meridian"}})
    provider: dict[str, Any] = {"type": K8S_PROVIDER, "name": "k8s", "props": {}}
    if cluster:
        provider["props"] = {"kubeconfig": UNKNOWN}
        provider["propertyDependencies"] = {"kubeconfig": ["eks"]}
    return [*entries, provider, ISTIOD_RELEASE, *objects]


STRICT_DEFAULT = k8s_object(
    "PeerAuthentication", "default", "istio-system", {"mtls": {"mode": "STRICT"}}
)
DENY_ALL_ROOT = k8s_object("AuthorizationPolicy", "deny-all", "istio-system", {})


def istiod(values: Any, **extra: Any) -> dict[str, Any]:
    props = {k: v for k, v in ISTIOD_RELEASE["props"].items() if k != "values"}
    if values is not None:
        props["values"] = values
    return {**props, **extra}


def labelled_namespace(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


TENANT_LABELS = {
    "istio-injection": "enabled",
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}

CASES += [
    # ---- istio-peer-auth-strict: the mesh-wide policy must say STRICT ----
    PolicyCase(
        "istio-peer-auth-strict",
        ISTIO_PEER_AUTHENTICATION,
        {"metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {}}},
        True,
        note="mesh-wide-unset-inherits-permissive",
    ),
    PolicyCase(
        "istio-peer-auth-strict",
        ISTIO_PEER_AUTHENTICATION,
        {"metadata": {"name": "web", "namespace": "payments"}, "spec": {"mtls": {"mode": "UNSET"}}},
        False,
        note="namespace-unset-inherits-mesh",
    ),
    PolicyCase(
        "istio-peer-auth-strict",
        ISTIO_PEER_AUTHENTICATION,
        STRICT_DEFAULT["props"],
        False,
        note="mesh-wide-strict",
    ),
    # ---- istio-peer-auth-port-exception (advisory) ----
    PolicyCase(
        "istio-peer-auth-port-exception",
        ISTIO_PEER_AUTHENTICATION,
        {
            "metadata": {"name": "metrics", "namespace": "payments"},
            "spec": {
                "selector": {"matchLabels": {"app": "payments"}},
                "mtls": {"mode": "STRICT"},
                "portLevelMtls": {"15020": {"mode": "PERMISSIVE"}},
            },
        },
        True,
        note="permissive-port",
    ),
    PolicyCase(
        "istio-peer-auth-port-exception",
        ISTIO_PEER_AUTHENTICATION,
        {
            "metadata": {"name": "web", "namespace": "payments"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "portLevelMtls": {"8080": {"mode": "STRICT"}},
            },
        },
        False,
        note="strict-port",
    ),
    # ---- istio-mesh-strict-mtls: istiod releases count as meshes too ----
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=mesh_with(cluster=False),
        note="istiod-without-peer-auth",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        False,
        stack=mesh_with(STRICT_DEFAULT, cluster=False),
        note="istiod-with-strict",
    ),
    # ---- istio-mesh-default-deny ----
    PolicyCase(
        "istio-mesh-default-deny",
        "",
        {},
        False,
        stack=mesh_with(STRICT_DEFAULT, DENY_ALL_ROOT),
        note="root-deny-all",
    ),
    PolicyCase(
        "istio-mesh-default-deny",
        "",
        {},
        True,
        stack=mesh_with(STRICT_DEFAULT),
        note="missing",
    ),
    PolicyCase(
        "istio-mesh-default-deny",
        "",
        {},
        True,
        stack=mesh_with(k8s_object("AuthorizationPolicy", "deny-all", "payments", {})),
        note="only-in-a-tenant-namespace",
    ),
    PolicyCase(
        "istio-mesh-default-deny",
        "",
        {},
        True,
        stack=mesh_with(
            k8s_object(
                "AuthorizationPolicy",
                "allow-probes",
                "istio-system",
                {"rules": [{"to": [{"operation": {"paths": ["/healthz"]}}]}]},
            )
        ),
        note="root-policy-with-rules",
    ),
    PolicyCase(
        "istio-mesh-default-deny",
        "",
        {},
        True,
        stack=mesh_with(
            k8s_object("AuthorizationPolicy", "deny-all", "istio-system", {"action": "DENY"}),
            cluster=False,
        ),
        note="istiod-root-deny-action-is-not-default-deny",
    ),
    # ---- istio-outbound-registry-only ----
    PolicyCase(
        "istio-outbound-registry-only",
        HELM_RELEASE,
        istiod({"meshConfig": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}}),
        False,
        note="registry-only",
    ),
    PolicyCase(
        "istio-outbound-registry-only",
        HELM_RELEASE,
        istiod({"meshConfig": {"outboundTrafficPolicy": {"mode": "ALLOW_ANY"}}}),
        True,
        note="allow-any",
    ),
    PolicyCase(
        "istio-outbound-registry-only",
        HELM_RELEASE,
        istiod(None, chart="oci://registry.example/istio/istiod"),
        True,
        note="values-unset-oci-chart",
    ),
    PolicyCase(
        "istio-outbound-registry-only",
        HELM_RELEASE,
        istiod(None, chart="gateway"),
        False,
        note="not-istiod",
    ),
    # ---- namespace-pod-security / -restricted ----
    # ---- namespace-sidecar-injection ----
]


# ---- namespace-resource-limits ----
def namespaced(kind: str, namespace_name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": f"kubernetes:core/v1:{kind}",
        "name": f"{namespace_name}-{kind.lower()}",
        "props": {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": {"name": "tenant", "namespace": namespace_name},
            "spec": spec,
        },
    }


QUOTA = namespaced("ResourceQuota", "payment", {"hard": {"requests.cpu": "8", "pods": "100"}})
LIMITS = namespaced(
    "LimitRange",
    "payment",
    {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"}}]},
)

# ---- lb-service-restricted-sources ----
LBC = "service.beta.kubernetes.io/aws-load-balancer"
SERVICE = "kubernetes:core/v1:Service"


def lb_service(annotations: dict[str, str], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "istio-ingress", "annotations": annotations},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 443}], **spec},
    }


PUBLIC_NLB = {f"{LBC}-type": "external", f"{LBC}-scheme": "internet-facing"}


def gateway(service: dict[str, Any] | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "chart": "gateway",
        "version": "1.26.2",
        "namespace": "istio-ingress",
        "repositoryOpts": {"repo": "https://istio-release.storage.googleapis.com/charts"},
        "values": {"name": "istio-ingressgateway"},
    }
    if service is not None:
        props["values"]["service"] = service
    return props


CASES += [
    PolicyCase(
        "lb-service-restricted-sources",
        SERVICE,
        lb_service({**PUBLIC_NLB, f"{LBC}-security-groups": "sg-0123456789abcdef0"}),
        False,
        note="explicit-security-group",
    ),
    PolicyCase(
        "lb-service-restricted-sources",
        SERVICE,
        lb_service(PUBLIC_NLB, loadBalancerSourceRanges=["173.245.48.0/20"]),
        False,
        note="source-ranges",
    ),
    PolicyCase(
        "lb-service-restricted-sources",
        SERVICE,
        lb_service({f"{LBC}-type": "external"}),
        False,
        note="controller-default-internal",
    ),
    PolicyCase(
        "lb-service-restricted-sources",
        SERVICE,
        lb_service(PUBLIC_NLB),
        True,
        note="open-nlb",
    ),
    PolicyCase(
        "lb-service-restricted-sources",
        SERVICE,
        lb_service({}),
        True,
        note="legacy-controller-public-by-default",
    ),
    PolicyCase(
        "lb-service-restricted-sources",
        HELM_RELEASE,
        gateway({"type": "LoadBalancer", "annotations": PUBLIC_NLB}),
        True,
        note="gateway-open-nlb",
    ),
    PolicyCase(
        "lb-service-restricted-sources",
        HELM_RELEASE,
        gateway(
            {
                "type": "LoadBalancer",
                "annotations": {**PUBLIC_NLB, f"{LBC}-security-groups": "sg-0123456789abcdef0"},
            }
        ),
        False,
        note="gateway-edge-security-group",
    ),
    PolicyCase(
        "lb-service-restricted-sources",
        HELM_RELEASE,
        gateway({"type": "ClusterIP"}),
        False,
        note="gateway-cluster-ip",
    ),
]


GATEWAY_PODS = {"istio": "ingressgateway"}


def _envoy_filter(name: str, typed: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "kubernetes:networking.istio.io/v1alpha3:EnvoyFilter",
        "name": name,
        "props": {
            "apiVersion": "networking.istio.io/v1alpha3",
            "kind": "EnvoyFilter",
            "metadata": {"name": name, "namespace": "istio-ingress"},
            "spec": {
                "workloadSelector": {"labels": labels},
                "configPatches": [
                    {
                        "applyTo": "HTTP_FILTER",
                        "patch": {"operation": "INSERT_BEFORE", "value": {"typed_config": typed}},
                    }
                ],
            },
        },
    }


GLOBAL_OPEN = {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit",
    "domain": "meridian-edge",
    "failure_mode_deny": False,
}
LOCAL_BUCKET = {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
    "stat_prefix": "local",
}
CASES += [
    PolicyCase(
        "envoy-global-rate-limit-fails-open-with-local",
        "",
        {},
        False,
        stack=[
            _envoy_filter("global", GLOBAL_OPEN, GATEWAY_PODS),
            _envoy_filter("local", LOCAL_BUCKET, GATEWAY_PODS),
        ],
        note="local-beside-global",
    ),
    PolicyCase(
        "envoy-global-rate-limit-fails-open-with-local",
        "",
        {},
        False,
        stack=[_envoy_filter("global", {**GLOBAL_OPEN, "failure_mode_deny": True}, GATEWAY_PODS)],
        note="fails-closed",
    ),
    PolicyCase(
        "envoy-global-rate-limit-fails-open-with-local",
        "",
        {},
        True,
        stack=[_envoy_filter("global", GLOBAL_OPEN, GATEWAY_PODS)],
        note="open-alone",
    ),
    PolicyCase(
        "envoy-global-rate-limit-fails-open-with-local",
        "",
        {},
        True,
        stack=[
            _envoy_filter("global", GLOBAL_OPEN, GATEWAY_PODS),
            _envoy_filter("local", LOCAL_BUCKET, {"istio": "egressgateway"}),
        ],
        note="local-on-other-workloads",
    ),
]

# envoy-rate-limit-keys-gateway-set: the route filter as components/mesh/rate_limit.py plans it,
# the claim-header strip as components/identity/gateway_auth.py does
KEYS_POLICY = "envoy-rate-limit-keys-gateway-set"
HEADER_MUTATION = (
    "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation"
)


def _strip_filter(headers: list[str], operation: str = "INSERT_FIRST") -> dict[str, Any]:
    entry = _envoy_filter(
        "strip-claim-headers",
        {
            "@type": HEADER_MUTATION,
            "mutations": {"request_mutations": [{"remove": h} for h in headers]},
        },
        GATEWAY_PODS,
    )
    entry["props"]["spec"]["configPatches"][0]["patch"]["operation"] = operation
    return entry


def _route_filter(*actions: dict[str, Any], namespace: str = "istio-ingress") -> dict[str, Any]:
    route = {"generic_key": {"descriptor_key": "route", "descriptor_value": "users"}}
    return {
        "type": "kubernetes:networking.istio.io/v1alpha3:EnvoyFilter",
        "name": "rate-limit-routes",
        "props": {
            "apiVersion": "networking.istio.io/v1alpha3",
            "kind": "EnvoyFilter",
            "metadata": {"name": "rate-limit-routes", "namespace": namespace},
            "spec": {
                "workloadSelector": {"labels": GATEWAY_PODS},
                "configPatches": [
                    {
                        "applyTo": "HTTP_ROUTE",
                        "match": {
                            "context": "GATEWAY",
                            "routeConfiguration": {
                                "gateway": "istio-ingress/edge",
                                "vhost": {"route": {"name": "users"}},
                            },
                        },
                        "patch": {
                            "operation": "MERGE",
                            "value": {
                                "route": {"rate_limits": [{"actions": [route, a]} for a in actions]}
                            },
                        },
                    }
                ],
            },
        },
    }


def _header_key(header: str, key: str = "api_key") -> dict[str, Any]:
    return {"request_headers": {"header_name": header, "descriptor_key": key}}


CLAIMS = ["x-meridian-sub", "x-meridian-scope", "x-meridian-client-id"]
CASES += [
    PolicyCase(
        KEYS_POLICY,
        "",
        {},
        False,
        stack=[
            _strip_filter(CLAIMS),
            _route_filter(
                _header_key("x-meridian-sub", "user"),
                _header_key("x-meridian-client-id"),
                {"remote_address": {}},
                {
                    "header_value_match": {
                        "descriptor_key": "method",
                        "descriptor_value": "write",
                        "headers": [{"name": ":method", "string_match": {"exact": "POST"}}],
                    }
                },
            ),
        ],
        note="claims-and-address",
    ),
    PolicyCase(
        KEYS_POLICY,
        "",
        {},
        True,
        stack=[_strip_filter(CLAIMS), _route_filter(_header_key("x-api-key"))],
        note="client-api-key-header",
    ),
    PolicyCase(
        KEYS_POLICY,
        "",
        {},
        True,
        stack=[_route_filter(_header_key("x-meridian-client-id"))],
        note="claim-header-not-stripped",
    ),
    PolicyCase(
        KEYS_POLICY,
        "",
        {},
        True,
        stack=[
            _strip_filter(CLAIMS, operation="INSERT_BEFORE"),
            _route_filter(_header_key("x-meridian-client-id")),
        ],
        note="stripped-after-the-jwt-filter",
    ),
    PolicyCase(
        KEYS_POLICY,
        "",
        {},
        True,
        stack=[
            _strip_filter(CLAIMS),
            _route_filter(_header_key("x-meridian-client-id"), namespace="other"),
        ],
        note="stripped-for-other-workloads",
    ),
    PolicyCase(
        KEYS_POLICY,
        "",
        {},
        True,
        stack=[
            _strip_filter(CLAIMS),
            _route_filter(
                {
                    "header_value_match": {
                        "descriptor_key": "tier",
                        "descriptor_value": "enterprise",
                        "headers": [{"name": "x-tier", "string_match": {"exact": "enterprise"}}],
                    }
                }
            ),
        ],
        note="tier-from-client-header",
    ),
    PolicyCase(
        KEYS_POLICY,
        "",
        {},
        True,
        stack=[
            _strip_filter(CLAIMS),
            _route_filter(
                {"query_parameters": {"query_parameter_name": "key", "descriptor_key": "api_key"}}
            ),
        ],
        note="query-parameter",
    ),
]

# graphql-router-introspection-off: the Apollo Router release as components/graphql/router.py
# plans it (chart oci://ghcr.io/apollographql/helm-charts/router, router.configuration)
INTROSPECTION_POLICY = "graphql-router-introspection-off"


def router_release(
    introspection: Any, chart: str = "oci://ghcr.io/apollographql/helm-charts/router"
):
    supergraph: dict[str, Any] = {"listen": "0.0.0.0:4000", "path": "/graphql"}
    if introspection is not None:
        supergraph["introspection"] = introspection
    return {
        "chart": chart,
        "version": "2.13.1",
        "name": "graphql-router",
        "namespace": "graphql",
        "values": {"router": {"configuration": {"supergraph": supergraph}}},
    }


CASES += [
    PolicyCase(INTROSPECTION_POLICY, HELM_RELEASE, router_release(False), False, note="off"),
    PolicyCase(
        INTROSPECTION_POLICY, HELM_RELEASE, router_release(None), False, note="router-default"
    ),
    PolicyCase(INTROSPECTION_POLICY, HELM_RELEASE, router_release(True), True, note="on-in-prod"),
    # a chart named router from another publisher is not the Apollo Router
    PolicyCase(
        INTROSPECTION_POLICY,
        HELM_RELEASE,
        router_release(True, "oci://registry.example.com/charts/router"),
        False,
        note="other-router-chart",
    ),
]

# istio-gateway-private-ca-mutual-tls: the partner Gateway and its client CA Secret as
# components/partner/partner_access.py plans them (the Secret's ca.crt is the private CA's
# certificate, so the Secret depends on it)
PRIVATE_CA_POLICY = "istio-gateway-private-ca-mutual-tls"
PARTNER_HOST = "partners.example.com"


def _partner_gateway(mode: str, credential: str = "partner-tls") -> dict[str, Any]:
    return {
        "type": ISTIO_GATEWAY,
        "name": "partner-gateway",
        "props": {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "partner", "namespace": "istio-ingress"},
            "spec": {
                "selector": {"istio": "ingressgateway"},
                "servers": [
                    {
                        "port": {"number": 443, "name": "https-partner", "protocol": "HTTPS"},
                        "hosts": [f"*/{PARTNER_HOST}"],
                        "tls": {
                            "mode": mode,
                            "credentialName": credential,
                            "minProtocolVersion": "TLSV1_2",
                        },
                    }
                ],
            },
        },
    }


def _partner_ca_stack(mode: str, from_ca: bool = True, name: Any = "partner-tls"):
    secret: dict[str, Any] = {
        "type": K8S_SECRET,
        "name": "partner-tls-secret",
        "props": {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": "istio-ingress"},
            "type": "kubernetes.io/tls",
            "stringData": {"tls.crt": "PEM", "tls.key": "PEM", "ca.crt": "PEM"},
        },
    }
    entries: list[dict[str, Any]] = [
        {
            "type": ACMPCA_CERTIFICATE_AUTHORITY,
            "name": "partner-ca",
            "props": {"type": "ROOT", "usageMode": "GENERAL_PURPOSE"},
        },
        {
            "type": ACMPCA_CERTIFICATE,
            "name": "partner-ca-certificate",
            "props": {"signingAlgorithm": "SHA384WITHECDSA"},
            "dependencies": ["partner-ca"],
        },
    ]
    if from_ca:
        secret["propertyDependencies"] = {"stringData": ["partner-ca-certificate"]}
        secret["dependencies"] = ["partner-ca-certificate"]
    return [*entries, secret, _partner_gateway(mode)]


CASES += [
    PolicyCase(PRIVATE_CA_POLICY, "", {}, False, stack=_partner_ca_stack("MUTUAL"), note="mutual"),
    PolicyCase(PRIVATE_CA_POLICY, "", {}, True, stack=_partner_ca_stack("SIMPLE"), note="simple"),
    PolicyCase(
        PRIVATE_CA_POLICY,
        "",
        {},
        True,
        stack=_partner_ca_stack("OPTIONAL_MUTUAL"),
        note="client-certificate-optional",
    ),
    # a credential that no private CA fills is another policy's matter (the edge's Gateway)
    PolicyCase(
        PRIVATE_CA_POLICY,
        "",
        {},
        False,
        stack=_partner_ca_stack("SIMPLE", from_ca=False),
        note="credential-not-from-a-private-ca",
    ),
    PolicyCase(
        PRIVATE_CA_POLICY,
        "",
        {},
        False,
        stack=_partner_ca_stack("SIMPLE", name=UNKNOWN),
        note="secret-name-unknown-in-preview",
    ),
]
