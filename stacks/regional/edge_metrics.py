"""The edge's metrics in the regional stacks: with a Cloudflare edge, the primary region runs the
Cloudflare analytics exporter (components/observability/edge_metrics.py) that the CDN SLO reads.

One region only: Cloudflare's analytics are the zone's, so a second exporter would write every
sample to a second workspace and the SLO would be judged (and page) once per region. The primary
because it always exists and is where the environment's edge-wide views already live (its
workspace is the Grafana's default data source). The token is created here, by the primary
regional stack, with the Cloudflare credentials it already holds for the origin certificate
(`cloudflare:apiToken`, stacks/ingress_routes.py): the edge stack is planned after the regional
stacks (it reads their outputs), so a token it created could not reach this exporter without a
cycle.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare

from components.observability.edge_metrics import (
    ACCOUNT_PERMISSIONS,
    ACCOUNT_SCOPE,
    ZONE_PERMISSIONS,
    ZONE_SCOPE,
    CloudflareAnalytics,
    CloudflareAnalyticsArgs,
)
from stacks.edge_settings import TOKEN_KEY
from stacks.regional.context import RegionContext
from stacks.regional.kubernetes import Kubernetes
from stacks.versions import HELM_CHARTS


def permission_group_id(
    name: str, scope: str, provider: pulumi.ProviderResource
) -> pulumi.Output[str]:
    """The id of Cloudflare's permission group `name` of `scope`; refused unless exactly one."""
    found = cloudflare.get_api_token_permission_groups_list_output(
        name=name, scope=scope, opts=pulumi.InvokeOptions(provider=provider)
    )

    def one(results: list[Any]) -> str:  # GetApiTokenPermissionGroupsListResultResult rows
        ids = [str(r.id) for r in results if r.name == name and scope in list(r.scopes)]
        if len(ids) != 1:
            raise pulumi.RunError(
                f"Cloudflare answers {len(ids)} permission groups named {name!r} of scope "
                f"{scope}, not 1; check the token permission list"
            )
        return ids[0]

    return found.results.apply(one)


def build(ctx: RegionContext, kube: Kubernetes) -> CloudflareAnalytics | None:
    """The exporter in the primary region of an environment with a Cloudflare edge, else None."""
    ids = ctx.settings.edge_cloudflare
    if not ctx.is_primary or ctx.settings.edge_provider != "cloudflare" or ids is None:
        return None
    account_id, zone_id = ids
    namespace, key = TOKEN_KEY.split(":")
    provider = cloudflare.Provider(
        f"cloudflare-analytics-{ctx.region}", api_token=pulumi.Config(namespace).get_secret(key)
    )
    return CloudflareAnalytics(
        "edge-metrics",
        CloudflareAnalyticsArgs(
            cluster=kube.cluster,
            names=ctx.names,
            account_id=account_id,
            zone_id=zone_id,
            permission_group_ids=[
                permission_group_id(n, ZONE_SCOPE, provider) for n in ZONE_PERMISSIONS
            ],
            account_permission_group_ids=[
                permission_group_id(n, ACCOUNT_SCOPE, provider) for n in ACCOUNT_PERMISSIONS
            ],
            cloudflare_provider=provider,
            chart=HELM_CHARTS["cloudflare-exporter"],
            namespace=kube.telemetry.namespace,
            after=kube.ready,
        ),
        opts=ctx.opts,
    )
