"""make bench-tests' fresh copy: the tree's files, no build output, the built environments linked
and left alone."""

from __future__ import annotations

import subprocess
from pathlib import Path

from meridian_ops.plan.bench import LINKED, fresh_copy, make_test_command
from tests.conftest import ROOT


def test_a_fresh_copy_runs_make_test_without_rebuilding_the_environments(tmp_path: Path) -> None:
    tree = fresh_copy(tmp_path / "copy")
    assert (tree / "Makefile").read_bytes() == (ROOT / "Makefile").read_bytes()
    assert (tree / "tests" / "test_bench.py").exists()
    assert not (tree / "build").exists()  # no cached plans, no stamps
    # a repository with the project's history, as CI's clean clone (the plan-diff tests read it)
    head = ["git", "rev-parse", "HEAD"]
    assert subprocess.run(head, cwd=tree, capture_output=True, text=True, check=True).stdout == (
        subprocess.run(head, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    )
    for name in LINKED:
        assert (tree / name).is_symlink() and (tree / name).resolve() == (ROOT / name).resolve()
    # The copy's requirement files are newer than the linked .installed markers: without
    # --old-file, make would run `python -m venv` and pip over the linked environments.
    for name in ("requirements.txt", "policies/requirements.txt"):
        (tree / name).touch()
    dry = subprocess.run(
        [*make_test_command(tree)[:-1], "-n", "test"], capture_output=True, text=True, check=True
    )
    commands = [line for line in dry.stdout.splitlines() if not line.startswith("make")]
    rebuilds = ("-m venv", "pip install", "npm ci", "touch")
    assert not any(r in c for c in commands for r in rebuilds), commands
    assert any("-m meridian_ops.plan.checks" in c for c in commands), commands
