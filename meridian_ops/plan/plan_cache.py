"""One content-addressed cache of environment plans, shared by `make plan` and the tests.

An environment's plan is a pure function of the program's sources, the stack files, the policy
pack and the pinned requirements (the plan files are the same in every run and for every
--jobs; tests/test_waves.py checks it). So the plan command (meridian_ops/plan/cli.py) keeps what a
full run produced under

    build/plan-cache/<key>/<env>-<up|preview>/     every plan file, the summary, the page
                                                 + run.json (waves, policy verdicts, timings)

where <key> hashes every such file and the interpreter's version. A later `make plan` with the
same content copies that directory into its output directory and prints the report from it (a
line says which cached run it reused); the tests (tests/plans.py) read the same directories. CI
runs `make test` and then `make plan ENV=dev|staging|prod`: the plans the tests made serve the
plan targets. A clean clone has no build/, so it plans for real; `--no-cache` always does.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stacks.config.source import PROJECT_DIR

CACHE = PROJECT_DIR / "build" / "plan-cache"
SOURCES = (
    "__main__.py",
    "components",
    "stacks",
    "meridian_ops",
    "policies",
    "requirements.txt",
)
"""What a plan depends on, with every Pulumi*.yaml (policies: the pack and its config)."""
SKIPPED_PARTS = frozenset({"__pycache__", "venv", ".venv", "node_modules", ".pytest_cache"})
STALE_SECONDS = 3600  # entries of other contents older than this are removed
RUN_FILE = "run.json"


def source_key(root: Path = PROJECT_DIR) -> str:
    """A hash of every file a plan depends on, and of the interpreter's version."""
    digest = hashlib.sha256(sys.version.encode() + b"\0")
    files = sorted(root.glob("Pulumi*.yaml"))
    for name in SOURCES:
        path = root / name
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and SKIPPED_PARTS.isdisjoint(p.relative_to(root).parts)
                and p.suffix != ".pyc"
            )
        elif path.exists():
            files.append(path)
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def entry(
    environment: str, preview: bool, key: str | None = None, root: Path = PROJECT_DIR
) -> Path:
    """The cache directory of an environment's plan (it holds RUN_FILE once complete)."""
    mode = "preview" if preview else "up"
    return (
        root / CACHE.relative_to(PROJECT_DIR) / (key or source_key(root)) / f"{environment}-{mode}"
    )


def complete(directory: Path) -> bool:
    return (directory / RUN_FILE).exists()


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """One planner per entry at a time (pytest-xdist workers, a `make plan` beside them)."""
    lock = directory.parent.with_suffix(f".{directory.name}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def store(output: Path, directory: Path) -> None:
    """Copy a complete output directory (RUN_FILE last written) into the cache entry."""
    scratch = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(output, scratch)
    shutil.rmtree(directory, ignore_errors=True)  # an interrupted earlier attempt
    scratch.replace(directory)
    prune(directory.parent)


def restore(directory: Path, output: Path) -> None:
    """The cached files into an output directory (as the run that made them wrote them)."""
    output.mkdir(parents=True, exist_ok=True)
    for path in directory.iterdir():
        if path.name != RUN_FILE and path.is_file():
            shutil.copyfile(path, output / path.name)


def prune(keep: Path) -> None:
    """Remove the entries (and lock files) beside `keep` (another content's) not touched for an
    hour."""
    for other in keep.parent.iterdir():
        if other.name.startswith(keep.name) or time.time() - other.stat().st_mtime < STALE_SECONDS:
            continue
        if other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
        else:
            other.unlink(missing_ok=True)
