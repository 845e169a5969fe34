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
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from meridian_ops.plan.flows.netpath import (
    SG,
    NetGraph,
    missing_links,
    node_source,
    pod_source,
    property_deps,
)
from tests.plans import PROD_REGIONS, name_of, planned

TABLE = json.loads((Path(__file__).parent / "data" / "runtime_paths.json").read_text())


def check(plan: Mapping[str, Any], region: str) -> list[str]:
    """Every missing link of every required path of one regional stack's plan."""
    graph = NetGraph(plan, region)
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
        graph = NetGraph(plan, region)
        if not graph.has("meridian:data:CassandraKeyspace"):
            continue
        endpoint = graph.interface_endpoint("cassandra")
        assert endpoint is not None, f"{region}: no cassandra interface endpoint"
        groups = property_deps(endpoint, "securityGroupIds", SG)
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
