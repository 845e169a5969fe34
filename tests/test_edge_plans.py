"""The Cloudflare plan of the edge's zone: the gate refuses a feature the plan lacks (naming the
feature, the plan and the fix), and the edge builds only what the plan allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare
import pytest

from components.common.naming import Names
from components.edge.cloudflare_edge import CloudflareEdge, CloudflareEdgeArgs
from components.edge.cloudflare_plans import PLAN_LIMITS, CloudflarePlan
from components.edge.geography import RegionOrigin
from meridian_ops.plan.engine import Step, run_stack
from stacks.config.errors import ConfigError
from stacks.config.gate import check_environment
from stacks.edge_settings import api_routes
from tests.config_projects import copy_project, replace_in


def prod_with(tmp_path: Path, cloudflare_lines: str) -> Path:
    """prod's files, the edge's `plan: enterprise` replaced by `cloudflare_lines`."""
    project = copy_project(tmp_path / "prod", "prod")
    lines = "".join(f"      {line}\n" for line in cloudflare_lines.strip().splitlines())
    replace_in(project, "prod-edge", "      plan: enterprise\n", lines)
    return project


def gate_lines(project: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        check_environment("prod", project)
    text = str(info.value)
    return [line.strip() for line in text.splitlines() if line.strip().startswith("- ")]


def test_prod_states_enterprise_and_passes(tmp_path: Path) -> None:
    edge = check_environment("prod")["prod-edge"].edge
    assert edge is not None and edge.cloudflare is not None
    assert edge.cloudflare.plan == "enterprise" and edge.cloudflare.bot_management_on
    assert "plan: enterprise" in Path("Pulumi.prod-edge.yaml").read_text()
    del tmp_path


def test_bot_management_on_business_is_refused_with_the_fix(tmp_path: Path) -> None:
    lines = gate_lines(prod_with(tmp_path, "plan: business\nbotManagement: true"))
    assert len(lines) == 1, lines
    assert "meridian:edge.cloudflare.botManagement = True" in lines[0]
    assert "enterprise plan only, not on business" in lines[0]
    assert "remove botManagement" in lines[0] and "plan: enterprise" in lines[0]


@pytest.mark.parametrize(("plan", "shortest"), [("business", 15), ("pro", 60), ("free", 60)])
def test_a_monitor_interval_below_the_plans_minimum_is_refused(
    tmp_path: Path, plan: str, shortest: int
) -> None:
    lines = gate_lines(prod_with(tmp_path, f"plan: {plan}\nmonitorIntervalSeconds: 10"))
    interval = [line for line in lines if "monitorIntervalSeconds" in line]
    assert len(interval) == 1, lines
    assert f"shorter than the {plan} plan allows" in interval[0]
    assert f"({shortest} s;" in interval[0] and f"set it to {shortest} or more" in interval[0]


@pytest.mark.parametrize("plan", ["free", "pro"])
def test_a_plan_without_the_routing_tables_rate_limits_is_refused(
    tmp_path: Path, plan: str
) -> None:
    lines = gate_lines(prod_with(tmp_path, f"plan: {plan}"))
    assert len(lines) == 1, lines
    assert (
        f"meridian:edge.cloudflare.plan = '{plan}': lacks what the per-route rate limits"
        in (lines[0])
    )
    assert "5 rules (the plan allows" in lines[0]
    assert "request method in the rule expression" in lines[0]
    assert "set meridian:edge.cloudflare.plan to business or enterprise" in lines[0]


def test_business_with_its_own_features_passes(tmp_path: Path) -> None:
    settings = check_environment("prod", prod_with(tmp_path, "plan: business"))
    edge = settings["prod-edge"].edge
    assert edge is not None and edge.cloudflare is not None
    assert edge.cloudflare.plan == "business" and not edge.cloudflare.bot_management_on
    project = prod_with(tmp_path / "b", "plan: business\nmonitorIntervalSeconds: 30")
    assert check_environment("prod", project)["prod-edge"].edge is not None


def test_an_unknown_plan_names_the_choices(tmp_path: Path) -> None:
    lines = gate_lines(prod_with(tmp_path, "plan: premium"))
    assert len(lines) == 1 and "meridian:edge.cloudflare.plan = 'premium'" in lines[0], lines
    assert all(p in lines[0] for p in ("free", "pro", "business", "enterprise"))


# -- what the component builds per plan --


def build(plan: CloudflarePlan, **changes: Any) -> list[Step]:
    def program() -> None:
        provider = cloudflare.Provider("cloudflare", api_token="t" * 40)
        CloudflareEdge(
            "edge",
            CloudflareEdgeArgs(
                names=Names("prod"),
                account_id="0" * 32,
                zone_id="1" * 32,
                hostnames=("api.example.com",),
                origins=(RegionOrigin("us-east-1", "a.elb.amazonaws.com"),),
                primary_region="us-east-1",
                routes=api_routes(),
                plan=plan,
                bot_management=PLAN_LIMITS[plan].bot_management,
                **changes,
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )

    return run_stack("prod-edge", {}, program, preview=True).steps


def of_type(steps: list[Step], kind: str) -> list[Step]:
    return [s for s in steps if s.type == kind]


def test_enterprise_builds_bot_management_and_ten_second_probes() -> None:
    steps = build("enterprise")
    (monitor,) = of_type(steps, "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")
    assert monitor.inputs["interval"] == 10
    (bots,) = of_type(steps, "cloudflare:index/botManagement:BotManagement")
    assert bots.inputs["autoUpdateModel"] is True
    custom = next(s for s in steps if s.name == "edge-waf-custom")
    assert "likely-bots" in [r["ref"] for r in custom.inputs["rules"]]


def test_business_builds_what_business_has() -> None:
    steps = build("business")
    (monitor,) = of_type(steps, "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")
    assert monitor.inputs["interval"] == 15
    (bots,) = of_type(steps, "cloudflare:index/botManagement:BotManagement")
    assert "autoUpdateModel" not in bots.inputs
    assert bots.inputs["sbfmDefinitelyAutomated"] == "block"
    assert bots.inputs["sbfmLikelyAutomated"] == "managed_challenge"
    custom = next(s for s in steps if s.name == "edge-waf-custom")
    rules = custom.inputs["rules"]
    assert "likely-bots" not in [r["ref"] for r in rules]
    assert not any("cf.bot_management.score" in r["expression"] for r in rules)
    limits = next(s for s in steps if s.name == "edge-rate-limits")
    assert len(limits.inputs["rules"]) <= PLAN_LIMITS["business"].rate_limit_rules


def test_a_longer_interval_is_kept() -> None:
    steps = build("business", monitor_interval=30)
    (monitor,) = of_type(steps, "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")
    assert monitor.inputs["interval"] == 30


@pytest.mark.parametrize(
    ("plan", "changes", "says"),
    [
        ("business", {"bot_management": True}, "Bot Management needs the enterprise plan"),
        ("business", {"monitor_interval": 10}, "below the business plan's minimum of 15 s"),
        ("pro", {}, "the pro plan lacks: 5 rules"),
    ],
)
def test_the_component_refuses_args_its_plan_cannot_carry(
    plan: CloudflarePlan, changes: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        CloudflareEdgeArgs(
            names=Names("prod"),
            account_id="0" * 32,
            zone_id="1" * 32,
            hostnames=("api.example.com",),
            origins=(RegionOrigin("us-east-1", "a"),),
            primary_region="us-east-1",
            routes=api_routes(),
            plan=plan,
            **{"bot_management": False, **changes},
        )
