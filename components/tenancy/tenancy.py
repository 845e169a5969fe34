"""Tenancy: one locked-down namespace per domain service, generated from the services table, and
the traffic policies generated from the traffic-rules table.

Example::

    tenants = Tenancy(
        "tenants",
        TenancyArgs(names=names, scope=AwsScope(account_id=account_id, region="us-east-1"),
                    cluster=cluster, keys=keys, vpc_cidr="10.0.0.0/16",
                    after=mesh.ready),
        opts=pulumi.ResourceOptions(provider=aws_provider),
    )

Per service (components/tenancy/services.py):
- Namespace with sidecar injection, Pod Security `restricted` (enforce, audit, warn, pinned to
  the cluster's version), the `meridian.io/tenant` label the gateway's egress selects;
- ResourceQuota (the autoscaling ceiling's pods, CPU and memory) and LimitRange (defaults and a
  per-container ceiling, so a pod without requests still counts against the quota);
- NetworkPolicy `default-deny` (ingress and egress) plus `allow-mesh`: ingress from the callers'
  namespaces (and the gateway's pods) on the service port; egress to DNS, istiod (15012), the
  services it calls, the Pod Identity agent, and the AWS endpoints it reaches;
- AuthorizationPolicy `deny-all` (empty spec) plus `allow-callers`: ALLOW only from the callers'
  SPIFFE principals on the service port. Payment (PCI-DSS): order and the gateway, nothing else;
- ServiceEntry for its third-party APIs, exported to its own namespace only;
- ServiceAccount and WorkloadIdentity (Pod Identity role) with exactly the table's grants:
  its own secrets (Secrets Manager path `meridian/<env>/<region>/<service>/`) and the KMS keys
  listed, usable only through the services that store their data class (components/tenancy/
  grants.py). Grants on data stores come with the layers that create them (their grant helpers).
Per traffic rule (components/tenancy/traffic.py): a DestinationRule and a VirtualService.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.common.kubernetes import (
    custom_object,
    default_deny_network_policy,
    dns_egress,
    istiod_egress,
    metrics_scrape_ingress,
    object_meta,
)
from components.common.naming import Names
from components.common.scope import AwsScope
from components.foundation.keyring import KeyRing
from components.kubernetes.workload_identity import WorkloadIdentity, WorkloadIdentityArgs
from components.mesh.aws_endpoints import AWS_ENDPOINTS, POD_IDENTITY_AGENT_ADDRESS
from components.mesh.service_mesh import (
    GATEWAY_PRINCIPAL,
    INGRESS_NAMESPACE,
    TENANT_LABEL,
)
from components.tenancy.grants import key_use_statement, read_secrets_statement, secrets_prefix
from components.tenancy.services import BY_NAME, GATEWAY, SERVICES, DomainService, callees
from components.tenancy.traffic import (
    TRAFFIC_RULES,
    EdgeRoute,
    TrafficRule,
    destination_rule_spec,
    edge_virtual_service_spec,
    virtual_service_spec,
)

PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
"""Excluded from the public-egress rule: in-VPC traffic must match a narrower rule."""
CONTAINER_DEFAULT_REQUEST = {"cpu": "100m", "memory": "128Mi"}
CONTAINER_DEFAULT_LIMIT = {"cpu": "1", "memory": "1Gi"}


class TenantCluster(Protocol):
    @property
    def name(self) -> pulumi.Output[str]: ...
    @property
    def provider(self) -> k8s.Provider: ...


@dataclass(frozen=True)
class TenancyArgs:
    names: Names
    scope: AwsScope
    """The account, partition and region of the tenants' secrets and keys."""
    cluster: TenantCluster
    keys: KeyRing
    vpc_cidr: pulumi.Input[str]
    """In-VPC AWS endpoints (interface endpoints, databases, caches, brokers) live here."""
    kubernetes_version: str
    """Pod Security Admission version label: the cluster's minor version (e.g. "1.35")."""
    after: Sequence[pulumi.Resource] = ()
    """The mesh (istiod's webhooks validate the Istio objects)."""
    services: Sequence[DomainService] = SERVICES
    traffic_rules: Sequence[TrafficRule] = TRAFFIC_RULES
    edge_routes: Sequence[EdgeRoute] = ()
    """Public routes of the routing table: one VirtualService each on `edge_gateway`."""
    edge_gateway: str = ""
    """The edge Gateway as `<namespace>/<name>` (ServiceMesh: istio-ingress/edge)."""

    def __post_init__(self) -> None:
        if self.edge_routes and "/" not in self.edge_gateway:
            raise ValueError("edge routes need edge_gateway as <namespace>/<name>")


def namespace_labels(service: DomainService, kubernetes_version: str) -> dict[str, str]:
    labels = {
        "istio-injection": "enabled",
        TENANT_LABEL: "true",
        "app.kubernetes.io/part-of": "meridian",
    }
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        labels[f"pod-security.kubernetes.io/{mode}-version"] = f"v{kubernetes_version}"
    if service.pci:
        labels["meridian.io/compliance"] = "pci-dss"
    return labels


