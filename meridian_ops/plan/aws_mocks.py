"""Mocks that behave like AWS, shared by the tests and the offline plan.

- Real availability-zone names and ids per region (moto's EC2 region data), one account id, ids and
  ARNs in AWS formats, and the computed outputs later layers read (EKS endpoint, OIDC issuer,
  cluster CA, load balancer DNS names, IPAM scopes, NAT addresses).
- AWS-side validation where it catches real mistakes, by moto: VPC and subnet CIDRs (range,
  conflicts), subnet availability zones, security group rules, IAM policy and trust documents,
  bucket names. A rejected request fails the plan with AWS's error code and the resource's name.
- Preview mode behaves like `pulumi preview` of a new stack: ids and computed outputs are unknown,
  invokes (caller identity, availability zones) still answer.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.rpc import UNKNOWN

from meridian_ops.plan.data_mocks import (  # DATA: RDS, Keyspaces, ElastiCache, DynamoDB, Backup
    DATA_OUTPUTS,
    data_resource_id,
    random_password,
)
from meridian_ops.plan.edge_mocks import (
    EDGE_OUTPUTS,
    edge_resource_id,
)  # EDGE: Cloudflare, CDN, DNS
from meridian_ops.plan.identity_mocks import (  # IDENTITY: Cognito user pools and clients
    IDENTITY_OUTPUTS,
    identity_resource_id,
)

# moto's EC2 backends otherwise load ~2,000 AMIs per region; the plan never reads them.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
DEPLOYER_ROLE = "MeridianDeployer"


class AwsRejectedError(Exception):
    """AWS (as emulated by moto) would reject this request."""


@dataclass
class ProviderRegistry:
    """Explicit providers of the running stack: provider reference -> provider inputs."""

    providers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def region_of(self, provider_ref: str | None, inputs: Mapping[str, Any]) -> str | None:
        explicit = inputs.get("region")
        if isinstance(explicit, str) and explicit:
            return explicit
        if not provider_ref:
            return None
        config = self.providers.get(provider_ref)
        region = config.get("region") if config else None
        return region if isinstance(region, str) else None


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


AWS_MANAGED_PREFIX_LISTS: dict[str, int] = {
    "com.amazonaws.global.cloudfront.origin-facing": 55,
    "com.amazonaws.global.ipv6.cloudfront.origin-facing": 55,
    "com.amazonaws.{region}.route53-healthchecks": 25,
    "com.amazonaws.{region}.ipv6.route53-healthchecks": 25,
    "com.amazonaws.{region}.s3": 1,
    "com.amazonaws.{region}.dynamodb": 1,
}
"""AWS-managed prefix lists by name and weight (the rules each counts against a security group's
quota), as the AWS VPC user guide lists them ("Available AWS-managed prefix lists")."""

SECURITY_GROUP_RULES_QUOTA = 60
"""Inbound (and outbound) rules per security group by default (Amazon VPC quotas)."""


def managed_prefix_list_weight(name: str, region: str) -> int | None:
    """The weight of the AWS-managed prefix list `name` in `region`, None if AWS has none."""
    for pattern, weight in AWS_MANAGED_PREFIX_LISTS.items():
        if pattern.format(region=region) == name:
            return weight
    return None


def managed_prefix_list_id(region: str, name: str) -> str:
    """The id the mocks give the AWS-managed prefix list `name` in `region`."""
    return f"pl-{_hex(region + name, 8)}"


def _public_ip(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return str(ipaddress.IPv4Address(bytes([3, digest[0] | 1, digest[1], max(digest[2], 1)])))


@dataclass
class _Ctx:
    type: str
    name: str
    inputs: dict[str, Any]
    region: str
    account: str
    seed: str

    def hex(self, length: int = 17) -> str:
        return _hex(self.seed, length)

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        where = self.region if region is None else region
        return f"arn:{PARTITION}:{service}:{where}:{self.account}:{resource}"


_EC2_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/vpcIpam:VpcIpam": "ipam",
    "aws:ec2/vpcIpamPool:VpcIpamPool": "ipam-pool",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/instance:Instance": "i",
    "aws:ebs/volume:Volume": "vol",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation": "vpc-cidr-assoc",
}


def _ec2_id(ctx: _Ctx) -> str:
    return f"{_EC2_PREFIXES[ctx.type]}-{ctx.hex()}"


def _outputs_vpc(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {
        "arn": ctx.arn("ec2", f"vpc/{rid}"),
        "ownerId": ctx.account,
        "defaultSecurityGroupId": f"sg-{_hex(rid + 'sg', 17)}",
        "defaultNetworkAclId": f"acl-{_hex(rid + 'acl', 17)}",
        "defaultRouteTableId": f"rtb-{_hex(rid + 'rtb', 17)}",
        "mainRouteTableId": f"rtb-{_hex(rid + 'rtb', 17)}",
        "dhcpOptionsId": f"dopt-{_hex(rid + 'dopt', 17)}",
    }


def _outputs_subnet(ctx: _Ctx, rid: str) -> dict[str, Any]:
    az = str(ctx.inputs.get("availabilityZone", ""))
    return {
        "arn": ctx.arn("ec2", f"subnet/{rid}"),
        "ownerId": ctx.account,
        "availabilityZoneId": zone_ids(ctx.region).get(az, ""),
    }


def _outputs_eip(ctx: _Ctx, rid: str) -> dict[str, Any]:
    ip = _public_ip(ctx.seed)
    return {
        "allocationId": rid,
        "publicIp": ip,
        "publicDns": f"ec2-{ip.replace('.', '-')}.{ctx.region}.compute.amazonaws.com",
        "arn": ctx.arn("ec2", f"elastic-ip/{rid}"),
    }


def _outputs_nat(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {
        "publicIp": _public_ip(str(ctx.inputs.get("allocationId", ctx.seed))),
        "privateIp": "10.255.0.10",
        "networkInterfaceId": f"eni-{ctx.hex()}",
    }


def _outputs_sg(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("ec2", f"security-group/{rid}"), "ownerId": ctx.account}


def _outputs_endpoint(ctx: _Ctx, rid: str) -> dict[str, Any]:
    service = str(ctx.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
    out: dict[str, Any] = {
        "arn": ctx.arn("ec2", f"vpc-endpoint/{rid}"),
        "ownerId": ctx.account,
        "state": "available",
    }
    if ctx.inputs.get("vpcEndpointType") == "Gateway":
        out["prefixListId"] = f"pl-{ctx.hex(8)}"
    else:
        out["dnsEntries"] = [
            {
                "dnsName": f"{rid}-{ctx.hex(8)}.{service}.{ctx.region}.vpce.amazonaws.com",
                "hostedZoneId": "Z7HUB22UULQXV",
            }
        ]
        out["networkInterfaceIds"] = [f"eni-{_hex(ctx.seed + str(i), 17)}" for i in range(3)]
    return out


def _outputs_ipam(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {
        "arn": f"arn:{PARTITION}:ec2::{ctx.account}:ipam/{rid}",
        "privateDefaultScopeId": f"ipam-scope-{_hex(rid + 'private', 17)}",
        "publicDefaultScopeId": f"ipam-scope-{_hex(rid + 'public', 17)}",
        "defaultResourceDiscoveryId": f"ipam-res-disco-{_hex(rid, 17)}",
        "scopeCount": 2,
    }


def _outputs_ipam_pool(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {
        "arn": f"arn:{PARTITION}:ec2::{ctx.account}:ipam-pool/{rid}",
        "ipamScopeType": "private",
        "poolDepth": 2 if ctx.inputs.get("sourceIpamPoolId") else 1,
        "state": "create-complete",
    }


def _outputs_kms_key(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("kms", f"key/{rid}"), "keyId": rid}


def _outputs_kms_alias(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {
        "arn": ctx.arn("kms", str(ctx.inputs.get("name", rid))),
        "targetKeyArn": ctx.arn("kms", f"key/{ctx.inputs.get('targetKeyId', '')}"),
    }


def _outputs_bucket(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {
        "arn": f"arn:{PARTITION}:s3:::{rid}",
        "bucketDomainName": f"{rid}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{rid}.s3.{ctx.region}.amazonaws.com",
        "hostedZoneId": "Z3AQBSTGFYJSTF",
        "region": ctx.region,
    }


def _outputs_iam_role(ctx: _Ctx, rid: str) -> dict[str, Any]:
    path = str(ctx.inputs.get("path", "/"))
    return {
        "arn": f"arn:{PARTITION}:iam::{ctx.account}:role{path}{rid}",
        "uniqueId": "AROA" + ctx.hex(17).upper(),
        "createDate": "2026-01-01T00:00:00Z",
    }


def _outputs_iam_policy(ctx: _Ctx, rid: str) -> dict[str, Any]:
    path = str(ctx.inputs.get("path", "/"))
    name = str(ctx.inputs.get("name", rid))
    return {
        "arn": f"arn:{PARTITION}:iam::{ctx.account}:policy{path}{name}",
        "policyId": "ANPA" + ctx.hex(17).upper(),
    }


def _outputs_eks_cluster(ctx: _Ctx, rid: str) -> dict[str, Any]:
    oidc = ctx.hex(32).upper()
    ca = base64.b64encode(f"-----BEGIN CERTIFICATE-----{ctx.hex(40)}".encode()).decode()
    return {
        "arn": ctx.arn("eks", f"cluster/{rid}"),
        "endpoint": f"https://{oidc}.gr7.{ctx.region}.eks.amazonaws.com",
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{oidc}"}]}
        ],
        "certificateAuthority": {"data": ca},
        "clusterId": f"{ctx.hex(8)}-{ctx.hex(4)}-{ctx.hex(4)}",
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        # merged into the vpcConfig input, as EKS reports it
        "vpcConfig": {
            "clusterSecurityGroupId": f"sg-{_hex(rid + 'cluster-sg', 17)}",
            "vpcId": f"vpc-{_hex(rid + 'vpc', 17)}",
        },
    }


# --- EKS and its neighbours (K8S-CORE) ------------------------------------------------------


def _outputs_oidc_provider(ctx: _Ctx, rid: str) -> dict[str, Any]:
    url = str(ctx.inputs.get("url", "")).removeprefix("https://")
    return {"arn": f"arn:{PARTITION}:iam::{ctx.account}:oidc-provider/{url}"}


def _outputs_log_group(ctx: _Ctx, rid: str) -> dict[str, Any]:
    name = str(ctx.inputs.get("name", rid))
    return {"arn": ctx.arn("logs", f"log-group:{name}")}


def _outputs_eks_addon(ctx: _Ctx, rid: str) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "")
    addon = ctx.inputs.get("addonName", "")
    return {
        "arn": ctx.arn("eks", f"addon/{cluster}/{addon}/{ctx.hex(8)}-{ctx.hex(4)}"),
        "createdAt": "2026-01-01T00:00:00Z",
        "modifiedAt": "2026-01-01T00:00:00Z",
    }


def _outputs_access_entry(ctx: _Ctx, rid: str) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "")
    arn = ctx.arn("eks", f"access-entry/{cluster}/role/{ctx.account}/{ctx.hex(12)}")
    return {"accessEntryArn": arn, "arn": arn, "userName": str(ctx.inputs.get("principalArn"))}


def _outputs_pod_identity_association(ctx: _Ctx, rid: str) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "")
    association = f"a-{ctx.hex(17)}"
    return {
        "associationArn": ctx.arn("eks", f"podidentityassociation/{cluster}/{association}"),
        "associationId": association,
    }


def _outputs_lb(ctx: _Ctx, rid: str) -> dict[str, Any]:
    kind = "net" if ctx.inputs.get("loadBalancerType") == "network" else "app"
    name = str(ctx.inputs.get("name", rid))[:32]
    suffix = f"{kind}/{name}/{ctx.hex(16)}"
    internal = ctx.inputs.get("internal") is True
    return {
        "arn": ctx.arn("elasticloadbalancing", f"loadbalancer/{suffix}"),
        "arnSuffix": suffix,
        "dnsName": f"{'internal-' if internal else ''}{name}-{ctx.hex(10)}.{ctx.region}"
        ".elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
    }


# --- Kubernetes (MESH): Helm release status, and the gateway Service the LB controller fronts --


def _outputs_helm_release(ctx: _Ctx, rid: str) -> dict[str, Any]:
    """What the Helm provider reports once a release is deployed."""
    return {
        "status": {
            "name": ctx.inputs.get("name", rid),
            "namespace": ctx.inputs.get("namespace", "default"),
            "chart": ctx.inputs.get("chart", ""),
            "version": ctx.inputs.get("version", ""),
            "appVersion": ctx.inputs.get("version", ""),
            "revision": 1,
            "status": "deployed",
        }
    }


def _read_kubernetes_service(ctx: _Ctx, rid: str) -> dict[str, Any]:
    """A LoadBalancer Service read back after the AWS Load Balancer Controller made its NLB:
    the hostname in the controller's format, k8s-<namespace>-<name>-<hash>.elb.<region>..."""
    namespace, _, name = rid.partition("/")
    short = [re.sub(r"[^A-Za-z0-9]", "", part)[:8] for part in (namespace, name)]
    lb = f"k8s-{short[0]}-{short[1]}-{ctx.hex(10)}"
    hostname = f"{lb}-{_hex(ctx.seed + '/dns', 16)}.elb.{ctx.region}.amazonaws.com"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"type": "LoadBalancer"},
        "status": {"loadBalancer": {"ingress": [{"hostname": hostname}]}},
    }


