"""`make test`: ruff, the type checker and pytest, each skipped when its inputs are unchanged.

    python -m meridian_ops.plan.checks [--force] [--only ruff,types,pytest]  # make test [FORCE=1]

Each step has a key: a hash of the files it reads and of the tools that read them (every
installed distribution of both virtualenvs, the Python and Node versions). A green step leaves a
stamp, build/test-stamps/<step>-<key>.json; the next run finds it and prints that it skipped the
step, the stamp it used and how to force it. A clean clone (CI: .ci/run deletes build/) has no
stamps and runs everything.

- ruff reads every Python file and pyproject.toml.
- The type checker (pyright) reads the Python files of its `include` (tests among them),
  pyproject.toml and the pinned requirements; a changed test file reruns it. It first writes
  the partial stubs of its stubPath from those files (meridian_ops/plan/typing_stubs.py).
- pytest reads everything in the repository except documentation: a Markdown file or a file
  under docs/ counts only when some Python file names it (the tests compare README tables,
  generated docs and the committed architecture SVG with what the code makes). Editing any
  other document runs nothing.

The steps run at once: ruff and the type checker in the background (their output printed when
they finish), pytest in the foreground (its own output, closing "N passed" line included). The
type checker's single thread fills the core that pytest's workers leave idle at the start (plan
building) and at the end (the last long tests).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAMP_DIR = Path("build", "test-stamps")
VENV = ROOT / ".venv"
POLICY_VENV = ROOT / "policies" / "venv"
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "build",
        "node_modules",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
    }
)
"""Never inputs: the checkout's metadata, environments, build output and the tools' caches
(ruff writes .ruff_cache into the tree: were it an input, every run would change the keys)."""
TYPE_CHECK_INCLUDE = ("__main__.py", "components", "stacks", "policies", "meridian_ops", "tests")
"""pyproject.toml's [tool.pyright] include (tests/test_checks.py holds them equal)."""
REQUIREMENTS = ("requirements.txt", "policies/requirements.txt")


def repository_files(root: Path | None = None) -> list[Path]:
    """Every file of the working tree (tracked or not) outside virtualenvs, build output and
    caches, relative to `root`, sorted."""
    root = root or ROOT
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRS)
        base = Path(directory).relative_to(root)
        found += [base / f for f in files if not f.endswith(".pyc") and f != ".git"]
    return sorted(found)


def is_document(path: Path) -> bool:
    return path.suffix == ".md" or path.parts[0] == "docs"


def pytest_inputs(files: list[Path], root: Path | None = None) -> list[Path]:
    """Every file but the documents no Python file names."""
    root = root or ROOT
    code = "\n".join((root / p).read_text(errors="replace") for p in files if p.suffix == ".py")
    named = set(re.findall(r"[\w.-]+\.(?:md|svg|html)\b", code))
    return [p for p in files if not is_document(p) or p.name in named]


def type_check_inputs(files: list[Path]) -> list[Path]:
    return [
        p
        for p in files
        if (p.suffix in (".py", ".pyi") and p.parts[0] in TYPE_CHECK_INCLUDE)
        or str(p) in (*REQUIREMENTS, "pyproject.toml")
    ]


def ruff_inputs(files: list[Path]) -> list[Path]:
    return [p for p in files if p.suffix in (".py", ".pyi") or str(p) == "pyproject.toml"]


def installed(site_root: Path) -> list[str]:
    """The distributions (name-version) installed in a virtualenv, from its dist-info names."""
    return sorted(p.name for p in site_root.glob("lib/python*/site-packages/*.dist-info"))


def tool_versions() -> list[str]:
    """What the steps run with: Python, Node (pyright, the CRD schemas) and both virtualenvs."""
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    except FileNotFoundError:  # pyright's wrapper and npm then fail in their own step
        node = "absent"
    return [
        f"python {sys.version}",
        f"node {node.strip()}",
        *(f"venv {d}" for d in installed(VENV)),
        *(f"policy-venv {d}" for d in installed(POLICY_VENV)),
        f"ruff {metadata.version('ruff')}",
        f"pyright {metadata.version('pyright')}",
    ]


