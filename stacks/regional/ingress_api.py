"""The ingress API layer of a region: the GraphQL federation router behind `/graphql` and the
partner API's mutual-TLS entry (its Gateway, trusting the environment's one partner CA, and a
server certificate that CA issued) and the client-credentials tokens its routes need."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_tls as tls

from components.graphql import GraphqlRouter, GraphqlRouterArgs
from components.identity import CLAIM_HEADERS
from components.mesh.service_mesh import EDGE_GATEWAY_REF, GATEWAY_PRINCIPAL, INGRESS_NAMESPACE
from components.partner import PartnerAccess, PartnerAccessArgs, PartnerTokens, PartnerTokensArgs
from stacks.identity_settings import clients_document
from stacks.ingress_auth import GATEWAY_LABELS
from stacks.ingress_routes import graphql_route
from stacks.partner_api import partner_routes, subgraphs
from stacks.providers import aws_provider
from stacks.rate_limit_settings import rate_limit_table
from stacks.regional.context import RegionContext
from stacks.regional.kubernetes import Kubernetes
from stacks.versions import HELM_CHARTS


@dataclass(frozen=True)
class IngressApi:
    router: GraphqlRouter | None
    partner: PartnerAccess
    partner_tokens: PartnerTokens | None


def build(ctx: RegionContext, kubernetes: Kubernetes) -> IngressApi:
    settings = ctx.plan.settings
    # the partner CA lives in the primary region (the global stack's); issue from it there
    primary = ctx.settings.primary_region
    ca_provider = ctx.provider if ctx.region == primary else aws_provider(primary, ctx.settings)
    partner = PartnerAccess(
        "partner",
        PartnerAccessArgs(
            names=ctx.names,
            scope=ctx.scope,
            hostname=settings.partner_api.hostname,
            ca_arn=ctx.environment.partner_ca_arn(),
            ca_certificate_pem=ctx.environment.partner_ca_certificate(),
            ca_provider=ca_provider,
            # the CA's key algorithm is the environment's (the global stack file's)
            key_algorithm=ctx.settings.manifest.partner_api.client_ca_key_algorithm,
            cluster_provider=kubernetes.cluster.provider,
            tls_provider=tls.Provider(f"tls-partner-{ctx.region}"),
            identity_header=rate_limit_table().partner_header,
            gateway_labels=GATEWAY_LABELS,
            after=kubernetes.mesh.ready,
        ),
        opts=ctx.opts,
    )
    row = graphql_route()
    router = None
    if row is not None:
        graphql = settings.graphql
        router = GraphqlRouter(
            "graphql",
            GraphqlRouterArgs(
                cluster_provider=kubernetes.cluster.provider,
                chart=HELM_CHARTS["apollo-router"],
                graph_ref=graphql.graph_ref,
                api_key_secret=graphql.api_key_secret,
                subgraphs=subgraphs(),
                introspection=graphql.introspection,
                max_depth=graphql.max_depth,
                max_cost=graphql.max_cost,
                list_size=graphql.list_size,
                timeout_ms=row["timeoutMs"],
                edge_gateway=EDGE_GATEWAY_REF,
                gateway_principal=GATEWAY_PRINCIPAL,
                identity_headers=tuple(CLAIM_HEADERS.values()),
                extra_gateways=(partner.gateway_ref,),
                min_replicas=graphql.min_replicas,
                max_replicas=graphql.max_replicas,
                after=[*kubernetes.ready, *kubernetes.tenants.namespaces.values()],
            ),
            opts=ctx.opts,
        )
    routes = partner_routes()
    tokens = None
    if routes:
        tokens = PartnerTokens(
            "partner-tokens",
            PartnerTokensArgs(
                provider=kubernetes.cluster.provider,
                namespace=INGRESS_NAMESPACE,
                gateway_labels=GATEWAY_LABELS,
                hostname=settings.partner_api.hostname,
                resource_server=clients_document()["resourceServer"],
                routes=routes,
                after=kubernetes.mesh.ready,
            ),
            opts=ctx.opts,
        )
    return IngressApi(router, partner, tokens)
