"""Karpenter: the node autoscaler of every pool except `system`.

What it creates, in one region:
- the controller's IAM role through `WorkloadIdentity` (Pod Identity for karpenter/karpenter),
  with exactly the statements of Karpenter's reference CloudFormation policy (v1.14,
  website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml):
  every write scoped by the cluster tags Karpenter puts on what it creates
  (`kubernetes.io/cluster/<cluster>=owned`, `eks:eks-cluster-name`, `karpenter.sh/nodepool`),
  reads limited to the region, PassRole only for the node role, plus use of the compute key for
  the encrypted root volumes (only through EC2);
- the interruption queue (SQS, SSE-KMS with the region's streaming key, TLS only; EventBridge
  may send to it only from its own rules) and the five EventBridge rules Karpenter handles (spot
  interruption, rebalance recommendation, instance state change, AWS Health scheduled change,
  capacity reservation interruption);
- the `karpenter` namespace (Pod Security `restricted`) and the controller from its pinned chart:
  2 replicas on the `system` pool (toleration `CriticalAddonsOnly`; the chart's own affinity keeps
  it off Karpenter nodes), region and cluster endpoint given explicitly because pods cannot reach
  instance metadata (hop limit 1);
- per pool an `EC2NodeClass` (karpenter.k8s.aws/v1) and a `NodePool` (karpenter.sh/v1).

Example::

    karpenter = Karpenter("karpenter", KarpenterArgs(
        names=names, scope=AwsScope(account_id="123456789012", region="us-east-1"),
        cluster_name=cluster.name, cluster_endpoint=cluster.endpoint,
        node_role_arn=role.arn, node_role_name=role.name, compute_key_arn=key.arn,
        queue_key_arn=streaming_key.arn, security_group_ids=[cluster.node_security_group_id],
        chart=HELM_CHARTS["karpenter"], ami_alias="al2023@v20260714",
        pools=[KarpenterPool(name="general", subnet_ids=cluster.node_subnet_ids, ...)],
        kubernetes_provider=cluster.provider, tags={"meridian:cluster": "meridian-prod-use1-eks"}),
        opts=pulumi.ResourceOptions(parent=nodes, providers=[aws_provider, cluster.provider]))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.common.iam import deny_insecure_transport
from components.common.kubernetes import PinnedChart, default_deny_network_policy, pinned_release
from components.common.naming import Names
from components.common.scope import AwsScope
from components.kubernetes.addons import volume_key_statements
from components.kubernetes.workload_identity import WorkloadIdentity, WorkloadIdentityArgs
from components.mesh.aws_endpoints import POD_IDENTITY_AGENT_ADDRESS

NAMESPACE = "karpenter"
SERVICE_ACCOUNT = "karpenter"
NODEPOOL_API = "karpenter.sh/v1"
NODECLASS_API = "karpenter.k8s.aws/v1"

INTERRUPTION_EVENTS: Mapping[str, dict[str, list[str]]] = {
    "scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Spot Instance Interruption Warning"],
    },
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "instance-state-change": {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
    },
    "capacity-reservation-interruption": {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"],
    },
}
"""The EventBridge rules of Karpenter's reference template, by Meridian's name for them."""


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str = "NoSchedule"

    def to_k8s(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "effect": self.effect}


@dataclass(frozen=True)
class KarpenterPool:
    """One Karpenter pool: a NodePool and the EC2NodeClass it launches from."""

    name: str
    requirements: Sequence[Mapping[str, Any]]
    """NodePool requirements (well-known labels: arch, instance type/family, capacity type)."""
    max_nodes: int
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Taint] = ()
    root_volume_gib: int = 100
    consolidation_policy: str = "WhenEmptyOrUnderutilized"
    consolidate_after: str = "5m"
    expire_after: str = "720h"
    disruption_budget: str = "10%"
    network_interfaces: Sequence[Mapping[str, Any]] = ()
    """EC2NodeClass networkInterfaces (EFA for the training pool); empty: one ENA interface."""
    placement_group_name: pulumi.Input[str] | None = None
    """A placement group for every node of the pool (selected by name)."""
    capacity_reservation_id: str | None = None
    weight: int | None = None
    replicas: int | None = None
    """A static pool (NodePool `spec.replicas`, karpenter.sh/v1 in Karpenter 1.14's CRD, alpha
    behind the `staticCapacity` feature gate): Karpenter keeps exactly this many nodes whether or
    not pods ask for them. The floor under a pool that must never scale below a count."""

    def __post_init__(self) -> None:
        # karpenter.sh_nodepools.yaml (v1.14.1): "'weight' is not supported on static NodePools",
        # "only 'limits.nodes' is supported on static NodePools".
        if self.replicas is not None and (
            self.weight is not None or self.replicas > self.max_nodes
        ):
            raise ValueError(
                f"{self.name}: a static pool takes no weight and replicas <= max_nodes"
            )


@dataclass(frozen=True)
class KarpenterArgs:
    names: Names
    scope: AwsScope
    """The account, partition and region the controller and its nodes run in."""
    cluster_name: pulumi.Input[str]
    cluster_endpoint: pulumi.Input[str]
    node_role_arn: pulumi.Input[str]
    node_role_name: pulumi.Input[str]
    compute_key_arn: pulumi.Input[str]
    """The region's compute KMS key: root volumes are encrypted with it."""
    queue_key_arn: pulumi.Input[str]
    """The KMS key of the interruption queue (the region's streaming key)."""
    security_group_ids: Sequence[pulumi.Input[str]]
    chart: PinnedChart
    ami_alias: str
    """EC2NodeClass AMI alias, pinned (e.g. `al2023@v20260714`), never `@latest`."""
    pools: Sequence[KarpenterPool]
    kubernetes_provider: k8s.Provider
    """The cluster's Kubernetes provider: every Kubernetes object and release here uses it."""
    tags: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Tags for everything Karpenter creates (instances, volumes, ENIs, launch templates)."""
    replicas: int = 2
    reserved_enis: int = 0
    """`settings.reservedENIs`: 1 with VPC CNI custom networking (pods off the primary ENI)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """What the controller must wait for (the system pool: it runs there)."""

    def __post_init__(self) -> None:
        if self.ami_alias.endswith("@latest"):
            raise ValueError("pin the AMI alias to a release (al2023@v<date>), not @latest")
        names = [p.name for p in self.pools]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate Karpenter pool names: {names}")


