"""Table cases for ``policies/zero_trust_identity.py``: IAM identity, trust and resource
policies.

Engine camelCase inputs (pulumi-aws 7; pulumi-kubernetes 4 objects and CustomResources as
apiVersion/kind/metadata/spec), evaluated with policies/config/prod.json.
"""

from __future__ import annotations

import json
from typing import Any

from policies.type_tokens import (
    EKS_POD_IDENTITY_ASSOCIATION,
    ELASTICACHE_USER,
    ELASTICACHE_USER_GROUP,
    GRAFANA_SERVICE_ACCOUNT,
    GRAFANA_SERVICE_ACCOUNT_TOKEN,
    GRAFANA_WORKSPACE,
    IAM_GROUP_POLICY_ATTACHMENT,
    IAM_ROLE,
    IAM_ROLE_POLICY_ATTACHMENT,
    IAM_USER_POLICY_ATTACHMENT,
    OIDC_PROVIDER,
    SNS_TOPIC,
    SNS_TOPIC_POLICY,
)
from tests.policies.cases_common import UNKNOWN, PolicyCase

EDGE_TAGS = {"exposure": "edge", "owner": "platform"}
WORLD = "0.0.0.0/0"
CLOUDFLARE = "173.245.48.0/20"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


ACCOUNT_ROOT = {"AWS": "arn:aws:iam::123456789012:root"}
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:meridian-prod-use1-alerts-p1"
# The statements of the shipped alert topics' policy: the account manages, a TLS-only deny for
# everyone, and EventBridge rules of the same account publish.
ALERT_TOPIC_STATEMENTS: tuple[dict[str, Any], ...] = (
    {
        "Sid": "AccountManages",
        "Effect": "Allow",
        "Principal": ACCOUNT_ROOT,
        "Action": ["SNS:GetTopicAttributes", "SNS:Subscribe", "SNS:Publish"],
        "Resource": TOPIC_ARN,
    },
    {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "SNS:Publish",
        "Resource": TOPIC_ARN,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    },
    {
        "Sid": "PublishFromEvents",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "SNS:Publish",
        "Resource": TOPIC_ARN,
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
    },
)
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:meridian/prod/master-AbCdEf"
ROTATION_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:meridian-prod-aurora-rotation"


def _secret(name: str) -> dict[str, Any]:
    arn = SECRET_ARN if name == "master" else SECRET_ARN.replace("master", name)
    return {
        "type": "aws:secretsmanager/secret:Secret",
        "name": name,
        "props": {"name": f"meridian/prod/{name}", "kmsKeyId": "alias/meridian", "arn": arn},
        "options": {"protect": True},
    }


def _rotation(name: str, secret: str) -> dict[str, Any]:
    """A rotation whose secretId comes from `secret`'s output (unknown until it exists)."""
    return {
        "type": SECRET_ROTATION,
        "name": name,
        "props": {
            "secretId": UNKNOWN,
            "rotationLambdaArn": ROTATION_FUNCTION,
            "rotationRules": {"automaticallyAfterDays": 30},
        },
        "propertyDependencies": {"secretId": [secret]},
    }


CMK_POLICY = doc(
    {
        "Sid": "EnableRootAccount",
        "Effect": "Allow",
        "Principal": ACCOUNT_ROOT,
        "Action": "kms:*",
        "Resource": "*",
    },
    {
        "Sid": "AllowCloudWatchLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*"}},
    },
)


OIDC_URL = "https://oidc.eks.us-east-1.amazonaws.com/id/D16DDF99EF77F37D7C18249B252C7CCA"
GRAFANA_PROPS: dict[str, Any] = {
    "accountAccessType": "CURRENT_ACCOUNT",
    "authenticationProviders": ["AWS_SSO"],
    "configuration": json.dumps(
        {"plugins": {"pluginAdminEnabled": False}, "unifiedAlerting": {"enabled": True}}
    ),
    "dataSources": ["PROMETHEUS"],
    "permissionType": "CUSTOMER_MANAGED",
    "roleArn": "arn:aws:iam::123456789012:role/meridian-prod-global-grafana",
}


