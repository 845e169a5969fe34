"""A regional stack: one region's platform. Now: keys, log archive, network, account baseline."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.keyring import KeyClass, KeyRing, KeyRingArgs
from components.log_archive import LogArchive, LogArchiveArgs
from components.naming import Names
from components.network import DEFAULT_INTERFACE_ENDPOINTS, Network, NetworkArgs
from stacks import capabilities
from stacks.identity import Role
from stacks.providers import aws_provider
from stacks.references import UpstreamStack
from stacks.settings import MeridianSettings

ENDPOINT_SERVICES = {"aps-workspaces": "managed-prometheus"}
"""Interface endpoints that exist only where the service does (capability table name)."""


def interface_endpoints(region: str, opt_outs: frozenset[str]) -> list[str]:
    endpoints = list(DEFAULT_INTERFACE_ENDPOINTS)
    for endpoint, service in ENDPOINT_SERVICES.items():
        if service not in opt_outs and capabilities.offers(region, service):
            endpoints.append(endpoint)
    return endpoints


def pick_availability_zones(region: str, names: list[str], wanted: int) -> list[str]:
    if len(names) < wanted:
        raise pulumi.RunError(
            f"{region} reports {len(names)} availability zones to this account, fewer than "
            f"meridian:network.azCount = {wanted}. Fix: lower meridian:network.azCount for "
            f"{region} (at least 3) or choose another region."
        )
    return sorted(names)[:wanted]


def run(settings: MeridianSettings) -> None:
    plan = settings.region
    region = plan.region
    env = settings.environment
    names = Names(env, region)
    provider = aws_provider(region, settings)
    in_region = pulumi.ResourceOptions(provider=provider)
    invoke = pulumi.InvokeOptions(provider=provider)

    caller = aws.get_caller_identity(opts=invoke)
    account_id = caller.account_id
    partition = caller.arn.split(":")[1]
    zones = aws.get_availability_zones(
        state="available",
        filters=[{"name": "zone-type", "values": ["availability-zone"]}],
        opts=invoke,
    )
    azs = pick_availability_zones(region, list(zones.names), plan.settings.network.az_count)

    environment = UpstreamStack(env, Role.GLOBAL)
    pool_id = environment.require_item("ipamPoolIds", region)

    keys = KeyRing(
        "keys",
        KeyRingArgs(
            names=names,
            region=region,
            account_id=account_id,
            partition=partition,
            deletion_window_days=plan.settings.keys.deletion_window_days,
        ),
        opts=in_region,
    )
    logs = plan.settings.retention.logs
    archive = LogArchive(
        "log-archive",
        LogArchiveArgs(
            names=names,
            bucket_name=names.physical("logs", account_id),
            kms_key_arn=keys.arn(KeyClass.LOGS),
            account_id=account_id,
            region=region,
            partition=partition,
            hot_days=logs.hot_days,
            warm_days=logs.warm_days,
            cold_days=logs.cold_days,
        ),
        opts=in_region,
    )
    network = Network(
        "network",
        NetworkArgs(
            names=names,
            cidr=plan.vpc_cidr,
            availability_zones=azs,
            flow_log_destination_arn=archive.bucket_arn,
            ipam_pool_id=pool_id,
            interface_endpoints=interface_endpoints(region, plan.opt_outs),
            flow_log_aggregation_seconds=plan.settings.network.flow_log_aggregation_seconds,
        ),
        opts=in_region,
    )

    # Account-and-region defaults: every new EBS volume encrypted with the compute key, and
    # IMDSv2 required for every new instance, whatever launched it.
    aws.ebs.EncryptionByDefault("ebs-encryption-by-default", enabled=True, opts=in_region)
    aws.ebs.DefaultKmsKey("ebs-default-key", key_arn=keys.arn(KeyClass.COMPUTE), opts=in_region)
    aws.ec2.InstanceMetadataDefaults(
        "imdsv2-required",
        http_tokens="required",
        http_put_response_hop_limit=2,
        http_endpoint="enabled",
        instance_metadata_tags="disabled",
        opts=in_region,
    )

    pulumi.export("region", region)
    pulumi.export("accountId", account_id)
    pulumi.export("availabilityZones", azs)
    pulumi.export("vpcId", network.vpc.id)
    pulumi.export("vpcCidr", str(plan.vpc_cidr))
    pulumi.export("publicSubnetIds", network.public_subnet_ids)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
    pulumi.export("dataSubnetIds", network.data_subnet_ids)
    pulumi.export("natPublicIps", network.nat_public_ips)
    pulumi.export("endpointSecurityGroupId", network.endpoint_security_group_id)
    pulumi.export("keyArns", keys.key_arns)
    pulumi.export("logArchiveBucketArn", archive.bucket_arn)
    pulumi.export("sizing", plan.settings.sizing.model_dump(by_alias=True))
    pulumi.export("gpuEnabled", plan.gpu_enabled)
