"""The deploy runner can reach its region's private EKS API endpoint, in the planned graph.

`reach_problems(plan)` reads one regional plan document and lists every broken link between the
CodeBuild runner and the Kubernetes API: the project runs in the private subnets (routed to a NAT
gateway, and the subnets the cluster's endpoint ENIs live in), in its own security group, whose
egress admits 443 to the cluster security group, which admits 443 from it; the identity jobs act
as (the deployer) has a cluster-admin access entry; the project and its logs are CMK-encrypted;
every child of the runner uses the stack region's provider. Links are followed through
`propertyDependencies`, which the engine records in up and preview mode alike. Each link is then
cut from a copy of the plan, and the check must name it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from components.delivery.deploy_runner import COMPUTE_TYPES, DEPLOY_SESSION_SECONDS
from meridian_ops.ops.ci_matrix import bootstrap_command, bootstrap_targets, main, runner_for
from stacks.delivery_settings import ComputeType
from tests.plans import by_urn, name_of, planned, states

PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"
SG = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
CLUSTER = "aws:eks/cluster:Cluster"
ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
RUNNER = "meridian:delivery:DeployRunner"
ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


def _deps(state: dict[str, Any], prop: str) -> set[str]:
    return set(state.get("propertyDependencies", {}).get(prop, []))


def _types(plan: dict[str, Any], urns: set[str]) -> set[str]:
    index = by_urn(plan)
    return {index[u]["type"] for u in urns if u in index}


def _https(rule: dict[str, Any]) -> bool:
    i = rule["inputs"]
    return i.get("ipProtocol") == "tcp" and i.get("fromPort") == 443 and i.get("toPort") == 443


def reach_problems(plan: dict[str, Any]) -> list[str]:
    """Every broken link between the regional stack's deploy runner and its EKS API endpoint."""
    problems: list[str] = []
    index = by_urn(plan)
    runners = states(plan, RUNNER)
    projects = states(plan, PROJECT)
    if len(runners) != 1 or len(projects) != 1:
        return [
            f"expected one runner and one CodeBuild project, got {len(runners)}/{len(projects)}"
        ]
    runner, project = runners[0], projects[0]
    clusters = [s["urn"] for s in states(plan, CLUSTER)]
    inputs = project["inputs"]

    # -- subnets: private, routed out through NAT, and the cluster's own (endpoint ENIs) --
    subnets = _deps(project, "vpcConfig") & {
        u for u, s in index.items() if s["type"].endswith("/subnet:Subnet")
    }
    if not subnets or any("-private-" not in u for u in subnets):
        problems.append(f"runner subnets are not the private subnets: {sorted(subnets)}")
    cluster_subnets = {
        u
        for c in clusters
        for u in _deps(index[c], "vpcConfig")
        if u.endswith("Subnet") or "subnet:Subnet" in u
    }
    if subnets and not subnets <= cluster_subnets:
        problems.append("runner subnets are not the cluster's subnets (endpoint ENIs)")
    associations = states(plan, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    routes = states(plan, "aws:ec2/route:Route")
    for subnet in sorted(subnets):
        tables = {
            t
            for a in associations
            if subnet in _deps(a, "subnetId")
            for t in _deps(a, "routeTableId")
        }
        nat = [
            r
            for r in routes
            if _deps(r, "routeTableId") & tables
            and _deps(r, "natGatewayId")
            and r["inputs"].get("destinationCidrBlock") == "0.0.0.0/0"
        ]
        if not nat:
            problems.append(f"subnet {subnet.rsplit('::', 1)[-1]} has no default route to a NAT")

    # -- security groups, both ways --
    groups = {u for u in _deps(project, "vpcConfig") if index.get(u, {}).get("type") == SG}
    own = {u for u in groups if index[u].get("parent") == runner["urn"]}
    if not own:
        problems.append("the project is not in the runner's own security group")
    egress = [
        r
        for r in states(plan, EGRESS)
        if _deps(r, "securityGroupId") & own
        and _deps(r, "referencedSecurityGroupId") & set(clusters)
        and _https(r)
    ]
    if not egress:
        problems.append("no egress rule: runner security group -> cluster security group, 443")
    ingress = [
        r
        for r in states(plan, INGRESS)
        if _deps(r, "securityGroupId") & set(clusters)
        and _deps(r, "referencedSecurityGroupId") & own
        and _https(r)
    ]
    if not ingress:
        problems.append("no ingress rule: cluster security group <- runner security group, 443")

    # -- the identity jobs act as (the deployer, through GitHub OIDC) is cluster admin --
    entries = [e for e in states(plan, ENTRY) if name_of(e).endswith("-access-deployer")]
    admin = [
        a
        for a in states(plan, ASSOCIATION)
        if name_of(a).endswith("-access-deployer-admin")
        and str(a["inputs"].get("policyArn", "")).endswith(f"/{ADMIN_POLICY}")
        and a["inputs"].get("accessScope", {}).get("type") == "cluster"
    ]
    if not entries or not admin:
        problems.append(
            "the deployer (the runner jobs' identity) has no cluster-admin access entry"
        )
    runner_roles = {
        s["urn"] for s in states(plan, "aws:iam/role:Role") if s.get("parent") == runner["urn"]
    }
    if any(_deps(e, "principalArn") & runner_roles for e in states(plan, ENTRY)):
        problems.append("the runner's service role has an access entry (it never calls the API)")

    # -- hardening: CMK, logs, not privileged --
    if not _types(plan, _deps(project, "encryptionKey")) >= {"aws:kms/key:Key"}:
        problems.append("the project is not encrypted with a customer-managed key")
    logs = inputs.get("logsConfig", {}).get("cloudwatchLogs", {})
    groups_out = [
        g
        for g in states(plan, "aws:cloudwatch/logGroup:LogGroup")
        if g.get("parent") == runner["urn"]
    ]
    if logs.get("status") != "ENABLED" or not groups_out:
        problems.append("build logs are not sent to the runner's log group")
    for group in groups_out:
        if "aws:kms/key:Key" not in _types(plan, _deps(group, "kmsKeyId")) or not group[
            "inputs"
        ].get("retentionInDays"):
            problems.append("the runner's log group is not CMK-encrypted with a retention")
    if inputs.get("environment", {}).get("privilegedMode") is not False:
        problems.append("the project runs privileged")
    if inputs.get("buildTimeout") != DEPLOY_SESSION_SECONDS // 60:
        problems.append(f"buildTimeout {inputs.get('buildTimeout')} != the deploy session")
    hooks = [w for w in states(plan, WEBHOOK) if w.get("parent") == runner["urn"]]
    events = [
        f["pattern"]
        for w in hooks
        for g in w["inputs"].get("filterGroups", [])
        for f in g.get("filters", [])
        if f.get("type") == "EVENT"
    ]
    if events != ["WORKFLOW_JOB_QUEUED"]:
        problems.append(f"the webhook does not start runner builds on queued jobs: {events}")

    # -- region: every child on the stack region's provider --
    region = plan["region"]
    for state in states(plan):
        if state.get("parent") == runner["urn"] and state.get("custom"):
            provider = str(state.get("provider", ""))
            if f"::aws-{region}::" not in provider:
                problems.append(f"{name_of(state)} is not on the {region} provider: {provider}")
    return problems


@pytest.fixture(scope="module", params=[False, True], ids=["up", "preview"])
def dev_region(request: pytest.FixtureRequest) -> dict[str, Any]:
    return planned("dev", request.param)["dev-us-east-1"]


def test_runner_reaches_the_endpoint(dev_region: dict[str, Any]) -> None:
    assert reach_problems(dev_region) == []


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    def cut(plan: dict[str, Any]) -> None:
        plan["steps"] = [s for s in plan["steps"] if name_of(s["newState"]) != name]

    return cut


def _set(name: str, path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def cut(plan: dict[str, Any]) -> None:
        for step in plan["steps"]:
            if name_of(step["newState"]) == name:
                target = step["newState"]
                for key in path[:-1]:
                    target = target[key]
                target[path[-1]] = value

    return cut


def _retarget_subnets(plan: dict[str, Any]) -> None:
    for step in plan["steps"]:
        state = step["newState"]
        if state["type"] == PROJECT:
            deps = state["propertyDependencies"]["vpcConfig"]
            deps[:] = [d.replace("network-private-", "network-data-") for d in deps]


CUTS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "runner egress to cluster": (_drop("deploy-runner-to-cluster-api"), "no egress rule"),
    "cluster ingress from runner": (_drop("deploy-runner-cluster-from-runner"), "no ingress rule"),
    "deployer access entry": (_drop("eks-access-deployer"), "access entry"),
    "cluster admin policy": (_drop("eks-access-deployer-admin"), "access entry"),
    "NAT route": (_drop("network-private-0-default"), "no default route"),
    "private subnets": (_retarget_subnets, "not the private subnets"),
    "project key": (
        _set("deploy-runner-project", ("propertyDependencies", "encryptionKey"), []),
        "customer-managed key",
    ),
    "log encryption": (
        _set("deploy-runner-logs", ("propertyDependencies", "kmsKeyId"), []),
        "CMK-encrypted",
    ),
    "privileged": (
        _set("deploy-runner-project", ("inputs", "environment", "privilegedMode"), True),
        "privileged",
    ),
    "webhook": (_drop("deploy-runner-webhook"), "queued jobs"),
    "region": (
        _set(
            "deploy-runner-sg",
            ("provider",),
            "urn:pulumi:x::meridian::pulumi:providers:aws::aws-eu-west-1::id",
        ),
        "provider",
    ),
}


@pytest.mark.parametrize("cut", list(CUTS))
def test_each_cut_link_is_reported(dev_region: dict[str, Any], cut: str) -> None:
    damage, expected = CUTS[cut]
    broken = copy.deepcopy(dev_region)
    damage(broken)
    problems = reach_problems(broken)
    assert any(expected in p for p in problems), problems


def test_every_prod_region_has_its_runner() -> None:
    plans = planned("prod", True)
    regional = {n: p for n, p in plans.items() if p["role"] == "regional"}
    assert len(regional) == 10
    for stack, plan in regional.items():
        assert reach_problems(plan) == [], stack
        project = next(s for s in states(plan, PROJECT))
        assert project["inputs"]["name"] == runner_for(stack)


def test_global_and_edge_stacks_have_no_runner() -> None:
    for stack, plan in planned("dev", True).items():
        if plan["role"] != "regional":
            assert not states(plan, PROJECT), stack
            assert runner_for(stack) == ""


def test_bootstrap_targets_create_the_runner_without_kubernetes(dev_region: dict[str, Any]) -> None:
    targets = bootstrap_targets(dev_region)
    types = _types(dev_region, set(targets))
    assert {PROJECT, WEBHOOK, EGRESS, INGRESS, CLUSTER, ENTRY, ASSOCIATION} <= types
    assert not any(t.startswith("kubernetes:") for t in types)
    # every dependency of a target is itself a target (or the stack), so --target succeeds
    index = by_urn(dev_region)
    for urn in targets:
        for dep in index[urn].get("dependencies", []):
            assert dep in targets or index[dep]["type"] == "pulumi:pulumi:Stack", (urn, dep)
    command = bootstrap_command(dev_region, "acme")
    assert command.startswith("pulumi up --stack acme/dev-us-east-1 --policy-pack policies ")
    assert command.count("--target ") == len(targets)


def test_bootstrap_refuses_a_closure_with_kubernetes_objects(dev_region: dict[str, Any]) -> None:
    broken = copy.deepcopy(dev_region)
    kube = next(
        s["urn"] for s in broken["steps"] if s["newState"]["type"].startswith("kubernetes:")
    )
    for step in broken["steps"]:
        if name_of(step["newState"]) == "deploy-runner-webhook":
            step["newState"]["dependencies"].append(kube)
    with pytest.raises(ValueError, match="Kubernetes objects"):
        bootstrap_targets(broken)


def test_bootstrap_cli_dry_run(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    plan = planned("dev", False)["dev-us-east-1"]
    (tmp_path / "dev-us-east-1.json").write_text(json.dumps(plan))
    assert main(["bootstrap", "--stack", "dev-us-east-1", "--plan-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "deploy-runner-project" in out and "$kubernetes:" not in out
    assert main(["bootstrap", "--stack", "dev-eu-west-1", "--plan-dir", str(tmp_path)]) == 2


def test_compute_types_are_one_list() -> None:
    assert set(ComputeType.__args__) == set(COMPUTE_TYPES)


@pytest.mark.parametrize(
    ("line", "key", "words"),
    [
        (
            "connectionArn: arn:aws:iam::123456789012:role/x",
            "connectionArn",
            "not a CodeConnections",
        ),
        ("repository: not a repo", "repository", "not a GitHub repository"),
        ("computeType: BUILD_GENERAL1_HUGE", "computeType", "BUILD_GENERAL1_HUGE"),
    ],
)
def test_bad_runner_settings_name_key_value_and_fix(
    tmp_path: Any, line: str, key: str, words: str
) -> None:
    from stacks.config.errors import ConfigError
    from stacks.config.gate import check_environment
    from tests.config_projects import add_config, copy_project

    project = copy_project(tmp_path, "dev")
    add_config(project, "dev-us-east-1", f"meridian:deployRunner:\n  {line}\n")
    with pytest.raises(ConfigError) as caught:
        check_environment("dev", project)
    text = str(caught.value)
    assert f"meridian:deployRunner.{key}" in text and words in text and "Fix" in text