def cache_user(name: str, access: Any, mode: dict[str, Any]) -> dict[str, Any]:
    return {
        "accessString": access,
        "authenticationMode": mode,
        "engine": "valkey",
        "userId": f"c-{name}",
        "userName": name,
    }


def cache_stack(default_access: Any, members: list[str]) -> list[dict[str, Any]]:
    """A cache's users (its own 'default' with ``default_access``) and a group of ``members``."""
    return [
        {
            "type": ELASTICACHE_USER,
            "name": "cache-default-user",
            "props": cache_user("default", default_access, {"type": "no-password-required"}),
        },
        {
            "type": ELASTICACHE_USER,
            "name": "cache-user-order",
            "props": cache_user("order", "on ~order:* +@all -@dangerous", {"type": "iam"}),
        },
        {
            "type": ELASTICACHE_USER_GROUP,
            "name": "cache-users",
            "props": {"engine": "valkey", "userGroupId": "c", "userIds": members},
        },
    ]


MSK_CLUSTER_POLICY = "aws:msk/clusterPolicy:ClusterPolicy"
MSK_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/meridian-prod-use1-kafka/abc-3"


def msk_policy(principal: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": ["kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers"],
                    "Resource": MSK_ARN,
                }
            ],
        }
    )


CASES: list[PolicyCase] = [
    # ---- IAM ----
    PolicyCase(
        "iam-no-admin-wildcard",
        "aws:iam/policy:Policy",
        {"policy": doc(allow("*"))},
        True,
        note="admin",
    ),
    PolicyCase(
        "iam-no-admin-wildcard",
        "aws:iam/rolePolicy:RolePolicy",
        {"role": "r", "policy": doc(allow(["s3:GetObject"], "arn:aws:s3:::lake/*"))},
        False,
        note="scoped",
    ),
    PolicyCase(
        "iam-no-admin-wildcard",
        "aws:iam/role:Role",
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
            "inlinePolicies": [{"name": "all", "policy": doc(allow(["*"], ["*"]))}],
        },
        True,
        note="role-inline",
    ),
    PolicyCase(
        "iam-no-admin-wildcard",
        "aws:iam/policy:Policy",
        {"policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
        True,
        note="not-action",
    ),
    PolicyCase(
        "iam-no-admin-wildcard",
        "aws:iam/policy:Policy",
        {"policy": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})},
        False,
        note="deny-all",
    ),
    PolicyCase(
        "iam-no-service-wildcard",
        "aws:iam/policy:Policy",
        {"policy": doc(allow("s3:*"))},
        True,
        note="s3-star",
    ),
    PolicyCase(
        "iam-no-service-wildcard",
        "aws:iam/policy:Policy",
        {"policy": doc(allow("s3:*", "arn:aws:s3:::lake/*"))},
        False,
        note="s3-star-scoped",
    ),
    PolicyCase(
        "no-wildcard-principal",
        "aws:kms/key:Key",
        {"policy": CMK_POLICY, "enableKeyRotation": True},
        False,
        note="standard-cmk-policy",
    ),
    PolicyCase(
        "no-wildcard-principal",
        "aws:kms/key:Key",
        {"policy": doc({"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"})},
        True,
        note="kms-anyone",
    ),
    PolicyCase(
        "no-wildcard-principal",
        "aws:s3/bucketPolicy:BucketPolicy",
        {
            "bucket": "b",
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                }
            ),
        },
        True,
        note="bucket-aws-star",
    ),
    PolicyCase(
        "no-wildcard-principal",
        "aws:s3/bucketPolicy:BucketPolicy",
        {
            "bucket": "b",
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
                },
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ),
        },
        False,
        note="org-condition-and-tls-deny",
    ),
    PolicyCase(
        "no-wildcard-principal",
        "aws:iam/role:Role",
        {
            "assumeRolePolicy": doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            )
        },
        True,
        note="trust-anyone",
    ),
    PolicyCase(
        "no-wildcard-principal",
        "aws:sqs/queuePolicy:QueuePolicy",
        {
            "queueUrl": "https://sqs/q",
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": "arn:aws:sqs:us-east-1:123456789012:q",
                    "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"}},
                }
            ),
        },
        False,
        note="sqs-service",
    ),
    PolicyCase(
        "no-wildcard-principal",
        "aws:sns/topicPolicy:TopicPolicy",
        {
            "arn": "arn:aws:sns:us-east-1:1:t",
            "policy": doc({"Effect": "Allow", "NotPrincipal": ACCOUNT_ROOT, "Action": "sns:*"}),
        },
        True,
        note="not-principal",
    ),
    PolicyCase(
        "no-wildcard-principal",
        "aws:s3/bucketPolicy:BucketPolicy",
        {"bucket": "b", "policy": UNKNOWN},
        False,
        note="unknown-document",
    ),
]

