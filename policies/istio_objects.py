"""What the Istio policies of the pack share: reading a stack's Istio objects only once every
field they decide on is known, their namespace, and the public-paths setting of the policies
that judge a token-protected Gateway."""

from __future__ import annotations

import copy
from typing import Any

from pulumi_policy import PolicyConfigSchema, PolicyResource, StackValidationArgs

from .support import as_list, get, is_unknown, plain

HEADER_MUTATION_TYPE = (
    "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation"
)
JWT_FILTER = "envoy.filters.http.jwt_authn"
DEFAULT_PUBLIC_PATHS = ["/health", "/metrics"]
PUBLIC_PATHS_SCHEMA = PolicyConfigSchema(
    properties={
        "publicPaths": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_PUBLIC_PATHS,
        }
    }
)
"""The paths a token-protected Gateway serves without a token (exact paths)."""


def has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return is_unknown(value)


def namespace_of(props: dict[str, Any]) -> Any:
    return (props.get("metadata") or {}).get("namespace")


def decided_objects(
    args: StackValidationArgs, kinds: tuple[str, ...]
) -> list[tuple[PolicyResource, dict[str, Any]]] | None:
    """The stack's objects of `kinds` with their plain properties, or None while any of their
    metadata or spec is unknown (a preview). A JWT rule's issuer and keys may stay unknown: they
    come from the identity stack and decide nothing these policies check."""
    objects = [(r, plain(r.props)) for r in args.resources if r.resource_type in kinds]
    structure = copy.deepcopy([{k: p.get(k) for k in ("metadata", "spec")} for _, p in objects])
    for shape in structure:
        for rule in get(shape, "spec", "jwtRules", default=[]) or []:
            if isinstance(rule, dict):
                for key in ("issuer", "jwksUri"):
                    rule.pop(key, None)
    return None if has_unknown(structure) else objects


def headers_removed_early(props: Any, before: str | None = None) -> set[str]:
    """The request headers an EnvoyFilter removes with a header-mutation filter at the head of a
    gateway's HTTP chain (INSERT_FIRST, or INSERT_BEFORE the filter named `before`): any value
    they hold further on was written by the gateway (a JWT claim, the peer certificate)."""
    removed: set[str] = set()
    for patch in as_list(get(props, "spec", "configPatches")):
        if get(patch, "applyTo") != "HTTP_FILTER":
            continue
        if get(patch, "match", "context") not in ("GATEWAY", "ANY", None):
            continue
        operation = get(patch, "patch", "operation")
        placed_before = (
            before is not None
            and operation == "INSERT_BEFORE"
            and get(patch, "match", "listener", "filterChain", "filter", "subFilter", "name")
            == before
        )
        if operation != "INSERT_FIRST" and not placed_before:
            continue
        typed = get(patch, "patch", "value", "typed_config", default={})
        if get(typed, "@type") != HEADER_MUTATION_TYPE:
            continue
        for mutation in as_list(get(typed, "mutations", "request_mutations")):
            header = get(mutation, "remove")
            if isinstance(header, str):
                removed.add(header.lower())
    return removed
