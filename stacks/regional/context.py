"""What every layer of a regional stack shares: the settings, where the stack deploys (region,
account, partition, zones), its explicit provider and the upstream stacks it reads."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from components.common.naming import Names
from components.common.scope import AwsScope
from stacks.cidr_plan import pod_cidr
from stacks.data_layer import data_topology
from stacks.data_settings import DataTopology
from stacks.identity import Role
from stacks.outputs import GlobalOutputs, GlobalReader, RegionalOutputs, RegionalReader
from stacks.providers import aws_provider
from stacks.references import UpstreamStack
from stacks.settings import MeridianSettings, RegionPlan
from stacks.topology import replica_region


def pick_availability_zones(region: str, names: list[str], wanted: int) -> list[str]:
    """The first `wanted` zones by name; refuses a region with fewer."""
    if len(names) < wanted:
        raise pulumi.RunError(
            f"{region} reports {len(names)} availability zones to this account, fewer than "
            f"meridian:network.azCount = {wanted}. Fix: lower meridian:network.azCount for "
            f"{region} (at least 3) or choose another region."
        )
    return sorted(names)[:wanted]


@dataclass(frozen=True)
class RegionContext:
    """One regional stack's deployment context, built once by `region_context` and passed to
    every layer.

    `opts` / `invoke` name the region's explicit provider; `scope` is the account, partition and
    region the stack's resources live in; `zone_ids` maps every available zone name to its id;
    `stores` is where each data store of the environment lives; `replica_region` is this
    region's DR peer (stacks/topology.py), None without one; `primary` reads the primary
    region's stack (None in the primary itself)."""

    settings: MeridianSettings
    names: Names
    provider: aws.Provider
    opts: pulumi.ResourceOptions
    invoke: pulumi.InvokeOptions
    scope: AwsScope
    caller_arn: str
    azs: list[str]
    zone_ids: dict[str, str]
    pod_cidr: IPv4Network
    stores: DataTopology
    replica_region: str | None
    environment: GlobalReader
    primary: RegionalReader | None

    @property
    def plan(self) -> RegionPlan:
        return self.settings.region

    @property
    def region(self) -> str:
        return self.scope.region

    @property
    def env(self) -> str:
        return self.settings.environment

    @property
    def account_id(self) -> str:
        return self.scope.account_id

    @property
    def partition(self) -> str:
        return self.scope.partition

    @property
    def is_primary(self) -> bool:
        """This region is the environment's primary (`settings.primary_region`)."""
        return self.region == self.settings.primary_region


def region_context(settings: MeridianSettings) -> RegionContext:
    """The context of the stack `settings` describe: provider, caller, zones, upstream stacks."""
    plan = settings.region
    region = plan.region
    env = settings.environment
    provider = aws_provider(region, settings)
    invoke = pulumi.InvokeOptions(provider=provider)
    caller = aws.get_caller_identity(opts=invoke)
    zones = aws.get_availability_zones(
        state="available",
        filters=[{"name": "zone-type", "values": ["availability-zone"]}],
        opts=invoke,
    )
    stores = data_topology(settings)
    manifest = settings.manifest
    return RegionContext(
        settings=settings,
        names=Names(env, region),
        provider=provider,
        opts=pulumi.ResourceOptions(provider=provider),
        invoke=invoke,
        scope=AwsScope(
            account_id=caller.account_id, region=region, partition=caller.arn.split(":")[1]
        ),
        caller_arn=caller.arn,
        azs=pick_availability_zones(region, list(zones.names), plan.settings.network.az_count),
        zone_ids=dict(zip(zones.names, zones.zone_ids, strict=True)),
        pod_cidr=pod_cidr(region),
        stores=stores,
        replica_region=replica_region(
            manifest.regions, manifest.replication, region, manifest.data_classification
        ),
        environment=GlobalOutputs.read(UpstreamStack(env, Role.GLOBAL)),
        primary=(
            None
            if region == stores.primary
            else RegionalOutputs.read(UpstreamStack(env, Role.REGIONAL, stores.primary))
        ),
    )
