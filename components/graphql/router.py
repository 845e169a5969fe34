"""GraphqlRouter: Apollo Router (the official chart) serving the federated graph at `/graphql`
on the edge Gateway, in its own meshed namespace.

Example::

    router = GraphqlRouter(
        "graphql",
        GraphqlRouterArgs(
            cluster_provider=cluster.provider, chart=HELM_CHARTS["apollo-router"],
            graph_ref="meridian@prod", api_key_secret="graphos-api-key",
            subgraphs=(Subgraph("user", "user.user.svc.cluster.local", 8080, "user"),),
            introspection=False, max_depth=10, max_cost=5000, list_size=10,
            timeout_ms=2000, edge_gateway="istio-ingress/edge",
            gateway_principal="cluster.local/ns/istio-ingress/sa/istio-ingressgateway",
            identity_headers=("x-meridian-sub", "x-meridian-scope", "x-meridian-client-id"),
            after=mesh.ready,
        ),
        opts=pulumi.ResourceOptions(provider=aws_provider),
    )

What it builds, and why:
- Namespace `graphql`: sidecar injection on, Pod Security `restricted`, labelled as a tenant so
  the ingress gateway's NetworkPolicy lets it open connections to the router's port.
- The router release. Its supergraph and its license both come from Apollo GraphOS (managed
  federation: `APOLLO_GRAPH_REF` and `APOLLO_KEY` from an operator-made Secret): the router's
  per-operation limits (`limits.max_depth`, ...) and `demand_control` are licensed features in
  Router v2 (apollo-router/src/uplink/license_enforcement.rs at v2.13.1: an unlicensed router
  refuses to start with them), and a supergraph cannot be composed here without the subgraphs'
  SDL. The routing URL of every subgraph is pinned in the router's configuration
  (`override_subgraph_url`) to the in-mesh address of its service, so GraphOS decides the
  schema and this program decides where each subgraph is.
- The router's configuration: depth limit, cost budget (demand control, static estimate,
  enforced), introspection as configured (off in prod), sandbox and homepage off, subgraph
  errors not passed to clients, and the caller's identity headers (set by the edge Gateway from
  the verified token) propagated to every subgraph (`headers.all.request[].propagate.named`,
  apollo-router/src/plugins/headers/mod.rs at v2.13.1), so each subgraph authorizes the
  operation with the same identity its REST route would see.
- Zero trust: deny-all plus one ALLOW (the ingress gateway's principal, the router's port);
  in every subgraph's namespace an ALLOW for the router's principal on the subgraph's port and a
  NetworkPolicy admitting the router's namespace (Istio and NetworkPolicy allows are unions, so
  the tenants' own policies stay as they are). NetworkPolicy default-deny with egress to DNS,
  istiod, the subgraphs and GraphOS (TLS 443, public addresses only), and a ServiceEntry for the
  GraphOS hosts (the mesh is REGISTRY_ONLY).
- The `/graphql` VirtualService on the edge Gateway, with the routing table's deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.common.kubernetes import (
    SMALL_CONTAINER_LIMITS,
    SMALL_CONTAINER_REQUESTS,
    PinnedChart,
    custom_object,
    default_deny_network_policy,
    dns_egress,
    istiod_egress,
    metrics_scrape_ingress,
    namespace_limits,
    object_meta,
    pinned_release,
    small_workload_quota,
)
from components.common.paths import route_matches

NAMESPACE = "graphql"
RELEASE = "graphql-router"
"""The release name; it contains the chart's name (`router`), so the chart names its Deployment,
Service and ServiceAccount exactly this (helm/chart/router/templates/_helpers.tpl)."""
SERVICE_ACCOUNT = RELEASE
PRINCIPAL = f"cluster.local/ns/{NAMESPACE}/sa/{SERVICE_ACCOUNT}"
PORT = 8080
"""The router's HTTP port (container and Service): the port the ingress gateway may reach in a
tenant-labelled namespace (components/mesh/service_mesh.py TENANT_PORT)."""
HEALTH_PORT = 8088
PATH = "/graphql"
SUBGRAPH_PATH = "/graphql"
"""Where every subgraph serves its federated schema, on its service port."""
TENANT_LABEL = "meridian.io/tenant"
GRAPHOS_HOSTS: tuple[str, ...] = (
    "uplink.api.apollographql.com",
    "aws.uplink.api.apollographql.com",
    "usage-reporting.api.apollographql.com",
)
"""GraphOS endpoints the router reaches: the uplink (supergraph and license; both URLs are the
router's defaults, apollo-router/src/uplink/mod.rs at v2.13.1) and usage reporting
(src/plugins/telemetry/apollo.rs)."""
PUBLIC_ONLY_EXCEPT = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
RESTRICTED_CONTAINER: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class Subgraph:
    """One subgraph of the supergraph: its GraphOS name and the service that serves it."""

    name: str
    host: str
    """The service's cluster DNS name."""
    port: int
    namespace: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{SUBGRAPH_PATH}"


@dataclass(frozen=True)
class GraphqlRouterArgs:
    cluster_provider: k8s.Provider
    chart: PinnedChart
    graph_ref: str
    """GraphOS graph ref `<graph>@<variant>`: where the supergraph and license come from."""
    api_key_secret: str
    """The Kubernetes Secret (in `graphql`, key `managedFederationApiKey`) holding the GraphOS
    graph API key; created by the operator, never by this program (it is a credential)."""
    subgraphs: Sequence[Subgraph]
    introspection: bool
    max_depth: int
    max_cost: int
    """Demand control's budget: operations whose estimated cost is above it are rejected."""
    list_size: int
    """The list size the cost estimate assumes for a list field without @listSize."""
    timeout_ms: int
    edge_gateway: str
    gateway_principal: str
    identity_headers: Sequence[str]
    """The request headers carrying the caller's verified identity (the edge Gateway's
    `x-meridian-*` claim headers), propagated to every subgraph."""
    extra_gateways: Sequence[str] = ()
    """Further Gateways that serve `/graphql` (the partner Gateway)."""
    min_replicas: int = 2
    max_replicas: int = 10
    after: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if "@" not in self.graph_ref:
            raise ValueError(f"graph_ref {self.graph_ref!r} is not <graph>@<variant>")
        if not self.subgraphs:
            raise ValueError("the router needs at least one subgraph")
        if not 1 <= self.max_depth <= 10:
            raise ValueError("max_depth must be 1-10 (the design's depth limit is 10)")
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError("need 1 <= min_replicas <= max_replicas")
        if not self.identity_headers:
            raise ValueError(
                "identity_headers: the subgraphs need the caller's identity to authorize"
            )


def router_configuration(args: GraphqlRouterArgs) -> dict[str, Any]:
    """The router's YAML configuration (Router v2.13 configuration schema)."""
    return {
        "supergraph": {
            "listen": f"0.0.0.0:{PORT}",
            "path": PATH,
            "introspection": args.introspection,
        },
        "health_check": {"listen": f"0.0.0.0:{HEALTH_PORT}", "enabled": True},
        "sandbox": {"enabled": False},
        "homepage": {"enabled": False},
        "include_subgraph_errors": {"all": False},
        "limits": {"max_depth": args.max_depth, "warn_only": False},
        "demand_control": {
            "enabled": True,
            "mode": "enforce",
            "strategy": {
                "static_estimated": {"list_size": args.list_size, "max": float(args.max_cost)}
            },
        },
        "override_subgraph_url": {s.name: s.url for s in args.subgraphs},
        # The identity the edge Gateway wrote from the verified token (it strips any client
        # copy first), passed on to every subgraph so each can authorize the operation itself.
        "headers": {
            "all": {"request": [{"propagate": {"named": h}} for h in args.identity_headers]}
        },
    }


def router_values(args: GraphqlRouterArgs) -> dict[str, Any]:
    """The chart's values (helm/chart/router/values.yaml at the pinned tag)."""
    return {
        "router": {"configuration": router_configuration(args)},
        "managedFederation": {
            "existingSecret": args.api_key_secret,
            "graphRef": args.graph_ref,
        },
        "containerPorts": {"http": PORT, "health": HEALTH_PORT},
        "service": {"type": "ClusterIP", "port": PORT},
        "serviceAccount": {"create": True},
        "podSecurityContext": {
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": RESTRICTED_CONTAINER,
        "resources": {
            "requests": {"cpu": "500m", "memory": "512Mi"},
            "limits": {"memory": "1Gi"},
        },
        "autoscaling": {
            "enabled": True,
            "minReplicas": args.min_replicas,
            "maxReplicas": args.max_replicas,
            "targetCPUUtilizationPercentage": 70,
        },
        "podDisruptionBudget": {"minAvailable": 1},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/instance": RELEASE}},
            }
        ],
    }


