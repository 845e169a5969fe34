"""Every tenant namespace's NetworkPolicies, in the planned prod graph, against the flows a pod in
the mesh must be able to open. The addresses and ports are the publishers', written here as
literals with their source, never read from the modules that build the policies: a wrong port
in a module fails here.

- DNS: the cluster DNS (CoreDNS pods labelled `k8s-app: kube-dns` in `kube-system`) answers on
  port 53, UDP and TCP (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/,
  https://kubernetes.io/docs/tasks/administer-cluster/dns-custom-nameservers/).
- istiod: the sidecar fetches its configuration and certificates from istiod on 15012, "XDS and
  CA services (TLS and mTLS)" (https://istio.io/latest/docs/ops/deployment/application-requirements/
  "Ports used by Istio").
- EKS Pod Identity: the SDK reads credentials from the agent at 169.254.170.23, port 80
  (http://169.254.170.23/v1/credentials; https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html).
  Every tenant has a Pod Identity association, so every tenant needs it.

And what must not be allowed: no egress rule open to every port, no egress to the whole internet
on every port.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.plans import PROD_REGIONS, editable, planned, states

NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DNS = ({"kubernetes.io/metadata.name": "kube-system"}, {"k8s-app": "kube-dns"}, 53)
ISTIOD = ({"kubernetes.io/metadata.name": "istio-system"}, {"app": "istiod"}, 15012)
POD_IDENTITY_AGENT = ("169.254.170.23", 80)
TENANTS = (
    "user",
    "auth",
    "content",
    "notification",
    "payment",
    "messaging",
    "search",
    "file",
    "geo",
    "recommendation",
    "order",
    "config",
)
"""The architecture's twelve domain services, one namespace each."""


def _port_ok(rule: dict[str, Any], protocol: str, port: int) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    return any(
        p.get("protocol", "TCP") == protocol
        and (p.get("port") == port or (p.get("port", 0) <= port <= p.get("endPort", -1)))
        for p in ports
    )


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A label selector (matchLabels only, as the program writes them) selects `labels`."""
    if selector is None:
        return True
    wanted = selector.get("matchLabels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def admits_pod(
    egress: list[dict[str, Any]],
    namespace: dict[str, str],
    pod: dict[str, str],
    protocol: str,
    port: int,
) -> bool:
    for rule in egress:
        if not _port_ok(rule, protocol, port):
            continue
        peers = rule.get("to")
        if not peers:
            return True
        for peer in peers:
            if "ipBlock" in peer:
                continue
            if "namespaceSelector" not in peer and "podSelector" in peer:
                continue  # same-namespace pods only
            if _selects(peer.get("namespaceSelector"), namespace) and _selects(
                peer.get("podSelector"), pod
            ):
                return True
    return False


def admits_address(egress: list[dict[str, Any]], address: str, protocol: str, port: int) -> bool:
    ip = ipaddress.ip_address(address)
    for rule in egress:
        if not _port_ok(rule, protocol, port):
            continue
        peers = rule.get("to")
        if not peers:
            return True
        for peer in peers:
            block = peer.get("ipBlock")
            if block is None:
                continue
            if ip in ipaddress.ip_network(block["cidr"]) and not any(
                ip in ipaddress.ip_network(e) for e in block.get("except") or ()
            ):
                return True
    return False


def tenant_egress(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """namespace -> every egress rule of the tenancy's NetworkPolicies there."""
    out: dict[str, list[dict[str, Any]]] = {}
    for policy in states(plan, NETPOL):
        if "Tenancy" not in policy["urn"]:
            continue
        ns = policy["inputs"]["metadata"].get("namespace")
        out.setdefault(ns, []).extend(policy["inputs"]["spec"].get("egress") or ())
    return out


def netpol_problems(plan: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    egress = tenant_egress(plan)
    if set(egress) != set(TENANTS):
        problems.append(f"tenant namespaces with egress rules: {sorted(egress)}")
    for ns, rules in egress.items():
        for protocol in ("UDP", "TCP"):
            if not admits_pod(rules, DNS[0], DNS[1], protocol, DNS[2]):
                problems.append(f"{ns}: no egress to the cluster DNS on {protocol} 53")
        if not admits_pod(rules, ISTIOD[0], ISTIOD[1], "TCP", ISTIOD[2]):
            problems.append(f"{ns}: no egress to istiod on 15012")
        if not admits_address(rules, *POD_IDENTITY_AGENT[:1], "TCP", POD_IDENTITY_AGENT[1]):
            problems.append(f"{ns}: no egress to the Pod Identity agent 169.254.170.23:80")
        for rule in rules:
            if not rule.get("ports"):
                problems.append(f"{ns}: an egress rule open on every port: {rule}")
    return problems


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_every_tenant_may_reach_dns_istiod_and_its_credentials(region: str) -> None:
    assert netpol_problems(planned("prod")[f"prod-{region}"]) == []


def test_the_same_in_preview() -> None:
    assert netpol_problems(planned("prod", preview=True)[f"prod-{PROD_REGIONS[0]}"]) == []


def _mutate(port_from: int, port_to: int, address: str | None = None) -> list[str]:
    plan = editable(planned("prod")[f"prod-{PROD_REGIONS[0]}"])
    for policy in states(plan, NETPOL):
        for rule in policy["inputs"]["spec"].get("egress") or ():
            targets = [p.get("ipBlock", {}).get("cidr") for p in rule.get("to") or ()]
            if address is not None and f"{address}/32" not in targets:
                continue
            for p in rule.get("ports") or ():
                if p["port"] == port_from:
                    p["port"] = port_to
    return netpol_problems(plan)


def test_the_agent_moved_to_8080_fails() -> None:
    problems = _mutate(80, 8080, POD_IDENTITY_AGENT[0])
    assert any("Pod Identity agent" in p for p in problems), problems


def test_dns_and_istiod_on_other_ports_fail() -> None:
    assert any("cluster DNS on UDP 53" in p for p in _mutate(53, 5353))
    assert any("istiod on 15012" in p for p in _mutate(15012, 15010))
