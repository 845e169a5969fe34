"""The node pools every prod region gets (NodePools: node role, `system` managed node group,
Karpenter with a NodePool + EC2NodeClass per pool, NVIDIA device plugin), checked on the shared
prod plans in `pulumi up` and preview mode: the pools present (or the config's reason for fewer),
IMDSv2 with hop limit 1, root volumes declared and encrypted with the region's compute key, no
public IPs or SSH, taints, the EFA pool in one AZ with a placement group, ignore_changes, and that
every child uses its region's providers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components.kubernetes.karpenter import INTERRUPTION_EVENTS, controller_policies
from components.kubernetes.node_pools import NODE_POLICIES
from stacks.config.source import PROJECT_DIR, read_stack_file
from stacks.outputs import RegionalKey
from stacks.versions import EKS_AMI_RELEASE, HELM_CHARTS, eks_ami_release_version
from tests.plans import PROD_REGIONS, by_urn, name_of, planned, states

MODES = [False, True]
MODE_IDS = ["up", "preview"]
ALL_POOLS = {"system", "general", "gpu-inference", "gpu-training"}
MANIFEST = read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")
OPT_OUTS: dict[str, list[str]] = MANIFEST["meridian:serviceOptOuts"]
TRAINING_REGION: str = MANIFEST["meridian:trainingRegion"]


def regional(region: str, preview: bool) -> dict[str, Any]:
    return planned("prod", preview)[f"prod-{region}"]


def node_resources(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource under the NodePools component (its whole subtree)."""
    urns = by_urn(plan)
    roots = [u for u, s in urns.items() if s["type"] == "meridian:kubernetes:NodePools"]
    assert len(roots) == 1
    out = []
    for urn, state in urns.items():
        parent = urn
        while parent:
            if parent == roots[0]:
                out.append(state)
                break
            parent = urns.get(parent, {}).get("parent", "")
    return out


