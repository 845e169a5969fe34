"""The edge in front of the regions' ingress: Cloudflare (`meridian:edge.provider: cloudflare`,
the default) or AWS-native (`aws`), with its explicit provider.

Each region's origin is the ingress NLB hostname its stack exports. Draining a region
(`meridian:edge.drainedRegions`) is a config change: its pool is disabled / its latency record
removed, nothing else moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pulumi

from components.edge.geography import RegionOrigin
from components.edge.routes import rate_limited
from stacks.edge.context import EdgeContext
from stacks.edge.providers import (
    CLOUDFLARE_PROVIDER_MAJOR,
    REPLACEMENT_SENSITIVE,
    cloudflare_provider,
    cloudflare_provider_version,
    region_provider,
)
from stacks.edge_settings import edge_routes

if TYPE_CHECKING:
    from components.edge.aws_edge import AwsEdge
    from components.edge.cloudflare_edge import CloudflareEdge


@dataclass(frozen=True)
class Front:
    """The edge layer's result. The Cloudflare fields (`cloudflare_account_id`, `origin_pools`:
    what the failover runbook disables to drain a region) or the AWS ones (`name_servers`,
    `distribution_domain`, `health_checks`: what the runbook inverts) are None for the other
    provider. `replacement_guard`: what a reviewer's plan report needs to flag an edge
    replacement (the pinned provider versions and the types whose replacement is an outage)."""

    component: CloudflareEdge | AwsEdge
    drained: frozenset[str]
    rate_limits: dict[str, int | None]
    replacement_guard: dict[str, Any]
    cloudflare_account_id: str | None = None
    origin_pools: Any = None
    name_servers: Any = None
    distribution_domain: Any = None
    health_checks: Any = None


def build(ctx: EdgeContext, origins: list[RegionOrigin]) -> Front:
    import pulumi_aws as aws

    from components.common.scope import AwsScope
    from components.edge.aws_edge import (
        HEALTH_ALARM_SEVERITY,
        HEALTH_METRICS_REGION,
        AwsEdge,
        AwsEdgeArgs,
    )
    from components.edge.cloudflare_edge import CloudflareEdge, CloudflareEdgeArgs

    settings, edge = ctx.settings, ctx.edge
    routes = edge_routes(edge)
    drained = frozenset(edge.drained_regions)
    rate_limits = {r.id: r.rate_limit_per_minute for r in rate_limited(list(routes))}

    def guard(provider_versions: dict[str, str]) -> dict[str, Any]:
        return {
            "providerVersions": provider_versions,
            "cloudflareProviderMajor": CLOUDFLARE_PROVIDER_MAJOR,
            "sensitiveTypes": {t: list(f) for t, f in REPLACEMENT_SENSITIVE.items()},
        }

    if edge.provider == "cloudflare":
        assert edge.cloudflare is not None  # load_edge_settings requires it
        cloudflare = CloudflareEdge(
            "edge",
            CloudflareEdgeArgs(
                names=ctx.names,
                account_id=edge.cloudflare.account_id,
                zone_id=edge.cloudflare.zone_id,
                hostnames=edge.public_hostnames,
                origins=origins,
                primary_region=settings.primary_region,
                routes=routes,
                drained=drained,
                steering=edge.steering,
                plan=edge.cloudflare.plan,
                bot_management=edge.cloudflare.bot_management_on,
                monitor_interval=edge.cloudflare.monitor_interval_seconds,
                # the partner API: mutual TLS at the regions' gateways, never at the edge
                passthrough_hostnames=(settings.manifest.partner_api.hostname,),
            ),
            opts=pulumi.ResourceOptions(provider=cloudflare_provider()),
        )
        _pool_health_alerts(ctx, cloudflare)
        return Front(
            component=cloudflare,
            drained=drained,
            rate_limits=rate_limits,
            replacement_guard=guard({"cloudflare": cloudflare_provider_version()}),
            cloudflare_account_id=edge.cloudflare.account_id,
            origin_pools=cloudflare.pool_ids,
        )
    # CloudFront's certificates and web ACLs, Shield and Route 53 are global: us-east-1.
    provider = region_provider("us-east-1", settings)
    caller = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider))
    native = AwsEdge(
        "edge",
        AwsEdgeArgs(
            names=ctx.names,
            zone=edge.zone,
            zone_id=ctx.environment.edge_zone_id(),
            hostnames=edge.public_hostnames,
            origins=origins,
            primary_region=settings.primary_region,
            routes=routes,
            drained=drained,
            scope=AwsScope(
                account_id=caller.account_id,
                region="us-east-1",
                partition=caller.arn.split(":")[1],
            ),
            shield_advanced=edge.shield_advanced,
            # the region beside Route 53's metrics: its topic pages (stacks/edge_settings.py
            # refuses an AWS edge without that region)
            health_alarm_topic_arn=ctx.regions[HEALTH_METRICS_REGION].alert_topic_arn(
                HEALTH_ALARM_SEVERITY
            ),
            # the partner API: DNS only, to the NLBs' TCP partner listener, mutual TLS at the
            # regions' gateways
            passthrough_hostnames=(settings.manifest.partner_api.hostname,),
        ),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    _cdn_alarms(ctx, native, provider)
    return Front(
        component=native,
        drained=drained,
        rate_limits=rate_limits,
        replacement_guard=guard({"aws": metadata.version("pulumi-aws")}),
        name_servers=native.name_servers,
        distribution_domain=native.distribution_domain,
        health_checks=native.health_check_ids,
    )


def _cdn_alarms(ctx: EdgeContext, edge: AwsEdge, provider: pulumi.ProviderResource) -> None:
    """The SLO rows CloudFront judges (`cloudfrontMetric`, the CDN hit ratio): the
    distribution's additional metrics and an alarm per burn-rate tier in us-east-1, where
    CloudFront publishes them, each notifying that region's topic of its severity (the same
    topics the Prometheus rules' Alertmanager routes to)."""
    from components.observability.cdn_hit_rate import (
        METRICS_REGION,
        CdnHitRateAlarms,
        CdnHitRateAlarmsArgs,
    )
    from components.observability.slo_alerts import SEVERITIES
    from stacks.component_data import load_slos

    topics = {s: ctx.regions[METRICS_REGION].alert_topic_arn(s) for s in SEVERITIES}
    for slo in load_slos():
        if slo.cloudfront_metric is None:
            continue
        CdnHitRateAlarms(
            f"slo-{slo.name}",
            CdnHitRateAlarmsArgs(
                names=ctx.names,
                slo=slo,
                distribution_id=edge.distribution_id,
                topic_arns=topics,
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )


def _pool_health_alerts(ctx: EdgeContext, edge: CloudflareEdge) -> None:
    """Per region in rotation, an alert on its pool's health as the monitor finds it, in the
    primary region's Prometheus workspace: the Cloudflare analytics exporter runs there
    (stacks/regional/edge_metrics.py), and its Alertmanager routes the P2 alert to the P2 topic,
    whose subscriptions page. A drained region's pool is disabled on purpose and pages no one."""
    from components.observability.origin_health import OriginHealthRules, OriginHealthRulesArgs

    primary = ctx.settings.primary_region
    workspace_arn = ctx.regions[primary].prometheus_workspace_arn()
    OriginHealthRules(
        "edge-health",
        OriginHealthRulesArgs(
            # arn:<partition>:aps:<region>:<account>:workspace/<id>
            workspace_id=workspace_arn.apply(lambda arn: arn.rsplit("/", 1)[-1]),
            pools={r: edge.pool_names[r] for r in edge.regions_in_rotation},
            health_path=edge.health_path,
        ),
        opts=pulumi.ResourceOptions(provider=region_provider(primary, ctx.settings)),
    )
