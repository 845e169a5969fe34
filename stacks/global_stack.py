"""The global stack of an environment: what exists once per environment.

Now: the IPAM address plan (VPC and pod pools) in the primary region. It exports the environment
contract the regional and edge stacks read: regions, primary region, VPC CIDRs and IPAM pools.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.common.naming import Names
from components.foundation.ipam import Ipam, IpamArgs
from components.security import AuditTrail, AuditTrailArgs  # BASELINE
from stacks.cidr_plan import POD_SUPERNET, environment_supernet, pod_cidr
from stacks.providers import aws_provider
from stacks.settings import MeridianSettings
from stacks.topology import replica_region


def run(settings: MeridianSettings) -> None:
    env = settings.environment
    primary = settings.primary_region
    provider = aws_provider(primary, settings)
    cidrs = {region: str(plan.vpc_cidr) for region, plan in settings.regions.items()}
    pod_cidrs = {region: str(pod_cidr(region)) for region in settings.regions}  # K8S-CORE
    ipam = Ipam(
        "ipam",
        IpamArgs(
            names=Names(env),
            home_region=primary,
            supernet=str(environment_supernet(env)),
            region_cidrs=cidrs,
            pod_supernet=str(POD_SUPERNET),
            pod_cidrs=pod_cidrs,
        ),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    # The environment's audit trail, once: every region, into an Object Lock
    # (compliance) archive in the primary region, replicated to its DR peer.
    caller = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider))
    logs = settings.manifest.retention.logs
    audit = AuditTrail(
        "audit",
        AuditTrailArgs(
            names=Names(env),
            home_region=primary,
            account_id=caller.account_id,
            partition=caller.arn.split(":")[1],
            lake_bucket_prefixes=[f"{Names(env, r).physical('lake')}-" for r in settings.regions],
            hot_days=logs.hot_days,
            warm_days=logs.warm_days,
            cold_days=logs.cold_days,
            replica_region=replica_region(
                settings.manifest.regions,
                settings.manifest.replication,
                primary,
                settings.manifest.data_classification,
            ),
            deletion_window_days=settings.manifest.keys.deletion_window_days,
        ),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    pulumi.export("environment", env)
    pulumi.export("primaryRegion", primary)
    pulumi.export("regions", list(settings.manifest.regions))
    pulumi.export("vpcCidrs", cidrs)
    pulumi.export("ipamId", ipam.ipam_id)
    pulumi.export("ipamPoolIds", ipam.pool_ids)
    pulumi.export("podCidrs", pod_cidrs)
    pulumi.export("podIpamPoolIds", ipam.pod_pool_ids)
    pulumi.export("tags", settings.tags())
    pulumi.export("auditTrailArn", audit.trail.arn)  # BASELINE
    pulumi.export("auditBucketArn", audit.archive.bucket_arn)
