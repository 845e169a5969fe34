"""The environment's one Managed Grafana, in the primary region if AWS offers it there (else the
first region that does), reading every region's Prometheus workspace. In the edge stack because
it runs last and reads every region's outputs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.scope import AwsScope
from components.observability.grafana import ManagedGrafana, ManagedGrafanaArgs, grafana_region
from stacks import capabilities
from stacks.component_data import load_dashboards, load_slos
from stacks.edge.context import EdgeContext
from stacks.edge.providers import region_provider


@dataclass(frozen=True)
class Grafana:
    region: str
    grafana: ManagedGrafana


def build(ctx: EdgeContext) -> Grafana:
    settings = ctx.settings
    names = list(settings.manifest.regions)
    chosen = settings.manifest.baseline.grafana_region  # validated by stacks/baseline_settings.py
    try:
        home = chosen or grafana_region(
            names, {r: capabilities.offers(r, "managed-grafana") for r in names}
        )
    except ValueError as problem:
        raise pulumi.RunError(str(problem)) from None
    provider = region_provider(home, settings)  # shared with the AWS edge (us-east-1)
    caller = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider))
    grafana = ManagedGrafana(
        "grafana",
        ManagedGrafanaArgs(
            names=ctx.names,
            scope=AwsScope(
                account_id=caller.account_id, region=home, partition=caller.arn.split(":")[1]
            ),
            prometheus={
                region: (ref.prometheus_workspace_arn(), ref.prometheus_endpoint())
                for region, ref in ctx.regions.items()
            },
            # the burn-rate panels show the SLOs the environment's regions evaluate
            dashboards=load_dashboards(
                tuple(s for s in load_slos() if s.applies(True, ctx.edge.provider))
            ),
        ),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    return Grafana(home, grafana)
