"""The edge stack's providers: the explicit Cloudflare provider, pinned to the major version the
edge is written for, and one explicit AWS provider per region the stack uses. Also what a plan
report needs to flag an edge replacement (`REPLACEMENT_SENSITIVE`)."""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from stacks.edge_settings import TOKEN_KEY
from stacks.providers import aws_provider
from stacks.settings import MeridianSettings

if TYPE_CHECKING:
    import pulumi_cloudflare as cloudflare

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
            "stacks/edge/providers.py."
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


def reset_providers() -> None:
    """Forget the providers of a previous program run (the engine runs several in one process)."""
    _AWS_PROVIDERS.clear()


def region_provider(region: str, settings: MeridianSettings) -> aws.Provider:
    """The stack's one explicit AWS provider for `region` (created on first use)."""
    if region not in _AWS_PROVIDERS:
        _AWS_PROVIDERS[region] = aws_provider(region, settings)
    return _AWS_PROVIDERS[region]
