"""Table cases for ``policies/zero_trust_network.py``: security groups (edge tag exposure=edge
on port 443, Cloudflare ranges allowlisted), NACLs, databases, brokers, caches, search, S3.

Engine camelCase inputs (pulumi-aws 7; pulumi-kubernetes 4 objects and CustomResources as
apiVersion/kind/metadata/spec), evaluated with policies/config/prod.json.
"""

from __future__ import annotations

import json
from typing import Any

from policies.type_tokens import (
    DEFAULT_SECURITY_GROUP,
    MSK_CLUSTER,
    NETWORK_ACL,
    NETWORK_ACL_RULE,
    RDS_PROXY,
    RDS_PROXY_ENDPOINT,
    S3_BUCKET,
    S3_BUCKET_V2,
    S3_PUBLIC_ACCESS_BLOCK,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SUBNET,
    VPC_EGRESS_RULE,
    VPC_ENDPOINT,
    VPC_INGRESS_RULE,
)
from tests.policies.cases_common import UNKNOWN, PolicyCase

EDGE_TAGS = {"exposure": "edge", "owner": "platform"}
WORLD = "0.0.0.0/0"
CLOUDFLARE = "173.245.48.0/20"


def ingress(cidrs: list[str], port: int = 443, protocol: str = "tcp", v6: bool = False) -> dict:
    key = "ipv6CidrBlocks" if v6 else "cidrBlocks"
    return {"protocol": protocol, "fromPort": port, "toPort": port, key: cidrs}


def sg(*rules: dict[str, Any], tags: dict[str, str] | None = None) -> dict[str, Any]:
    return {"vpcId": "vpc-1", "ingress": list(rules), "egress": [], "tags": tags or {}}


