"""Settings of the edge stack (`<env>-edge`): which edge, its hostnames, rate-limit overrides,
drained regions, and the checks beyond their types.

Key (edge stack file only, `Pulumi.<env>-edge.yaml`):

```yaml
meridian:edge:
  provider: cloudflare          # or aws (CloudFront, WAFv2, Route 53); cloudflare is the default
  zone: meridian.example.com    # the public DNS zone
  hostnames:                    # optional; default api.<zone>, www.<zone>; the first is the
    - api.meridian.example.com  # load balancer's (Cloudflare) / certificate's (AWS) name
  cloudflare:                   # required with provider cloudflare
    accountId: 0123456789abcdef0123456789abcdef
    zoneId: fedcba9876543210fedcba9876543210
    plan: enterprise            # the zone's plan: free, pro, business or enterprise (default)
    botManagement: true         # Enterprise Bot Management; default: on with enterprise only
    monitorIntervalSeconds: 10  # load balancer probes; default: the plan's shortest
  rateLimits:                   # optional per-route overrides of stacks/data/api_routes.json
    payments: 10                #   requests per minute per client
  drainedRegions: [eu-west-1]   # out of rotation: pool disabled / latency record removed
  steering: geo                 # Cloudflare: geo (pools by distance per region) or proximity
  shieldAdvanced: false         # AWS edge: Shield Advanced protections (account subscribed)
```

The Cloudflare API token is never a `meridian:` key: it comes from the secret
`cloudflare:apiToken` (`pulumi config set --secret cloudflare:apiToken ...`) or the
`CLOUDFLARE_API_TOKEN` environment variable, and a plain-text token in the stack file is refused.

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from components.edge.aws_edge import HEALTH_METRICS_REGION
from components.edge.cloudflare_plans import PLAN_LIMITS, CloudflarePlan, rate_limit_shortfalls
from components.edge.geography import AWS_REGIONS
from components.edge.routes import ApiRoute, rate_limited
from stacks.config.errors import ConfigProblem
from stacks.config.problems import did_you_mean, pydantic_problems
from stacks.config.source import is_secure
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel, deep_merge
from stacks.identity import StackIdentity

KEY = "edge"
PROVIDERS: tuple[str, ...] = ("cloudflare", "aws")
TOKEN_KEY = "cloudflare:apiToken"
TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
ROUTES_FILE = Path(__file__).resolve().parent / "data" / "api_routes.json"
WAF_MINIMUM_RATE = 10
"""AWS WAF's smallest rate-based limit per evaluation window."""

_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class CloudflareSettings(MeridianModel):
    account_id: str = Field(
        alias="accountId",
        pattern=r"^[0-9a-f]{32}$",
        description="The Cloudflare account that owns the load-balancer pools and monitors.",
    )
    zone_id: str = Field(
        alias="zoneId",
        pattern=r"^[0-9a-f]{32}$",
        description="The Cloudflare zone of `zone` (Cloudflare dashboard, Overview, API).",
    )
    plan: CloudflarePlan = Field(
        default="enterprise",
        description="The zone's Cloudflare plan (components/edge/cloudflare_plans.py): what the "
        "edge may build. Enterprise, what the shipped environments use, by default.",
    )
    bot_management: bool | None = Field(
        alias="botManagement",
        default=None,
        description="Enterprise Bot Management and its bot-score rule; unset: on with the "
        "enterprise plan, else (Super) Bot Fight Mode.",
    )
    monitor_interval_seconds: int | None = Field(
        alias="monitorIntervalSeconds",
        default=None,
        ge=5,
        le=3600,
        description="Seconds between load-balancer health probes; unset: the plan's shortest.",
    )

    @property
    def bot_management_on(self) -> bool:
        """Whether the edge builds Bot Management (given, or what the plan has)."""
        if self.bot_management is not None:
            return self.bot_management
        return PLAN_LIMITS[self.plan].bot_management


class EdgeSettings(MeridianModel):
    provider: str = Field(description="cloudflare (default) or aws.")
    zone: str = Field(description="The public DNS zone the hostnames live in.")
    hostnames: list[str] = Field(
        default_factory=list, description="Public hostnames; empty: api.<zone>, www.<zone>."
    )
    cloudflare: CloudflareSettings | None = None
    rate_limits: dict[str, int] = Field(
        alias="rateLimits",
        default_factory=dict,
        description="Per-route requests per minute, overriding stacks/data/api_routes.json.",
    )
    drained_regions: list[str] = Field(
        alias="drainedRegions", default_factory=list, description="Regions out of rotation."
    )
    steering: Literal["geo", "proximity"] = "geo"
    shield_advanced: bool = Field(alias="shieldAdvanced", default=False)

    @property
    def public_hostnames(self) -> list[str]:
        return list(self.hostnames) or [f"api.{self.zone}", f"www.{self.zone}"]