def input_key(step: str, files: Iterable[Path], tools: list[str], root: Path | None = None) -> str:
    root = root or ROOT
    digest = hashlib.sha256(f"{step}\0".encode())
    for line in tools:
        digest.update(line.encode() + b"\0")
    for path in files:
        digest.update(str(path).encode() + b"\0" + (root / path).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Step:
    name: str
    commands: tuple[tuple[str, ...], ...]
    inputs: Callable[[list[Path]], list[Path]]
    environment: dict[str, str]


def steps(workers: str) -> dict[str, Step]:
    python = str(VENV / "bin" / "python")
    policy_python = str(POLICY_VENV / "bin" / "python")
    return {
        "ruff": Step(
            "ruff",
            (
                (str(VENV / "bin" / "ruff"), "check", "."),
                (str(VENV / "bin" / "ruff"), "format", "--check", "."),
            ),
            ruff_inputs,
            {},
        ),
        "types": Step(
            "types",
            (
                # pyright's stubPath: the SDK package indexes cut to the names the code uses
                (python, "-m", "meridian_ops.plan.typing_stubs"),
                (str(VENV / "bin" / "pyright"),),
            ),
            type_check_inputs,
            {"NODE_OPTIONS": "--max-old-space-size=8192"},
        ),
        "pytest": Step(
            "pytest",
            ((python, "-m", "pytest", "-n", workers, "tests"),),
            pytest_inputs,
            {"MERIDIAN_POLICY_PYTHON": os.environ.get("MERIDIAN_POLICY_PYTHON", policy_python)},
        ),
    }


def stamp_path(step: str, key: str) -> Path:
    return ROOT / STAMP_DIR / f"{step}-{key}.json"


def _run_captured(step: Step) -> tuple[int, str, float]:
    started = time.perf_counter()
    output: list[str] = []
    code = 0
    environment = {**os.environ, **step.environment}
    for command in step.commands:
        with tempfile.TemporaryFile("w+") as log:
            result = subprocess.run(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
            log.seek(0)
            shown = " ".join([Path(command[0]).name, *command[1:]])
            output.append(f"$ {shown}\n{log.read()}")
        code = code or result.returncode
    return code, "".join(output), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make test", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="run every step (make test FORCE=1)")
    parser.add_argument("--only", default="ruff,types,pytest", help="comma-separated steps")
    parser.add_argument("--workers", default="2", help="pytest-xdist workers (default 2)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    chosen = steps(args.workers)
    names = [n for n in chosen if n in args.only.split(",")]
    files = repository_files()
    tools = tool_versions()
    keys = {n: input_key(n, chosen[n].inputs(files), tools) for n in names}
    due = [n for n in names if args.force or not stamp_path(n, keys[n]).exists()]
    for name in names:
        if name not in due:
            stamp = stamp_path(name, keys[name])
            recorded = json.loads(stamp.read_text())
            print(
                f"{name}: skipped, its inputs are unchanged since the green run of "
                f"{recorded['finished']} (stamp {stamp.relative_to(ROOT)}; "
                f"make test FORCE=1 runs it)",
                flush=True,
            )
    results: dict[str, tuple[int, float]] = {}

    with ThreadPoolExecutor(max_workers=2) as pool:
        background = {n: pool.submit(_run_captured, chosen[n]) for n in due if n != "pytest"}
        if "pytest" in due:
            step = chosen["pytest"]
            begun = time.perf_counter()
            code = 0
            for command in step.commands:
                print(f"$ {' '.join(command[1:])}", flush=True)
                result = subprocess.run(command, cwd=ROOT, env={**os.environ, **step.environment})
                code = code or result.returncode
            results["pytest"] = (code, time.perf_counter() - begun)
        for name, future in background.items():
            code, output, seconds = future.result()
            print(f"--- {name} ({seconds:.0f}s)", flush=True)
            sys.stdout.write(output)
            results[name] = (code, seconds)
    (ROOT / STAMP_DIR).mkdir(parents=True, exist_ok=True)
    for name, (code, seconds) in results.items():
        if code == 0:
            record = {
                "step": name,
                "key": keys[name],
                "seconds": round(seconds, 1),
                "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
            stamp_path(name, keys[name]).write_text(json.dumps(record, indent=2) + "\n")
    failed = [n for n, (code, _) in results.items() if code != 0]
    ran = ", ".join(f"{n} {s:.0f}s" for n, (_, s) in results.items()) or "nothing"
    verdict = f"FAILED: {', '.join(failed)}" if failed else "green"
    print(f"make test: {verdict} (ran: {ran}; {time.perf_counter() - started:.0f}s in all)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