def quota(service: DomainService) -> dict[str, str]:
    cpu = service.max_pods * service.pod_cpu_millicores
    memory = service.max_pods * service.pod_memory_mib
    return {
        "pods": str(service.max_pods),
        "requests.cpu": f"{cpu}m",
        "requests.memory": f"{memory}Mi",
        "limits.cpu": f"{2 * cpu}m",
        "limits.memory": f"{2 * memory}Mi",
    }


def _namespace_peer(namespace: str) -> k8s.networking.v1.NetworkPolicyPeerArgsDict:
    return {"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": namespace}}}


def _gateway_peer() -> k8s.networking.v1.NetworkPolicyPeerArgsDict:
    return {
        **_namespace_peer(INGRESS_NAMESPACE),
        "pod_selector": {"match_labels": {"istio": "ingressgateway"}},
    }


def ingress_sources(service: DomainService) -> list[k8s.networking.v1.NetworkPolicyPeerArgsDict]:
    """Who may open connections to the service: its callers' namespaces and/or the gateway."""
    return [_gateway_peer() if c == GATEWAY else _namespace_peer(c) for c in service.callers]


def allowed_principals(service: DomainService) -> list[str]:
    return [GATEWAY_PRINCIPAL if c == GATEWAY else BY_NAME[c].principal for c in service.callers]


def _aws_egress(
    service: DomainService, vpc_cidr: pulumi.Input[str]
) -> list[k8s.networking.v1.NetworkPolicyEgressRuleArgsDict]:
    ports = sorted({AWS_ENDPOINTS[a].port for a in service.aws})
    rules: list[k8s.networking.v1.NetworkPolicyEgressRuleArgsDict] = [
        {
            "to": [{"ip_block": {"cidr": f"{POD_IDENTITY_AGENT_ADDRESS}/32"}}],
            "ports": [{"protocol": "TCP", "port": 80}],
        },
        {
            "to": [{"ip_block": {"cidr": vpc_cidr}}],
            "ports": [{"protocol": "TCP", "port": p} for p in ports],
        },
    ]
    # S3/DynamoDB (gateway endpoints) and third-party APIs answer on public addresses; which hosts
    # may be reached is the mesh's REGISTRY_ONLY allowlist (L7, by SNI). Keyspaces (CQL 9142) is
    # reached through its interface endpoint inside the VPC (the rule above), never publicly.
    public_ports = sorted(
        {AWS_ENDPOINTS[a].port for a in service.aws if a in ("s3", "dynamodb")}
        | ({443} if service.external_hosts else set())
    )
    if public_ports:
        rules.append(
            {
                "to": [{"ip_block": {"cidr": "0.0.0.0/0", "except_": list(PRIVATE_RANGES)}}],
                "ports": [{"protocol": "TCP", "port": p} for p in public_ports],
            }
        )
    return rules