class _EdgeKey(MeridianModel):
    edge: EdgeSettings


EDGE_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {"provider": "cloudflare", "zone": "dev.meridian.example.com"},
    "staging": {"provider": "cloudflare", "zone": "staging.meridian.example.com"},
    "prod": {"provider": "cloudflare", "zone": "meridian.example.com"},
}


@cache
def api_routes() -> tuple[ApiRoute, ...]:
    """The routing table (stacks/data/api_routes.json), as typed rows."""
    document = json.loads(ROUTES_FILE.read_text(encoding="utf-8"))
    return tuple(
        ApiRoute(
            id=row["id"],
            method=row["method"],
            paths=tuple(row["paths"]),
            service=row["service"],
            rate_limit_per_minute=row.get("rateLimitPerMinute"),
            sticky=bool(row.get("sticky", False)),
            internal=bool(row.get("internal", False)),
        )
        for row in document["routes"]
    )


def edge_routes(settings: EdgeSettings) -> tuple[ApiRoute, ...]:
    """The routing table with the stack's rate-limit overrides applied."""
    return tuple(
        replace(r, rate_limit_per_minute=settings.rate_limits[r.id])
        if r.id in settings.rate_limits
        else r
        for r in api_routes()
    )


def load_edge_settings(
    identity: StackIdentity,
    raw: Any,
    stack_config: dict[str, Any],
    regions: list[str],
) -> tuple[EdgeSettings | None, list[ConfigProblem]]:
    """The edge stack's settings from its `meridian:edge` value, or the problems with them.

    `stack_config` is the stack's whole config (for the Cloudflare token); `regions` are the
    environment's regions from the validated manifest.
    """
    stack = identity.name
    own_file = f"Pulumi.{stack}.yaml"
    key = f"{NAMESPACE}:{KEY}"
    defaults = EDGE_DEFAULTS[identity.environment]
    problems: list[ConfigProblem] = []
    token = stack_config.get(TOKEN_KEY)
    if token is not None and not is_secure(token):
        problems.append(
            ConfigProblem(
                TOKEN_KEY,
                "<plain text, not shown>",
                "is a Cloudflare API token in plain text in the stack file",
                f"store it encrypted (pulumi config set --secret {TOKEN_KEY} <token> --stack "
                f"{stack}) or remove it and export {TOKEN_ENV} where Pulumi runs; then rotate "
                "the token: it is in the file's history",
                file=own_file,
            )
        )
    if raw is not None and not isinstance(raw, dict):
        problems.append(
            ConfigProblem(
                key,
                raw,
                "is not a mapping",
                f"write it as `{key}:` with `provider: ...` etc. below it in {own_file}",
                file=own_file,
            )
        )
        return None, problems
    merged = deep_merge(defaults, raw or {})
    try:
        settings = _EdgeKey.model_validate({KEY: merged}).edge
    except ValidationError as exc:
        found = pydantic_problems(exc, _EdgeKey, {KEY: defaults}, {KEY: own_file}, own_file)
        return None, problems + found
    problems += _check(settings, regions, key, own_file)
    return (None if problems else settings), problems


def _provider_problem(value: Any, key: str, own_file: str) -> ConfigProblem:
    return ConfigProblem(
        f"{key}.provider",
        value,
        "is not an edge provider Meridian builds" + did_you_mean(str(value), set(PROVIDERS), ""),
        f"set it to cloudflare (the default: Cloudflare CDN, WAF and load balancing) or aws "
        f"(CloudFront, WAFv2, Route 53) in {own_file}",
        file=own_file,
    )


