"""Table cases for ``policies/zero_trust.py`` (engine camelCase inputs; pulumi-aws 7,
pulumi-kubernetes 4 CustomResources as apiVersion/kind/metadata/spec). Evaluated with
policies/config/prod.json (edge tag exposure=edge on port 443, Cloudflare ranges allowlisted)."""

from __future__ import annotations

import json
from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
MSK = "aws:msk/cluster:Cluster"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
PEER_AUTH = "kubernetes:security.istio.io/v1:PeerAuthentication"
AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
K8S_PROVIDER = "pulumi:providers:kubernetes"

EDGE_TAGS = {"exposure": "edge", "owner": "platform"}
WORLD = "0.0.0.0/0"
CLOUDFLARE = "173.245.48.0/20"


def ingress(cidrs: list[str], port: int = 443, protocol: str = "tcp", v6: bool = False) -> dict:
    key = "ipv6CidrBlocks" if v6 else "cidrBlocks"
    return {"protocol": protocol, "fromPort": port, "toPort": port, key: cidrs}


def sg(*rules: dict[str, Any], tags: dict[str, str] | None = None) -> dict[str, Any]:
    return {"vpcId": "vpc-1", "ingress": list(rules), "egress": [], "tags": tags or {}}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


ACCOUNT_ROOT = {"AWS": "arn:aws:iam::123456789012:root"}
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


def rule_stack(
    rule_type: str, rule_props: dict[str, Any], group_tags: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    return [
        {"type": SG, "name": "alb-sg", "props": sg(tags=group_tags)},
        {
            "type": rule_type,
            "name": "alb-ingress",
            "props": {**rule_props, "securityGroupId": UNKNOWN},
            "propertyDependencies": {"securityGroupId": ["alb-sg"]},
            "dependencies": ["alb-sg"],
        },
    ]


def sg_rule(cidrs: list[str], port: int = 443, kind: str = "ingress") -> dict[str, Any]:
    return {"type": kind, "protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": cidrs}


def vpc_rule(cidr: str, port: int = 443, tags: dict[str, str] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "ipProtocol": "tcp",
        "fromPort": port,
        "toPort": port,
        "cidrIpv4": cidr,
    }
    if tags:
        props["tags"] = tags
    return props


def bucket_stack(flags: dict[str, bool] | None, link: str = "deps") -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {"type": BUCKET, "name": "lake", "props": {"bucket": "meridian-lake"}}
    ]
    if flags is not None:
        block: dict[str, Any] = {
            "type": PAB,
            "name": "lake-pab",
            "props": {"bucket": UNKNOWN if link == "deps" else "meridian-lake", **flags},
        }
        if link == "deps":
            block["propertyDependencies"] = {"bucket": ["lake"]}
        entries.append(block)
    return entries


ALL_BLOCKED = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}


def mesh_stack(mode: str = "STRICT", namespace: str = "istio-system", selector: bool = False):
    spec: dict[str, Any] = {"mtls": {"mode": mode}}
    if selector:
        spec["selector"] = {"matchLabels": {"app": "web"}}
    return [
        {"type": EKS, "name": "eks", "props": {"name": "meridian"}},
        {
            "type": K8S_PROVIDER,
            "name": "k8s",
            "props": {"kubeconfig": UNKNOWN},
            "propertyDependencies": {"kubeconfig": ["eks"]},
        },
        {
            "type": PEER_AUTH,
            "name": "mesh-mtls",
            "provider": "k8s",
            "props": {
                "apiVersion": "security.istio.io/v1",
                "kind": "PeerAuthentication",
                "metadata": {"name": "default", "namespace": namespace},
                "spec": spec,
            },
        },
    ]


def two_cluster_stack(cover_second: bool) -> list[dict[str, Any]]:
    entries = mesh_stack()
    entries.append({"type": EKS, "name": "eks-2", "props": {"name": "meridian-2"}})
    entries.append(
        {
            "type": K8S_PROVIDER,
            "name": "k8s-2",
            "props": {"kubeconfig": UNKNOWN},
            "propertyDependencies": {"kubeconfig": ["eks-2"]},
        }
    )
    if cover_second:
        second = dict(entries[2])
        second.update({"name": "mesh-mtls-2", "provider": "k8s-2"})
        entries.append(second)
    return entries


