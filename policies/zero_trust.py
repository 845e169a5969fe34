"""Zero-trust policies: nothing is reachable from the internet unless it is the edge, every
identity is explicit, and every workload in the mesh is denied by default.

Network: security groups and rules, NACLs on data subnets, EKS API endpoint, databases,
brokers, caches, search domains and compute. Identity: IAM wildcard actions and principals,
IMDSv2, IAM-authenticated Kafka. Mesh: STRICT mTLS, default-deny AuthorizationPolicy and
NetworkPolicy per tenant namespace.

Stack policies receive every resource of the stack (with outputs, parents, dependencies and
property dependencies), which is how a rule is tied to its security group, a public access block
to its bucket, or an Istio policy to its namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .support import (
    UnknownCollector,
    as_bool,
    as_int,
    as_list,
    cidr_in_allowlist,
    config,
    get,
    is_public_cidr,
    is_world_cidr,
    label,
    make_policy,
    policy_statements,
)

CONCERN = "zero-trust"

_resource_policy = partial(make_policy, ResourceValidationPolicy, tags=[CONCERN])
_stack_policy = partial(make_policy, StackValidationPolicy, tags=[CONCERN])

# --------------------------------------------------------------------------------------------
# Resource type tokens (pulumi-aws 7, pulumi-kubernetes 4)
# --------------------------------------------------------------------------------------------
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
MSK_CLUSTER = "aws:msk/cluster:Cluster"
BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
BUCKET_ACL_TYPES = frozenset({"aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"})
BUCKET_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
PUBLIC_DB_TYPES = frozenset(
    {
        "aws:rds/instance:Instance",
        "aws:rds/clusterInstance:ClusterInstance",
        "aws:redshift/cluster:Cluster",
        "aws:neptune/clusterInstance:ClusterInstance",
        "aws:docdb/clusterInstance:ClusterInstance",
    }
)
SEARCH_DOMAIN_TYPES = frozenset({"aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain"})
CACHE_TYPES = frozenset(
    {
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/cluster:Cluster",
        "aws:elasticache/serverlessCache:ServerlessCache",
    }
)
IDENTITY_POLICY_PROPS: dict[str, str] = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
ROLE = "aws:iam/role:Role"
RESOURCE_POLICY_PROPS: dict[str, str] = {
    ROLE: "assumeRolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:s3/bucket:Bucket": "policy",
    "aws:s3/bucketV2:BucketV2": "policy",
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
}
PEER_AUTHENTICATION_TYPES = frozenset(
    {
        "kubernetes:security.istio.io/v1:PeerAuthentication",
        "kubernetes:security.istio.io/v1beta1:PeerAuthentication",
    }
)
AUTHORIZATION_POLICY_TYPES = frozenset(
    {
        "kubernetes:security.istio.io/v1:AuthorizationPolicy",
        "kubernetes:security.istio.io/v1beta1:AuthorizationPolicy",
    }
)
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "istio-system")
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEE_URIS = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)
# Condition keys that pin a wildcard principal to an account, organization, source or network.
RESTRICTING_CONDITION_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:VpcSourceIp",
        "kms:CallerAccount",
    )
)

_STRING_LIST = {"type": "array", "items": {"type": "string"}}
EDGE_CONFIG = PolicyConfigSchema(
    properties={
        "edgeTagKey": {"type": "string", "default": "exposure"},
        "edgeTagValue": {"type": "string", "default": "edge"},
        "edgePorts": {"type": "array", "items": {"type": "integer"}, "default": [443]},
        "allowedCidrs": {**_STRING_LIST, "default": []},
    }
)


def _where(resource_type: str, name: str) -> str:
    return label(resource_type, name)


# --------------------------------------------------------------------------------------------
# Ingress (security groups)
# --------------------------------------------------------------------------------------------
class _Ingress:
    """One ingress permission: sources, protocol and port range."""

    def __init__(self, cidrs: list[Any], protocol: Any, from_port: Any, to_port: Any) -> None:
        self.cidrs = cidrs
        self.protocol = str(protocol).lower() if protocol is not None else "-1"
        self.from_port = as_int(from_port, 0)
        self.to_port = as_int(to_port, 65535)

    def ports(self) -> str:
        if self.protocol in ("-1", "all"):
            return "all protocols and ports"
        if self.from_port == self.to_port:
            return f"{self.protocol} port {self.from_port}"
        return f"{self.protocol} ports {self.from_port}-{self.to_port}"

    def within(self, allowed_ports: Iterable[int]) -> bool:
        if self.protocol not in ("tcp", "6"):
            return False
        low, high = self.from_port, self.to_port
        if low is None or high is None or high < low or high - low > 1024:
            return False
        allowed = set(allowed_ports)
        return all(port in allowed for port in range(low, high + 1))


def _is_edge(tags: Any, cfg: Mapping[str, Any]) -> bool:
    if not isinstance(tags, Mapping):
        return False
    key = str(cfg["edgeTagKey"])
    return key in list(tags) and tags[key] == cfg["edgeTagValue"]


def _edge_or_unknown(
    tags: Callable[[], Any], cfg: Mapping[str, Any], unknowns: UnknownCollector
) -> bool:
    """Whether a resource is edge-facing; an unknown tag counts as edge (never fail on unknown)."""
    collector = UnknownCollector()
    edge = collector.call(lambda: _is_edge(tags(), cfg))
    if collector.error is not None:
        unknowns.error = unknowns.error or collector.error
        return True
    return bool(edge)


def _edge_config(args: ResourceValidationArgs | StackValidationArgs) -> dict[str, Any]:
    return {
        "edgeTagKey": config(args, "edgeTagKey", "exposure"),
        "edgeTagValue": config(args, "edgeTagValue", "edge"),
        "edgePorts": [as_int(p, -1) for p in config(args, "edgePorts", [443])],
        "allowedCidrs": [str(c) for c in config(args, "allowedCidrs", [])],
    }


def _ingress_problems(rule: _Ingress, edge: bool, cfg: Mapping[str, Any]) -> list[str]:
    """Why an ingress permission is not zero-trust (empty list when it is fine)."""
    edge_ok = edge and rule.within(cfg["edgePorts"])
    problems: list[str] = []
    for cidr in rule.cidrs:
        if not isinstance(cidr, str) or not is_public_cidr(cidr):
            continue
        if edge_ok:
            continue
        if is_world_cidr(cidr):
            problems.append(f"allows {rule.ports()} from {cidr} (the whole internet)")
        elif not cidr_in_allowlist(cidr, cfg["allowedCidrs"]):
            problems.append(
                f"allows {rule.ports()} from public range {cidr}, which is not in the "
                "allowedCidrs allowlist"
            )
    return problems


_INGRESS_FIX = (
    "Fix: restrict the source to private CIDRs, a security group or a prefix list; only the "
    "edge load balancer's security group (tagged {key}={value}) may accept the internet, on "
    "ports {ports}; edge CDN ranges belong in the allowedCidrs policy config."
)


def _ingress_fix(cfg: Mapping[str, Any]) -> str:
    return _INGRESS_FIX.format(
        key=cfg["edgeTagKey"],
        value=cfg["edgeTagValue"],
        ports=", ".join(str(p) for p in cfg["edgePorts"]),
    )


def _sg_no_public_ingress(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != SECURITY_GROUP:
        return
    cfg = _edge_config(args)
    unknowns = UnknownCollector()
    edge = _edge_or_unknown(lambda: get(args.props, "tags"), cfg, unknowns)
    for entry in as_list(get(args.props, "ingress")):
        with unknowns.guard():
            rule = _Ingress(
                as_list(get(entry, "cidrBlocks")) + as_list(get(entry, "ipv6CidrBlocks")),
                get(entry, "protocol"),
                get(entry, "fromPort"),
                get(entry, "toPort"),
            )
            for problem in _ingress_problems(rule, edge, cfg):
                report(
                    f"{_where(args.resource_type, args.name)} {problem}. {_ingress_fix(cfg)}",
                    None,
                )
    unknowns.finish()


def _owning_group(resource: PolicyResource, prop: str) -> PolicyResource | None:
    for dep in resource.property_dependencies.get(prop, []):
        if dep.resource_type == SECURITY_GROUP:
            return dep
    for dep in resource.dependencies:
        if dep.resource_type == SECURITY_GROUP:
            return dep
    return None


def _rule_ingress(resource: PolicyResource) -> _Ingress | None:
    props = resource.props
    if resource.resource_type == SECURITY_GROUP_RULE:
        if get(props, "type") != "ingress":
            return None
        return _Ingress(
            as_list(get(props, "cidrBlocks")) + as_list(get(props, "ipv6CidrBlocks")),
            get(props, "protocol"),
            get(props, "fromPort"),
            get(props, "toPort"),
        )
    if resource.resource_type == VPC_INGRESS_RULE:
        return _Ingress(
            as_list(get(props, "cidrIpv4")) + as_list(get(props, "cidrIpv6")),
            get(props, "ipProtocol"),
            get(props, "fromPort"),
            get(props, "toPort"),
        )
    return None


def _sg_rule_no_public_ingress(args: StackValidationArgs, report: ReportViolation) -> None:
    cfg = _edge_config(args)
    unknowns = UnknownCollector()
    for resource in args.resources:
        if resource.resource_type not in (SECURITY_GROUP_RULE, VPC_INGRESS_RULE):
            continue
        with unknowns.guard():
            rule = _rule_ingress(resource)
            if rule is None:
                continue
            group = _owning_group(resource, "securityGroupId")
            edge = _edge_or_unknown(
                lambda resource=resource: get(resource.props, "tags"), cfg, unknowns
            )
            if group is not None and not edge:
                edge = _edge_or_unknown(lambda group=group: get(group.props, "tags"), cfg, unknowns)
            owner = f" (security group '{group.name}')" if group is not None else ""
            for problem in _ingress_problems(rule, edge, cfg):
                report(
                    f"{_where(resource.resource_type, resource.name)}{owner} {problem}. "
                    f"{_ingress_fix(cfg)}",
                    resource.urn,
                )
    unknowns.finish()


# --------------------------------------------------------------------------------------------
# Network ACLs on data subnets
# --------------------------------------------------------------------------------------------
def _nacl_allow_all(action: Any, protocol: Any, cidr: Any) -> bool:
    return (
        str(action).lower() == "allow"
        and str(protocol).lower() in ("-1", "all")
        and is_world_cidr(cidr)
    )


def _is_data_tier(tags: Any, key: str, values: list[str]) -> bool:
    return isinstance(tags, Mapping) and key in list(tags) and tags[key] in values


def _data_nacl_no_allow_all(args: StackValidationArgs, report: ReportViolation) -> None:
    key = str(config(args, "tierTagKey", "tier"))
    values = [str(v) for v in config(args, "dataTierValues", ["data"])]
    fix = (
        "Fix: allow only the protocols, ports and private CIDRs the data tier needs "
        "(e.g. the application subnets on the database port)."
    )
    unknowns = UnknownCollector()
    for resource in args.resources:
        with unknowns.guard():
            if resource.resource_type == NETWORK_ACL:
                if not _is_data_tier(get(resource.props, "tags"), key, values):
                    continue
                for entry in as_list(get(resource.props, "ingress")):
                    cidrs = [get(entry, "cidrBlock"), get(entry, "ipv6CidrBlock")]
                    if any(
                        _nacl_allow_all(get(entry, "action"), get(entry, "protocol"), c)
                        for c in cidrs
                    ):
                        report(
                            f"{_where(resource.resource_type, resource.name)} on a data subnet "
                            f"allows all inbound traffic from the internet. {fix}",
                            resource.urn,
                        )
            elif resource.resource_type == NETWORK_ACL_RULE:
                if as_bool(get(resource.props, "egress")):
                    continue
                acl = next(
                    (
                        d
                        for d in resource.property_dependencies.get("networkAclId", [])
                        if d.resource_type == NETWORK_ACL
                    ),
                    None,
                )
                if acl is None or not _is_data_tier(get(acl.props, "tags"), key, values):
                    continue
                props = resource.props
                cidrs = [get(props, "cidrBlock"), get(props, "ipv6CidrBlock")]
                if any(
                    _nacl_allow_all(get(props, "ruleAction"), get(props, "protocol"), c)
                    for c in cidrs
                ):
                    report(
                        f"{_where(resource.resource_type, resource.name)} (network ACL "
                        f"'{acl.name}', data subnet) allows all inbound traffic from the "
                        f"internet. {fix}",
                        resource.urn,
                    )
    unknowns.finish()


# --------------------------------------------------------------------------------------------
# EKS, databases, brokers, caches, search, compute
# --------------------------------------------------------------------------------------------
def _eks_endpoint_private(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    where = _where(args.resource_type, args.name)
    vpc = get(args.props, "vpcConfig", default={})
    public = as_bool(get(vpc, "endpointPublicAccess"), default=True)  # AWS default: public
    private = as_bool(get(vpc, "endpointPrivateAccess"), default=False)
    if public:
        cidrs = as_list(get(vpc, "publicAccessCidrs")) or ["0.0.0.0/0"]  # AWS default
        world = [c for c in cidrs if is_world_cidr(c)]
        if world:
            report(
                f"{where} exposes its Kubernetes API endpoint to {', '.join(world)}. Fix: set "
                "vpcConfig.endpointPublicAccess=false (reach the API through the VPC), or list "
                "the operator CIDRs in vpcConfig.publicAccessCidrs.",
                None,
            )
    if not private:
        report(
            f"{where} has vpcConfig.endpointPrivateAccess disabled, so nodes reach the API "
            "over the internet. Fix: set vpcConfig.endpointPrivateAccess=true.",
            None,
        )


def _no_public_database(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in PUBLIC_DB_TYPES:
        return
    if as_bool(get(args.props, "publiclyAccessible")):
        report(
            f"{_where(args.resource_type, args.name)} is publicly accessible. Fix: set "
            "publiclyAccessible=false and reach it from private subnets.",
            None,
        )


def _no_public_kafka(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != MSK_CLUSTER:
        return
    access = get(args.props, "brokerNodeGroupInfo", "connectivityInfo", "publicAccess", "type")
    if access is not None and str(access).upper() != "DISABLED":
        report(
            f"{_where(args.resource_type, args.name)} has public broker access ({access}). Fix: "
            "set brokerNodeGroupInfo.connectivityInfo.publicAccess.type='DISABLED'.",
            None,
        )


def _msk_iam_auth(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != MSK_CLUSTER:
        return
    where = _where(args.resource_type, args.name)
    auth = get(args.props, "clientAuthentication", default={})
    if not as_bool(get(auth, "sasl", "iam")):
        report(
            f"{where} does not enable IAM client authentication. Fix: set "
            "clientAuthentication.sasl.iam=true.",
            None,
        )
    if as_bool(get(auth, "unauthenticated")):
        report(
            f"{where} allows unauthenticated clients. Fix: set "
            "clientAuthentication.unauthenticated=false and use SASL/IAM.",
            None,
        )


def _search_in_vpc(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in SEARCH_DOMAIN_TYPES:
        return
    if not as_list(get(args.props, "vpcOptions", "subnetIds")):
        report(
            f"{_where(args.resource_type, args.name)} has a public endpoint (no vpcOptions). "
            "Fix: set vpcOptions.subnetIds (private subnets) and vpcOptions.securityGroupIds.",
            None,
        )


def _cache_security_groups(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in CACHE_TYPES:
        return
    if args.resource_type == "aws:elasticache/cluster:Cluster" and get(
        args.props, "replicationGroupId"
    ):
        return  # members inherit the replication group's security groups
    if not as_list(get(args.props, "securityGroupIds")):
        report(
            f"{_where(args.resource_type, args.name)} has no securityGroupIds and falls back "
            "to the VPC default security group. Fix: attach a dedicated security group that "
            "admits only the application tier on the cache port.",
            None,
        )


def _no_public_ip(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (EC2_INSTANCE, LAUNCH_TEMPLATE):
        return
    where = _where(args.resource_type, args.name)
    fix = "Fix: launch into private subnets without a public IP; expose services via the edge."
    if args.resource_type == EC2_INSTANCE:
        if as_bool(get(args.props, "associatePublicIpAddress")):
            report(
                f"{where} gets a public IP address (associatePublicIpAddress). {fix}",
                None,
            )
    elif args.resource_type == LAUNCH_TEMPLATE:
        unknowns = UnknownCollector()
        for nic in as_list(get(args.props, "networkInterfaces")):
            with unknowns.guard():
                if as_bool(get(nic, "associatePublicIpAddress")):
                    report(
                        f"{where} gives its network interfaces a public IP address "
                        f"(networkInterfaces[].associatePublicIpAddress). {fix}",
                        None,
                    )
        unknowns.finish()


def _imdsv2_required(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (LAUNCH_TEMPLATE, EC2_INSTANCE):
        return
    options = get(args.props, "metadataOptions")
    if options is None and args.resource_type == EC2_INSTANCE and get(args.props, "launchTemplate"):
        return  # the launch template's metadata options apply (checked on the template)
    if str(get(options, "httpEndpoint", default="enabled")).lower() == "disabled":
        return  # no instance metadata service at all
    tokens = get(options, "httpTokens")
    if tokens != "required":
        report(
            f"{_where(args.resource_type, args.name)} allows IMDSv1 (metadataOptions.httpTokens="
            f"{tokens!r}). Fix: set metadataOptions.httpTokens='required' (and "
            "httpPutResponseHopLimit=2 for containers).",
            None,
        )


def _nodegroup_launch_template(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_NODE_GROUP:
        return
    template = get(args.props, "launchTemplate")
    if not (get(template, "id") or get(template, "name")):
        report(
            f"{_where(args.resource_type, args.name)} does not use a launch template, so "
            "IMDSv2 and the node security settings cannot be enforced. Fix: set "
            "launchTemplate {id or name, version} pointing at a template with "
            "metadataOptions.httpTokens='required'.",
            None,
        )


def _nodegroup_no_ssh(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_NODE_GROUP:
        return
    if get(args.props, "remoteAccess"):
        report(
            f"{_where(args.resource_type, args.name)} enables SSH remote access to nodes. Fix: "
            "remove remoteAccess and use SSM Session Manager for break-glass access.",
            None,
        )


# --------------------------------------------------------------------------------------------
# S3 exposure
# --------------------------------------------------------------------------------------------
def _s3_no_public_acl(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in BUCKET_TYPES | BUCKET_ACL_TYPES:
        return
    where = _where(args.resource_type, args.name)
    fix = "Fix: use the private ACL (or BucketOwnerEnforced ownership) and grant access by policy."
    acl = get(args.props, "acl")
    if isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        report(f"{where} uses the public canned ACL '{acl}'. {fix}", None)
    unknowns = UnknownCollector()
    grants = as_list(get(args.props, "grants")) + as_list(
        get(args.props, "accessControlPolicy", "grants")
    )
    for grant in grants:
        with unknowns.guard():
            uri = get(grant, "uri") or get(grant, "grantee", "uri")
            if uri in PUBLIC_GRANTEE_URIS:
                report(f"{where} grants access to {uri.rsplit('/', 1)[-1]}. {fix}", None)
    unknowns.finish()


def _links(resource: PolicyResource, prop: str) -> list[str]:
    return [d.urn for d in resource.property_dependencies.get(prop, [])] + [
        d.urn for d in resource.dependencies
    ]


def _s3_public_access_block(args: StackValidationArgs, report: ReportViolation) -> None:
    buckets = [r for r in args.resources if r.resource_type in BUCKET_TYPES]
    if not buckets:
        return
    unknowns = UnknownCollector()
    flags = (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    )

    def fully_blocked(resource: PolicyResource) -> bool:
        return all(get(resource.props, f) is True for f in flags)

    for account_block in (r for r in args.resources if r.resource_type == ACCOUNT_PAB):
        if unknowns.call(lambda block=account_block: fully_blocked(block)):
            return  # an account-wide block covers every bucket
        unknowns.finish()  # an account-wide block with unknown flags may cover every bucket

    blocks = [r for r in args.resources if r.resource_type == BUCKET_PAB]
    for bucket in buckets:
        with unknowns.guard():
            names = {bucket.urn}
            for key in ("bucket", "id"):
                value = get(bucket.props, key)
                if isinstance(value, str):
                    names.add(value)
            matching: list[PolicyResource] = []
            unresolved = False
            for block in blocks:
                if bucket.urn in _links(block, "bucket"):
                    matching.append(block)
                    continue
                lookup = UnknownCollector()
                target = lookup.call(lambda block=block: get(block.props, "bucket"))
                if lookup.error is not None:
                    unresolved = True
                    unknowns.error = unknowns.error or lookup.error
                elif isinstance(target, str) and target in names:
                    matching.append(block)
            if any(fully_blocked(b) for b in matching):
                continue
            if not matching and unresolved:
                continue  # a block whose bucket is unknown may belong to this bucket
            where = _where(bucket.resource_type, bucket.name)
            if matching:
                message = (
                    f"{where} has a BucketPublicAccessBlock ('{matching[0].name}') that does not "
                    "set all four flags. Fix: set blockPublicAcls, blockPublicPolicy, "
                    "ignorePublicAcls and restrictPublicBuckets to true."
                )
            else:
                message = (
                    f"{where} has no BucketPublicAccessBlock. Fix: add an "
                    "aws.s3.BucketPublicAccessBlock for it with blockPublicAcls, "
                    "blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets set to true."
                )
            report(message, bucket.urn)
    unknowns.finish()


# --------------------------------------------------------------------------------------------
# IAM documents
# --------------------------------------------------------------------------------------------
def _strings(value: Any) -> list[str]:
    return [v for v in as_list(value) if isinstance(v, str)]


def _identity_documents(args: ResourceValidationArgs) -> list[tuple[str, Any]]:
    prop = IDENTITY_POLICY_PROPS.get(args.resource_type)
    if prop is not None:
        return [(prop, get(args.props, prop))]
    if args.resource_type == ROLE:
        return [
            (f"inlinePolicies[{i}].policy", get(p, "policy"))
            for i, p in enumerate(as_list(get(args.props, "inlinePolicies")))
        ]
    return []


def _iam_no_admin_wildcard(args: ResourceValidationArgs, report: ReportViolation) -> None:
    documents = _identity_documents(args)
    if not documents:
        return
    unknowns = UnknownCollector()
    for prop, document in documents:
        with unknowns.guard():
            for statement in policy_statements(document):
                if statement.get("Effect") != "Allow":
                    continue
                resources = _strings(statement.get("Resource")) or _strings(
                    statement.get("NotResource")
                )
                on_everything = "*" in resources or (
                    "NotResource" in statement and "Resource" not in statement
                )
                actions = _strings(statement.get("Action"))
                if ("NotAction" in statement or "*" in actions) and on_everything:
                    what = "NotAction" if "NotAction" in statement else "Action '*'"
                    report(
                        f"{_where(args.resource_type, args.name)} {prop} allows {what} on "
                        "every resource (administrator access). Fix: list the specific "
                        "actions and resource ARNs the workload needs.",
                        None,
                    )
    unknowns.finish()


def _iam_no_service_wildcard(args: ResourceValidationArgs, report: ReportViolation) -> None:
    documents = _identity_documents(args)
    if not documents:
        return
    unknowns = UnknownCollector()
    for prop, document in documents:
        with unknowns.guard():
            for statement in policy_statements(document):
                if statement.get("Effect") != "Allow" or "*" not in _strings(
                    statement.get("Resource")
                ):
                    continue
                wild = [a for a in _strings(statement.get("Action")) if a.endswith(":*")]
                if wild:
                    report(
                        f"{_where(args.resource_type, args.name)} {prop} allows "
                        f"{', '.join(wild)} on every resource. Fix: name the actions and scope "
                        "Resource to the ARNs the workload uses.",
                        None,
                    )
    unknowns.finish()


def _wildcard_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in _strings(v) for v in principal.values())
    return False


def _restricted(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator_block in condition.values():
        if isinstance(operator_block, dict) and any(
            str(k).lower() in RESTRICTING_CONDITION_KEYS for k in operator_block
        ):
            return True
    return False


def _no_wildcard_principal(args: ResourceValidationArgs, report: ReportViolation) -> None:
    prop = RESOURCE_POLICY_PROPS.get(args.resource_type)
    if prop is None:
        return
    where = _where(args.resource_type, args.name)
    for statement in policy_statements(get(args.props, prop)):
        if statement.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in statement:
            report(
                f"{where} {prop} allows everyone except a NotPrincipal list. Fix: replace "
                "NotPrincipal with an explicit Principal.",
                None,
            )
            continue
        if _wildcard_principal(statement.get("Principal")) and not _restricted(
            statement.get("Condition")
        ):
            sid = f" (Sid {statement['Sid']})" if statement.get("Sid") else ""
            report(
                f"{where} {prop} grants access to any principal ('*'){sid} without a "
                "restricting condition. Fix: name the principals (account, role or service), "
                "or add a condition on aws:PrincipalOrgID, aws:SourceArn, aws:SourceAccount "
                "or aws:SourceVpce.",
                None,
            )


# --------------------------------------------------------------------------------------------
# Istio mesh and Kubernetes network policy
# --------------------------------------------------------------------------------------------
def _is_empty(value: Any) -> bool:
    """None, "", [] and mappings whose values are all empty (``{}``, ``{matchLabels: {}}``)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, Mapping):
        return all(_is_empty(value[k]) for k in value)
    if isinstance(value, Sequence):
        return len(value) == 0
    return False


