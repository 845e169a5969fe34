"""Deployment waves of an environment: which stacks can run together, and in which order.

A stack reads other stacks' outputs through `StackReference` (stacks/references.py), so it must
be deployed after them. Which stacks a stack may read is declared here once per role:

| stack | reads |
|---|---|
| `<env>-global` | nothing |
| the primary region's stack | global |
| every other region's stack | global and the primary region (replicas join the primary's) |
| `<env>-edge` | global and every region |

The waves are the layers of that graph (a stack's wave is one past the deepest stack it reads):
`[global] [primary] [other regions ...] [edge]` (secondaries read the primary: Aurora global
database, MSK replication, multi-region keyspaces join the primary's); destroy runs the
waves backwards. The offline plan records every read a program really makes (`stackReads` in
each plan file) and `undeclared_reads` checks them against this declaration, so the declaration
cannot silently fall behind the code.

    from meridian_ops.plan.waves import waves_for, destroy_order
    for wave in waves_for("prod"):
        run_in_parallel(wave.stacks)           # e.g. `pulumi up` per stack, Automation API

The offline plan (meridian_ops/plan/cli.py) runs the same waves, a wave's stacks in parallel worker
processes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from stacks.identity import Role

__all__ = [
    "StackNode",
    "Wave",
    "declared_reads",
    "destroy_order",
    "plan_waves",
    "recorded_reads",
    "undeclared_reads",
    "waves_for",
]


class StackNode(Protocol):
    """What the waves need to know of a stack (plan.PlannedStack is one)."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def region(self) -> str | None: ...


@dataclass(frozen=True)
class Wave:
    """Stacks that depend only on earlier waves: deploy them together, in any order."""

    index: int
    label: str  # "global", "primary region", "regions", "edge"
    stacks: tuple[str, ...]

    def __str__(self) -> str:
        return f"wave {self.index + 1} ({self.label}): {', '.join(self.stacks)}"


def declared_reads(stacks: Sequence[StackNode]) -> dict[str, tuple[str, ...]]:
    """Stack name -> the stacks it may read, per the role table above. The primary region is the
    first regional stack (stacks come in manifest order: the first region is primary)."""
    globals_ = [s.name for s in stacks if s.role is Role.GLOBAL]
    regional = [s.name for s in stacks if s.role is Role.REGIONAL]
    primary = regional[:1]
    reads: dict[str, tuple[str, ...]] = {}
    for stack in stacks:
        if stack.role is Role.GLOBAL:
            reads[stack.name] = ()
        elif stack.role is Role.REGIONAL:
            upstream = globals_ + [p for p in primary if p != stack.name]
            reads[stack.name] = tuple(upstream)
        else:
            reads[stack.name] = tuple(globals_ + regional)
    return reads


def plan_waves(stacks: Sequence[StackNode]) -> list[Wave]:
    """The waves of these stacks (in the order given within a wave)."""
    reads = declared_reads(stacks)
    depth: dict[str, int] = {}

    def depth_of(name: str, path: tuple[str, ...] = ()) -> int:
        if name in path:
            raise ValueError(f"stack references form a cycle: {' -> '.join((*path, name))}")
        if name not in depth:
            upstream = [depth_of(r, (*path, name)) for r in reads.get(name, ())]
            depth[name] = 1 + max(upstream, default=-1)
        return depth[name]

    layers: dict[int, list[StackNode]] = {}
    for stack in stacks:
        layers.setdefault(depth_of(stack.name), []).append(stack)
    return [
        Wave(index, _label(members), tuple(s.name for s in members))
        for index, (_, members) in enumerate(sorted(layers.items()))
    ]


def _label(members: Sequence[StackNode]) -> str:
    roles = {s.role for s in members}
    if roles == {Role.GLOBAL}:
        return "global"
    if roles == {Role.EDGE}:
        return "edge"
    if roles == {Role.REGIONAL}:
        return f"primary region {members[0].region}" if len(members) == 1 else "regions"
    return "mixed"


def waves_for(environment: str, project_dir: Path | None = None) -> list[Wave]:
    """The deployment waves of a shipped environment, from its stack files."""
    from meridian_ops.plan.cli import stacks_of  # the stack files, validated
    from stacks.config.source import PROJECT_DIR

    return plan_waves(stacks_of(environment, project_dir or PROJECT_DIR))


def destroy_order(waves: Sequence[Wave]) -> list[Wave]:
    """The order to destroy: readers before what they read, i.e. the waves backwards."""
    return list(reversed(waves))


def recorded_reads(plan: Mapping[str, Any]) -> dict[str, list[str]]:
    """Stack name -> output names, as the plan recorded the program reading them."""
    reads = plan.get("stackReads")
    if isinstance(reads, dict):
        return {str(k): list(v) for k, v in reads.items()}
    # Plan files written before stackReads: the StackReference resources, outputs unknown.
    return {
        str(s["newState"]["inputs"].get("name", s["newState"]["id"])).rsplit("/", 1)[-1]: []
        for s in plan.get("steps", [])
        if s["newState"]["type"] == "pulumi:pulumi:StackReference"
    }


def undeclared_reads(
    stacks: Sequence[StackNode], plans: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Reads a plan recorded that the role table does not allow (would break the waves)."""
    allowed = declared_reads(stacks)
    problems: list[str] = []
    for name, plan in plans.items():
        for upstream in recorded_reads(plan):
            if upstream not in allowed.get(name, ()):
                problems.append(
                    f"{name} reads {upstream}, which meridian_ops/plan/waves.py does not declare "
                    "for its role: add it to declared_reads or the stack deploys too early"
                )
    return problems
