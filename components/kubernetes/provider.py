"""The Kubernetes provider of one EKS cluster, built from the cluster's outputs.

Authentication is `aws eks get-token` (exec credential plugin), run with whatever AWS identity runs
Pulumi: nothing long-lived lands in the state. The provider depends on the deployer's access entry
and its cluster-admin policy association, so on a fresh cluster `pulumi up` creates the cluster,
admits the deployer, and only then talks to the API server: one run, no retries.

Example::

    k8s = kubernetes_provider(
        "eks-k8s", KubernetesProviderArgs(cluster_name=cluster.name, endpoint=cluster.endpoint,
                                          certificate_authority_data=ca, region="us-east-1",
                                          admitted_by=[deployer_policy]),
        parent=eks_component)
    kubernetes.core.v1.Namespace("ns", ..., opts=pulumi.ResourceOptions(provider=k8s))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def kubeconfig(
    cluster_name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    certificate_authority_data: pulumi.Input[str],
    region: str,
) -> pulumi.Output[str]:
    """A kubeconfig (JSON) whose user runs `aws eks get-token` for the cluster."""
    document: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "eks",
                "cluster": {
                    "server": endpoint,
                    "certificate-authority-data": certificate_authority_data,
                },
            }
        ],
        "contexts": [{"name": "eks", "context": {"cluster": "eks", "user": "eks"}}],
        "current-context": "eks",
        "users": [
            {
                "name": "eks",
                "user": {
                    "exec": {
                        "apiVersion": EXEC_API_VERSION,
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }
    return pulumi.Output.json_dumps(document)


@dataclass(frozen=True)
class KubernetesProviderArgs:
    cluster_name: pulumi.Input[str]
    endpoint: pulumi.Input[str]
    certificate_authority_data: pulumi.Input[str]
    region: str
    admitted_by: Sequence[pulumi.Resource]
    """The access entry and policy association that let the deployer in."""


def kubernetes_provider(
    name: str, args: KubernetesProviderArgs, parent: pulumi.Resource
) -> kubernetes.Provider:
    """The cluster's Kubernetes provider: server-side apply on, unreachable clusters an error."""
    return kubernetes.Provider(
        name,
        kubeconfig=kubeconfig(
            args.cluster_name, args.endpoint, args.certificate_authority_data, args.region
        ),
        enable_server_side_apply=True,
        # An unreachable API server is an error, never a reason to drop objects from the state.
        delete_unreachable=False,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(args.admitted_by)),
    )
