"""The shape of the code: no function in `components/` or `stacks/` longer than `MAX_LINES`
unless its docstring says why (a line starting with `LONG_BECAUSE`; see CONTRIBUTING.md).

Pure AST over the source files: fast, and independent of any plan.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREES = ("components", "stacks")
MAX_LINES = 120
"""The longest function (its `def` line to its last line) that needs no reason."""
LONG_BECAUSE = "Long because"
"""How a docstring line starts that says why its function is longer than `MAX_LINES`."""


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def length(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    assert node.end_lineno is not None
    return node.end_lineno - node.lineno + 1


def explained(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    doc = ast.get_docstring(node) or ""
    return any(line.strip().startswith(LONG_BECAUSE) for line in doc.splitlines())


def too_long(source: str, filename: str) -> list[str]:
    """`file:line name (n lines)` for each function over `MAX_LINES` without a reason."""
    return [
        f"{filename}:{node.lineno} {node.name} ({length(node)} lines)"
        for node in _functions(ast.parse(source, filename))
        if length(node) > MAX_LINES and not explained(node)
    ]


def _sources() -> list[Path]:
    return sorted(p for tree in TREES for p in (ROOT / tree).rglob("*.py"))


def test_no_function_is_longer_than_the_limit_without_a_reason() -> None:
    found = [
        hit
        for path in _sources()
        for hit in too_long(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not found, (
        f"functions over {MAX_LINES} lines: split them into named helpers (one concern each), "
        f"or give the docstring a line starting {LONG_BECAUSE!r} that says why not:\n  "
        + "\n  ".join(found)
    )


def test_the_trees_are_read() -> None:
    """The walk sees the code it guards (a moved tree would pass the check above vacuously)."""
    paths = {str(p.relative_to(ROOT)) for p in _sources()}
    assert "components/common/scope.py" in paths
    assert "stacks/regional/__init__.py" in paths


def _function(lines: int, doc: str | None = None) -> str:
    body = [f'    """{doc}"""'] if doc is not None else []
    body += ["    x = 1"] * (lines - 1 - len(body))
    return "\n".join(["def f():", *body]) + "\n"


@pytest.mark.parametrize(
    ("source", "refused"),
    [
        (_function(MAX_LINES), False),
        (_function(MAX_LINES + 1), True),
        (_function(MAX_LINES + 1, "Builds it.\n\n    Long because one policy document."), False),
        (_function(MAX_LINES + 1, "Long because nothing."), False),
        (_function(MAX_LINES + 1, "Builds it; it is long because of the policy."), True),
    ],
)
def test_the_check_counts_lines_and_reads_the_reason(source: str, refused: bool) -> None:
    assert bool(too_long(source, "f.py")) is refused