# --- Streaming and the lakehouse (STREAMING): MSK, SQS, SNS, Glue, Firehose ARNs and endpoints --


def _kafka_uuid(ctx: _Ctx) -> str:
    h = ctx.hex(32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}-3"


_MSK_BROKERS: dict[str, list[str]] = {}
"""Cluster ARN -> every broker's DNS name, for getBrokerNodes (deterministic per resource)."""


def _outputs_msk_cluster(ctx: _Ctx, rid: str) -> dict[str, Any]:
    """ARN cluster/<name>/<uuid>, IAM bootstrap brokers on 9098 (and 14001 for multi-VPC); every
    broker's name is kept for getBrokerNodes (MSK's ListNodes)."""
    name = str(ctx.inputs.get("clusterName", rid))
    brokers = int(ctx.inputs.get("numberOfBrokerNodes", 3) or 3)
    every = [
        f"b-{i}.{name[:40]}.{ctx.hex(6)}.c{1 + i % 3}.kafka.{ctx.region}.amazonaws.com"
        for i in range(1, brokers + 1)
    ]
    hosts = every[:3]
    arn = ctx.arn("kafka", f"cluster/{name}/{_kafka_uuid(ctx)}")
    _MSK_BROKERS[arn] = every
    return {
        "arn": arn,
        "bootstrapBrokersSaslIam": ",".join(f"{h}:9098" for h in hosts),
        "bootstrapBrokersVpcConnectivitySaslIam": ",".join(f"{h}:14001" for h in hosts),
        "clusterUuid": _kafka_uuid(ctx),
        "currentVersion": "K" + ctx.hex(13).upper(),
        "zookeeperConnectString": "",
    }