def _check(
    settings: EdgeSettings, regions: list[str], key: str, own_file: str
) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []

    def problem(path: str, value: Any, what: str, fix: str) -> None:
        problems.append(ConfigProblem(f"{key}.{path}", value, what, fix, file=own_file))

    if settings.provider not in PROVIDERS:
        problems.append(_provider_problem(settings.provider, key, own_file))
    if settings.provider == "cloudflare" and settings.cloudflare is None:
        problem(
            "cloudflare",
            "<unset>",
            "is required with provider cloudflare: pools and monitors belong to an account, "
            "rules and records to a zone",
            f"set {key}.cloudflare.accountId and {key}.cloudflare.zoneId (32 hex digits each, "
            f"from the Cloudflare dashboard) in {own_file}",
        )
    if settings.provider == "cloudflare" and settings.cloudflare is not None:
        problems += _plan_problems(settings.cloudflare, f"{key}.cloudflare", own_file)
    if settings.shield_advanced and settings.provider != "aws":
        problem(
            "shieldAdvanced",
            True,
            "applies to the aws edge only (Cloudflare absorbs DDoS itself)",
            f"remove it, or set {key}.provider to aws",
        )
    if not _DOMAIN_RE.match(settings.zone):
        problem("zone", settings.zone, "is not a DNS zone name", "use e.g. meridian.example.com")
    for index, hostname in enumerate(settings.hostnames):
        if hostname != settings.zone and not hostname.endswith(f".{settings.zone}"):
            problem(
                f"hostnames[{index}]",
                hostname,
                f"is not in the zone {settings.zone}",
                f"use a name ending in .{settings.zone}, or change {key}.zone",
            )
    if len(set(settings.hostnames)) != len(settings.hostnames):
        problem("hostnames", settings.hostnames, "lists a hostname twice", "remove the duplicate")

    routes = {r.id: r for r in api_routes()}
    for route_id, limit in settings.rate_limits.items():
        route = routes.get(route_id)
        if route is None:
            problem(
                f"rateLimits.{route_id}",
                limit,
                "names no route of the API routing table (stacks/data/api_routes.json)"
                + did_you_mean(route_id, set(routes), ""),
                f"use one of: {', '.join(sorted(routes))}; or add the route to the table",
            )
        elif route.internal:
            problem(
                f"rateLimits.{route_id}",
                limit,
                f"is an internal route ({', '.join(route.paths)}): the edge blocks it outright",
                "remove the override",
            )
        elif limit < 1:
            problem(f"rateLimits.{route_id}", limit, "is not a positive rate", "use 1 or more")
        elif settings.provider == "aws" and limit < WAF_MINIMUM_RATE:
            problem(
                f"rateLimits.{route_id}",
                limit,
                f"is below AWS WAF's smallest rate-based limit ({WAF_MINIMUM_RATE} per minute)",
                f"use {WAF_MINIMUM_RATE} or more",
            )

    for index, region in enumerate(settings.drained_regions):
        if region not in regions:
            problem(
                f"drainedRegions[{index}]",
                region,
                f"is not one of the environment's regions ({', '.join(regions)})",
                "remove it or correct the spelling" + did_you_mean(region, set(regions), ""),
            )
    if settings.provider == "aws" and regions and HEALTH_METRICS_REGION not in regions:
        problem(
            "provider",
            settings.provider,
            f"pages a region failing its health check through the P2 topic of "
            f"{HEALTH_METRICS_REGION} (Route 53 publishes its health metrics there only, and an "
            f"alarm notifies a topic of its own region), which is not one of the environment's "
            f"regions ({', '.join(regions)})",
            f"add {HEALTH_METRICS_REGION} to meridian:regions, or use the cloudflare edge",
        )
    if regions and set(regions) <= set(settings.drained_regions):
        problem(
            "drainedRegions",
            settings.drained_regions,
            "drains every region: the edge would have no origin to send traffic to",
            "keep at least one region in rotation (undrain the healthiest one first)",
        )
    for region in regions:
        if region not in AWS_REGIONS:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:regions",
                    region,
                    "has no location in the edge's geography table",
                    "add it to AWS_REGIONS in components/edge/geography.py",
                    file=own_file,
                )
            )
    return problems


def _plan_problems(cf: CloudflareSettings, key: str, own_file: str) -> list[ConfigProblem]:
    """Features the edge would build that the zone's Cloudflare plan lacks."""
    plan, limits = cf.plan, PLAN_LIMITS[cf.plan]
    problems: list[ConfigProblem] = []
    if cf.bot_management and not limits.bot_management:
        problems.append(
            ConfigProblem(
                f"{key}.botManagement",
                True,
                f"asks for Bot Management (bot scores in rules, automatic model updates), which "
                f"Cloudflare offers on the enterprise plan only, not on {plan} (which has "
                f"{'Bot Fight Mode' if plan == 'free' else 'Super Bot Fight Mode'})",
                f"remove botManagement (the edge then uses what {plan} has), or set "
                f"{key}.plan: enterprise once the zone is on it, in {own_file}",
                file=own_file,
            )
        )
    interval = cf.monitor_interval_seconds
    if interval is not None and interval < limits.monitor_interval_min:
        problems.append(
            ConfigProblem(
                f"{key}.monitorIntervalSeconds",
                interval,
                f"is shorter than the {plan} plan allows for a load balancer monitor "
                f"({limits.monitor_interval_min} s; 10 s needs enterprise, 15 s business)",
                f"remove it (the plan's shortest, {limits.monitor_interval_min} s, applies) or "
                f"set it to {limits.monitor_interval_min} or more in {own_file}",
                file=own_file,
            )
        )
    count = len(rate_limited(list(api_routes())))
    missing = rate_limit_shortfalls(plan, count)
    if missing:
        problems.append(
            ConfigProblem(
                f"{key}.plan",
                plan,
                f"lacks what the per-route rate limits of the API routing table need "
                f"(stacks/data/api_routes.json, {count} rate-limited routes): "
                + "; ".join(missing),
                f"set {key}.plan to business or enterprise (the zone must be on it), or run "
                f"the aws edge (provider: aws) in {own_file}",
                file=own_file,
            )
        )
    return problems


