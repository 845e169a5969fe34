"""ClusterAddons: the EKS managed add-ons that need nodes to run on (coredns, aws-ebs-csi-driver).

Ordering (what users of EKS trip over): vpc-cni, kube-proxy and the Pod Identity agent come with
the cluster, before any node (`EksCluster.pre_node_ready`); these come after the `system` node
group exists, because their pods are Deployments that an add-on waits on until they are healthy:
created on a node-less cluster they time out as DEGRADED. Both tolerate the `system` pool's
`CriticalAddonsOnly` taint, so they land there.

The EBS CSI controller gets its own role: AWS's AmazonEBSCSIDriverPolicy (the published
least-privilege policy for the driver) plus use of the compute key through EC2 only, so volumes it
creates are encrypted with the region's compute key (the account's EBS default key).

Example::

    addons = ClusterAddons("addons", ClusterAddonsArgs(
        cluster=cluster, after=[nodes.system_pool], names=names, partition="aws",
        region="us-east-1", versions={"coredns": "v1.13.2-eksbuild.3",
                                      "aws-ebs-csi-driver": "v1.57.1-eksbuild.1"},
        volume_key_arn=keys.arn(KeyClass.COMPUTE)), opts=in_region)
    ServiceMesh(..., ServiceMeshArgs(after=addons.ready, ...))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.iam import statement
from components.common.naming import Names
from components.foundation.keyring import KEY_GRANT_ACTIONS, KEY_USE_ACTIONS
from components.kubernetes.cluster import EksCluster
from components.kubernetes.workload_identity import WorkloadIdentity, WorkloadIdentityArgs

POST_NODE_ADDONS: tuple[str, ...] = ("coredns", "aws-ebs-csi-driver")
CRITICAL_ADDONS_TOLERATION: dict[str, str] = {"key": "CriticalAddonsOnly", "operator": "Exists"}

EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"


def volume_key_statements(key_arn: pulumi.Input[str], region: str) -> list[dict[str, Any]]:
    """What a caller needs to create and attach EBS volumes encrypted with `key_arn` (the EBS
    user guide's "Permissions for users"): key use, and grants for AWS resources, both only
    through EC2 in `region`.

    Two statements, because `kms:GrantIsForAWSResource` exists only on the grant operations
    (CreateGrant, ListGrants, RevokeGrant; AWS KMS condition keys reference): on one statement with
    Decrypt or GenerateDataKey* it would deny them, and no encrypted volume could be created."""
    via_ec2 = {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}}
    return [
        statement(KEY_USE_ACTIONS, key_arn, sid="UseThroughEc2", condition=via_ec2),
        statement(
            KEY_GRANT_ACTIONS,
            key_arn,
            sid="GrantsForVolumes",
            condition={**via_ec2, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


def grant_ebs_volume_key(
    identity: WorkloadIdentity, key_arn: pulumi.Input[str], region: str
) -> aws.iam.RolePolicy:
    """Let a workload create and attach EBS volumes encrypted with `key_arn`."""
    return identity.grant("volume-key", volume_key_statements(key_arn, region))


@dataclass(frozen=True)
class ClusterAddonsArgs:
    cluster: EksCluster
    after: Sequence[pulumi.Resource]
    """What must exist first: the `system` node group."""
    names: Names
    partition: str
    region: str
    versions: Mapping[str, str]
    """Versions of POST_NODE_ADDONS, from the version table."""
    volume_key_arn: pulumi.Input[str]
    coredns_replicas: int = 3

    def __post_init__(self) -> None:
        missing = [a for a in POST_NODE_ADDONS if a not in self.versions]
        if missing:
            raise ValueError(f"no version for add-ons {', '.join(missing)}")
        if self.coredns_replicas < 2:
            raise ValueError("coredns needs at least 2 replicas")


class ClusterAddons(pulumi.ComponentResource):
    """coredns and the EBS CSI driver, after the system nodes."""

    addons: dict[str, aws.eks.Addon]
    ready: list[pulumi.Resource]
    """Everything later layers (mesh, tenants, telemetry) should wait for."""

    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:kubernetes:ClusterAddons", name, None, opts)
        cluster = args.cluster
        after = [*args.after, *cluster.pre_node_ready]

        ebs_identity = WorkloadIdentity(
            f"{name}-ebs-csi",
            WorkloadIdentityArgs(
                names=args.names,
                cluster_name=cluster.name,
                namespace="kube-system",
                service_account=EBS_CSI_SERVICE_ACCOUNT,
                managed_policy_arns=(
                    f"arn:{args.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
                ),
                associate=False,  # the add-on binds it (pod_identity_associations)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        key_grant = grant_ebs_volume_key(ebs_identity, args.volume_key_arn, args.region)

        configurations: dict[str, dict[str, Any]] = {
            "coredns": {
                "replicaCount": args.coredns_replicas,
                "tolerations": [CRITICAL_ADDONS_TOLERATION],
            },
            "aws-ebs-csi-driver": {
                "controller": {"tolerations": [CRITICAL_ADDONS_TOLERATION]},
            },
        }
        associations: dict[str, list[aws.eks.AddonPodIdentityAssociationArgsDict]] = {
            "aws-ebs-csi-driver": [
                {"role_arn": ebs_identity.role.arn, "service_account": EBS_CSI_SERVICE_ACCOUNT}
            ],
        }
        extra_dependencies: dict[str, list[pulumi.Resource]] = {
            "coredns": [],
            "aws-ebs-csi-driver": [ebs_identity, key_grant],
        }
        self.addons = {}
        for addon in POST_NODE_ADDONS:
            self.addons[addon] = aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=cluster.name,
                addon_name=addon,
                addon_version=args.versions[addon],
                configuration_values=json.dumps(configurations[addon]),
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                pod_identity_associations=associations.get(addon),
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[*after, *extra_dependencies[addon]]
                ),
            )
        self.ready = [*cluster.pre_node_ready, *self.addons.values()]
        self.register_outputs(
            {
                "addons": {k: v.arn for k, v in self.addons.items()},
                "ebsCsiRoleArn": ebs_identity.role.arn,
            }
        )
