"""OriginHealthRules: per region, an alert when the edge's health monitor finds the region's origin
pool unhealthy, evaluated in a Prometheus workspace whose Alertmanager routes it by severity.

The Cloudflare edge probes every region's ingress (`GET /health` over HTTPS, the load balancer
monitor) and keeps a pool's health from those probes. The Cloudflare analytics exporter publishes
that verdict as `cloudflare_zone_pool_health_status{pool_name=...}` (1 healthy, 0 unhealthy;
lablabs/cloudflare-exporter 0.0.16 prometheus.go, from the load balancer's request analytics),
so a rule per pool turns the monitor's verdict into an alert that reaches the severity's SNS
topic and its subscriptions like any other.

Example::

    OriginHealthRules(
        "edge-health",
        OriginHealthRulesArgs(
            workspace_id=workspace_id,
            pools={"us-east-1": "meridian-prod-global-edge-us-east-1"},
            health_path="/health",
        ),
        opts=pulumi.ResourceOptions(provider=aws_primary),
    )
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import yaml

from components.security.notifications import SEVERITIES

POOL_HEALTH_METRIC = "cloudflare_zone_pool_health_status"
"""The exporter's gauge of a pool's health (labels zone, account, load_balancer_name, pool_name)."""
RULE_NAMESPACE = "edge-origin-health"
ALERT = "EdgeOriginUnhealthy"


@dataclass(frozen=True)
class OriginHealthRulesArgs:
    workspace_id: pulumi.Input[str]
    """The Prometheus workspace that collects the exporter's series (and routes its alerts)."""
    pools: Mapping[str, str]
    """Region -> the name of its origin pool at the edge (the regions in rotation)."""
    health_path: str = "/health"
    severity: str = "P2"
    """One region unhealthy is a partial outage: the others keep serving."""
    for_minutes: int = 2
    """How long the pool must stay unhealthy (the exporter reads analytics once a minute)."""

    def __post_init__(self) -> None:
        if not self.pools:
            raise ValueError("OriginHealthRules needs at least one region's pool")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")
        if self.for_minutes < 1:
            raise ValueError("for_minutes must be 1 or more")


def origin_health_rules(args: OriginHealthRulesArgs) -> dict[str, Any]:
    """The rule groups: one alert per region, on the worst health its pool reports."""
    rules = [
        {
            "alert": ALERT,
            "expr": f'min({POOL_HEALTH_METRIC}{{pool_name="{pool}"}}) < 1',
            "for": f"{args.for_minutes}m",
            "labels": {"severity": args.severity, "region": region},
            "annotations": {
                "summary": f"{region}: the edge's {args.health_path} monitor finds pool {pool} "
                "unhealthy; the edge steers traffic to the other regions",
            },
        }
        for region, pool in args.pools.items()
    ]
    return {"groups": [{"name": RULE_NAMESPACE, "rules": rules}]}


class OriginHealthRules(pulumi.ComponentResource):
    """The per-region origin health alerts in one workspace (see the module docstring)."""

    rules: aws.amp.RuleGroupNamespace

    def __init__(
        self, name: str, args: OriginHealthRulesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:OriginHealthRules", name, None, opts)
        self.rules = aws.amp.RuleGroupNamespace(
            f"{name}-rules",
            name=RULE_NAMESPACE,
            workspace_id=args.workspace_id,
            data=yaml.safe_dump(origin_health_rules(args), sort_keys=False, width=100_000),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"ruleNamespace": self.rules.name})
