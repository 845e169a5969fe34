"""The Kubernetes layer of a region: the EKS cluster, its node pools and add-ons, the deploy
runner, the Istio mesh with the ingress the edge reaches, the tenant namespaces and the
telemetry agents."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.delivery import DeployRunner, DeployRunnerArgs
from components.foundation.keyring import KeyClass
from components.kubernetes.addons import POST_NODE_ADDONS, ClusterAddons, ClusterAddonsArgs
from components.kubernetes.cluster import PRE_NODE_ADDONS, EksCluster, EksClusterArgs
from components.kubernetes.node_pools import NodePools, NodePoolsArgs
from components.mesh import ServiceMesh, ServiceMeshArgs
from components.mesh.service_mesh import EDGE_GATEWAY_REF
from components.observability.agents import TelemetryAgents, TelemetryAgentsArgs
from components.observability.broker_metrics import (
    BROKER_SCRAPED_PORTS,
    broker_scrape_jobs,
    broker_target_files,
)
from components.observability.cluster_metrics import (
    CLUSTER_SCRAPE_RBAC,
    SCRAPED_PORTS,
    ClusterMetrics,
    ClusterMetricsArgs,
    cluster_scrape_jobs,
)
from components.tenancy import Tenancy, TenancyArgs
from components.tenancy.services import aws_services_reached
from stacks import ingress_auth
from stacks.component_data import load_balancer_controller_policy
from stacks.edge_ranges import EDGE_RANGES
from stacks.ingress_routes import health_path, mesh_routes, origin_certificate
from stacks.node_pools_plan import general_pool, gpu_inference_pool, gpu_training_pool, system_pool
from stacks.regional import origin_listener
from stacks.regional.baseline import Baseline
from stacks.regional.context import RegionContext
from stacks.regional.foundation import Foundation
from stacks.versions import (
    EKS_AMI_RELEASE,
    HELM_CHARTS,
    KUBERNETES_VERSION,
    eks_addon_version,
    eks_ami_release_version,
)

CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
"""The AWS-managed prefix list of CloudFront's origin-facing addresses (the AWS-native edge)."""


def route53_health_checker_prefix_list(region: str) -> str:
    """The AWS-managed prefix list of Route 53's health checkers (IPv4) in `region`: the AWS
    edge's health checks probe each ingress by name, over IPv4 (AWS VPC user guide, "Available
    AWS-managed prefix lists": `com.amazonaws.<region>.route53-healthchecks`, in every region)."""
    return f"com.amazonaws.{region}.route53-healthchecks"


@dataclass(frozen=True)
class Kubernetes:
    """The Kubernetes layer's result. `ready`: what in-cluster workloads of later layers wait
    for (DNS and storage add-ons; Istio's CRDs and webhooks)."""

    cluster: EksCluster
    runner: DeployRunner
    nodes: NodePools
    addons: ClusterAddons
    mesh: ServiceMesh
    tenants: Tenancy
    telemetry: TelemetryAgents

    @property
    def ready(self) -> list[pulumi.Resource]:
        return [*self.addons.ready, *self.mesh.ready]

    @property
    def observability_namespace(self) -> pulumi.Resource:
        """The telemetry agents' namespace: what later layers' inputs to the scraper wait for."""
        return self.telemetry.namespace

    @property
    def client_security_group_id(self) -> pulumi.Output[str]:
        """The security group of the nodes, which pods share (custom networking ENIConfig): what
        the data stores and Kafka admit."""
        return self.cluster.node_security_group_id


