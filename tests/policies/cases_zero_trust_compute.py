"""Table cases for ``policies/zero_trust_compute.py``: EKS control plane and nodes.

Engine camelCase inputs (pulumi-aws 7; pulumi-kubernetes 4 objects and CustomResources as
apiVersion/kind/metadata/spec), evaluated with policies/config/prod.json.
"""

from __future__ import annotations

from typing import Any

from policies.type_tokens import (
    EC2_INSTANCE,
    EKS_ACCESS_ENTRY,
    EKS_ACCESS_POLICY_ASSOCIATION,
    EKS_CLUSTER,
    EKS_NODE_GROUP,
    INSTANCE_METADATA_DEFAULTS,
    KARPENTER_NODE_CLASS,
    LAUNCH_TEMPLATE,
)
from tests.policies.cases_common import UNKNOWN, PolicyCase

WORLD = "0.0.0.0/0"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# A hardened node launch template as pulumi-aws 7 sends it (booleans in LT blocks are strings).
NODE_TEMPLATE: dict[str, Any] = {
    "imageId": "ami-0abcdef1234567890",
    "metadataOptions": {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    },
    "blockDeviceMappings": [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN, "volumeSize": 100},
        }
    ],
    "networkInterfaces": [{"associatePublicIpAddress": "false", "securityGroups": ["sg-1"]}],
}
EKS_HARDENED: dict[str, Any] = {
    "version": "1.33",
    "accessConfig": {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    },
    "vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True},
}


def node_class(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": "gpu-inference"},
        "spec": {"role": "meridian-node", "amiSelectorTerms": [{"alias": "al2023@latest"}], **spec},
    }


def with_metadata(**options: Any) -> dict[str, Any]:
    return {**NODE_TEMPLATE, "metadataOptions": {**NODE_TEMPLATE["metadataOptions"], **options}}


CASES: list[PolicyCase] = [
    # ---- eks-endpoint-private ----
    PolicyCase(
        "eks-endpoint-private",
        EKS_CLUSTER,
        {"vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True}},
        False,
        note="private",
    ),
    PolicyCase(
        "eks-endpoint-private",
        EKS_CLUSTER,
        {
            "vpcConfig": {
                "endpointPublicAccess": True,
                "endpointPrivateAccess": True,
                "publicAccessCidrs": ["203.0.113.0/24"],
            }
        },
        False,
        note="public-allowlisted",
    ),
    PolicyCase(
        "eks-endpoint-private",
        EKS_CLUSTER,
        {"vpcConfig": {"subnetIds": ["s-1"]}},
        True,
        note="aws-defaults-public-world",
    ),
    PolicyCase(
        "eks-endpoint-private",
        EKS_CLUSTER,
        {
            "vpcConfig": {
                "endpointPublicAccess": True,
                "endpointPrivateAccess": True,
                "publicAccessCidrs": [WORLD],
            }
        },
        True,
        note="public-world",
    ),
    # ---- compute ----
    PolicyCase(
        "no-public-ip-on-compute",
        EC2_INSTANCE,
        {"ami": "ami-1", "associatePublicIpAddress": True},
        True,
        note="instance",
    ),
    PolicyCase(
        "no-public-ip-on-compute",
        LAUNCH_TEMPLATE,
        {"networkInterfaces": [{"associatePublicIpAddress": "true"}]},
        True,
        note="template-string-true",
    ),
    PolicyCase(
        "no-public-ip-on-compute",
        LAUNCH_TEMPLATE,
        {"networkInterfaces": [{"associatePublicIpAddress": "false"}]},
        False,
        note="template-false",
    ),
    PolicyCase(
        "imdsv2-required",
        LAUNCH_TEMPLATE,
        {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}},
        False,
        note="required",
    ),
    PolicyCase(
        "imdsv2-required",
        LAUNCH_TEMPLATE,
        {"metadataOptions": {"httpTokens": "optional"}},
        True,
        note="optional",
    ),
    PolicyCase("imdsv2-required", LAUNCH_TEMPLATE, {"imageId": "ami-1"}, True, note="absent"),
    PolicyCase(
        "imdsv2-required",
        EC2_INSTANCE,
        {"ami": "ami-1", "launchTemplate": {"id": "lt-1"}},
        False,
        note="instance-from-template",
    ),
    PolicyCase("imdsv2-required", EC2_INSTANCE, {"ami": "ami-1"}, True, note="instance-default"),
    PolicyCase(
        "eks-nodegroup-launch-template",
        EKS_NODE_GROUP,
        {"clusterName": "c", "launchTemplate": {"id": "lt-1", "version": "1"}},
        False,
        note="template",
    ),
    PolicyCase(
        "eks-nodegroup-launch-template",
        EKS_NODE_GROUP,
        {"clusterName": "c", "diskSize": 50},
        True,
        note="no-template",
    ),
    PolicyCase("eks-nodegroup-no-ssh", EKS_NODE_GROUP, {"clusterName": "c"}, False, note="no-ssh"),
    PolicyCase(
        "eks-nodegroup-no-ssh",
        EKS_NODE_GROUP,
        {"clusterName": "c", "remoteAccess": {"ec2SshKey": "ops"}},
        True,
        note="ssh-key",
    ),
]

