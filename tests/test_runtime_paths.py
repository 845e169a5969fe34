"""Runtime paths: every workload a regional stack runs can reach what it needs.

The required paths are ONE table, `tests/data/runtime_paths.json`, written from the publishers'
documentation (its `sources`), not from the code under test. For every workload and every
destination it lists, the planned graph must hold each link of the path:

- route: an interface endpoint with private DNS for the service (whose security group admits the
  port from the source's addresses), a gateway endpoint on the source subnets' route tables, or a
  default route through a NAT gateway (public destinations); in-VPC stores need no route;
- security groups: the source's group (pods: the ENIConfig's; nodes: the node classes' and launch
  templates') lets the port out to the destination, and the target's group (endpoint, broker,
  database, cache, control plane) lets it in;
- NetworkPolicy: where policies select the workload's pods for egress, one rule admits the
  destination address and port;
- ServiceEntry: in a meshed namespace under outbound REGISTRY_ONLY, an entry visible there lists
  the host (or the address) and the port.

Security-group ids are unknown in preview mode, so links are followed through each resource's
`propertyDependencies` (URNs), which both modes carry. Failures name the missing link, e.g.
`otel-collector -> aps:443: no ServiceEntry for aps-workspaces.us-east-1.amazonaws.com`.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.plans import PROD_REGIONS, name_of, planned

TABLE = json.loads((Path(__file__).parent / "data" / "runtime_paths.json").read_text())
PUBLIC_ADDRESS = ipaddress.IPv4Address("52.94.133.131")
"""A public AWS address: stands for every destination reached through the NAT gateway or a
gateway endpoint (S3 and DynamoDB answer on public addresses)."""
ANYWHERE = ipaddress.IPv4Network("0.0.0.0/0")

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SUBNET = "aws:ec2/subnet:Subnet"


def _type(urn: str) -> str:
    return urn.split("::")[-2].rsplit("$", 1)[-1]


def _deps(state: Mapping[str, Any], prop: str, of_type: str | None = None) -> list[str]:
    urns = state.get("propertyDependencies", {}).get(prop, [])
    return [u for u in urns if of_type is None or _type(u) == of_type]


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
class Graph:
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
                    tuple(_deps(state, "referencedSecurityGroupId")),
                )
                for owner in _deps(state, "securityGroupId"):
                    table.setdefault(owner, []).append(rule)

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return [s for s in self.states.values() if s["type"] == resource_type]

    def has(self, resource_type: str) -> bool:
        return bool(self.of_type(resource_type))

    def named(self, name: str) -> list[str]:
        return [u for u in self.states if u.rsplit("::", 1)[-1] == name]

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
            for subnet in _deps(a, "subnetId"):
                for table in _deps(a, "routeTableId"):
                    found[subnet] = table
        return {s: found[s] for s in subnets if s in found}

    def nat_routed(self, table: str) -> bool:
        return any(
            r["inputs"].get("destinationCidrBlock") == "0.0.0.0/0" and _deps(r, "natGatewayId")
            for r in self.of_type("aws:ec2/route:Route")
            if table in _deps(r, "routeTableId")
        )

    def gateway_routed(self, table: str, service: str) -> bool:
        name = f"com.amazonaws.{self.region}.{service}"
        return any(
            e["inputs"].get("serviceName") == name
            and e["inputs"].get("vpcEndpointType") == "Gateway"
            and table in _deps(e, "routeTableIds")
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


def pod_source(graph: Graph, workload: Mapping[str, Any]) -> Source:
    configs = graph.of_type("kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig")
    return Source(
        groups=sorted({g for c in configs for g in _deps(c, "spec", SG)}),
        subnets=sorted({s for c in configs for s in _deps(c, "spec", SUBNET)}),
        address=graph.pod_cidr.network_address + 100,
        namespace=workload["namespace"],
        labels=workload.get("labels", {}),
    )


def node_source(graph: Graph) -> Source:
    groups: set[str] = set()
    subnets: set[str] = set()
    for c in graph.of_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"):
        groups |= set(_deps(c, "spec", SG))
        subnets |= set(_deps(c, "spec", SUBNET))
    for t in graph.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        groups |= set(_deps(t, "vpcSecurityGroupIds", SG))
    for g in graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        subnets |= {u for u in _deps(g, "subnetIds") if _type(u) == SUBNET}
    return Source(sorted(groups), sorted(subnets), graph.vpc_cidr.network_address + 50)


def missing_links(
    graph: Graph, workload: str, source: Source, destination: str, spec: Mapping[str, Any]
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
        control_plane = [u for u in graph.states if _type(u) == EKS_CLUSTER]
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
            groups = _deps(endpoint, "securityGroupIds", SG)
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


def check(plan: Mapping[str, Any], region: str) -> list[str]:
    """Every missing link of every required path of one regional stack's plan."""
    graph = Graph(plan, region)
    problems: list[str] = []
    for name, workload in TABLE["workloads"].items():
        if "when" in workload and not graph.has(workload["when"]):
            continue
        source = node_source(graph) if workload.get("source") == "nodes" else None
        source = source or pod_source(graph, workload)
        for destination in workload["reaches"]:
            spec = TABLE["destinations"][destination]
            if "when" in spec and not graph.has(spec["when"]):
                continue
            if spec["kind"] == "vpc-store" and not any(graph.named(t) for t in spec["targets"]):
                continue  # this region runs no such store
            problems += missing_links(graph, name, source, destination, spec)
    return problems


