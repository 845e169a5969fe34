"""NodePools: the nodes of one EKS cluster.

- One node IAM role for every node (AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryPullOnly,
  AmazonSSMManagedInstanceCore). No AmazonEKS_CNI_Policy: the vpc-cni add-on has its own Pod
  Identity role, so no pod on the node can borrow ENI permissions. Its EKS access entry has type
  EC2_LINUX (nodes join through the access API; there is no aws-auth ConfigMap).
- `system`: a managed node group on an explicit launch template, tainted
  `CriticalAddonsOnly=true:NoSchedule`, spread over the node subnets. The add-ons, Karpenter and
  the mesh control plane run here.
- `general` (Graviton), `gpu-inference`, `gpu-training`: Karpenter pools, one `EC2NodeClass` and
  one `NodePool` each (components/kubernetes/karpenter.py). Karpenter 1.14 EC2NodeClasses support
  EFA interfaces (`networkInterfaces`, `efa-only`), placement groups (`placementGroupSelector`) and
  capacity reservations, so the training pool is a Karpenter pool too: it idles at zero nodes,
  scales to `maxSize`, and has no node count for `pulumi up` to fight over.
- `gpu-inference-floor`: a NodePool has a ceiling (`limits.nodes`) but no floor, so the inference
  minimum is a static pool of `minSize` nodes (NodePool `replicas`, Karpenter's alpha
  `staticCapacity` gate, switched on in the chart values when a pool uses it); `gpu-inference`
  scales the remaining `maxSize - minSize`.
- `gpu-training-spot`: the training cluster's spot share (`spot_nodes` of `maxSize`), weighted
  ahead of the on-demand `gpu-training` pool.

Every node, launch template and EC2NodeClass alike:
- IMDSv2 required, hop limit 1: pods cannot reach instance metadata (so cannot take the node
  role). No add-on Meridian runs needs hop limit 2: every AWS-calling pod has Pod Identity
  (served by the agent at 169.254.170.23, not IMDS), vpc-cni and the Pod Identity agent run in the
  host network namespace (hop limit 1 reaches them), and Karpenter gets its region and cluster
  endpoint from its values.
- The root volume declared explicitly (/dev/xvda, the AL2023 EKS AMIs' root device): gp3,
  encrypted with the region's compute key.
- No SSH key, no public IP address, the cluster's node security group.
- The AMI chosen explicitly: the EKS-optimized Amazon Linux 2023 release pinned in
  stacks/versions.py: `ami_type` + `release_version` on the managed node group (EKS picks the
  image of exactly that release and writes its nodeadm bootstrap), the alias
  `al2023@v<release>` on the EC2NodeClasses (standard or NVIDIA image of that same release per
  instance type). Nothing resolves "latest" at deploy time.

Example::

    nodes = NodePools("nodes", NodePoolsArgs(
        names=names, cluster=cluster, keys=keys,
        scope=AwsScope(account_id=account_id, region="us-east-1"),
        ami_release_version="1.35.6-20260714", ami_alias="al2023@v20260714",
        karpenter_chart=HELM_CHARTS["karpenter"],
        device_plugin_chart=HELM_CHARTS["nvidia-device-plugin"],
        system=SystemPool(["m7i.2xlarge", "m6i.2xlarge"], min_size=6, max_size=60),
        general=GeneralPool(["m7g", "c7g", "r7g"], ["on-demand"], max_nodes=200),
        gpu_inference=GpuInferencePool("g6e.12xlarge", min_size=8, max_size=40),
        gpu_training=GpuTrainingPool("p5en.48xlarge", 0, 32, availability_zone="us-east-1a",
                                     subnet_index=0, spot_nodes=19),
        tags=settings.tags()), opts=pulumi.ResourceOptions(provider=aws_provider))
    nodes.system_pool   # the managed node group add-ons wait for
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.common.iam import service_trust_policy
from components.common.kubernetes import PinnedChart
from components.common.naming import Names
from components.common.scope import AwsScope
from components.foundation.keyring import KeyClass, KeyRing
from components.kubernetes.gpu import (
    GPU_TAINT_KEY,
    POOL_LABEL,
    NvidiaDevicePlugin,
    NvidiaDevicePluginArgs,
    efa_network_interfaces,
    gpu_node_labels,
)
from components.kubernetes.karpenter import Karpenter, KarpenterArgs, KarpenterPool, Taint

SYSTEM = "system"
GENERAL = "general"
GPU_INFERENCE = "gpu-inference"
GPU_TRAINING = "gpu-training"
GPU_INFERENCE_FLOOR = f"{GPU_INFERENCE}-floor"
"""The static pool holding the inference pool's minimum (Karpenter NodePool `replicas`)."""
GPU_TRAINING_SPOT = f"{GPU_TRAINING}-spot"
"""The training pool's spot share."""

