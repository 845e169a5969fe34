"""CloudflareEdge: Cloudflare in front of the regions: TLS, WAF, bot protection, per-route rate
limits, cache rules, origin lock, and a geo-steered load balancer with one pool per region.

What it builds in one existing Cloudflare zone (pulumi-cloudflare v6 resource names):
- `ZoneSetting` per setting: SSL Full (strict), minimum TLS 1.2, TLS 1.3, HSTS with preload,
  Always Use HTTPS, HTTP/3, 0-RTT, Brotli, WebSockets;
- `Ruleset`s, one per entry-point phase: `http_request_firewall_managed` executes the Cloudflare
  Managed Ruleset and the OWASP Core Ruleset; `http_request_firewall_custom` blocks SSRF to the
  instance metadata addresses, path traversal and internal routes, and challenges likely bots;
  `http_ratelimit` holds one rule per rate-limited route of the routing table;
  `http_request_cache_settings` caches immutable assets a year, HTML 300 s at the edge and
  bypasses the cache for the API; `BotManagement` (Enterprise Bot Management with its score rule
  on the enterprise plan, else Super Bot Fight Mode on pro and business, Bot Fight Mode on free),
  `TieredCache`;
- origin lock: `AuthenticatedOriginPullsSettings` (Cloudflare presents its origin-pull client
  certificate on every request; the regional ingress verifies it, and its security group admits
  only Cloudflare's published ranges);
- load balancing: one HTTPS `LoadBalancerMonitor`, one `LoadBalancerPool` per region whose origin
  is the region's ingress hostname, a `LoadBalancer` on the first public hostname with geo
  steering (pools ordered by distance per Cloudflare region), a fallback pool, and session
  affinity for the sticky (WebSocket) routes; `DnsRecord`s for the other hostnames; a DNS-only
  `LoadBalancer` over the same pools for each passthrough hostname (mutual TLS at the gateway).

A drained region keeps its pool, disabled, and leaves every steering list: draining and
undraining are config changes, nothing is deleted.

What the zone's plan allows (`CloudflareEdgeArgs.plan`; `PLAN_LIMITS`): the monitor probes at
the plan's shortest interval unless a longer one is given, and Bot Management's score rule is
built only with `bot_management` (Enterprise). Args a plan cannot carry are refused here, and
earlier by the config gate (stacks/edge_settings.py) with the fix.

Example::

    edge = CloudflareEdge("edge", CloudflareEdgeArgs(
        names=Names("prod"), account_id="0123...", zone_id="4567...",
        hostnames=("api.example.com", "www.example.com"),
        origins=(RegionOrigin("us-east-1", ingress_hostname),), primary_region="us-east-1",
        routes=routes),
        opts=pulumi.ResourceOptions(provider=cloudflare_provider))
    pulumi.export("regionsInRotation", edge.regions_in_rotation)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_cloudflare as cloudflare

from components.common.naming import Names
from components.edge.cloudflare_plans import PLAN_LIMITS, CloudflarePlan, rate_limit_shortfalls
from components.edge.geography import (
    CLOUDFLARE_REGIONS,
    RegionOrigin,
    check_origins,
    in_rotation,
    pools_by_distance,
    site,
)
from components.edge.routes import (
    ApiRoute,
    cloudflare_match,
    cloudflare_path_match,
    rate_limited,
)

# Cloudflare's managed rulesets (the same ids in every account):
# https://developers.cloudflare.com/waf/managed-rules/reference/
CLOUDFLARE_MANAGED_RULESET_ID = "efb7b8c949ac4650a09736fc376e9aee"
OWASP_CORE_RULESET_ID = "4814384a9e5d4991b9815dcfc25d2f1f"
OWASP_ANOMALY_SCORE_RULE_ID = "6179ae15870a4bb7b2d480d4843b323c"
"""The OWASP ruleset's "949110: Inbound Anomaly Score Exceeded" rule, where the threshold lives."""

MANAGED_WAF_PHASE = "http_request_firewall_managed"
CUSTOM_WAF_PHASE = "http_request_firewall_custom"
RATE_LIMIT_PHASE = "http_ratelimit"
CACHE_PHASE = "http_request_cache_settings"

METADATA_ADDRESSES: tuple[str, ...] = ("169.254.169.254", "fd00:ec2::254", "169.254.170.2")
"""Instance (IPv4, IPv6) and container credential endpoints an SSRF would aim at."""