def _outputs_msk_configuration(ctx: _Ctx, rid: str) -> dict[str, Any]:
    name = str(ctx.inputs.get("name", rid))
    return {
        "arn": ctx.arn("kafka", f"configuration/{name}/{_kafka_uuid(ctx)}"),
        "latestRevision": 1,
    }


def _outputs_msk_replicator(ctx: _Ctx, rid: str) -> dict[str, Any]:
    name = str(ctx.inputs.get("replicatorName", rid))
    return {"arn": ctx.arn("kafka", f"replicator/{name}/{_kafka_uuid(ctx)}")}


def _outputs_msk_topic(ctx: _Ctx, rid: str) -> dict[str, Any]:
    cluster = str(ctx.inputs.get("clusterArn", ""))
    return {"arn": cluster.replace(":cluster/", ":topic/", 1) + f"/{ctx.inputs.get('name', rid)}"}


def _outputs_sqs_queue(ctx: _Ctx, rid: str) -> dict[str, Any]:
    name = str(ctx.inputs.get("name", rid))
    return {
        "arn": ctx.arn("sqs", name),
        "url": f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account}/{name}",
    }


def _outputs_sns_topic(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("sns", str(ctx.inputs.get("name", rid))), "owner": ctx.account}


# BASELINE: the managed Prometheus workspace (its endpoint names the workspace id) and the trail
def _outputs_amp_workspace(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {
        "arn": ctx.arn("aps", f"workspace/{rid}"),
        "prometheusEndpoint": f"https://aps-workspaces.{ctx.region}.amazonaws.com/workspaces/{rid}/",
    }


def _outputs_grafana_workspace(ctx: _Ctx, rid: str) -> dict[str, Any]:
    workspace = f"g-{ctx.hex(10)}"
    return {
        "arn": ctx.arn("grafana", f"/workspaces/{workspace}"),
        "endpoint": f"{workspace}.grafana-workspace.{ctx.region}.amazonaws.com",
    }


def _outputs_grafana_service_account(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {"serviceAccountId": str(int(ctx.hex(6), 16))}


def _outputs_grafana_token(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {"key": f"glsa_{ctx.hex(32)}", "serviceAccountTokenId": str(int(ctx.hex(6), 16))}


def _pem(kind: str, ctx: _Ctx) -> str:
    """A PEM-shaped stand-in: what a real certificate or key output looks like to a consumer."""
    return f"-----BEGIN {kind}-----\n{ctx.hex(48)}\n-----END {kind}-----\n"


def _outputs_pca_certificate(ctx: _Ctx, rid: str) -> dict[str, Any]:
    ca = str(ctx.inputs.get("certificateAuthorityArn", ""))
    return {
        "arn": f"{ca}/certificate/{ctx.hex(32)}",
        "certificate": _pem("CERTIFICATE", ctx),
        "certificateChain": "",
    }


def _outputs_tls_private_key(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {
        "privateKeyPem": _pem("PRIVATE KEY", ctx),
        "publicKeyPem": _pem("PUBLIC KEY", ctx),
    }


def _outputs_tls_certificate(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {"certPem": _pem("CERTIFICATE", ctx)}


def _outputs_tls_cert_request(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {"certRequestPem": _pem("CERTIFICATE REQUEST", ctx)}


def _outputs_cloudtrail(ctx: _Ctx, rid: str) -> dict[str, Any]:
    name = str(ctx.inputs.get("name", rid))
    return {"arn": ctx.arn("cloudtrail", f"trail/{name}"), "homeRegion": ctx.region}


def _outputs_glue_registry(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("glue", f"registry/{ctx.inputs.get('registryName', rid)}")}


def _outputs_firehose(ctx: _Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("firehose", f"deliverystream/{ctx.inputs.get('name', rid)}")}


def _outputs_mskconnect(kind: str) -> Callable[[_Ctx, str], dict[str, Any]]:
    """MSK Connect ARNs, kafkaconnect:<region>:<account>:<kind>/<name>/<uuid>, at revision 1."""

    def outputs(ctx: _Ctx, rid: str) -> dict[str, Any]:
        name = str(ctx.inputs.get("name", rid))
        return {
            "arn": ctx.arn("kafkaconnect", f"{kind}/{name}/{_kafka_uuid(ctx)}"),
            "latestRevision": 1,
        }

    return outputs


def _outputs_bucket_object(ctx: _Ctx, rid: str) -> dict[str, Any]:
    """A versioned bucket's object: its version id."""
    return {"versionId": ctx.hex(32), "etag": ctx.hex(32)}


STREAMING_OUTPUTS: dict[str, Callable[[_Ctx, str], dict[str, Any]]] = {
    "aws:mskconnect/customPlugin:CustomPlugin": _outputs_mskconnect("custom-plugin"),
    "aws:mskconnect/workerConfiguration:WorkerConfiguration": _outputs_mskconnect(
        "worker-configuration"
    ),
    "aws:mskconnect/connector:Connector": _outputs_mskconnect("connector"),
    "aws:s3/bucketObjectv2:BucketObjectv2": _outputs_bucket_object,
    "aws:msk/cluster:Cluster": _outputs_msk_cluster,
    "aws:msk/configuration:Configuration": _outputs_msk_configuration,
    "aws:msk/replicator:Replicator": _outputs_msk_replicator,
    "aws:msk/topic:Topic": _outputs_msk_topic,
    "aws:sqs/queue:Queue": _outputs_sqs_queue,
    "aws:sns/topic:Topic": _outputs_sns_topic,
    "aws:glue/registry:Registry": _outputs_glue_registry,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": _outputs_firehose,
}


_READS: dict[str, Callable[[_Ctx, str], dict[str, Any]]] = {
    "kubernetes:core/v1:Service": _read_kubernetes_service,
    # the edge zone the global stack hosts, read by the edge stack by its id
    "aws:route53/zone:Zone": lambda ctx, rid: EDGE_OUTPUTS["aws:route53/zone:Zone"](ctx, rid),
}
"""Answers for `Resource.get` reads, by type: the object as the cluster would return it."""


def _outputs_launch_template(ctx: _Ctx, rid: str) -> dict[str, Any]:
    # K8S-NODES: a new launch template is at version 1 (node groups pin latestVersion).
    return {"latestVersion": 1, "defaultVersion": 1}


_OUTPUTS: dict[str, Callable[[_Ctx, str], dict[str, Any]]] = {
    "aws:ec2/vpc:Vpc": _outputs_vpc,
    "aws:ec2/subnet:Subnet": _outputs_subnet,
    "aws:ec2/eip:Eip": _outputs_eip,
    "aws:ec2/natGateway:NatGateway": _outputs_nat,
    "aws:ec2/securityGroup:SecurityGroup": _outputs_sg,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _outputs_sg,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _outputs_endpoint,
    "aws:ec2/vpcIpam:VpcIpam": _outputs_ipam,
    "aws:ec2/vpcIpamPool:VpcIpamPool": _outputs_ipam_pool,
    "aws:kms/key:Key": _outputs_kms_key,
    "aws:kms/alias:Alias": _outputs_kms_alias,
    "aws:s3/bucket:Bucket": _outputs_bucket,
    "aws:iam/role:Role": _outputs_iam_role,
    "aws:iam/policy:Policy": _outputs_iam_policy,
    "aws:eks/cluster:Cluster": _outputs_eks_cluster,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _outputs_oidc_provider,
    "aws:cloudwatch/logGroup:LogGroup": _outputs_log_group,
    "aws:eks/addon:Addon": _outputs_eks_addon,
    "aws:eks/accessEntry:AccessEntry": _outputs_access_entry,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _outputs_pod_identity_association,
    "aws:lb/loadBalancer:LoadBalancer": _outputs_lb,
    "kubernetes:helm.sh/v3:Release": _outputs_helm_release,
    "aws:ec2/launchTemplate:LaunchTemplate": _outputs_launch_template,  # K8S-NODES
    "aws:amp/workspace:Workspace": _outputs_amp_workspace,  # BASELINE
    "aws:cloudtrail/trail:Trail": _outputs_cloudtrail,  # BASELINE
    "aws:grafana/workspace:Workspace": _outputs_grafana_workspace,  # BASELINE
    "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount": (  # BASELINE
        _outputs_grafana_service_account
    ),
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken": (  # BASELINE
        _outputs_grafana_token
    ),
    "aws:acmpca/certificate:Certificate": _outputs_pca_certificate,
    "tls:index/privateKey:PrivateKey": _outputs_tls_private_key,
    "tls:index/selfSignedCert:SelfSignedCert": _outputs_tls_certificate,
    "tls:index/certRequest:CertRequest": _outputs_tls_cert_request,
    **EDGE_OUTPUTS,  # EDGE: CloudFront, WAFv2, Route 53, ACM (meridian_ops/plan/edge_mocks.py)
    **IDENTITY_OUTPUTS,  # IDENTITY: Cognito (meridian_ops/plan/identity_mocks.py)
    **STREAMING_OUTPUTS,  # STREAMING: MSK, SQS, SNS, Glue registry, Firehose
    **DATA_OUTPUTS,  # DATA: RDS, Keyspaces, ElastiCache, DynamoDB, Backup, Secrets Manager
}


def _resource_id(ctx: _Ctx) -> str:
    edge_id = edge_resource_id(ctx)  # EDGE: Cloudflare and the AWS edge's id formats
    if edge_id is not None:
        return edge_id
    identity_id = identity_resource_id(ctx)  # IDENTITY: Cognito's id formats
    if identity_id is not None:
        return identity_id
    data_id = data_resource_id(ctx)  # DATA: identifiers the data stores are named by
    if data_id is not None:
        return data_id
    if ctx.type in _EC2_PREFIXES:
        return _ec2_id(ctx)
    if ctx.type == "aws:kms/key:Key":
        h = ctx.hex(32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    if ctx.type == "aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr":
        return f"{ctx.inputs.get('cidr', '')}_{ctx.inputs.get('ipamPoolId', '')}"
    for key in ("bucket", "name"):
        value = ctx.inputs.get(key)
        if (
            isinstance(value, str)
            and value
            and ctx.type
            in (
                "aws:s3/bucket:Bucket",
                "aws:kms/alias:Alias",
                "aws:iam/role:Role",
                "aws:eks/cluster:Cluster",
            )
        ):
            return value
    return f"{ctx.name}-{ctx.hex(8)}"


def _check_rules_quota(ctx: _Ctx) -> None:
    """A group's inbound rules, each CIDR one and each AWS-managed prefix list its weight, must
    fit the default quota (moto counts no prefix-list weights)."""
    weights = {
        managed_prefix_list_id(ctx.region, n): w
        for n, w in (
            (pattern.format(region=ctx.region), weight)
            for pattern, weight in AWS_MANAGED_PREFIX_LISTS.items()
        )
    }
    count = 0
    for rule in ctx.inputs.get("ingress") or []:
        count += len(rule.get("cidrBlocks") or []) + len(rule.get("ipv6CidrBlocks") or [])
        count += sum(weights.get(str(p), 1) for p in rule.get("prefixListIds") or [])
    if count > SECURITY_GROUP_RULES_QUOTA:
        raise AwsRejectedError(
            f"AWS rejects {ctx.type} '{ctx.name}': RulesPerSecurityGroupLimitExceeded: "
            f"{count} inbound rules (prefix lists count their weight), the quota is "
            f"{SECURITY_GROUP_RULES_QUOTA}"
        )


# --- AWS-side validation (moto) ------------------------------------------------------------


class MotoValidator:
    """Sends the requests AWS would see to moto's models and turns rejections into errors."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self._moto_ids: dict[str, str] = {}  # our VPC id -> moto's VPC id
        # The SDK registers resources from executor threads; moto's backends (created per region
        # on first use, then mutated) are not thread-safe, so requests reach them one at a time.
        self._lock = threading.Lock()

    def _ec2(self, region: str) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[self.account_id][region]

    def check(self, ctx: _Ctx, rid: str) -> None:
        check = getattr(self, "_check_" + ctx.type.rsplit(":", 1)[-1], None)
        if check is None:
            return
        try:
            with self._lock:
                check(ctx, rid)
        except AwsRejectedError:
            raise
        except Exception as exc:  # moto raises its own AWS error types
            code = getattr(exc, "error_type", type(exc).__name__)
            raise AwsRejectedError(f"AWS rejects {ctx.type} '{ctx.name}': {code}: {exc}") from None

    def _check_Vpc(self, ctx: _Ctx, rid: str) -> None:
        cidr = ctx.inputs.get("cidrBlock")
        if isinstance(cidr, str):
            vpc = self._ec2(ctx.region).create_vpc(cidr_block=cidr)
            self._moto_ids[rid] = vpc.id

    def _check_VpcIpv4CidrBlockAssociation(self, ctx: _Ctx, rid: str) -> None:
        vpc = self._moto_ids.get(str(ctx.inputs.get("vpcId")))
        cidr = ctx.inputs.get("cidrBlock")
        if vpc and isinstance(cidr, str):
            self._ec2(ctx.region).associate_vpc_cidr_block(vpc, cidr, False)

    def _check_Subnet(self, ctx: _Ctx, rid: str) -> None:
        az = ctx.inputs.get("availabilityZone")
        if isinstance(az, str) and az not in zone_ids(ctx.region):
            raise AwsRejectedError(
                f"AWS rejects {ctx.type} '{ctx.name}': InvalidParameterValue: availability zone "
                f"{az} is not in {ctx.region} (zones: {', '.join(zone_ids(ctx.region))})"
            )
        vpc = self._moto_ids.get(str(ctx.inputs.get("vpcId")))
        cidr = ctx.inputs.get("cidrBlock")
        if vpc and isinstance(cidr, str):
            self._ec2(ctx.region).create_subnet(vpc_id=vpc, cidr_block=cidr, availability_zone=az)

    def _check_SecurityGroup(self, ctx: _Ctx, rid: str) -> None:
        backend = self._ec2(ctx.region)
        vpc = self._moto_ids.get(str(ctx.inputs.get("vpcId")))
        description = str(ctx.inputs.get("description") or "Managed by Pulumi")
        _check_rules_quota(ctx)
        group = backend.create_security_group(
            name=str(ctx.inputs.get("name") or rid), description=description, vpc_id=vpc
        )
        for rule in ctx.inputs.get("ingress") or []:
            _check_rule_ports(ctx, rule)
            backend.authorize_security_group_ingress(
                group_name_or_id=group.id,
                ip_protocol=str(rule.get("protocol")),
                from_port=str(int(rule.get("fromPort", 0))),
                to_port=str(int(rule.get("toPort", 0))),
                ip_ranges=[{"CidrIp": c} for c in rule.get("cidrBlocks") or []],
                vpc_id=vpc,
            )

    def _check_Policy(self, ctx: _Ctx, rid: str) -> None:
        self._iam_document(ctx, "policy")

    def _check_RolePolicy(self, ctx: _Ctx, rid: str) -> None:
        self._iam_document(ctx, "policy")

    def _check_Role(self, ctx: _Ctx, rid: str) -> None:
        from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator

        document = ctx.inputs.get("assumeRolePolicy")
        if isinstance(document, str) and document != UNKNOWN:
            IAMTrustPolicyDocumentValidator(document).validate()

    def _iam_document(self, ctx: _Ctx, key: str) -> None:
        from moto.iam.policy_validation import IAMPolicyDocumentValidator

        document = ctx.inputs.get(key)
        if isinstance(document, str) and document != UNKNOWN:
            IAMPolicyDocumentValidator(document).validate()

    def _check_Key(self, ctx: _Ctx, rid: str) -> None:
        _check_resource_policy(ctx, "policy")

    def _check_BucketPolicy(self, ctx: _Ctx, rid: str) -> None:
        _check_resource_policy(ctx, "policy")

    def _check_Bucket(self, ctx: _Ctx, rid: str) -> None:
        from moto.s3.models import s3_backends

        name = ctx.inputs.get("bucket")
        if not isinstance(name, str):
            return
        if not _BUCKET_NAME_RE.match(name) or ".." in name:
            raise AwsRejectedError(
                f"AWS rejects {ctx.type} '{ctx.name}': InvalidBucketName: {name!r} must be 3-63 "
                "lowercase letters, digits, dots and hyphens, starting and ending with a letter "
                "or digit"
            )
        s3_backends[self.account_id][PARTITION].create_bucket(name, ctx.region)

    @staticmethod
    def reset() -> None:
        """Forget every emulated AWS object (call once per environment plan)."""
        from moto.ec2.models import ec2_backends
        from moto.s3.models import s3_backends

        ec2_backends.reset()
        s3_backends.reset()


OFFERINGS_RESOURCE = "/instance_type_offerings/"
"""Where moto keeps its EC2 instance type offerings (moto/ec2/resources/instance_type_offerings/,
one file per location type and region)."""


def load_moto_ec2_without_offerings() -> None:
    """Import moto's EC2 models without their instance type offerings.

    moto's `ec2.models.instance_types` decodes every region's instance type offerings when it is
    imported: about 95 MiB of objects and 1.3 CPU-seconds, in the plan command and in each of
    its workers. `MotoValidator` never reads them: it creates VPCs, CIDR associations, subnets
    and security groups and authorizes ingress (none of which consult offerings; only moto's
    RunInstances, spot requests and DescribeInstanceTypeOfferings do), creates S3 buckets and
    validates IAM documents. So the plan command (meridian_ops/plan/__main__.py) imports them
    with the offering files read as empty lists, before anything else imports moto's EC2. A
    process that needs the offerings (the capability table's generation,
    meridian_ops/gen/capabilities.py, the tests) never calls this; once moto's EC2 is imported
    this does nothing."""
    import sys

    if "moto.ec2.models.instance_types" in sys.modules:
        return
    from moto.utilities import utils

    original = utils.load_resource

    def load_resource(resource: str) -> Any:
        return [] if OFFERINGS_RESOURCE in resource else original(resource)

    utils.load_resource = load_resource
    try:
        import moto.ec2.models.instance_types  # noqa: F401  # pyright: ignore[reportUnusedImport]
    finally:
        utils.load_resource = original


_BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


_PROTOCOLS = {"tcp", "udp", "icmp", "icmpv6", "-1", "all"}


def _check_rule_ports(ctx: _Ctx, rule: Mapping[str, Any]) -> None:
    """What the EC2 API checks that moto does not: protocol names and TCP/UDP port ranges."""
    protocol = str(rule.get("protocol", "")).lower()
    if protocol not in _PROTOCOLS and not (protocol.isdigit() and 0 <= int(protocol) <= 255):
        raise AwsRejectedError(
            f"AWS rejects {ctx.type} '{ctx.name}': InvalidParameterValue: invalid protocol "
            f"{protocol!r} (use tcp, udp, icmp, icmpv6, -1 or a number 0-255)"
        )
    if protocol in ("tcp", "udp", "6", "17"):
        low, high = int(rule.get("fromPort", 0)), int(rule.get("toPort", 0))
        if not (0 <= low <= high <= 65535):
            raise AwsRejectedError(
                f"AWS rejects {ctx.type} '{ctx.name}': InvalidParameterValue: invalid "
                f"{protocol.upper()} port range {low}-{high}"
            )


def _check_resource_policy(ctx: _Ctx, key: str) -> None:
    """Resource policies (key and bucket policies): JSON, a version, and well-formed statements."""
    document = ctx.inputs.get(key)
    if not isinstance(document, str) or document == UNKNOWN:
        return
    try:
        parsed = json.loads(document)
    except json.JSONDecodeError as exc:
        raise AwsRejectedError(
            f"AWS rejects {ctx.type} '{ctx.name}': MalformedPolicyDocument: {exc}"
        ) from None
    statements = parsed.get("Statement")
    if parsed.get("Version") != "2012-10-17" or not isinstance(statements, list) or not statements:
        raise AwsRejectedError(
            f"AWS rejects {ctx.type} '{ctx.name}': MalformedPolicyDocument: needs Version "
            "2012-10-17 and a non-empty Statement list"
        )
    for st in statements:
        missing = [k for k in ("Effect", "Principal", "Action", "Resource") if k not in st]
        if missing or st.get("Effect") not in ("Allow", "Deny"):
            raise AwsRejectedError(
                f"AWS rejects {ctx.type} '{ctx.name}': MalformedPolicyDocument: statement "
                f"{st.get('Sid', '?')} lacks {', '.join(missing) or 'a valid Effect'}"
            )


def secret_version(region: str, account: str, secret_id: str) -> dict[str, Any]:
    """GetSecretValue's answer for an operator's secret (an alert receiver's endpoint): the
    secret's ARN (name plus AWS's six-character suffix), its AWSCURRENT version and a value of
    the shape the name asks for: an email address for a name ending in `email`, else an HTTPS
    URL (a pager's or ticket system's SNS integration). The real value never exists here."""
    if secret_id.startswith("arn:"):
        arn = secret_id
        name = secret_id.split(":secret:", 1)[-1].rsplit("-", 1)[0]
    else:
        name = secret_id
        suffix = _hex(account + region + name, 6)
        arn = f"arn:{PARTITION}:secretsmanager:{region}:{account}:secret:{name}-{suffix}"
    leaf = re.sub(r"[^a-z0-9-]", "-", name.rsplit("/", 1)[-1].lower())
    value = (
        f"{leaf}@receivers.example.invalid"
        if name.endswith("email")
        else f"https://receivers.example.invalid/{leaf}/{_hex(arn, 16)}"
    )
    version = str(uuid.UUID(_hex(arn + "v", 32)))
    return {
        "id": f"{arn}|AWSCURRENT",
        "arn": arn,
        "secretArn": arn,
        "secretId": secret_id,
        "secretString": value,
        "secretBinary": "",
        "versionId": version,
        "versionStage": "AWSCURRENT",
        "versionStages": ["AWSCURRENT"],
        "createdDate": "2024-01-01T00:00:00Z",
        "region": region,
    }


_ZONES: dict[str, dict[str, str]] = {}


def zone_ids(region: str) -> dict[str, str]:
    """AZ name -> AZ id for a region, from moto's EC2 region data (real names and ids)."""
    if region not in _ZONES:
        from moto.ec2.models.availability_zones_and_regions import (
            RegionsAndZonesBackend,
        )

        zones = RegionsAndZonesBackend.zones.get(region, [])
        _ZONES[region] = {
            z.name: z.zone_id
            for z in zones
            if getattr(z, "zone_type", "availability-zone") == "availability-zone"
        }
    return _ZONES[region]


# --- the Mocks -----------------------------------------------------------------------------


class AwsMocks(Mocks):
    """Pulumi mocks answering like AWS for one stack run."""

    def __init__(
        self,
        *,
        stack: str,
        preview: bool,
        upstream: Mapping[str, Mapping[str, Any]] | None = None,
        providers: ProviderRegistry | None = None,
        account_id: str = ACCOUNT_ID,
        validate: bool = True,
    ) -> None:
        self.stack = stack
        self.preview = preview
        self.upstream = dict(upstream or {})
        self.providers = providers or ProviderRegistry()
        self.account_id = account_id
        self.validator = MotoValidator(account_id) if validate and not preview else None

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(args)
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-{_hex(self.stack + args.name, 8)}", dict(args.inputs)
        region = self.providers.region_of(args.provider, args.inputs) or ""
        ctx = _Ctx(
            type=args.typ,
            name=args.name,
            inputs=dict(args.inputs),
            region=region,
            account=self.account_id,
            seed=f"{self.stack}/{args.typ}/{args.name}",
        )
        read = _READS.get(args.typ) if args.resource_id else None
        if read is not None:  # Resource.get: the object as it exists (MESH)
            if self.preview or args.resource_id == UNKNOWN:
                return "", {**dict(args.inputs), "status": UNKNOWN}
            ctx.region = ctx.region or self.stack.split("-", 1)[-1]
            return str(args.resource_id), read(ctx, str(args.resource_id))
        if not args.custom:
            return "", dict(args.inputs)
        rid = _resource_id(ctx)
        make_outputs = _OUTPUTS.get(args.typ)
        computed = make_outputs(ctx, rid) if make_outputs else {}
        if "arn" not in computed and args.typ.startswith("aws:"):
            service = args.typ.split(":")[1].split("/")[0]
            computed["arn"] = ctx.arn(service, f"{args.typ.rsplit(':', 1)[-1].lower()}/{rid}")
        if args.typ.startswith("aws:") and "tags" in ctx.inputs:
            computed.setdefault("tagsAll", ctx.inputs["tags"])
        if self.validator is not None:
            self.validator.check(ctx, rid)
        state = dict(args.inputs)
        if self.preview:
            for key, value in computed.items():
                if key not in state:
                    state[key] = UNKNOWN
                elif isinstance(value, dict) and isinstance(state[key], dict):
                    # computed fields of an input block (e.g. an EKS cluster's vpcConfig)
                    state[key] = {**dict.fromkeys(value, UNKNOWN), **state[key]}
            return "", state
        for key, value in computed.items():
            if isinstance(value, dict) and isinstance(state.get(key), dict):
                state[key] = {**value, **state[key]}
            else:
                state.setdefault(key, value)
        return rid, state

    def _stack_reference(self, args: MockResourceArgs) -> tuple[str, dict[Any, Any]]:
        full = str(args.inputs.get("name") or args.resource_id or args.name)
        short = full.rsplit("/", 1)[-1]
        outputs = self.upstream.get(short, {})
        return full, {"name": full, "outputs": dict(outputs), "secretOutputNames": []}

    # The SDK's MockMonitor iterates the failures: answer an empty list, never None.
    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
        region = self.providers.region_of(args.provider, args.args) or ""
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": self.account_id,
                "arn": f"arn:{PARTITION}:sts::{self.account_id}:assumed-role/"
                f"{DEPLOYER_ROLE}/pulumi",
                "id": self.account_id,
                "userId": "AROA" + _hex(self.account_id, 17).upper() + ":pulumi",
            }, []
        if token == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            # AWS-managed prefix lists (e.g. CloudFront's origin-facing one) have a region-specific
            # id; answer one in AWS's format for a name AWS publishes, refuse any other.
            name = str(args.args.get("name", ""))
            weight = managed_prefix_list_weight(name, region)
            if weight is None:
                raise AwsRejectedError(
                    f"AWS has no managed prefix list named {name!r} in {region} "
                    "(ec2:DescribeManagedPrefixLists returns none)"
                )
            list_id = managed_prefix_list_id(region, name)
            return {
                "id": list_id,
                "name": name,
                "addressFamily": "IPv6" if ".ipv6." in name else "IPv4",
                "maxEntries": weight,
                "ownerId": "AWS",
                "arn": f"arn:{PARTITION}:ec2:{region}:aws:prefix-list/{list_id}",
                "entries": [],
                "tags": {},
            }, []
        if token == "aws:index/getPartition:getPartition":
            return {
                "partition": PARTITION,
                "dnsSuffix": "amazonaws.com",
                "id": PARTITION,
            }, []
        if token == "aws:index/getRegion:getRegion":
            return {
                "name": region,
                "region": region,
                "id": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
                "description": region,
            }, []
        if token == "aws:iam/getSessionContext:getSessionContext":
            # an assumed-role session ARN -> the role it is a session of
            arn = str(args.args.get("arn", ""))
            match = re.match(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/(.+)$", arn)
            if not match:
                return {"arn": arn, "issuerArn": arn, "id": arn}, []
            partition, account, role, session = match.groups()
            return {
                "arn": arn,
                "id": arn,
                "issuerArn": f"arn:{partition}:iam::{account}:role/{role}",
                "issuerId": "AROA" + _hex(account + role, 17).upper(),
                "issuerName": role,
                "sessionName": session,
            }, []
        if token == "aws:msk/getBrokerNodes:getBrokerNodes":
            # ListNodes of a cluster this plan created: one node per broker, its one endpoint
            arn = str(args.args.get("clusterArn", ""))
            if arn not in _MSK_BROKERS:
                raise AwsRejectedError(f"NotFoundException: no MSK cluster {arn}")
            nodes = [
                {"brokerId": float(i), "endpoints": [host]}
                for i, host in enumerate(_MSK_BROKERS[arn], start=1)
            ]
            return {"clusterArn": arn, "id": arn, "nodeInfoLists": nodes}, []
        if token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            return secret_version(region, self.account_id, str(args.args.get("secretId", ""))), []
        if token == "aws:secretsmanager/getRandomPassword:getRandomPassword":  # DATA
            return random_password(dict(args.args)), []
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = zone_ids(region)
            names = sorted(zones)
            return {
                "id": region,
                "names": names,
                "zoneIds": [zones[n] for n in names],
                "groupNames": [region] * len(names),
            }, []
        if (
            token
            == "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList"
        ):
            # Cloudflare's permission groups: one per name and scope, a 32-hex public id
            name, scope = str(args.args.get("name", "")), str(args.args.get("scope", ""))
            group = {
                "id": _hex(scope + name, 32),
                "name": name,
                "scopes": [scope],
                "category": "",
                "isSelectable": True,
                "description": name,
            }
            return {"name": name, "scope": scope, "results": [group]}, []
        raise NotImplementedError(
            f"the AWS mock has no answer for invoke {token}; "
            "add one to meridian_ops/plan/aws_mocks.py"
        )


def check_no_default_provider(resource_type: str, custom: bool, provider: str) -> None:
    """The stack files set pulumi:disable-default-providers; the engine refuses such resources."""
    if custom and not provider and not resource_type.startswith("pulumi:"):
        package = resource_type.split(":")[0]
        raise AwsRejectedError(
            f"Default provider for '{package}' disabled (pulumi:disable-default-providers): "
            f"{resource_type} must be given its region's explicit provider"
        )


__all__ = [
    "ACCOUNT_ID",
    "AwsMocks",
    "AwsRejectedError",
    "ProviderRegistry",
    "pulumi",
    "zone_ids",
]
