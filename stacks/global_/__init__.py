"""The global stack of an environment: what exists once per environment.

Five layers: the address plan (the IPAM VPC and pod pools, in the primary region), the
environment's audit trail, its user directory (Cognito: the token issuer of every region), the
partner API's one private CA (partner_ca.py) and, with the AWS edge, the edge's public Route 53
zone (edge_zone.py).
It exports the environment contract (stacks/outputs.py `GlobalOutputs`) the regional and edge
stacks read: regions, primary region, VPC CIDRs, IPAM pools, and the token issuer and its JWKS
URI, the API keys' client ids, and the partner CA's ARN, region and certificate.
"""

from __future__ import annotations

from stacks.global_ import addresses, audit, edge_zone, identity, partner_ca
from stacks.global_.context import global_context
from stacks.identity_settings import confidential_clients
from stacks.outputs import GlobalOutputs
from stacks.settings import MeridianSettings


def run(settings: MeridianSettings) -> None:
    ctx = global_context(settings)
    plan = addresses.build(ctx)
    trail = audit.build(ctx)
    directory = identity.build(ctx)
    partners = partner_ca.build(ctx)
    zone = edge_zone.build(ctx)
    GlobalOutputs(
        environment=ctx.env,
        primary_region=ctx.primary,
        regions=list(settings.manifest.regions),
        vpc_cidrs=plan.vpc_cidrs,
        ipam_id=plan.ipam.ipam_id,
        ipam_pool_ids=plan.ipam.pool_ids,
        pod_cidrs=plan.pod_cidrs,
        pod_ipam_pool_ids=plan.ipam.pod_pool_ids,
        tags=settings.tags(),
        audit_trail_arn=trail.trail.arn,
        audit_bucket_arn=trail.archive.bucket_arn,
        issuer_url=directory.issuer_url,
        jwks_uri=directory.jwks_uri,
        api_key_client_ids={c: directory.clients[c].id for c in confidential_clients()},
        partner_ca_arn=partners.arn,
        partner_ca_region=ctx.primary,
        partner_ca_certificate=partners.certificate_pem,
        edge_zone_id=zone.zone_id if zone else None,
        edge_name_servers=zone.name_servers if zone else None,
    ).export()
