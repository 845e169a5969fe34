"""The edge stack: reads every regional stack, publishes the origin table of the environment
(per-region VPC and egress addresses) and builds the edge in front of the regions' ingress:
Cloudflare (`meridian:edge.provider: cloudflare`, the default) or AWS-native (`aws`).

Each region's origin is the ingress NLB hostname its stack exports (`ingressHostname`). Draining a
region (`meridian:edge.drainedRegions`) is a config change: its pool is disabled / its latency
record removed, nothing else moves.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.common.naming import Names
from components.edge.geography import RegionOrigin
from components.edge.routes import rate_limited
from stacks.edge_settings import TOKEN_KEY, EdgeSettings, edge_routes
from stacks.identity import Role
from stacks.providers import aws_provider
from stacks.references import UpstreamStack
from stacks.settings import MeridianSettings

if TYPE_CHECKING:
    import pulumi_cloudflare as cloudflare

    from components.edge.aws_edge import AwsEdge
    from components.edge.cloudflare_edge import CloudflareEdge

# pulumi-cloudflare imports its whole SDK (seconds): only the edge stack imports it, when it runs.

CLOUDFLARE_PROVIDER_MAJOR = 6
"""The pulumi-cloudflare major version the edge is written for (requirements.txt pins 6.23.1).
A new major renames resources and upgrades state in ways that replace rulesets, pools and load
balancers: moving to it is a reviewed migration, never a side effect of `pip install`."""

REPLACEMENT_SENSITIVE: dict[str, tuple[str, ...]] = {
    # type -> its create-only inputs: a change to one is applied by delete + create
    # (pulumi-cloudflare 6: RequiresReplace; pulumi-aws 7: ForceNew)
    "cloudflare:index/ruleset:Ruleset": ("zoneId", "accountId", "kind", "phase"),
    "cloudflare:index/zoneSetting:ZoneSetting": ("zoneId", "settingId"),
    "cloudflare:index/loadBalancer:LoadBalancer": ("zoneId",),
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": ("accountId",),
    "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor": ("accountId",),
    "cloudflare:index/dnsRecord:DnsRecord": ("zoneId",),
    "aws:cloudfront/distribution:Distribution": (),
    "aws:wafv2/webAcl:WebAcl": ("name", "scope"),
    "aws:route53/zone:Zone": ("name",),
    "aws:route53/record:Record": ("zoneId", "name", "type", "setIdentifier"),
    "aws:acm/certificate:Certificate": (
        "domainName",
        "subjectAlternativeNames",
        "keyAlgorithm",
        "validationMethod",
    ),
}
"""Edge resources whose replacement is an outage (traffic unprotected, unrouted or unresolvable
between delete and create): a plan that replaces one must show it as a warning."""


def cloudflare_provider_version() -> str:
    """The installed pulumi-cloudflare, refused unless it is the major the edge is written for."""
    version = metadata.version("pulumi-cloudflare")
    major = int(version.split(".", 1)[0])
    if major != CLOUDFLARE_PROVIDER_MAJOR:
        raise pulumi.RunError(
            f"pulumi-cloudflare {version} is installed, but the edge is written for major "
            f"{CLOUDFLARE_PROVIDER_MAJOR}: a major upgrade renames resources and replaces "
            "rulesets, pools and load balancers. Fix: reinstall the pinned version "
            "(pip install -r requirements.txt), or migrate deliberately (upgrade guide, `pulumi "
            "preview` showing no replacement) and raise CLOUDFLARE_PROVIDER_MAJOR in "
            "stacks/edge_stack.py."
        )
    return version


def cloudflare_provider() -> cloudflare.Provider:
    """The explicit Cloudflare provider: token from the secret `cloudflare:apiToken`, else the
    provider reads CLOUDFLARE_API_TOKEN from the environment (plain-text tokens never pass the
    settings check)."""
    import pulumi_cloudflare as cloudflare

    namespace, key = TOKEN_KEY.split(":")
    token = pulumi.Config(namespace).get_secret(key)
    return cloudflare.Provider(
        "cloudflare",
        api_token=token,
        opts=pulumi.ResourceOptions(version=cloudflare_provider_version()),
    )


_AWS_PROVIDERS: dict[str, aws.Provider] = {}
"""This run's AWS providers by region: the edge and Grafana may share a region, and two providers
named `aws-<region>` would be one URN twice, which the engine refuses."""


def region_provider(region: str, settings: MeridianSettings) -> aws.Provider:
    """The stack's one explicit AWS provider for `region` (created on first use)."""
    if region not in _AWS_PROVIDERS:
        _AWS_PROVIDERS[region] = aws_provider(region, settings)
    return _AWS_PROVIDERS[region]


def run(settings: MeridianSettings) -> None:
    _AWS_PROVIDERS.clear()  # providers belong to one program run
    env = settings.environment
    environment = UpstreamStack(env, Role.GLOBAL)
    regions = {r: UpstreamStack(env, Role.REGIONAL, r) for r in settings.manifest.regions}
    pulumi.export("primaryRegion", environment.require("primaryRegion"))
    pulumi.export(
        "origins",
        {
            region: {
                "vpcId": ref.require("vpcId"),
                "egressIps": ref.require("natPublicIps"),
                "ingressHostname": ref.require("ingressHostname"),
            }
            for region, ref in regions.items()
        },
    )
    pulumi.export(
        "egressIps",
        pulumi.Output.all(*[ref.require("natPublicIps") for ref in regions.values()]).apply(
            lambda lists: sorted(ip for ips in lists for ip in ips)
        ),
    )

    edge = settings.edge
    if edge is None:  # load_settings always sets it for the edge role
        raise pulumi.RunError(f"stack {settings.identity.name} has no edge settings")
    origins = [RegionOrigin(r, ref.require("ingressHostname")) for r, ref in regions.items()]
    build_edge(settings, edge, origins)
    build_grafana(settings, regions)  # BASELINE


