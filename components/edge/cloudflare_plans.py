"""What each Cloudflare plan allows of the features the Cloudflare edge uses, from Cloudflare's
documentation (each limit names its page). Pure data: the config gate (stacks/edge_settings.py)
judges the edge settings with it, and `CloudflareEdge` builds to it.

Example::

    PLAN_LIMITS["business"].monitor_interval_min      # 15
    rate_limit_shortfalls("pro", 5)                   # ['5 rules (the plan allows 2)', ...]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CloudflarePlan = Literal["free", "pro", "business", "enterprise"]
CLOUDFLARE_PLANS: tuple[CloudflarePlan, ...] = ("free", "pro", "business", "enterprise")


@dataclass(frozen=True)
class PlanLimits:
    """What one Cloudflare plan allows of the features this edge uses."""

    monitor_interval_min: int
    """Shortest load-balancer monitor interval, seconds. Cloudflare docs, Load Balancing,
    monitor settings: "Minimum time in seconds is 60 (Pro), 15 (Business), and 10 (Enterprise)"
    (cloudflare-docs src/content/partials/load-balancing/monitor-settings-advanced.mdx); Free is
    not listed (Load Balancing is a paid add-on there), so Pro's 60 is assumed."""
    rate_limit_rules: int
    """Rate limiting rules per zone: Free 1, Pro 2, Business 5, Enterprise 100 (WAF docs,
    rate limiting rules, Availability; partials/waf/rate-limiting-availability-by-plan.mdx)."""
    rate_limit_method_field: bool
    """`http.request.method` in a rate limiting rule's expression: Business and above (same
    table, "Available fields in rule expression": Method from Business)."""
    rate_limit_one_minute: bool
    """A 60 s counting period and mitigation timeout: Pro and above (same table: Free 10 s)."""
    custom_block_response: bool
    """A custom response (status, content type, body) for a rate limit's block: "only available
    on Pro plans and above" (WAF docs, create a rate limiting rule in the dashboard)."""
    bot_management: bool
    """Bot Management for Enterprise (bot score fields such as `cf.bot_management.score`,
    `auto_update_model`): Enterprise only; Free has Bot Fight Mode, Pro and Business Super Bot
    Fight Mode, neither with score fields for rules (Cloudflare docs, Bots, "Which bot solution
    do I need?")."""


PLAN_LIMITS: dict[CloudflarePlan, PlanLimits] = {
    "free": PlanLimits(60, 1, False, False, False, False),
    "pro": PlanLimits(60, 2, False, True, True, False),
    "business": PlanLimits(15, 5, True, True, True, False),
    "enterprise": PlanLimits(10, 100, True, True, True, True),
}


def rate_limit_shortfalls(plan: CloudflarePlan, rule_count: int) -> list[str]:
    """What the per-route rate limiting rules need that `plan` lacks (empty: it allows them)."""
    limits = PLAN_LIMITS[plan]
    missing: list[str] = []
    if rule_count > limits.rate_limit_rules:
        missing.append(f"{rule_count} rules (the plan allows {limits.rate_limit_rules})")
    if rule_count and not limits.rate_limit_method_field:
        missing.append("the request method in the rule expression")
    if rule_count and not limits.rate_limit_one_minute:
        missing.append("a 60 s counting period and mitigation timeout (the plan allows 10 s)")
    if rule_count and not limits.custom_block_response:
        missing.append("a custom JSON 429 response")
    return missing
