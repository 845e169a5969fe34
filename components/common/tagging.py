"""Required tags, applied in one place: a stack transform that tags every taggable AWS resource.

The transform runs in the engine's registration path (`pulumi.runtime.register_resource_transform`),
so the tags are part of the resource's inputs: visible in `pulumi preview`, to policy packs and in
the offline plan. A resource may refine a required tag (e.g. a stricter `data-classification`), and
may add its own (`Name`), but never loses one.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Mapping

import pulumi

REQUIRED_TAG_KEYS: tuple[str, ...] = (
    "owner",
    "cost-center",
    "environment",
    "data-classification",
    "managed-by",
    "stack",
)


@functools.cache
def is_taggable(resource_type: str) -> bool:
    """True when the pulumi-aws resource type takes a `tags` input (read from the provider SDK)."""
    if not resource_type.startswith("aws:"):
        return False
    try:
        _, module_path, class_name = resource_type.split(":")
    except ValueError:
        return False
    module = module_path.split("/")[0]
    python_module = "pulumi_aws" if module == "index" else f"pulumi_aws.{module}"
    try:
        cls = getattr(importlib.import_module(python_module), class_name)
    except (ImportError, AttributeError):
        return False
    init = getattr(cls, "_internal_init", None)
    if init is None:
        return False
    return "tags" in inspect.signature(init).parameters


def required_tags_transform(tags: Mapping[str, str]) -> pulumi.ResourceTransform:
    """A stack transform that merges `tags` into every taggable AWS resource's `tags` input."""
    missing = [k for k in REQUIRED_TAG_KEYS if not tags.get(k)]
    if missing:
        raise ValueError(f"required tags without a value: {', '.join(missing)}")
    required = dict(tags)

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if not args.custom or not is_taggable(args.type_):
            return None
        existing = args.props.get("tags")
        if existing is not None and not isinstance(existing, Mapping):
            return None  # an unknown value during preview: leave it to the engine
        props = dict(args.props)
        props["tags"] = {**required, **(existing or {})}
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return transform