class Tenancy(pulumi.ComponentResource):
    """The tenant namespaces and traffic policies; see the module docstring."""

    namespaces: dict[str, k8s.core.v1.Namespace]
    identities: dict[str, WorkloadIdentity]

    def __init__(
        self, name: str, args: TenancyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:tenancy:Tenancy", name, None, opts)
        self._name = name
        self._args = args
        self._kube = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider)
        self.namespaces = {}
        self.identities = {}
        for service in args.services:
            self._tenant(service)
        for rule in args.traffic_rules:
            self._traffic(rule)
        for route in args.edge_routes:
            self._edge_route(route)
        self.register_outputs({"namespaces": [s.namespace for s in args.services]})

    def _in(self, *after: pulumi.Resource) -> pulumi.ResourceOptions:
        return self._kube.merge(pulumi.ResourceOptions(depends_on=list(after)))

    def _custom(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        metadata: k8s.meta.v1.ObjectMetaArgsDict,
        spec: Mapping[str, Any],
        after: Sequence[pulumi.Resource],
    ) -> k8s.apiextensions.CustomResource:
        return custom_object(resource_name, api_version, kind, metadata, spec, self._in(*after))

    def _tenant(self, service: DomainService) -> None:
        """One service's namespace and everything in it."""
        args = self._args
        prefix = f"{self._name}-{service.name}"
        namespace = k8s.core.v1.Namespace(
            f"{prefix}-ns",
            metadata=object_meta(
                service.namespace, labels=namespace_labels(service, args.kubernetes_version)
            ),
            opts=self._in(*args.after),
        )
        self.namespaces[service.name] = namespace
        self._limits(service, prefix, namespace)
        self._network_policies(service, prefix, namespace)
        self._mesh_policies(service, prefix, [namespace, *args.after])
        self._identity(service, prefix, namespace)

    def _limits(
        self, service: DomainService, prefix: str, namespace: k8s.core.v1.Namespace
    ) -> None:
        """The namespace's quota and its containers' default and largest requests."""
        ns = service.namespace
        k8s.core.v1.ResourceQuota(
            f"{prefix}-quota",
            metadata=object_meta("tenant-quota", ns),
            spec={"hard": quota(service)},
            opts=self._in(namespace),
        )
        pod_max = {
            "cpu": f"{service.pod_cpu_millicores * 2}m",
            "memory": f"{service.pod_memory_mib * 2}Mi",
        }
        k8s.core.v1.LimitRange(
            f"{prefix}-limits",
            metadata=object_meta("tenant-limits", ns),
            spec={
                "limits": [
                    {
                        "type": "Container",
                        "default_request": CONTAINER_DEFAULT_REQUEST,
                        "default": CONTAINER_DEFAULT_LIMIT,
                        "max": pod_max,
                    }
                ]
            },
            opts=self._in(namespace),
        )

    def _network_policies(
        self, service: DomainService, prefix: str, namespace: k8s.core.v1.Namespace
    ) -> None:
        """Default deny, then the mesh's ingress and the egress the service needs."""
        ns = service.namespace
        default_deny_network_policy(f"{prefix}-default-deny", ns, self._in(namespace))
        port: k8s.networking.v1.NetworkPolicyPortArgsDict = {
            "protocol": "TCP",
            "port": service.port,
        }
        egress: list[k8s.networking.v1.NetworkPolicyEgressRuleArgsDict] = [
            dns_egress(),
            istiod_egress(),
        ]
        if targets := callees(service):
            egress.append(
                {
                    "to": [_namespace_peer(t.namespace) for t in targets],
                    "ports": [
                        {"protocol": "TCP", "port": t.port}
                        for t in {t.port: t for t in targets}.values()
                    ],
                }
            )
        egress += _aws_egress(service, self._args.vpc_cidr)
        k8s.networking.v1.NetworkPolicy(
            f"{prefix}-allow-mesh",
            metadata=object_meta("allow-mesh", ns),
            spec={
                "pod_selector": {},
                "policy_types": ["Ingress", "Egress"],
                "ingress": [
                    {"from_": ingress_sources(service), "ports": [port]},
                    metrics_scrape_ingress(),
                ],
                "egress": egress,
            },
            opts=self._in(namespace),
        )

    def _mesh_policies(
        self, service: DomainService, prefix: str, istio_after: Sequence[pulumi.Resource]
    ) -> None:
        """Istio: deny all but the service's callers; its external APIs as mesh entries."""
        ns = service.namespace
        self._custom(
            f"{prefix}-deny-all",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta("deny-all", ns),
            {},
            istio_after,
        )
        self._custom(
            f"{prefix}-allow-callers",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta("allow-callers", ns),
            {
                "action": "ALLOW",
                "rules": [
                    {
                        "from": [{"source": {"principals": allowed_principals(service)}}],
                        "to": [{"operation": {"ports": [str(service.port)]}}],
                    }
                ],
            },
            istio_after,
        )
        if service.external_hosts:
            self._custom(
                f"{prefix}-external-apis",
                "networking.istio.io/v1",
                "ServiceEntry",
                object_meta("external-apis", ns),
                {
                    "hosts": list(service.external_hosts),
                    "exportTo": ["."],
                    "location": "MESH_EXTERNAL",
                    "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
                    "resolution": "DNS",
                },
                istio_after,
            )

    def _identity(
        self, service: DomainService, prefix: str, namespace: k8s.core.v1.Namespace
    ) -> None:
        """The service account, its IAM role (EKS Pod Identity) and what the role may use."""
        args = self._args
        account = k8s.core.v1.ServiceAccount(
            f"{prefix}-sa",
            metadata=object_meta(service.service_account, service.namespace),
            automount_service_account_token=False,
            opts=self._in(namespace),
        )
        identity = WorkloadIdentity(
            f"{self._name}-{service.name}",
            WorkloadIdentityArgs(
                names=args.names,
                cluster_name=args.cluster.name,
                namespace=service.namespace,
                service_account=service.service_account,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        self.identities[service.name] = identity
        identity.grant(
            "tenant-access",
            [
                read_secrets_statement(secrets_prefix(args.scope, args.names, service.name)),
                key_use_statement(
                    [args.keys.arn(k) for k in service.keys], service.keys, args.scope
                ),
            ],
        )

    def _traffic(self, rule: TrafficRule) -> None:
        ns = rule.target.namespace
        after = [self.namespaces[rule.service], *self._args.after]
        prefix = f"{self._name}-{rule.service}"
        self._custom(
            f"{prefix}-destination-rule",
            "networking.istio.io/v1",
            "DestinationRule",
            object_meta(rule.service, ns),
            destination_rule_spec(rule),
            after,
        )
        self._custom(
            f"{prefix}-virtual-service",
            "networking.istio.io/v1",
            "VirtualService",
            object_meta(rule.service, ns),
            virtual_service_spec(rule),
            after,
        )

    def _edge_route(self, route: EdgeRoute) -> None:
        # The backend's allow-callers AuthorizationPolicy admits the gateway's principal on its
        # port (GATEWAY is among its callers: EdgeRoute refuses a route to a service without it).
        self._custom(
            f"{self._name}-{route.resource_name}",
            "networking.istio.io/v1",
            "VirtualService",
            object_meta(route.resource_name, route.target.namespace),
            edge_virtual_service_spec(route, self._args.edge_gateway),
            [self.namespaces[route.service], *self._args.after],
        )