def regional(environment: str, preview: bool) -> dict[str, dict[str, Any]]:
    stacks = planned(environment, preview)
    return {
        name.removeprefix(f"{environment}-"): plan
        for name, plan in stacks.items()
        if not name.endswith(("-global", "-edge"))
    }


def _report(problems: list[str]) -> str:
    pending = [f"{p['workload']} -> {p['reaches']}: {p['reason']}" for p in TABLE["pending"]]
    return (
        "missing runtime paths:\n  "
        + "\n  ".join(problems)
        + "\nknown gaps (pending, not failing):\n  "
        + "\n  ".join(pending)
    )


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_every_runtime_path_is_open(environment: str, preview: bool) -> None:
    stacks = regional(environment, preview)
    assert stacks, f"{environment} plans no regional stack"
    problems = [p for region, plan in stacks.items() for p in check(plan, region)]
    assert not problems, _report(problems)


def test_table_is_consistent() -> None:
    """Every workload's destinations are defined; pending gaps carry a reason."""
    for name, workload in TABLE["workloads"].items():
        unknown = set(workload["reaches"]) - set(TABLE["destinations"])
        assert not unknown, f"{name} reaches undefined destinations {sorted(unknown)}"
    for gap in TABLE["pending"]:
        assert gap["reason"].strip(), gap


# --- the check can fail: links removed from a copy of the planned graph --------------------------


def _dev() -> dict[str, Any]:
    return copy.deepcopy(planned("dev")["dev-us-east-1"])


def _state(plan: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [s["newState"] for s in plan["steps"] if name_of(s["newState"]) == name]
    return found


def test_check_reports_a_blocked_pod_identity_port() -> None:
    plan = _dev()
    assert check(plan, "us-east-1") == []
    for rule in _state(plan, "tenants-messaging-allow-mesh")["inputs"]["spec"]["egress"]:
        for port in rule.get("ports", []):
            if port["port"] == 80:
                port["port"] = 8080
    assert (
        "messaging -> pod-identity-agent:80: no NetworkPolicy egress to 169.254.170.23 in messaging"
        in check(plan, "us-east-1")
    )


def test_check_reports_a_missing_cassandra_endpoint() -> None:
    plan = _dev()
    plan["steps"] = [
        s for s in plan["steps"] if name_of(s["newState"]) != "network-cassandra-endpoint"
    ]
    problems = check(plan, "us-east-1")
    assert any(
        p.startswith("messaging -> keyspaces:9142: no security-group egress") for p in problems
    )


def test_check_reports_an_endpoint_group_without_the_port() -> None:
    plan = _dev()
    group = _state(plan, "network-cassandra-endpoint-sg")
    group["inputs"]["ingress"] = [r for r in group["inputs"]["ingress"] if r["fromPort"] != 9142]
    assert any(
        p.startswith("messaging -> keyspaces:9142: the cassandra endpoint's security group")
        for p in check(plan, "us-east-1")
    )


def test_check_reports_a_missing_service_entry() -> None:
    plan = _dev()
    entry = _state(plan, "telemetry-aws-endpoints")
    entry["inputs"]["spec"]["hosts"] = [
        h for h in entry["inputs"]["spec"]["hosts"] if not h.startswith("aps-workspaces.")
    ]
    assert (
        "otel-collector -> aps:443: no ServiceEntry for aps-workspaces.us-east-1.amazonaws.com"
        in (check(plan, "us-east-1"))
    )


def test_check_reports_a_missing_nat_route() -> None:
    plan = _dev()
    plan["steps"] = [
        s for s in plan["steps"] if name_of(s["newState"]) != "network-private-0-default"
    ]
    assert any(
        p.startswith("karpenter -> iam:443: no route for iam.amazonaws.com from network-pod-0")
        for p in check(plan, "us-east-1")
    )


# --- Keyspaces is reachable privately wherever it serves a region --------------------------------


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_keyspaces_regions_have_the_cassandra_endpoint(preview: bool) -> None:
    """Every prod region that runs Amazon Keyspaces gets `com.amazonaws.<region>.cassandra` with
    private DNS, in a security group that admits CQL (9142) from the VPC and the pods."""
    for region, plan in regional("prod", preview).items():
        graph = Graph(plan, region)
        if not graph.has("meridian:data:CassandraKeyspace"):
            continue
        endpoint = graph.interface_endpoint("cassandra")
        assert endpoint is not None, f"{region}: no cassandra interface endpoint"
        groups = _deps(endpoint, "securityGroupIds", SG)
        for source in (graph.vpc_cidr, graph.pod_cidr):
            assert graph.group_lets_in(groups, 9142, source.network_address + 1, []), (
                f"{region}: the cassandra endpoint does not admit 9142 from {source}"
            )


def test_cassandra_endpoint_is_offered_in_every_meridian_region() -> None:
    """The capability table (moto's SSM snapshot) offers Keyspaces in every prod region, and
    moto's EC2 snapshot lists `cassandra` among the endpoint services it offers in every region
    (`describe_vpc_endpoint_services` answers from that list)."""
    from moto.ec2.models.vpcs import AWS_ENDPOINT_SERVICES

    from stacks import capabilities

    assert "cassandra" in AWS_ENDPOINT_SERVICES
    for region in PROD_REGIONS:
        assert capabilities.offers(region, "keyspaces"), region