def rule_stack(
    rule_type: str, rule_props: dict[str, Any], group_tags: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    return [
        {"type": SECURITY_GROUP, "name": "alb-sg", "props": sg(tags=group_tags)},
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
        {"type": S3_BUCKET, "name": "lake", "props": {"bucket": "meridian-lake"}}
    ]
    if flags is not None:
        block: dict[str, Any] = {
            "type": S3_PUBLIC_ACCESS_BLOCK,
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


BUCKET_OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"


def proxy_stack(
    tier: str, groups: list[str] | None, kind: str = RDS_PROXY_ENDPOINT
) -> list[dict[str, Any]]:
    """A proxy (endpoint) in two subnets of one tier, as the planned secondary region has it."""
    subnets = [
        {
            "type": SUBNET,
            "name": f"network-{tier}-{i}",
            "props": {
                "vpcId": "vpc-1",
                "cidrBlock": f"10.0.{i * 16}.0/20",
                "tags": {"meridian:tier": tier},
            },
        }
        for i in range(2)
    ]
    props: dict[str, Any] = (
        {
            "dbProxyName": "meridian-prod-usw2-aurora-proxy",
            "dbProxyEndpointName": "meridian-prod-usw2-aurora-proxy-ro",
            "targetRole": "READ_ONLY",
        }
        if kind == RDS_PROXY_ENDPOINT
        else {"name": "meridian-prod-usw2-aurora-proxy", "engineFamily": "POSTGRESQL"}
    )
    props["vpcSubnetIds"] = [UNKNOWN, UNKNOWN]
    if groups is not None:
        props["vpcSecurityGroupIds"] = groups
    proxy = {
        "type": kind,
        "name": "aurora-proxy-reader",
        "props": props,
        "propertyDependencies": {"vpcSubnetIds": [s["name"] for s in subnets]},
        "dependencies": [s["name"] for s in subnets],
    }
    return [*subnets, proxy]


CASES: list[PolicyCase] = [
    # ---- sg-no-public-ingress (inline ingress) ----
    PolicyCase(
        "sg-no-public-ingress", SECURITY_GROUP, sg(ingress(["10.0.0.0/8"])), False, note="private"
    ),
    PolicyCase(
        "sg-no-public-ingress", SECURITY_GROUP, sg(ingress([WORLD], 22)), True, note="ssh-world"
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        sg(ingress(["::/0"], v6=True)),
        True,
        note="ipv6-world",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        sg(ingress([WORLD]), tags=EDGE_TAGS),
        True,
        note="edge-443-world-bypasses-the-cdn",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        sg(ingress([WORLD], 80), tags=EDGE_TAGS),
        True,
        note="edge-but-port-80",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        sg(ingress([WORLD], protocol="-1")),
        True,
        note="all-protocols",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        sg(ingress([CLOUDFLARE])),
        True,
        note="cdn-range-on-a-group-not-tagged-edge",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        sg(ingress(["8.8.8.0/24"])),
        True,
        note="other-public-range",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        sg(ingress([UNKNOWN]), ingress([WORLD], 3306)),
        True,
        note="unknown-rule-does-not-hide-world-rule",
    ),
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        {**sg(ingress([CLOUDFLARE])), "tags": UNKNOWN},
        False,
        note="tags-unknown-cdn-443",
    ),
    # ---- sg-rule-no-public-ingress (stack: rules tied to their group) ----
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        True,
        stack=rule_stack(SECURITY_GROUP_RULE, sg_rule([WORLD])),
        note="rule-world",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        False,
        stack=rule_stack(SECURITY_GROUP_RULE, sg_rule([CLOUDFLARE]), group_tags=EDGE_TAGS),
        note="cdn-rule-on-edge-group",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        False,
        stack=rule_stack(SECURITY_GROUP_RULE, sg_rule([WORLD], kind="egress")),
        note="egress-rule",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        True,
        stack=rule_stack(VPC_INGRESS_RULE, vpc_rule(WORLD, 5432)),
        note="vpc-rule-world",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        False,
        stack=rule_stack(VPC_INGRESS_RULE, vpc_rule(CLOUDFLARE, tags={"exposure": "edge"})),
        note="vpc-cdn-rule-tagged-edge",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        True,
        stack=rule_stack(VPC_INGRESS_RULE, vpc_rule("104.16.0.0/13")),
        note="vpc-cdn-rule-on-a-group-not-tagged-edge",
    ),
    # ---- data-subnet-nacl-no-allow-all ----
    PolicyCase(
        "data-subnet-nacl-no-allow-all",
        "",
        {},
        True,
        stack=[
            {
                "type": NETWORK_ACL,
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
                "type": NETWORK_ACL,
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
            {
                "type": NETWORK_ACL,
                "name": "data-nacl",
                "props": {"vpcId": "v", "tags": {"tier": "data"}},
            },
            {
                "type": NETWORK_ACL_RULE,
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
            {
                "type": NETWORK_ACL,
                "name": "data-nacl",
                "props": {"vpcId": "v", "tags": {"tier": "data"}},
            },
            {
                "type": NETWORK_ACL_RULE,
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
        MSK_CLUSTER,
        {"brokerNodeGroupInfo": {"connectivityInfo": {"publicAccess": {"type": "DISABLED"}}}},
        False,
        note="disabled",
    ),
    PolicyCase(
        "msk-no-public-access",
        MSK_CLUSTER,
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
        MSK_CLUSTER,
        {"clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False}},
        False,
        note="iam",
    ),
    PolicyCase(
        "msk-iam-authentication",
        MSK_CLUSTER,
        {"clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": True}},
        True,
        note="iam-plus-unauthenticated",
    ),
    PolicyCase("msk-iam-authentication", MSK_CLUSTER, {"kafkaVersion": "3.6.0"}, True, note="none"),
    PolicyCase(
        "msk-iam-authentication",
        MSK_CLUSTER,
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
    # ---- S3 exposure ----
    PolicyCase(
        "s3-no-public-acl", S3_BUCKET, {"bucket": "b", "acl": "private"}, False, note="private"
    ),
    PolicyCase("s3-no-public-acl", S3_BUCKET_V2, {"acl": "public-read"}, True, note="public-read"),
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
]

# ---- the ingress NLB behind Cloudflare: only the CDN's ranges, only on 443 ----
CLOUDFLARE_V6 = "2606:4700::/32"
NLB_SG = {
    **sg(ingress([CLOUDFLARE, "104.16.0.0/13"]), ingress([CLOUDFLARE_V6], v6=True)),
    "tags": {"Name": "meridian-ingress-nlb", "exposure": "edge"},
}
CASES += [
    PolicyCase("sg-no-public-ingress", SECURITY_GROUP, NLB_SG, False, note="nlb-cdn-ranges-443"),
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        {**NLB_SG, "ingress": [*NLB_SG["ingress"], ingress(["8.8.8.0/24"])]},
        True,
        note="nlb-non-cdn-range",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        True,
        stack=rule_stack(SECURITY_GROUP_RULE, sg_rule([WORLD]), group_tags=EDGE_TAGS),
        note="world-rule-on-edge-group",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        True,
        stack=rule_stack(VPC_INGRESS_RULE, vpc_rule(CLOUDFLARE, 22), group_tags=EDGE_TAGS),
        note="cdn-range-on-ssh-of-edge-group",
    ),
    # --- sg-no-plain-http-ingress -----------------------------------------------------------
    PolicyCase(
        "sg-no-plain-http-ingress",
        SECURITY_GROUP,
        sg(ingress([WORLD], 80), tags=EDGE_TAGS),
        True,
        note="inline-80-from-world-on-edge",
    ),
    PolicyCase(
        "sg-no-plain-http-ingress",
        SECURITY_GROUP,
        sg(ingress(["::/0"], 80, v6=True)),
        True,
        note="inline-80-from-world-v6",
    ),
    PolicyCase(
        "sg-no-plain-http-ingress",
        SECURITY_GROUP,
        sg(ingress([CLOUDFLARE], 80), tags=EDGE_TAGS),
        True,
        note="inline-80-from-cdn-range",
    ),
    PolicyCase(
        "sg-no-plain-http-ingress",
        SECURITY_GROUP,
        sg({"protocol": "tcp", "fromPort": 0, "toPort": 1024, "cidrBlocks": [WORLD]}),
        True,
        note="range-covers-80",
    ),
    PolicyCase(
        "sg-no-plain-http-ingress",
        SECURITY_GROUP,
        sg(ingress([CLOUDFLARE], 443), ingress(["10.0.0.0/16"], 80), tags=EDGE_TAGS),
        False,
        note="https-from-cdn-http-private",
    ),
    PolicyCase(
        "sg-no-plain-http-ingress",
        SECURITY_GROUP_RULE,
        {
            "type": "ingress",
            "securityGroupId": "sg-1",
            "protocol": "tcp",
            "fromPort": 80,
            "toPort": 80,
            "cidrBlocks": [WORLD],
        },
        True,
        note="rule-80-from-world",
    ),
    PolicyCase(
        "sg-no-plain-http-ingress",
        SECURITY_GROUP_RULE,
        {
            "type": "egress",
            "securityGroupId": "sg-1",
            "protocol": "tcp",
            "fromPort": 80,
            "toPort": 80,
            "cidrBlocks": ["169.254.170.23/32"],
            "description": "EKS Pod Identity agent",
        },
        False,
        note="pod-identity-agent-egress",
    ),
    PolicyCase(
        "sg-no-plain-http-ingress",
        VPC_INGRESS_RULE,
        {
            "securityGroupId": "sg-1",
            "ipProtocol": "tcp",
            "fromPort": 80,
            "toPort": 80,
            "cidrIpv4": WORLD,
        },
        True,
        note="vpc-rule-80-from-world",
    ),
    PolicyCase(
        "sg-no-plain-http-ingress",
        VPC_INGRESS_RULE,
        {"securityGroupId": "sg-1", "ipProtocol": "-1", "cidrIpv6": "::/0"},
        True,
        note="vpc-rule-all-protocols",
    ),
    PolicyCase(
        "sg-no-plain-http-ingress",
        VPC_INGRESS_RULE,
        {
            "securityGroupId": "sg-1",
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrIpv4": CLOUDFLARE,
        },
        False,
        note="vpc-rule-https",
    ),
    # --- sg-rule-description -----------------------------------------------------------------
    PolicyCase(
        "sg-rule-description",
        SECURITY_GROUP,
        {
            "vpcId": "vpc-1",
            "ingress": [{**ingress(["10.0.0.0/16"]), "description": "HTTPS from the VPC"}],
            "egress": [
                {
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrBlocks": ["10.0.0.0/16"],
                    "description": "HTTPS to the endpoints",
                }
            ],
        },
        False,
    ),
    PolicyCase(
        "sg-rule-description",
        SECURITY_GROUP,
        {
            "vpcId": "vpc-1",
            "ingress": [{**ingress(["10.0.0.0/16"]), "description": "HTTPS from the VPC"}],
            "egress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}
            ],
        },
        True,
        note="inline-egress-undescribed",
    ),
    PolicyCase(
        "sg-rule-description",
        SECURITY_GROUP_RULE,
        {
            "type": "ingress",
            "securityGroupId": "sg-1",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "sourceSecurityGroupId": "sg-2",
            "description": "HTTPS from the gateway",
        },
        False,
        note="rule-described",
    ),
    PolicyCase(
        "sg-rule-description",
        SECURITY_GROUP_RULE,
        {
            "type": "ingress",
            "securityGroupId": "sg-1",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "sourceSecurityGroupId": "sg-2",
            "description": " ",
        },
        True,
        note="rule-blank",
    ),
    PolicyCase(
        "sg-rule-description",
        VPC_INGRESS_RULE,
        {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        True,
        note="vpc-ingress-undescribed",
    ),
    PolicyCase(
        "sg-rule-description",
        VPC_EGRESS_RULE,
        {
            "securityGroupId": "sg-1",
            "ipProtocol": "tcp",
            "fromPort": 80,
            "toPort": 80,
            "cidrIpv4": "169.254.170.23/32",
            "description": "EKS Pod Identity agent",
        },
        False,
        note="vpc-egress-described",
    ),
    PolicyCase(
        "sg-rule-description",
        VPC_EGRESS_RULE,
        {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        True,
        note="vpc-egress-undescribed",
    ),
    # --- subnet-public-ip-public-tier-only ---------------------------------------------------
    PolicyCase(
        "subnet-public-ip-public-tier-only",
        SUBNET,
        {
            "vpcId": "vpc-1",
            "cidrBlock": "10.0.0.0/24",
            "mapPublicIpOnLaunch": True,
            "tags": {"meridian:tier": "public"},
        },
        False,
        note="public-tier",
    ),
    PolicyCase(
        "subnet-public-ip-public-tier-only",
        SUBNET,
        {
            "vpcId": "vpc-1",
            "cidrBlock": "10.0.32.0/19",
            "mapPublicIpOnLaunch": False,
            "tags": {"meridian:tier": "private"},
        },
        False,
        note="private-no-public-ip",
    ),
    PolicyCase(
        "subnet-public-ip-public-tier-only",
        SUBNET,
        {
            "vpcId": "vpc-1",
            "cidrBlock": "10.0.32.0/19",
            "mapPublicIpOnLaunch": True,
            "tags": {"meridian:tier": "private"},
        },
        True,
        note="private-tier",
    ),
    PolicyCase(
        "subnet-public-ip-public-tier-only",
        SUBNET,
        {"vpcId": "vpc-1", "cidrBlock": "10.0.64.0/21", "mapPublicIpOnLaunch": True},
        True,
        note="untagged",
    ),
    # ---- default-sg-no-rules ----
    PolicyCase(
        "default-sg-no-rules",
        DEFAULT_SECURITY_GROUP,
        {"egress": [], "ingress": [], "vpcId": "vpc-0abc"},
        False,
        note="empty",
    ),
    PolicyCase(
        "default-sg-no-rules",
        DEFAULT_SECURITY_GROUP,
        {"vpcId": "vpc-0abc"},
        False,
        note="rules-unset",
    ),
    PolicyCase(
        "default-sg-no-rules",
        DEFAULT_SECURITY_GROUP,
        {
            "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
            "ingress": [],
            "vpcId": "vpc-0abc",
        },
        True,
        note="aws-default-egress",
    ),
    PolicyCase(
        "default-sg-no-rules",
        DEFAULT_SECURITY_GROUP,
        {
            "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}],
            "vpcId": "vpc-0abc",
        },
        True,
        note="aws-default-self-ingress",
    ),
    # ---- s3-bucket-owner-enforced ----
    PolicyCase(
        "s3-bucket-owner-enforced",
        BUCKET_OWNERSHIP,
        {"bucket": "meridian-prod-use1-logs", "rule": {"objectOwnership": "BucketOwnerEnforced"}},
        False,
        note="enforced",
    ),
    PolicyCase(
        "s3-bucket-owner-enforced",
        BUCKET_OWNERSHIP,
        {"bucket": "meridian-prod-use1-logs", "rule": {"objectOwnership": "ObjectWriter"}},
        True,
        note="object-writer",
    ),
    # --- rds-proxy-private-placement -------------------------------------------------------
    PolicyCase(
        "rds-proxy-private-placement",
        "",
        {},
        False,
        stack=proxy_stack("data", ["sg-0a1b2c3d"]),
        note="endpoint-data-subnets-own-group",
    ),
    PolicyCase(
        "rds-proxy-private-placement",
        "",
        {},
        False,
        stack=proxy_stack("data", [UNKNOWN]),
        note="endpoint-group-created-in-the-same-update",
    ),
    PolicyCase(
        "rds-proxy-private-placement",
        "",
        {},
        True,
        stack=proxy_stack("data", None),
        note="endpoint-default-security-group",
    ),
    PolicyCase(
        "rds-proxy-private-placement",
        "",
        {},
        True,
        stack=proxy_stack("public", ["sg-0a1b2c3d"]),
        note="endpoint-public-subnets",
    ),
    PolicyCase(
        "rds-proxy-private-placement",
        "",
        {},
        False,
        stack=proxy_stack("data", ["sg-0a1b2c3d"], kind=RDS_PROXY),
        note="proxy-data-subnets-own-group",
    ),
    PolicyCase(
        "rds-proxy-private-placement",
        "",
        {},
        True,
        stack=proxy_stack("public", ["sg-0a1b2c3d"], kind=RDS_PROXY),
        note="proxy-public-subnets",
    ),
]

# ---- vpc-endpoint-private ----
_STS_ENDPOINT: dict[str, Any] = {
    "vpcId": "vpc-1",
    "serviceName": "com.amazonaws.eu-west-1.sts",
    "vpcEndpointType": "Interface",
    "privateDnsEnabled": True,
    "subnetIds": ["subnet-1", "subnet-2"],
    "securityGroupIds": ["sg-1"],
}
_S3_GATEWAY: dict[str, Any] = {
    "vpcId": "vpc-1",
    "serviceName": "com.amazonaws.eu-west-1.s3",
    "vpcEndpointType": "Gateway",
    "routeTableIds": ["rtb-1"],
}


def _endpoint_policy(condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


CASES += [
    PolicyCase("vpc-endpoint-private", VPC_ENDPOINT, _STS_ENDPOINT, False, note="interface"),
    PolicyCase("vpc-endpoint-private", VPC_ENDPOINT, _S3_GATEWAY, False, note="gateway"),
    PolicyCase(
        "vpc-endpoint-private",
        VPC_ENDPOINT,
        {**_STS_ENDPOINT, "securityGroupIds": [UNKNOWN]},
        False,
        note="preview-unknown-group",
    ),
    PolicyCase(
        "vpc-endpoint-private",
        VPC_ENDPOINT,
        {k: v for k, v in _STS_ENDPOINT.items() if k != "privateDnsEnabled"},
        True,
        note="no-private-dns",
    ),
    PolicyCase(
        "vpc-endpoint-private",
        VPC_ENDPOINT,
        {k: v for k, v in _STS_ENDPOINT.items() if k != "securityGroupIds"},
        True,
        note="default-group",
    ),
    PolicyCase(
        "vpc-endpoint-private",
        VPC_ENDPOINT,
        {**_S3_GATEWAY, "policy": _endpoint_policy()},
        True,
        note="policy-any-principal",
    ),
    PolicyCase(
        "vpc-endpoint-private",
        VPC_ENDPOINT,
        {
            **_S3_GATEWAY,
            "policy": _endpoint_policy({"StringEquals": {"aws:PrincipalAccount": "123456789012"}}),
        },
        False,
        note="policy-own-account",
    ),
    PolicyCase(
        "vpc-endpoint-private",
        VPC_ENDPOINT,
        {**_S3_GATEWAY, "policy": _endpoint_policy({"Bool": {"aws:SecureTransport": "true"}})},
        True,
        note="policy-condition-not-restricting",
    ),
]

# partner networks on the edge group (the partner API's passthrough listener): admitted only when
# the pack config lists them in partnerCidrs, which prod ships empty (a configured pack:
# tests/policies/test_partner_networks_policy.py)
PARTNER = "81.2.69.0/24"
CASES += [
    PolicyCase(
        "sg-no-public-ingress",
        SECURITY_GROUP,
        sg(ingress([PARTNER], 8443), tags=EDGE_TAGS),
        True,
        note="partner-network-not-in-pack-config",
    ),
    PolicyCase(
        "sg-rule-no-public-ingress",
        "",
        {},
        True,
        stack=rule_stack(VPC_INGRESS_RULE, vpc_rule(PARTNER, 8443), group_tags=EDGE_TAGS),
        note="partner-network-not-in-pack-config",
    ),
]