CASES += [
    # ---- eks-endpoint-private: an allowlist entry as wide as the internet ----
    PolicyCase(
        "eks-endpoint-private",
        EKS_CLUSTER,
        {
            "vpcConfig": {
                "endpointPublicAccess": True,
                "endpointPrivateAccess": True,
                "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"],
            }
        },
        True,
        note="halves-of-the-internet",
    ),
    # ---- eks-api-authentication-mode ----
    PolicyCase("eks-api-authentication-mode", EKS_CLUSTER, EKS_HARDENED, False, note="api"),
    PolicyCase(
        "eks-api-authentication-mode",
        EKS_CLUSTER,
        {**EKS_HARDENED, "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}},
        True,
        note="api-and-config-map",
    ),
    PolicyCase(
        "eks-api-authentication-mode",
        EKS_CLUSTER,
        {"version": "1.33"},
        True,
        note="unset-defaults-to-config-map",
    ),
    # ---- eks-no-bootstrap-admin ----
    PolicyCase("eks-no-bootstrap-admin", EKS_CLUSTER, EKS_HARDENED, False, note="false"),
    PolicyCase(
        "eks-no-bootstrap-admin",
        EKS_CLUSTER,
        {**EKS_HARDENED, "accessConfig": {"authenticationMode": "API"}},
        True,
        note="unset-defaults-to-true",
    ),
    # ---- Karpenter EC2NodeClass: IMDS and public IPs ----
    PolicyCase(
        "imdsv2-required", KARPENTER_NODE_CLASS, node_class(), False, note="node-class-default"
    ),
    PolicyCase(
        "imdsv2-required",
        KARPENTER_NODE_CLASS,
        node_class(metadataOptions={"httpTokens": "optional"}),
        True,
        note="node-class-optional",
    ),
    PolicyCase(
        "no-public-ip-on-compute",
        KARPENTER_NODE_CLASS,
        node_class(associatePublicIPAddress=True),
        True,
        note="node-class-public-ip",
    ),
    PolicyCase(
        "no-public-ip-on-compute",
        KARPENTER_NODE_CLASS,
        node_class(associatePublicIPAddress=False),
        False,
        note="node-class-private",
    ),
    # ---- imds-hop-limit (mandatory <= 2) and imds-hop-limit-one (advice) ----
    PolicyCase("imds-hop-limit", LAUNCH_TEMPLATE, NODE_TEMPLATE, False, note="one"),
    PolicyCase(
        "imds-hop-limit",
        LAUNCH_TEMPLATE,
        with_metadata(httpPutResponseHopLimit=2),
        False,
        note="two-allowed",
    ),
    PolicyCase(
        "imds-hop-limit",
        LAUNCH_TEMPLATE,
        with_metadata(httpPutResponseHopLimit=3),
        True,
        note="three",
    ),
    PolicyCase(
        "imds-hop-limit",
        KARPENTER_NODE_CLASS,
        node_class(metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 4}),
        True,
        note="node-class-four",
    ),
    PolicyCase(
        "imds-hop-limit",
        EC2_INSTANCE,
        {
            "ami": "ami-1",
            "metadataOptions": {"httpEndpoint": "disabled", "httpPutResponseHopLimit": 9},
        },
        False,
        note="imds-disabled",
    ),
    PolicyCase("imds-hop-limit-one", LAUNCH_TEMPLATE, NODE_TEMPLATE, False, note="one"),
    PolicyCase(
        "imds-hop-limit-one",
        LAUNCH_TEMPLATE,
        with_metadata(httpPutResponseHopLimit=2),
        True,
        note="two",
    ),
    PolicyCase(
        "imds-hop-limit-one",
        LAUNCH_TEMPLATE,
        {**NODE_TEMPLATE, "metadataOptions": {"httpTokens": "required"}},
        True,
        note="undeclared",
    ),
    PolicyCase(
        "imds-hop-limit-one", KARPENTER_NODE_CLASS, node_class(), False, note="node-class-default"
    ),
    # ---- ec2-no-ssh-key ----
    PolicyCase("ec2-no-ssh-key", LAUNCH_TEMPLATE, NODE_TEMPLATE, False, note="no-key"),
    PolicyCase(
        "ec2-no-ssh-key",
        LAUNCH_TEMPLATE,
        {**NODE_TEMPLATE, "keyName": "ops"},
        True,
        note="template-key",
    ),
    PolicyCase(
        "ec2-no-ssh-key",
        EC2_INSTANCE,
        {"ami": "ami-1", "keyName": "ops"},
        True,
        note="instance-key",
    ),
    # ---- eks-admin-access-allowlisted ----
    PolicyCase(
        "eks-admin-access-allowlisted",
        EKS_ACCESS_POLICY_ASSOCIATION,
        {
            "accessScope": {"type": "cluster"},
            "clusterName": "meridian-prod-use1-eks",
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "principalArn": "arn:aws:iam::123456789012:role/MeridianDeployer",
        },
        False,
        note="allowlisted-deployer",
    ),
    PolicyCase(
        "eks-admin-access-allowlisted",
        EKS_ACCESS_POLICY_ASSOCIATION,
        {
            "accessScope": {"type": "cluster"},
            "clusterName": "meridian-prod-use1-eks",
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "principalArn": "arn:aws:iam::123456789012:role/meridian-prod-use1-order",
        },
        True,
        note="workload-role-admin",
    ),
    PolicyCase(
        "eks-admin-access-allowlisted",
        EKS_ACCESS_POLICY_ASSOCIATION,
        {
            "accessScope": {"type": "cluster"},
            "clusterName": "meridian-prod-use1-eks",
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
            "principalArn": "arn:aws:iam::123456789012:user/MeridianDeployer",
        },
        True,
        note="user-with-allowlisted-name",
    ),
    PolicyCase(
        "eks-admin-access-allowlisted",
        EKS_ACCESS_POLICY_ASSOCIATION,
        {
            "accessScope": {"type": "namespace", "namespaces": ["order"]},
            "clusterName": "meridian-prod-use1-eks",
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
            "principalArn": "arn:aws:iam::123456789012:role/meridian-prod-use1-order",
        },
        False,
        note="namespace-view",
    ),
    PolicyCase(
        "eks-admin-access-allowlisted",
        EKS_ACCESS_POLICY_ASSOCIATION,
        {
            "accessScope": {"type": "cluster"},
            "clusterName": "meridian-prod-use1-eks",
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "principalArn": UNKNOWN,
        },
        False,
        note="preview-principal-unknown",
    ),
    # ---- eks-access-entry-no-system-groups ----
    PolicyCase(
        "eks-access-entry-no-system-groups",
        EKS_ACCESS_ENTRY,
        {
            "clusterName": "meridian-prod-use1-eks",
            "principalArn": "arn:aws:iam::123456789012:role/MeridianDeployer",
            "type": "STANDARD",
        },
        False,
        note="no-groups",
    ),
    PolicyCase(
        "eks-access-entry-no-system-groups",
        EKS_ACCESS_ENTRY,
        {
            "clusterName": "meridian-prod-use1-eks",
            "principalArn": "arn:aws:iam::123456789012:role/ops",
            "kubernetesGroups": ["meridian-readers"],
            "type": "STANDARD",
        },
        False,
        note="platform-group",
    ),
    PolicyCase(
        "eks-access-entry-no-system-groups",
        EKS_ACCESS_ENTRY,
        {
            "clusterName": "meridian-prod-use1-eks",
            "principalArn": "arn:aws:iam::123456789012:role/ops",
            "kubernetesGroups": ["meridian-readers", "system:masters"],
            "type": "STANDARD",
        },
        True,
        note="system-masters",
    ),
    # ---- imds-account-defaults ----
    PolicyCase(
        "imds-account-defaults",
        INSTANCE_METADATA_DEFAULTS,
        {
            "httpEndpoint": "enabled",
            "httpPutResponseHopLimit": 2,
            "httpTokens": "required",
            "instanceMetadataTags": "disabled",
        },
        False,
        note="required-hop-2",
    ),
    PolicyCase(
        "imds-account-defaults",
        INSTANCE_METADATA_DEFAULTS,
        {"httpPutResponseHopLimit": 1, "httpTokens": "no-preference"},
        True,
        note="tokens-no-preference",
    ),
    PolicyCase(
        "imds-account-defaults",
        INSTANCE_METADATA_DEFAULTS,
        {"httpPutResponseHopLimit": 3, "httpTokens": "required"},
        True,
        note="hop-limit-3",
    ),
    PolicyCase(
        "imds-account-defaults",
        INSTANCE_METADATA_DEFAULTS,
        {"httpTokens": "required"},
        True,
        note="hop-limit-no-preference",
    ),
]


