"""ServiceMesh: the AWS Load Balancer Controller and Istio (base -> cni -> istiod -> gateway) on
one EKS cluster, zero trust by default, behind an internet-facing NLB that admits only the edge.

Example::

    mesh = ServiceMesh(
        "mesh",
        ServiceMeshArgs(
            names=names, region="us-east-1", cluster=cluster, vpc_id=network.vpc.id,
            public_subnet_ids=network.public_subnet_ids, backend_cidrs=[vpc_cidr, pod_cidr],
            edge_ipv4=EDGE.ipv4, edge_ipv6=EDGE.ipv6, aws_services=["sts", "kms", "s3"],
            charts=HELM_CHARTS, load_balancer_controller_policy=LBC_POLICY, after=addons.ready,
            edge_certificate=origin.credential, access_log_bucket=archive.bucket.bucket,
        ),
        opts=pulumi.ResourceOptions(provider=aws_provider),
    )
    pulumi.export("ingressHostname", mesh.ingress_hostname)

What it builds, and why:
- The ingress path: an NLB security group admitting TCP 443 from the edge's ranges only (tagged
  `exposure=edge`, the one SG the policy pack lets face the internet); the AWS Load Balancer
  Controller (its own Pod Identity role with the controller's published IAM policy) turns the
  gateway's Service into an internet-facing NLB with IP targets using that SG, and, given the
  edge's health checkers' prefix lists, a second SG admitting them on 443 (their weight would
  overflow the first group's rule quota). TLS terminates at
  the gateway (Gateway `edge`, TLS 1.2+, MUTUAL when the edge presents a client certificate: see
  components/mesh/origin_tls.py); the NLB passes TCP, or, given `origin_certificate_arn` (the
  AWS edge), terminates TLS with that publicly trusted certificate and re-encrypts to the
  gateway, and passes TCP on a partner listener of its own (`PARTNER_PASSTHROUGH_PORT`); partner
  networks (`partner_cidrs`) are admitted on the port partners use; the gateway answers the edge
  monitor's
  `/health` itself (a directResponse route). Controller-created load
  balancers and security groups carry the cluster's tags (`defaultTags`) so operations can find
  and drain them before a destroy.
- Istio from the official charts, one version, ordered base -> cni -> istiod -> gateway. The CNI
  plugin (in kube-system) sets up traffic redirection, so injected pods need no NET_ADMIN init
  container and tenant namespaces can enforce Pod Security `restricted`.
- Zero trust: mesh-wide PeerAuthentication STRICT; a mesh-root AuthorizationPolicy with an empty
  spec (allow nothing = deny all for every proxy) plus one explicit allow: the gateway accepts
  connections on its HTTPS port from anywhere (the NLB does not speak mTLS; gateway listeners are
  not governed by PeerAuthentication, so STRICT stays mesh-wide with no PERMISSIVE exception).
  What needs no allow, and why: kubelet probes (sidecar probe rewrite is on, so probes reach the
  pilot-agent on 15020/15021, which no AuthorizationPolicy governs); istiod (no sidecar; proxies
  reach it on 15012 over its own mTLS; the API server reaches its webhook on 15017).
- Egress: outbound REGISTRY_ONLY; ServiceEntries for the AWS services workloads reach (this
  region's endpoints) and for the Pod Identity agent (credentials), nothing else mesh-wide.
- Webhooks: the control plane reaches istiod (15017, 15012) and the controller's webhook (9443)
  on the nodes: rules from the cluster security group to the node security group.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.common.kubernetes import (
    ISTIO_NAMESPACE,
    PinnedChart,
    custom_object,
    default_deny_network_policy,
    dns_egress,
    istiod_egress,
    metrics_scrape_ingress,
    object_meta,
    pinned_release,
)
from components.common.naming import Names
from components.kubernetes.workload_identity import WorkloadIdentity, WorkloadIdentityArgs
from components.mesh.aws_endpoints import AWS_ENDPOINTS, POD_IDENTITY_AGENT_ADDRESS
from components.mesh.origin_tls import OriginCredential

INGRESS_NAMESPACE = "istio-ingress"
CNI_NAMESPACE = "kube-system"
GATEWAY_NAME = "istio-ingressgateway"
HISTOGRAM_BUCKETS_ANNOTATION = "sidecar.istio.io/statsHistogramBuckets"
PROXY_CONFIG_ANNOTATION = "proxy.istio.io/config"
"""Per-pod ProxyConfig overrides (istio/api annotation/annotations.yaml)."""
DRAIN_GRACE_SECONDS = 15
"""What the pod's termination grace adds to the proxy's drain (the agent's own exit)."""
"""Istio's pod annotation for a proxy's histogram buckets, keyed by stat prefix (istio/istio
1.29.2 pkg/bootstrap; istio/api annotation SidecarStatsHistogramBuckets)."""
ISTIO_DEFAULT_DURATION_BUCKETS: tuple[float, ...] = (
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
    30000, 60000, 300000, 600000, 1800000, 3600000,
)  # fmt: skip
"""The proxy's default histogram buckets (ms), as the annotation's reference lists them."""
GATEWAY_LATENCY_BOUNDS_MS: tuple[float, ...] = (200,)
"""Latency SLO thresholds of the gateway that are not default buckets: the SLO table's
`le="200"` (p99 < 200 ms) needs a bucket bound at exactly 200 ms."""


def gateway_histogram_buckets() -> str:
    """The gateway's `istiocustom` (istio_* metrics) buckets: the defaults plus the SLO bounds."""
    bounds = sorted({*ISTIO_DEFAULT_DURATION_BUCKETS, *GATEWAY_LATENCY_BOUNDS_MS})
    return json.dumps({"istiocustom": [int(b) if b == int(b) else b for b in bounds]})


GATEWAY_SERVICE_ACCOUNT = GATEWAY_NAME
GATEWAY_PRINCIPAL = f"cluster.local/ns/{INGRESS_NAMESPACE}/sa/{GATEWAY_SERVICE_ACCOUNT}"
GATEWAY_HTTPS_PORT = 443
GATEWAY_TARGET_PORT = 8443
"""The gateway pod's HTTPS port (unprivileged); the Service maps 443 -> 8443."""
PARTNER_PASSTHROUGH_PORT = 8443
"""The NLB's partner listener when 443 is a TLS listener (the AWS edge): TCP passed through to
the gateway pod's HTTPS port, so the partner's TLS, client certificate included, ends at the
partner Gateway. 8443 is the customary alternate HTTPS port and the gateway pod's own HTTPS
port, so the listener's target group forwards port to port onto the same Envoy listener, where
SNI selects the partner server (istiod listens for a Gateway server on the targetPort of the
Service port it names: Istio's resolvePorts in pilot)."""
PARTNER_PORT_NAME = "tls-partner"
GATEWAY_STATUS_PORT = 15021
HEALTH_STATUS = 200
"""What the gateway answers the edge monitor's `/health` with; the monitors expect exactly this."""
TENANT_LABEL = "meridian.io/tenant"
"""Namespaces of domain services carry it; the gateway may open connections only to them."""
TENANT_PORT = 8080
"""The port every domain service listens on (components/tenancy/services.py)."""
LBC_NAMESPACE = "kube-system"
LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"
EDGE_GATEWAY = "edge"
"""The Gateway the edge's traffic enters by; VirtualServices bind to `istio-ingress/edge`."""
EDGE_GATEWAY_REF = f"{INGRESS_NAMESPACE}/{EDGE_GATEWAY}"
TLS_SECRET = "edge-tls"
"""The gateway's credential: a kubernetes.io/tls Secret in istio-ingress with `tls.crt`, `tls.key`
and, when the edge presents a client certificate, `ca.crt` (the client CA). Istio reads `ca.crt`
from a TLS secret for `MUTUAL` (istio/istio pilot/pkg/credentials/kube/secrets.go,
TLSSecretCaCert = "ca.crt")."""
HEALTH_ROUTE = "edge-health"

WEBHOOK_PORTS: Mapping[int, str] = {
    15017: "istiod sidecar-injection and validation webhooks",
    15012: "istiod xDS and CA (control plane to istiod)",
    9443: "AWS Load Balancer Controller webhooks",
}
CRITICAL_ADDONS_TOLERATION = {"key": "CriticalAddonsOnly", "operator": "Exists"}

NLB = "service.beta.kubernetes.io/aws-load-balancer"


class MeshCluster(Protocol):
    """What ServiceMesh needs of the cluster (EksCluster provides it)."""

    @property
    def name(self) -> pulumi.Output[str]: ...
    @property
    def provider(self) -> k8s.Provider: ...
    @property
    def cluster_security_group_id(self) -> pulumi.Output[str]: ...
    @property
    def node_security_group_id(self) -> pulumi.Output[str]: ...


@dataclass(frozen=True)
class ServiceMeshArgs:
    names: Names
    region: str
    cluster: MeshCluster
    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[Sequence[str]]
    """Where the internet-facing NLB lives (the public subnets)."""
    backend_cidrs: Sequence[pulumi.Input[str]]
    """Where the NLB's targets (gateway pods) live: the VPC and pod CIDRs."""
    edge_ipv4: Sequence[str]
    edge_ipv6: Sequence[str]
    """The edge's published ranges (Cloudflare: stacks/data/edge_ranges.json)."""
    aws_services: Sequence[str]
    """Keys of AWS_ENDPOINTS that workloads reach: one ServiceEntry each."""
    charts: Mapping[str, PinnedChart]
    load_balancer_controller_policy: Sequence[Mapping[str, Any]]
    """The AWS Load Balancer Controller's published IAM policy statements, pinned with its chart
    (stacks/data/aws_load_balancer_controller_policy.json, read by the stack)."""
    edge_certificate: OriginCredential
    """The certificate the gateway serves to the edge and the client CA it demands (MUTUAL when
    given): components/mesh/origin_tls.py."""
    access_log_bucket: pulumi.Input[str]
    """The S3 bucket (name, same region) the NLB writes its access logs to: the region's log
    archive, whose policy admits `delivery.logs.amazonaws.com` under `AWSLogs/<account>/`."""
    health_path: str = "/health"
    """What the edge's health monitor probes: the gateway answers it itself (200), so a region is
    healthy when its NLB, gateway and TLS are."""
    after: Sequence[pulumi.Resource] = ()
    """What must exist first (the cluster add-ons, nodes)."""
    istiod_replicas: int = 2
    gateway_drain_seconds: int = 5
    """The gateway proxy's `terminationDrainDuration`: how long a terminating gateway pod keeps
    serving open connections (long-lived WebSockets) before it exits; Istio's default is 5 s."""
    trusted_proxies: int = 1
    """`gatewayTopology.numTrustedProxies`: the edge's hop in front of the gateway, so the
    client address Envoy trusts (per-IP limits) is the one the edge appends to X-Forwarded-For."""
    gateway_min_replicas: int = 3
    gateway_max_replicas: int = 10
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    edge_prefix_list_ids: Sequence[pulumi.Input[str]] = ()
    """Managed prefix lists the ingress admits instead of ranges (the AWS-native edge:
    CloudFront's origin-facing list, `com.amazonaws.global.cloudfront.origin-facing`)."""
    health_checker_prefix_list_ids: Sequence[pulumi.Input[str]] = ()
    """Managed prefix lists of the edge's health checkers (the AWS-native edge: Route 53's
    `com.amazonaws.<region>.route53-healthchecks`), admitted on 443 through a second security
    group on the NLB: a prefix list counts its weight against a group's rules (CloudFront's
    origin-facing list weighs 55, Route 53's 25, beyond the 60 inbound rules a group holds by
    default), so the two never share one group."""
    origin_certificate_arn: pulumi.Input[str] | None = None
    """A publicly trusted ACM certificate (the AWS-native edge: components/edge/origin_listener.py):
    the NLB terminates TLS on 443 with it and re-encrypts to the gateway, which keeps serving
    `edge_certificate`. None: the NLB passes TCP and the gateway's certificate is what the edge
    sees (Cloudflare)."""
    partner_cidrs: Sequence[str] = ()
    """Partner networks admitted on the partner port (`partner_port`) beside the edge: they reach
    the gateway directly through a DNS-only name, and the NLB passes TCP there, so the gateway's
    MUTUAL partner server sees their client certificates."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.aws_services) - set(AWS_ENDPOINTS))
        if unknown:
            raise ValueError(
                f"no endpoint data for AWS services {unknown}; add them to AWS_ENDPOINTS"
            )
        if not 1 <= self.gateway_min_replicas <= self.gateway_max_replicas:
            raise ValueError("need 1 <= gateway_min_replicas <= gateway_max_replicas")
        if not self.load_balancer_controller_policy:
            raise ValueError("the load balancer controller needs its published IAM policy")
        if self.istiod_replicas < 2:
            raise ValueError("istiod needs at least 2 replicas for high availability")
        if not self.edge_ipv4 and not self.edge_ipv6 and not self.edge_prefix_list_ids:
            raise ValueError("the ingress needs the edge's address ranges or prefix lists")
        for cidr in self.partner_cidrs:
            ipaddress.ip_network(cidr, strict=True)  # a network address, or ValueError

    @property
    def partner_port(self) -> int:
        """The NLB port partners connect to: 443 while it passes TCP (the Cloudflare edge), else
        a TCP listener of its own (`PARTNER_PASSTHROUGH_PORT`), since the TLS listener on 443
        (`origin_certificate_arn`) would end the partner's TLS and drop its client certificate."""
        if self.origin_certificate_arn is None:
            return GATEWAY_HTTPS_PORT
        return PARTNER_PASSTHROUGH_PORT


class ServiceMesh(pulumi.ComponentResource):
    """Istio and the ingress NLB on one cluster; see the module docstring."""

    ingress_hostname: pulumi.Output[str]
    partner_port: int
    """The NLB port partners connect to (`ServiceMeshArgs.partner_port`)."""
    ingress_security_group: aws.ec2.SecurityGroup
    health_checker_security_group: aws.ec2.SecurityGroup | None
    releases: dict[str, k8s.helm.v3.Release]
    ready: list[pulumi.Resource]
    """What tenant objects must wait for (istiod's webhooks serve once it is released)."""

    def __init__(
        self, name: str, args: ServiceMeshArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:mesh:ServiceMesh", name, None, opts)
        self._name = name
        self._args = args
        kube = args.cluster.provider
        self._in_aws = pulumi.ResourceOptions(parent=self)
        self._in_kube = pulumi.ResourceOptions(parent=self, provider=kube)

        self._webhook_rules(name, args)
        self.ingress_security_group = self._ingress_security_group(name, args)
        self.health_checker_security_group = self._health_checker_security_group(name, args)

        namespaces = {
            ISTIO_NAMESPACE: {
                # istiod runs as non-root; `restricted` is audited/warned, `baseline` enforced.
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
            INGRESS_NAMESPACE: {
                "istio-injection": "enabled",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        }
        self.namespaces = {
            ns: k8s.core.v1.Namespace(
                f"{name}-ns-{ns}",
                metadata=object_meta(ns, labels={**labels, "app.kubernetes.io/part-of": "istio"}),
                opts=self._in_kube.merge(pulumi.ResourceOptions(depends_on=list(args.after))),
            )
            for ns, labels in namespaces.items()
        }

        self.releases = {}
        lbc = self._load_balancer_controller(name, args)
        base = self._release("istio-base", "istio-base", ISTIO_NAMESPACE, self._base_values(), [])
        cni = self._release("istio-cni", "istio-cni", CNI_NAMESPACE, self._cni_values(), [base])
        istiod = self._release(
            "istiod", "istio-istiod", ISTIO_NAMESPACE, self._istiod_values(args), [cni]
        )
        gateway = self._release(
            GATEWAY_NAME,
            "istio-gateway",
            INGRESS_NAMESPACE,
            self._gateway_values(args),
            [istiod, lbc],
        )
        self.ready = [istiod]

        self._mesh_security(name, istiod)
        self._egress_registry(name, args, istiod)
        self.tls_secret = self._tls_secret(name, args.edge_certificate)
        self._edge_gateway(name, gateway, args.edge_certificate)
        self._health_route(name, args.health_path)
        self._ingress_namespace_policies(name, args, istiod)

        # The NLB the controller made for the gateway's Service. Its id is known only once the
        # release is deployed, so a preview of a new stack reads nothing and shows it unknown.
        service = k8s.core.v1.Service.get(
            f"{name}-ingress-service",
            gateway.status.apply(lambda s: f"{s.namespace}/{GATEWAY_NAME}"),
            opts=pulumi.ResourceOptions(parent=self, provider=kube),
        )
        self.ingress_hostname = service.status.apply(load_balancer_hostname)
        self.partner_port = args.partner_port
        self.register_outputs(
            {
                "ingressHostname": self.ingress_hostname,
                "partnerPort": args.partner_port,
                "ingressSecurityGroupId": self.ingress_security_group.id,
            }
        )

    # --- AWS side ------------------------------------------------------------------------------

    def _webhook_rules(self, name: str, args: ServiceMeshArgs) -> None:
        for port, why in WEBHOOK_PORTS.items():
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-webhook-{port}",
                security_group_id=args.cluster.node_security_group_id,
                referenced_security_group_id=args.cluster.cluster_security_group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"EKS control plane to {why}",
                opts=self._in_aws,
            )

    def _ingress_security_group(self, name: str, args: ServiceMeshArgs) -> aws.ec2.SecurityGroup:
        ingress: list[aws.ec2.SecurityGroupIngressArgsDict] = []
        if args.edge_ipv4 or args.edge_ipv6:
            ingress.append(
                {
                    "description": "HTTPS from the edge's published ranges only",
                    "protocol": "tcp",
                    "from_port": GATEWAY_HTTPS_PORT,
                    "to_port": GATEWAY_HTTPS_PORT,
                    "cidr_blocks": list(args.edge_ipv4),
                    "ipv6_cidr_blocks": list(args.edge_ipv6),
                }
            )
        if args.edge_prefix_list_ids:
            ingress.append(
                {
                    "description": "HTTPS from the edge's origin-facing prefix list only",
                    "protocol": "tcp",
                    "from_port": GATEWAY_HTTPS_PORT,
                    "to_port": GATEWAY_HTTPS_PORT,
                    "prefix_list_ids": list(args.edge_prefix_list_ids),
                }
            )
        for cidr in args.partner_cidrs:
            v6 = ipaddress.ip_network(cidr).version == 6
            ingress.append(
                {
                    "description": f"HTTPS from partner network {cidr} (mutual TLS, passthrough)",
                    "protocol": "tcp",
                    "from_port": args.partner_port,
                    "to_port": args.partner_port,
                    "cidr_blocks": [] if v6 else [cidr],
                    "ipv6_cidr_blocks": [cidr] if v6 else [],
                }
            )
        egress: list[aws.ec2.SecurityGroupEgressArgsDict] = [
            {
                "description": f"to the gateway pods ({what})",
                "protocol": "tcp",
                "from_port": port,
                "to_port": port,
                "cidr_blocks": list(args.backend_cidrs),
            }
            for port, what in ((GATEWAY_TARGET_PORT, "HTTPS"), (GATEWAY_STATUS_PORT, "health"))
        ]
        return aws.ec2.SecurityGroup(
            f"{name}-ingress-nlb",
            name=args.names.physical("ingress-nlb"),
            description="Ingress NLB: HTTPS from the edge only",
            vpc_id=args.vpc_id,
            ingress=ingress,
            egress=egress,
            revoke_rules_on_delete=True,
            tags={"Name": args.names.display("ingress-nlb"), "exposure": "edge"},
            opts=self._in_aws,
        )

    def _health_checker_security_group(
        self, name: str, args: ServiceMeshArgs
    ) -> aws.ec2.SecurityGroup | None:
        """The NLB's second group: HTTPS from the edge's health checkers only (None without
        them). No egress of its own: the NLB reaches its targets through the first group."""
        if not args.health_checker_prefix_list_ids:
            return None
        return aws.ec2.SecurityGroup(
            f"{name}-ingress-nlb-health",
            name=args.names.physical("ingress-nlb-health"),
            description="Ingress NLB: HTTPS from the edge's health checkers only",
            vpc_id=args.vpc_id,
            ingress=[
                {
                    "description": "HTTPS /health from the edge's health checkers' prefix list",
                    "protocol": "tcp",
                    "from_port": GATEWAY_HTTPS_PORT,
                    "to_port": GATEWAY_HTTPS_PORT,
                    "prefix_list_ids": list(args.health_checker_prefix_list_ids),
                }
            ],
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": args.names.display("ingress-nlb-health"), "exposure": "edge"},
            opts=self._in_aws,
        )

    def _nlb_security_groups(self) -> pulumi.Input[str]:
        """The `security-groups` annotation: the edge's group, then the health checkers'."""
        health = self.health_checker_security_group
        if health is None:
            return self.ingress_security_group.id
        return pulumi.Output.all(self.ingress_security_group.id, health.id).apply(_comma_joined)

    def _load_balancer_controller(self, name: str, args: ServiceMeshArgs) -> k8s.helm.v3.Release:
        identity = WorkloadIdentity(
            f"{name}-lbc",
            WorkloadIdentityArgs(
                names=args.names,
                cluster_name=args.cluster.name,
                namespace=LBC_NAMESPACE,
                service_account=LBC_SERVICE_ACCOUNT,
            ),
            opts=self._in_aws,
        )
        policy = identity.grant(
            "load-balancers", [dict(s) for s in args.load_balancer_controller_policy]
        )
        values = {
            "clusterName": args.cluster.name,
            # Region and VPC given, so the controller never asks IMDS (hop limit 1 for pods).
            "region": args.region,
            "vpcId": args.vpc_id,
            "replicaCount": 2,
            "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT},
            "tolerations": [CRITICAL_ADDONS_TOLERATION],
            "podDisruptionBudget": {"maxUnavailable": 1},
            # Only Services that ask for it (type external) get an NLB from this controller.
            "enableServiceMutatorWebhook": False,
            "defaultTags": {
                "managed-by": "aws-load-balancer-controller",
                "meridian-cluster": args.names.physical("eks"),
                **args.extra_tags,
            },
        }
        return self._release(
            "aws-load-balancer-controller",
            "aws-load-balancer-controller",
            LBC_NAMESPACE,
            values,
            [identity, policy],
        )

    # --- Helm releases ---------------------------------------------------------------------------

    def _release(
        self,
        release: str,
        chart_key: str,
        namespace: str,
        values: Mapping[str, Any],
        after: Sequence[pulumi.Resource],
    ) -> k8s.helm.v3.Release:
        chart = self._args.charts[chart_key]
        depends: list[pulumi.Resource] = [*self._args.after, *after]
        if namespace in self.namespaces:
            depends.append(self.namespaces[namespace])
        resource = pinned_release(
            f"{self._name}-{release}",
            release=release,
            chart=chart,
            namespace=namespace,
            values=dict(values),
            timeout=900,
            opts=self._in_kube.merge(pulumi.ResourceOptions(depends_on=depends)),
        )
        self.releases[release] = resource
        return resource

    @staticmethod
    def _base_values() -> dict[str, Any]:
        return {"defaultRevision": "default"}

    @staticmethod
    def _cni_values() -> dict[str, Any]:
        return {
            # Chained after the VPC CNI; the DaemonSet runs on every node, GPU pools included.
            "cni": {"chained": True, "excludeNamespaces": [CNI_NAMESPACE]},
            "tolerations": [{"operator": "Exists"}],
        }

    @staticmethod
    def _istiod_values(args: ServiceMeshArgs) -> dict[str, Any]:
        return {
            "global": {
                "istioNamespace": ISTIO_NAMESPACE,
                "logAsJson": True,
                "defaultPodDisruptionBudget": {"enabled": True},
                "proxy": {"holdApplicationUntilProxyStarts": True},
            },
            "pilot": {
                "replicaCount": args.istiod_replicas,
                "autoscaleEnabled": True,
                "autoscaleMin": args.istiod_replicas,
                "autoscaleMax": max(args.istiod_replicas, 5),
                "tolerations": [CRITICAL_ADDONS_TOLERATION],
                "cni": {"enabled": True},
                "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}},
            },
            "sidecarInjectorWebhook": {"rewriteAppHTTPProbe": True},
            "meshConfig": {
                "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
                "enableAutoMtls": True,
                "trustDomain": "cluster.local",
                "accessLogFile": "/dev/stdout",
                "accessLogEncoding": "JSON",
                "defaultConfig": {"holdApplicationUntilProxyStarts": True},
            },
        }

    def _gateway_values(self, args: ServiceMeshArgs) -> dict[str, Any]:
        annotations = {
            f"{NLB}-type": "external",
            f"{NLB}-nlb-target-type": "ip",
            f"{NLB}-scheme": "internet-facing",
            f"{NLB}-security-groups": self._nlb_security_groups(),
            f"{NLB}-manage-backend-security-group-rules": "true",
            f"{NLB}-subnets": pulumi.Output.from_input(args.public_subnet_ids).apply(_comma_joined),
            f"{NLB}-healthcheck-port": str(GATEWAY_STATUS_PORT),
            f"{NLB}-healthcheck-protocol": "http",
            f"{NLB}-healthcheck-path": "/healthz/ready",
            f"{NLB}-attributes": pulumi.Output.from_input(args.access_log_bucket).apply(
                _nlb_attributes
            ),
        }
        annotations.update(_tls_listener(args.origin_certificate_arn))
        restricted_container = {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        return {
            "name": GATEWAY_NAME,
            "service": {
                "type": "LoadBalancer",
                "annotations": annotations,
                "ports": _service_ports(args.partner_port),
            },
            "autoscaling": {
                "enabled": True,
                "minReplicas": args.gateway_min_replicas,
                "maxReplicas": args.gateway_max_replicas,
                "targetCPUUtilizationPercentage": 70,
            },
            "podDisruptionBudget": {"minAvailable": 1},
            "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {"istio": "ingressgateway"}},
                }
            ],
            "labels": {"istio": "ingressgateway"},
            # merged into the chart's own podAnnotations (prometheus.io/*, inject templates)
            "podAnnotations": {
                HISTOGRAM_BUCKETS_ANNOTATION: gateway_histogram_buckets(),
                PROXY_CONFIG_ANNOTATION: gateway_proxy_config(
                    args.gateway_drain_seconds, args.trusted_proxies
                ),
            },
            "terminationGracePeriodSeconds": args.gateway_drain_seconds + DRAIN_GRACE_SECONDS,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 1337,
                "runAsGroup": 1337,
                "seccompProfile": {"type": "RuntimeDefault"},
                "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}],
            },
            "containerSecurityContext": restricted_container,
        }

    # --- Istio objects ---------------------------------------------------------------------------

    def _custom(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        metadata: k8s.meta.v1.ObjectMetaArgsDict,
        spec: Mapping[str, Any],
        after: Sequence[pulumi.Resource],
    ) -> k8s.apiextensions.CustomResource:
        opts = self._in_kube.merge(pulumi.ResourceOptions(depends_on=list(after)))
        return custom_object(resource_name, api_version, kind, metadata, spec, opts)

    def _mesh_security(self, name: str, istiod: pulumi.Resource) -> None:
        self.peer_authentication = self._custom(
            f"{name}-mtls-strict",
            "security.istio.io/v1",
            "PeerAuthentication",
            object_meta("default", ISTIO_NAMESPACE),
            {"mtls": {"mode": "STRICT"}},
            [istiod],
        )
        # In the root namespace, with no selector and no rules: every proxy in the mesh allows
        # nothing unless a narrower ALLOW policy matches.
        self.deny_all = self._custom(
            f"{name}-deny-all",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta("deny-all", ISTIO_NAMESPACE),
            {},
            [istiod],
        )

    def _egress_registry(self, name: str, args: ServiceMeshArgs, istiod: pulumi.Resource) -> None:
        self.service_entries: dict[str, k8s.apiextensions.CustomResource] = {}
        for entry, spec in aws_service_entries(args.aws_services, args.region).items():
            self.service_entries[entry] = self._custom(
                f"{name}-{entry}",
                "networking.istio.io/v1",
                "ServiceEntry",
                object_meta(entry, ISTIO_NAMESPACE),
                spec,
                [istiod],
            )
        self.service_entries["pod-identity"] = self._custom(
            f"{name}-pod-identity-agent",
            "networking.istio.io/v1",
            "ServiceEntry",
            object_meta("eks-pod-identity-agent", ISTIO_NAMESPACE),
            {
                "hosts": ["eks-pod-identity-agent.meridian.internal"],
                "addresses": [f"{POD_IDENTITY_AGENT_ADDRESS}/32"],
                "exportTo": ["*"],
                "location": "MESH_EXTERNAL",
                "ports": [{"number": 80, "name": "http-credentials", "protocol": "HTTP"}],
                "resolution": "STATIC",
                "endpoints": [{"address": POD_IDENTITY_AGENT_ADDRESS}],
            },
            [istiod],
        )

    def _tls_secret(self, name: str, credential: OriginCredential) -> k8s.core.v1.Secret:
        data: dict[str, pulumi.Input[str]] = {
            "tls.crt": credential.certificate_pem,
            "tls.key": credential.private_key_pem,
        }
        if credential.client_ca_pem is not None:
            data["ca.crt"] = credential.client_ca_pem
        return k8s.core.v1.Secret(
            f"{name}-edge-tls",
            metadata=object_meta(TLS_SECRET, INGRESS_NAMESPACE),
            type="kubernetes.io/tls",
            string_data=data,
            opts=self._in_kube.merge(
                pulumi.ResourceOptions(
                    depends_on=[self.namespaces[INGRESS_NAMESPACE], credential.issued_by],
                    additional_secret_outputs=["stringData", "data"],
                )
            ),
        )

    def _edge_gateway(
        self, name: str, gateway: pulumi.Resource, credential: OriginCredential
    ) -> None:
        self.gateway = self._custom(
            f"{name}-edge-gateway",
            "networking.istio.io/v1",
            "Gateway",
            object_meta(EDGE_GATEWAY, INGRESS_NAMESPACE),
            edge_gateway_spec(mutual=credential.client_ca_pem is not None),
            [gateway, self.tls_secret],
        )

    def _health_route(self, name: str, path: str) -> None:
        self.health_route = self._custom(
            f"{name}-edge-health",
            "networking.istio.io/v1",
            "VirtualService",
            object_meta(HEALTH_ROUTE, INGRESS_NAMESPACE),
            health_virtual_service_spec(path),
            [self.gateway],
        )

    def _ingress_namespace_policies(
        self, name: str, args: ServiceMeshArgs, istiod: pulumi.Resource
    ) -> None:
        ns = INGRESS_NAMESPACE
        self._custom(
            f"{name}-ingress-deny-all",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta("deny-all", ns),
            {},
            [istiod],
        )
        # The NLB forwards plain TCP from the internet (TLS terminates here): no mTLS principal
        # to match, so the allow names the gateway's HTTPS port and nothing else.
        self._custom(
            f"{name}-ingress-allow-edge",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta("allow-edge-https", ns),
            {
                "selector": {"matchLabels": {"istio": "ingressgateway"}},
                "action": "ALLOW",
                "rules": [{"to": [{"operation": {"ports": [str(GATEWAY_TARGET_PORT)]}}]}],
            },
            [istiod],
        )
        after = pulumi.ResourceOptions(depends_on=[self.namespaces[ns]])
        default_deny_network_policy(f"{name}-ingress-default-deny", ns, self._in_kube.merge(after))
        k8s.networking.v1.NetworkPolicy(
            f"{name}-ingress-allow",
            metadata=object_meta("allow-gateway", ns),
            spec={
                "pod_selector": {"match_labels": {"istio": "ingressgateway"}},
                "policy_types": ["Ingress", "Egress"],
                "ingress": [
                    {
                        # NLB IP targets: the NLB's own addresses in the VPC are the sources.
                        "from_": [{"ip_block": {"cidr": c}} for c in args.backend_cidrs],
                        "ports": [
                            {"protocol": "TCP", "port": GATEWAY_TARGET_PORT},
                            {"protocol": "TCP", "port": GATEWAY_STATUS_PORT},
                        ],
                    },
                    metrics_scrape_ingress(),
                ],
                "egress": [
                    dns_egress(),
                    istiod_egress(),
                    {
                        "to": [{"namespace_selector": {"match_labels": {TENANT_LABEL: "true"}}}],
                        "ports": [{"protocol": "TCP", "port": TENANT_PORT}],
                    },
                ],
            },
            opts=self._in_kube.merge(after),
        )


def gateway_proxy_config(drain_seconds: int, trusted_proxies: int) -> str:
    """The gateway pods' ProxyConfig overrides (istio/api mesh/v1alpha1/proxy.proto:
    `terminationDrainDuration`, `gatewayTopology.numTrustedProxies`), as the annotation's JSON
    (a YAML subset)."""
    return json.dumps(
        {
            "terminationDrainDuration": f"{drain_seconds}s",
            "gatewayTopology": {"numTrustedProxies": trusted_proxies},
        },
        sort_keys=True,
    )


def edge_gateway_spec(mutual: bool) -> dict[str, Any]:
    """The edge Gateway: HTTPS on 443 with the `edge-tls` credential, TLS 1.2+; `MUTUAL` when the
    edge presents a client certificate (Cloudflare's Authenticated Origin Pulls: connections
    without Cloudflare's origin-pull certificate are refused in the handshake)."""
    return {
        "selector": {"istio": "ingressgateway"},
        "servers": [
            {
                "port": {"number": GATEWAY_HTTPS_PORT, "name": "https", "protocol": "HTTPS"},
                "hosts": ["*/*"],
                "tls": {
                    "mode": "MUTUAL" if mutual else "SIMPLE",
                    "credentialName": TLS_SECRET,
                    "minProtocolVersion": "TLSV1_2",
                },
            }
        ],
    }


def health_virtual_service_spec(path: str) -> dict[str, Any]:
    """The edge monitor's route: the gateway answers `path` itself with 200 (Istio
    HTTPRoute.directResponse, in the pinned 1.29 CRD); nothing else matches it."""
    return {
        "hosts": ["*"],
        "gateways": [EDGE_GATEWAY_REF],
        "http": [
            {
                "name": "edge-health",
                "match": [{"uri": {"exact": path}, "method": {"exact": "GET"}}],
                "directResponse": {"status": HEALTH_STATUS, "body": {"string": "ok"}},
            }
        ],
    }


def aws_service_entries(services: Sequence[str], region: str) -> dict[str, dict[str, Any]]:
    """ServiceEntry specs for the AWS services reached, one per (port, protocol, resolution):
    few objects, each listing the region's hosts of the services that share a listener."""
    groups: dict[tuple[int, str, bool], list[str]] = {}
    for service in services:
        endpoint = AWS_ENDPOINTS[service]
        key = (endpoint.port, endpoint.protocol, endpoint.wildcard)
        groups.setdefault(key, []).extend(endpoint.for_region(region))
    specs: dict[str, dict[str, Any]] = {}
    for (port, protocol, wildcard), hosts in groups.items():
        kind = "passthrough" if wildcard else "dns"
        specs[f"aws-{protocol.lower()}-{port}-{kind}"] = {
            "hosts": hosts,
            "exportTo": ["*"],
            "location": "MESH_EXTERNAL",
            "ports": [{"number": port, "name": f"{protocol.lower()}-{port}", "protocol": protocol}],
            # Envoy cannot resolve a wildcard: pass the connection to the address the app chose.
            "resolution": "NONE" if wildcard else "DNS",
        }
    return specs


ORIGIN_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""The NLB TLS listener's security policy: TLS 1.3 and 1.2 only (ELB's predefined policies; the
controller's annotation reference gives it as its example)."""


def _tls_listener(certificate_arn: pulumi.Input[str] | None) -> dict[str, Any]:
    """The controller's Service annotations for a TLS listener on 443 with `certificate_arn`,
    re-encrypting to the gateway (`backend-protocol: ssl`; the NLB does not verify the target's
    certificate). Names from kubernetes-sigs/aws-load-balancer-controller v3.4.2,
    pkg/annotations/constants.go and docs/guide/service/annotations.md (TLS)."""
    if certificate_arn is None:
        return {}
    return {
        f"{NLB}-ssl-cert": certificate_arn,
        f"{NLB}-ssl-ports": str(GATEWAY_HTTPS_PORT),
        f"{NLB}-ssl-negotiation-policy": ORIGIN_TLS_POLICY,
        f"{NLB}-backend-protocol": "ssl",
    }


def _service_ports(partner_port: int) -> list[dict[str, Any]]:
    """The gateway Service's ports, one NLB listener and target group each (the controller builds
    them per Service port, pkg/service/model_build_listener.go): HTTPS 443, and the partner port
    when it is not 443. The partner port is not in the `ssl-ports` annotation, so its listener and
    target group are TCP: the partner's TLS reaches the gateway untouched."""
    ports = [
        {
            "name": "https",
            "port": GATEWAY_HTTPS_PORT,
            "targetPort": GATEWAY_TARGET_PORT,
            "protocol": "TCP",
        }
    ]
    if partner_port != GATEWAY_HTTPS_PORT:
        ports.append(
            {
                "name": PARTNER_PORT_NAME,
                "port": partner_port,
                "targetPort": GATEWAY_TARGET_PORT,
                "protocol": "TCP",
            }
        )
    return ports


def _nlb_attributes(bucket: str) -> str:
    """The NLB's attributes (the controller's aws-load-balancer-attributes annotation, ELBv2
    attribute names): cross-zone balancing, and access logs to `bucket` with no prefix, so they
    land under `AWSLogs/<account>/elasticloadbalancing/`, where the archive admits log
    delivery."""
    return ",".join(
        (
            "load_balancing.cross_zone.enabled=true",
            "access_logs.s3.enabled=true",
            f"access_logs.s3.bucket={bucket}",
        )
    )


def _comma_joined(values: Sequence[str]) -> str:
    if not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"the ingress NLB needs its subnet and group ids; got {list(values)!r}")
    return ",".join(values)


def load_balancer_hostname(status: Any) -> str:
    """The NLB hostname from the Service's status (empty until the controller has made it)."""
    ingress = (status.load_balancer.ingress if status and status.load_balancer else None) or []
    return (ingress[0].hostname or "") if ingress else ""
