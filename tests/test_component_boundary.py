"""The component boundary: components (in components/) are reusable building blocks. They import
nothing from the program that uses them (stacks/), its tooling (meridian_ops/) or the policy pack
(policies/), and read no files: every table they are built from arrives as typed rows in their
Args. Checked on the source (AST), so a violation is found without running the code path."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "components"
OUTSIDE = ("stacks", "meridian_ops", "policies")
FILE_READS = {"read_text", "read_bytes", "open"}
"""Calls that read a file: builtin open(), Path.open/read_text/read_bytes, io.open."""
FILE_MODULES = {"pathlib", "io", "os.path", "glob", "shutil", "fileinput", "importlib.resources"}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and _called_name(node) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def boundary_violations(source: str, where: str) -> list[str]:
    """What in `source` crosses the boundary: imports of stacks/meridian_ops/policies, modules
    that exist to touch files, and file-reading calls."""
    tree = ast.parse(source)
    problems: list[str] = []
    for line, module in imported_modules(tree):
        top = module.split(".")[0]
        if top in OUTSIDE:
            problems.append(f"{where}:{line} imports {module}")
        if module in FILE_MODULES or top in {"pathlib", "glob", "fileinput"}:
            problems.append(f"{where}:{line} imports {module} (file access)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) in FILE_READS:
            problems.append(f"{where}:{node.lineno} reads a file ({_called_name(node)}())")
        if isinstance(node, ast.Name) and node.id == "__file__":
            problems.append(f"{where}:{node.lineno} locates files through __file__")
    return problems


def component_sources() -> list[Path]:
    return sorted(COMPONENTS.rglob("*.py"))


def test_components_stay_inside_their_boundary() -> None:
    problems: list[str] = []
    for path in component_sources():
        rel = path.relative_to(ROOT).as_posix()
        problems += boundary_violations(path.read_text(encoding="utf-8"), rel)
    assert not problems, "\n".join(problems)


def test_components_ship_no_data_files() -> None:
    """A data file beside a component is a file the component would read: tables live in
    stacks/data/ and reach components as Args."""
    data = [
        p.relative_to(ROOT).as_posix()
        for p in COMPONENTS.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    ]
    assert not data, data


@pytest.mark.parametrize(
    "source",
    [
        "from stacks.versions import HelmChart\n",
        "import meridian_ops.plan.engine\n",
        "from policies import pack\n",
        "import importlib\nimportlib.import_module('stacks.settings')\n",
        "from pathlib import Path\nX = Path(__file__).with_name('t.json')\n",
        "rows = json.loads(TABLE.read_text())\n",
        "with open('stacks/data/slos.json') as f:\n    pass\n",
        "data = path.read_bytes()\n",
        "with TABLE.open() as f:\n    pass\n",
    ],
)
def test_the_scan_finds_each_kind_of_crossing(source: str) -> None:
    assert boundary_violations(source, "x.py")


def test_the_scan_passes_plain_component_code() -> None:
    source = (
        "import json\nimport pulumi\nfrom components.common.iam import statement\n"
        "doc = json.dumps({'a': 1})\nrows = json.loads(doc)\n"
    )
    assert boundary_violations(source, "x.py") == []