def _deployment(container: dict[str, Any], pod: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "ratelimit", "namespace": "rate-limit"},
        "spec": {
            "template": {
                "spec": {
                    "securityContext": pod or {},
                    "containers": [{"name": "ratelimit", "securityContext": container}],
                }
            }
        },
    }


DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CASES += [
    PolicyCase(
        "k8s-deployment-non-root-read-only",
        DEPLOYMENT,
        _deployment({"runAsNonRoot": True, "readOnlyRootFilesystem": True}),
        False,
        note="hardened",
    ),
    PolicyCase(
        "k8s-deployment-non-root-read-only",
        DEPLOYMENT,
        _deployment({"readOnlyRootFilesystem": True}, {"runAsNonRoot": True}),
        False,
        note="non-root-from-pod",
    ),
    PolicyCase(
        "k8s-deployment-non-root-read-only",
        DEPLOYMENT,
        _deployment({"runAsNonRoot": True, "readOnlyRootFilesystem": UNKNOWN}),
        False,
        note="preview-unknown",
    ),
    PolicyCase(
        "k8s-deployment-non-root-read-only",
        DEPLOYMENT,
        _deployment({"runAsNonRoot": True}),
        True,
        note="writable-root",
    ),
    PolicyCase(
        "k8s-deployment-non-root-read-only",
        DEPLOYMENT,
        _deployment(
            {"readOnlyRootFilesystem": True, "runAsNonRoot": False}, {"runAsNonRoot": True}
        ),
        True,
        note="container-overrides-to-root",
    ),
]
