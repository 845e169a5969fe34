"""Network paths over a planned regional stack: from a workload's pods (or the nodes) to a
destination, link by link: the route (an interface endpoint with private DNS whose security group
admits the port from the source, a gateway endpoint on the source subnets' route tables, or a
default route through a NAT gateway; in-VPC stores need no route), the security groups (the
source's group lets the port out to the destination, the target's group lets it in), the
namespace's NetworkPolicy egress and, in a meshed namespace under outbound REGISTRY_ONLY, the
ServiceEntry listing the host and port.

Security-group ids are unknown in preview mode, so links are followed through each resource's
`propertyDependencies` (URNs), which both modes carry. `missing_links` names each missing link,
e.g. `payment -> api.stripe.com:443: no route for api.stripe.com from network-pod-0 (...)`.

A destination is a mapping: `kind` (link-local, kubernetes-api, vpc-store, aws-api, internet),
`port`, `host` (`{region}` filled in), and per kind `address` (link-local), `targets` (names of
the store's security groups, vpc-store), `endpoint` (interface endpoint service) or `gateway`
(gateway endpoint service).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from meridian_ops.plan.flows.harness import name_of

PUBLIC_ADDRESS = ipaddress.IPv4Address("52.94.133.131")
"""A public AWS address: stands for every destination reached through the NAT gateway or a
gateway endpoint (S3 and DynamoDB answer on public addresses)."""
ANYWHERE = ipaddress.IPv4Network("0.0.0.0/0")

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SUBNET = "aws:ec2/subnet:Subnet"


def type_of(urn: str) -> str:
    return urn.split("::")[-2].rsplit("$", 1)[-1]


def property_deps(state: Mapping[str, Any], prop: str, of_type: str | None = None) -> list[str]:
    urns = state.get("propertyDependencies", {}).get(prop, [])
    return [u for u in urns if of_type is None or type_of(u) == of_type]


def _network(text: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(str(text))
    except ValueError:  # an unknown (preview) value
        return None


def _covers(cidrs: list[Any], address: ipaddress.IPv4Address) -> bool:
    return any((n := _network(c)) is not None and address in n for c in cidrs)


@dataclass(frozen=True)
class Rule:
    """One security-group rule: protocol and ports, and the peers it names."""

    protocol: str
    from_port: int
    to_port: int
    cidrs: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    """Referenced security groups (URNs)."""

    def admits(self, port: int) -> bool:
        if self.protocol in ("-1", "all"):
            return True
        return self.protocol in ("tcp", "6") and self.from_port <= port <= self.to_port


@dataclass
class NetGraph:
    """The planned regional stack, indexed for path checks."""

    plan: Mapping[str, Any]
    region: str
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    egress: dict[str, list[Rule]] = field(default_factory=dict)
    ingress: dict[str, list[Rule]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.states = {s["urn"]: s["newState"] for s in self.plan["steps"]}
        for urn, state in self.states.items():
            inputs = state["inputs"]
            if state["type"] == SG:
                for direction, table in (("egress", self.egress), ("ingress", self.ingress)):
                    for r in inputs.get(direction) or []:
                        table.setdefault(urn, []).append(
                            Rule(
                                r["protocol"],
                                r.get("fromPort", 0),
                                r.get("toPort", 0),
                                tuple(r.get("cidrBlocks") or ()),
                            )
                        )
            elif state["type"] in (SG_EGRESS, SG_INGRESS):
                table = self.egress if state["type"] == SG_EGRESS else self.ingress
                rule = Rule(
                    inputs["ipProtocol"],
                    inputs.get("fromPort", 0),
                    inputs.get("toPort", 0),
                    tuple(c for c in [inputs.get("cidrIpv4")] if c),
                    tuple(property_deps(state, "referencedSecurityGroupId")),
                )
                for owner in property_deps(state, "securityGroupId"):
                    table.setdefault(owner, []).append(rule)

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return list(self._by_type.get(resource_type, ()))

    def has(self, resource_type: str) -> bool:
        return resource_type in self._by_type

    def named(self, name: str) -> list[str]:
        return list(self._by_name.get(name, ()))

    @cached_property
    def _by_type(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for state in self.states.values():
            out.setdefault(state["type"], []).append(state)
        return out

    @cached_property
    def _by_name(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for urn in self.states:
            out.setdefault(urn.rsplit("::", 1)[-1], []).append(urn)
        return out

    @property
    def vpc_cidr(self) -> ipaddress.IPv4Network:
        (vpc,) = self.of_type("aws:ec2/vpc:Vpc")
        return ipaddress.IPv4Network(vpc["inputs"]["cidrBlock"])

    @property
    def pod_cidr(self) -> ipaddress.IPv4Network:
        (pods,) = self.of_type("aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation")
        return ipaddress.IPv4Network(pods["inputs"]["cidrBlock"])

    def in_vpc(self) -> ipaddress.IPv4Address:
        """An address of the private tier (interface endpoints, the control plane's ENIs) and,
        as good as any, of the data tier: both lie in the VPC CIDR."""
        return self.vpc_cidr.network_address + 100

    # --- the links -----------------------------------------------------------------------------

    def group_lets_out(
        self,
        groups: Sequence[str],
        port: int,
        to: ipaddress.IPv4Address,
        to_groups: Sequence[str] = (),
    ) -> bool:
        return any(
            rule.admits(port)
            and (_covers(list(rule.cidrs), to) or bool(set(rule.groups) & set(to_groups)))
            for g in groups
            for rule in self.egress.get(g, [])
        )

    def group_lets_in(
        self,
        groups: Sequence[str],
        port: int,
        source: ipaddress.IPv4Address,
        from_groups: Sequence[str],
    ) -> bool:
        return any(
            rule.admits(port)
            and (_covers(list(rule.cidrs), source) or bool(set(rule.groups) & set(from_groups)))
            for g in groups
            for rule in self.ingress.get(g, [])
        )

    def interface_endpoint(self, service: str) -> dict[str, Any] | None:
        name = f"com.amazonaws.{self.region}.{service}"
        for e in self.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
            i = e["inputs"]
            if i.get("serviceName") == name and i.get("vpcEndpointType") == "Interface":
                return e if i.get("privateDnsEnabled") else None
        return None

    def route_tables(self, subnets: list[str]) -> dict[str, str]:
        """Subnet URN -> its route table's URN."""
        found: dict[str, str] = {}
        for a in self.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
            for subnet in property_deps(a, "subnetId"):
                for table in property_deps(a, "routeTableId"):
                    found[subnet] = table
        return {s: found[s] for s in subnets if s in found}

    def nat_routed(self, table: str) -> bool:
        return any(
            r["inputs"].get("destinationCidrBlock") == "0.0.0.0/0"
            and property_deps(r, "natGatewayId")
            for r in self.of_type("aws:ec2/route:Route")
            if table in property_deps(r, "routeTableId")
        )

    def gateway_routed(self, table: str, service: str) -> bool:
        name = f"com.amazonaws.{self.region}.{service}"
        return any(
            e["inputs"].get("serviceName") == name
            and e["inputs"].get("vpcEndpointType") == "Gateway"
            and table in property_deps(e, "routeTableIds")
            for e in self.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        )

    def egress_policies(self, namespace: str, labels: Mapping[str, str]) -> list[dict[str, Any]]:
        """The NetworkPolicies that restrict the egress of these pods (empty: unrestricted)."""
        found = []
        for p in self.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"):
            spec = p["inputs"]["spec"]
            if p["inputs"]["metadata"].get("namespace") != namespace:
                continue
            wanted = (spec.get("podSelector") or {}).get("matchLabels") or {}
            if "Egress" in spec.get("policyTypes", []) and all(
                labels.get(k) == v for k, v in wanted.items()
            ):
                found.append(spec)
        return found

    def meshed(self, namespace: str) -> bool:
        for n in self.of_type("kubernetes:core/v1:Namespace"):
            meta = n["inputs"]["metadata"]
            if meta.get("name") == namespace:
                return (meta.get("labels") or {}).get("istio-injection") == "enabled"
        return False

    def registry_only(self) -> bool:
        for r in self.of_type("kubernetes:helm.sh/v3:Release"):
            if r["inputs"].get("name") == "istiod":
                values = r["inputs"].get("values") or {}
                mode = values.get("meshConfig", {}).get("outboundTrafficPolicy", {}).get("mode")
                return mode == "REGISTRY_ONLY"
        return False

    def service_entries(self, namespace: str) -> Iterator[dict[str, Any]]:
        for e in self.of_type("kubernetes:networking.istio.io/v1:ServiceEntry"):
            own = e["inputs"]["metadata"].get("namespace")
            export = e["inputs"]["spec"].get("exportTo") or ["*"]
            if "*" in export or namespace in export or ("." in export and own == namespace):
                yield e["inputs"]["spec"]


def policy_admits(spec: Mapping[str, Any], address: ipaddress.IPv4Address, port: int) -> bool:
    for rule in spec.get("egress") or []:
        ports = rule.get("ports") or []
        if ports and not any(
            p.get("protocol", "TCP") == "TCP" and p.get("port") in (None, port) for p in ports
        ):
            continue
        peers = rule.get("to") or []
        if not peers:
            return True
        for peer in peers:
            block = peer.get("ipBlock")
            if (
                block
                and _covers([block["cidr"]], address)
                and not _covers(list(block.get("except") or []), address)
            ):
                return True
    return False


def host_listed(spec: Mapping[str, Any], host: str, port: int) -> bool:
    if not any(p.get("number") == port for p in spec.get("ports") or []):
        return False
    for pattern in spec.get("hosts") or []:
        if pattern == host or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def address_listed(spec: Mapping[str, Any], address: ipaddress.IPv4Address, port: int) -> bool:
    return any(p.get("number") == port for p in spec.get("ports") or []) and _covers(
        list(spec.get("addresses") or []), address
    )


@dataclass(frozen=True)
class Source:
    """Where a workload's connections come from: its security groups, subnets and addresses."""

    groups: list[str]
    subnets: list[str]
    address: ipaddress.IPv4Address
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


def pod_source(graph: NetGraph, workload: Mapping[str, Any]) -> Source:
    configs = graph.of_type("kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig")
    return Source(
        groups=sorted({g for c in configs for g in property_deps(c, "spec", SG)}),
        subnets=sorted({s for c in configs for s in property_deps(c, "spec", SUBNET)}),
        address=graph.pod_cidr.network_address + 100,
        namespace=workload["namespace"],
        labels=workload.get("labels", {}),
    )


def node_source(graph: NetGraph) -> Source:
    groups: set[str] = set()
    subnets: set[str] = set()
    for c in graph.of_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"):
        groups |= set(property_deps(c, "spec", SG))
        subnets |= set(property_deps(c, "spec", SUBNET))
    for t in graph.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        groups |= set(property_deps(t, "vpcSecurityGroupIds", SG))
    for g in graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        subnets |= {u for u in property_deps(g, "subnetIds") if type_of(u) == SUBNET}
    return Source(sorted(groups), sorted(subnets), graph.vpc_cidr.network_address + 50)


def missing_links(
    graph: NetGraph, workload: str, source: Source, destination: str, spec: Mapping[str, Any]
) -> list[str]:
    """What the path from `source` to `destination` lacks (empty: it is complete)."""
    kind, port = spec["kind"], spec["port"]
    host = spec.get("host", spec.get("address", destination)).format(region=graph.region)
    where = f"{workload} -> {destination}:{port}"
    problems: list[str] = []
    if not source.groups:
        return [f"{where}: no security group for the source (ENIConfig/node classes)"]
    target: ipaddress.IPv4Address
    if kind == "link-local":
        target = ipaddress.IPv4Address(spec["address"])
    elif kind == "kubernetes-api":
        target = graph.in_vpc()
        control_plane = [u for u in graph.states if type_of(u) == EKS_CLUSTER]
        if not graph.group_lets_in(control_plane, port, source.address, source.groups):
            problems.append(f"{where}: the cluster security group does not admit {port}")
        if not graph.group_lets_out(source.groups, port, target, control_plane):
            problems.append(f"{where}: no security-group egress to the control plane")
    elif kind == "vpc-store":
        target = graph.in_vpc()
        targets = [u for name in spec["targets"] for u in graph.named(name)]
        if not graph.group_lets_out(source.groups, port, target, targets):
            problems.append(f"{where}: no security-group egress to {host}")
        if not graph.group_lets_in(targets, port, source.address, source.groups):
            problems.append(f"{where}: {'/'.join(spec['targets'])} does not admit the source")
    else:
        endpoint = graph.interface_endpoint(spec["endpoint"]) if "endpoint" in spec else None
        if endpoint is not None:
            target = graph.in_vpc()
            groups = property_deps(endpoint, "securityGroupIds", SG)
            if not graph.group_lets_in(groups, port, source.address, source.groups):
                problems.append(
                    f"{where}: the {spec['endpoint']} endpoint's security group does not admit "
                    f"{port} from {source.address}"
                )
        else:
            target = PUBLIC_ADDRESS
            tables = graph.route_tables(source.subnets)
            for subnet in source.subnets:
                table = tables.get(subnet)
                routed = table is not None and (
                    graph.nat_routed(table)
                    or ("gateway" in spec and graph.gateway_routed(table, spec["gateway"]))
                )
                if not routed:
                    problems.append(
                        f"{where}: no route for {host} from {name_of({'urn': subnet})} "
                        "(no interface endpoint, gateway endpoint or NAT route)"
                    )
        if not graph.group_lets_out(source.groups, port, target):
            problems.append(f"{where}: no security-group egress to {host} ({target})")
    if source.namespace is not None:
        policies = graph.egress_policies(source.namespace, source.labels)
        if policies and not any(policy_admits(p, target, port) for p in policies):
            problems.append(f"{where}: no NetworkPolicy egress to {target} in {source.namespace}")
        if kind != "kubernetes-api" and graph.meshed(source.namespace) and graph.registry_only():
            entries = list(graph.service_entries(source.namespace))
            listed = (
                any(address_listed(e, target, port) for e in entries)
                if kind == "link-local"
                else any(host_listed(e, host, port) for e in entries)
            )
            if not listed:
                problems.append(f"{where}: no ServiceEntry for {host}")
    return problems
