"""Cross-stack reads, all through here: the global stack's outputs for regional stacks, every
regional stack's outputs for the edge stack. Keys are the contract's (stacks/outputs.py); read
through its typed readers (`GlobalOutputs.read(upstream).ipam_pool_id(region)`). Under the mock
engine the same `StackReference` resolves to the outputs of the stacks the offline plan ran
before."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.settings import get_root_resource

from stacks.identity import Role, stack_name
from stacks.outputs import OutputKey

_OPENED: dict[str, tuple[object, pulumi.StackReference]] = {}
"""Upstream stack name -> (the run's root resource, its StackReference in that run)."""


class UpstreamStack:
    """The outputs of another stack of this project."""

    def __init__(self, environment: str, role: Role, region: str | None = None) -> None:
        self.name = stack_name(environment, role, region)
        organization = pulumi.get_organization() or "organization"
        # One StackReference per upstream stack and run: several layers read the primary region's
        # stack (streaming, data), and two references of one name would collide (same URN).
        root = get_root_resource()
        opened = _OPENED.get(self.name)
        if opened is None or opened[0] is not root:
            full = f"{organization}/{pulumi.get_project()}/{self.name}"
            opened = _OPENED[self.name] = (root, pulumi.StackReference(full))
        self._ref = opened[1]

    def require(self, key: OutputKey) -> pulumi.Output[Any]:
        """An output the upstream stack must have exported; fails the run with the fix if not."""
        stack, name = self.name, key.value

        def check(value: Any) -> Any:
            if value is None:
                raise pulumi.RunError(
                    f"stack {stack} has no output '{name}'. Fix: run `pulumi up --stack {stack}` "
                    "first (stacks deploy in the order global, regions, edge)."
                )
            return value

        return self._ref.get_output(name).apply(check)

    def require_item(
        self, key: OutputKey, item: str, source: str = "the environment manifest"
    ) -> pulumi.Output[Any]:
        """One entry of a mapping output, e.g. the IPAM pool of one region; `source` is where
        the upstream stack's entries come from, for the fix."""
        stack, name = self.name, key.value

        def pick(mapping: Any) -> Any:
            if not isinstance(mapping, dict) or item not in mapping:
                raise pulumi.RunError(
                    f"stack {stack} output '{name}' has no entry for '{item}'. Fix: make sure "
                    f"{source} has it and run `pulumi up --stack {stack}` first."
                )
            return mapping[item]

        return self.require(key).apply(pick)
