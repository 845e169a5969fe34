"""WorkloadIdentity: an IAM role that exactly one Kubernetes service account assumes, through EKS
Pod Identity, with no permissions beyond the statements granted to it.

Example::

    identity = WorkloadIdentity(
        "ebs-csi",
        WorkloadIdentityArgs(names=names, cluster_name=cluster.name,
                             namespace="kube-system", service_account="ebs-csi-controller-sa"),
        opts=pulumi.ResourceOptions(parent=self),
    )
    identity.grant("volumes", [statement(["ec2:CreateVolume"], "*")])  # components.common.iam
    keys.grant_use(KeyClass.COMPUTE, identity.role.arn, "ebs-csi-compute-key")

Pod Identity (not IRSA) because the trust policy names one service principal and the association
names the namespace and service account: no OIDC condition strings to get wrong, and the role can
be reused across clusters without editing its trust policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.iam import policy_document, service_trust_policy
from components.common.naming import Names

POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


def pod_identity_trust_policy() -> pulumi.Output[str]:
    """EKS Pod Identity assumes the role and tags the session with the pod's attributes."""
    return service_trust_policy(POD_IDENTITY_PRINCIPAL, action=["sts:AssumeRole", "sts:TagSession"])


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    names: Names
    cluster_name: pulumi.Input[str]
    namespace: str
    service_account: str
    managed_policy_arns: Sequence[str] = ()
    """AWS-managed policies, only where AWS publishes the least-privilege policy for an add-on
    (e.g. AmazonEBSCSIDriverPolicy); everything else is granted statement by statement."""
    associate: bool = True
    """False when an EKS managed add-on binds the role to its service account itself (the add-on's
    `pod_identity_associations`): EKS allows one association per service account."""


class WorkloadIdentity(pulumi.ComponentResource):
    """The IAM role of one Kubernetes service account, bound through a Pod Identity association."""

    role: aws.iam.Role
    association: aws.eks.PodIdentityAssociation | None

    def __init__(
        self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:kubernetes:WorkloadIdentity", name, None, opts)
        self._name = name
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.names.physical("pod", name, max_length=64),
            description=(
                f"Pod Identity of {args.namespace}/{args.service_account} "
                f"({args.names.environment} {args.names.region})"
            ),
            assume_role_policy=pod_identity_trust_policy(),
            max_session_duration=3600,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for i, policy_arn in enumerate(args.managed_policy_arns):
            aws.iam.RolePolicyAttachment(
                f"{name}-managed-{i}",
                role=self.role.name,
                policy_arn=policy_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.association = None
        if args.associate:
            self.association = aws.eks.PodIdentityAssociation(
                f"{name}-association",
                cluster_name=args.cluster_name,
                namespace=args.namespace,
                service_account=args.service_account,
                role_arn=self.role.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"roleArn": self.role.arn})

    def grant(self, what: str, statements: Sequence[dict[str, Any]]) -> aws.iam.RolePolicy:
        """Allow exactly `statements` (built with `statement`), as one inline policy `what`."""
        return aws.iam.RolePolicy(
            f"{self._name}-{what}",
            role=self.role.id,
            policy=policy_document(statements),
            opts=pulumi.ResourceOptions(parent=self),
        )
