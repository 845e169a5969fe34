"""EksCluster: one region's EKS control plane, its access, its pod networking and the add-ons the
nodes need before they join.

- Pinned Kubernetes version; the API endpoint is private (a public endpoint only for an explicit
  CIDR allowlist); Secrets envelope-encrypted with the region's compute key.
- All five control-plane log types to `/aws/eks/<name>/cluster`, created here first (KMS-encrypted
  with the logs key, with retention) so EKS never creates an unencrypted, never-expiring one.
- Access entries only (authentication mode API, no aws-auth ConfigMap, no implicit admin for the
  creator): cluster admin for the deployer's role and the roles named in config.
- An IAM OIDC provider (for the few tools that still need IRSA) and the Pod Identity agent; every
  add-on that calls AWS gets its own least-privilege role (`WorkloadIdentity`).
- Meridian's node security group (launch templates and Karpenter attach it; pods' ENIs get it
  through the ENIConfigs) and the rules between it and the EKS-created cluster security group.
- Before nodes: vpc-cni (custom networking + prefix delegation, see `pod_network`), its ENIConfig
  per AZ, kube-proxy and the Pod Identity agent: `pre_node_ready`.
- The Kubernetes provider every Kubernetes object of the layer uses: `provider`.

Example::

    cluster = EksCluster("eks", EksClusterArgs(
        names=names, region="us-east-1", partition="aws", version="1.35",
        addon_versions={"vpc-cni": "v1.21.1-eksbuild.1", "kube-proxy": "v1.35.0-eksbuild.2",
                        "eks-pod-identity-agent": "v1.3.10-eksbuild.2"},
        vpc_id=network.vpc.id, internal_cidrs=["10.128.0.0/16", "100.64.0.0/16"],
        node_subnet_ids=network.private_subnet_ids, pod_subnet_ids=network.pod_subnet_ids,
        availability_zones=azs, secrets_key_arn=keys.arn(KeyClass.COMPUTE),
        logs_key_arn=keys.arn(KeyClass.LOGS), log_retention_days=90,
        deployer_arn="arn:aws:iam::123456789012:role/Deployer"), opts=in_region)
    NodePools(..., opts=pulumi.ResourceOptions(depends_on=cluster.pre_node_ready))
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from components.common.iam import service_trust_policy
from components.common.naming import Names
from components.kubernetes.pod_network import (
    ENI_CONFIG_API_VERSION,
    eni_config_spec,
    vpc_cni_configuration,
)
from components.kubernetes.provider import KubernetesProviderArgs, kubernetes_provider
from components.kubernetes.workload_identity import WorkloadIdentity, WorkloadIdentityArgs

CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = (
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
)
LOG_RETENTION_DAYS: frozenset[int] = frozenset(
    (
        1,
        3,
        5,
        7,
        14,
        30,
        60,
        90,
        120,
        150,
        180,
        365,
        400,
        545,
        731,
        1096,
        1827,
        2192,
        2557,
        2922,
        3288,
        3653,
    )
)
"""The retention periods CloudWatch Logs accepts."""

PRE_NODE_ADDONS: tuple[str, ...] = ("eks-pod-identity-agent", "kube-proxy", "vpc-cni")
"""Add-ons that must be in place before a node joins; the others wait for nodes (ClusterAddons)."""

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
SERVICE_CIDR = "172.20.0.0/16"
"""Kubernetes Service addresses: outside 10/8 (VPCs) and 100.64/10 (pods), never routed."""

IGNORED_CLUSTER_FIELDS: tuple[str, ...] = (
    "accessConfig.bootstrapClusterCreatorAdminPermissions",
    "bootstrapSelfManagedAddons",
)
"""Create-only inputs the EKS API never reports back after creation; a refresh or import would
otherwise show a diff that forces replacing the cluster."""

CONTROL_PLANE_TO_NODE_PORTS: Mapping[int, str] = {
    443: "webhooks and aggregated APIs served by pods",
    10250: "kubelet API (logs, exec, metrics)",
}


def _issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity] | None) -> str:
    for identity in identities or []:
        for oidc in identity.oidcs or []:
            if oidc.issuer:
                return oidc.issuer
    return ""


def control_plane_log_group_name(cluster_name: str) -> str:
    """The log group EKS writes control-plane logs to."""
    return f"/aws/eks/{cluster_name}/cluster"


@dataclass(frozen=True)
class EksClusterArgs:
    names: Names
    region: str
    partition: str
    version: str
    addon_versions: Mapping[str, str]
    """Versions of the pre-node add-ons (PRE_NODE_ADDONS), from the version table."""
    vpc_id: pulumi.Input[str]
    internal_cidrs: Sequence[str]
    """The VPC's address ranges (primary and pod CIDR): what the nodes may reach freely."""
    node_subnet_ids: Sequence[pulumi.Input[str]]
    pod_subnet_ids: Sequence[pulumi.Input[str]]
    availability_zones: Sequence[str]
    """The AZ of each pod subnet, in the same order: ENIConfigs are named after their AZ."""
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    deployer_arn: str
    """The IAM role (not the STS session) running Pulumi; it gets cluster admin through an access
    entry and the Kubernetes provider acts as it."""
    admin_role_arns: Sequence[str] = ()
    endpoint_public_access_cidrs: Sequence[str] = ()
    """Empty: the API endpoint is private only."""
    warm_prefix_target: int = 1

    def __post_init__(self) -> None:
        missing = [a for a in PRE_NODE_ADDONS if a not in self.addon_versions]
        if missing:
            raise ValueError(f"no version for add-ons {', '.join(missing)}")
        if len(self.pod_subnet_ids) != len(self.availability_zones):
            raise ValueError("one pod subnet per availability zone")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"log_retention_days must be one of {sorted(LOG_RETENTION_DAYS)}, "
                f"got {self.log_retention_days}"
            )
        for text in self.endpoint_public_access_cidrs:
            net = ipaddress.IPv4Network(text, strict=True)  # ValueError if not a network
            if net.prefixlen == 0:
                raise ValueError("a public API endpoint open to 0.0.0.0/0 is not allowed")
        for arn in (self.deployer_arn, *self.admin_role_arns):
            if ":role/" not in arn or not arn.startswith("arn:"):
                raise ValueError(f"{arn!r} is not an IAM role ARN")

    @property
    def cluster_name(self) -> str:
        return self.names.physical("eks", max_length=100)


