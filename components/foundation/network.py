"""Network: a three-tier VPC over 3-4 availability zones.

- public subnets: NAT gateways and internet-facing load balancers only;
- private subnets: workloads (EKS nodes and pods), egress through the NAT gateway of their own AZ;
- data subnets: databases, brokers and caches; no route out of the VPC and a network ACL that
  admits only traffic from inside the VPC;
- pod subnets (optional, with `pod_cidr`): a secondary VPC CIDR from the shared address space
  (100.64.0.0/10), allocated from its own IPAM pool, one subnet per AZ for the VPC CNI's custom
  networking, egress through the NAT gateway of their own AZ. The endpoints' security group and
  the data tier's network ACL admit the pod CIDR like the VPC's own.

AWS APIs are reached privately: gateway endpoints for S3 and DynamoDB, interface endpoints for the
services the platform calls (private DNS on, so the services' public names resolve to them). An
endpoint that listens on more than HTTPS (Amazon Keyspaces: CQL on 9142) gets a security group of
its own admitting exactly its ports (INTERFACE_ENDPOINT_PORTS). The default security group is
emptied; flow logs for all traffic go to an encrypted log archive.

Example::

    net = Network("network", NetworkArgs(
        names=names, cidr=ipaddress.IPv4Network("10.128.0.0/16"),
        availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"],
        flow_log_destination_arn=archive.bucket_arn))
    net.private_subnet_ids  # for EKS node groups
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from components.common.moves import moved_type
from components.common.naming import Names

MIN_AZS = 3
MAX_AZS = 4

DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "kms",
    "logs",
    "monitoring",
    "ec2",
    "elasticloadbalancing",
    "autoscaling",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "secretsmanager",
    "eks",
    "eks-auth",
    "sqs",
    "sns",
)
"""Interface endpoints every region gets: image pulls, IAM roles for service accounts, KMS, logs
and metrics, node bootstrap and Session Manager, secrets, EKS, queues."""

INTERFACE_ENDPOINT_PORTS: Mapping[str, tuple[int, ...]] = {
    # Amazon Keyspaces: CQL over TLS on 9142 (Cassandra drivers, cqlsh) and HTTPS on 443 (the AWS
    # SDK/CLI), both through `com.amazonaws.<region>.cassandra`; the endpoint's security group must
    # admit 9142 (Keyspaces developer guide: "Using Amazon Keyspaces with interface VPC endpoints"
    # and "Service endpoints for Amazon Keyspaces", ports and protocols).
    "cassandra": (443, 9142),
}
"""Interface endpoints that listen on more than HTTPS: they get a security group of their own
admitting exactly these ports from inside the VPC. Every other endpoint shares the HTTPS group."""


class Tier(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    DATA = "data"


@dataclass(frozen=True)
class SubnetPlan:
    tier: Tier
    az_index: int
    cidr: ipaddress.IPv4Network


def plan_subnets(cidr: ipaddress.IPv4Network, az_count: int) -> list[SubnetPlan]:
    """Lay out the tiers inside the VPC CIDR.

    The VPC splits into eighths: eighths 0-3 hold one private subnet per AZ (half the VPC, for
    pods), eighth 4 is cut into quarters for the data subnets, eighth 5 into eighths for the
    public subnets, eighths 6-7 stay free for later tiers. For a /16: private /19, data /21,
    public /22.
    """
    if not MIN_AZS <= az_count <= MAX_AZS:
        raise ValueError(f"az_count must be {MIN_AZS}-{MAX_AZS}, got {az_count}")
    if not 16 <= cidr.prefixlen <= 20:
        raise ValueError(f"the VPC CIDR must be a /16 to /20, got {cidr}")
    eighths = list(cidr.subnets(prefixlen_diff=3))
    data_blocks = list(eighths[4].subnets(prefixlen_diff=2))
    public_blocks = list(eighths[5].subnets(prefixlen_diff=3))
    plan: list[SubnetPlan] = []
    for i in range(az_count):
        plan.append(SubnetPlan(Tier.PUBLIC, i, public_blocks[i]))
        plan.append(SubnetPlan(Tier.PRIVATE, i, eighths[i]))
        plan.append(SubnetPlan(Tier.DATA, i, data_blocks[i]))
    return plan


def plan_pod_subnets(pod_cidr: ipaddress.IPv4Network, az_count: int) -> list[ipaddress.IPv4Network]:
    """One pod subnet per AZ: the pod CIDR splits into quarters (a /16 gives /18s), whatever the
    AZ count, so a fourth AZ can be added later without moving the first three."""
    if not MIN_AZS <= az_count <= MAX_AZS:
        raise ValueError(f"az_count must be {MIN_AZS}-{MAX_AZS}, got {az_count}")
    if not 16 <= pod_cidr.prefixlen <= 20:
        raise ValueError(f"the pod CIDR must be a /16 to /20, got {pod_cidr}")
    quarters = list(pod_cidr.subnets(prefixlen_diff=2))
    return quarters[:az_count]


@dataclass(frozen=True)
class NetworkArgs:
    names: Names
    cidr: ipaddress.IPv4Network
    availability_zones: Sequence[str]
    flow_log_destination_arn: pulumi.Input[str]
    ipam_pool_id: pulumi.Input[str] | None = None
    """Allocate the VPC CIDR from this IPAM pool (the environment's plan); None for a bare VPC."""
    interface_endpoints: Sequence[str] = field(default_factory=lambda: DEFAULT_INTERFACE_ENDPOINTS)
    flow_log_aggregation_seconds: int = 60
    pod_cidr: ipaddress.IPv4Network | None = None
    """A secondary CIDR for pods (inside 100.64.0.0/10); None for no pod subnets."""
    pod_ipam_pool_id: pulumi.Input[str] | None = None
    """Allocate the pod CIDR from this IPAM pool (the environment's pod plan)."""

    def __post_init__(self) -> None:
        if not MIN_AZS <= len(self.availability_zones) <= MAX_AZS:
            raise ValueError(
                f"a Network needs {MIN_AZS}-{MAX_AZS} availability zones, "
                f"got {len(self.availability_zones)}"
            )
        if len(set(self.availability_zones)) != len(self.availability_zones):
            raise ValueError("availability zones must be distinct")
        if not self.cidr.is_private:
            raise ValueError(f"the VPC CIDR {self.cidr} is not a private range")
        if self.flow_log_aggregation_seconds not in (60, 600):
            raise ValueError("flow_log_aggregation_seconds must be 60 or 600")
        if self.pod_cidr is not None and (
            self.pod_cidr.overlaps(self.cidr)
            or not self.pod_cidr.subnet_of(ipaddress.IPv4Network("100.64.0.0/10"))
        ):
            raise ValueError(
                f"the pod CIDR {self.pod_cidr} must lie in 100.64.0.0/10, apart from the VPC CIDR"
            )


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    data_subnet_ids: list[pulumi.Output[str]]
    pod_subnet_ids: list[pulumi.Output[str]]
    """One per AZ, in the order of `availability_zones` (empty without `pod_cidr`)."""
    pod_subnet_cidrs: list[str]
    nat_public_ips: list[pulumi.Output[str]]
    endpoint_security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            "meridian:foundation:Network",
            name,
            None,
            moved_type(opts, "meridian:network:Network"),
        )
        self.vpc, igw = self._vpc(name, args)
        subnets = self._subnets(name, args)
        private_rts = self._internet_routes(name, args, subnets, igw)
        self._pod_subnets(name, args, private_rts)
        data_rt = self._data_tier(name, args, subnets)
        self._endpoints(name, args, subnets, [rt.id for rt in private_rts] + [data_rt.id])
        self._flow_logs(name, args)
        az_indexes = range(len(args.availability_zones))
        self.public_subnet_ids = [subnets[(Tier.PUBLIC, i)].id for i in az_indexes]
        self.private_subnet_ids = [subnets[(Tier.PRIVATE, i)].id for i in az_indexes]
        self.data_subnet_ids = [subnets[(Tier.DATA, i)].id for i in az_indexes]
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "vpcCidr": str(args.cidr),
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "dataSubnetIds": self.data_subnet_ids,
                "podSubnetIds": self.pod_subnet_ids,
                "natPublicIps": self.nat_public_ips,
                "endpointSecurityGroupId": self.endpoint_security_group_id,
            }
        )

    @staticmethod
    def _internal_cidrs(args: NetworkArgs) -> list[str]:
        """Every address range inside the VPC: the primary CIDR and, with pods, the pod CIDR."""
        return [str(args.cidr)] + ([str(args.pod_cidr)] if args.pod_cidr is not None else [])

    def _vpc(self, name: str, args: NetworkArgs) -> tuple[aws.ec2.Vpc, aws.ec2.InternetGateway]:
        """The VPC, its default security group locked (no rules), and its internet gateway."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(args.cidr),
            ipv4_ipam_pool_id=args.ipam_pool_id,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            instance_tenancy="default",
            tags={"Name": names.display("vpc")},
            opts=child,
        )
        vpc_id = vpc.id
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg-locked",
            vpc_id=vpc_id,
            ingress=[],
            egress=[],
            tags={"Name": names.display("default-sg-unused")},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc_id, tags={"Name": names.display("igw")}, opts=child
        )
        return vpc, igw

    def _subnets(self, name: str, args: NetworkArgs) -> dict[tuple[Tier, int], aws.ec2.Subnet]:
        """The public, private and data subnets of each AZ (`plan_subnets`)."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        vpc_id = self.vpc.id
        plan = plan_subnets(args.cidr, len(args.availability_zones))
        subnets: dict[tuple[Tier, int], aws.ec2.Subnet] = {}
        for item in plan:
            az = args.availability_zones[item.az_index]
            subnets[(item.tier, item.az_index)] = aws.ec2.Subnet(
                f"{name}-{item.tier.value}-{item.az_index}",
                vpc_id=vpc_id,
                cidr_block=str(item.cidr),
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={
                    "Name": names.display(item.tier.value, az),
                    "meridian:tier": item.tier.value,
                    **_subnet_role_tags(item.tier),
                },
                opts=child,
            )
        return subnets

    def _internet_routes(
        self,
        name: str,
        args: NetworkArgs,
        subnets: Mapping[tuple[Tier, int], aws.ec2.Subnet],
        igw: aws.ec2.InternetGateway,
    ) -> list[aws.ec2.RouteTable]:
        """The public route table; per AZ a NAT gateway and the private route table through it."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        vpc_id = self.vpc.id
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc_id, tags={"Name": names.display("public")}, opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        private_rts: list[aws.ec2.RouteTable] = []
        self.nat_public_ips = []
        self.nat_gateway_ids: list[pulumi.Output[str]] = []  # for the NAT gateways' alarms
        for i in range(len(args.availability_zones)):
            az = args.availability_zones[i]
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}-rta",
                subnet_id=subnets[(Tier.PUBLIC, i)].id,
                route_table_id=public_rt.id,
                opts=child,
            )
            eip = aws.ec2.Eip(
                f"{name}-nat-{i}-eip",
                domain="vpc",
                tags={"Name": names.display("nat", az)},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{i}",
                allocation_id=eip.id,
                subnet_id=subnets[(Tier.PUBLIC, i)].id,
                connectivity_type="public",
                tags={"Name": names.display("nat", az)},
                opts=child,
            )
            self.nat_public_ips.append(eip.public_ip)
            self.nat_gateway_ids.append(nat.id)
            rt = aws.ec2.RouteTable(
                f"{name}-private-{i}-rt",
                vpc_id=vpc_id,
                tags={"Name": names.display("private", az)},
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-private-{i}-default",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}-rta",
                subnet_id=subnets[(Tier.PRIVATE, i)].id,
                route_table_id=rt.id,
                opts=child,
            )
            private_rts.append(rt)
        return private_rts

    def _pod_subnets(
        self, name: str, args: NetworkArgs, private_rts: Sequence[aws.ec2.RouteTable]
    ) -> None:
        """Pods: the secondary CIDR from its IPAM pool, then one subnet per AZ routed like the
        private subnet of that AZ (through its NAT gateway)."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        vpc_id = self.vpc.id
        self.pod_subnet_ids = []
        self.pod_subnet_cidrs = []
        if args.pod_cidr is not None:
            association = aws.ec2.VpcIpv4CidrBlockAssociation(
                f"{name}-pod-cidr",
                vpc_id=vpc_id,
                cidr_block=str(args.pod_cidr),
                ipv4_ipam_pool_id=args.pod_ipam_pool_id,
                opts=child,
            )
            pod_blocks = plan_pod_subnets(args.pod_cidr, len(args.availability_zones))
            for i, block in enumerate(pod_blocks):
                az = args.availability_zones[i]
                pod_subnet = aws.ec2.Subnet(
                    f"{name}-pod-{i}",
                    vpc_id=association.vpc_id,
                    cidr_block=str(block),
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags={"Name": names.display("pod", az), "meridian:tier": "pod"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[association]),
                )
                aws.ec2.RouteTableAssociation(
                    f"{name}-pod-{i}-rta",
                    subnet_id=pod_subnet.id,
                    route_table_id=private_rts[i].id,
                    opts=child,
                )
                self.pod_subnet_ids.append(pod_subnet.id)
                self.pod_subnet_cidrs.append(str(block))

    def _data_tier(
        self, name: str, args: NetworkArgs, subnets: Mapping[tuple[Tier, int], aws.ec2.Subnet]
    ) -> aws.ec2.RouteTable:
        """The data subnets' route table (no route out) and their VPC-only network ACL."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        vpc_id = self.vpc.id
        az_indexes = range(len(args.availability_zones))
        data_rt = aws.ec2.RouteTable(
            f"{name}-data-rt", vpc_id=vpc_id, tags={"Name": names.display("data")}, opts=child
        )
        for i in az_indexes:
            aws.ec2.RouteTableAssociation(
                f"{name}-data-{i}-rta",
                subnet_id=subnets[(Tier.DATA, i)].id,
                route_table_id=data_rt.id,
                opts=child,
            )
        # stateless: the same rules each way (one per internal range), everything else is denied
        vpc_only: list[aws.ec2.NetworkAclIngressArgsDict] = [
            {
                "rule_no": 100 + 10 * i,
                "action": "allow",
                "protocol": "-1",
                "cidr_block": block,
                "from_port": 0,
                "to_port": 0,
            }
            for i, block in enumerate(self._internal_cidrs(args))
        ]
        aws.ec2.NetworkAcl(
            f"{name}-data-nacl",
            vpc_id=vpc_id,
            subnet_ids=[subnets[(Tier.DATA, i)].id for i in az_indexes],
            ingress=vpc_only,
            egress=[aws.ec2.NetworkAclEgressArgsDict(**rule) for rule in vpc_only],
            tags={"Name": names.display("data-only-from-vpc")},
            opts=child,
        )
        return data_rt

    def _endpoints(
        self,
        name: str,
        args: NetworkArgs,
        subnets: Mapping[tuple[Tier, int], aws.ec2.Subnet],
        route_table_ids: Sequence[pulumi.Input[str]],
    ) -> None:
        """Gateway endpoints (S3, DynamoDB) on the route tables; interface endpoints in the
        private subnets behind HTTPS-only groups (their own ports where a service needs them)."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        vpc_id = self.vpc.id
        region = names.region or ""
        internal_cidrs = self._internal_cidrs(args)
        for service in ("s3", "dynamodb"):
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-gateway",
                vpc_id=vpc_id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=list(route_table_ids),
                tags={"Name": names.display("endpoint", service)},
                opts=child,
            )

        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc_id,
            description="HTTPS from inside the VPC to AWS interface endpoints",
            ingress=[
                {
                    "description": "HTTPS from the VPC",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": internal_cidrs,
                }
            ],
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": names.display("endpoints")},
            opts=child,
        )
        self.endpoint_security_group_id = endpoint_sg.id
        private_ids = [subnets[(Tier.PRIVATE, i)].id for i in range(len(args.availability_zones))]
        own_groups: dict[str, aws.ec2.SecurityGroup] = {}
        for service in args.interface_endpoints:
            ports = INTERFACE_ENDPOINT_PORTS.get(service)
            if ports is None:
                continue
            slug = service.replace(".", "-")
            own_groups[service] = aws.ec2.SecurityGroup(
                f"{name}-{slug}-endpoint-sg",
                vpc_id=vpc_id,
                description=f"Ports {', '.join(map(str, ports))} from inside the VPC to {service}",
                ingress=[
                    {
                        "description": f"TCP {port} from the VPC",
                        "protocol": "tcp",
                        "from_port": port,
                        "to_port": port,
                        "cidr_blocks": internal_cidrs,
                    }
                    for port in ports
                ],
                egress=[],
                revoke_rules_on_delete=True,
                tags={"Name": names.display("endpoint-sg", slug)},
                opts=child,
            )
        for service in args.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint",
                vpc_id=vpc_id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=private_ids,
                security_group_ids=[own_groups.get(service, endpoint_sg).id],
                tags={"Name": names.display("endpoint", service)},
                opts=child,
            )

    def _flow_logs(self, name: str, args: NetworkArgs) -> None:
        """All the VPC's traffic to `flow_log_destination_arn` (S3), as hive-partitioned Parquet."""
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="s3",
            log_destination=args.flow_log_destination_arn,
            max_aggregation_interval=args.flow_log_aggregation_seconds,
            destination_options={
                "file_format": "parquet",
                "hive_compatible_partitions": True,
                "per_hour_partition": True,
            },
            tags={"Name": args.names.display("flow-logs")},
            opts=pulumi.ResourceOptions(parent=self),
        )


def _subnet_role_tags(tier: Tier) -> dict[str, str]:
    """Tags the AWS Load Balancer Controller reads to place load balancers."""
    if tier is Tier.PUBLIC:
        return {"kubernetes.io/role/elb": "1"}
    if tier is Tier.PRIVATE:
        return {"kubernetes.io/role/internal-elb": "1"}
    return {}
