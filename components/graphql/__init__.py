"""The GraphQL federation router behind `/graphql` (components/graphql/router.py)."""

from components.graphql.router import GraphqlRouter, GraphqlRouterArgs, Subgraph

__all__ = ["GraphqlRouter", "GraphqlRouterArgs", "Subgraph"]