IMMUTABLE_EXTENSIONS: tuple[str, ...] = (
    "js",
    "mjs",
    "css",
    "woff2",
    "woff",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "svg",
    "webp",
    "avif",
    "ico",
    "wasm",
)
ONE_YEAR = 31_536_000
HTML_EDGE_SECONDS = 300

ZONE_SETTINGS: tuple[tuple[str, Any], ...] = (
    ("ssl", "strict"),
    ("min_tls_version", "1.2"),
    ("tls_1_3", "on"),
    ("always_use_https", "on"),
    (
        "security_header",
        {
            "strict_transport_security": {
                "enabled": True,
                "max_age": ONE_YEAR,
                "include_subdomains": True,
                "preload": True,
                "nosniff": True,
            }
        },
    ),
    ("http3", "on"),
    ("0rtt", "on"),
    ("brotli", "on"),
    ("websockets", "on"),
)
"""Zone settings, by v6 setting id. 0-RTT is safe here because only idempotent GETs are replayed
by Cloudflare (it adds `Cf-0rtt-Unique` and refuses early data for other methods)."""


@dataclass(frozen=True)
class CloudflareEdgeArgs:
    names: Names
    account_id: str
    zone_id: str
    hostnames: Sequence[str]
    """Public hostnames; the first is the load balancer's, the others are CNAMEs to it."""
    origins: Sequence[RegionOrigin]
    primary_region: str
    routes: Sequence[ApiRoute]
    drained: frozenset[str] = field(default_factory=frozenset)
    steering: Literal["geo", "proximity"] = "geo"
    health_path: str = "/health"
    owasp_score_threshold: int = 40
    """OWASP anomaly score that blocks: 60 low, 40 medium (Cloudflare's default), 25 high."""
    bot_score_threshold: int = 30
    """Requests scored below this (likely automated) get a managed challenge (Bot Management)."""
    plan: CloudflarePlan = "enterprise"
    """The zone's Cloudflare plan: what it allows is in `PLAN_LIMITS`."""
    bot_management: bool = True
    """Enterprise Bot Management and its bot-score rule; False: (Super) Bot Fight Mode."""
    monitor_interval: int | None = None
    """Seconds between health probes; None: the plan's shortest interval."""
    passthrough_hostnames: Sequence[str] = ()
    """Hostnames the regions' ingress serves with mutual TLS to clients of its own (the partner
    API): each gets a DNS-only (`proxied=False`) load balancer over the same pools, so clients
    resolve to the regions' NLBs and their TLS, client certificate included, ends at the
    gateway. The edge's WAF, rate limits and origin lock do not apply to them."""

    def __post_init__(self) -> None:
        limits = PLAN_LIMITS[self.plan]
        if self.bot_management and not limits.bot_management:
            raise ValueError(f"Bot Management needs the enterprise plan, not {self.plan}")
        if self.monitor_interval is not None and self.monitor_interval < (
            limits.monitor_interval_min
        ):
            raise ValueError(
                f"monitor interval {self.monitor_interval} s is below the {self.plan} plan's "
                f"minimum of {limits.monitor_interval_min} s"
            )
        missing = rate_limit_shortfalls(self.plan, len(rate_limited(list(self.routes))))
        if missing:
            raise ValueError(f"the {self.plan} plan lacks: {'; '.join(missing)}")
        check_origins(
            self.origins,
            self.hostnames,
            self.primary_region,
            self.drained,
            all_drained="the load balancer would have no pool",
        )

    @property
    def probe_interval(self) -> int:
        """The monitor's interval: the one given, else the plan's shortest."""
        return self.monitor_interval or PLAN_LIMITS[self.plan].monitor_interval_min

    @property
    def in_rotation(self) -> list[str]:
        return in_rotation(self.origins, self.drained)


