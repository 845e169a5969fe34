"""The edge stack run on its own against the shipped environments' upstream outputs: the same
inputs give the same graph (rulesets and pools never show a diff), draining a region and Shield
Advanced are config alone, the provider's major version is pinned, and the pack passes."""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
import sys
from typing import Any

import pulumi
import pytest

from meridian_ops.plan.engine import StackRun, run_stack
from meridian_ops.plan.policy_eval import evaluate_plan
from stacks.config.source import PROJECT_DIR, StaticConfigSource, read_stack_file
from stacks.edge import providers as edge_stack
from stacks.outputs import EdgeKey
from stacks.program import main as program_main
from tests.conftest import ROOT
from tests.plans import planned, states


def upstream(env: str) -> dict[str, dict[str, Any]]:
    return {name: plan["outputs"] for name, plan in planned(env).items()}


def run_edge(env: str, edge: dict[str, Any] | None = None, preview: bool = False) -> StackRun:
    """The edge stack of `env` with its stack file's `meridian:edge` updated by `edge`."""
    config = read_stack_file(PROJECT_DIR / f"Pulumi.{env}-edge.yaml")
    if edge is not None:
        config = {**config, "meridian:edge": {**config["meridian:edge"], **edge}}
    manifest = read_stack_file(PROJECT_DIR / f"Pulumi.{env}-global.yaml")
    source = StaticConfigSource(config, {env: manifest})
    return run_stack(
        f"{env}-edge",
        config,
        lambda: program_main(source),
        preview=preview,
        upstream=upstream(env),
        validate=False,
    )


@functools.cache
def shipped_edge(env: str) -> StackRun:
    """The edge of `env` as its stack file has it, planned once per test process (the baseline
    the config-alone tests compare with; nothing mutates a StackRun)."""
    return run_edge(env)


def graph(run: StackRun) -> list[dict[str, Any]]:
    """What the engine would diff: every resource with its id, inputs, parent, provider and
    dependencies, by URN (registration order is the SDK's async scheduling, not the graph)."""
    return sorted(
        (
            {
                "type": s.type,
                "urn": s.urn,
                "id": s.id,
                "inputs": s.inputs,
                "parent": s.parent,
                "provider": s.provider,
                "dependencies": sorted(s.dependencies),
            }
            for s in run.steps
        ),
        key=lambda entry: entry["urn"],
    )


_SUBPROCESS = """
import json, sys
sys.path.insert(0, ROOT)
from tests.test_edge_runs import graph, run_stack
from stacks.config.source import PROJECT_DIR, StaticConfigSource, read_stack_file
from stacks.program import main as program_main
upstream = json.loads(sys.stdin.read())
config = read_stack_file(PROJECT_DIR / "Pulumi.prod-edge.yaml")
manifest = read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")
source = StaticConfigSource(config, {"prod": manifest})
run = run_stack("prod-edge", config, lambda: program_main(source), preview=False,
                upstream=upstream, validate=False)
print(json.dumps(graph(run)))
"""


def test_same_inputs_give_the_same_graph() -> None:
    """Planned twice, once in another process with another hash seed (set and dict iteration
    order): identical rulesets, pools, load balancer, everything."""
    first = graph(shipped_edge("prod"))
    assert graph(run_edge("prod")) == first  # planned again in this process
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", f"ROOT = {str(ROOT)!r}\n" + _SUBPROCESS],
        input=json.dumps(upstream("prod")),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(other.stdout.strip().splitlines()[-1]) == json.loads(json.dumps(first))


def test_draining_a_region_is_config_alone() -> None:
    run = run_edge("prod", {"drainedRegions": ["eu-west-1"]})
    pools = {
        s.inputs["origins"][0]["name"]: s
        for s in run.steps
        if s.type == "cloudflare:index/loadBalancerPool:LoadBalancerPool"
    }
    assert len(pools) == 10  # kept, so undraining is one config change
    assert pools["eu-west-1"].inputs["enabled"] is False
    assert all(p.inputs["enabled"] for r, p in pools.items() if r != "eu-west-1")
    balancers = [s for s in run.steps if s.type == "cloudflare:index/loadBalancer:LoadBalancer"]
    assert {b.inputs["name"] for b in balancers} == {  # the API and the partners' DNS-only name
        "api.meridian.example.com",
        "partners.meridian.example.com",
    }
    drained = pools["eu-west-1"].id
    for lb in balancers:
        assert drained not in lb.inputs["defaultPools"] and len(lb.inputs["defaultPools"]) == 9
    api = next(b for b in balancers if b.inputs["name"] == "api.meridian.example.com")
    assert all(drained not in p for p in api.inputs["regionPools"].values())
    assert run.outputs[EdgeKey.REGIONS_IN_ROTATION] == [
        r
        for r in read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")["meridian:regions"]
        if r != "eu-west-1"
    ]
    assert run.outputs[EdgeKey.DRAINED_REGIONS] == ["eu-west-1"]
    baseline = {s.urn for s in shipped_edge("prod").steps}
    assert {s.urn for s in run.steps} == baseline  # nothing created or deleted