def _peer_auth_strict(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in PEER_AUTHENTICATION_TYPES:
        return
    where = _where(args.resource_type, args.name)
    weak = ("PERMISSIVE", "DISABLE")
    mode = get(args.props, "spec", "mtls", "mode")
    if isinstance(mode, str) and mode.upper() in weak:
        report(
            f"{where} sets mTLS mode {mode}, accepting plaintext traffic. Fix: set "
            "spec.mtls.mode to STRICT (or UNSET to inherit the mesh-wide STRICT policy).",
            None,
        )
    port_level = get(args.props, "spec", "portLevelMtls", default={})
    if isinstance(port_level, Mapping):
        for port in port_level:
            port_mode = get(port_level, port, "mode")
            if isinstance(port_mode, str) and port_mode.upper() in weak:
                report(
                    f"{where} sets mTLS mode {port_mode} on port {port}. Fix: remove the "
                    "port-level override or set it to STRICT.",
                    None,
                )


def _authz_no_allow_all(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in AUTHORIZATION_POLICY_TYPES:
        return
    action = str(get(args.props, "spec", "action", default="ALLOW")).upper()
    if action != "ALLOW":
        return
    for rule in as_list(get(args.props, "spec", "rules")):
        if _is_empty(rule):
            report(
                f"{_where(args.resource_type, args.name)} has an empty ALLOW rule, which "
                "allows every request and defeats default deny. Fix: give each rule a `from` "
                "(source principals or namespaces) and a `to` (methods, paths, ports).",
                None,
            )
            return


def _k8s_namespace_of(resource: PolicyResource) -> Any:
    return get(resource.props, "metadata", "namespace")


def _namespace_name(resource: PolicyResource) -> Any:
    return get(resource.props, "metadata", "name")


def _in_namespace(policy: PolicyResource, namespace: PolicyResource, name: Any) -> bool | None:
    """True/False when decidable, None when the policy's namespace is unknown."""
    if namespace.urn in _links(policy, "metadata"):
        return True
    collector = UnknownCollector()
    value = collector.call(lambda: _k8s_namespace_of(policy))
    if collector.error is not None:
        return None
    return value is not None and value == name


def _mesh_strict_peer_auth(resource: PolicyResource, root_namespace: str) -> bool:
    props = resource.props
    mode = get(props, "spec", "mtls", "mode")
    return (
        resource.resource_type in PEER_AUTHENTICATION_TYPES
        and _k8s_namespace_of(resource) == root_namespace
        and _is_empty(get(props, "spec", "selector"))
        and isinstance(mode, str)
        and mode.upper() == "STRICT"
    )


def _clusters_reached(
    start: PolicyResource | None, by_urn: Mapping[str, PolicyResource], depth: int = 3
) -> set[str]:
    """EKS cluster URNs a (provider) resource depends on, directly or transitively."""
    found: set[str] = set()
    frontier = [start] if start is not None else []
    seen: set[str] = set()
    for _ in range(depth):
        next_frontier: list[PolicyResource] = []
        for node in frontier:
            deps = list(node.dependencies)
            for values in node.property_dependencies.values():
                deps.extend(values)
            for dep in deps:
                if dep.urn in seen:
                    continue
                seen.add(dep.urn)
                if dep.resource_type == EKS_CLUSTER:
                    found.add(dep.urn)
                else:
                    next_frontier.append(by_urn.get(dep.urn, dep))
        frontier = next_frontier
    return found


def _mesh_strict_mtls(args: StackValidationArgs, report: ReportViolation) -> None:
    clusters = [r for r in args.resources if r.resource_type == EKS_CLUSTER]
    exempt = {str(n) for n in config(args, "exemptClusters", [])}
    clusters = [c for c in clusters if c.name not in exempt]
    if not clusters:
        return
    root_namespace = str(config(args, "rootNamespace", "istio-system"))
    by_urn = {r.urn: r for r in args.resources}
    unknowns = UnknownCollector()
    covered: set[str] = set()
    for resource in args.resources:
        if resource.resource_type not in PEER_AUTHENTICATION_TYPES:
            continue
        if not unknowns.call(
            lambda resource=resource: _mesh_strict_peer_auth(resource, root_namespace)
        ):
            continue
        provider = by_urn.get(resource.provider.urn) if resource.provider is not None else None
        reached = _clusters_reached(provider, by_urn)
        covered |= reached if reached else {c.urn for c in clusters}
    for cluster in clusters:
        if cluster.urn in covered:
            continue
        if unknowns.error is not None:
            continue  # an unknown PeerAuthentication may be the mesh-wide one
        report(
            f"{_where(cluster.resource_type, cluster.name)} has no mesh-wide STRICT mTLS "
            f"policy. Fix: create a PeerAuthentication named 'default' in namespace "
            f"'{root_namespace}' with spec.mtls.mode=STRICT and no selector, using this "
            "cluster's Kubernetes provider.",
            cluster.urn,
        )
    unknowns.finish()


def _tenant_namespaces(
    args: StackValidationArgs, unknowns: UnknownCollector
) -> list[tuple[PolicyResource, Any]]:
    """Namespaces to check, with their name (the resource name when auto-named).

    A namespace whose name is unknown during preview is skipped (it may be a system one)."""
    exempt = set(SYSTEM_NAMESPACES) | {str(n) for n in config(args, "exemptNamespaces", [])}
    result: list[tuple[PolicyResource, Any]] = []
    for resource in args.resources:
        if resource.resource_type != NAMESPACE:
            continue
        lookup = UnknownCollector()
        name = lookup.call(lambda resource=resource: _namespace_name(resource))
        if lookup.error is not None:
            unknowns.error = unknowns.error or lookup.error
            continue
        if name in exempt:
            continue
        result.append((resource, name if name is not None else resource.name))
    return result


def _default_deny_authz(resource: PolicyResource) -> bool:
    spec = get(resource.props, "spec")
    if _is_empty(spec):
        return True
    action = str(get(spec, "action", default="ALLOW")).upper()
    return (
        action == "ALLOW"
        and _is_empty(get(spec, "rules"))
        and _is_empty(get(spec, "selector"))
        and _is_empty(get(spec, "targetRef"))
        and _is_empty(get(spec, "targetRefs"))
    )


def _default_deny_netpol(resource: PolicyResource) -> bool:
    spec = get(resource.props, "spec", default={})
    types = {str(t) for t in as_list(get(spec, "policyTypes"))}
    return (
        _is_empty(get(spec, "podSelector"))
        and {"Ingress", "Egress"} <= types
        and _is_empty(get(spec, "ingress"))
        and _is_empty(get(spec, "egress"))
    )


def _namespace_default_deny(
    args: StackValidationArgs,
    report: ReportViolation,
    policy_types: frozenset[str],
    is_default_deny: Callable[[PolicyResource], bool],
    fix: str,
    what: str,
) -> None:
    unknowns = UnknownCollector()
    namespaces = _tenant_namespaces(args, unknowns)
    candidates = [r for r in args.resources if r.resource_type in policy_types]
    for namespace, name in namespaces:
        with unknowns.guard():
            found = False
            undecided = False
            for candidate in candidates:
                inside = _in_namespace(candidate, namespace, name)
                if inside is None:
                    undecided = True
                    continue
                if not inside:
                    continue
                verdict = unknowns.call(lambda candidate=candidate: is_default_deny(candidate))
                if verdict:
                    found = True
                    break
                if verdict is None:
                    undecided = True
            if found or undecided:
                continue
            report(
                f"Namespace '{name}' ({namespace.name}) has no default-deny {what}. "
                f"Fix: {fix.format(ns=name)}",
                namespace.urn,
            )
    unknowns.finish()


def _namespace_default_deny_authz(args: StackValidationArgs, report: ReportViolation) -> None:
    _namespace_default_deny(
        args,
        report,
        AUTHORIZATION_POLICY_TYPES,
        _default_deny_authz,
        "add an Istio AuthorizationPolicy 'deny-all' in namespace '{ns}' with an empty spec "
        "(no selector, no rules), then allow specific callers with narrower ALLOW policies.",
        "Istio AuthorizationPolicy",
    )


def _namespace_default_deny_netpol(args: StackValidationArgs, report: ReportViolation) -> None:
    _namespace_default_deny(
        args,
        report,
        frozenset({NETWORK_POLICY}),
        _default_deny_netpol,
        "add a NetworkPolicy 'default-deny' in namespace '{ns}' with podSelector {{}} and "
        "policyTypes [Ingress, Egress] and no ingress/egress rules.",
        "NetworkPolicy",
    )


_NAMESPACE_CONFIG = PolicyConfigSchema(
    properties={"exemptNamespaces": {**_STRING_LIST, "default": []}}
)

POLICIES: list[Policy] = [
    _resource_policy(
        "sg-no-public-ingress",
        "Security groups accept no inline ingress from 0.0.0.0/0, ::/0 or internet ranges "
        "outside the allowlist; only the edge load balancer's group (tag exposure=edge) may, "
        "on its edge ports.",
        _sg_no_public_ingress,
        Severity.CRITICAL,
        EDGE_CONFIG,
    ),
    _stack_policy(
        "sg-rule-no-public-ingress",
        "Security group ingress rules (SecurityGroupRule, SecurityGroupIngressRule) accept no "
        "traffic from 0.0.0.0/0, ::/0 or non-allowlisted internet ranges, except on the edge "
        "load balancer's group on its edge ports.",
        _sg_rule_no_public_ingress,
        Severity.CRITICAL,
        EDGE_CONFIG,
    ),
    _stack_policy(
        "data-subnet-nacl-no-allow-all",
        "Network ACLs of data subnets (tag tier=data) do not allow all inbound traffic from "
        "the internet.",
        _data_nacl_no_allow_all,
        Severity.MEDIUM,
        PolicyConfigSchema(
            properties={
                "tierTagKey": {"type": "string", "default": "tier"},
                "dataTierValues": {**_STRING_LIST, "default": ["data"]},
            }
        ),
    ),
    _resource_policy(
        "eks-endpoint-private",
        "EKS API endpoints are private, or public only to an allowlist that is not the whole "
        "internet, and private access is on.",
        _eks_endpoint_private,
        Severity.HIGH,
    ),
    _resource_policy(
        "no-public-database",
        "RDS, Aurora, Redshift, Neptune and DocumentDB instances are not publicly accessible.",
        _no_public_database,
        Severity.CRITICAL,
    ),
    _resource_policy(
        "msk-no-public-access",
        "MSK brokers have public access disabled.",
        _no_public_kafka,
        Severity.CRITICAL,
    ),
    _resource_policy(
        "msk-iam-authentication",
        "MSK clusters authenticate clients with IAM (SASL/IAM) and refuse unauthenticated clients.",
        _msk_iam_auth,
        Severity.HIGH,
    ),
    _resource_policy(
        "search-domain-in-vpc",
        "OpenSearch/Elasticsearch domains run inside the VPC, not on a public endpoint.",
        _search_in_vpc,
        Severity.HIGH,
    ),
    _resource_policy(
        "cache-explicit-security-groups",
        "ElastiCache clusters, replication groups and serverless caches use dedicated security "
        "groups instead of the VPC default group.",
        _cache_security_groups,
        Severity.MEDIUM,
    ),
    _resource_policy(
        "no-public-ip-on-compute",
        "EC2 instances and launch templates do not assign public IP addresses.",
        _no_public_ip,
        Severity.HIGH,
    ),
    _resource_policy(
        "imdsv2-required",
        "EC2 instances and launch templates require IMDSv2 (metadataOptions.httpTokens=required).",
        _imdsv2_required,
        Severity.HIGH,
    ),
    _resource_policy(
        "eks-nodegroup-launch-template",
        "EKS managed node groups use a launch template (where IMDSv2 and node hardening are "
        "enforced).",
        _nodegroup_launch_template,
        Severity.MEDIUM,
    ),
    _resource_policy(
        "eks-nodegroup-no-ssh",
        "EKS managed node groups do not open SSH remote access.",
        _nodegroup_no_ssh,
        Severity.MEDIUM,
    ),
    _resource_policy(
        "s3-no-public-acl",
        "S3 buckets and bucket ACLs grant nothing to AllUsers or AuthenticatedUsers (no public "
        "canned ACLs).",
        _s3_no_public_acl,
        Severity.CRITICAL,
    ),
    _stack_policy(
        "s3-public-access-block",
        "Every S3 bucket has a BucketPublicAccessBlock with all four flags true (or the stack "
        "sets an account-wide block).",
        _s3_public_access_block,
        Severity.CRITICAL,
    ),
    _resource_policy(
        "iam-no-admin-wildcard",
        "IAM identity policies do not allow Action '*' (or NotAction) on Resource '*'.",
        _iam_no_admin_wildcard,
        Severity.CRITICAL,
    ),
    _resource_policy(
        "iam-no-service-wildcard",
        "IAM identity policies do not allow a whole service ('s3:*') on Resource '*'.",
        _iam_no_service_wildcard,
        Severity.MEDIUM,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    _resource_policy(
        "no-wildcard-principal",
        "Trust and resource policies (IAM roles, S3, KMS, SQS, SNS, ECR, Secrets Manager) do "
        "not allow Principal '*' without a restricting condition, nor use NotPrincipal. KMS "
        "key policies may use Resource '*' and the account root principal.",
        _no_wildcard_principal,
        Severity.CRITICAL,
    ),
    _resource_policy(
        "istio-peer-auth-strict",
        "Istio PeerAuthentication policies never downgrade mTLS to PERMISSIVE or DISABLE.",
        _peer_auth_strict,
        Severity.HIGH,
    ),
    _resource_policy(
        "istio-authz-no-allow-all",
        "Istio AuthorizationPolicies have no empty ALLOW rule (which allows everything).",
        _authz_no_allow_all,
        Severity.HIGH,
    ),
    _stack_policy(
        "istio-mesh-strict-mtls",
        "Every EKS cluster has a mesh-wide STRICT Istio PeerAuthentication (istio-system, no "
        "selector).",
        _mesh_strict_mtls,
        Severity.HIGH,
        PolicyConfigSchema(
            properties={
                "rootNamespace": {"type": "string", "default": "istio-system"},
                "exemptClusters": {**_STRING_LIST, "default": []},
            }
        ),
    ),
    _stack_policy(
        "namespace-default-deny-authz",
        "Every tenant namespace has a default-deny Istio AuthorizationPolicy (empty spec).",
        _namespace_default_deny_authz,
        Severity.HIGH,
        _NAMESPACE_CONFIG,
    ),
    _stack_policy(
        "namespace-default-deny-netpol",
        "Every tenant namespace has a default-deny NetworkPolicy (podSelector {}, Ingress and "
        "Egress, no rules).",
        _namespace_default_deny_netpol,
        Severity.HIGH,
        _NAMESPACE_CONFIG,
    ),
]
