"""Draining controller-created leftovers before a regional destroy, against moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from meridian_ops.ops.drain import drain

REGION = "eu-west-1"
CLUSTER = "meridian-prod-euw1-eks"


@pytest.fixture
def leftovers(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        elbv2 = boto3.client("elbv2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}"
            )["Subnet"]["SubnetId"]
            for i, z in enumerate("ab")
        ]
        owned = [{"Key": "elbv2.k8s.aws/cluster", "Value": CLUSTER}]
        sg = ec2.create_security_group(
            GroupName="k8s-istioing",
            Description="nlb",
            VpcId=vpc,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": owned}],
        )["GroupId"]
        other_sg = ec2.create_security_group(GroupName="mine", Description="x", VpcId=vpc)[
            "GroupId"
        ]
        lb = elbv2.create_load_balancer(
            Name="k8s-istioing-gw", Subnets=subnets, Type="network", Tags=owned
        )["LoadBalancers"][0]["LoadBalancerArn"]
        other_lb = elbv2.create_load_balancer(Name="not-ours", Subnets=subnets, Type="network")[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        tg = elbv2.create_target_group(
            Name="k8s-istioing-tg", Protocol="TCP", Port=443, VpcId=vpc, TargetType="ip", Tags=owned
        )["TargetGroups"][0]["TargetGroupArn"]
        template = ec2.create_launch_template(
            LaunchTemplateName="karpenter-general",
            LaunchTemplateData={"InstanceType": "m7g.large"},
            TagSpecifications=[
                {
                    "ResourceType": "launch-template",
                    "Tags": [{"Key": "karpenter.k8s.aws/cluster", "Value": CLUSTER}],
                }
            ],
        )["LaunchTemplate"]["LaunchTemplateId"]
        node = ec2.run_instances(
            ImageId="ami-12345678",
            MinCount=1,
            MaxCount=1,
            InstanceType="m7g.large",
            SubnetId=subnets[0],
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [
                        {"Key": f"kubernetes.io/cluster/{CLUSTER}", "Value": "owned"},
                        {"Key": "karpenter.sh/nodepool", "Value": "general"},
                    ],
                }
            ],
        )["Instances"][0]["InstanceId"]
        yield {
            "sg": sg,
            "other_sg": other_sg,
            "lb": lb,
            "other_lb": other_lb,
            "tg": tg,
            "template": template,
            "node": node,
        }


def test_dry_run_lists_only_what_the_controllers_made(leftovers: dict[str, Any]) -> None:
    report = drain(boto3.Session(), REGION, CLUSTER, execute=False)
    assert report.load_balancers == [leftovers["lb"]]
    assert report.target_groups == [leftovers["tg"]]
    assert report.security_groups == [leftovers["sg"]]
    assert report.launch_templates == [leftovers["template"]]
    assert report.instances == [leftovers["node"]]
    # nothing was deleted
    elbv2 = boto3.client("elbv2", region_name=REGION)
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 2


def test_execute_deletes_them_and_leaves_the_rest(leftovers: dict[str, Any]) -> None:
    drain(boto3.Session(), REGION, CLUSTER, execute=True)
    elbv2 = boto3.client("elbv2", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    assert [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]] == [
        leftovers["other_lb"]
    ]
    groups = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    assert leftovers["sg"] not in groups and leftovers["other_sg"] in groups
    state = ec2.describe_instances(InstanceIds=[leftovers["node"]])["Reservations"][0]["Instances"][
        0
    ]["State"]["Name"]
    assert state in ("shutting-down", "terminated")
    assert drain(boto3.Session(), REGION, CLUSTER, execute=False).empty
