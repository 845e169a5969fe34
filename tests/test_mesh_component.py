"""ServiceMesh on its own, on a plain Kubernetes provider under the mock engine: the component
needs only what its MeshCluster protocol names, and its children land on the right providers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare
import pulumi_kubernetes as k8s
import pulumi_tls as tls
import pytest

from components.common.naming import Names
from components.edge.origin_pull import CLOUDFLARE_ORIGIN_PULL_CA
from components.mesh.origin_tls import OriginCertificate, OriginCertificateArgs, OriginIssuer
from components.mesh.service_mesh import (
    NLB,
    ServiceMesh,
    ServiceMeshArgs,
    _service_ports,  # pyright: ignore[reportPrivateUsage]
    _tls_listener,  # pyright: ignore[reportPrivateUsage]
    load_balancer_hostname,
)
from meridian_ops.plan.aws_mocks import MotoValidator
from meridian_ops.plan.engine import run_stack
from stacks.component_data import load_balancer_controller_policy
from stacks.edge_ranges import EDGE_RANGES
from stacks.outputs import RegionalKey
from stacks.versions import HELM_CHARTS

CONFIG: dict[str, Any] = {"pulumi:disable-default-providers": ["*"]}
ACCESS_LOG_BUCKET = "meridian-dev-euw1-logs-123456789012"
LB_ATTRIBUTES = "service.beta.kubernetes.io/aws-load-balancer-attributes"


@dataclass
class _Cluster:
    name: pulumi.Output[str]
    provider: k8s.Provider
    cluster_security_group_id: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]


PARTNERS = ("203.0.113.0/24", "2001:db8:100::/48")


def _program(
    partner_cidrs: tuple[str, ...] = (), origin_certificate_arn: str | None = None
) -> None:
    region = aws.Provider("aws-eu-west-1", region="eu-west-1")
    kube = k8s.Provider("kube", kubeconfig="{}", enable_server_side_apply=True)
    cluster = _Cluster(
        name=pulumi.Output.from_input("meridian-dev-euw1-eks"),
        provider=kube,
        cluster_security_group_id=pulumi.Output.from_input("sg-0cluster"),
        node_security_group_id=pulumi.Output.from_input("sg-0nodes"),
    )
    certificate = OriginCertificate(
        "origin-certificate",
        OriginCertificateArgs(
            Names("dev", "eu-west-1"),
            OriginIssuer.CLOUDFLARE_ORIGIN_CA,
            ("api.dev.example.com",),
            tls.Provider("tls"),
            cloudflare_provider=cloudflare.Provider("cloudflare", api_token="test-token"),
            client_ca_pem=CLOUDFLARE_ORIGIN_PULL_CA,
        ),
    )
    mesh = ServiceMesh(
        "mesh",
        ServiceMeshArgs(
            names=Names("dev", "eu-west-1"),
            region="eu-west-1",
            cluster=cluster,
            vpc_id="vpc-0123",
            public_subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
            backend_cidrs=["10.1.0.0/16", "100.64.0.0/16"],
            edge_ipv4=EDGE_RANGES.ipv4,
            edge_ipv6=EDGE_RANGES.ipv6,
            aws_services=["sts", "s3"],
            charts=HELM_CHARTS,
            load_balancer_controller_policy=load_balancer_controller_policy(),
            edge_certificate=certificate.credential,
            access_log_bucket=ACCESS_LOG_BUCKET,
            partner_cidrs=partner_cidrs,
            origin_certificate_arn=origin_certificate_arn,
        ),
        opts=pulumi.ResourceOptions(provider=region),
    )
    pulumi.export(RegionalKey.INGRESS_HOSTNAME.value, mesh.ingress_hostname)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_mesh_on_a_plain_provider(preview: bool) -> None:
    MotoValidator.reset()
    run = run_stack("dev-eu-west-1", CONFIG, _program, preview=preview)
    steps = [s for s in run.steps if s.custom]
    kube_ref = next(f"{s.urn}::{s.id}" for s in steps if s.type == "pulumi:providers:kubernetes")
    aws_ref = next(f"{s.urn}::{s.id}" for s in steps if s.type == "pulumi:providers:aws")
    for step in steps:
        if step.type.startswith("kubernetes:"):
            assert step.provider == kube_ref, step.urn
        elif step.type.startswith("aws:"):
            assert step.provider == aws_ref, step.urn
    entries = {
        s.inputs["metadata"]["name"]: s.inputs["spec"]
        for s in steps
        if s.type == "kubernetes:networking.istio.io/v1:ServiceEntry"
    }
    assert entries["aws-tls-443-dns"]["hosts"] == ["sts.eu-west-1.amazonaws.com"]
    assert entries["aws-tls-443-passthrough"]["hosts"] == [
        "s3.eu-west-1.amazonaws.com",
        "*.s3.eu-west-1.amazonaws.com",
    ]
    gateway = next(
        s
        for s in steps
        if s.type == "kubernetes:helm.sh/v3:Release" and s.inputs["chart"] == "gateway"
    )
    attributes = gateway.inputs["values"]["service"]["annotations"][LB_ATTRIBUTES].split(",")
    # The controller-made NLB writes access logs (ELBv2 attribute names) to the given bucket.
    assert "access_logs.s3.enabled=true" in attributes
    assert f"access_logs.s3.bucket={ACCESS_LOG_BUCKET}" in attributes
    assert "load_balancing.cross_zone.enabled=true" in attributes
    if preview:
        assert not str(run.outputs.get(RegionalKey.INGRESS_HOSTNAME, "")).startswith("k8s-")
    else:
        assert run.outputs[RegionalKey.INGRESS_HOSTNAME].endswith(".elb.eu-west-1.amazonaws.com")


def test_hostname_is_empty_until_the_controller_made_the_nlb() -> None:
    assert load_balancer_hostname(None) == ""
    status = k8s.core.v1.outputs.ServiceStatus(
        load_balancer=k8s.core.v1.outputs.LoadBalancerStatus(ingress=[])
    )
    assert load_balancer_hostname(status) == ""


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_partner_networks_get_their_own_443_rules(preview: bool) -> None:
    MotoValidator.reset()
    run = run_stack("dev-eu-west-1", CONFIG, lambda: _program(PARTNERS), preview=preview)
    group = next(
        s
        for s in run.steps
        if s.type == "aws:ec2/securityGroup:SecurityGroup" and s.urn.endswith("-ingress-nlb")
    )
    partner = [r for r in group.inputs["ingress"] if "partner network" in r["description"]]
    assert [(r["fromPort"], r["toPort"], r["protocol"]) for r in partner] == [(443, 443, "tcp")] * 2
    assert partner[0]["cidrBlocks"] == ["203.0.113.0/24"] and not partner[0].get("ipv6CidrBlocks")
    assert partner[1]["ipv6CidrBlocks"] == ["2001:db8:100::/48"] and not partner[1].get(
        "cidrBlocks"
    )
    assert all(c in r["description"] for c, r in zip(PARTNERS, partner, strict=True))


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_behind_a_tls_listener_partner_networks_are_admitted_on_the_partner_port(
    preview: bool,
) -> None:
    MotoValidator.reset()
    certificate = "arn:aws:acm:eu-west-1:111122223333:certificate/origin"
    run = run_stack(
        "dev-eu-west-1", CONFIG, lambda: _program(PARTNERS, certificate), preview=preview
    )
    group = next(
        s
        for s in run.steps
        if s.type == "aws:ec2/securityGroup:SecurityGroup" and s.urn.endswith("-ingress-nlb")
    )
    partner = [r for r in group.inputs["ingress"] if "partner network" in r["description"]]
    assert [(r["fromPort"], r["toPort"]) for r in partner] == [(8443, 8443)] * 2
    gateway = next(
        s
        for s in run.steps
        if s.type == "kubernetes:helm.sh/v3:Release" and s.inputs["chart"] == "gateway"
    )
    service = gateway.inputs["values"]["service"]
    assert service["annotations"][f"{NLB}-ssl-ports"] == "443"
    assert {(p["port"], p["targetPort"]) for p in service["ports"]} == {(443, 8443), (8443, 8443)}


def _args(**overrides: object) -> ServiceMeshArgs:
    base: dict[str, object] = dict(
        names=Names("dev", "eu-west-1"),
        region="eu-west-1",
        cluster=None,
        vpc_id="vpc-0123",
        public_subnet_ids=["subnet-a"],
        backend_cidrs=["10.1.0.0/16"],
        edge_ipv4=(),
        edge_ipv6=(),
        edge_prefix_list_ids=("pl-0123",),
        aws_services=["sts"],
        charts=HELM_CHARTS,
        load_balancer_controller_policy=load_balancer_controller_policy(),
        edge_certificate=None,
        access_log_bucket=ACCESS_LOG_BUCKET,
        partner_cidrs=PARTNERS,
    )
    return ServiceMeshArgs(**{**base, **overrides})  # pyright: ignore[reportArgumentType]


def test_partners_use_443_while_the_nlb_passes_tcp_there() -> None:
    assert _args().partner_port == 443


def test_with_a_tls_listener_partners_get_a_tcp_listener_of_their_own() -> None:
    """The AWS edge's TLS listener on 443 would end the partner's TLS: the partner port is 8443,
    a Service port outside `ssl-ports`, so its listener and target group are TCP."""
    args = _args(origin_certificate_arn="arn:aws:acm:eu-west-1:1:certificate/x")
    assert args.partner_port == 8443
    ports = _service_ports(args.partner_port)
    assert [(p["port"], p["targetPort"], p["protocol"]) for p in ports] == [
        (443, 8443, "TCP"),
        (8443, 8443, "TCP"),
    ]
    assert _tls_listener("arn:x")[f"{NLB}-ssl-ports"] == "443"
    assert [p["port"] for p in _service_ports(443)] == [443]


def test_a_partner_network_that_is_not_a_network_is_refused() -> None:
    with pytest.raises(ValueError):
        _args(partner_cidrs=("203.0.113.7/24",))
