"""The mock layer answers like AWS and rejects what AWS would reject."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime.rpc import UNKNOWN

from meridian_ops.plan.aws_mocks import MotoValidator, zone_ids
from meridian_ops.plan.engine import run_stack
from stacks import capabilities

CONFIG: dict[str, Any] = {"pulumi:disable-default-providers": ["*"]}


def run(program: Any, preview: bool = False) -> Any:
    MotoValidator.reset()
    return run_stack("dev-us-east-1", CONFIG, program, preview=preview)


def provider() -> aws.Provider:
    return aws.Provider("aws-us-east-1", region="us-east-1")


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "ap-south-1", "af-south-1"])
def test_real_az_names_and_ids(region: str) -> None:
    """The mock's zones (moto's EC2 data) are the zones AWS publishes for the region (SSM data)."""
    zones = zone_ids(region)
    assert all(name.startswith(region) and len(name) == len(region) + 1 for name in zones)
    assert set(zones.values()) == set(capabilities.az_ids(region))


def subnets_program(*subnets: tuple[str, str]) -> Any:
    """A VPC 10.0.0.0/16 in us-east-1 with subnets given as (cidr, availability zone)."""

    def program() -> None:
        p = provider()
        vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16", opts=pulumi.ResourceOptions(provider=p))
        for i, (cidr, az) in enumerate(subnets):
            aws.ec2.Subnet(
                f"s{i}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=az,
                opts=pulumi.ResourceOptions(provider=p),
            )

    return program


def test_overlapping_subnets_are_rejected() -> None:
    program = subnets_program(("10.0.0.0/24", "us-east-1a"), ("10.0.0.0/24", "us-east-1b"))
    with pytest.raises(Exception, match=r"InvalidSubnet\.Conflict"):
        run(program)


def test_subnet_outside_its_vpc_is_rejected() -> None:
    with pytest.raises(Exception, match=r"InvalidSubnet\.Range"):
        run(subnets_program(("10.1.0.0/24", "us-east-1a")))


def test_availability_zone_of_another_region_is_rejected() -> None:
    with pytest.raises(Exception, match="eu-west-1a is not in us-east-1"):
        run(subnets_program(("10.0.0.0/24", "eu-west-1a")))


def test_distinct_subnets_are_accepted() -> None:
    run(subnets_program(("10.0.0.0/24", "us-east-1a"), ("10.0.1.0/24", "us-east-1b")))


def test_malformed_iam_policy_is_rejected() -> None:
    def program() -> None:
        aws.iam.Policy(
            "p",
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resourc": "*"}],
                }
            ),
            opts=pulumi.ResourceOptions(provider=provider()),
        )

    with pytest.raises(Exception, match="MalformedPolicyDocument"):
        run(program)


def test_security_group_rule_with_bad_ports_is_rejected() -> None:
    def program() -> None:
        p = provider()
        vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16", opts=pulumi.ResourceOptions(provider=p))
        aws.ec2.SecurityGroup(
            "sg",
            vpc_id=vpc.id,
            description="x",
            ingress=[
                {"protocol": "tcp", "from_port": 443, "to_port": 80, "cidr_blocks": ["10.0.0.0/16"]}
            ],
            opts=pulumi.ResourceOptions(provider=p),
        )

    with pytest.raises(Exception, match="invalid TCP port range 443-80"):
        run(program)


def test_security_group_rule_with_bad_cidr_is_rejected_by_moto() -> None:
    def program() -> None:
        p = provider()
        vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16", opts=pulumi.ResourceOptions(provider=p))
        aws.ec2.SecurityGroup(
            "sg",
            vpc_id=vpc.id,
            description="x",
            ingress=[
                {
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": ["10.0.0.0/33"],
                }
            ],
            opts=pulumi.ResourceOptions(provider=p),
        )

    with pytest.raises(Exception, match="InvalidParameterValue: invalid CIDR"):
        run(program)


def test_invalid_bucket_name_is_rejected() -> None:
    def program() -> None:
        aws.s3.Bucket("b", bucket="Meridian_Logs", opts=pulumi.ResourceOptions(provider=provider()))

    with pytest.raises(Exception, match="InvalidBucketName"):
        run(program)


def test_default_provider_is_refused_like_the_engine_does() -> None:
    def program() -> None:
        aws.s3.Bucket("b", bucket="meridian-ok-bucket")

    with pytest.raises(Exception, match="disable-default-providers"):
        run(program)


def test_valid_graph_passes_and_gets_aws_shaped_outputs() -> None:
    def program() -> None:
        p = provider()
        vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16", opts=pulumi.ResourceOptions(provider=p))
        aws.ec2.Subnet(
            "s",
            vpc_id=vpc.id,
            cidr_block="10.0.0.0/24",
            availability_zone="us-east-1a",
            opts=pulumi.ResourceOptions(provider=p),
        )
        key = aws.kms.Key("k", opts=pulumi.ResourceOptions(provider=p))
        lb = aws.lb.LoadBalancer(
            "lb",
            name="edge",
            load_balancer_type="application",
            opts=pulumi.ResourceOptions(provider=p),
        )
        cluster = aws.eks.Cluster(
            "c",
            name="meridian",
            role_arn="arn:aws:iam::123456789012:role/x",
            vpc_config={"subnet_ids": ["subnet-1"]},
            opts=pulumi.ResourceOptions(provider=p),
        )
        pulumi.export("vpc", vpc.id)
        pulumi.export("key", key.arn)
        pulumi.export("lb", lb.dns_name)
        pulumi.export("issuer", cluster.identities[0].oidcs[0].issuer)
        pulumi.export("endpoint", cluster.endpoint)
        pulumi.export("ca", cluster.certificate_authority.data)

    out = run(program).outputs
    assert out["vpc"].startswith("vpc-") and len(out["vpc"]) == 21
    assert out["key"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert out["lb"].endswith(".us-east-1.elb.amazonaws.com")
    assert out["issuer"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert out["endpoint"].endswith(".gr7.us-east-1.eks.amazonaws.com")
    assert out["ca"]


def test_preview_outputs_are_unknown() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc(
            "v", cidr_block="10.0.0.0/16", opts=pulumi.ResourceOptions(provider=provider())
        )
        pulumi.export("vpc", vpc.id)

    assert run(program, preview=True).outputs["vpc"] == UNKNOWN
    assert run(program, preview=False).outputs["vpc"].startswith("vpc-")


def test_unanswered_invoke_fails_loudly() -> None:
    def program() -> None:
        aws.ec2.get_vpc(default=True, opts=pulumi.InvokeOptions(provider=provider()))

    with pytest.raises(Exception, match="no answer for invoke"):
        run(program)


def test_broker_nodes_list_every_broker_of_a_planned_cluster() -> None:
    """getBrokerNodes (MSK ListNodes) answers one node per broker of the cluster the plan made,
    the bootstrap string's brokers among them; a cluster the plan did not make is not found."""

    def program() -> None:
        p = provider()
        cluster = aws.msk.Cluster(
            "kafka",
            cluster_name="meridian-dev-use1-kafka",
            kafka_version="3.9.x",
            number_of_broker_nodes=6,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                instance_type="kafka.m7g.large",
                client_subnets=["subnet-1", "subnet-2", "subnet-3"],
                security_groups=["sg-1"],
            ),
            opts=pulumi.ResourceOptions(provider=p),
        )
        nodes = aws.msk.get_broker_nodes_output(
            cluster_arn=cluster.arn, opts=pulumi.InvokeOutputOptions(provider=p)
        )
        pulumi.export("endpoints", nodes.node_info_lists.apply(lambda n: [e.endpoints for e in n]))
        pulumi.export("bootstrap", cluster.bootstrap_brokers_sasl_iam)

    out = run(program).outputs
    endpoints = [e for node in out["endpoints"] for e in node]
    assert len(endpoints) == 6 == len(set(endpoints))
    assert all(e.endswith(".kafka.us-east-1.amazonaws.com") for e in endpoints)
    assert {b.removesuffix(":9098") for b in out["bootstrap"].split(",")} <= set(endpoints)

    def unknown_cluster() -> None:
        arn = "arn:aws:kafka:us-east-1:123456789012:cluster/none/00000000-0000-0000-0000-0-3"
        aws.msk.get_broker_nodes(cluster_arn=arn, opts=pulumi.InvokeOptions(provider=provider()))

    with pytest.raises(Exception, match="NotFoundException"):
        run(unknown_cluster)