NODE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
"""AWS-managed policies of the node role (no AmazonEKS_CNI_Policy: vpc-cni has its own role)."""

ROOT_DEVICE = "/dev/xvda"
"""Root device name of the EKS-optimized Amazon Linux 2023 AMIs."""
IMDS_HOP_LIMIT = 1
CRITICAL_ADDONS_TAINT = Taint("CriticalAddonsOnly", "true")
GPU_TAINT = Taint(GPU_TAINT_KEY, "true")


class ClusterForNodes(Protocol):
    """What NodePools reads from the cluster (components/kubernetes/cluster.py's EksCluster)."""

    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    version: str
    node_security_group_id: pulumi.Output[str]
    node_subnet_ids: pulumi.Output[list[str]]
    provider: k8s.Provider
    pre_node_ready: list[pulumi.Resource]


@dataclass(frozen=True)
class SystemPool:
    instance_types: Sequence[str]
    min_size: int
    max_size: int
    max_unavailable: int = 1
    root_volume_gib: int = 100

    def __post_init__(self) -> None:
        _check_sizes(SYSTEM, self.min_size, self.max_size)
        if not self.instance_types:
            raise ValueError("the system pool needs at least one instance type")


@dataclass(frozen=True)
class GeneralPool:
    instance_families: Sequence[str]
    capacity_types: Sequence[str]
    max_nodes: int


@dataclass(frozen=True)
class GpuInferencePool:
    instance_type: str
    min_size: int
    max_size: int

    def __post_init__(self) -> None:
        _check_sizes(GPU_INFERENCE, self.min_size, self.max_size)


@dataclass(frozen=True)
class GpuTrainingPool:
    instance_type: str
    min_size: int
    max_size: int
    availability_zone: str
    """The one AZ of the pool (its cluster placement group lives there)."""
    subnet_index: int
    """Index into the cluster's node subnets of that AZ's subnet."""
    capacity_reservation_id: str | None = None
    spot_nodes: int = 0
    """Of `max_size`, how many nodes run on spot (a pool of their own); the rest on demand."""

    def __post_init__(self) -> None:
        _check_sizes(GPU_TRAINING, self.min_size, self.max_size)
        if not 0 <= self.spot_nodes <= self.max_size:
            raise ValueError(f"{GPU_TRAINING}: need 0 <= spot_nodes <= max_size")


def _check_sizes(pool: str, min_size: int, max_size: int) -> None:
    if not 0 <= min_size <= max_size or max_size < 1:
        raise ValueError(f"{pool}: need 0 <= min_size <= max_size and max_size >= 1")