def of_type(resources: list[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == resource_type]


def the(resources: list[dict[str, Any]], resource_type: str) -> dict[str, Any]:
    found = of_type(resources, resource_type)
    assert len(found) == 1, (resource_type, len(found))
    return found[0]


def known(value: Any) -> bool:
    return value != UNKNOWN


def compute_key_arn(plan: dict[str, Any]) -> Any:
    keys = [k for k in states(plan, "aws:kms/key:Key") if name_of(k) == "keys-compute"]
    assert len(keys) == 1
    return keys[0]["outputs"].get("arn", UNKNOWN)


def expected_pools(region: str) -> set[str]:
    outs = set(OPT_OUTS.get(region, []))
    if "gpu-nodes" in outs:
        outs |= {"gpu-inference", "gpu-training"}
    if region != TRAINING_REGION:  # one training cluster for the environment
        outs.add("gpu-training")
    return ALL_POOLS - outs


def karpenter_pools(pools: set[str]) -> set[str]:
    """The NodePools of `pools`: the inference floor (static) and the training spot share each
    have a NodePool of their own."""
    extra = {"gpu-inference": "gpu-inference-floor", "gpu-training": "gpu-training-spot"}
    return (pools - {"system"}) | {extra[p] for p in pools if p in extra}


def custom_resources(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {
        r["inputs"]["metadata"]["name"]: r["inputs"]["spec"]
        for r in resources
        if r["type"] == f"kubernetes:{kind}"
    }


# --- the pools ----------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_pools_present_or_opted_out_by_config(region: str, preview: bool) -> None:
    plan = regional(region, preview)
    resources = node_resources(plan)
    pools = expected_pools(region)
    node_pools = custom_resources(resources, "karpenter.sh/v1:NodePool")
    node_classes = custom_resources(resources, "karpenter.k8s.aws/v1:EC2NodeClass")
    assert set(node_pools) == karpenter_pools(pools)
    assert set(node_classes) == set(node_pools)
    assert set(plan["outputs"][RegionalKey.NODE_POOLS]) == pools
    for name, spec in node_pools.items():
        assert spec["template"]["spec"]["nodeClassRef"] == {
            "group": "karpenter.k8s.aws",
            "kind": "EC2NodeClass",
            "name": name,
        }
    # the only reasons for fewer pools are the manifest's documented opt-outs
    assert ALL_POOLS - pools <= {"gpu-inference", "gpu-training"}


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_system_pool(region: str, preview: bool) -> None:
    plan = regional(region, preview)
    resources = node_resources(plan)
    group = the(resources, "aws:eks/nodeGroup:NodeGroup")
    inputs = group["inputs"]
    sizing = plan["outputs"][RegionalKey.NODE_POOLS]["system"]
    assert inputs["taints"] == [
        {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}
    ]
    assert inputs["scalingConfig"]["minSize"] == sizing["minSize"] == 6
    assert inputs["scalingConfig"]["maxSize"] == sizing["maxSize"] == 60
    assert inputs["updateConfig"] == {"maxUnavailable": 1}
    # the autoscaler owns the size: the next `up` never resets it
    assert group["ignoreChanges"] == ["scalingConfig.desiredSize"]
    assert inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert inputs["releaseVersion"] == eks_ami_release_version()
    assert "remoteAccess" not in inputs  # no SSH
    private = [
        s["id"]
        for s in states(plan, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["meridian:tier"] == "private"
    ]
    if not preview:
        assert sorted(inputs["subnetIds"]) == sorted(private)
        assert inputs["launchTemplate"]["version"] == "1"
    lt = the(resources, "aws:ec2/launchTemplate:LaunchTemplate")
    if not preview:
        assert inputs["launchTemplate"]["id"] == lt["id"]
    assert lt["urn"] in group["dependencies"] or any(
        lt["urn"] in deps for deps in group["propertyDependencies"].values()
    )


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_launch_template_is_locked_down(region: str, preview: bool) -> None:
    plan = regional(region, preview)
    lt = the(node_resources(plan), "aws:ec2/launchTemplate:LaunchTemplate")["inputs"]
    assert lt["metadataOptions"]["httpTokens"] == "required"
    assert lt["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert "keyName" not in lt and "userData" not in lt and "imageId" not in lt
    [mapping] = lt["blockDeviceMappings"]
    assert mapping["deviceName"] == "/dev/xvda"
    assert mapping["ebs"]["encrypted"] == "true"
    assert mapping["ebs"]["volumeType"] == "gp3"
    key = compute_key_arn(plan)
    if known(key):
        assert mapping["ebs"]["kmsKeyId"] == key
    [interface] = lt["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    assert interface["deviceIndex"] == 0
    assert len(interface["securityGroups"]) == 1


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_karpenter_node_classes_are_locked_down(region: str, preview: bool) -> None:
    plan = regional(region, preview)
    key = compute_key_arn(plan)
    cluster = the(states(plan), "aws:eks/cluster:Cluster")
    for name, spec in custom_resources(
        node_resources(plan), "karpenter.k8s.aws/v1:EC2NodeClass"
    ).items():
        assert spec["metadataOptions"]["httpTokens"] == "required", name
        assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1, name
        assert spec["associatePublicIPAddress"] is False, name
        assert spec["amiSelectorTerms"] == [{"alias": f"al2023@{EKS_AMI_RELEASE}"}], name
        assert "userData" not in spec and "instanceProfile" not in spec
        [root] = spec["blockDeviceMappings"]
        assert root["rootVolume"] is True and root["deviceName"] == "/dev/xvda"
        assert root["ebs"]["encrypted"] is True and root["ebs"]["volumeType"] == "gp3"
        if known(key):
            assert root["ebs"]["kmsKeyID"] == key
        tags = spec["tags"]
        # what Karpenter creates is findable (and drainable) by the operations layer
        cluster_name = cluster["inputs"]["name"]
        if known(tags["meridian:cluster"]):
            assert tags["meridian:cluster"] == cluster_name
            assert tags["karpenter.sh/discovery"] == cluster_name
        assert {"owner", "cost-center", "environment", "stack"} <= set(tags)
        assert len(spec["securityGroupSelectorTerms"]) == 1


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_taints_and_labels(region: str, preview: bool) -> None:
    plan = regional(region, preview)
    pools = custom_resources(node_resources(plan), "karpenter.sh/v1:NodePool")
    gpu_taint = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
    assert "taints" not in pools["general"]["template"]["spec"]
    requirements = {
        r["key"]: r["values"] for r in pools["general"]["template"]["spec"]["requirements"]
    }
    assert requirements["kubernetes.io/arch"] == ["arm64"]
    assert set(requirements["karpenter.k8s.aws/instance-family"]) <= {"m7g", "c7g", "r7g"}
    assert requirements["karpenter.sh/capacity-type"] == ["on-demand"]  # prod: no spot
    types = plan["outputs"][RegionalKey.GPU_INSTANCE_TYPES]
    summary = plan["outputs"][RegionalKey.NODE_POOLS]
    ceilings: dict[str, tuple[str, Callable[[dict[str, int]], int]]] = {
        "gpu-inference-floor": ("gpu-inference", lambda s: s["minSize"]),
        "gpu-inference": ("gpu-inference", lambda s: s["maxSize"] - s["minSize"]),
        "gpu-training": ("gpu-training", lambda s: s["maxSize"] - s["spotMaxSize"]),
        "gpu-training-spot": ("gpu-training", lambda s: s["spotMaxSize"]),
    }
    for name, (pool, ceiling) in ceilings.items():
        if name not in pools:
            continue
        spec = pools[name]["template"]
        assert gpu_taint in spec["spec"]["taints"]
        labels = spec["metadata"]["labels"]
        assert labels["meridian.io/pool"] == pool
        assert labels["nvidia.com/gpu.present"] == "true"
        assert labels["meridian.io/gpu-model"] and labels["meridian.io/gpu-count"]
        reqs = {r["key"]: r["values"] for r in spec["spec"]["requirements"]}
        assert reqs["node.kubernetes.io/instance-type"] == [types[pool]]
        # a ceiling per NodePool; only the static floor also carries a count (its `replicas`)
        limits = pools[name]["limits"]
        assert set(limits) == {"nodes"}
        assert limits["nodes"] == str(ceiling(summary[pool])), name
        assert ("replicas" in pools[name]) == (name == "gpu-inference-floor"), name
    for name in ("gpu-training", "gpu-training-spot"):
        if name in pools:
            taints = pools[name]["template"]["spec"]["taints"]
            assert {
                "key": "meridian.io/pool",
                "value": "gpu-training",
                "effect": "NoSchedule",
            } in taints


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", [r for r in PROD_REGIONS if "gpu-training" in expected_pools(r)])
def test_training_pool_is_one_az_with_efa_and_a_cluster_placement_group(
    region: str, preview: bool
) -> None:
    plan = regional(region, preview)
    resources = node_resources(plan)
    node_class = custom_resources(resources, "karpenter.k8s.aws/v1:EC2NodeClass")["gpu-training"]
    pool = custom_resources(resources, "karpenter.sh/v1:NodePool")["gpu-training"]
    group = the(resources, "aws:ec2/placementGroup:PlacementGroup")
    assert group["inputs"]["strategy"] == "cluster"
    assert node_class["placementGroupSelector"] == {"name": group["inputs"]["name"]}
    efa = [i for i in node_class["networkInterfaces"] if i["interfaceType"] == "efa-only"]
    assert len(efa) >= 4
    zones = {r["key"]: r["values"] for r in pool["template"]["spec"]["requirements"]}[
        "topology.kubernetes.io/zone"
    ]
    assert len(zones) == 1
    if not preview:
        [term] = node_class["subnetSelectorTerms"]
        subnet = next(s for s in states(plan, "aws:ec2/subnet:Subnet") if s["id"] == term["id"])
        assert subnet["inputs"]["availabilityZone"] == zones[0]
        assert subnet["inputs"]["tags"]["meridian:tier"] == "private"
    # EFA's OS-bypass traffic is matched by security group reference
    rule = the(resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")["inputs"]
    assert rule["ipProtocol"] == "-1"
    if known(rule["securityGroupId"]):
        assert rule["referencedSecurityGroupId"] == rule["securityGroupId"]


# --- identity, Karpenter's controller and its queue ---------------------------------------------


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
def test_node_role_and_access_entry(preview: bool) -> None:
    plan = regional("us-east-1", preview)
    resources = node_resources(plan)
    roles = {name_of(r): r for r in of_type(resources, "aws:iam/role:Role")}
    trust = json.loads(roles["nodes-node-role"]["inputs"]["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = sorted(
        r["inputs"]["policyArn"].rsplit("/", 1)[-1]
        for r in of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )
    assert attached == sorted(NODE_POLICIES)
    assert "AmazonEKS_CNI_Policy" not in attached  # vpc-cni has its own Pod Identity role
    entry = the(resources, "aws:eks/accessEntry:AccessEntry")
    assert entry["inputs"]["type"] == "EC2_LINUX"


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
def test_karpenter_controller(preview: bool) -> None:
    plan = regional("eu-west-1", preview)
    resources = node_resources(plan)
    releases = {
        r["inputs"]["name"]: r["inputs"]
        for r in of_type(resources, "kubernetes:helm.sh/v3:Release")
    }
    karpenter = releases["karpenter"]
    chart = HELM_CHARTS["karpenter"]
    assert karpenter["chart"] == f"{chart.repository}/{chart.chart}"
    assert karpenter["version"] == chart.version
    assert karpenter["namespace"] == "karpenter" and karpenter["createNamespace"] is False
    values = karpenter["values"]
    assert values["replicas"] == 2
    # the inference floor is a static NodePool: its alpha gate is on (chart 1.14.1 values)
    assert values["settings"]["featureGates"] == {"staticCapacity": True}
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in values["tolerations"]
    assert values["nodeSelector"]["meridian.io/pool"] == "system"
    association = the(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert association["inputs"]["namespace"] == "karpenter"
    assert association["inputs"]["serviceAccount"] == values["serviceAccount"]["name"]
    queue = the(resources, "aws:sqs/queue:Queue")
    assert "sqsManagedSseEnabled" not in queue["inputs"]
    streaming = next(k for k in states(plan, "aws:kms/key:Key") if name_of(k) == "keys-streaming")
    if not preview:
        assert queue["inputs"]["kmsMasterKeyId"] == streaming["outputs"]["arn"]
    if not preview:
        assert values["settings"]["interruptionQueue"] == queue["inputs"]["name"]
        assert values["settings"]["clusterName"]
        assert values["controller"]["env"] == [{"name": "AWS_REGION", "value": "eu-west-1"}]
    rules = of_type(resources, "aws:cloudwatch/eventRule:EventRule")
    patterns = sorted(json.loads(r["inputs"]["eventPattern"])["detail-type"][0] for r in rules)
    assert patterns == sorted(p["detail-type"][0] for p in INTERRUPTION_EVENTS.values())
    assert len(of_type(resources, "aws:cloudwatch/eventTarget:EventTarget")) == len(rules)
    policy = the(resources, "aws:sqs/queuePolicy:QueuePolicy")["inputs"]["policy"]
    if known(policy):
        statements = json.loads(policy)["Statement"]
        assert statements[0]["Condition"]["ArnEquals"]["aws:SourceArn"]
        assert statements[1]["Effect"] == "Deny"


def test_karpenter_policy_is_scoped_and_fits_inline() -> None:
    policies = controller_policies(
        cluster="meridian-prod-use1-eks",
        region="us-east-1",
        account="123456789012",
        partition="aws",
        node_role_arn="arn:aws:iam::123456789012:role/meridian-prod-use1-eks-node",
        queue_arn="arn:aws:sqs:us-east-1:123456789012:meridian-prod-use1-karpenter",
        compute_key_arn="arn:aws:kms:us-east-1:123456789012:key/x",
        queue_key_arn="arn:aws:kms:us-east-1:123456789012:key/y",
    )
    text = "".join(json.dumps(p, separators=(",", ":")) for p in policies.values())
    assert len(text) < 10_240  # IAM's limit on a role's inline policies, together
    for document in policies.values():
        for statement in document["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            writes = [
                a
                for a in actions
                if not a.split(":")[1].startswith(("Describe", "Get", "List"))
                and a not in ("ec2:RunInstances", "ec2:CreateFleet")
            ]
            if writes and statement["Resource"] == "*":
                pytest.fail(f"{statement['Sid']} writes on every resource")
    lifecycle = policies["node-lifecycle"]["Statement"]
    deletion = next(s for s in lifecycle if s["Sid"] == "AllowScopedDeletion")
    assert deletion["Condition"]["StringEquals"] == {
        "aws:ResourceTag/kubernetes.io/cluster/meridian-prod-use1-eks": "owned"
    }


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
def test_device_plugin_only_on_gpu_pools(preview: bool) -> None:
    plan = regional("af-south-1", preview)  # gpu-inference only
    resources = node_resources(plan)
    plugin = next(
        r["inputs"]
        for r in of_type(resources, "kubernetes:helm.sh/v3:Release")
        if r["inputs"]["name"] == "nvidia-device-plugin"
    )
    chart = HELM_CHARTS["nvidia-device-plugin"]
    assert plugin["version"] == chart.version
    assert plugin["repositoryOpts"] == {"repo": chart.repository}
    terms = plugin["values"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"]
    [term] = terms
    pools = next(e for e in term["matchExpressions"] if e["key"] == "meridian.io/pool")
    assert pools == {"key": "meridian.io/pool", "operator": "In", "values": ["gpu-inference"]}
    tolerated = {t["key"] for t in plugin["values"]["tolerations"]}
    assert tolerated == {"nvidia.com/gpu", "meridian.io/pool"}
    assert "CriticalAddonsOnly" not in tolerated  # never on the system pool


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_every_child_uses_the_regions_providers(region: str, preview: bool) -> None:
    plan = regional(region, preview)
    urns = by_urn(plan)
    for resource in node_resources(plan):
        if not resource["custom"]:
            continue
        provider_urn = resource["provider"].rpartition("::")[0]
        provider = urns[provider_urn]
        if resource["type"].startswith("aws:"):
            assert provider["type"] == "pulumi:providers:aws", name_of(resource)
            assert provider["inputs"]["region"] == region, name_of(resource)
        else:
            assert resource["type"].startswith("kubernetes:")
            assert provider["type"] == "pulumi:providers:kubernetes", name_of(resource)
            # the cluster's own provider (the one built from this region's cluster)
            assert provider["parent"] and "EksCluster" in provider["parent"], name_of(resource)
        assert not resource["ignoreChanges"] or resource["type"] == "aws:eks/nodeGroup:NodeGroup"


def test_add_ons_wait_for_the_system_pool() -> None:
    plan = regional("us-east-1", False)
    group = the(node_resources(plan), "aws:eks/nodeGroup:NodeGroup")
    addons = [
        a for a in states(plan, "aws:eks/addon:Addon") if a["inputs"]["addonName"] == "coredns"
    ]
    assert addons and all(group["urn"] in a["dependencies"] for a in addons)


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
def test_karpenter_namespace_is_default_deny(preview: bool) -> None:
    resources = node_resources(regional("sa-east-1", preview))
    namespace = the(resources, "kubernetes:core/v1:Namespace")["inputs"]["metadata"]
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = {
        r["inputs"]["metadata"]["name"]: r["inputs"]["spec"]
        for r in of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    deny = policies["default-deny"]
    assert deny["podSelector"] == {} and sorted(deny["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny and "egress" not in deny
    allow = policies["karpenter-controller"]
    egress_ports = sorted(p["port"] for rule in allow["egress"] for p in rule["ports"])
    assert egress_ports == [53, 53, 80, 443]
    # port 80 only to the Pod Identity agent (the controller's credentials)
    [agent] = [r for r in allow["egress"] if [p["port"] for p in r["ports"]] == [80]]
    assert agent["to"] == [{"ipBlock": {"cidr": "169.254.170.23/32"}}]
    assert sorted(p["port"] for p in allow["ingress"][0]["ports"]) == [8080, 8081]
