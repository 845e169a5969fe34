"""The foundation layer of a region: its KMS keys, log archive, network and the account-and-region
defaults (EBS encryption, IMDSv2) every later layer builds on."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_aws as aws

from components.foundation.keyring import KeyClass, KeyRing, KeyRingArgs
from components.foundation.log_archive import LogArchive, LogArchiveArgs
from components.foundation.network import DEFAULT_INTERFACE_ENDPOINTS, Network, NetworkArgs
from components.observability.agents import cloudwatch_retention_days
from stacks import capabilities
from stacks.regional.context import RegionContext

ENDPOINT_SERVICES = {"aps-workspaces": "managed-prometheus"}
"""Interface endpoints that exist only where the service does (capability table name)."""


def interface_endpoints(region: str, opt_outs: frozenset[str], keyspaces: bool) -> list[str]:
    """The region's interface endpoints; `keyspaces`: this region's Cassandra is Amazon Keyspaces
    (its CQL port 9142 is reached privately through `com.amazonaws.<region>.cassandra`; where
    K8ssandra replaces it, Cassandra runs in the cluster and needs no endpoint)."""
    endpoints = list(DEFAULT_INTERFACE_ENDPOINTS)
    for endpoint, service in ENDPOINT_SERVICES.items():
        if service not in opt_outs and capabilities.offers(region, service):
            endpoints.append(endpoint)
    if keyspaces and capabilities.offers(region, "keyspaces"):
        endpoints.append("cassandra")
    return endpoints


@dataclass(frozen=True)
class Foundation:
    """The foundation layer's result. `log_retention_days`: CloudWatch retention of the region's
    service logs (the archive's hot tier, rounded to a value CloudWatch accepts)."""

    keys: KeyRing
    archive: LogArchive
    network: Network
    log_retention_days: int
    deletion_window_days: int


def build(ctx: RegionContext) -> Foundation:
    plan = ctx.plan
    names = ctx.names
    deletion_window = plan.settings.keys.deletion_window_days
    keys = KeyRing(
        "keys",
        KeyRingArgs(
            names=names,
            scope=ctx.scope,
            deletion_window_days=deletion_window,
        ),
        opts=ctx.opts,
    )
    logs = plan.settings.retention.logs
    archive = LogArchive(
        "log-archive",
        LogArchiveArgs(
            names=names,
            bucket_name=names.physical("logs", ctx.account_id),
            kms_key_arn=keys.arn(KeyClass.LOGS),
            scope=ctx.scope,
            hot_days=logs.hot_days,
            warm_days=logs.warm_days,
            cold_days=logs.cold_days,
            # audit and flow-log data replicated to the region's DR peer (stacks/topology.py)
            replica_region=ctx.replica_region,
            key_deletion_window_days=deletion_window,
        ),
        opts=ctx.opts,
    )
    network = Network(
        "network",
        NetworkArgs(
            names=names,
            cidr=plan.vpc_cidr,
            availability_zones=ctx.azs,
            flow_log_destination_arn=archive.bucket_arn,
            ipam_pool_id=ctx.environment.ipam_pool_id(ctx.region),
            interface_endpoints=interface_endpoints(
                ctx.region,
                plan.opt_outs,
                keyspaces=ctx.stores.cassandra_engines[ctx.region] == "keyspaces",
            ),
            flow_log_aggregation_seconds=plan.settings.network.flow_log_aggregation_seconds,
            pod_cidr=ctx.pod_cidr,
            pod_ipam_pool_id=ctx.environment.pod_ipam_pool_id(ctx.region),
        ),
        opts=ctx.opts,
    )

    # Account-and-region defaults: every new EBS volume encrypted with the compute key, and
    # IMDSv2 required for every new instance, whatever launched it.
    aws.ebs.EncryptionByDefault("ebs-encryption-by-default", enabled=True, opts=ctx.opts)
    aws.ebs.DefaultKmsKey("ebs-default-key", key_arn=keys.arn(KeyClass.COMPUTE), opts=ctx.opts)
    aws.ec2.InstanceMetadataDefaults(
        "imdsv2-required",
        http_tokens="required",
        http_put_response_hop_limit=2,
        http_endpoint="enabled",
        instance_metadata_tags="disabled",
        opts=ctx.opts,
    )
    return Foundation(
        keys=keys,
        archive=archive,
        network=network,
        log_retention_days=cloudwatch_retention_days(logs.hot_days),
        deletion_window_days=deletion_window,
    )