@dataclass(frozen=True)
class _Controller:
    """What the controller's policies are written for, and the names their statements share."""

    cluster: str
    region: str
    account: str
    partition: str
    node_role_arn: str
    queue_arn: str
    compute_key_arn: str
    queue_key_arn: str

    @property
    def ec2(self) -> str:
        return f"arn:{self.partition}:ec2:{self.region}"

    @property
    def owned(self) -> dict[str, str]:
        return {f"aws:ResourceTag/kubernetes.io/cluster/{self.cluster}": "owned"}

    @property
    def request_owned(self) -> dict[str, str]:
        return {
            f"aws:RequestTag/kubernetes.io/cluster/{self.cluster}": "owned",
            "aws:RequestTag/eks:eks-cluster-name": self.cluster,
        }

    @property
    def instance_profiles(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:instance-profile/*"

    @property
    def region_tag(self) -> dict[str, str]:
        return {"aws:ResourceTag/topology.kubernetes.io/region": self.region}

    @property
    def request_region_tag(self) -> dict[str, str]:
        return {"aws:RequestTag/topology.kubernetes.io/region": self.region}


TAGGED_POOL = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
LAUNCHED_KINDS = (
    "fleet",
    "instance",
    "volume",
    "network-interface",
    "launch-template",
    "spot-instances-request",
)
"""What RunInstances/CreateFleet create and tag."""


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def controller_policies(
    *,
    cluster: str,
    region: str,
    account: str,
    partition: str,
    node_role_arn: str,
    queue_arn: str,
    compute_key_arn: str,
    queue_key_arn: str,
) -> dict[str, dict[str, Any]]:
    """The controller's IAM policies (name -> document), as Karpenter's reference template
    states them for `cluster`, plus use of the compute key through EC2 for root volumes. Each
    document is one function, one literal per statement in the template's order and with its
    Sids, so that it reads side by side with the template."""
    c = _Controller(
        cluster=cluster,
        region=region,
        account=account,
        partition=partition,
        node_role_arn=node_role_arn,
        queue_arn=queue_arn,
        compute_key_arn=compute_key_arn,
        queue_key_arn=queue_key_arn,
    )
    return {
        "node-lifecycle": _node_lifecycle(c),
        "iam-integration": _iam_integration(c),
        "eks-and-interruption": _eks_and_interruption(c),
        "resource-discovery": _resource_discovery(c),
    }


def _node_lifecycle(c: _Controller) -> dict[str, Any]:
    """Launching, tagging and terminating the cluster's nodes; the compute key for their volumes."""
    arn = c.ec2
    launched = [f"{arn}:*:{kind}/*" for kind in LAUNCHED_KINDS]
    return _document(
        {
            "Sid": "AllowScopedEC2InstanceAccessActions",
            "Effect": "Allow",
            "Resource": [
                f"{arn}::image/*",
                f"{arn}::snapshot/*",
                f"{arn}:*:security-group/*",
                f"{arn}:*:subnet/*",
                f"{arn}:*:capacity-reservation/*",
                f"{arn}:*:placement-group/*",
            ],
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
        },
        {
            "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
            "Effect": "Allow",
            "Resource": f"{arn}:*:launch-template/*",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Condition": {"StringEquals": c.owned, "StringLike": TAGGED_POOL},
        },
        {
            "Sid": "AllowScopedEC2InstanceActionsWithTags",
            "Effect": "Allow",
            "Resource": launched,
            "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            "Condition": {
                "StringEquals": c.request_owned,
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedResourceCreationTagging",
            "Effect": "Allow",
            "Resource": launched,
            "Action": "ec2:CreateTags",
            "Condition": {
                "StringEquals": {
                    **c.request_owned,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedResourceTagging",
            "Effect": "Allow",
            "Resource": f"{arn}:*:instance/*",
            "Action": "ec2:CreateTags",
            "Condition": {
                "StringEquals": c.owned,
                "StringLike": TAGGED_POOL,
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": c.cluster},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
        },
        {
            "Sid": "AllowScopedDeletion",
            "Effect": "Allow",
            "Resource": [f"{arn}:*:instance/*", f"{arn}:*:launch-template/*"],
            "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            "Condition": {"StringEquals": c.owned, "StringLike": TAGGED_POOL},
        },
        # Root volumes are encrypted with the compute key: launching them needs the key, only
        # through EC2 (key use and grants for AWS resources, in separate statements).
        *volume_key_statements(c.compute_key_arn, c.region),
    )


def _iam_integration(c: _Controller) -> dict[str, Any]:
    """Passing the node role and managing the node classes' instance profiles."""
    return _document(
        {
            "Sid": "AllowPassingInstanceRole",
            "Effect": "Allow",
            "Resource": c.node_role_arn,
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com"]}},
        },
        {
            "Sid": "AllowScopedInstanceProfileCreationActions",
            "Effect": "Allow",
            "Resource": c.instance_profiles,
            "Action": ["iam:CreateInstanceProfile"],
            "Condition": {
                "StringEquals": {**c.request_owned, **c.request_region_tag},
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileTagActions",
            "Effect": "Allow",
            "Resource": c.instance_profiles,
            "Action": ["iam:TagInstanceProfile"],
            "Condition": {
                "StringEquals": {
                    **c.owned,
                    **c.region_tag,
                    **c.request_owned,
                    **c.request_region_tag,
                },
                "StringLike": {
                    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                },
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileActions",
            "Effect": "Allow",
            "Resource": c.instance_profiles,
            "Action": [
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            "Condition": {
                "StringEquals": {**c.owned, **c.region_tag},
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
    )


def _eks_and_interruption(c: _Controller) -> dict[str, Any]:
    """Finding the API server; reading and deleting interruption messages."""
    return _document(
        {
            "Sid": "AllowAPIServerEndpointDiscovery",
            "Effect": "Allow",
            "Resource": f"arn:{c.partition}:eks:{c.region}:{c.account}:cluster/{c.cluster}",
            "Action": "eks:DescribeCluster",
        },
        {
            "Sid": "AllowInterruptionQueueActions",
            "Effect": "Allow",
            "Resource": c.queue_arn,
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
        },
        {
            "Sid": "AllowInterruptionQueueKeyThroughSqs",
            "Effect": "Allow",
            "Resource": c.queue_key_arn,
            "Action": "kms:Decrypt",
            "Condition": {"StringEquals": {"kms:ViaService": f"sqs.{c.region}.amazonaws.com"}},
        },
    )


def _resource_discovery(c: _Controller) -> dict[str, Any]:
    """The read-only lookups behind instance selection."""
    return _document(
        {
            "Sid": "AllowRegionalReadActions",
            "Effect": "Allow",
            "Resource": "*",
            "Action": [
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Condition": {"StringEquals": {"aws:RequestedRegion": c.region}},
        },
        {
            "Sid": "AllowSSMReadActions",
            "Effect": "Allow",
            "Resource": f"arn:{c.partition}:ssm:{c.region}::parameter/aws/service/*",
            "Action": "ssm:GetParameter",
        },
        {
            "Sid": "AllowPricingReadActions",
            "Effect": "Allow",
            "Resource": "*",
            "Action": "pricing:GetProducts",
        },
        {
            "Sid": "AllowUnscopedInstanceProfileListAction",
            "Effect": "Allow",
            "Resource": "*",
            "Action": "iam:ListInstanceProfiles",
        },
        {
            "Sid": "AllowInstanceProfileReadActions",
            "Effect": "Allow",
            "Resource": c.instance_profiles,
            "Action": "iam:GetInstanceProfile",
        },
    )


def queue_policy(queue_arn: str, rule_arns: Sequence[str]) -> dict[str, Any]:
    """EventBridge may send only from Karpenter's rules; nothing over plain HTTP."""
    return {
        "Version": "2012-10-17",
        "Id": "EC2InterruptionPolicy",
        "Statement": [
            {
                "Sid": "EventBridgeRulesOfThisCluster",
                "Effect": "Allow",
                "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
            },
            deny_insecure_transport("sqs:*", queue_arn, sid="DenyHTTP"),
        ],
    }


def controller_values(
    *,
    cluster_name: pulumi.Input[str],
    cluster_endpoint: pulumi.Input[str],
    queue_name: pulumi.Input[str],
    region: str,
    replicas: int,
    reserved_enis: int = 0,
    static_capacity: bool = False,
) -> dict[str, Any]:
    """Chart values (karpenter 1.14 charts/karpenter/values.yaml). Outputs stay nested, so a
    preview shows every value that does not wait for a resource to be created."""
    return {
        "replicas": replicas,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "settings": {
            "clusterName": cluster_name,
            "clusterEndpoint": cluster_endpoint,
            "interruptionQueue": queue_name,
            "reservedENIs": str(reserved_enis),
            # charts/karpenter/values.yaml (v1.14.1) settings.featureGates.staticCapacity: the
            # alpha gate of NodePool `replicas`; Helm merges it over the chart's other gates.
            **({"featureGates": {"staticCapacity": True}} if static_capacity else {}),
        },
        "controller": {
            # Pods cannot reach instance metadata (hop limit 1): the region comes from here.
            "env": [{"name": "AWS_REGION", "value": region}],
            "resources": {
                "requests": {"cpu": "1", "memory": "1Gi"},
                "limits": {"cpu": "1", "memory": "1Gi"},
            },
        },
        # On the system pool: it tolerates CriticalAddonsOnly; the chart's default affinity
        # (karpenter.sh/nodepool DoesNotExist) keeps it off the nodes it manages.
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
        "nodeSelector": {"kubernetes.io/os": "linux", "meridian.io/pool": "system"},
        "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
        "priorityClassName": "system-cluster-critical",
    }


class Karpenter(pulumi.ComponentResource):
    """Karpenter's controller, its IAM and interruption queue, and one NodePool per pool."""

    identity: WorkloadIdentity
    queue: aws.sqs.Queue
    release: k8s.helm.v3.Release
    node_classes: dict[str, k8s.apiextensions.CustomResource]
    node_pools: dict[str, k8s.apiextensions.CustomResource]

    def __init__(
        self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:kubernetes:Karpenter", name, None, opts)
        kube = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        self.queue = self._interruption_queue(name, args)
        self.identity, policies = self._controller_identity(name, args)
        self.release = self._release(name, args, kube, policies)
        self.node_classes = {}
        self.node_pools = {}
        self._pools(name, args, kube)
        self.register_outputs(
            {
                "roleArn": self.identity.role.arn,
                "interruptionQueueUrl": self.queue.url,
                "pools": [p.name for p in args.pools],
            }
        )

    def _interruption_queue(self, name: str, args: KarpenterArgs) -> aws.sqs.Queue:
        """The SQS queue of interruption events and the EventBridge rules that feed it."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        queue = aws.sqs.Queue(
            f"{name}-interruptions",
            name=names.physical("karpenter", max_length=80),
            message_retention_seconds=300,
            # SSE-KMS with the region's streaming key (its policy lets this region's EventBridge
            # rules encrypt; the controller decrypts through SQS).
            kms_master_key_id=args.queue_key_arn,
            kms_data_key_reuse_period_seconds=300,
            opts=child,
        )
        rules: list[aws.cloudwatch.EventRule] = []
        for event, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{event}",
                name=names.physical("karpenter", event, max_length=64),
                description=f"Karpenter interruption handling: {pattern['detail-type'][0]}",
                event_pattern=json.dumps(pattern),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{event}-target",
                rule=rule.name,
                target_id="KarpenterInterruptionQueueTarget",
                arn=queue.arn,
                opts=child,
            )
            rules.append(rule)
        aws.sqs.QueuePolicy(
            f"{name}-interruptions-policy",
            queue_url=queue.url,
            policy=pulumi.Output.all(queue.arn, *[r.arn for r in rules]).apply(
                lambda arns: json.dumps(queue_policy(arns[0], arns[1:]))
            ),
            opts=child,
        )
        return queue

    def _controller_identity(
        self, name: str, args: KarpenterArgs
    ) -> tuple[WorkloadIdentity, list[pulumi.Resource]]:
        """The controller's Pod Identity role and its policies (see `controller_policies`)."""
        identity = WorkloadIdentity(
            f"{name}-controller",
            WorkloadIdentityArgs(
                names=args.names,
                cluster_name=args.cluster_name,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        documents = pulumi.Output.all(
            args.cluster_name,
            args.node_role_arn,
            self.queue.arn,
            args.compute_key_arn,
            args.queue_key_arn,
        ).apply(
            lambda v: controller_policies(
                cluster=v[0],
                region=args.scope.region,
                account=args.scope.account_id,
                partition=args.scope.partition,
                node_role_arn=v[1],
                queue_arn=v[2],
                compute_key_arn=v[3],
                queue_key_arn=v[4],
            )
        )
        policies: list[pulumi.Resource] = []
        for what in (
            "node-lifecycle",
            "iam-integration",
            "eks-and-interruption",
            "resource-discovery",
        ):
            policies.append(
                aws.iam.RolePolicy(
                    f"{name}-{what}",
                    role=identity.role.id,
                    policy=documents.apply(
                        lambda d, w=what: json.dumps(d[w], separators=(",", ":"))
                    ),
                    opts=pulumi.ResourceOptions(parent=identity),
                )
            )
        return identity, policies

    def _release(
        self,
        name: str,
        args: KarpenterArgs,
        kube: pulumi.ResourceOptions,
        policies: Sequence[pulumi.Resource],
    ) -> k8s.helm.v3.Release:
        """The controller's namespace, its network policies and the chart's release."""
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=NAMESPACE,
                labels={
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "meridian.io/component": "karpenter",
                },
            ),
            opts=kube,
        )
        network_policies = self._network_policies(name, namespace, kube)
        return pinned_release(
            f"{name}-release",
            release="karpenter",
            chart=args.chart,
            namespace=NAMESPACE,
            values=controller_values(
                cluster_name=args.cluster_name,
                cluster_endpoint=args.cluster_endpoint,
                queue_name=self.queue.name,
                region=args.scope.region,
                replicas=args.replicas,
                reserved_enis=args.reserved_enis,
                static_capacity=any(p.replicas is not None for p in args.pools),
            ),
            opts=pulumi.ResourceOptions.merge(
                kube,
                pulumi.ResourceOptions(
                    depends_on=[
                        namespace,
                        *network_policies,
                        self.identity,
                        *policies,
                        *args.depends_on,
                    ]
                ),
            ),
        )

    def _pools(self, name: str, args: KarpenterArgs, kube: pulumi.ResourceOptions) -> None:
        """Per pool an EC2NodeClass and its NodePool, once the controller's CRDs exist."""
        after_release = pulumi.ResourceOptions.merge(
            kube, pulumi.ResourceOptions(depends_on=[self.release])
        )
        for pool in args.pools:
            node_class = k8s.apiextensions.CustomResource(
                f"{name}-{pool.name}-nodeclass",
                api_version=NODECLASS_API,
                kind="EC2NodeClass",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=pool.name),
                spec=self._node_class_spec(args, pool),
                opts=after_release,
            )
            node_pool = k8s.apiextensions.CustomResource(
                f"{name}-{pool.name}-nodepool",
                api_version=NODEPOOL_API,
                kind="NodePool",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=pool.name),
                spec=node_pool_spec(pool),
                opts=pulumi.ResourceOptions.merge(
                    kube, pulumi.ResourceOptions(depends_on=[self.release, node_class])
                ),
            )
            self.node_classes[pool.name] = node_class
            self.node_pools[pool.name] = node_pool

    @staticmethod
    def _network_policies(
        name: str, namespace: k8s.core.v1.Namespace, opts: pulumi.ResourceOptions
    ) -> list[k8s.networking.v1.NetworkPolicy]:
        """Default deny in the controller's namespace, then exactly what it needs: DNS, HTTPS out
        (the Kubernetes API and the AWS APIs it calls), the Pod Identity agent (its credentials),
        and its metrics and health ports in."""
        after_namespace = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=[namespace])
        )
        deny = default_deny_network_policy(f"{name}-default-deny", NAMESPACE, after_namespace)
        allow = k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-controller",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="karpenter-controller", namespace=NAMESPACE),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"app.kubernetes.io/name": "karpenter"}
                ),
                policy_types=["Ingress", "Egress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        ports=[
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=8080),
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=8081),
                        ]
                    )
                ],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels={"kubernetes.io/metadata.name": "kube-system"}
                                ),
                                pod_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels={"k8s-app": "kube-dns"}
                                ),
                            )
                        ],
                        ports=[
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="UDP", port=53),
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=53),
                        ],
                    ),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=443)]
                    ),
                    # its Pod Identity credentials, from the node's agent (link-local, HTTP 80)
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                ip_block=k8s.networking.v1.IPBlockArgs(
                                    cidr=f"{POD_IDENTITY_AGENT_ADDRESS}/32"
                                )
                            )
                        ],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=80)],
                    ),
                ],
            ),
            opts=after_namespace,
        )
        return [deny, allow]

    @staticmethod
    def _node_class_spec(args: KarpenterArgs, pool: KarpenterPool) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "role": args.node_role_name,
            "amiSelectorTerms": [{"alias": args.ami_alias}],
            "subnetSelectorTerms": pulumi.Output.from_input(pool.subnet_ids).apply(
                lambda ids: [{"id": i} for i in ids]
            ),
            "securityGroupSelectorTerms": [{"id": sg} for sg in args.security_group_ids],
            "associatePublicIPAddress": False,
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    # The AL2023 EKS AMIs' root device.
                    "deviceName": "/dev/xvda",
                    "rootVolume": True,
                    "ebs": {
                        "volumeSize": f"{pool.root_volume_gib}Gi",
                        "volumeType": "gp3",
                        "encrypted": True,
                        "kmsKeyID": args.compute_key_arn,
                        "deleteOnTermination": True,
                    },
                }
            ],
            "tags": {**args.tags, "meridian:pool": pool.name},
        }
        if pool.network_interfaces:
            spec["networkInterfaces"] = [dict(i) for i in pool.network_interfaces]
        if pool.placement_group_name is not None:
            spec["placementGroupSelector"] = {"name": pool.placement_group_name}
        if pool.capacity_reservation_id is not None:
            spec["capacityReservationSelectorTerms"] = [{"id": pool.capacity_reservation_id}]
        return spec


def node_pool_spec(pool: KarpenterPool) -> dict[str, Any]:
    """The NodePool (karpenter.sh/v1): requirements, labels, taints, limits, disruption."""
    template_spec: dict[str, Any] = {
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": pool.name},
        "requirements": [dict(r) for r in pool.requirements],
        "expireAfter": pool.expire_after,
    }
    if pool.taints:
        template_spec["taints"] = [t.to_k8s() for t in pool.taints]
    spec: dict[str, Any] = {
        "template": {
            "metadata": {"labels": {"meridian.io/pool": pool.name, **pool.labels}},
            "spec": template_spec,
        },
        # Karpenter keeps no node count; only its ceiling is declared, so nothing here is a
        # number the next `pulumi up` could fight over.
        "limits": {"nodes": str(pool.max_nodes)},
        "disruption": {
            "consolidationPolicy": pool.consolidation_policy,
            "consolidateAfter": pool.consolidate_after,
            "budgets": [{"nodes": pool.disruption_budget}],
        },
    }
    if pool.weight is not None:
        spec["weight"] = pool.weight
    if pool.replicas is not None:
        # The CRD ignores consolidationPolicy/consolidateAfter on a static pool (and requires
        # consolidateAfter in `disruption`); the budget still paces drift replacement.
        spec["replicas"] = pool.replicas
    return spec