def graphql_virtual_service_spec(gateways: Sequence[str], timeout_ms: int) -> dict[str, Any]:
    """`/graphql` on the edge Gateway (and the partner Gateway), to the router, with the
    routing table's deadline."""
    return {
        "hosts": ["*"],
        "gateways": list(gateways),
        "http": [
            {
                "name": "graphql",
                "match": route_matches((PATH,)),
                "route": [
                    {
                        "destination": {
                            "host": f"{RELEASE}.{NAMESPACE}.svc.cluster.local",
                            "port": {"number": PORT},
                        }
                    }
                ],
                "timeout": f"{timeout_ms}ms",
            }
        ],
    }


class GraphqlRouter(pulumi.ComponentResource):
    """The federation router; see the module docstring."""

    release: k8s.helm.v3.Release

    def __init__(
        self, name: str, args: GraphqlRouterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:graphql:GraphqlRouter", name, None, opts)
        kube = pulumi.ResourceOptions(parent=self, provider=args.cluster_provider)
        after = pulumi.ResourceOptions(depends_on=list(args.after))
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=object_meta(
                NAMESPACE,
                labels={
                    "istio-injection": "enabled",
                    TENANT_LABEL: "true",
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            ),
            opts=kube.merge(after),
        )
        in_ns = kube.merge(pulumi.ResourceOptions(depends_on=[self.namespace, *args.after]))
        self._limits(name, args, in_ns)
        self._network_policies(name, args, in_ns)
        self._authorization(name, args, in_ns)
        self.release = pinned_release(
            f"{name}-router",
            release=RELEASE,
            chart=args.chart,
            namespace=NAMESPACE,
            values=router_values(args),
            timeout=600,
            opts=in_ns,
        )
        self.route = custom_object(
            f"{name}-route",
            "networking.istio.io/v1",
            "VirtualService",
            object_meta("graphql", NAMESPACE),
            graphql_virtual_service_spec(
                [args.edge_gateway, *args.extra_gateways], args.timeout_ms
            ),
            kube.merge(pulumi.ResourceOptions(depends_on=[self.release])),
        )
        self.register_outputs({"namespace": NAMESPACE, "release": self.release.name})

    def _limits(self, name: str, args: GraphqlRouterArgs, opts: pulumi.ResourceOptions) -> None:
        """Room for the autoscaling ceiling (and a rollout's surge) of router pods with their
        sidecars (500m and 512Mi requested each, plus the sidecar's), and nothing else."""
        pods = args.max_replicas + 2
        namespace_limits(
            name,
            NAMESPACE,
            small_workload_quota(pods),
            SMALL_CONTAINER_LIMITS,
            SMALL_CONTAINER_REQUESTS,
            opts,
        )

    def _network_policies(
        self, name: str, args: GraphqlRouterArgs, opts: pulumi.ResourceOptions
    ) -> None:
        default_deny_network_policy(f"{name}-default-deny", NAMESPACE, opts)
        gateway_peer: k8s.networking.v1.NetworkPolicyPeerArgsDict = {
            "namespace_selector": {
                "match_labels": {"kubernetes.io/metadata.name": "istio-ingress"}
            },
            "pod_selector": {"match_labels": {"istio": "ingressgateway"}},
        }
        subgraph_namespaces = sorted({s.namespace for s in args.subgraphs})
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow",
            metadata=object_meta("allow-router", NAMESPACE),
            spec={
                "pod_selector": {},
                "policy_types": ["Ingress", "Egress"],
                "ingress": [
                    {"from_": [gateway_peer], "ports": [{"protocol": "TCP", "port": PORT}]},
                    metrics_scrape_ingress(),
                ],
                "egress": [
                    dns_egress(),
                    istiod_egress(),
                    {
                        "to": [
                            {
                                "namespace_selector": {
                                    "match_labels": {"kubernetes.io/metadata.name": ns}
                                }
                            }
                            for ns in subgraph_namespaces
                        ],
                        "ports": [
                            {"protocol": "TCP", "port": p}
                            for p in sorted({s.port for s in args.subgraphs})
                        ],
                    },
                    {
                        "to": [
                            {
                                "ip_block": {
                                    "cidr": "0.0.0.0/0",
                                    "except_": list(PUBLIC_ONLY_EXCEPT),
                                }
                            }
                        ],
                        "ports": [{"protocol": "TCP", "port": 443}],
                    },
                ],
            },
            opts=opts,
        )
        for ns in subgraph_namespaces:
            ports = sorted({s.port for s in args.subgraphs if s.namespace == ns})
            k8s.networking.v1.NetworkPolicy(
                f"{name}-subgraph-{ns}",
                metadata=object_meta("allow-graphql-router", ns),
                spec={
                    "pod_selector": {},
                    "policy_types": ["Ingress"],
                    "ingress": [
                        {
                            "from_": [
                                {
                                    "namespace_selector": {
                                        "match_labels": {"kubernetes.io/metadata.name": NAMESPACE}
                                    }
                                }
                            ],
                            "ports": [{"protocol": "TCP", "port": p} for p in ports],
                        }
                    ],
                },
                opts=opts,
            )

    def _authorization(
        self, name: str, args: GraphqlRouterArgs, opts: pulumi.ResourceOptions
    ) -> None:
        def policy(suffix: str, ns: str, meta_name: str, spec: dict[str, Any]) -> None:
            custom_object(
                f"{name}-{suffix}",
                "security.istio.io/v1",
                "AuthorizationPolicy",
                object_meta(meta_name, ns),
                spec,
                opts,
            )

        policy("deny-all", NAMESPACE, "deny-all", {})
        policy(
            "allow-gateway",
            NAMESPACE,
            "allow-gateway",
            {
                "action": "ALLOW",
                "rules": [
                    {
                        "from": [{"source": {"principals": [args.gateway_principal]}}],
                        "to": [{"operation": {"ports": [str(PORT)], "paths": [PATH]}}],
                    }
                ],
            },
        )
        for ns in sorted({s.namespace for s in args.subgraphs}):
            ports = sorted({str(s.port) for s in args.subgraphs if s.namespace == ns})
            policy(
                f"subgraph-{ns}",
                ns,
                "allow-graphql-router",
                {
                    "action": "ALLOW",
                    "rules": [
                        {
                            "from": [{"source": {"principals": [PRINCIPAL]}}],
                            "to": [{"operation": {"ports": ports, "paths": [SUBGRAPH_PATH]}}],
                        }
                    ],
                },
            )
        custom_object(
            f"{name}-graphos",
            "networking.istio.io/v1",
            "ServiceEntry",
            object_meta("graphos", NAMESPACE),
            {
                "hosts": list(GRAPHOS_HOSTS),
                "exportTo": ["."],
                "location": "MESH_EXTERNAL",
                "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
                "resolution": "DNS",
            },
            opts,
        )