def build(ctx: RegionContext, foundation: Foundation, baseline: Baseline) -> Kubernetes:
    cluster = _cluster(ctx, foundation)
    runner = _deploy_runner(ctx, foundation, cluster)
    nodes = _node_pools(ctx, foundation, cluster)
    addons = ClusterAddons(
        "addons",
        ClusterAddonsArgs(
            cluster=cluster,
            after=[nodes.system_pool],
            names=ctx.names,
            partition=ctx.partition,
            region=ctx.region,
            versions={a: eks_addon_version(a) for a in POST_NODE_ADDONS},
            volume_key_arn=foundation.keys.arn(KeyClass.COMPUTE),
        ),
        opts=ctx.opts,
    )
    mesh = _mesh(ctx, foundation, cluster, addons)
    ingress_auth.build(ctx, cluster, after=mesh.ready)  # end-user tokens at the edge Gateway
    tenants = Tenancy(  # the data layer grants its stores to tenants.identities
        "tenants",
        TenancyArgs(
            names=ctx.names,
            scope=ctx.scope,
            cluster=cluster,
            keys=foundation.keys,
            vpc_cidr=str(ctx.plan.vpc_cidr),
            kubernetes_version=KUBERNETES_VERSION,
            after=mesh.ready,
            edge_routes=mesh_routes(),
            edge_gateway=EDGE_GATEWAY_REF,
        ),
        opts=ctx.opts,
    )
    telemetry = TelemetryAgents(  # Fluent Bit and an OpenTelemetry Collector
        "telemetry",
        TelemetryAgentsArgs(
            cluster=cluster,
            names=ctx.names,
            region=ctx.region,
            logs_key_arn=foundation.keys.arn(KeyClass.LOGS),
            retention_days=foundation.log_retention_days,
            fluent_bit=HELM_CHARTS["aws-for-fluent-bit"],
            collector=HELM_CHARTS["opentelemetry-collector"],
            after=[*addons.ready, *mesh.ready],  # DNS and storage; Istio's CRDs and webhooks
            prometheus=baseline.prometheus,  # SigV4 remote write to the region's workspace
            # kube-state-metrics, node-exporter; the MSK brokers' exporters, whose targets the
            # streaming layer writes (streaming.py, BrokerMetrics)
            scrape_jobs=[*cluster_scrape_jobs(), *broker_scrape_jobs()],
            scrape_rbac=CLUSTER_SCRAPE_RBAC,
            scrape_ports=[*SCRAPED_PORTS, *BROKER_SCRAPED_PORTS],
            scrape_files=[broker_target_files()],
        ),
        opts=ctx.opts,
    )
    _cluster_metrics(ctx, cluster, addons, telemetry)
    return Kubernetes(cluster, runner, nodes, addons, mesh, tenants, telemetry)


def _cluster_metrics(
    ctx: RegionContext, cluster: EksCluster, addons: ClusterAddons, telemetry: TelemetryAgents
) -> ClusterMetrics:
    """metrics-server (the HPAs' resource metrics), kube-state-metrics and node-exporter, which
    the telemetry scraper reads (TelemetryAgentsArgs.scrape_jobs)."""
    return ClusterMetrics(
        "cluster-metrics",
        ClusterMetricsArgs(
            cluster=cluster,
            node_cidrs=[str(ctx.plan.vpc_cidr)],
            metrics_server=HELM_CHARTS["metrics-server"],
            kube_state_metrics=HELM_CHARTS["kube-state-metrics"],
            node_exporter=HELM_CHARTS["prometheus-node-exporter"],
            scraper_namespace=telemetry.namespace,
            after=addons.ready,
        ),
        opts=ctx.opts,
    )


def _cluster(ctx: RegionContext, foundation: Foundation) -> EksCluster:
    kube = ctx.plan.settings.kubernetes
    network, keys = foundation.network, foundation.keys
    # the deployer's role, not its session: the cluster's admin access entry
    deployer = aws.iam.get_session_context(arn=ctx.caller_arn, opts=ctx.invoke)
    return EksCluster(
        "eks",
        EksClusterArgs(
            names=ctx.names,
            region=ctx.region,
            partition=ctx.partition,
            version=KUBERNETES_VERSION,
            addon_versions={a: eks_addon_version(a) for a in PRE_NODE_ADDONS},
            vpc_id=network.vpc.id,
            internal_cidrs=[str(ctx.plan.vpc_cidr), str(ctx.pod_cidr)],
            node_subnet_ids=network.private_subnet_ids,
            pod_subnet_ids=network.pod_subnet_ids,
            availability_zones=ctx.azs,
            secrets_key_arn=keys.arn(KeyClass.COMPUTE),
            logs_key_arn=keys.arn(KeyClass.LOGS),
            log_retention_days=kube.control_plane_log_retention_days,
            deployer_arn=deployer.issuer_arn,
            admin_role_arns=kube.admin_role_arns,
            endpoint_public_access_cidrs=kube.endpoint_public_access_cidrs,
            warm_prefix_target=kube.warm_prefix_target,
        ),
        opts=ctx.opts,
    )


