"""The provider-upgrade gate: before a provider's major version moves, every stack's state is
exported and previewed, and any replacement or deletion stops the upgrade.

    make upgrade-gate ENV=prod        # python -m meridian_ops.ops.upgrade_gate --env prod

Run it on the branch that bumps `requirements.txt` (e.g. pulumi-cloudflare 6 -> 7), with real
credentials, before `make up`. For each stack, in wave order:
1. `pulumi stack export` into `build/ops/<env>/state-backup/<stack>.json` (the way back:
   `pulumi stack import --file ...` after pinning the old version again);
2. `pulumi preview` with the new providers, collecting every step the engine plans;
3. the gate fails on any replace, create-replacement, delete-replaced or delete step, naming the
   resources: a provider's renamed resource or changed default that would replace a database, a
   zone's ruleset or a load-balancer pool is an outage, not a diff to approve in passing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from meridian_ops.plan.waves import waves_for
from stacks.config.source import PROJECT_DIR

BLOCKING_OPS = frozenset({"replace", "create-replacement", "delete-replaced", "delete"})


class GateStack(Protocol):
    """The two Automation API calls the gate makes on a stack."""

    def export_state(self) -> dict[str, Any]: ...

    def preview_steps(self) -> Iterable[tuple[str, str]]:
        """(op, urn) of every step the preview plans."""
        ...


@dataclass
class GateResult:
    blocked: dict[str, list[str]] = field(default_factory=dict)
    backups: list[Path] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.blocked


def run_gate(
    stacks: list[str], open_stack: Callable[[str], GateStack], backup_dir: Path
) -> GateResult:
    result = GateResult()
    backup_dir.mkdir(parents=True, exist_ok=True)
    for name in stacks:
        stack = open_stack(name)
        path = backup_dir / f"{name}.json"
        path.write_text(json.dumps(stack.export_state(), indent=1, sort_keys=True))
        result.backups.append(path)
        blocked = [f"{op} {urn}" for op, urn in stack.preview_steps() if op in BLOCKING_OPS]
        if blocked:
            result.blocked[name] = blocked
    return result


class AutomationGateStack:
    def __init__(self, name: str, project_dir: Path) -> None:
        from pulumi import automation as auto

        self._stack = auto.select_stack(stack_name=name, work_dir=str(project_dir))

    def export_state(self) -> dict[str, Any]:
        deployment = self._stack.export_stack()
        return {"version": deployment.version, "deployment": deployment.deployment}

    def preview_steps(self) -> Iterable[tuple[str, str]]:
        from pulumi.automation import EngineEvent

        steps: list[tuple[str, str]] = []

        def on_event(event: EngineEvent) -> None:
            pre = event.resource_pre_event
            if pre is not None:
                steps.append((pre.metadata.op.value, pre.metadata.urn))

        self._stack.preview(on_event=on_event, color="never")
        return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make upgrade-gate",
        description="Export each stack's state; fail if a preview replaces or deletes anything.",
    )
    parser.add_argument("--env", required=True)
    args = parser.parse_args(argv)
    stacks = [s for wave in waves_for(args.env, PROJECT_DIR) for s in wave.stacks]
    backup = PROJECT_DIR / "build" / "ops" / args.env / "state-backup"
    result = run_gate(stacks, lambda name: AutomationGateStack(name, PROJECT_DIR), backup)
    print(f"state of {len(result.backups)} stacks exported to {backup}")
    if result.passed:
        print("upgrade gate passed: no stack replaces or deletes anything")
        return 0
    for stack, steps in result.blocked.items():
        print(f"{stack}: {len(steps)} blocking step(s)", file=sys.stderr)
        for step in steps:
            print(f"  {step}", file=sys.stderr)
    print(
        "upgrade gate failed: pin the old provider version or make the change explicit",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