# ---- Kubernetes workload identity ----
ROLE = "aws:iam/role:Role"
ADDON = "aws:eks/addon:Addon"
OIDC = (
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/"
    "0123456789ABCDEF0123456789ABCDEF"
)
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
POD_IDENTITY_ROLE = "arn:aws:iam::123456789012:role/meridian-ebs-csi"


def irsa_trust(condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": OIDC},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"assumeRolePolicy": doc(statement)}


CASES += [
    PolicyCase(
        "irsa-trust-scoped",
        ROLE,
        irsa_trust(
            {
                "StringEquals": {
                    f"{ISSUER}:sub": "system:serviceaccount:karpenter:karpenter",
                    f"{ISSUER}:aud": "sts.amazonaws.com",
                }
            }
        ),
        False,
        note="service-account",
    ),
    PolicyCase(
        "irsa-trust-scoped",
        ROLE,
        irsa_trust({"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}}),
        True,
        note="audience-only",
    ),
    PolicyCase("irsa-trust-scoped", ROLE, irsa_trust(None), True, note="no-condition"),
    PolicyCase(
        "irsa-trust-scoped",
        ROLE,
        irsa_trust({"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:*:*"}}),
        True,
        note="any-namespace",
    ),
    PolicyCase(
        "irsa-trust-scoped",
        ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            )
        },
        False,
        note="pod-identity-trust",
    ),
    PolicyCase(
        "eks-addon-own-role",
        ADDON,
        {
            "clusterName": "meridian",
            "addonName": "aws-ebs-csi-driver",
            "addonVersion": "v1.45.0-eksbuild.2",
            "podIdentityAssociations": [
                {"roleArn": POD_IDENTITY_ROLE, "serviceAccount": "ebs-csi-controller-sa"}
            ],
        },
        False,
        note="pod-identity",
    ),
    PolicyCase(
        "eks-addon-own-role",
        ADDON,
        {"clusterName": "meridian", "addonName": "vpc-cni", "addonVersion": "v1.19.5-eksbuild.3"},
        True,
        note="vpc-cni-on-node-role",
    ),
    PolicyCase(
        "eks-addon-own-role",
        ADDON,
        {"clusterName": "meridian", "addonName": "coredns", "addonVersion": "v1.12.1-eksbuild.2"},
        False,
        note="coredns-needs-no-aws",
    ),
    # --- secretsmanager-secret-rotated ---------------------------------------------------------
    PolicyCase(
        "secretsmanager-secret-rotated",
        "",
        {},
        False,
        stack=[_secret("master"), _rotation("master-rotation", "master")],
        note="rotation-targets-it",
    ),
    PolicyCase(
        "secretsmanager-secret-rotated",
        "",
        {},
        True,
        stack=[_secret("master"), _secret("other"), _rotation("master-rotation", "master")],
        note="second-secret-never-rotates",
    ),
    PolicyCase(
        "secretsmanager-secret-rotated",
        "",
        {},
        False,
        stack=[
            _secret("master"),
            {
                "type": SECRET_ROTATION,
                "name": "by-arn",
                "props": {"secretId": SECRET_ARN, "rotationLambdaArn": ROTATION_FUNCTION},
            },
        ],
        note="rotation-names-its-arn",
    ),
    PolicyCase(
        "secretsmanager-secret-rotated",
        "",
        {},
        True,
        stack=[_secret("master")],
        note="no-rotation",
    ),
    # --- iam-no-admin-managed-policy ----------------------------------------------------------
    PolicyCase(
        "iam-no-admin-managed-policy",
        IAM_ROLE_POLICY_ATTACHMENT,
        {"role": "meridian-node", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
        False,
        note="scoped-aws-managed",
    ),
    PolicyCase(
        "iam-no-admin-managed-policy",
        IAM_ROLE_POLICY_ATTACHMENT,
        {"role": "meridian-ops", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        True,
        note="administrator",
    ),
    PolicyCase(
        "iam-no-admin-managed-policy",
        IAM_USER_POLICY_ATTACHMENT,
        {"user": "ci", "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
        True,
        note="user-full-access",
    ),
    PolicyCase(
        "iam-no-admin-managed-policy",
        IAM_GROUP_POLICY_ATTACHMENT,
        {"group": "ops", "policyArn": "arn:aws-us-gov:iam::aws:policy/IAMFullAccess"},
        True,
        note="group-full-access-other-partition",
    ),
    PolicyCase(
        "iam-no-admin-managed-policy",
        IAM_GROUP_POLICY_ATTACHMENT,
        {"group": "ops", "policyArn": "arn:aws:iam::123456789012:policy/TeamFullAccess"},
        False,
        note="customer-managed-name",
    ),
    PolicyCase(
        "iam-no-admin-managed-policy",
        IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {"Effect": "Allow", "Principal": ACCOUNT_ROOT, "Action": "sts:AssumeRole"}
            ),
            "managedPolicyArns": [
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::aws:policy/service-role/AWSLambdaFullAccess",
            ],
        },
        True,
        note="role-managed-policy-arns-path",
    ),
    PolicyCase(
        "iam-no-admin-managed-policy",
        IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {"Effect": "Allow", "Principal": ACCOUNT_ROOT, "Action": "sts:AssumeRole"}
            ),
            "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        },
        False,
        note="role-read-only",
    ),
    # --- sns-topic-policy-own-account ----------------------------------------------------------
    PolicyCase(
        "sns-topic-policy-own-account",
        SNS_TOPIC_POLICY,
        {"arn": TOPIC_ARN, "policy": doc(*ALERT_TOPIC_STATEMENTS)},
        False,
        note="shipped-alert-topic-shape",
    ),
    PolicyCase(
        "sns-topic-policy-own-account",
        SNS_TOPIC_POLICY,
        {
            "arn": TOPIC_ARN,
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "SNS:Publish",
                    "Resource": TOPIC_ARN,
                }
            ),
        },
        True,
        note="wildcard-unconditioned",
    ),
    PolicyCase(
        "sns-topic-policy-own-account",
        SNS_TOPIC_POLICY,
        {
            "arn": TOPIC_ARN,
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "SNS:Publish",
                    "Resource": TOPIC_ARN,
                    "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
                }
            ),
        },
        True,
        note="wildcard-source-arn-only",
    ),
    PolicyCase(
        "sns-topic-policy-own-account",
        SNS_TOPIC_POLICY,
        {
            "arn": TOPIC_ARN,
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "SNS:Publish",
                    "Resource": TOPIC_ARN,
                    "Condition": {"StringEquals": {"aws:SourceOwner": "123456789012"}},
                }
            ),
        },
        False,
        note="wildcard-pinned-to-own-account",
    ),
    PolicyCase(
        "sns-topic-policy-own-account",
        SNS_TOPIC_POLICY,
        {
            "arn": TOPIC_ARN,
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "SNS:Publish",
                    "Resource": TOPIC_ARN,
                    "Condition": {"StringEquals": {"aws:PrincipalAccount": "210987654321"}},
                }
            ),
        },
        True,
        note="wildcard-pinned-to-other-account",
    ),
    PolicyCase(
        "sns-topic-policy-own-account",
        SNS_TOPIC_POLICY,
        {
            "arn": TOPIC_ARN,
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                    "Action": "SNS:Subscribe",
                    "Resource": TOPIC_ARN,
                }
            ),
        },
        True,
        note="other-account-principal",
    ),
    PolicyCase(
        "sns-topic-policy-own-account",
        SNS_TOPIC,
        {
            "name": "meridian-prod-use1-alerts-p1",
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "210987654321"},
                    "Action": "SNS:Publish",
                    "Resource": TOPIC_ARN,
                }
            ),
        },
        True,
        note="topic-inline-other-account-id",
    ),
    PolicyCase(
        "sns-topic-policy-own-account",
        SNS_TOPIC,
        {"name": "meridian-prod-use1-alerts-p1", "policy": doc(*ALERT_TOPIC_STATEMENTS)},
        False,
        note="topic-inline-own-account",
    ),
    # ---- elasticache-user-authenticated ----
    PolicyCase(
        "elasticache-user-authenticated",
        ELASTICACHE_USER,
        cache_user("default", "off -@all", {"type": "no-password-required"}),
        False,
        note="disabled-default",
    ),
    PolicyCase(
        "elasticache-user-authenticated",
        ELASTICACHE_USER,
        cache_user("order", "on ~order:* &order:* +@all -@dangerous", {"type": "iam"}),
        False,
        note="iam",
    ),
    PolicyCase(
        "elasticache-user-authenticated",
        ELASTICACHE_USER,
        cache_user("default", "on ~* +@all", {"type": "no-password-required"}),
        True,
        note="enabled-nopass",
    ),
    PolicyCase(
        "elasticache-user-authenticated",
        ELASTICACHE_USER,
        {
            **cache_user("legacy", "on ~* +@read", {}),
            "authenticationMode": None,
            "noPasswordRequired": True,
        },
        True,
        note="enabled-nopass-legacy-flag",
    ),
    # ---- elasticache-default-user-disabled ----
    PolicyCase(
        "elasticache-default-user-disabled",
        "",
        {},
        False,
        stack=cache_stack("off -@all", ["c-default", "c-order"]),
        note="own-default-off",
    ),
    PolicyCase(
        "elasticache-default-user-disabled",
        "",
        {},
        True,
        stack=cache_stack("on ~* +@all", ["c-default", "c-order"]),
        note="own-default-on",
    ),
    PolicyCase(
        "elasticache-default-user-disabled",
        "",
        {},
        True,
        stack=cache_stack("off -@all", ["default", "c-order"]),
        note="builtin-default",
    ),
    PolicyCase(
        "elasticache-default-user-disabled",
        "",
        {},
        False,
        stack=cache_stack(UNKNOWN, ["c-default", "c-order"]),
        note="preview-access-unknown",
    ),
    # ---- oidc-provider-audience ----
    PolicyCase(
        "oidc-provider-audience",
        OIDC_PROVIDER,
        {"clientIdLists": ["sts.amazonaws.com"], "url": OIDC_URL},
        False,
        note="sts",
    ),
    PolicyCase(
        "oidc-provider-audience",
        OIDC_PROVIDER,
        {"clientIdLists": ["sts.amazonaws.com", "my-app"], "url": OIDC_URL},
        True,
        note="extra-audience",
    ),
    PolicyCase(
        "oidc-provider-audience",
        OIDC_PROVIDER,
        {"clientIdLists": ["sts.amazonaws.com"], "url": "http://issuer.example.com"},
        True,
        note="http-issuer",
    ),
    # ---- grafana-workspace-hardened ----
    PolicyCase(
        "grafana-workspace-hardened",
        GRAFANA_WORKSPACE,
        GRAFANA_PROPS,
        False,
        note="customer-managed-sso",
    ),
    PolicyCase(
        "grafana-workspace-hardened",
        GRAFANA_WORKSPACE,
        {**GRAFANA_PROPS, "permissionType": "SERVICE_MANAGED"},
        True,
        note="service-managed",
    ),
    PolicyCase(
        "grafana-workspace-hardened",
        GRAFANA_WORKSPACE,
        {**GRAFANA_PROPS, "configuration": json.dumps({"plugins": {"pluginAdminEnabled": True}})},
        True,
        note="plugin-admin",
    ),
    # ---- grafana-service-account-role ----
    PolicyCase(
        "grafana-service-account-role",
        GRAFANA_SERVICE_ACCOUNT,
        {"grafanaRole": "ADMIN", "name": "meridian-deployer", "workspaceId": "g-1"},
        False,
        note="allowlisted-admin",
    ),
    PolicyCase(
        "grafana-service-account-role",
        GRAFANA_SERVICE_ACCOUNT,
        {"grafanaRole": "EDITOR", "name": "dashboards", "workspaceId": "g-1"},
        False,
        note="editor",
    ),
    PolicyCase(
        "grafana-service-account-role",
        GRAFANA_SERVICE_ACCOUNT,
        {"grafanaRole": "ADMIN", "name": "dashboards", "workspaceId": "g-1"},
        True,
        note="other-admin",
    ),
    # ---- no-wildcard-principal: MSK cluster policies ----
    PolicyCase(
        "no-wildcard-principal",
        MSK_CLUSTER_POLICY,
        {"clusterArn": MSK_ARN, "policy": msk_policy({"Service": "firehose.amazonaws.com"})},
        False,
        note="msk-firehose",
    ),
    PolicyCase(
        "no-wildcard-principal",
        MSK_CLUSTER_POLICY,
        {"clusterArn": MSK_ARN, "policy": msk_policy({"AWS": "*"})},
        True,
        note="msk-everyone",
    ),
]