class CloudflareEdge(pulumi.ComponentResource):
    """The Cloudflare edge of one environment (see the module docstring)."""

    regions_in_rotation: list[str]
    hostnames: list[str]
    rate_limits: dict[str, int]
    pool_ids: dict[str, pulumi.Output[str]]
    pool_names: dict[str, str]
    """Region -> its pool's name, which Cloudflare's analytics (and the exporter) report."""
    health_path: str
    load_balancer_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: CloudflareEdgeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:edge:CloudflareEdge", name, None, opts)
        self._args = args
        settings = self._zone_settings(name)
        self.rulesets = self._rulesets(name)
        origin_pulls = self._zone_features(name)
        pools = self._pools(name)
        load_balancer = self._load_balancer(name, pools, [origin_pulls, *settings])
        self.passthrough = {
            host: self._passthrough(name, host, pools) for host in args.passthrough_hostnames
        }
        rotation = args.in_rotation
        self.regions_in_rotation = rotation
        self.hostnames = list(args.hostnames)
        self.rate_limits = {
            r.id: r.rate_limit_per_minute
            for r in rate_limited(list(args.routes))
            if r.rate_limit_per_minute is not None
        }
        self.pool_ids = {region: pool.id for region, pool in pools.items()}
        self.pool_names = {o.region: self._pool_name(o.region) for o in args.origins}
        self.health_path = args.health_path
        self.load_balancer_id = load_balancer.id
        self.register_outputs(
            {
                "regionsInRotation": rotation,
                "loadBalancerId": load_balancer.id,
                "poolIds": self.pool_ids,
            }
        )

    def _zone_settings(self, name: str) -> list[cloudflare.ZoneSetting]:
        """The zone's TLS and security settings (`ZONE_SETTINGS`)."""
        child = pulumi.ResourceOptions(parent=self)
        zone_id = self._args.zone_id
        return [
            cloudflare.ZoneSetting(
                f"{name}-{setting_id.replace('_', '-')}",
                zone_id=zone_id,
                setting_id=setting_id,
                value=value,
                opts=child,
            )
            for setting_id, value in ZONE_SETTINGS
        ]

    def _rulesets(self, name: str) -> dict[str, cloudflare.Ruleset]:
        """Phase -> the zone's ruleset: managed WAF, custom WAF, rate limits, cache rules."""
        child = pulumi.ResourceOptions(parent=self)
        zone_id = self._args.zone_id
        managed = cloudflare.Ruleset(
            f"{name}-waf-managed",
            zone_id=zone_id,
            kind="zone",
            phase=MANAGED_WAF_PHASE,
            name="meridian managed WAF",
            description="Cloudflare Managed Ruleset and OWASP Core Ruleset, blocking",
            rules=self._managed_waf_rules(),
            opts=child,
        )
        custom = cloudflare.Ruleset(
            f"{name}-waf-custom",
            zone_id=zone_id,
            kind="zone",
            phase=CUSTOM_WAF_PHASE,
            name="meridian custom WAF",
            description="SSRF to metadata addresses, path traversal, internal routes, bots",
            rules=self._custom_waf_rules(),
            opts=child,
        )
        limits = cloudflare.Ruleset(
            f"{name}-rate-limits",
            zone_id=zone_id,
            kind="zone",
            phase=RATE_LIMIT_PHASE,
            name="meridian rate limits",
            description="Per-route limits from the API routing table (stacks/data/api_routes.json)",
            rules=self._rate_limit_rules(),
            opts=child,
        )
        cache = cloudflare.Ruleset(
            f"{name}-cache",
            zone_id=zone_id,
            kind="zone",
            phase=CACHE_PHASE,
            name="meridian cache rules",
            description="Immutable assets 1 year, HTML s-maxage 300, API bypass",
            rules=self._cache_rules(),
            opts=child,
        )
        return {
            MANAGED_WAF_PHASE: managed,
            CUSTOM_WAF_PHASE: custom,
            RATE_LIMIT_PHASE: limits,
            CACHE_PHASE: cache,
        }

    def _zone_features(self, name: str) -> cloudflare.AuthenticatedOriginPullsSettings:
        """Tiered cache, bot protection and authenticated origin pulls (returned: the load
        balancer waits for it)."""
        child = pulumi.ResourceOptions(parent=self)
        zone_id = self._args.zone_id
        cloudflare.TieredCache(f"{name}-tiered-cache", zone_id=zone_id, value="on", opts=child)
        self._bot_protection(name, zone_id, child)
        return cloudflare.AuthenticatedOriginPullsSettings(
            f"{name}-origin-pulls", zone_id=zone_id, enabled=True, opts=child
        )

    def _pool_name(self, region: str) -> str:
        """A region's pool name: what the analytics (and their exporter's `pool_name`) call it."""
        return self._args.names.physical("edge", region)

    def _pools(self, name: str) -> dict[str, cloudflare.LoadBalancerPool]:
        """The health monitor and one pool per region's ingress (a drained one disabled)."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        monitor = cloudflare.LoadBalancerMonitor(
            f"{name}-monitor",
            account_id=args.account_id,
            type="https",
            method="GET",
            path=args.health_path,
            port=443,
            expected_codes="200",
            header={"Host": [args.hostnames[0]]},
            allow_insecure=False,
            follow_redirects=False,
            interval=args.probe_interval,
            timeout=2,
            retries=1,
            consecutive_down=2,
            consecutive_up=2,
            description=f"{args.names.prefix}: HTTPS {args.health_path} on every region's ingress",
            opts=child,
        )
        pools: dict[str, cloudflare.LoadBalancerPool] = {}
        for origin in args.origins:
            where = site(origin.region)
            drained = origin.region in args.drained
            pools[origin.region] = cloudflare.LoadBalancerPool(
                f"{name}-pool-{origin.region}",
                account_id=args.account_id,
                name=self._pool_name(origin.region),
                description=f"{origin.region} ingress" + (" (drained)" if drained else ""),
                enabled=not drained,
                minimum_origins=1,
                monitor=monitor.id,
                check_regions=[where.check_region],
                latitude=where.latitude,
                longitude=where.longitude,
                origins=[
                    {
                        "name": origin.region,
                        "address": origin.hostname,
                        "port": 443,
                        "enabled": True,
                        "weight": 1,
                        # The ingress gateway serves the public hostname's certificate (Full
                        # strict): Cloudflare connects with that SNI and Host.
                        "header": {"hosts": [args.hostnames[0]]},
                    }
                ],
                opts=child,
            )
        return pools

    def _load_balancer(
        self,
        name: str,
        pools: Mapping[str, cloudflare.LoadBalancerPool],
        after: Sequence[pulumi.Resource],
    ) -> cloudflare.LoadBalancer:
        """The load balancer on the first hostname, and the other hostnames as CNAMEs to it."""
        args = self._args
        zone_id = args.zone_id
        rotation = args.in_rotation
        fallback = args.primary_region if args.primary_region in rotation else rotation[0]
        ordered = self._by_preference(rotation, args.primary_region)
        load_balancer = cloudflare.LoadBalancer(
            f"{name}-lb",
            zone_id=zone_id,
            name=args.hostnames[0],
            description=f"{args.names.prefix}: {args.steering} steering over {len(rotation)} "
            "regions",
            proxied=True,
            enabled=True,
            steering_policy=args.steering,
            default_pools=[pools[r].id for r in ordered],
            fallback_pool=pools[fallback].id,
            region_pools={
                code: [pools[r].id for r in pools_by_distance(code, rotation)]
                for code in sorted(CLOUDFLARE_REGIONS)
            },
            location_strategy={"mode": "resolver_ip", "prefer_ecs": "proximity"},
            adaptive_routing={"failover_across_pools": True},
            session_affinity="none",
            rules=self._affinity_rules(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )
        for hostname in args.hostnames[1:]:
            cloudflare.DnsRecord(
                f"{name}-dns-{hostname}",
                zone_id=zone_id,
                name=hostname,
                type="CNAME",
                content=args.hostnames[0],
                proxied=True,
                ttl=1,  # automatic: proxied records are answered by Cloudflare's anycast
                comment=f"{args.names.prefix}: served by the {args.hostnames[0]} load balancer",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[load_balancer]),
            )
        return load_balancer

    def _passthrough(
        self, name: str, hostname: str, pools: Mapping[str, cloudflare.LoadBalancerPool]
    ) -> cloudflare.LoadBalancer:
        """A DNS-only load balancer on `hostname` over the regions' pools: Cloudflare answers
        with a healthy region's NLB addresses (the pool origin's hostname, flattened) and never
        sees the connection. Steering is by the resolver's location, as the proxied one's."""
        args = self._args
        rotation = args.in_rotation
        fallback = args.primary_region if args.primary_region in rotation else rotation[0]
        return cloudflare.LoadBalancer(
            f"{name}-passthrough-{hostname}",
            zone_id=args.zone_id,
            name=hostname,
            description=f"{args.names.prefix}: DNS-only, TLS ends at the regions' gateways",
            proxied=False,
            ttl=60,  # DNS-only answers are cached by resolvers: a short TTL for failover
            enabled=True,
            steering_policy=args.steering,
            default_pools=[pools[r].id for r in self._by_preference(rotation, args.primary_region)],
            fallback_pool=pools[fallback].id,
            region_pools={
                code: [pools[r].id for r in pools_by_distance(code, rotation)]
                for code in sorted(CLOUDFLARE_REGIONS)
            },
            location_strategy={"mode": "resolver_ip", "prefer_ecs": "proximity"},
            session_affinity="none",
            opts=pulumi.ResourceOptions(parent=self),
        )

    @staticmethod
    def _by_preference(regions: Sequence[str], primary: str) -> list[str]:
        """Primary first, then the others in manifest order: the default failover order."""
        return sorted(regions, key=lambda r: (r != primary, list(regions).index(r)))

    def _managed_waf_rules(self) -> list[cloudflare.RulesetRuleArgsDict]:
        return [
            {
                "ref": "cloudflare-managed",
                "description": "Cloudflare Managed Ruleset",
                "expression": "true",
                "action": "execute",
                "action_parameters": {"id": CLOUDFLARE_MANAGED_RULESET_ID},
                "enabled": True,
            },
            {
                "ref": "owasp-core",
                "description": "OWASP Core Ruleset: block at the anomaly score threshold",
                "expression": "true",
                "action": "execute",
                "action_parameters": {
                    "id": OWASP_CORE_RULESET_ID,
                    "overrides": {
                        # paranoia levels 1-2; 3 and 4 trade too many false positives
                        "categories": [
                            {"category": "paranoia-level-3", "enabled": False},
                            {"category": "paranoia-level-4", "enabled": False},
                        ],
                        "rules": [
                            {
                                "id": OWASP_ANOMALY_SCORE_RULE_ID,
                                "action": "block",
                                "score_threshold": self._args.owasp_score_threshold,
                            }
                        ],
                    },
                },
                "enabled": True,
            },
        ]

    def _custom_waf_rules(self) -> list[cloudflare.RulesetRuleArgsDict]:
        uri = "lower(url_decode(http.request.uri))"
        ssrf = " or ".join(f'{uri} contains "{a}"' for a in METADATA_ADDRESSES)
        traversal = " or ".join(
            [
                f'{uri} contains "../"',
                f'{uri} contains "..\\\\"',
                'lower(http.request.uri) contains "%2e%2e"',
                'lower(http.request.uri) contains "%252e"',
                'http.request.uri contains "%00"',
                f'{uri} contains "/etc/passwd"',
                f'{uri} contains "/proc/self/"',
            ]
        )
        rules: list[cloudflare.RulesetRuleArgsDict] = [
            {
                "ref": "ssrf-metadata",
                "description": "SSRF: instance metadata and credential endpoints",
                "expression": f"({ssrf})",
                "action": "block",
                "enabled": True,
            },
            {
                "ref": "path-traversal",
                "description": "Path traversal and local file inclusion",
                "expression": f"({traversal})",
                "action": "block",
                "enabled": True,
            },
        ]
        internal = [p for r in self._args.routes if r.internal for p in r.paths]
        if internal:
            paths = " ".join(f'"{p}"' for p in internal)
            rules.append(
                {
                    "ref": "internal-routes",
                    "description": "Internal routes (health checks, metrics) never pass the edge",
                    "expression": f"(http.request.uri.path in {{{paths}}})",
                    "action": "block",
                    "enabled": True,
                }
            )
        if not self._args.bot_management:
            return rules  # the score fields exist only with Enterprise Bot Management
        rules.append(
            {
                "ref": "likely-bots",
                "description": "Bot management: challenge likely automated, unverified clients",
                "expression": (
                    f"(cf.bot_management.score lt {self._args.bot_score_threshold} and not "
                    "cf.bot_management.verified_bot and not cf.bot_management.static_resource)"
                ),
                "action": "managed_challenge",
                "enabled": True,
            }
        )
        return rules

    def _bot_protection(self, name: str, zone_id: str, opts: pulumi.ResourceOptions) -> None:
        """The zone's bot configuration: Enterprise Bot Management, else what the plan has
        (one `bot_management` API object for all three products; field names from
        pulumi_cloudflare/bot_management.py: fight_mode is Bot Fight Mode, sbfm_* Super Bot
        Fight Mode)."""
        if self._args.bot_management:
            cloudflare.BotManagement(
                f"{name}-bots",
                zone_id=zone_id,
                enable_js=True,
                auto_update_model=True,
                ai_bots_protection="block",
                suppress_session_score=False,
                opts=opts,
            )
        elif self._args.plan == "free":
            cloudflare.BotManagement(
                f"{name}-bots", zone_id=zone_id, enable_js=True, fight_mode=True, opts=opts
            )
        else:
            # Super Bot Fight Mode: "likely automated" is Business's (the API's clean-up body for
            # a Pro zone resets sbfm_likely_automated; Cloudflare API, bot_management update)
            likely = "managed_challenge" if self._args.plan == "business" else None
            cloudflare.BotManagement(
                f"{name}-bots",
                zone_id=zone_id,
                enable_js=True,
                sbfm_definitely_automated="block",
                sbfm_likely_automated=likely,
                sbfm_verified_bots="allow",
                opts=opts,
            )

    def _rate_limit_rules(self) -> list[cloudflare.RulesetRuleArgsDict]:
        rules: list[cloudflare.RulesetRuleArgsDict] = []
        for route in rate_limited(list(self._args.routes)):
            assert route.rate_limit_per_minute is not None
            rules.append(
                {
                    "ref": f"rate-limit-{route.id}",
                    "description": f"{route.method} {', '.join(route.paths)} -> {route.service}: "
                    f"{route.rate_limit_per_minute}/min per client IP",
                    "expression": cloudflare_match(route),
                    "action": "block",
                    "action_parameters": {
                        "response": {
                            "status_code": 429,
                            "content_type": "application/json",
                            "content": '{"error":"rate limit exceeded","retryAfterSeconds":60}',
                        }
                    },
                    "ratelimit": {
                        "characteristics": ["cf.colo.id", "ip.src"],
                        "period": 60,
                        "requests_per_period": route.rate_limit_per_minute,
                        "mitigation_timeout": 60,
                    },
                    "enabled": True,
                }
            )
        return rules

    def _cache_rules(self) -> list[cloudflare.RulesetRuleArgsDict]:
        api_paths = sorted({p for r in self._args.routes for p in r.paths} | {"/api/"})
        extensions = " ".join(f'"{e}"' for e in IMMUTABLE_EXTENSIONS)
        # Every matching rule applies in order and later ones win: the API bypass comes last.
        return [
            {
                "ref": "cache-immutable-assets",
                "description": "Fingerprinted assets: cache one year at the edge and in browsers",
                "expression": f"(http.request.uri.path.extension in {{{extensions}}})",
                "action": "set_cache_settings",
                "action_parameters": {
                    "cache": True,
                    "edge_ttl": {"mode": "override_origin", "default": ONE_YEAR},
                    "browser_ttl": {"mode": "override_origin", "default": ONE_YEAR},
                },
                "enabled": True,
            },
            {
                "ref": "cache-html",
                "description": "HTML: shared caches keep it 300 s (s-maxage), browsers revalidate",
                "expression": (
                    '(http.request.uri.path.extension in {"html" ""} and '
                    'not starts_with(http.request.uri.path, "/api/"))'
                ),
                "action": "set_cache_settings",
                "action_parameters": {
                    "cache": True,
                    "edge_ttl": {"mode": "override_origin", "default": HTML_EDGE_SECONDS},
                    "browser_ttl": {"mode": "respect_origin"},
                    "serve_stale": {"disable_stale_while_updating": False},
                },
                "enabled": True,
            },
            {
                "ref": "cache-bypass-api",
                "description": "API, GraphQL and WebSocket routes are never cached at the edge",
                "expression": cloudflare_path_match(tuple(api_paths)),
                "action": "set_cache_settings",
                "action_parameters": {"cache": False},
                "enabled": True,
            },
        ]

    def _affinity_rules(self) -> list[cloudflare.LoadBalancerRuleArgsDict]:
        sticky = [r for r in self._args.routes if r.sticky]
        if not sticky:
            return []
        paths = tuple(p for r in sticky for p in r.paths)
        return [
            {
                "name": "websocket-session-affinity",
                "condition": cloudflare_path_match(paths),
                "priority": 0,
                "overrides": {
                    # ip_cookie: the first origin is chosen by client IP (stable), then pinned
                    # by cookie; 30 s drain matches the ingress's connection draining.
                    "session_affinity": "ip_cookie",
                    "session_affinity_ttl": 1800,
                    "session_affinity_attributes": {
                        "samesite": "Strict",
                        "secure": "Always",
                        "drain_duration": 30,
                        "zero_downtime_failover": "sticky",
                    },
                },
            }
        ]
