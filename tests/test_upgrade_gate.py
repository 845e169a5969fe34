"""The provider-upgrade gate with the Automation API replaced by fakes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from meridian_ops.ops.upgrade_gate import run_gate


class FakeStack:
    def __init__(self, name: str, steps: list[tuple[str, str]]) -> None:
        self.name = name
        self.steps = steps

    def export_state(self) -> dict[str, Any]:
        return {"version": 3, "deployment": {"stack": self.name}}

    def preview_steps(self) -> Iterable[tuple[str, str]]:
        return self.steps


def test_replacements_and_deletions_block_the_upgrade(tmp_path: Path) -> None:
    steps = {
        "prod-global": [("same", "urn:a")],
        "prod-edge": [
            ("update", "urn:ruleset"),
            ("replace", "urn:pool-use1"),
            ("delete", "urn:old-record"),
        ],
    }
    result = run_gate(list(steps), lambda n: FakeStack(n, steps[n]), tmp_path)
    assert not result.passed
    assert result.blocked == {"prod-edge": ["replace urn:pool-use1", "delete urn:old-record"]}
    backup = json.loads((tmp_path / "prod-edge.json").read_text())
    assert backup["deployment"] == {"stack": "prod-edge"}


def test_updates_only_pass_and_every_state_is_exported(tmp_path: Path) -> None:
    result = run_gate(
        ["dev-global", "dev-us-east-1"],
        lambda n: FakeStack(n, [("update", "urn:x"), ("same", "urn:y")]),
        tmp_path,
    )
    assert result.passed
    assert sorted(p.name for p in result.backups) == ["dev-global.json", "dev-us-east-1.json"]