def namespace(name: str) -> dict[str, Any]:
    return {
        "type": NAMESPACE,
        "name": f"ns-{name}",
        "props": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    }


def authz(namespace_name: str, spec: dict[str, Any] | None, link: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": AUTHZ,
        "name": f"{namespace_name}-deny-all",
        "props": {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {
                "name": "deny-all",
                "namespace": UNKNOWN if link else namespace_name,
            },
            "spec": spec if spec is not None else {},
        },
    }
    if link:
        entry["propertyDependencies"] = {"metadata": [f"ns-{namespace_name}"]}
    return entry


def netpol(namespace_name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": NETPOL,
        "name": f"{namespace_name}-default-deny",
        "props": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": namespace_name},
            "spec": spec,
        },
    }


DENY_ALL_NETPOL = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}

CASES: list[PolicyCase] = [
    # ---- sg-no-public-ingress (inline ingress) ----
    PolicyCase("sg-no-public-ingress", SG, sg(ingress(["10.0.0.0/8"])), False, note="private"),
    PolicyCase("sg-no-public-ingress", SG, sg(ingress([WORLD], 22)), True, note="ssh-world"),
    PolicyCase("sg-no-public-ingress", SG, sg(ingress(["::/0"], v6=True)), True, note="ipv6-world"),
    PolicyCase(
        "sg-no-public-ingress",
        SG,
        sg(ingress([WORLD]), tags=EDGE_TAGS),
        False,
        note="edge-443",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SG,
        sg(ingress([WORLD], 80), tags=EDGE_TAGS),
        True,
        note="edge-but-port-80",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SG,
        sg(ingress([WORLD], protocol="-1")),
        True,
        note="all-protocols",
    ),
    PolicyCase(
        "sg-no-public-ingress", SG, sg(ingress([CLOUDFLARE])), False, note="cloudflare-allowlisted"
    ),
    PolicyCase(
        "sg-no-public-ingress", SG, sg(ingress(["8.8.8.0/24"])), True, note="other-public-range"
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SG,
        sg(ingress([UNKNOWN]), ingress([WORLD], 3306)),
        True,
        note="unknown-rule-does-not-hide-world-rule",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SG,
        {**sg(ingress([WORLD])), "tags": UNKNOWN},
        False,
        note="tags-unknown-443",
    ),
    # ---- sg-rule-no-public-ingress (stack: rules tied to their group) ----
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        True,
        stack=rule_stack(SG_RULE, sg_rule([WORLD])),
        note="rule-world",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        False,
        stack=rule_stack(SG_RULE, sg_rule([WORLD]), group_tags=EDGE_TAGS),
        note="rule-on-edge-group",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        False,
        stack=rule_stack(SG_RULE, sg_rule([WORLD], kind="egress")),
        note="egress-rule",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        True,
        stack=rule_stack(INGRESS_RULE, vpc_rule(WORLD, 5432)),
        note="vpc-rule-world",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        False,
        stack=rule_stack(INGRESS_RULE, vpc_rule(WORLD, tags={"exposure": "edge"})),
        note="vpc-rule-tagged-edge",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        False,
        stack=rule_stack(INGRESS_RULE, vpc_rule("104.16.0.0/13")),
        note="vpc-rule-cloudflare",
    ),
    # ---- data-subnet-nacl-no-allow-all ----
    PolicyCase(
        "data-subnet-nacl-no-allow-all",
        "",
        {},
        True,
        stack=[
            {
                "type": NACL,
                "name": "data-nacl",
                "props": {
                    "vpcId": "vpc-1",
                    "tags": {"tier": "data"},
                    "ingress": [
                        {
                            "action": "allow",
                            "protocol": "-1",
                            "cidrBlock": WORLD,
                            "ruleNo": 100,
                            "fromPort": 0,
                            "toPort": 0,
                        }
                    ],
                },
            }
        ],
        note="inline-allow-all",
    ),
    PolicyCase(
        "data-subnet-nacl-no-allow-all",
        "",
        {},
        False,
        stack=[
            {
                "type": NACL,
                "name": "public-nacl",
                "props": {
                    "vpcId": "vpc-1",
                    "tags": {"tier": "public"},
                    "ingress": [{"action": "allow", "protocol": "-1", "cidrBlock": WORLD}],
                },
            }
        ],
        note="public-tier",
    ),
    PolicyCase(
        "data-subnet-nacl-no-allow-all",
        "",
        {},
        True,
        stack=[
            {"type": NACL, "name": "data-nacl", "props": {"vpcId": "v", "tags": {"tier": "data"}}},
            {
                "type": NACL_RULE,
                "name": "data-in-all",
                "props": {
                    "networkAclId": UNKNOWN,
                    "ruleNumber": 100,
                    "egress": False,
                    "protocol": "-1",
                    "ruleAction": "allow",
                    "cidrBlock": WORLD,
                },
                "propertyDependencies": {"networkAclId": ["data-nacl"]},
            },
        ],
        note="rule-resource",
    ),
    PolicyCase(
        "data-subnet-nacl-no-allow-all",
        "",
        {},
        False,
        stack=[
            {"type": NACL, "name": "data-nacl", "props": {"vpcId": "v", "tags": {"tier": "data"}}},
            {
                "type": NACL_RULE,
                "name": "data-in-pg",
                "props": {
                    "networkAclId": UNKNOWN,
                    "ruleNumber": 100,
                    "egress": False,
                    "protocol": "tcp",
                    "ruleAction": "allow",
                    "cidrBlock": "10.0.0.0/16",
                    "fromPort": 5432,
                    "toPort": 5432,
                },
                "propertyDependencies": {"networkAclId": ["data-nacl"]},
            },
        ],
        note="rule-private-port",
    ),
    # ---- eks-endpoint-private ----
    PolicyCase(
        "eks-endpoint-private",
        EKS,
        {"vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True}},
        False,
        note="private",
    ),
    PolicyCase(
        "eks-endpoint-private",
        EKS,
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
        EKS,
        {"vpcConfig": {"subnetIds": ["s-1"]}},
        True,
        note="aws-defaults-public-world",
    ),
    PolicyCase(
        "eks-endpoint-private",
        EKS,
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
    # ---- no-public-database ----
    PolicyCase(
        "no-public-database",
        "aws:rds/clusterInstance:ClusterInstance",
        {
            "clusterIdentifier": "aurora",
            "instanceClass": "db.r6g.large",
            "engine": "aurora-postgresql",
        },
        False,
        note="private-default",
    ),
    PolicyCase(
        "no-public-database",
        "aws:rds/clusterInstance:ClusterInstance",
        {"clusterIdentifier": "aurora", "publiclyAccessible": True},
        True,
        note="aurora-public",
    ),
    PolicyCase(
        "no-public-database",
        "aws:rds/instance:Instance",
        {"instanceClass": "db.t4g.micro", "publiclyAccessible": True},
        True,
        note="rds-public",
    ),
    PolicyCase(
        "no-public-database",
        "aws:redshift/cluster:Cluster",
        {"clusterIdentifier": "dw", "nodeType": "ra3.xlplus", "publiclyAccessible": False},
        False,
        note="redshift-private",
    ),
    # ---- msk ----
    PolicyCase(
        "msk-no-public-access",
        MSK,
        {"brokerNodeGroupInfo": {"connectivityInfo": {"publicAccess": {"type": "DISABLED"}}}},
        False,
        note="disabled",
    ),
    PolicyCase(
        "msk-no-public-access",
        MSK,
        {
            "brokerNodeGroupInfo": {
                "connectivityInfo": {"publicAccess": {"type": "SERVICE_PROVIDED_EIPS"}}
            }
        },
        True,
        note="eips",
    ),
    PolicyCase(
        "msk-iam-authentication",
        MSK,
        {"clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False}},
        False,
        note="iam",
    ),
    PolicyCase(
        "msk-iam-authentication",
        MSK,
        {"clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": True}},
        True,
        note="iam-plus-unauthenticated",
    ),
    PolicyCase("msk-iam-authentication", MSK, {"kafkaVersion": "3.6.0"}, True, note="none"),
    PolicyCase(
        "msk-iam-authentication",
        MSK,
        {"clientAuthentication": {"tls": {"certificateAuthorityArns": ["arn:ca"]}}},
        True,
        note="tls-only",
    ),
    # ---- search / cache ----
    PolicyCase(
        "search-domain-in-vpc",
        "aws:opensearch/domain:Domain",
        {"vpcOptions": {"subnetIds": ["s-1"], "securityGroupIds": ["sg-1"]}},
        False,
        note="vpc",
    ),
    PolicyCase(
        "search-domain-in-vpc",
        "aws:opensearch/domain:Domain",
        {"domainName": "logs"},
        True,
        note="public",
    ),
    PolicyCase(
        "cache-explicit-security-groups",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"description": "sessions", "securityGroupIds": ["sg-1"]},
        False,
        note="explicit",
    ),
    PolicyCase(
        "cache-explicit-security-groups",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"description": "sessions"},
        True,
        note="default-sg",
    ),
    PolicyCase(
        "cache-explicit-security-groups",
        "aws:elasticache/cluster:Cluster",
        {"replicationGroupId": "sessions"},
        False,
        note="member-inherits",
    ),
    # ---- compute ----
    PolicyCase(
        "no-public-ip-on-compute",
        INSTANCE,
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
        INSTANCE,
        {"ami": "ami-1", "launchTemplate": {"id": "lt-1"}},
        False,
        note="instance-from-template",
    ),
    PolicyCase("imdsv2-required", INSTANCE, {"ami": "ami-1"}, True, note="instance-default"),
    PolicyCase(
        "eks-nodegroup-launch-template",
        NODE_GROUP,
        {"clusterName": "c", "launchTemplate": {"id": "lt-1", "version": "1"}},
        False,
        note="template",
    ),
    PolicyCase(
        "eks-nodegroup-launch-template",
        NODE_GROUP,
        {"clusterName": "c", "diskSize": 50},
        True,
        note="no-template",
    ),
    PolicyCase("eks-nodegroup-no-ssh", NODE_GROUP, {"clusterName": "c"}, False, note="no-ssh"),
    PolicyCase(
        "eks-nodegroup-no-ssh",
        NODE_GROUP,
        {"clusterName": "c", "remoteAccess": {"ec2SshKey": "ops"}},
        True,
        note="ssh-key",
    ),
    # ---- S3 exposure ----
    PolicyCase(
        "s3-no-public-acl", BUCKET, {"bucket": "b", "acl": "private"}, False, note="private"
    ),
    PolicyCase("s3-no-public-acl", BUCKET_V2, {"acl": "public-read"}, True, note="public-read"),
    PolicyCase(
        "s3-no-public-acl",
        "aws:s3/bucketAclV2:BucketAclV2",
        {
            "bucket": "b",
            "accessControlPolicy": {
                "grants": [
                    {
                        "grantee": {
                            "type": "Group",
                            "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                        },
                        "permission": "READ",
                    }
                ],
                "owner": {"id": "o"},
            },
        },
        True,
        note="all-users-grant",
    ),
    PolicyCase(
        "s3-public-access-block",
        "",
        {},
        False,
        stack=bucket_stack(ALL_BLOCKED),
        note="linked-by-dependency",
    ),
    PolicyCase(
        "s3-public-access-block",
        "",
        {},
        False,
        stack=bucket_stack(ALL_BLOCKED, link="name"),
        note="linked-by-name",
    ),
    PolicyCase("s3-public-access-block", "", {}, True, stack=bucket_stack(None), note="missing"),
    PolicyCase(
        "s3-public-access-block",
        "",
        {},
        True,
        stack=bucket_stack({**ALL_BLOCKED, "restrictPublicBuckets": False}),
        note="one-flag-false",
    ),
    PolicyCase(
        "s3-public-access-block",
        "",
        {},
        False,
        stack=[
            *bucket_stack(None),
            {
                "type": "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
                "name": "account",
                "props": dict(ALL_BLOCKED),
            },
        ],
        note="account-wide",
    ),
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
    # ---- Istio / Kubernetes ----
    PolicyCase(
        "istio-peer-auth-strict",
        PEER_AUTH,
        {"metadata": {"namespace": "payments"}, "spec": {"mtls": {"mode": "STRICT"}}},
        False,
        note="strict",
    ),
    PolicyCase(
        "istio-peer-auth-strict",
        PEER_AUTH,
        {"metadata": {"namespace": "payments"}, "spec": {"mtls": {"mode": "PERMISSIVE"}}},
        True,
        note="permissive",
    ),
    PolicyCase(
        "istio-peer-auth-strict",
        "kubernetes:security.istio.io/v1beta1:PeerAuthentication",
        {
            "spec": {
                "selector": {"matchLabels": {"app": "legacy"}},
                "portLevelMtls": {"8080": {"mode": "DISABLE"}},
            }
        },
        True,
        note="port-disable-v1beta1",
    ),
    PolicyCase(
        "istio-authz-no-allow-all",
        AUTHZ,
        {"spec": {"action": "ALLOW", "rules": [{}]}},
        True,
        note="empty-rule",
    ),
    PolicyCase(
        "istio-authz-no-allow-all",
        AUTHZ,
        {
            "spec": {
                "action": "ALLOW",
                "rules": [
                    {
                        "from": [{"source": {"principals": ["cluster.local/ns/web/sa/web"]}}],
                        "to": [{"operation": {"methods": ["GET"]}}],
                    }
                ],
            }
        },
        False,
        note="scoped-rule",
    ),
    PolicyCase("istio-authz-no-allow-all", AUTHZ, {"spec": {}}, False, note="deny-all-empty-spec"),
    PolicyCase(
        "istio-mesh-strict-mtls", "", {}, False, stack=mesh_stack(), note="strict-mesh-wide"
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=mesh_stack(mode="PERMISSIVE"),
        note="permissive",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=mesh_stack(selector=True),
        note="workload-selector-only",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=mesh_stack(namespace="payments"),
        note="not-root-namespace",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=[{"type": EKS, "name": "eks", "props": {"name": "meridian"}}],
        note="no-peer-authentication",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        True,
        stack=two_cluster_stack(cover_second=False),
        note="second-cluster-uncovered",
    ),
    PolicyCase(
        "istio-mesh-strict-mtls",
        "",
        {},
        False,
        stack=two_cluster_stack(cover_second=True),
        note="both-clusters-covered",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        False,
        stack=[namespace("payments"), authz("payments", {})],
        note="empty-spec",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        False,
        stack=[namespace("payments"), authz("payments", {"action": "ALLOW"}, link=True)],
        note="allow-no-rules-linked-by-dependency",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        True,
        stack=[namespace("payments")],
        note="missing",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        True,
        stack=[
            namespace("payments"),
            authz("payments", {"selector": {"matchLabels": {"app": "web"}}}),
        ],
        note="selector-not-namespace-wide",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        True,
        stack=[namespace("payments"), namespace("orders"), authz("payments", {})],
        note="second-namespace-uncovered",
    ),
    PolicyCase(
        "namespace-default-deny-authz",
        "",
        {},
        False,
        stack=[namespace("kube-system"), namespace("istio-system")],
        note="system-namespaces",
    ),
    PolicyCase(
        "namespace-default-deny-netpol",
        "",
        {},
        False,
        stack=[namespace("payments"), netpol("payments", DENY_ALL_NETPOL)],
        note="deny-all",
    ),
    PolicyCase(
        "namespace-default-deny-netpol",
        "",
        {},
        True,
        stack=[
            namespace("payments"),
            netpol("payments", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        ],
        note="ingress-only",
    ),
    PolicyCase(
        "namespace-default-deny-netpol",
        "",
        {},
        True,
        stack=[
            namespace("payments"),
            netpol(
                "payments",
                {**DENY_ALL_NETPOL, "ingress": [{"from": [{"podSelector": {}}]}]},
            ),
        ],
        note="has-allow-rule",
    ),
    PolicyCase(
        "namespace-default-deny-netpol",
        "",
        {},
        True,
        stack=[namespace("payments"), netpol("orders", DENY_ALL_NETPOL)],
        note="other-namespace",
    ),
]