def build_grafana(settings: MeridianSettings, regions: dict[str, UpstreamStack]) -> None:
    """BASELINE (issue 14): the environment's one Managed Grafana, in the primary region if AWS
    offers it there (else the first region that does), reading every region's Prometheus
    workspace. Here because this stack runs last and reads every region's outputs."""
    from components.observability.grafana import ManagedGrafana, ManagedGrafanaArgs, grafana_region
    from stacks import capabilities

    names = list(settings.manifest.regions)
    chosen = settings.manifest.baseline.grafana_region  # validated by stacks/baseline_settings.py
    try:
        home = chosen or grafana_region(
            names, {r: capabilities.offers(r, "managed-grafana") for r in names}
        )
    except ValueError as problem:
        raise pulumi.RunError(str(problem)) from None
    provider = region_provider(home, settings)  # EDGE: shared with the AWS edge (us-east-1)
    caller = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider))
    grafana = ManagedGrafana(
        "grafana",
        ManagedGrafanaArgs(
            names=Names(settings.environment),
            region=home,
            account_id=caller.account_id,
            partition=caller.arn.split(":")[1],
            prometheus={
                region: (ref.require("prometheusWorkspaceArn"), ref.require("prometheusEndpoint"))
                for region, ref in regions.items()
            },
        ),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    pulumi.export("grafanaRegion", home)
    pulumi.export("grafanaEndpoint", grafana.workspace.endpoint)


def build_edge(
    settings: MeridianSettings, edge: EdgeSettings, origins: list[RegionOrigin]
) -> CloudflareEdge | AwsEdge:
    """The edge component the settings choose, with its explicit provider, and its exports."""
    from components.edge.aws_edge import AwsEdge, AwsEdgeArgs
    from components.edge.cloudflare_edge import CloudflareEdge, CloudflareEdgeArgs

    names = Names(settings.environment)
    routes = edge_routes(edge)
    drained = frozenset(edge.drained_regions)
    component: CloudflareEdge | AwsEdge
    if edge.provider == "cloudflare":
        assert edge.cloudflare is not None  # load_edge_settings requires it
        component = CloudflareEdge(
            "edge",
            CloudflareEdgeArgs(
                names=names,
                account_id=edge.cloudflare.account_id,
                zone_id=edge.cloudflare.zone_id,
                zone=edge.zone,
                hostnames=edge.public_hostnames,
                origins=origins,
                primary_region=settings.primary_region,
                routes=routes,
                drained=drained,
                steering=edge.steering,
                plan=edge.cloudflare.plan,
                bot_management=edge.cloudflare.bot_management_on,
                monitor_interval=edge.cloudflare.monitor_interval_seconds,
            ),
            opts=pulumi.ResourceOptions(provider=cloudflare_provider()),
        )
        provider_versions = {"cloudflare": cloudflare_provider_version()}
        # What the failover runbook (meridian_ops/failover.py) disables to drain a region.
        pulumi.export("cloudflareAccountId", edge.cloudflare.account_id)
        pulumi.export("originPools", component.pool_ids)
    else:
        # CloudFront's certificates and web ACLs, Shield and Route 53 are global: us-east-1.
        component = AwsEdge(
            "edge",
            AwsEdgeArgs(
                names=names,
                zone=edge.zone,
                hostnames=edge.public_hostnames,
                origins=origins,
                primary_region=settings.primary_region,
                routes=routes,
                drained=drained,
                shield_advanced=edge.shield_advanced,
            ),
            opts=pulumi.ResourceOptions(provider=region_provider("us-east-1", settings)),
        )
        provider_versions = {"aws": metadata.version("pulumi-aws")}
        pulumi.export("nameServers", component.name_servers)
        pulumi.export("distributionDomain", component.distribution_domain)
        # What the failover runbook (meridian_ops/failover.py) inverts to drain a region.
        pulumi.export("healthChecks", component.health_check_ids)

    pulumi.export("edgeProvider", edge.provider)
    pulumi.export("publicHostnames", component.hostnames)
    pulumi.export("regionsInRotation", component.regions_in_rotation)
    pulumi.export("drainedRegions", sorted(drained))
    pulumi.export(
        "rateLimits",
        {r.id: r.rate_limit_per_minute for r in rate_limited(list(routes))},
    )
    # What a reviewer's plan report needs to flag an edge replacement (docs: meridian_ops/plan):
    # the pinned provider versions and the resource types whose replacement is an outage.
    pulumi.export(
        "edgeReplacementGuard",
        {
            "providerVersions": provider_versions,
            "cloudflareProviderMajor": CLOUDFLARE_PROVIDER_MAJOR,
            "sensitiveTypes": {t: list(f) for t, f in REPLACEMENT_SENSITIVE.items()},
        },
    )
    return component
