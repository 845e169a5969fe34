"""moved_type: the resource options of a component whose type token changed.

A component's type token is part of its URN and of every child's URN. When a token changes (a
component moved to the package of its area), the old token is kept as an alias so that a stack
deployed under the old token sees its resources moved, not deleted and re-created.

Example::

    super().__init__("meridian:foundation:KeyRing", name, None,
                     moved_type(opts, "meridian:security:KeyRing"))
"""

from __future__ import annotations

import pulumi


def moved_type(opts: pulumi.ResourceOptions | None, *old_types: str) -> pulumi.ResourceOptions:
    """`opts` plus one alias per former type token (same name, same parent, the old type)."""
    aliases: list[pulumi.Alias | str] = [pulumi.Alias(type_=old) for old in old_types]
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases))
