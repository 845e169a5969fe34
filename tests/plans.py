"""Plans of the shipped environments, made once per content and shared by every test.

`planned(env, preview)` returns the plan documents by stack name, `summary(env, preview)` the
environment summary with the policy verdicts. They come from the plan command's own cache
(meridian_ops/plan/plan_cache.py: `build/plan-cache/<key>/<env>-<mode>/`, keyed by a hash of every
file a plan depends on), which `make plan` reads and fills too: the first test process that asks
runs `python -m meridian_ops.plan` (config gate, worker processes, policy pack, report,
architecture page), which plans and fills the entry under a file lock the other pytest-xdist
workers wait on; then they all read its JSON files. A later session, or `make plan`, with the
same content reads them at once. Within a process the result is cached.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from meridian_ops.plan import plan_cache  # noqa: E402
from stacks.config.source import PROJECT_DIR, read_stack_file  # noqa: E402

PROD_REGIONS: tuple[str, ...] = tuple(
    read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")["meridian:regions"]
)
"""The regions of the shipped prod environment."""


def source_key() -> str:
    """A hash of every file the plans depend on (meridian_ops/plan/plan_cache.py)."""
    return plan_cache.source_key(ROOT)


SESSION_KEY = source_key()
"""The sources this test process imported (a plan made later from edited sources differs)."""


def plan_directory(environment: str, preview: bool = False) -> Path:
    """The directory holding `make plan ENV=<environment> [PREVIEW=1]`'s output for the current
    content: every plan file, the summary (<env>.json), the architecture page and SVG."""
    directory = plan_cache.entry(environment, preview, source_key(), ROOT)
    if plan_cache.complete(directory):
        return directory
    if preview:
        plan_directory(environment)  # the preview takes the up-mode plan as the deployed stacks
    with tempfile.TemporaryDirectory(prefix="meridian-test-plan-") as out:
        command = [sys.executable, "-m", "meridian_ops.plan", "--env", environment]
        command += ["--out", out, "--quiet"] + (["--preview"] if preview else [])
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    # 1: mandatory policy violations; the plans are complete (the policy tests say so)
    if result.returncode not in (0, 1) or not plan_cache.complete(directory):
        raise RuntimeError(
            f"{' '.join(command[1:])} failed ({result.returncode}):\n{result.stderr[-6000:]}"
        )
    return directory


@functools.cache
def summary(environment: str, preview: bool = False) -> dict[str, Any]:
    """The environment summary `make plan` wrote (docs/plan-format.md)."""
    directory = plan_directory(environment, preview)
    return json.loads((directory / f"{environment}.json").read_text())


@functools.cache
def planned(environment: str, preview: bool = False) -> dict[str, dict[str, Any]]:
    """The plan documents by stack name, in deployment order."""
    directory = plan_directory(environment, preview)
    order = [s["stack"] for s in summary(environment, preview)["stacks"]]
    return {name: json.loads((directory / f"{name}.json").read_text()) for name in order}


def editable(document: Any) -> Any:
    """A copy of plan data that a test may edit: plan documents are JSON values (read from the
    plan files), so a JSON round trip gives what `copy.deepcopy` gives, several times cheaper."""
    return json.loads(json.dumps(document))


def states(plan: dict[str, Any], resource_type: str | None = None) -> list[dict[str, Any]]:
    result = [s["newState"] for s in plan["steps"]]
    if resource_type is not None:
        result = [s for s in result if s["type"] == resource_type]
    return result


def by_urn(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["urn"]: s["newState"] for s in plan["steps"]}


def name_of(state: dict[str, Any]) -> str:
    return state["urn"].rsplit("::", 1)[-1]


def one(plan: dict[str, Any], resource_type: str, name: str | None = None) -> dict[str, Any]:
    """The one state of `resource_type` (named `name`, if given) in a plan; fails otherwise."""
    found = [s for s in states(plan, resource_type) if name is None or name_of(s) == name]
    assert len(found) == 1, f"{resource_type} {name or ''}: {len(found)}"
    return found[0]
