"""Configuration errors that stop a run before any resource is registered.

`ConfigError` derives from `pulumi.RunError`, which the Pulumi language host reports as a plain
error message (no Python traceback). Every problem names the key, the value and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    value: Any
    problem: str
    fix: str

    def render(self) -> str:
        return f"{self.key} = {_show(self.value)}: {self.problem}. Fix: {self.fix}."


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


class ConfigError(pulumi.RunError):
    """One or more invalid `meridian:*` settings; nothing was registered."""

    def __init__(self, stack: str, problems: list[ConfigProblem]) -> None:
        self.stack = stack
        self.problems = problems
        lines = [f"Meridian configuration of stack {stack} is invalid; nothing was deployed."]
        lines += [f"  - {p.render()}" for p in problems]
        super().__init__("\n".join(lines))
