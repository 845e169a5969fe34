"""Plans of the shipped environments, made once per source tree and shared by every test.

`planned(env, preview)` returns the plan documents by stack name, `summary(env, preview)` the
environment summary with the policy verdicts. The first test process that asks runs the plan
command itself (`python -m meridian_ops.plan`: config gate, worker processes, policy pack,
report, architecture page) into `build/test-plans/<key>/<env>-<mode>/`, where the key is a hash
of every file the plans depend on (program, components, stacks, stack files, mocks, engine,
requirements); a file lock makes the other pytest-xdist workers wait for it, then they read the
JSON files. A later session with the same sources reads them at once. Within a process the
result is cached.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stacks.config.source import PROJECT_DIR, read_stack_file  # noqa: E402

CACHE = ROOT / "build" / "test-plans"
SOURCES = ("__main__.py", "components", "stacks", "meridian_ops", "requirements.txt")
"""What a plan depends on (with every Pulumi.*.yaml and this file)."""
STALE_SECONDS = 3600  # plans of other source trees older than this are removed

PROD_REGIONS: tuple[str, ...] = tuple(
    read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")["meridian:regions"]
)
"""The regions of the shipped prod environment."""


def source_key() -> str:
    """A hash of every file the plans depend on."""
    digest = hashlib.sha256()
    files = [*sorted(ROOT.glob("Pulumi*.yaml")), Path(__file__)]
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            )
        elif path.exists():
            files.append(path)
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


SESSION_KEY = source_key()
"""The sources this test process imported (a plan made later from edited sources differs)."""


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prune(keep: Path) -> None:
    """Remove the plans (and lock files) of other source trees not touched for an hour."""
    for other in CACHE.iterdir() if CACHE.exists() else []:
        if other.name.startswith(keep.name) or time.time() - other.stat().st_mtime < STALE_SECONDS:
            continue
        if other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
        else:
            other.unlink(missing_ok=True)


def plan_directory(environment: str, preview: bool = False) -> Path:
    """The directory holding `make plan ENV=<environment> [PREVIEW=1]`'s output for the current
    sources: every plan file, the summary (<env>.json), the architecture page and SVG."""
    # A preview takes the up-mode plan as the deployed stacks (--deployed): half the work.
    deployed = plan_directory(environment) if preview else None
    key_dir = CACHE / source_key()
    directory = key_dir / f"{environment}-{'preview' if preview else 'up'}"
    with _locked(key_dir.with_suffix(f".{directory.name}.lock")):
        if not (directory / f"{environment}.json").exists():
            _prune(key_dir)
            scratch = directory.with_name(directory.name + f".tmp{os.getpid()}")
            shutil.rmtree(scratch, ignore_errors=True)
            command = [sys.executable, "-m", "meridian_ops.plan", "--env", environment]
            command += ["--out", str(scratch), "--quiet"]
            if deployed is not None:
                command += ["--preview", "--deployed", str(deployed)]
            result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            # 1: mandatory policy violations; the plans are complete (the policy tests say so)
            if result.returncode not in (0, 1) or not (scratch / f"{environment}.json").exists():
                raise RuntimeError(
                    f"{' '.join(command[1:])} failed ({result.returncode}):\n"
                    f"{result.stderr[-6000:]}"
                )
            shutil.rmtree(directory, ignore_errors=True)  # an interrupted earlier attempt
            os.replace(scratch, directory)
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
