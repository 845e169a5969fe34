"""The graph a regional stack registers: network, keys, log archive, baseline; for every shipped
region, in `pulumi up` mode (mock engine values) and in preview mode (computed values unknown)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components.common.tagging import REQUIRED_TAG_KEYS, is_taggable
from components.foundation.network import INTERFACE_ENDPOINT_PORTS
from meridian_ops.plan.aws_mocks import zone_ids
from stacks.outputs import GlobalKey, RegionalKey
from tests.plans import PROD_REGIONS, by_urn, name_of, one, planned, states

MODES = [False, True]
CROSS_REGION_LINKS = ("meridian:streaming:KafkaReplication", "meridian:data:LakeReplica")
"""Components whose children may sit in the primary region (replication pairs)."""
BACKUP_VAULT = "meridian:data:BackupVault"
"""Its children may sit in the region's backup copy region (drSummary backups.copyTo)."""


PARTNER_SERVER_CERT = "aws:acmpca/certificate:Certificate"
"""The partner server certificate: issued in the partner CA's region, whatever the stack's."""


def regional(env: str, region: str, preview: bool) -> dict[str, Any]:
    return planned(env, preview)[f"{env}-{region}"]


def without_lake(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan without the lakehouse's buckets and keys (tests/test_lakehouse.py checks those),
    the services' own buckets (tests/flows/test_dependency_flow.py) and the baseline's
    access-log bucket, replicas and alert key (tests/test_baseline_graph.py checks those) and the
    CDC connector's plugin bucket (tests/flows/test_cdc_flow.py and the pack), so the foundation
    tests below see the log archive's and the KeyRing's."""
    urns = {s["urn"]: s["newState"] for s in plan["steps"]}
    lake = (
        "meridian:data:Lakehouse",
        "meridian:data:LakeReplica",
        "meridian:data:ServiceBuckets",
        "meridian:security:AlertTopics",
        "meridian:streaming:DebeziumPostgresSource",
    )
    steps = [
        s
        for s in plan["steps"]
        if urns.get(s["newState"].get("parent") or "", {}).get("type") not in lake
        and not name_of(s["newState"]).startswith("log-archive-access-logs")
    ]
    return {**plan, "steps": steps}


def provider_region(plan: dict[str, Any], provider_ref: str) -> str:
    urn, _, _ = provider_ref.rpartition("::")
    return by_urn(plan)[urn]["inputs"]["region"]


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_every_regional_resource_uses_its_regions_explicit_provider(region: str) -> None:
    for preview in MODES:
        plan = regional("prod", region, preview)
        custom = [s for s in states(plan) if s["custom"] and s["type"].startswith("aws:")]
        assert custom
        for state in custom:
            assert state["provider"], f"{name_of(state)} has no explicit provider"
            if state["type"] == PARTNER_SERVER_CERT:
                # issued by the environment's one partner CA, through a provider in its region
                ca_region = planned("prod", False)["prod-global"]["outputs"][
                    GlobalKey.PARTNER_CA_REGION
                ]
                assert ca_region == PROD_REGIONS[0]
                assert provider_region(plan, state["provider"]) == ca_region, name_of(state)
                continue
            assert provider_region(plan, state["provider"]) == region, name_of(state)
            where = state["inputs"].get("region", region)
            # the MSK replicator into the primary (stacks/regional/streaming.py), the lake's
            # replica in the paired region (components/data/lakehouse/replication.py) and the
            # backup copy vault in a DR peer outside the environment (components/data/backup.py)
            # are owned by this stack but live there; nothing else may name another region.
            parent_type = by_urn(plan)[state["parent"]]["type"]
            if parent_type == BACKUP_VAULT:
                backups = plan["outputs"][RegionalKey.DR_SUMMARY]["backups"]
                assert where in (region, backups.get("copyTo")), name_of(state)
                continue
            cross = parent_type in CROSS_REGION_LINKS
            peers = (PROD_REGIONS[0], plan["outputs"].get(RegionalKey.LAKE_REPLICA_REGION))
            assert where == region or (cross and where in peers), name_of(state)


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_every_child_is_parented_to_a_component(region: str) -> None:
    plan = regional("prod", region, False)
    urns = by_urn(plan)
    for state in states(plan):
        if state["type"].startswith(("aws:kms", "aws:ec2/vpc", "aws:ec2/subnet", "aws:s3")):
            parent = urns[state["parent"]]
            assert parent["type"].startswith("meridian:"), name_of(state)
            assert not parent["custom"]


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_network_shape(region: str) -> None:
    for preview in MODES:
        plan = regional("prod", region, preview)
        vpc = one(plan, "aws:ec2/vpc:Vpc")
        cidr = ipaddress.IPv4Network(vpc["inputs"]["cidrBlock"])
        assert cidr.prefixlen == 16
        assert vpc["inputs"]["enableDnsHostnames"] is True
        subnets = states(plan, "aws:ec2/subnet:Subnet")
        assert len(subnets) == 12
        # pods live on the VPC's secondary CIDR (tests/test_eks_cluster.py checks it)
        pod_cidr = ipaddress.IPv4Network(plan["outputs"][RegionalKey.POD_CIDR])
        tiers: dict[str, list[dict[str, Any]]] = {}
        for s in subnets:
            tier = s["inputs"]["tags"]["meridian:tier"]
            tiers.setdefault(tier, []).append(s)
            block = pod_cidr if tier == "pod" else cidr
            assert ipaddress.IPv4Network(s["inputs"]["cidrBlock"]).subnet_of(block)
            assert s["inputs"]["availabilityZone"] in zone_ids(region)
            assert s["inputs"]["mapPublicIpOnLaunch"] is False
        assert {k: len(v) for k, v in tiers.items()} == {
            "public": 3,
            "private": 3,
            "data": 3,
            "pod": 3,
        }
        for tier in tiers.values():
            assert len({s["inputs"]["availabilityZone"] for s in tier}) == 3
        nets = [ipaddress.IPv4Network(s["inputs"]["cidrBlock"]) for s in subnets]
        assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
        assert len(states(plan, "aws:ec2/natGateway:NatGateway")) == 3
        assert len(states(plan, "aws:ec2/eip:Eip")) == 3


def test_private_routes_use_the_nat_of_their_own_az() -> None:
    plan = regional("prod", "eu-west-1", False)
    subnets = {s["id"]: s for s in states(plan, "aws:ec2/subnet:Subnet")}
    nats = {n["id"]: n for n in states(plan, "aws:ec2/natGateway:NatGateway")}
    routes = {r["inputs"]["routeTableId"]: r for r in states(plan, "aws:ec2/route:Route")}
    assocs = states(plan, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    checked = 0
    for assoc in assocs:
        subnet = subnets[assoc["inputs"]["subnetId"]]
        tier = subnet["inputs"]["tags"]["meridian:tier"]
        route = routes.get(assoc["inputs"]["routeTableId"])
        if tier in ("private", "pod"):
            assert route is not None and route["inputs"]["destinationCidrBlock"] == "0.0.0.0/0"
            nat = nats[route["inputs"]["natGatewayId"]]
            nat_subnet = subnets[nat["inputs"]["subnetId"]]
            assert nat_subnet["inputs"]["availabilityZone"] == subnet["inputs"]["availabilityZone"]
            assert nat_subnet["inputs"]["tags"]["meridian:tier"] == "public"
            checked += tier == "private"
        elif tier == "data":
            assert route is None, "data subnets must have no route out of the VPC"
        else:
            assert route is not None and "gatewayId" in route["inputs"]
    assert checked == 3


@pytest.mark.parametrize("preview", MODES)
def test_data_tier_is_closed_to_everything_outside_the_vpc(preview: bool) -> None:
    plan = regional("prod", "us-east-1", preview)
    vpc_cidr = one(plan, "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"]
    pod_cidr = plan["outputs"][
        RegionalKey.POD_CIDR
    ]  # pods reach the data tier from the VPC's pod CIDR
    nacl = one(plan, "aws:ec2/networkAcl:NetworkAcl")
    assert len(nacl["inputs"]["subnetIds"]) == 3
    for direction in ("ingress", "egress"):
        rules = nacl["inputs"][direction]
        assert [r["cidrBlock"] for r in rules] == [vpc_cidr, pod_cidr]
    default_sg = one(plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg["inputs"].get("ingress", []) == []
    assert default_sg["inputs"].get("egress", []) == []


def test_private_endpoints() -> None:
    plan = regional("prod", "us-east-1", False)
    vpc_cidr = one(plan, "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"]
    pod_cidr = plan["outputs"][RegionalKey.POD_CIDR]
    endpoints = states(plan, "aws:ec2/vpcEndpoint:VpcEndpoint")
    services = {e["inputs"]["serviceName"].split(".", 3)[-1]: e for e in endpoints}
    for needed in ("s3", "dynamodb", "ecr.api", "ecr.dkr", "sts", "kms", "logs", "eks"):
        assert needed in services, needed
    assert all(e["inputs"]["serviceName"].startswith("com.amazonaws.us-east-1.") for e in endpoints)
    private_ids = {
        s["id"]
        for s in states(plan, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["meridian:tier"] == "private"
    }
    [sg] = [
        s
        for s in states(plan, "aws:ec2/securityGroup:SecurityGroup")
        if name_of(s) == "network-endpoints-sg"
    ]
    assert sg["inputs"]["ingress"] == [
        {
            "cidrBlocks": [vpc_cidr, pod_cidr],
            "description": "HTTPS from the VPC",
            "fromPort": 443,
            "protocol": "tcp",
            "toPort": 443,
        }
    ]
    assert sg["inputs"]["egress"] == []
    for name, endpoint in services.items():
        if name in ("s3", "dynamodb"):
            assert endpoint["inputs"]["vpcEndpointType"] == "Gateway"
            assert len(endpoint["inputs"]["routeTableIds"]) == 4  # 3 private + data
        else:
            assert endpoint["inputs"]["vpcEndpointType"] == "Interface"
            assert endpoint["inputs"]["privateDnsEnabled"] is True
            assert set(endpoint["inputs"]["subnetIds"]) == private_ids
            if name not in INTERFACE_ENDPOINT_PORTS:
                assert endpoint["inputs"]["securityGroupIds"] == [sg["id"]]
                continue
            # an endpoint listening on more than HTTPS (Keyspaces: CQL 9142) has its own group
            [own] = [
                s
                for s in states(plan, "aws:ec2/securityGroup:SecurityGroup")
                if name_of(s) == f"network-{name.replace('.', '-')}-endpoint-sg"
            ]
            assert endpoint["inputs"]["securityGroupIds"] == [own["id"]]
            assert [(r["fromPort"], r["toPort"]) for r in own["inputs"]["ingress"]] == [
                (p, p) for p in INTERFACE_ENDPOINT_PORTS[name]
            ]
            assert all(r["cidrBlocks"] == [vpc_cidr, pod_cidr] for r in own["inputs"]["ingress"])
            assert own["inputs"]["egress"] == []
    assert "cassandra" in services  # us-east-1 runs Amazon Keyspaces


@pytest.mark.parametrize("preview", MODES)
def test_flow_logs_go_to_the_encrypted_archive(preview: bool) -> None:
    plan = without_lake(regional("prod", "ap-south-1", preview))
    flow = one(plan, "aws:ec2/flowLog:FlowLog")
    bucket = one(plan, "aws:s3/bucket:Bucket")
    assert flow["inputs"]["trafficType"] == "ALL"
    assert flow["inputs"]["logDestinationType"] == "s3"
    if not preview:
        assert flow["inputs"]["logDestination"] == bucket["outputs"]["arn"]
    assert bucket["urn"] in flow["propertyDependencies"]["logDestination"]
    sse = one(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    rule = sse["inputs"]["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["bucketKeyEnabled"] is True
    logs_key = next(k for k in states(plan, "aws:kms/key:Key") if name_of(k) == "keys-logs")
    if not preview:
        assert (
            rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
            == logs_key["outputs"]["arn"]
        )
    assert logs_key["urn"] in sse["propertyDependencies"]["rules"]
    versioning = one(plan, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning["inputs"]["versioningConfiguration"]["status"] == "Enabled"
    block = one(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block["inputs"][k] is True
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    lifecycle = one(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    rule = lifecycle["inputs"]["rules"][0]
    # prod log tiers from the architecture: 30 days hot, 1 year warm, 7 years cold
    assert [(t["days"], t["storageClass"]) for t in rule["transitions"]] == [
        (30, "STANDARD_IA"),
        (365, "GLACIER"),
    ]
    assert rule["expiration"]["days"] == 2555


def test_bucket_policy_denies_plain_http_and_scopes_log_delivery() -> None:
    plan = without_lake(regional("prod", "us-east-1", False))
    policy = json.loads(one(plan, "aws:s3/bucketPolicy:BucketPolicy")["inputs"]["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    deny = by_sid["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    write = by_sid["LogDeliveryWrite"]
    assert write["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert write["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


@pytest.mark.parametrize("region", ["us-east-1", "me-south-1"])
def test_keyring_keys_are_rotating_protected_and_service_scoped(region: str) -> None:
    plan = without_lake(regional("prod", region, False))
    keys = {
        name_of(k).removeprefix("keys-"): k
        for k in states(plan, "aws:kms/key:Key")
        if name_of(k).startswith("keys-")  # the KeyRing's; the backup copy key is its vault's
    }
    assert set(keys) == {
        "logs",
        "storage",
        "databases",
        "streaming",
        "compute",
        "secrets",
        "backups",
    }
    for key_class, key in keys.items():
        assert key["inputs"]["enableKeyRotation"] is True
        assert key["inputs"]["deletionWindowInDays"] == 30
        assert key["protect"] is True
        policy = json.loads(key["inputs"]["policy"])
        use = next(s for s in policy["Statement"] if s["Sid"] == "UseThroughScopedServices")
        via = use["Condition"]["StringEquals"]["kms:ViaService"]
        assert via and all(v.endswith(f".{region}.amazonaws.com") for v in via), key_class
        admin = next(s for s in policy["Statement"] if s["Sid"] == "KeyAdministration")
        assert not any(a in admin["Action"] for a in ("kms:Decrypt", "kms:Encrypt", "kms:*"))
    aliases = {a["inputs"]["name"] for a in states(plan, "aws:kms/alias:Alias")}
    assert f"alias/meridian/prod/{region}/databases" in aliases


def test_stateful_resources_are_protected() -> None:
    plan = without_lake(regional("prod", "us-east-1", False))
    assert one(plan, "aws:s3/bucket:Bucket")["protect"] is True
    assert one(plan, "aws:s3/bucket:Bucket")["inputs"]["forceDestroy"] is False
    assert one(planned("prod")["prod-global"], "aws:ec2/vpcIpam:VpcIpam")["protect"] is True


def test_account_region_baseline() -> None:
    plan = regional("prod", "us-east-1", False)
    assert one(plan, "aws:ebs/encryptionByDefault:EncryptionByDefault")["inputs"]["enabled"] is True
    compute = next(k for k in states(plan, "aws:kms/key:Key") if name_of(k) == "keys-compute")
    assert (
        one(plan, "aws:ebs/defaultKmsKey:DefaultKmsKey")["inputs"]["keyArn"]
        == compute["outputs"]["arn"]
    )
    imds = one(plan, "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
    assert imds["inputs"]["httpTokens"] == "required"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_taggable_aws_resource_carries_the_six_tags(env: str) -> None:
    checked = 0
    for stack, plan in planned(env).items():
        for state in states(plan):
            if not state["custom"] or not is_taggable(state["type"]):
                continue
            tags = state["inputs"].get("tags")
            assert isinstance(tags, dict), f"{stack}: {state['urn']} has no tags"
            missing = [k for k in REQUIRED_TAG_KEYS if not tags.get(k)]
            assert not missing, f"{stack}: {state['urn']} lacks {missing}"
            assert tags["environment"] == env
            assert tags["stack"] == stack
            assert tags["managed-by"] == "pulumi"
            assert tags["data-classification"] in (
                "public",
                "internal",
                "confidential",
                "restricted",
            )
            checked += 1
    assert checked > (500 if env == "prod" else 50)


def test_untaggable_resources_are_left_alone() -> None:
    plan = regional("dev", "us-east-1", False)
    route = states(plan, "aws:ec2/route:Route")[0]
    assert "tags" not in route["inputs"]


def test_preview_mode_has_unknowns_where_a_real_preview_would() -> None:
    plan = regional("prod", "us-east-1", True)
    subnet = states(plan, "aws:ec2/subnet:Subnet")[0]
    assert subnet["inputs"]["vpcId"] == UNKNOWN
    assert subnet["id"] == ""
    vpc = one(plan, "aws:ec2/vpc:Vpc")
    # the IPAM pool comes from the deployed global stack: known even in a preview
    assert vpc["inputs"]["ipv4IpamPoolId"].startswith("ipam-pool-")


def test_sizes_follow_the_environment() -> None:
    dev = regional("dev", "us-east-1", False)
    assert ipaddress.IPv4Network(one(dev, "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"]).prefixlen == 20
    assert dev["outputs"][RegionalKey.SIZING]["gpuNodes"] == {  # an ordered preference
        "instanceTypes": ["g6e.xlarge", "g6.xlarge", "g5.xlarge", "g4dn.xlarge"],
        "minSize": 0,
        "maxSize": 2,
    }
    prod = regional("prod", "us-east-1", False)
    assert (
        prod["outputs"][RegionalKey.SIZING]["gpuNodes"]["minSize"] == 8
    )  # architecture: GPU nodes 8-40
    assert prod["outputs"][RegionalKey.SIZING]["gpuNodes"]["maxSize"] == 40
    assert prod["outputs"][RegionalKey.GPU_ENABLED] is True
    # af-south-1 runs gpu-inference on g4dn (the first type of the list it offers); no training
    af_south = regional("prod", "af-south-1", False)["outputs"]
    assert af_south[RegionalKey.GPU_ENABLED] is True
    assert af_south[RegionalKey.GPU_INSTANCE_TYPES] == {"gpu-inference": "g4dn.12xlarge"}
    assert regional("prod", "me-south-1", False)["outputs"][RegionalKey.SIZING]["systemNodes"][
        "instanceTypes"
    ] == ["m6i.2xlarge"]
