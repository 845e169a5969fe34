"""The ingress's global rate limiting in a region: envoyproxy/ratelimit with its own Valkey
counters, attached to the edge Gateway and, for the partner tiers, the partner Gateway
(components/mesh/rate_limit.py), with every limit taken from the rate-limit table and the routing
table (stacks/rate_limit_settings.py). The per-API-key limits hold for the confidential app
clients, whose Cognito client ids the global stack exports (stacks/outputs.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.foundation.keyring import KeyClass
from components.mesh.rate_limit import Descriptor, GlobalRateLimit, GlobalRateLimitArgs, Tier
from components.mesh.service_mesh import EDGE_GATEWAY_REF
from components.partner.partner_access import GATEWAY_REF as PARTNER_GATEWAY_REF
from stacks.ingress_routes import graphql_route, mesh_routes
from stacks.partner_api import partner_routes
from stacks.rate_limit_settings import RateLimitTable, rate_limit_table
from stacks.regional.context import RegionContext
from stacks.regional.foundation import Foundation
from stacks.regional.kubernetes import Kubernetes
from stacks.versions import CACHE_ENGINE_VERSIONS, RATE_LIMIT_IMAGE


@dataclass(frozen=True)
class RateLimiting:
    service: GlobalRateLimit


def descriptors(
    table: RateLimitTable, served: set[str], client_ids: Mapping[str, pulumi.Input[str]]
) -> tuple[Descriptor, ...]:
    """The table's limits on routes the edge Gateway serves (a route whose backend is pending
    has no Envoy route to attach to); a dimension limited per client lists the clients' ids
    (`client_ids`: row id of identity_clients.json -> its Cognito client id)."""
    found: list[Descriptor] = []
    for limit in table.route_limits:
        if limit.route not in served:
            continue
        clients = table.dimension_clients.get(limit.dimension)
        found.append(
            Descriptor(
                limit.route,
                limit.dimension,
                table.dimensions[limit.dimension],
                limit.requests_per_minute,
                values=None if clients is None else tuple(client_ids[c] for c in clients),
            )
        )
    return tuple(found)


def partner_route_names() -> tuple[str, ...]:
    """The partner Gateway's route names (the VirtualService http routes bound to it)."""
    return tuple(route.id for route in partner_routes())


def build(ctx: RegionContext, foundation: Foundation, kubernetes: Kubernetes) -> RateLimiting:
    settings = ctx.plan.settings.rate_limit
    table = rate_limit_table()
    served = {route.id for route in mesh_routes()}
    graphql = graphql_route()
    if graphql is not None:
        served.add(graphql["id"])  # the router's VirtualService route has the row's id
    network = foundation.network
    clients = {c for ids in table.dimension_clients.values() for c in ids}
    client_ids = {c: ctx.environment.api_key_client_id(c) for c in sorted(clients)}
    service = GlobalRateLimit(
        "rate-limit",
        GlobalRateLimitArgs(
            names=ctx.names,
            scope=ctx.scope,
            kube=kubernetes.cluster.provider,
            random_provider=random.Provider(f"random-{ctx.region}"),
            vpc_id=network.vpc.id,
            vpc_cidr=str(ctx.plan.vpc_cidr),
            subnet_ids=network.data_subnet_ids,
            clients=[kubernetes.client_security_group_id],
            store_kms_key_arn=foundation.keys.arn(KeyClass.DATABASES),
            image=RATE_LIMIT_IMAGE,
            domain=table.domain,
            limits=descriptors(table, served, client_ids),
            routes=sorted(served),
            replicas=settings.service_replicas,
            rpc_timeout_ms=settings.rpc_timeout_ms,
            local_requests_per_second=settings.local_requests_per_second,
            local_burst=settings.local_requests_per_second * table.local_burst_factor,
            store_node_type=settings.store_node_type,
            store_replicas=settings.store_replicas,
            store_engine_version=CACHE_ENGINE_VERSIONS["valkey"],
            tiers=tuple(Tier(str(t.tier), t.requests_per_minute) for t in table.tier_limits),
            partner_header=table.partner_header,
            partner_uri_prefix=table.partner_uri_prefix,
            partner_gateway=PARTNER_GATEWAY_REF,
            partner_routes=partner_route_names(),
            edge_gateway=EDGE_GATEWAY_REF,
            after=kubernetes.ready,
        ),
        opts=ctx.opts,
    )
    return RateLimiting(service)
