"""Zero-trust policies, network: nothing is reachable from the internet unless it is the edge.

Security groups and their rules (only the edge load balancer's group, tag ``exposure=edge``, may
accept the internet, on its edge ports; edge CDN ranges are config), NACLs of data subnets,
databases, Kafka brokers, caches, search domains and S3 buckets off the internet, and a VPC's
default security group without rules.

Stack policies receive every resource of the stack (with dependencies and property
dependencies), which is how a rule is tied to its security group or a public access block to its
bucket. The other zero-trust modules: ``zero_trust_identity`` (IAM), ``zero_trust_compute`` (EKS
control plane, nodes, IMDS) and ``zero_trust_mesh`` (Istio, namespaces, network policies).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from . import type_tokens
from .compliance import (
    AUTHENTICATION,
    CHANGE_MANAGEMENT,
    ENCRYPTION_IN_TRANSIT,
    LEAST_PRIVILEGE,
    NETWORK_BOUNDARY,
    NO_PUBLIC_DATA,
    SEGMENTATION,
)
from .declare import resource_policy, stack_policy
from .support import (
    UnknownCollector,
    as_bool,
    as_int,
    as_list,
    cidr_in_allowlist,
    config,
    get,
    is_public_cidr,
    is_unknown,
    is_world_cidr,
    label,
    linked_urns,
    plain,
    policy_statements,
)
from .zero_trust_identity import RESTRICTING_CONDITION_KEYS

CONCERN = "zero-trust"


# Resource type tokens (pulumi-aws 7)
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
MSK_CLUSTER = "aws:msk/cluster:Cluster"
BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
BUCKET_ACL_TYPES = frozenset({"aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"})
BUCKET_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
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
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEE_URIS = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)


_STRING_LIST = {"type": "array", "items": {"type": "string"}}
EDGE_CONFIG = PolicyConfigSchema(
    properties={
        "edgeTagKey": {"type": "string", "default": "exposure"},
        "edgeTagValue": {"type": "string", "default": "edge"},
        "edgePorts": {"type": "array", "items": {"type": "integer"}, "default": [443]},
        "allowedCidrs": {**_STRING_LIST, "default": []},
        # false: the edge group sits behind a CDN (Cloudflare) and may admit only the
        # allowedCidrs even on its edge ports; anything else would bypass the CDN's WAF.
        "edgeAllowsInternet": {"type": "boolean", "default": True},
        # partner networks that reach the edge group directly (the partner API's DNS-only name,
        # mutual TLS at the gateway), on the partner ports only: the same list as the stacks'
        # meridian:partnerApi.allowedCidrs, repeated here so that a partner range is admitted
        # by two deliberate entries
        "partnerCidrs": {**_STRING_LIST, "default": []},
        "partnerPorts": {"type": "array", "items": {"type": "integer"}, "default": [443, 8443]},
    }
)


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
        "edgeAllowsInternet": bool(config(args, "edgeAllowsInternet", True)),
        "partnerCidrs": [str(c) for c in config(args, "partnerCidrs", [])],
        "partnerPorts": [as_int(p, -1) for p in config(args, "partnerPorts", [443, 8443])],
    }


def _ingress_problems(rule: _Ingress, edge: bool, cfg: Mapping[str, Any]) -> list[str]:
    """Why an ingress permission is not zero-trust (empty list when it is fine).

    Behind a CDN (``edgeAllowsInternet`` false) the only public sources are the allowedCidrs,
    and only on the edge group's edge ports; otherwise the edge group may accept the internet
    on its edge ports and the allowedCidrs may reach any port. Either way the edge group may
    accept the partnerCidrs (never the whole internet) on its partner ports."""
    edge_ok = edge and rule.within(cfg["edgePorts"])
    partner_ok = edge and rule.within(cfg["partnerPorts"])
    behind_cdn = not cfg["edgeAllowsInternet"]
    problems: list[str] = []
    for cidr in rule.cidrs:
        if not isinstance(cidr, str) or not is_public_cidr(cidr):
            continue
        partner = cidr_in_allowlist(cidr, cfg["partnerCidrs"]) and not is_world_cidr(cidr)
        if partner_ok and partner:
            continue
        allowlisted = cidr_in_allowlist(cidr, cfg["allowedCidrs"])
        if behind_cdn:
            if edge_ok and allowlisted:
                continue
            if edge_ok:
                problems.append(
                    f"allows {rule.ports()} from {cidr} on the edge group, which sits behind "
                    "the CDN: only the allowedCidrs may reach it, anything else bypasses the "
                    "CDN's WAF and TLS policy"
                )
            elif allowlisted:
                problems.append(
                    f"allows {rule.ports()} from the CDN range {cidr}, which may reach only "
                    "the edge group's edge ports"
                )
            else:
                problems.append(_public_problem(rule, cidr))
            continue
        if edge_ok or allowlisted:
            continue
        problems.append(_public_problem(rule, cidr))
    return problems


def _public_problem(rule: _Ingress, cidr: str) -> str:
    if is_world_cidr(cidr):
        return f"allows {rule.ports()} from {cidr} (the whole internet)"
    return (
        f"allows {rule.ports()} from public range {cidr}, which is not in the allowedCidrs "
        "allowlist"
    )


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
                    f"{label(args.resource_type, args.name)} {problem}. {_ingress_fix(cfg)}",
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
                    f"{label(resource.resource_type, resource.name)}{owner} {problem}. "
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
                            f"{label(resource.resource_type, resource.name)} on a data subnet "
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
                        f"{label(resource.resource_type, resource.name)} (network ACL "
                        f"'{acl.name}', data subnet) allows all inbound traffic from the "
                        f"internet. {fix}",
                        resource.urn,
                    )
    unknowns.finish()


# --------------------------------------------------------------------------------------------
# Databases, brokers, caches, search
# --------------------------------------------------------------------------------------------
def _no_public_database(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in PUBLIC_DB_TYPES:
        return
    if as_bool(get(args.props, "publiclyAccessible")):
        report(
            f"{label(args.resource_type, args.name)} is publicly accessible. Fix: set "
            "publiclyAccessible=false and reach it from private subnets.",
            None,
        )


def _proxy_private_placement(args: StackValidationArgs, report: ReportViolation) -> None:
    key = str(config(args, "tierTagKey", "meridian:tier"))
    public = [str(v) for v in config(args, "publicTierValues", ["public"])]
    unknowns = UnknownCollector()
    for resource in args.resources:
        if resource.resource_type not in (type_tokens.RDS_PROXY, type_tokens.RDS_PROXY_ENDPOINT):
            continue
        where = label(resource.resource_type, resource.name)
        with unknowns.guard():
            # len(), not the elements: groups created in the same update are unknown ids
            groups = get(resource.props, "vpcSecurityGroupIds")
            if groups is None or (isinstance(groups, Sequence) and len(groups) == 0):
                report(
                    f"{where} names no vpcSecurityGroupIds, so RDS gives it the VPC's default "
                    "security group. Fix: set vpcSecurityGroupIds to a group of its own that "
                    "admits only the application tier on the database port.",
                    resource.urn,
                )
        for subnet in resource.property_dependencies.get("vpcSubnetIds", []):
            if subnet.resource_type != type_tokens.SUBNET:
                continue
            with unknowns.guard():
                tags = get(subnet.props, "tags")
                tier = tags[key] if isinstance(tags, Mapping) and key in list(tags) else None
                if tier in public:
                    report(
                        f"{where} is placed in subnet '{subnet.name}' of the public tier "
                        f"({key} = {tier!r}), where its address is routed to the internet "
                        "gateway. Fix: set vpcSubnetIds to the VPC's private (data) subnets.",
                        resource.urn,
                    )
    unknowns.finish()


def _no_public_kafka(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != MSK_CLUSTER:
        return
    access = get(args.props, "brokerNodeGroupInfo", "connectivityInfo", "publicAccess", "type")
    if access is not None and str(access).upper() != "DISABLED":
        report(
            f"{label(args.resource_type, args.name)} has public broker access ({access}). Fix: "
            "set brokerNodeGroupInfo.connectivityInfo.publicAccess.type='DISABLED'.",
            None,
        )


def _msk_iam_auth(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != MSK_CLUSTER:
        return
    where = label(args.resource_type, args.name)
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
            f"{label(args.resource_type, args.name)} has a public endpoint (no vpcOptions). "
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
            f"{label(args.resource_type, args.name)} has no securityGroupIds and falls back "
            "to the VPC default security group. Fix: attach a dedicated security group that "
            "admits only the application tier on the cache port.",
            None,
        )


# --------------------------------------------------------------------------------------------
# S3 exposure
# --------------------------------------------------------------------------------------------
def _s3_no_public_acl(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in BUCKET_TYPES | BUCKET_ACL_TYPES:
        return
    where = label(args.resource_type, args.name)
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
                if bucket.urn in linked_urns(block, "bucket"):
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
            where = label(bucket.resource_type, bucket.name)
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
# Plain HTTP from the internet; rule descriptions
# --------------------------------------------------------------------------------------------
HTTP_PORT = 80
VPC_EGRESS_RULE = type_tokens.VPC_EGRESS_RULE


def _opens_http(rule: _Ingress) -> bool:
    """Whether an ingress permission admits TCP port 80 (all protocols included)."""
    if rule.protocol in ("-1", "all"):
        return True
    if rule.protocol not in ("tcp", "6"):
        return False
    low = rule.from_port if rule.from_port is not None else 0
    high = rule.to_port if rule.to_port is not None else 65535
    return low <= HTTP_PORT <= high


def _http_ingress_sources(rule: _Ingress) -> list[str]:
    return [c for c in rule.cidrs if isinstance(c, str) and is_public_cidr(c)]


def _report_http(where: str, rule: _Ingress, report: ReportViolation) -> None:
    if not _opens_http(rule):
        return
    for cidr in _http_ingress_sources(rule):
        whole = " (the whole internet)" if is_world_cidr(cidr) else ""
        report(
            f"{where} admits plain HTTP ({rule.ports()}) from {cidr}{whole}: requests and their "
            "credentials would cross the internet unencrypted. Fix: accept only HTTPS (443) "
            "from the internet and redirect HTTP at the CDN; keep port 80 for private sources.",
            None,
        )


def _sg_http_inline(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    unknowns = UnknownCollector()
    for entry in as_list(get(args.props, "ingress")):
        with unknowns.guard():
            rule = _Ingress(
                as_list(get(entry, "cidrBlocks")) + as_list(get(entry, "ipv6CidrBlocks")),
                get(entry, "protocol"),
                get(entry, "fromPort"),
                get(entry, "toPort"),
            )
            _report_http(where, rule, report)
    unknowns.finish()


def _sg_http_rule(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == SECURITY_GROUP_RULE:
        if get(props, "type") != "ingress":
            return  # egress on 80 (e.g. the EKS Pod Identity agent 169.254.170.23) is not ingress
        rule = _Ingress(
            as_list(get(props, "cidrBlocks")) + as_list(get(props, "ipv6CidrBlocks")),
            get(props, "protocol"),
            get(props, "fromPort"),
            get(props, "toPort"),
        )
    else:
        rule = _Ingress(
            as_list(get(props, "cidrIpv4")) + as_list(get(props, "cidrIpv6")),
            get(props, "ipProtocol"),
            get(props, "fromPort"),
            get(props, "toPort"),
        )
    _report_http(label(args.resource_type, args.name), rule, report)


def _inline_rule_descriptions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    unknowns = UnknownCollector()
    for direction in ("ingress", "egress"):
        for index, entry in enumerate(as_list(get(args.props, direction))):
            with unknowns.guard():
                _require_description(
                    f"{label(args.resource_type, args.name)} {direction}[{index}]",
                    get(entry, "description"),
                    report,
                )
    unknowns.finish()


def _rule_description(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _require_description(
        label(args.resource_type, args.name), get(args.props, "description"), report
    )


def _require_description(where: str, description: Any, report: ReportViolation) -> None:
    if isinstance(description, str) and description.strip():
        return
    report(
        f"{where} has no description, so nobody reviewing the firewall can tell which flow "
        "the rule serves or whether it is still needed. Fix: set description to the flow "
        "(source, destination and purpose).",
        None,
    )


# --------------------------------------------------------------------------------------------
# Subnets: public IPs only in the public tier
# --------------------------------------------------------------------------------------------
SUBNET = type_tokens.SUBNET


def _subnet_public_ip(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not as_bool(get(args.props, "mapPublicIpOnLaunch")):
        return
    key = str(config(args, "tierTagKey", "meridian:tier"))
    public = [str(v) for v in config(args, "publicTierValues", ["public"])]
    tags = get(args.props, "tags")
    tier = tags[key] if isinstance(tags, Mapping) and key in list(tags) else None
    if tier in public:
        return
    report(
        f"{label(args.resource_type, args.name)} sets mapPublicIpOnLaunch = true but is not in "
        f"the public tier ({key} = {tier!r}, public tier: {public}): every instance or node "
        "launched there would get a public address. Fix: set mapPublicIpOnLaunch = false; "
        "only public-tier subnets (load balancers, NAT gateways) may assign public IPs.",
        None,
    )


# --------------------------------------------------------------------------------------------
# The VPC's default security group: managed, and empty
# --------------------------------------------------------------------------------------------


def _default_sg_no_rules(args: ResourceValidationArgs, report: ReportViolation) -> None:
    unknowns = UnknownCollector()
    for direction in ("ingress", "egress"):
        with unknowns.guard():
            rules = as_list(get(args.props, direction))
            if rules:
                report(
                    f"{label(args.resource_type, args.name)} keeps {len(rules)} {direction} "
                    "rule(s) on the VPC's default security group, which every ENI created "
                    "without a group of its own joins. Fix: declare the default security "
                    f"group with {direction}=[] and give each workload a security group of "
                    "its own.",
                    None,
                )
    unknowns.finish()


# --------------------------------------------------------------------------------------------
# S3 object ownership: ACLs disabled
# --------------------------------------------------------------------------------------------


def _bucket_owner_enforced(args: ResourceValidationArgs, report: ReportViolation) -> None:
    ownership = get(args.props, "rule", "objectOwnership")
    if ownership != "BucketOwnerEnforced":
        report(
            f"{label(args.resource_type, args.name)} sets objectOwnership={ownership!r}: ACLs "
            "stay in force, so objects written by another account can stay theirs and an ACL "
            "can open one object past the bucket policy. Fix: set rule.objectOwnership="
            "'BucketOwnerEnforced'.",
            None,
        )


# --------------------------------------------------------------------------------------------
# VPC endpoints
# --------------------------------------------------------------------------------------------
def _statement_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(v) for item in value.values() for v in as_list(item)]
    return [str(v) for v in as_list(value)]


def _vpc_endpoint_private(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    props = plain(args.props)
    kind = props.get("vpcEndpointType") or "Gateway"
    if kind == "Interface":
        dns = props.get("privateDnsEnabled")
        if not is_unknown(dns) and dns is not True:
            report(
                f"{where} is an Interface endpoint without privateDnsEnabled, so the service's "
                "public name still resolves to its public endpoint and clients leave the VPC. "
                "Fix: set private_dns_enabled=True.",
                None,
            )
        groups = props.get("securityGroupIds")
        if not is_unknown(groups) and not as_list(groups):
            report(
                f"{where} is an Interface endpoint without securityGroupIds, so it gets the VPC's "
                "default group. Fix: give it a group that admits only the service's port from "
                "inside the VPC.",
                None,
            )
    document = props.get("policy")
    if is_unknown(document):
        return
    for statement in policy_statements(document):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("NotPrincipal") or statement.get("Principal")
        if "NotPrincipal" not in statement and "*" not in _statement_strings(principal):
            continue
        condition = statement.get("Condition")
        keys = {
            str(key).lower()
            for block in (condition.values() if isinstance(condition, dict) else ())
            if isinstance(block, dict)
            for key in block
        }
        if "NotPrincipal" in statement or not keys & RESTRICTING_CONDITION_KEYS:
            report(
                f"{where} policy lets any principal use the endpoint (Principal '*' or "
                "NotPrincipal) without a restricting condition, so credentials of any account can "
                "reach the service through it. Fix: name the principals or add a condition on "
                "aws:PrincipalAccount, aws:PrincipalOrgID or aws:SourceVpc.",
                None,
            )


POLICIES: list[Policy] = [
    # ec2
    resource_policy(
        "vpc-endpoint-private",
        "Interface VPC endpoints enable private DNS and name their security groups; an endpoint "
        "policy does not allow Principal '*' (or NotPrincipal) without a condition pinning the "
        "caller (aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceVpc, ...). Endpoints "
        "without a policy get AWS's full-access default, which only callers inside the VPC "
        "reach.",
        concern=CONCERN,
        service="ec2",
        severity=Severity.HIGH,
        controls=NETWORK_BOUNDARY | LEAST_PRIVILEGE,
        validators={type_tokens.VPC_ENDPOINT: _vpc_endpoint_private},
    ),
    resource_policy(
        "sg-no-public-ingress",
        "Security groups accept no inline ingress from 0.0.0.0/0, ::/0 or internet ranges "
        "outside the allowlist; only the edge load balancer's group (tag exposure=edge) may, "
        "on its edge ports, and behind a CDN (edgeAllowsInternet = false) only from the CDN's "
        "ranges (allowedCidrs); the partner networks (partnerCidrs) reach it on its partner "
        "ports.",
        concern=CONCERN,
        service="ec2",
        severity=Severity.CRITICAL,
        controls=NETWORK_BOUNDARY,
        validate=_sg_no_public_ingress,
        config_schema=EDGE_CONFIG,
    ),
    stack_policy(
        "sg-rule-no-public-ingress",
        "Security group ingress rules (SecurityGroupRule, SecurityGroupIngressRule) accept no "
        "traffic from 0.0.0.0/0, ::/0 or non-allowlisted internet ranges, except on the edge "
        "load balancer's group on its edge ports (behind a CDN: only the CDN's ranges) and the "
        "partner networks (partnerCidrs) on its partner ports.",
        concern=CONCERN,
        service=("ec2", "vpc"),
        severity=Severity.CRITICAL,
        controls=NETWORK_BOUNDARY,
        types=(type_tokens.SECURITY_GROUP_RULE, type_tokens.VPC_INGRESS_RULE),
        validate=_sg_rule_no_public_ingress,
        config_schema=EDGE_CONFIG,
    ),
    resource_policy(
        "sg-no-plain-http-ingress",
        "Security groups and their ingress rules (inline ingress, SecurityGroupRule, "
        "SecurityGroupIngressRule) admit no TCP port 80 (plain HTTP, or all protocols) from "
        "0.0.0.0/0, ::/0 or any other public range, CDN ranges included; egress on port 80 "
        "(the EKS Pod Identity agent at 169.254.170.23) is not ingress and stays allowed.",
        concern=CONCERN,
        service=("ec2", "vpc"),
        severity=Severity.HIGH,
        controls=NETWORK_BOUNDARY | ENCRYPTION_IN_TRANSIT,
        validators={
            SECURITY_GROUP: _sg_http_inline,
            SECURITY_GROUP_RULE: _sg_http_rule,
            VPC_INGRESS_RULE: _sg_http_rule,
        },
    ),
    resource_policy(
        "sg-rule-description",
        "Every security group rule says what flow it serves: inline ingress and egress of "
        "SecurityGroup, SecurityGroupRule, SecurityGroupIngressRule and SecurityGroupEgressRule "
        "carry a non-empty description (the documented NSC rule set firewall reviews read).",
        concern=CONCERN,
        service=("ec2", "vpc"),
        severity=Severity.LOW,
        controls=SEGMENTATION | CHANGE_MANAGEMENT,
        validators={
            SECURITY_GROUP: _inline_rule_descriptions,
            SECURITY_GROUP_RULE: _rule_description,
            VPC_INGRESS_RULE: _rule_description,
            VPC_EGRESS_RULE: _rule_description,
        },
    ),
    resource_policy(
        "subnet-public-ip-public-tier-only",
        "Only public-tier subnets (tag meridian:tier = public; tag key and values are config) "
        "may set mapPublicIpOnLaunch = true; private, data and pod subnets never hand out "
        "public addresses.",
        concern=CONCERN,
        service="ec2",
        severity=Severity.HIGH,
        controls=NETWORK_BOUNDARY | SEGMENTATION,
        validators={SUBNET: _subnet_public_ip},
        config_schema=PolicyConfigSchema(
            properties={
                "tierTagKey": {"type": "string", "default": "meridian:tier"},
                "publicTierValues": {**_STRING_LIST, "default": ["public"]},
            }
        ),
    ),
    resource_policy(
        "default-sg-no-rules",
        "The VPC's default security group, when the stack manages it, has no ingress and no "
        "egress rules.",
        concern=CONCERN,
        service="ec2",
        severity=Severity.HIGH,
        controls=NETWORK_BOUNDARY | SEGMENTATION,
        validators={type_tokens.DEFAULT_SECURITY_GROUP: _default_sg_no_rules},
    ),
    stack_policy(
        "data-subnet-nacl-no-allow-all",
        "Network ACLs of data subnets (tag tier=data) do not allow all inbound traffic from "
        "the internet.",
        concern=CONCERN,
        service="ec2",
        severity=Severity.MEDIUM,
        controls=NETWORK_BOUNDARY | NO_PUBLIC_DATA,
        types=(type_tokens.NETWORK_ACL, type_tokens.NETWORK_ACL_RULE),
        validate=_data_nacl_no_allow_all,
        config_schema=PolicyConfigSchema(
            properties={
                "tierTagKey": {"type": "string", "default": "tier"},
                "dataTierValues": {**_STRING_LIST, "default": ["data"]},
            }
        ),
    ),
    # rds
    resource_policy(
        "no-public-database",
        "RDS, Aurora, Redshift, Neptune and DocumentDB instances are not publicly accessible.",
        concern=CONCERN,
        service=("rds", "redshift", "neptune", "docdb"),
        severity=Severity.CRITICAL,
        controls=NO_PUBLIC_DATA,
        validate=_no_public_database,
    ),
    stack_policy(
        "rds-proxy-private-placement",
        "RDS Proxies and proxy endpoints sit in the VPC's private subnets with security groups "
        "of their own: vpcSecurityGroupIds is set (without it RDS attaches the VPC's default "
        "group) and no subnet in vpcSubnetIds is of the public tier (tag meridian:tier = public; "
        "tag key and values are config; subnets of another stack are not seen).",
        concern=CONCERN,
        service="rds",
        severity=Severity.HIGH,
        controls=NO_PUBLIC_DATA | SEGMENTATION,
        types=(type_tokens.RDS_PROXY, type_tokens.RDS_PROXY_ENDPOINT),
        validate=_proxy_private_placement,
        config_schema=PolicyConfigSchema(
            properties={
                "tierTagKey": {"type": "string", "default": "meridian:tier"},
                "publicTierValues": {**_STRING_LIST, "default": ["public"]},
            }
        ),
    ),
    # msk
    resource_policy(
        "msk-no-public-access",
        "MSK brokers have public access disabled.",
        concern=CONCERN,
        service="msk",
        severity=Severity.CRITICAL,
        controls=NO_PUBLIC_DATA,
        validate=_no_public_kafka,
    ),
    resource_policy(
        "msk-iam-authentication",
        "MSK clusters authenticate clients with IAM (SASL/IAM) and refuse unauthenticated clients.",
        concern=CONCERN,
        service="msk",
        severity=Severity.HIGH,
        controls=AUTHENTICATION,
        validate=_msk_iam_auth,
    ),
    # opensearch
    resource_policy(
        "search-domain-in-vpc",
        "OpenSearch/Elasticsearch domains run inside the VPC, not on a public endpoint.",
        concern=CONCERN,
        service="opensearch",
        severity=Severity.HIGH,
        controls=NO_PUBLIC_DATA,
        validate=_search_in_vpc,
    ),
    # elasticache
    resource_policy(
        "cache-explicit-security-groups",
        "ElastiCache clusters, replication groups and serverless caches use dedicated security "
        "groups instead of the VPC default group.",
        concern=CONCERN,
        service="elasticache",
        severity=Severity.MEDIUM,
        controls=SEGMENTATION,
        validate=_cache_security_groups,
    ),
    # s3
    resource_policy(
        "s3-no-public-acl",
        "S3 buckets and bucket ACLs grant nothing to AllUsers or AuthenticatedUsers (no public "
        "canned ACLs).",
        concern=CONCERN,
        service="s3",
        severity=Severity.CRITICAL,
        controls=NO_PUBLIC_DATA,
        validate=_s3_no_public_acl,
    ),
    resource_policy(
        "s3-bucket-owner-enforced",
        "S3 bucket ownership controls disable ACLs (objectOwnership = BucketOwnerEnforced).",
        concern=CONCERN,
        service="s3",
        severity=Severity.MEDIUM,
        controls=NO_PUBLIC_DATA | LEAST_PRIVILEGE,
        validators={BUCKET_OWNERSHIP: _bucket_owner_enforced},
    ),
    stack_policy(
        "s3-public-access-block",
        "Every S3 bucket has a BucketPublicAccessBlock with all four flags true (or the stack "
        "sets an account-wide block).",
        concern=CONCERN,
        service="s3",
        severity=Severity.CRITICAL,
        controls=NO_PUBLIC_DATA,
        types=type_tokens.S3_BUCKET_TYPES,
        validate=_s3_public_access_block,
    ),
]