# ---- eks-pod-identity-scoped ----
_CLUSTER = "meridian-prod-euw1-eks"


def _association(name: str, namespace: str, account: str, **props: Any) -> dict[str, Any]:
    return {
        "type": EKS_POD_IDENTITY_ASSOCIATION,
        "name": name,
        "props": {
            "clusterName": _CLUSTER,
            "namespace": namespace,
            "serviceAccount": account,
            "roleArn": f"arn:aws:iam::123456789012:role/meridian-prod-euw1-pod-{name}",
            **props,
        },
    }


_SHIPPED_ASSOCIATIONS = [
    _association("mesh-lbc", "kube-system", "aws-load-balancer-controller"),
    _association("telemetry-fluent-bit", "kube-system", "fluent-bit"),
    _association("nodes-karpenter-controller", "karpenter", "karpenter"),
    _association("tenants-order", "order", "order"),
]

CASES += [
    PolicyCase(
        "eks-pod-identity-scoped", "", {}, False, stack=_SHIPPED_ASSOCIATIONS, note="shipped"
    ),
    PolicyCase(
        "eks-pod-identity-scoped",
        "",
        {},
        True,
        stack=[*_SHIPPED_ASSOCIATIONS, _association("tenants-order-2", "order", "order")],
        note="second-role-same-account",
    ),
    PolicyCase(
        "eks-pod-identity-scoped",
        "",
        {},
        False,
        stack=[
            *_SHIPPED_ASSOCIATIONS,
            _association("tenants-order-other", "order", "order", clusterName="other-eks"),
        ],
        note="same-account-other-cluster",
    ),
    PolicyCase(
        "eks-pod-identity-scoped",
        "",
        {},
        True,
        stack=[_association("tenants-order-default", "order", "default")],
        note="default-service-account",
    ),
    PolicyCase(
        "eks-pod-identity-scoped",
        "",
        {},
        True,
        stack=[_association("debug", "kube-system", "debug-tools")],
        note="kube-system-not-allowlisted",
    ),
    PolicyCase(
        "eks-pod-identity-scoped",
        "",
        {},
        False,
        stack=[_association("debug", "kube-system", UNKNOWN)],
        note="preview-unknown-account",
    ),
]

# ---- grafana-token-ttl ----
_TOKEN: dict[str, Any] = {
    "name": "meridian-deployer",
    "serviceAccountId": "sa-1",
    "workspaceId": "g-1",
    "secondsToLive": 30 * 24 * 3600,
}

CASES += [
    PolicyCase("grafana-token-ttl", GRAFANA_SERVICE_ACCOUNT_TOKEN, _TOKEN, False, note="30-days"),
    PolicyCase(
        "grafana-token-ttl",
        GRAFANA_SERVICE_ACCOUNT_TOKEN,
        {**_TOKEN, "secondsToLive": 30 * 24 * 3600 + 1},
        True,
        note="over-30-days",
    ),
    PolicyCase(
        "grafana-token-ttl",
        GRAFANA_SERVICE_ACCOUNT_TOKEN,
        {k: v for k, v in _TOKEN.items() if k != "secondsToLive"},
        True,
        note="no-ttl",
    ),
    PolicyCase(
        "grafana-token-ttl",
        GRAFANA_SERVICE_ACCOUNT_TOKEN,
        {**_TOKEN, "secondsToLive": UNKNOWN},
        False,
        note="preview-unknown",
    ),
]