class EksCluster(pulumi.ComponentResource):
    """A private, encrypted, audited EKS cluster with access entries and pod networking."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority_data: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    version: str
    cluster_security_group_id: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]
    node_subnet_ids: pulumi.Output[list[str]]
    pod_subnet_ids: pulumi.Output[list[str]]
    provider: kubernetes.Provider
    pre_node_ready: list[pulumi.Resource]
    addons: dict[str, aws.eks.Addon]
    log_group: aws.cloudwatch.LogGroup
    """The control-plane log group (`/aws/eks/<cluster>/cluster`)."""

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:kubernetes:EksCluster", name, None, opts)
        self._name = name
        self._args = args
        self.version = args.version
        role, cluster_policy = self._control_plane_role()
        self.log_group = self._control_plane_logs()
        self.cluster = self._cluster(role, [self.log_group, cluster_policy])
        node_sg = self._security_groups()
        admitted = self._access_entries()
        self.provider = kubernetes_provider(
            f"{name}-k8s",
            KubernetesProviderArgs(
                cluster_name=self.cluster.name,
                endpoint=self.cluster.endpoint,
                certificate_authority_data=self.certificate_authority_data,
                region=args.region,
                admitted_by=admitted[args.deployer_arn],
            ),
            parent=self,
        )
        self.addons = {}
        self.pre_node_ready = self._pre_node_addons(node_sg)
        self.node_subnet_ids = pulumi.Output.all(*args.node_subnet_ids)
        self.pod_subnet_ids = pulumi.Output.all(*args.pod_subnet_ids)
        self.register_outputs(
            {
                "clusterName": self.name,
                "clusterArn": self.arn,
                "endpoint": self.endpoint,
                "oidcProviderArn": self.oidc_provider_arn,
                "clusterSecurityGroupId": self.cluster_security_group_id,
                "nodeSecurityGroupId": self.node_security_group_id,
                "version": self.version,
            }
        )

    def _control_plane_role(self) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        """The control plane's IAM role and its managed policy."""
        name, args, names = self._name, self._args, self._args.names
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-cluster-role",
            name=names.physical("eks-cluster", max_length=64),
            description=f"EKS control plane of {args.cluster_name}",
            assume_role_policy=service_trust_policy(
                "eks.amazonaws.com", action=["sts:AssumeRole", "sts:TagSession"]
            ),
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=role.name,
            policy_arn=f"arn:{args.partition}:iam::aws:policy/AmazonEKSClusterPolicy",
            opts=child,
        )
        return role, cluster_policy

    def _control_plane_logs(self) -> aws.cloudwatch.LogGroup:
        """Our encrypted log group, made before EKS would make its own."""
        return aws.cloudwatch.LogGroup(
            f"{self._name}-control-plane-logs",
            name=control_plane_log_group_name(self._args.cluster_name),
            kms_key_id=self._args.logs_key_arn,
            retention_in_days=self._args.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _cluster(self, role: aws.iam.Role, after: Sequence[pulumi.Resource]) -> aws.eks.Cluster:
        """The cluster (protected), what it exposes, and its OIDC provider."""
        name, args = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = args.cluster_name
        public = list(args.endpoint_public_access_cidrs)
        vpc_config: aws.eks.ClusterVpcConfigArgsDict = {
            "subnet_ids": list(args.node_subnet_ids),
            "endpoint_private_access": True,
            "endpoint_public_access": bool(public),
        }
        if public:
            vpc_config["public_access_cidrs"] = public
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=args.version,
            role_arn=role.arn,
            vpc_config=vpc_config,
            access_config={
                "authentication_mode": "API",
                "bootstrap_cluster_creator_admin_permissions": False,
            },
            # Meridian installs vpc-cni, kube-proxy and coredns as managed add-ons, configured.
            bootstrap_self_managed_addons=False,
            encryption_config={
                "provider": {"key_arn": args.secrets_key_arn},
                "resources": ["secrets"],
            },
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            kubernetes_network_config={"ip_family": "ipv4", "service_ipv4_cidr": SERVICE_CIDR},
            upgrade_policy={"support_type": "STANDARD"},
            deletion_protection=True,
            tags={"Name": cluster_name},
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=True,
                depends_on=list(after),
                ignore_changes=list(IGNORED_CLUSTER_FIELDS),
            ),
        )
        self.name = cluster.name
        self.arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.certificate_authority_data = cluster.certificate_authority.apply(
            lambda ca: ca.data or ""
        )
        self.oidc_issuer_url = cluster.identities.apply(_issuer)
        self.cluster_security_group_id = cluster.vpc_config.apply(
            lambda vpc: vpc.cluster_security_group_id or ""
        )

        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            opts=child,
        )
        self.oidc_provider_arn = oidc.arn
        return cluster

    def _security_groups(self) -> aws.ec2.SecurityGroup:
        """The nodes' group and the rules between nodes, the control plane and the VPC."""
        name, args, names = self._name, self._args, self._args.names
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = args.cluster_name
        node_sg = aws.ec2.SecurityGroup(
            f"{name}-node-sg",
            vpc_id=args.vpc_id,
            description=f"EKS nodes and pods of {cluster_name}",
            revoke_rules_on_delete=True,
            tags={
                "Name": names.display("eks-nodes"),
                # The AWS Load Balancer Controller manages rules on exactly this group.
                f"kubernetes.io/cluster/{cluster_name}": "owned",
            },
            opts=child,
        )
        self.node_security_group_id = node_sg.id
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-node-from-nodes",
            security_group_id=node_sg.id,
            referenced_security_group_id=node_sg.id,
            ip_protocol="-1",
            description="Node to node and pod to pod",
            opts=child,
        )
        for port, why in CONTROL_PLANE_TO_NODE_PORTS.items():
            self.allow_control_plane_to_nodes(f"{port}", port, why)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-cluster-from-nodes-443",
            security_group_id=self.cluster_security_group_id,
            referenced_security_group_id=node_sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="Nodes and pods to the Kubernetes API",
            opts=child,
        )
        for i, block in enumerate(args.internal_cidrs):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-node-to-vpc-{i}",
                security_group_id=node_sg.id,
                cidr_ipv4=block,
                ip_protocol="-1",
                description="Anything inside the VPC (data tier, endpoints, control plane)",
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-node-to-https",
            security_group_id=node_sg.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS out through the AZ's NAT gateway (registries, AWS APIs)",
            opts=child,
        )
        return node_sg

    def _access_entries(self) -> dict[str, list[pulumi.Resource]]:
        """Cluster-admin access entries: the deployer and the configured admins."""
        name, args = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        cluster = self.cluster
        admitted: dict[str, list[pulumi.Resource]] = {}
        for i, principal in enumerate(dict.fromkeys([args.deployer_arn, *args.admin_role_arns])):
            suffix = "deployer" if i == 0 else f"admin-{i}"
            entry = aws.eks.AccessEntry(
                f"{name}-access-{suffix}",
                cluster_name=cluster.name,
                principal_arn=principal,
                type="STANDARD",
                opts=child,
            )
            association = aws.eks.AccessPolicyAssociation(
                f"{name}-access-{suffix}-admin",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=(
                    f"arn:{args.partition}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}"
                ),
                access_scope={"type": "cluster"},
                opts=child,
            )
            admitted[principal] = [entry, association]
        return admitted

    def _pre_node_addons(self, node_sg: aws.ec2.SecurityGroup) -> list[pulumi.Resource]:
        """The add-ons the nodes need before they join, and the pods' ENIConfigs."""
        name, args, names = self._name, self._args, self._args.names
        child = pulumi.ResourceOptions(parent=self)
        agent = self._addon("eks-pod-identity-agent")
        self._addon("kube-proxy")
        cni_identity = WorkloadIdentity(
            f"{name}-vpc-cni",
            WorkloadIdentityArgs(
                names=names,
                cluster_name=self.cluster.name,
                namespace="kube-system",
                service_account="aws-node",
                managed_policy_arns=(f"arn:{args.partition}:iam::aws:policy/AmazonEKS_CNI_Policy",),
                associate=False,  # the add-on binds it (pod_identity_associations)
            ),
            opts=child,
        )
        vpc_cni = self._addon(
            "vpc-cni",
            configuration=vpc_cni_configuration(args.warm_prefix_target),
            identity=(cni_identity, "aws-node"),
            depends_on=[agent, cni_identity],
        )
        eni_configs: list[pulumi.Resource] = []
        for az, subnet_id in zip(args.availability_zones, args.pod_subnet_ids, strict=True):
            eni_configs.append(
                kubernetes.apiextensions.CustomResource(
                    f"{name}-eniconfig-{az}",
                    api_version=ENI_CONFIG_API_VERSION,
                    kind="ENIConfig",
                    metadata={"name": az},
                    spec=eni_config_spec(subnet_id, [node_sg.id]),
                    # the add-on installs the ENIConfig CRD
                    opts=pulumi.ResourceOptions(
                        parent=self, provider=self.provider, depends_on=[vpc_cni]
                    ),
                )
            )
        return [*self.addons.values(), *eni_configs]

    def _addon(
        self,
        addon: str,
        *,
        configuration: Mapping[str, object] | None = None,
        identity: tuple[WorkloadIdentity, str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> aws.eks.Addon:
        associations: list[aws.eks.AddonPodIdentityAssociationArgsDict] | None = None
        if identity is not None:
            role, service_account = identity
            associations = [{"role_arn": role.role.arn, "service_account": service_account}]
        resource = aws.eks.Addon(
            f"{self._name}-addon-{addon}",
            cluster_name=self.cluster.name,
            addon_name=addon,
            addon_version=self._args.addon_versions[addon],
            configuration_values=json.dumps(configuration) if configuration else None,
            pod_identity_associations=associations,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )
        self.addons[addon] = resource
        return resource

    def allow_control_plane_to_nodes(
        self, what: str, port: int, description: str
    ) -> aws.vpc.SecurityGroupIngressRule:
        """Let the API server reach nodes and pods on one TCP port (webhooks, kubelet, istiod)."""
        return aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-node-from-control-plane-{what}",
            security_group_id=self.node_security_group_id,
            referenced_security_group_id=self.cluster_security_group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"Control plane: {description}",
            opts=pulumi.ResourceOptions(parent=self),
        )