@dataclass(frozen=True)
class NodePoolsArgs:
    names: Names
    cluster: ClusterForNodes
    keys: KeyRing
    scope: AwsScope
    """The account, partition and region the node groups and Karpenter run in."""
    ami_release_version: str
    """Managed node group AMI release, e.g. 1.35.6-20260714 (stacks/versions.py)."""
    ami_alias: str
    """Karpenter AMI alias of the same release, e.g. al2023@v20260714."""
    karpenter_chart: PinnedChart
    device_plugin_chart: PinnedChart
    system: SystemPool
    general: GeneralPool | None = None
    gpu_inference: GpuInferencePool | None = None
    gpu_training: GpuTrainingPool | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    """The stack's tags, put on what controllers create (instances, volumes, ENIs)."""
    reserved_enis: int = 1
    """ENIs Karpenter leaves out of its pod-density math: 1 with VPC CNI custom networking (the
    primary ENI carries no pods), 0 without."""

    def __post_init__(self) -> None:
        if not self.ami_release_version.startswith(f"{self.cluster.version}."):
            raise ValueError(
                f"AMI release {self.ami_release_version} is not for Kubernetes "
                f"{self.cluster.version}"
            )


def system_ami_type(instance_types: Sequence[str]) -> str:
    """The EKS AL2023 AMI type for the system pool's instance types (one architecture)."""
    arm = {bool(re.fullmatch(r"[a-z]+[0-9]+g[a-z]*", t.split(".")[0])) for t in instance_types}
    if len(arm) != 1:
        raise ValueError(f"system instance types mix arm64 and x86_64: {list(instance_types)}")
    return "AL2023_ARM_64_STANDARD" if arm.pop() else "AL2023_x86_64_STANDARD"


def node_trust_policy() -> pulumi.Output[str]:
    """The nodes' EC2 instances assume the node role."""
    return service_trust_policy("ec2.amazonaws.com")


