"""What the Istio policies of the pack share: reading a stack's Istio objects only once every
field they decide on is known, their namespace, and the public-paths setting of the policies
that judge a token-protected Gateway."""

from __future__ import annotations

import copy
from typing import Any

from pulumi_policy import PolicyConfigSchema, PolicyResource, StackValidationArgs

from .support import get, is_unknown, plain

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
