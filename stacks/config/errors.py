"""Configuration errors that stop a run before any resource is registered.

`ConfigError` derives from `pulumi.RunError`, which the Pulumi language host reports as a plain
error message (no Python traceback). Every problem names the key, the value and the fix, and the
stack file it is in; the message groups the problems by file, in the order the files were given
(the environment manifest first: its problems are the root of the others).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pulumi


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    value: Any
    problem: str
    fix: str
    file: str = ""
    """The stack file the problem is in (`Pulumi.prod-eu-west-1.yaml`); empty if unknown."""

    def render(self) -> str:
        return f"{self.key} = {_show(self.value)}: {self.problem}. Fix: {self.fix}."

    def in_file(self, file: str) -> ConfigProblem:
        """This problem, attributed to `file` unless it already names one."""
        return self if self.file else replace(self, file=file)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def unique(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """The problems without repeats (the same problem seen by several stacks), in order."""
    seen: set[tuple[str, str]] = set()
    result: list[ConfigProblem] = []
    for p in problems:
        if (p.file, p.render()) not in seen:
            seen.add((p.file, p.render()))
            result.append(p)
    return result


def render_groups(problems: list[ConfigProblem], file_order: list[str] | None = None) -> list[str]:
    """`  <file>:` headings, each followed by its problems; files in `file_order`, then as met."""
    order = list(dict.fromkeys(file_order or []))
    for p in problems:
        if p.file not in order:
            order.append(p.file)
    lines: list[str] = []
    for file in order:
        group = [p for p in problems if p.file == file]
        if not group:
            continue
        indent = "  "
        # a problem whose key names the file already (a YAML syntax error: file:line:column)
        # needs no heading: the error stays two lines
        if file and not all(p.key.startswith(file) for p in group):
            lines.append(f"  {file}:")
            indent = "    "
        lines += [f"{indent}- {p.render()}" for p in group]
    return lines


class ConfigError(pulumi.RunError):
    """One or more invalid `meridian:*` settings; nothing was registered."""

    def __init__(
        self,
        stack: str,
        problems: list[ConfigProblem],
        *,
        headline: str | None = None,
        file_order: list[str] | None = None,
    ) -> None:
        self.stack = stack
        found = unique(problems)
        order = list(dict.fromkeys([*(file_order or []), *(p.file for p in found)]))
        self.problems = sorted(found, key=lambda p: order.index(p.file))  # stable: check order
        first = headline or (
            f"Meridian configuration of stack {stack} is invalid; nothing was deployed."
        )
        super().__init__("\n".join([first, *render_groups(self.problems, file_order)]))

    @property
    def files(self) -> list[str]:
        """The stack files with problems, in message order."""
        return list(dict.fromkeys(p.file for p in self.problems))