def _edge_group(lists: list[str]) -> None:
    """A security group admitting the AWS-managed prefix lists `lists` on 443."""
    p = provider()
    invoke = pulumi.InvokeOptions(provider=p)
    vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16", opts=pulumi.ResourceOptions(provider=p))
    ids = [aws.ec2.get_managed_prefix_list_output(name=n, opts=invoke).id for n in lists]
    aws.ec2.SecurityGroup(
        "sg",
        vpc_id=vpc.id,
        description="x",
        ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "prefix_list_ids": ids}],
        opts=pulumi.ResourceOptions(provider=p),
    )


CLOUDFRONT = "com.amazonaws.global.cloudfront.origin-facing"
ROUTE53 = "com.amazonaws.us-east-1.route53-healthchecks"


def test_managed_prefix_lists_fit_a_group_alone() -> None:
    """CloudFront's origin-facing list (weight 55) and Route 53's health checkers' (25) each fit
    a group's 60 inbound rules."""
    run(lambda: _edge_group([CLOUDFRONT]))
    run(lambda: _edge_group([ROUTE53]))


def test_managed_prefix_lists_over_the_rules_quota_are_rejected() -> None:
    """Together they weigh 80: AWS refuses the group (the NLB carries two groups instead)."""
    with pytest.raises(Exception, match="RulesPerSecurityGroupLimitExceeded: 80 inbound rules"):
        run(lambda: _edge_group([CLOUDFRONT, ROUTE53]))