class NodePools(pulumi.ComponentResource):
    """The node role, the `system` managed node group, Karpenter and its pools, GPU plugin."""

    node_role: aws.iam.Role
    access_entry: aws.eks.AccessEntry
    system_launch_template: aws.ec2.LaunchTemplate
    system_pool: aws.eks.NodeGroup
    karpenter: Karpenter
    placement_group: aws.ec2.PlacementGroup | None
    device_plugin: NvidiaDevicePlugin | None
    summary: dict[str, dict[str, Any]]
    """Per pool: instanceTypes, minSize, maxSize (the `nodePools` stack output)."""
    gpu_instance_types: dict[str, str]
    """GPU pool -> the instance type it runs (the `gpuInstanceTypes` stack output)."""

    def __init__(
        self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:kubernetes:NodePools", name, None, opts)
        admission = self._node_role(name, args)
        self._system_pool(name, args, admission)
        self.summary = {
            SYSTEM: {
                "instanceTypes": list(args.system.instance_types),
                "minSize": args.system.min_size,
                "maxSize": args.system.max_size,
            }
        }
        self.gpu_instance_types = {}
        self.placement_group = None
        pools = [
            *self._general_pool(args),
            *self._inference_pools(args),
            *self._training_pools(name, args),
        ]
        self.karpenter = self._karpenter(name, args, pools)
        self.device_plugin = self._device_plugin(name, args)
        self.register_outputs(
            {
                "nodeRoleArn": self.node_role.arn,
                "systemPool": self.system_pool.node_group_name,
                "nodePools": self.summary,
                "gpuInstanceTypes": self.gpu_instance_types,
            }
        )

    def _node_role(self, name: str, args: NodePoolsArgs) -> list[pulumi.Resource]:
        """The role of every node and what admits it (access entry, policies, the compute key's
        grant to EC2 Auto Scaling); returns what a node must wait for."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        self.node_role = aws.iam.Role(
            f"{name}-node-role",
            name=names.physical("eks-node", max_length=64),
            description=f"Every EKS node of {names.prefix} (managed node groups and Karpenter)",
            assume_role_policy=node_trust_policy(),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=self.node_role.name,
                policy_arn=f"arn:{args.scope.partition}:iam::aws:policy/{policy}",
                opts=child,
            )
            for policy in NODE_POLICIES
        ]
        self.access_entry = aws.eks.AccessEntry(
            f"{name}-node-access",
            cluster_name=args.cluster.name,
            principal_arn=self.node_role.arn,
            type="EC2_LINUX",
            opts=child,
        )
        # Managed node groups launch through EC2 Auto Scaling, whose service-linked role needs
        # the compute key to create the encrypted root volumes (KMS grant, not a wider policy).
        asg_grant = args.keys.grant_use(
            KeyClass.COMPUTE,
            f"arn:{args.scope.partition}:iam::{args.scope.account_id}:role/aws-service-role/"
            "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
            f"{name}-autoscaling-compute-key",
        )
        return [self.access_entry, *attachments, asg_grant]

    def _system_pool(
        self, name: str, args: NodePoolsArgs, admission: Sequence[pulumi.Resource]
    ) -> None:
        """The system pool: a managed node group on an explicit launch template."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        cluster = args.cluster
        compute_key_arn = args.keys.arn(KeyClass.COMPUTE)
        system = args.system
        self.system_launch_template = aws.ec2.LaunchTemplate(
            f"{name}-system-lt",
            name=names.physical("eks", SYSTEM, max_length=128),
            description=f"EKS {SYSTEM} nodes of {names.prefix}",
            update_default_version=True,
            block_device_mappings=[root_volume(system.root_volume_gib, compute_key_arn)],
            metadata_options=metadata_options(),
            network_interfaces=[
                {
                    "device_index": 0,
                    "associate_public_ip_address": "false",
                    "delete_on_termination": "true",
                    "security_groups": [cluster.node_security_group_id],
                }
            ],
            monitoring={"enabled": True},
            tag_specifications=[
                {"resource_type": kind, "tags": {**args.tags, "meridian:pool": SYSTEM}}
                for kind in ("instance", "volume", "network-interface")
            ],
            opts=child,
        )
        self.system_pool = aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=cluster.name,
            node_group_name=names.physical(SYSTEM, max_length=63),
            node_role_arn=self.node_role.arn,
            subnet_ids=cluster.node_subnet_ids,
            version=cluster.version,
            ami_type=system_ami_type(system.instance_types),
            release_version=args.ami_release_version,
            capacity_type="ON_DEMAND",
            instance_types=list(system.instance_types),
            launch_template={
                "id": self.system_launch_template.id,
                "version": self.system_launch_template.latest_version.apply(str),
            },
            scaling_config={
                "min_size": system.min_size,
                "max_size": system.max_size,
                "desired_size": system.min_size,
            },
            update_config={"max_unavailable": system.max_unavailable},
            taints=[
                {
                    "key": CRITICAL_ADDONS_TAINT.key,
                    "value": CRITICAL_ADDONS_TAINT.value,
                    "effect": "NO_SCHEDULE",
                }
            ],
            labels={POOL_LABEL: SYSTEM},
            node_repair_config={"enabled": True},
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*admission, *cluster.pre_node_ready],
                # An autoscaler (or an operator) owns the current size; `up` only sets bounds.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

    def _general_pool(self, args: NodePoolsArgs) -> list[KarpenterPool]:
        """The general-purpose Karpenter pool (Graviton), if the region has one."""
        if args.general is None:
            return []
        general = args.general
        self.summary[GENERAL] = {
            "instanceTypes": [f"{f}.*" for f in general.instance_families],
            "minSize": 0,
            "maxSize": general.max_nodes,
        }
        return [
            KarpenterPool(
                name=GENERAL,
                requirements=[
                    _req("kubernetes.io/arch", ["arm64"]),
                    _req("kubernetes.io/os", ["linux"]),
                    _req("karpenter.sh/capacity-type", general.capacity_types),
                    _req("karpenter.k8s.aws/instance-family", general.instance_families),
                ],
                max_nodes=general.max_nodes,
                subnet_ids=args.cluster.node_subnet_ids,
            )
        ]

    def _inference_pools(self, args: NodePoolsArgs) -> list[KarpenterPool]:
        """The GPU inference pools: a static floor and the scaling rest, if the region has GPUs
        for inference."""
        if args.gpu_inference is None:
            return []
        pools: list[KarpenterPool] = []
        cluster = args.cluster
        inference = args.gpu_inference
        inference_pool = KarpenterPool(
            name=GPU_INFERENCE,
            requirements=[
                _req("node.kubernetes.io/instance-type", [inference.instance_type]),
                _req("karpenter.sh/capacity-type", ["on-demand"]),
                _req("kubernetes.io/os", ["linux"]),
            ],
            max_nodes=inference.max_size - inference.min_size,
            subnet_ids=cluster.node_subnet_ids,
            labels=gpu_node_labels(GPU_INFERENCE, inference.instance_type),
            taints=[GPU_TAINT],
            root_volume_gib=200,
            # Serving replicas are expensive to move: only empty nodes are removed.
            consolidation_policy="WhenEmpty",
            consolidate_after="10m",
        )
        # A NodePool has a ceiling but no floor: the floor is a static pool of `min_size`
        # nodes (same labels and taint, so serving pods land on either), and the scaling
        # pool holds the rest up to `max_size`.
        if inference.min_size > 0:
            pools.append(
                replace(
                    inference_pool,
                    name=GPU_INFERENCE_FLOOR,
                    max_nodes=inference.min_size,
                    replicas=inference.min_size,
                )
            )
        if inference_pool.max_nodes > 0:
            pools.append(inference_pool)
        self.summary[GPU_INFERENCE] = {
            "instanceTypes": [inference.instance_type],
            "minSize": inference.min_size,
            "maxSize": inference.max_size,
        }
        self.gpu_instance_types[GPU_INFERENCE] = inference.instance_type
        return pools

    def _training_pools(self, name: str, args: NodePoolsArgs) -> list[KarpenterPool]:
        """The GPU training pools (EFA, one zone, a cluster placement group; on-demand or
        reserved, plus a spot share), if the region trains."""
        if args.gpu_training is None:
            return []
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        cluster = args.cluster
        pools: list[KarpenterPool] = []
        training = args.gpu_training
        self.placement_group = aws.ec2.PlacementGroup(
            f"{name}-training-pg",
            name=names.physical("eks", GPU_TRAINING, max_length=255),
            strategy="cluster",
            opts=child,
        )
        # EFA traffic (SRD) is matched by security group reference, not by address: the node
        # group must allow all traffic out to itself (ingress from itself is the cluster's).
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-efa-to-nodes",
            security_group_id=cluster.node_security_group_id,
            referenced_security_group_id=cluster.node_security_group_id,
            ip_protocol="-1",
            description="EFA: all traffic to the node security group itself",
            opts=child,
        )
        requirements = [
            _req("node.kubernetes.io/instance-type", [training.instance_type]),
            _req(
                "karpenter.sh/capacity-type",
                ["reserved", "on-demand"] if training.capacity_reservation_id else ["on-demand"],
            ),
            _req("topology.kubernetes.io/zone", [training.availability_zone]),
            _req("kubernetes.io/os", ["linux"]),
        ]
        index = training.subnet_index
        training_pool = KarpenterPool(
            name=GPU_TRAINING,
            requirements=requirements,
            max_nodes=training.max_size - training.spot_nodes,
            subnet_ids=cluster.node_subnet_ids.apply(lambda ids: [ids[index]]),
            labels={
                **gpu_node_labels(GPU_TRAINING, training.instance_type),
                "meridian.io/efa": "true",
            },
            # Exclusive: only training jobs (which tolerate both) land here.
            taints=[GPU_TAINT, Taint(POOL_LABEL, GPU_TRAINING)],
            root_volume_gib=500,
            consolidation_policy="WhenEmpty",
            consolidate_after="30m",
            # Never recycle a node under a running job; drift replaces empty nodes.
            expire_after="Never",
            network_interfaces=efa_network_interfaces(training.instance_type),
            placement_group_name=self.placement_group.name,
            capacity_reservation_id=training.capacity_reservation_id,
        )
        if training_pool.max_nodes > 0:
            pools.append(training_pool)
        if training.spot_nodes > 0:
            # The spot share of the cluster (jobs checkpoint, so a reclaimed node costs at
            # most one checkpoint interval); weighted first, on-demand takes the rest.
            spot_requirements = [
                _req("karpenter.sh/capacity-type", ["spot"])
                if r["key"] == "karpenter.sh/capacity-type"
                else r
                for r in requirements
            ]
            pools.append(
                replace(
                    training_pool,
                    name=GPU_TRAINING_SPOT,
                    requirements=spot_requirements,
                    max_nodes=training.spot_nodes,
                    capacity_reservation_id=None,
                    weight=10,
                )
            )
        self.summary[GPU_TRAINING] = {
            "instanceTypes": [training.instance_type],
            "minSize": training.min_size,
            "maxSize": training.max_size,
            "spotMaxSize": training.spot_nodes,
        }
        self.gpu_instance_types[GPU_TRAINING] = training.instance_type
        return pools

    def _karpenter(self, name: str, args: NodePoolsArgs, pools: list[KarpenterPool]) -> Karpenter:
        """Karpenter's controller and its pools, once the system pool (where it runs) is up."""
        cluster = args.cluster
        controller_tags: dict[str, pulumi.Input[str]] = {
            **args.tags,
            "meridian:cluster": cluster.name,
            "karpenter.sh/discovery": cluster.name,
        }
        return Karpenter(
            f"{name}-karpenter",
            KarpenterArgs(
                names=args.names,
                scope=args.scope,
                cluster_name=cluster.name,
                cluster_endpoint=cluster.endpoint,
                node_role_arn=self.node_role.arn,
                node_role_name=self.node_role.name,
                compute_key_arn=args.keys.arn(KeyClass.COMPUTE),
                queue_key_arn=args.keys.arn(KeyClass.STREAMING),
                security_group_ids=[cluster.node_security_group_id],
                chart=args.karpenter_chart,
                ami_alias=args.ami_alias,
                pools=pools,
                kubernetes_provider=cluster.provider,
                tags=controller_tags,
                reserved_enis=args.reserved_enis,
                depends_on=[self.system_pool],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _device_plugin(self, name: str, args: NodePoolsArgs) -> NvidiaDevicePlugin | None:
        """NVIDIA's device plugin on the GPU pools, if there are any."""
        gpu_pools = list(self.gpu_instance_types)
        if not gpu_pools:
            return None
        return NvidiaDevicePlugin(
            f"{name}-nvidia-device-plugin",
            NvidiaDevicePluginArgs(chart=args.device_plugin_chart, gpu_pools=gpu_pools),
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.cluster.provider, depends_on=[self.system_pool]
            ),
        )


def root_volume(
    size_gib: int, kms_key_arn: pulumi.Input[str]
) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgsDict:
    """The launch template's explicit root volume: gp3, encrypted with `kms_key_arn`."""
    return {
        "device_name": ROOT_DEVICE,
        "ebs": {
            "volume_size": size_gib,
            "volume_type": "gp3",
            "encrypted": "true",
            "kms_key_id": kms_key_arn,
            "delete_on_termination": "true",
        },
    }


def metadata_options() -> aws.ec2.LaunchTemplateMetadataOptionsArgsDict:
    return {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": IMDS_HOP_LIMIT,
        "instance_metadata_tags": "disabled",
    }


def _req(key: str, values: Sequence[str]) -> dict[str, Any]:
    return {"key": key, "operator": "In", "values": list(values)}
