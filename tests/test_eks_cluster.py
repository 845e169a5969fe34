"""The EKS layer's core on the shipped prod plan, in every region, in `pulumi up` mode (mock engine
values) and preview mode (computed values unknown): the control plane's security properties, its
access, the pinned add-ons and their order, pod networking and the Kubernetes provider."""

from __future__ import annotations

import ipaddress
import itertools
import json
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components.kubernetes.cluster import (
    CONTROL_PLANE_LOG_TYPES,
    IGNORED_CLUSTER_FIELDS,
    control_plane_log_group_name,
)
from components.kubernetes.pod_network import pod_ip_capacity
from meridian_ops.plan.aws_mocks import ACCOUNT_ID, DEPLOYER_ROLE
from stacks.cidr_plan import POD_SUPERNET, pod_cidr
from stacks.outputs import GlobalKey, RegionalKey
from stacks.versions import EKS_ADDONS, KUBERNETES_VERSION
from tests.plans import PROD_REGIONS, by_urn, name_of, one, planned, states

MODES = [False, True]
CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"


def regional(region: str, preview: bool) -> dict[str, Any]:
    return planned("prod", preview)[f"prod-{region}"]


def urn_of(plan: dict[str, Any], resource_type: str, name: str) -> str:
    return one(plan, resource_type, name)["urn"]


def addons(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["inputs"]["addonName"]: a for a in states(plan, ADDON)}


def known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def flows_from(state: dict[str, Any], key: str, urn: str) -> bool:
    """The input `key` of `state` is computed from the resource `urn` (a recorded edge)."""
    return urn in state["propertyDependencies"].get(key, [])


@pytest.fixture(
    params=[(r, p) for r in PROD_REGIONS for p in MODES],
    ids=lambda rp: f"{rp[0]}-{'preview' if rp[1] else 'up'}",
)
def plan(request: pytest.FixtureRequest) -> dict[str, Any]:
    region, preview = request.param
    return regional(region, preview)


def test_endpoint_is_private(plan: dict[str, Any]) -> None:
    vpc = one(plan, CLUSTER)["inputs"]["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_pinned_version_and_no_self_managed_addons(plan: dict[str, Any]) -> None:
    cluster = one(plan, CLUSTER)["inputs"]
    assert cluster["version"] == KUBERNETES_VERSION
    assert cluster["bootstrapSelfManagedAddons"] is False
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}
    assert cluster["deletionProtection"] is True
    assert one(plan, CLUSTER)["protect"] is True  # etcd holds state: unprotect before deleting


def test_secrets_encrypted_with_the_regions_compute_key(plan: dict[str, Any]) -> None:
    cluster = one(plan, CLUSTER)
    compute = one(plan, "aws:kms/key:Key", "keys-compute")
    config = cluster["inputs"]["encryptionConfig"]
    assert config["resources"] == ["secrets"]
    assert flows_from(cluster, "encryptionConfig", compute["urn"])
    if known(compute["outputs"].get("arn")):
        assert config["provider"]["keyArn"] == compute["outputs"]["arn"]
        assert f":{plan['region']}:" in config["provider"]["keyArn"]


def test_all_control_plane_logs_to_an_encrypted_log_group_made_first(plan: dict[str, Any]) -> None:
    cluster = one(plan, CLUSTER)
    assert sorted(cluster["inputs"]["enabledClusterLogTypes"]) == sorted(CONTROL_PLANE_LOG_TYPES)
    assert len(CONTROL_PLANE_LOG_TYPES) == 5
    group = one(plan, "aws:cloudwatch/logGroup:LogGroup", "eks-control-plane-logs")
    assert group["inputs"]["name"] == control_plane_log_group_name(cluster["inputs"]["name"])
    assert group["inputs"]["retentionInDays"] == 365
    logs_key = one(plan, "aws:kms/key:Key", "keys-logs")
    assert flows_from(group, "kmsKeyId", logs_key["urn"])
    assert group["urn"] in cluster["dependencies"]  # before EKS would create its own