SPEC = SettingSpec(
    key=KEY,
    field="edge",
    model=EdgeSettings,
    defaults=EDGE_DEFAULTS,
    scope="edge",  # judged by load_edge_settings, with the stack's Cloudflare token
)
"""`meridian:edge`, the edge stack file's only key (stacks/config/registry.py)."""


def resolve_edge_provider(
    environment: str, edge_config: dict[str, Any]
) -> tuple[str, list[ConfigProblem]]:
    """The environment's edge provider, as a regional stack reads it from the edge stack file
    (`edge_config`: that file's config; empty when there is none): `meridian:edge.provider`, else
    the environment's default; a value that is not a provider is a problem in that file."""
    default = str(EDGE_DEFAULTS[environment]["provider"])
    raw = edge_config.get(f"{NAMESPACE}:{KEY}")
    provider = raw.get("provider") if isinstance(raw, dict) else None  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    if provider is None:
        return default, []
    if provider in PROVIDERS:
        return str(provider), []  # pyright: ignore[reportUnknownArgumentType]
    edge_file = f"Pulumi.{environment}-edge.yaml"
    return default, [_provider_problem(provider, f"{NAMESPACE}:{KEY}", edge_file)]


def resolve_edge_cloudflare(
    environment: str, edge_config: dict[str, Any]
) -> tuple[str, str] | None:
    """The Cloudflare account and zone ids of the edge, as a regional stack reads them from the
    edge stack file (`meridian:edge.cloudflare`), or None when the edge is not Cloudflare or the
    file names no valid ids (the edge stack reports that; the primary region's analytics
    exporter needs both)."""
    provider, _ = resolve_edge_provider(environment, edge_config)
    raw = edge_config.get(f"{NAMESPACE}:{KEY}")
    own: dict[str, Any] = raw if isinstance(raw, dict) else {}  # pyright: ignore[reportUnknownVariableType]
    ids = own.get("cloudflare")
    if provider != "cloudflare" or not isinstance(ids, dict):
        return None
    account, zone = ids.get("accountId"), ids.get("zoneId")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    valid = re.compile(r"^[0-9a-f]{32}$")
    if not (isinstance(account, str) and isinstance(zone, str)):
        return None
    if not (valid.match(account) and valid.match(zone)):
        return None
    return account, zone


def resolve_edge_zone(environment: str, edge_config: dict[str, Any]) -> str:
    """The edge's public DNS zone, as the global and regional stacks read it from the edge stack
    file: `meridian:edge.zone`, else the environment's default zone."""
    raw = edge_config.get(f"{NAMESPACE}:{KEY}")
    own: dict[str, Any] = raw if isinstance(raw, dict) else {}  # pyright: ignore[reportUnknownVariableType]
    return str(own.get("zone") or EDGE_DEFAULTS[environment]["zone"])  # pyright: ignore[reportUnknownArgumentType]


def resolve_edge_hostnames(environment: str, edge_config: dict[str, Any]) -> tuple[str, ...]:
    """The public hostnames the edge connects to origins with, as a regional stack reads them
    from the edge stack file: `meridian:edge.hostnames`, else api.<zone> and www.<zone> of its
    zone (or the environment's default zone). The edge stack judges them; a regional stack only
    names them in its origin certificate."""
    raw = edge_config.get(f"{NAMESPACE}:{KEY}")
    own: dict[str, Any] = raw if isinstance(raw, dict) else {}  # pyright: ignore[reportUnknownVariableType]
    zone = resolve_edge_zone(environment, edge_config)
    hostnames = own.get("hostnames") or [f"api.{zone}", f"www.{zone}"]
    return tuple(str(h) for h in hostnames)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
