"""Plans of the shipped environments, run once per test process and shared by the graph tests."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

from meridian_ops.plan import plan_environment
from stacks.config_source import PROJECT_DIR, read_stack_file

PROD_REGIONS: tuple[str, ...] = tuple(
    read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")["meridian:regions"]
)
"""The regions of the shipped prod environment."""


@functools.cache
def planned(environment: str, preview: bool = False) -> dict[str, dict[str, Any]]:
    out = Path(tempfile.mkdtemp(prefix=f"meridian-{environment}-"))
    return plan_environment(environment, out_dir=out, preview=preview)


def states(plan: dict[str, Any], resource_type: str | None = None) -> list[dict[str, Any]]:
    result = [s["newState"] for s in plan["steps"]]
    if resource_type is not None:
        result = [s for s in result if s["type"] == resource_type]
    return result


def by_urn(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["urn"]: s["newState"] for s in plan["steps"]}


def name_of(state: dict[str, Any]) -> str:
    return state["urn"].rsplit("::", 1)[-1]