def test_an_unpublished_managed_prefix_list_is_refused() -> None:
    with pytest.raises(
        Exception, match=r"no managed prefix list named 'com\.amazonaws\.us-east-1\."
    ):
        run(lambda: _edge_group(["com.amazonaws.us-east-1.route53-healthcheck"]))


def test_registration_stack_trace_is_the_sdks_without_reading_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """During a run the SDK's per-registration stack trace (the frames above the concrete
    resource's constructor, as source positions) is the one it takes outside a run, and taking
    it consults no source file (no line cache check, no line read)."""
    import contextlib
    import linecache

    from pulumi.runtime import resource as sdk
    from pulumi.runtime.proto import source_pb2

    from meridian_ops.plan.engine import source_positions_memoized

    class Resource:
        def __init__(self) -> None:
            self.trace = sdk._get_stack_trace()  # pyright: ignore[reportPrivateUsage]

    class CustomResource(Resource):
        def __init__(self) -> None:
            super().__init__()

    class Bucket(CustomResource):
        def __init__(self) -> None:
            super().__init__()

    consulted: list[str] = []
    for name in ("checkcache", "lazycache", "getline"):
        original = getattr(linecache, name)

        def noted(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            consulted.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(linecache, name, noted)
    traces: list[bytes] = []
    for during_run in (False, True):
        consulted.clear()
        with source_positions_memoized() if during_run else contextlib.nullcontext():
            traces.append(Bucket().trace.SerializeToString())  # the same line both times
    assert consulted == [], "the stack trace read source files during a run"
    assert traces[0] == traces[1]
    assert len(source_pb2.StackTrace.FromString(traces[1]).frames) > 2


def test_the_plan_command_loads_moto_without_instance_type_offerings() -> None:
    """The plan command's moto (meridian_ops/plan/__main__.py) holds no instance type offerings
    (about 95 MiB a process it never reads), yet validates as before: instance types stay,
    overlapping subnets are rejected, distinct ones and a security group accepted. In a fresh
    process: this one's moto keeps its offerings for the tests that read them."""
    import subprocess
    import sys

    script = """
import json, pulumi, pulumi_aws as aws
from meridian_ops.plan.aws_mocks import load_moto_ec2_without_offerings
load_moto_ec2_without_offerings()
from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS, INSTANCE_TYPES
from tests.test_mocks import provider, run, subnets_program
def group():
    aws.ec2.SecurityGroup("g", description="d", opts=pulumi.ResourceOptions(provider=provider()))
run(subnets_program(("10.0.0.0/24", "us-east-1a"), ("10.0.1.0/24", "us-east-1b")))
run(group)
try:
    run(subnets_program(("10.0.0.0/24", "us-east-1a"), ("10.0.0.0/24", "us-east-1b")))
    rejected = ""
except Exception as exc:
    rejected = str(exc)
print(json.dumps({
    "offerings": sum(len(v) for by in INSTANCE_TYPE_OFFERINGS.values() for v in by.values()),
    "regions": len(INSTANCE_TYPE_OFFERINGS["region"]),
    "types": len(INSTANCE_TYPES),
    "rejected": rejected,
}))
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["offerings"] == 0 and found["regions"] > 20
    assert found["types"] > 500
    assert "InvalidSubnet.Conflict" in found["rejected"]
    main = (root / "meridian_ops/plan/__main__.py").read_text()
    assert main.index("load_moto_ec2_without_offerings()") < main.index("sys.exit(main())")
