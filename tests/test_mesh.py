"""The service mesh on the graph of every prod region, in up and preview mode: Helm releases in
order, STRICT mTLS, default deny with its allows, REGISTRY_ONLY with the AWS ServiceEntries, the
ingress NLB admitting only the edge, the webhook rules, the ingress hostname output, and every
Kubernetes object on its region's Kubernetes provider."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from components.common.naming import Names
from components.mesh.origin_tls import OriginCredential
from components.mesh.service_mesh import (
    GATEWAY_NAME,
    INGRESS_NAMESPACE,
    ISTIO_NAMESPACE,
    NLB,
    WEBHOOK_PORTS,
    ServiceMeshArgs,
    aws_service_entries,
)
from components.tenancy.services import aws_services_reached
from stacks.component_data import load_balancer_controller_policy
from stacks.edge_ranges import EDGE_RANGES
from stacks.outputs import RegionalKey
from stacks.versions import HELM_CHARTS, ISTIO_VERSION
from tests.plans import PROD_REGIONS, by_urn, name_of, planned, states

RELEASE = "kubernetes:helm.sh/v3:Release"
PEER_AUTH = "kubernetes:security.istio.io/v1:PeerAuthentication"
AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
SERVICE_ENTRY = "kubernetes:networking.istio.io/v1:ServiceEntry"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
MODES = [False, True]
MODE_IDS = ["up", "preview"]


def _plan(region: str, preview: bool) -> dict[str, Any]:
    return planned("prod", preview=preview)[f"prod-{region}"]


def _mesh_states(plan: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for s in states(plan, kind) if "ServiceMesh" in s["urn"]]


def _releases(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["inputs"]["name"]: s for s in _mesh_states(plan, RELEASE)}


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_istio_releases_pinned_and_ordered(region: str, preview: bool) -> None:
    plan = _plan(region, preview)
    releases = _releases(plan)
    assert {"istio-base", "istio-cni", "istiod", GATEWAY_NAME} <= set(releases)
    for name in ("istio-base", "istio-cni", "istiod", GATEWAY_NAME):
        inputs = releases[name]["inputs"]
        assert inputs["version"] == ISTIO_VERSION
        assert inputs["repositoryOpts"]["repo"] == HELM_CHARTS["istio-base"].repository
        assert inputs["atomic"] is True and inputs["cleanupOnFail"] is True
        assert inputs["createNamespace"] is False
    order = [("istio-base", "istio-cni"), ("istio-cni", "istiod"), ("istiod", GATEWAY_NAME)]
    for before, after in order:
        assert releases[before]["urn"] in releases[after]["dependencies"], (before, after)
    lbc = releases["aws-load-balancer-controller"]
    assert lbc["urn"] in releases[GATEWAY_NAME]["dependencies"]
    assert lbc["inputs"]["version"] == HELM_CHARTS["aws-load-balancer-controller"].version


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_istiod_values(region: str) -> None:
    values = _releases(_plan(region, False))["istiod"]["inputs"]["values"]
    assert values["meshConfig"]["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}
    pilot = values["pilot"]
    assert pilot["replicaCount"] >= 2 and pilot["autoscaleMin"] >= 2
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in pilot["tolerations"]
    assert pilot["cni"] == {"enabled": True}
    assert values["global"]["defaultPodDisruptionBudget"] == {"enabled": True}
    assert values["sidecarInjectorWebhook"]["rewriteAppHTTPProbe"] is True


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_strict_mtls_and_default_deny(region: str, preview: bool) -> None:
    plan = _plan(region, preview)
    strict = [
        s
        for s in _mesh_states(plan, PEER_AUTH)
        if s["inputs"]["metadata"] == {"name": "default", "namespace": ISTIO_NAMESPACE}
    ]
    assert len(strict) == 1 and strict[0]["inputs"]["spec"] == {"mtls": {"mode": "STRICT"}}
    assert all(
        s["inputs"]["spec"].get("mtls", {}).get("mode") == "STRICT" for s in states(plan, PEER_AUTH)
    )
    policies = {
        (s["inputs"]["metadata"]["namespace"], s["inputs"]["metadata"]["name"]): s["inputs"]["spec"]
        for s in _mesh_states(plan, AUTHZ)
    }
    assert policies[(ISTIO_NAMESPACE, "deny-all")] == {}
    assert policies[(INGRESS_NAMESPACE, "deny-all")] == {}
    edge = policies[(INGRESS_NAMESPACE, "allow-edge-https")]
    assert edge["action"] == "ALLOW"
    assert edge["selector"] == {"matchLabels": {"istio": "ingressgateway"}}
    assert edge["rules"] == [{"to": [{"operation": {"ports": ["8443"]}}]}]


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_service_entries_cover_the_aws_services_workloads_reach(region: str) -> None:
    plan = _plan(region, False)
    entries = {
        s["inputs"]["metadata"]["name"]: s["inputs"]["spec"]
        for s in _mesh_states(plan, SERVICE_ENTRY)
    }
    expected = aws_service_entries(aws_services_reached(), region)
    for name, spec in expected.items():
        assert entries[name] == spec
    hosts = [h for spec in expected.values() for h in spec["hosts"]]
    assert f"sts.{region}.amazonaws.com" in hosts and f"*.s3.{region}.amazonaws.com" in hosts
    assert all(region in h or h == "*.cache.amazonaws.com" for h in hosts)
    for spec in expected.values():
        assert (spec["resolution"] == "NONE") == any(h.startswith("*") for h in spec["hosts"])
    assert entries["eks-pod-identity-agent"]["addresses"] == ["169.254.170.23/32"]


def _ingress_sg(plan: dict[str, Any]) -> dict[str, Any]:
    (sg,) = [s for s in states(plan, SG) if name_of(s) == "mesh-ingress-nlb"]
    return sg


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_ingress_nlb_admits_only_the_edge(region: str, preview: bool) -> None:
    plan = _plan(region, preview)
    sg = _ingress_sg(plan)
    assert sg["inputs"]["tags"]["exposure"] == "edge"
    (rule,) = sg["inputs"]["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert rule["cidrBlocks"] == list(EDGE_RANGES.ipv4)
    assert rule["ipv6CidrBlocks"] == list(EDGE_RANGES.ipv6)
    assert not rule.get("securityGroups") and not rule.get("self")
    assert "0.0.0.0/0" not in rule["cidrBlocks"] and "::/0" not in rule["ipv6CidrBlocks"]
    # The gateway Service asks the controller for exactly that: internet-facing NLB, IP targets,
    # this security group, backend rules managed by the controller.
    annotations = _releases(plan)[GATEWAY_NAME]["inputs"]["values"]["service"]["annotations"]
    assert annotations[f"{NLB}-type"] == "external"
    assert annotations[f"{NLB}-nlb-target-type"] == "ip"
    assert annotations[f"{NLB}-scheme"] == "internet-facing"
    assert annotations[f"{NLB}-manage-backend-security-group-rules"] == "true"
    if not preview:
        assert annotations[f"{NLB}-security-groups"] == sg["id"]
    ports = _releases(plan)[GATEWAY_NAME]["inputs"]["values"]["service"]["ports"]
    assert [(p["port"], p["targetPort"]) for p in ports] == [(443, 8443)]


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_webhook_ports_open_from_the_control_plane(region: str, preview: bool) -> None:
    plan = _plan(region, preview)
    rules = [s for s in states(plan, SG_RULE) if name_of(s).startswith("mesh-webhook-")]
    assert sorted(r["inputs"]["fromPort"] for r in rules) == sorted(WEBHOOK_PORTS)
    urns = by_urn(plan)
    for rule in rules:
        inputs = rule["inputs"]
        assert inputs["toPort"] == inputs["fromPort"] and inputs["ipProtocol"] == "tcp"
        deps = rule["propertyDependencies"]
        assert any(
            urns[u]["type"] == "aws:eks/cluster:Cluster" for u in deps["referencedSecurityGroupId"]
        )
        assert "cidrIpv4" not in inputs


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_ingress_hostname_is_the_nlb(region: str) -> None:
    hostname = _plan(region, False)["outputs"][RegionalKey.INGRESS_HOSTNAME]
    assert hostname.startswith("k8s-istioing-istioing-")
    assert hostname.endswith(f".elb.{region}.amazonaws.com")
    services = [
        s
        for s in _plan(region, False)["steps"]
        if s["newState"]["type"] == "kubernetes:core/v1:Service"
    ]
    # the hostname is read from the gateway's Service, the one load balancer the program asks
    # for; every Service the program creates (the rate-limit service) stays inside the cluster
    (read,) = [s for s in services if s["op"] == "read"]
    assert read["newState"]["id"] == f"{INGRESS_NAMESPACE}/{GATEWAY_NAME}"
    created = [s["newState"]["inputs"] for s in services if s["op"] != "read"]
    assert [c["metadata"]["name"] for c in created] == ["ratelimit"]
    assert all(c["spec"].get("type", "ClusterIP") == "ClusterIP" for c in created)
    balanced = [
        release["inputs"]["name"]
        for release in states(_plan(region, False), RELEASE)
        if (release["inputs"].get("values", {}).get("service") or {}).get("type") == "LoadBalancer"
    ]
    assert balanced == [GATEWAY_NAME]


def test_ingress_hostname_is_unknown_in_preview() -> None:
    outputs = _plan(PROD_REGIONS[0], True)["outputs"]
    assert RegionalKey.INGRESS_HOSTNAME not in outputs or not str(
        outputs[RegionalKey.INGRESS_HOSTNAME]
    ).startswith("k8s-")


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_every_kubernetes_object_uses_the_region_cluster_provider(
    region: str, preview: bool
) -> None:
    plan = _plan(region, preview)
    providers = [s for s in states(plan, "pulumi:providers:kubernetes") if "EksCluster" in s["urn"]]
    assert len(providers) == 1, [s["urn"] for s in providers]
    ref = f"{providers[0]['urn']}::{providers[0]['id']}"
    kube = [s for s in states(plan) if s["type"].startswith("kubernetes:") and s["custom"]]
    assert len(kube) > 100
    wrong = [s["urn"] for s in kube if s["provider"] != ref]
    assert not wrong, wrong[:5]


def test_load_balancer_controller_identity_has_the_published_policy() -> None:
    plan = _plan(PROD_REGIONS[0], False)
    (policy,) = [
        s
        for s in states(plan, "aws:iam/rolePolicy:RolePolicy")
        if name_of(s) == "mesh-lbc-load-balancers"
    ]
    document = json.loads(policy["inputs"]["policy"])
    assert document["Statement"] == list(load_balancer_controller_policy())
    (association,) = [
        s
        for s in states(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if name_of(s) == "mesh-lbc-association"
    ]
    assert association["inputs"]["namespace"] == "kube-system"
    assert association["inputs"]["serviceAccount"] == "aws-load-balancer-controller"
    values = _releases(plan)["aws-load-balancer-controller"]["inputs"]["values"]
    assert values["serviceAccount"]["name"] == "aws-load-balancer-controller"
    assert values["region"] == PROD_REGIONS[0] and values["vpcId"]
    assert values["defaultTags"]["managed-by"] == "aws-load-balancer-controller"


def test_mesh_args_reject_bad_input() -> None:
    class _Cluster:
        name: Any = None
        provider: Any = None
        cluster_security_group_id: Any = None
        node_security_group_id: Any = None

    ok: dict[str, Any] = dict(
        names=Names("dev", "us-east-1"),
        region="us-east-1",
        cluster=_Cluster(),
        vpc_id="vpc-1",
        public_subnet_ids=["subnet-1"],
        backend_cidrs=["10.0.0.0/16"],
        edge_ipv4=EDGE_RANGES.ipv4,
        edge_ipv6=EDGE_RANGES.ipv6,
        aws_services=["sts"],
        charts=HELM_CHARTS,
        load_balancer_controller_policy=load_balancer_controller_policy(),
        edge_certificate=OriginCredential("cert", "key", None, cast(Any, None)),
        access_log_bucket="meridian-dev-use1-logs",
    )
    ServiceMeshArgs(**ok)
    with pytest.raises(ValueError, match="AWS_ENDPOINTS"):
        ServiceMeshArgs(**{**ok, "aws_services": ["nope"]})
    with pytest.raises(ValueError, match="gateway_min_replicas"):
        ServiceMeshArgs(**{**ok, "gateway_min_replicas": 5, "gateway_max_replicas": 2})
    with pytest.raises(ValueError, match="edge"):
        ServiceMeshArgs(**{**ok, "edge_ipv4": (), "edge_ipv6": ()})


def test_mesh_settings_reject_min_above_max() -> None:
    from stacks.mesh_settings import MeshSettings, validate_mesh

    ok = MeshSettings.model_validate(
        {
            "istiodReplicas": 2,
            "gatewayMinReplicas": 2,
            "gatewayMaxReplicas": 4,
            "gatewayDrainSeconds": 30,
        }
    )
    assert validate_mesh(ok, "Pulumi.dev-global.yaml") == []
    bad = ok.model_copy(update={"gateway_min_replicas": 9})
    (problem,) = validate_mesh(bad, "Pulumi.dev-global.yaml")
    assert problem.key == "meridian:mesh.gatewayMinReplicas" and problem.value == 9
    assert "Pulumi.dev-global.yaml" in problem.fix


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_mesh_sizes_come_from_settings(region: str) -> None:
    from stacks.mesh_settings import MESH_DEFAULTS

    prod = MESH_DEFAULTS["prod"]
    releases = _releases(_plan(region, False))
    assert releases["istiod"]["inputs"]["values"]["pilot"]["replicaCount"] == prod["istiodReplicas"]
    scaling = releases[GATEWAY_NAME]["inputs"]["values"]["autoscaling"]
    assert (scaling["minReplicas"], scaling["maxReplicas"]) == (
        prod["gatewayMinReplicas"],
        prod["gatewayMaxReplicas"],
    )
