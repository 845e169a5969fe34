"""Drain what Kubernetes controllers created outside Pulumi in a region, so destroy can finish.

    python -m meridian_ops.ops.drain --region eu-west-1 --cluster meridian-prod-euw1-eks [--execute]

The AWS Load Balancer Controller makes the ingress NLB, its target groups and security groups;
Karpenter launches instances and launch templates. Pulumi never knew them, so when a regional
stack is destroyed they hold on to subnets, ENIs and security groups and the VPC cannot be
deleted. Normally the controllers remove them as their Kubernetes objects go; when a controller is
gone first (or a destroy was interrupted), this finds the leftovers by the tags the controllers put
on everything they create and deletes them:

- EC2 instances tagged `karpenter.sh/nodepool` and `kubernetes.io/cluster/<cluster>`: terminated;
- launch templates tagged `karpenter.k8s.aws/cluster=<cluster>`: deleted;
- load balancers and target groups tagged `elbv2.k8s.aws/cluster=<cluster>`: deleted;
- security groups tagged `elbv2.k8s.aws/cluster=<cluster>`: deleted (after their load balancers).

`make destroy` runs it between a failed destroy of a regional stack and the one retry.
Dry run by default.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any

LB_CONTROLLER_TAG = "elbv2.k8s.aws/cluster"
KARPENTER_POOL_TAG = "karpenter.sh/nodepool"
KARPENTER_CLUSTER_TAG = "karpenter.k8s.aws/cluster"


@dataclass
class DrainReport:
    instances: list[str] = field(default_factory=list)
    launch_templates: list[str] = field(default_factory=list)
    load_balancers: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"{what}: {', '.join(ids)}"
            for what, ids in (
                ("instances", self.instances),
                ("launch templates", self.launch_templates),
                ("load balancers", self.load_balancers),
                ("target groups", self.target_groups),
                ("security groups", self.security_groups),
            )
            if ids
        ]

    @property
    def empty(self) -> bool:
        return not self.lines()


def _tagged_elbv2(elbv2: Any, arns: list[str], cluster: str) -> list[str]:
    found: list[str] = []
    for start in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
        for description in elbv2.describe_tags(ResourceArns=arns[start : start + 20])[
            "TagDescriptions"
        ]:
            tags = {t["Key"]: t["Value"] for t in description.get("Tags", [])}
            if tags.get(LB_CONTROLLER_TAG) == cluster:
                found.append(description["ResourceArn"])
    return found


def find_leftovers(session: Any, region: str, cluster: str) -> DrainReport:
    ec2 = session.client("ec2", region_name=region)
    elbv2 = session.client("elbv2", region_name=region)
    report = DrainReport()
    reservations = ec2.describe_instances(
        Filters=[
            {"Name": f"tag:kubernetes.io/cluster/{cluster}", "Values": ["owned"]},
            {"Name": "tag-key", "Values": [KARPENTER_POOL_TAG]},
            {
                "Name": "instance-state-name",
                "Values": ["pending", "running", "stopping", "stopped"],
            },
        ]
    )["Reservations"]
    report.instances = [i["InstanceId"] for r in reservations for i in r["Instances"]]
    templates = ec2.describe_launch_templates(
        Filters=[{"Name": f"tag:{KARPENTER_CLUSTER_TAG}", "Values": [cluster]}]
    )["LaunchTemplates"]
    report.launch_templates = [t["LaunchTemplateId"] for t in templates]
    balancers = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    report.load_balancers = _tagged_elbv2(elbv2, balancers, cluster)
    groups = [tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]]
    report.target_groups = _tagged_elbv2(elbv2, groups, cluster)
    security_groups = ec2.describe_security_groups(
        Filters=[{"Name": f"tag:{LB_CONTROLLER_TAG}", "Values": [cluster]}]
    )["SecurityGroups"]
    report.security_groups = [g["GroupId"] for g in security_groups]
    return report


def delete_leftovers(session: Any, region: str, report: DrainReport) -> None:
    ec2 = session.client("ec2", region_name=region)
    elbv2 = session.client("elbv2", region_name=region)
    if report.instances:
        ec2.terminate_instances(InstanceIds=report.instances)
    for template in report.launch_templates:
        ec2.delete_launch_template(LaunchTemplateId=template)
    for balancer in report.load_balancers:
        elbv2.delete_load_balancer(LoadBalancerArn=balancer)
    for group in report.target_groups:
        elbv2.delete_target_group(TargetGroupArn=group)
    for group in report.security_groups:
        ec2.delete_security_group(GroupId=group)


def drain(session: Any, region: str, cluster: str, *, execute: bool) -> DrainReport:
    report = find_leftovers(session, region, cluster)
    if execute:
        delete_leftovers(session, region, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m meridian_ops.ops.drain",
        description="Delete what the load balancer controller and Karpenter left in a region.",
    )
    parser.add_argument("--region", required=True)
    parser.add_argument("--cluster", required=True, help="the EKS cluster name")
    parser.add_argument("--profile")
    parser.add_argument("--execute", action="store_true", help="delete (default: list only)")
    args = parser.parse_args(argv)
    import boto3

    report = drain(
        boto3.Session(profile_name=args.profile), args.region, args.cluster, execute=args.execute
    )
    if report.empty:
        print(f"nothing left by controllers of {args.cluster} in {args.region}")
        return 0
    verb = "deleted" if args.execute else "would delete"
    for line in report.lines():
        print(f"{verb} {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