def test_access_entries_only_and_admins(plan: dict[str, Any]) -> None:
    cluster = one(plan, CLUSTER)
    assert cluster["inputs"]["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    # people and pipelines: STANDARD entries (nodes join through EC2 entries of their own)
    entries = [
        e
        for e in states(plan, "aws:eks/accessEntry:AccessEntry")
        if e["inputs"]["type"] == "STANDARD"
    ]
    deployer = f"arn:aws:iam::{ACCOUNT_ID}:role/{DEPLOYER_ROLE}"
    assert [e["inputs"]["principalArn"] for e in entries] == [deployer]
    admins = [
        a
        for a in states(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if a["inputs"]["policyArn"].endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
    ]
    assert [name_of(a) for a in admins] == ["eks-access-deployer-admin"]
    [admin] = admins
    assert admin["inputs"]["accessScope"] == {"type": "cluster"}
    assert flows_from(admin, "principalArn", entries[0]["urn"])
    # no aws-auth ConfigMap anywhere
    for state in states(plan):
        if state["type"] == "kubernetes:core/v1:ConfigMap":
            assert state["inputs"].get("metadata", {}).get("name") != "aws-auth"


def test_ignore_changes_are_exactly_the_create_only_fields(plan: dict[str, Any]) -> None:
    assert one(plan, CLUSTER)["ignoreChanges"] == list(IGNORED_CLUSTER_FIELDS)
    for addon in states(plan, ADDON):
        assert addon["ignoreChanges"] == []


def test_addon_versions_come_from_the_table(plan: dict[str, Any]) -> None:
    table = EKS_ADDONS[KUBERNETES_VERSION]
    found = addons(plan)
    assert set(found) == set(table)
    for name, addon in found.items():
        assert addon["inputs"]["addonVersion"] == table[name], name
        assert addon["inputs"]["resolveConflictsOnCreate"] == "OVERWRITE"


def test_addons_calling_aws_have_their_own_pod_identity_role(plan: dict[str, Any]) -> None:
    roles = {name_of(r): r for r in states(plan, "aws:iam/role:Role")}
    attachments = states(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    expected = {
        "vpc-cni": ("aws-node", "eks-vpc-cni-role", "AmazonEKS_CNI_Policy"),
        "aws-ebs-csi-driver": (
            "ebs-csi-controller-sa",
            "addons-ebs-csi-role",
            "AmazonEBSCSIDriverPolicy",
        ),
    }
    found = addons(plan)
    for addon, (account, role_name, managed) in expected.items():
        state = found[addon]
        [association] = state["inputs"]["podIdentityAssociations"]
        assert association["serviceAccount"] == account
        role = roles[role_name]
        assert flows_from(state, "podIdentityAssociations", role["urn"])
        trust = json.loads(role["inputs"]["assumeRolePolicy"])
        assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
        mine = [a for a in attachments if flows_from(a, "role", role["urn"])]
        assert [a["inputs"]["policyArn"].rsplit("/", 1)[-1] for a in mine] == [managed]
    # EKS allows one association per service account: the add-ons bind their roles themselves
    assert states(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation") == [] or all(
        a["inputs"]["serviceAccount"] not in ("aws-node", "ebs-csi-controller-sa")
        for a in states(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    )


def test_ebs_csi_may_use_the_compute_key_only_through_ec2(plan: dict[str, Any]) -> None:
    policy = one(plan, "aws:iam/rolePolicy:RolePolicy", "addons-ebs-csi-volume-key")
    compute = one(plan, "aws:kms/key:Key", "keys-compute")
    assert flows_from(policy, "policy", compute["urn"])
    if known(policy["inputs"]["policy"]):
        document = json.loads(policy["inputs"]["policy"])
        for statement in document["Statement"]:
            assert statement["Resource"] == compute["outputs"]["arn"]
            assert statement["Condition"]["StringEquals"] == {
                "kms:ViaService": f"ec2.{plan['region']}.amazonaws.com"
            }


def test_vpc_cni_runs_custom_networking_with_prefix_delegation(plan: dict[str, Any]) -> None:
    config = json.loads(addons(plan)["vpc-cni"]["inputs"]["configurationValues"])
    assert config["env"] == {
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
        "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
        "ENABLE_PREFIX_DELEGATION": "true",
        "WARM_PREFIX_TARGET": "1",
    }
    assert config["enableNetworkPolicy"] == "true"  # the tenants' NetworkPolicies take effect


def test_eniconfig_per_az_with_its_pod_subnet(plan: dict[str, Any]) -> None:
    eni_configs = states(plan, "kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig")
    zones = plan["outputs"][RegionalKey.AVAILABILITY_ZONES]
    assert sorted(e["inputs"]["metadata"]["name"] for e in eni_configs) == sorted(zones)
    pod_subnets = {
        s["inputs"]["availabilityZone"]: s
        for s in states(plan, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["meridian:tier"] == "pod"
    }
    node_sg = one(plan, "aws:ec2/securityGroup:SecurityGroup", "eks-node-sg")
    vpc_cni = addons(plan)["vpc-cni"]
    for eni in eni_configs:
        assert eni["inputs"]["apiVersion"] == "crd.k8s.amazonaws.com/v1alpha1"
        assert eni["inputs"]["kind"] == "ENIConfig"
        subnet = pod_subnets[eni["inputs"]["metadata"]["name"]]
        assert flows_from(eni, "spec", subnet["urn"])
        assert flows_from(eni, "spec", node_sg["urn"])
        if known(subnet["id"]) and subnet["id"]:
            assert eni["inputs"]["spec"] == {
                "subnet": subnet["id"],
                "securityGroups": [node_sg["id"]],
            }
        assert vpc_cni["urn"] in eni["dependencies"]  # the add-on installs the CRD


def test_order_vpc_cni_before_nodes_coredns_after(plan: dict[str, Any]) -> None:
    found = addons(plan)
    early = [found[a]["urn"] for a in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")]
    eni_configs = [
        e["urn"] for e in states(plan, "kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig")
    ]
    assert found["eks-pod-identity-agent"]["urn"] in found["vpc-cni"]["dependencies"]
    system_pools = [
        g for g in states(plan, "aws:eks/nodeGroup:NodeGroup") if "system" in name_of(g)
    ]
    for late in ("coredns", "aws-ebs-csi-driver"):
        dependencies = found[late]["dependencies"]
        assert all(urn in dependencies for urn in early + eni_configs), late
        for pool in system_pools:  # once the node pools exist
            assert pool["urn"] in dependencies, late
    for pool in system_pools:
        assert found["vpc-cni"]["urn"] in pool["dependencies"]


def test_kubernetes_provider_admitted_first_with_server_side_apply(plan: dict[str, Any]) -> None:
    provider = one(plan, "pulumi:providers:kubernetes", "eks-k8s")
    assert provider["inputs"]["enableServerSideApply"] in (True, "true")
    admin = one(
        plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "eks-access-deployer-admin"
    )
    entry = one(plan, "aws:eks/accessEntry:AccessEntry", "eks-access-deployer")
    assert admin["urn"] in provider["dependencies"]
    assert entry["urn"] in provider["dependencies"]
    kubeconfig = provider["inputs"].get("kubeconfig")
    if known(kubeconfig):
        user = json.loads(kubeconfig)["users"][0]["user"]["exec"]
        cluster = one(plan, CLUSTER)["inputs"]["name"]
        assert user["command"] == "aws"
        assert user["args"] == [
            "eks",
            "get-token",
            "--cluster-name",
            cluster,
            "--region",
            plan["region"],
            "--output",
            "json",
        ]


def test_every_child_uses_the_regions_aws_or_kubernetes_provider(plan: dict[str, Any]) -> None:
    urns = by_urn(plan)
    k8s = one(plan, "pulumi:providers:kubernetes", "eks-k8s")
    aws = [p for p in states(plan, "pulumi:providers:aws")]
    for state in states(plan):
        if not state["custom"] or state["type"].startswith("pulumi:"):
            continue
        ref = state["provider"]
        assert ref, name_of(state)
        provider = urns[ref.rpartition("::")[0]]
        if state["type"].startswith("kubernetes:"):
            assert provider["urn"] == k8s["urn"], name_of(state)
        elif state["type"] == "aws:acmpca/certificate:Certificate":
            # the partner server certificate, issued by the one partner CA in the primary region
            assert provider in aws and provider["inputs"]["region"] == PROD_REGIONS[0], name_of(
                state
            )
        elif state["type"].startswith("aws:"):
            assert provider in aws and provider["inputs"]["region"] == plan["region"], name_of(
                state
            )


def test_security_groups_between_control_plane_and_nodes(plan: dict[str, Any]) -> None:
    node_sg = one(plan, "aws:ec2/securityGroup:SecurityGroup", "eks-node-sg")
    cluster = one(plan, CLUSTER)
    tags = node_sg["inputs"]["tags"]
    assert tags[f"kubernetes.io/cluster/{cluster['inputs']['name']}"] == "owned"
    rules = states(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    from_control_plane = {
        r["inputs"]["fromPort"]
        for r in rules
        if flows_from(r, "securityGroupId", node_sg["urn"])
        and flows_from(r, "referencedSecurityGroupId", cluster["urn"])
    }
    assert {443, 10250} <= from_control_plane
    to_api = [
        r
        for r in rules
        if flows_from(r, "securityGroupId", cluster["urn"])
        and flows_from(r, "referencedSecurityGroupId", node_sg["urn"])
    ]
    assert [(r["inputs"]["fromPort"], r["inputs"]["toPort"]) for r in to_api] == [(443, 443)]
    if known(cluster["outputs"].get("vpcConfig", {}).get("clusterSecurityGroupId")):
        cluster_sg = cluster["outputs"]["vpcConfig"]["clusterSecurityGroupId"]
        assert to_api[0]["inputs"]["securityGroupId"] == cluster_sg
    egress = states(plan, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    # The nodes' one open egress (the deploy runner's own is tests/test_deploy_runner.py's)
    open_egress = [
        r
        for r in egress
        if r["inputs"].get("cidrIpv4") == "0.0.0.0/0"
        and flows_from(r, "securityGroupId", node_sg["urn"])
    ]
    assert [(r["inputs"]["ipProtocol"], r["inputs"]["fromPort"]) for r in open_egress] == [
        ("tcp", 443)
    ]


def test_pod_cidr_from_its_ipam_pool_with_subnets_routed_through_their_az_nat(
    plan: dict[str, Any],
) -> None:
    region = plan["region"]
    expected = pod_cidr(region)
    association = one(
        plan, "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation", "network-pod-cidr"
    )
    assert association["inputs"]["cidrBlock"] == str(expected)
    assert expected.subnet_of(POD_SUPERNET)
    pool = association["inputs"].get("ipv4IpamPoolId")
    if not plan["preview"]:
        global_outputs = planned("prod", False)["prod-global"]["outputs"]
        assert pool == global_outputs[GlobalKey.POD_IPAM_POOL_IDS][region]
        assert global_outputs[GlobalKey.POD_CIDRS][region] == str(expected)
    assert plan["outputs"][RegionalKey.POD_CIDR] == str(expected)
    pods = [
        s
        for s in states(plan, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["meridian:tier"] == "pod"
    ]
    assert len(pods) == 3
    blocks = [ipaddress.IPv4Network(s["inputs"]["cidrBlock"]) for s in pods]
    assert all(b.subnet_of(expected) for b in blocks)
    assert all(association["urn"] in s["dependencies"] for s in pods)
    assert (
        plan["outputs"][RegionalKey.POD_IP_CAPACITY]
        == pod_ip_capacity([str(b) for b in blocks])
        == 49056
    )


def test_pod_routes_use_the_nat_of_their_own_az() -> None:
    plan = regional("eu-west-1", False)
    subnets = {s["id"]: s for s in states(plan, "aws:ec2/subnet:Subnet")}
    nats = {n["id"]: n for n in states(plan, "aws:ec2/natGateway:NatGateway")}
    routes = {r["inputs"]["routeTableId"]: r for r in states(plan, "aws:ec2/route:Route")}
    checked = 0
    for assoc in states(plan, "aws:ec2/routeTableAssociation:RouteTableAssociation"):
        subnet = subnets[assoc["inputs"]["subnetId"]]
        if subnet["inputs"]["tags"]["meridian:tier"] != "pod":
            continue
        nat = nats[routes[assoc["inputs"]["routeTableId"]]["inputs"]["natGatewayId"]]
        assert (
            subnets[nat["inputs"]["subnetId"]]["inputs"]["availabilityZone"]
            == (subnet["inputs"]["availabilityZone"])
        )
        checked += 1
    assert checked == 3


def test_pod_cidrs_never_overlap_across_regions() -> None:
    cidrs = {
        region: ipaddress.IPv4Network(regional(region, False)["outputs"][RegionalKey.POD_CIDR])
        for region in PROD_REGIONS
    }
    for (a, x), (b, y) in itertools.combinations(cidrs.items(), 2):
        assert not x.overlaps(y), (a, b)
    vpcs = [
        ipaddress.IPv4Network(regional(r, False)["outputs"][RegionalKey.VPC_CIDR])
        for r in PROD_REGIONS
    ]
    assert not any(p.overlaps(v) for p in cidrs.values() for v in vpcs)


@pytest.mark.parametrize("preview", MODES)
def test_global_ipam_holds_one_pod_pool_per_region(preview: bool) -> None:
    plan = planned("prod", preview)["prod-global"]
    pools = {
        p["inputs"].get("locale"): p
        for p in states(plan, "aws:ec2/vpcIpamPool:VpcIpamPool")
        if "pods" in name_of(p)
    }
    top = pools.pop(None)
    assert set(pools) == set(PROD_REGIONS)
    cidrs = {
        name_of(c): c["inputs"]["cidr"]
        for c in states(plan, "aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr")
        if "pods" in name_of(c)
    }
    assert cidrs["ipam-pods-cidr"] == str(POD_SUPERNET)
    for region, pool in pools.items():
        assert cidrs[f"ipam-pods-{region}-cidr"] == str(pod_cidr(region))
        assert pool["inputs"]["allocationMaxNetmaskLength"] == 16
        assert flows_from(pool, "sourceIpamPoolId", top["urn"])


def test_stack_outputs_for_the_plan_summary() -> None:
    for region in PROD_REGIONS:
        outputs = regional(region, False)["outputs"]
        assert outputs[RegionalKey.CLUSTER_NAME] == f"meridian-prod-{name_code(region)}-eks"
        assert outputs[RegionalKey.CLUSTER_ENDPOINT].startswith("https://")
        assert outputs[RegionalKey.POD_IP_CAPACITY] == 49056
        assert sorted(outputs[RegionalKey.CLUSTER_ADDONS]) == sorted(EKS_ADDONS[KUBERNETES_VERSION])


def name_code(region: str) -> str:
    from components.common.naming import region_code

    return region_code(region)


# --- telemetry agents ------------------------------------------------------------------------


def test_telemetry_agents_write_only_their_own_encrypted_log_groups(plan: dict[str, Any]) -> None:
    logs_key = one(plan, "aws:kms/key:Key", "keys-logs")
    groups = {
        name_of(g): g
        for g in states(plan, "aws:cloudwatch/logGroup:LogGroup")
        if name_of(g).startswith("telemetry-")
    }
    assert set(groups) == {"telemetry-workload-logs", "telemetry-otel-metrics"}
    for group in groups.values():
        assert flows_from(group, "kmsKeyId", logs_key["urn"])
        assert group["inputs"]["retentionInDays"] == 30  # the logs' hot tier
    grants = {
        "telemetry-fluent-bit-logs": groups["telemetry-workload-logs"],
        "telemetry-otel-metrics": groups["telemetry-otel-metrics"],
    }
    for policy_name, group in grants.items():
        policy = one(plan, "aws:iam/rolePolicy:RolePolicy", policy_name)
        assert flows_from(policy, "policy", group["urn"])
        if known(policy["inputs"]["policy"]) and known(group["outputs"].get("arn")):
            [statement] = json.loads(policy["inputs"]["policy"])["Statement"]
            assert statement["Resource"] == [
                group["outputs"]["arn"],
                group["outputs"]["arn"] + ":log-stream:*",
            ]
            assert not any(a.endswith("*") or "CreateLogGroup" in a for a in statement["Action"])


def test_telemetry_releases_are_pinned_and_use_pod_identity(plan: dict[str, Any]) -> None:
    from stacks.versions import HELM_CHARTS

    releases = {name_of(r): r for r in states(plan, "kubernetes:helm.sh/v3:Release")}
    associations = states(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    expected = {
        "telemetry-fluent-bit": ("aws-for-fluent-bit", "kube-system", "fluent-bit"),
        "telemetry-otel-collector": (
            "opentelemetry-collector",
            "observability",
            "otel-collector",
        ),
    }
    for release_name, (chart, namespace, account) in expected.items():
        release = releases[release_name]["inputs"]
        assert release["chart"] == chart
        assert release["version"] == HELM_CHARTS[chart].version
        assert release["namespace"] == namespace
        assert release["values"]["serviceAccount"]["name"] == account
        [association] = [
            a
            for a in associations
            if a["inputs"]["namespace"] == namespace and a["inputs"]["serviceAccount"] == account
        ]
        assert association["inputs"]["clusterName"] in (
            UNKNOWN,
            one(plan, CLUSTER)["inputs"]["name"],
        )
    fluent_bit = releases["telemetry-fluent-bit"]["inputs"]["values"]["cloudWatchLogs"]
    assert fluent_bit["autoCreateGroup"] is False
    assert fluent_bit["region"] == plan["region"]


def test_collector_namespace_is_a_guarded_mesh_tenant(plan: dict[str, Any]) -> None:
    [namespace] = [
        n
        for n in states(plan, "kubernetes:core/v1:Namespace")
        if n["inputs"]["metadata"]["name"] == "observability"
    ]
    labels = namespace["inputs"]["metadata"]["labels"]
    assert labels["istio-injection"] == "enabled"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    in_namespace = [
        s
        for s in states(plan)
        if s["type"].startswith("kubernetes:")
        and s["inputs"].get("metadata", {}).get("namespace") == "observability"
    ]
    objects = sorted(
        (s["type"].rsplit(":", 1)[-1], s["inputs"]["metadata"]["name"]) for s in in_namespace
    )
    # the tenant's guard, the collectors' OTLP allowances and AWS endpoints, and the cluster
    # scrape's egress to the two exporters (components/observability/cluster_metrics.py), the
    # MSK brokers' targets file and the scrape's egress to them (broker_metrics.py)
    expected = [
        ("AuthorizationPolicy", "allow-otlp"),
        ("AuthorizationPolicy", "deny-all"),
        ("ConfigMap", "kafka-broker-targets"),
        ("NetworkPolicy", "scrape-kafka-brokers"),
        ("LimitRange", "telemetry-limits"),
        ("NetworkPolicy", "allow-otlp"),
        ("NetworkPolicy", "default-deny"),
        ("NetworkPolicy", "scrape-cluster-metrics"),
        ("ResourceQuota", "telemetry-quota"),
        ("ServiceEntry", "aws-telemetry-endpoints"),
    ]
    if plan["region"] == PROD_REGIONS[0]:
        # prod's edge is Cloudflare: its analytics exporter runs once, in the primary region,
        # with its API token and the one external host it calls
        expected += [("Secret", "cloudflare-exporter-token"), ("ServiceEntry", "cloudflare-api")]
    assert objects == sorted(expected)
    [deny] = [s for s in in_namespace if s["inputs"]["metadata"]["name"] == "deny-all"]
    assert deny["inputs"]["spec"] == {}
