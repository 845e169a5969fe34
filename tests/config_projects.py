"""Throwaway copies of the shipped stack files, to break one value at a time (config tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

from stacks.config.source import PROJECT_DIR


def copy_project(into: Path, environment: str) -> Path:
    """A project directory holding the shipped stack files of `environment`."""
    into.mkdir(parents=True, exist_ok=True)
    for path in PROJECT_DIR.glob(f"Pulumi.{environment}-*.yaml"):
        shutil.copy(path, into / path.name)
    return into


def add_config(project: Path, stack: str, yaml_lines: str) -> None:
    """Append `yaml_lines` (written as under `config:`, unindented) to a stack file's config."""
    path = project / f"Pulumi.{stack}.yaml"
    text = path.read_text()
    indented = "".join(f"  {line}\n" for line in yaml_lines.strip("\n").splitlines())
    path.write_text(text.rstrip("\n") + "\n" + indented)


def replace_in(project: Path, stack: str, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a stack file by `new`."""
    path = project / f"Pulumi.{stack}.yaml"
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {path.name}"
    path.write_text(text.replace(old, new))