def _deploy_runner(ctx: RegionContext, foundation: Foundation, cluster: EksCluster) -> DeployRunner:
    """A CodeBuild-hosted GitHub Actions runner in the private subnets, admitted by the cluster
    security group, from which the workflows run this stack's `pulumi up` (the API endpoint is
    private). Its jobs act as the deployer (GitHub OIDC), which has cluster admin."""
    runner = ctx.plan.settings.deploy_runner
    network, keys = foundation.network, foundation.keys
    return DeployRunner(
        "deploy-runner",
        DeployRunnerArgs(
            names=ctx.names,
            scope=ctx.scope,
            vpc_id=network.vpc.id,
            subnet_ids=network.private_subnet_ids,
            cluster_security_group_id=cluster.cluster_security_group_id,
            endpoint_security_group_id=network.endpoint_security_group_id,
            connection_arn=runner.connection_arn or "",
            repository=runner.repository or "",
            compute_type=runner.compute_type,
            encryption_key_arn=keys.arn(KeyClass.STORAGE),
            logs_key_arn=keys.arn(KeyClass.LOGS),
            log_retention_days=foundation.log_retention_days,
        ),
        opts=ctx.opts,
    )


def _node_pools(ctx: RegionContext, foundation: Foundation, cluster: EksCluster) -> NodePools:
    """The node role, the system node group, the Karpenter pools and the GPU device plugin."""
    plan = ctx.plan
    return NodePools(
        "nodes",
        NodePoolsArgs(
            names=ctx.names,
            cluster=cluster,
            keys=foundation.keys,
            scope=ctx.scope,
            ami_release_version=eks_ami_release_version(KUBERNETES_VERSION),
            ami_alias=f"al2023@{EKS_AMI_RELEASE}",
            karpenter_chart=HELM_CHARTS["karpenter"],
            device_plugin_chart=HELM_CHARTS["nvidia-device-plugin"],
            system=system_pool(plan),
            general=general_pool(plan),
            gpu_inference=gpu_inference_pool(plan),
            gpu_training=gpu_training_pool(plan, ctx.azs, ctx.zone_ids),
            tags=ctx.settings.tags(),
        ),
        opts=ctx.opts,
    )


def _mesh(
    ctx: RegionContext, foundation: Foundation, cluster: EksCluster, addons: ClusterAddons
) -> ServiceMesh:
    """Istio and the ingress NLB, then the tenant namespaces and traffic policies. The NLB admits
    only the environment's edge: Cloudflare's published ranges, or, with the AWS-native edge,
    CloudFront's origin-facing managed prefix list and, on a group of their own, Route 53's
    health checkers (which probe each region's `/health`); beside it, the partner networks of
    `meridian:partnerApi.allowedCidrs` on the partner port (TCP passed through to the partner
    Gateway): 443 with Cloudflare, the NLB's own partner listener with the AWS edge, whose 443 is
    a TLS listener."""
    cloudfront_origin = ctx.settings.edge_provider == "aws"

    def managed(names: list[str]) -> list[pulumi.Output[str]]:
        return [aws.ec2.get_managed_prefix_list_output(name=n, opts=ctx.invoke).id for n in names]

    edge_prefix_lists = managed([CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST] if cloudfront_origin else [])
    health_checkers = managed(
        [route53_health_checker_prefix_list(ctx.region)] if cloudfront_origin else []
    )
    mesh = ctx.plan.settings.mesh
    network = foundation.network
    return ServiceMesh(
        "mesh",
        ServiceMeshArgs(
            names=ctx.names,
            region=ctx.region,
            cluster=cluster,
            vpc_id=network.vpc.id,
            public_subnet_ids=pulumi.Output.all(*network.public_subnet_ids),
            backend_cidrs=[str(ctx.plan.vpc_cidr), str(ctx.pod_cidr)],
            edge_ipv4=[] if cloudfront_origin else EDGE_RANGES.ipv4,
            edge_ipv6=[] if cloudfront_origin else EDGE_RANGES.ipv6,
            edge_prefix_list_ids=edge_prefix_lists,
            health_checker_prefix_list_ids=health_checkers,
            origin_certificate_arn=origin_listener.certificate_arn(ctx),
            partner_cidrs=ctx.plan.settings.partner_api.allowed_cidrs,
            aws_services=aws_services_reached(),
            charts=HELM_CHARTS,
            load_balancer_controller_policy=load_balancer_controller_policy(),
            edge_certificate=origin_certificate(
                ctx.names, ctx.settings.edge_provider, ctx.settings.edge_hostnames, ctx.region
            ).credential,
            access_log_bucket=foundation.archive.bucket.bucket,
            health_path=health_path(),
            after=addons.ready,
            istiod_replicas=mesh.istiod_replicas,
            gateway_min_replicas=mesh.gateway_min_replicas,
            gateway_max_replicas=mesh.gateway_max_replicas,
            gateway_drain_seconds=mesh.gateway_drain_seconds,
        ),
        opts=ctx.opts,
    )