def test_draining_a_region_of_the_aws_edge_removes_its_latency_record() -> None:
    run = run_edge("staging", {"drainedRegions": ["eu-west-1"]})
    latency = [
        (s.inputs["name"], s.inputs["setIdentifier"])
        for s in run.steps
        if s.type == "aws:route53/record:Record" and s.inputs.get("latencyRoutingPolicies")
    ]
    # the origin name and the partners' DNS-only name both leave the drained region out
    assert sorted(latency) == [
        ("origin.staging.meridian.example.com", "us-east-1"),
        ("partners.staging.meridian.example.com", "us-east-1"),
    ]
    checks = [s for s in run.steps if s.type == "aws:route53/healthCheck:HealthCheck"]
    assert len(checks) == 2  # the drained region stays monitored
    assert run.outputs[EdgeKey.REGIONS_IN_ROTATION] == ["us-east-1"]


def test_shield_advanced_is_an_opt_in() -> None:
    run = run_edge("staging", {"shieldAdvanced": True})
    protections = [s for s in run.steps if s.type == "aws:shield/protection:Protection"]
    distribution = next(
        s for s in run.steps if s.type == "aws:cloudfront/distribution:Distribution"
    )
    zone = next(s for s in run.steps if s.type == "aws:route53/zone:Zone")
    assert {p.inputs["resourceArn"] for p in protections} == {
        distribution.outputs["arn"],
        zone.outputs["arn"],
    }
    (automatic,) = [
        s
        for s in run.steps
        if s.type
        == "aws:shield/applicationLayerAutomaticResponse:ApplicationLayerAutomaticResponse"
    ]
    assert automatic.inputs["action"] == "BLOCK"


def test_cloudflare_provider_major_is_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    pins = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.startswith("pulumi-cloudflare==")
    ]
    assert pins == [f"pulumi-cloudflare=={edge_stack.cloudflare_provider_version()}"]
    assert pins[0].split("==")[1].split(".")[0] == str(edge_stack.CLOUDFLARE_PROVIDER_MAJOR)
    monkeypatch.setattr(edge_stack.metadata, "version", lambda _: "7.0.0")
    with pytest.raises(pulumi.RunError, match="written for major 6"):
        edge_stack.cloudflare_provider_version()


@pytest.mark.parametrize("env", ["prod", "staging"])
@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_policy_pack_passes_the_edge(env: str, preview: bool) -> None:
    plan = copy.deepcopy(planned(env, preview)[f"{env}-edge"])
    found = evaluate_plan(plan)
    mandatory = [
        v for v in found if v.level == "mandatory" and not v.unknown and "meridian:edge:" in v.urn
    ]
    assert not mandatory, "\n".join(v.message for v in mandatory)
    edge_policies = {
        "cloudflare-zone-hsts",
        "cloudflare-zone-baseline",
        "cloudflare-waf-managed-rulesets",
        "cloudfront-web-acl",
        "wafv2-managed-and-rate-rules",
        "route53-latency-health-checks",
        "acm-dns-validation",
    }
    assert not [v for v in found if v.policy in edge_policies and not v.unknown]


def test_policies_catch_a_weakened_edge() -> None:
    """The pack sees what the edge registers: drop OWASP and HSTS, and it objects."""
    plan = copy.deepcopy(planned("prod")["prod-edge"])
    for step in plan["steps"]:
        for props in (step["newState"]["inputs"], step["newState"]["outputs"]):
            if props.get("phase") == "http_request_firewall_managed":
                props["rules"] = props["rules"][:1]
            if props.get("settingId") == "security_header":
                props["value"]["strict_transport_security"]["enabled"] = False
    policies = {v.policy for v in evaluate_plan(plan) if v.level == "mandatory"}
    assert {"cloudflare-waf-managed-rulesets", "cloudflare-zone-hsts"} <= policies
    assert states(plan, "cloudflare:index/ruleset:Ruleset")
