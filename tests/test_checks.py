"""make test's runner (meridian_ops/plan/checks.py): which edits rerun which step, the stamps."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from meridian_ops.plan import checks

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ["python 3.11", "ruff 1", "pyright 1"]


def test_type_check_inputs_are_pyrights_include() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert tuple(config["tool"]["pyright"]["include"]) == checks.TYPE_CHECK_INCLUDE


def test_the_documents_the_tests_compare_are_pytest_inputs() -> None:
    """README tables, generated docs and the committed SVG are checked by tests: editing them
    must rerun pytest."""
    files = checks.repository_files()
    inputs = set(checks.pytest_inputs(files))
    for name in ("README.md", "docs/data.md", "docs/prod-architecture.svg", "policies/README.md"):
        assert Path(name) in inputs, name
    assert not any(p.parts[0] in ("build", ".venv") for p in files)


def _tree(root: Path) -> None:
    files = {
        "README.md": "# r\n",
        "docs/guide.md": "prose no code names\n",
        "docs/shown.svg": "<svg/>\n",
        "components/a.py": 'SHOWN = "docs/shown.svg"  # and README.md\n',
        "tests/test_a.py": "def test_a() -> None:\n    assert True\n",
        "Pulumi.x.yaml": "config: {}\n",
        "pyproject.toml": "[tool.ruff]\n",
        "requirements.txt": "ruff==1\n",
        "build/test-plans/x.json": "{}\n",
        ".ruff_cache/0.17/1": "cache\n",
        ".git": "gitdir: /elsewhere\n",  # a worktree's pointer file
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _keys(root: Path, tools: list[str] = TOOLS) -> dict[str, str]:
    files = checks.repository_files(root)
    selectors = {
        "ruff": checks.ruff_inputs(files),
        "types": checks.type_check_inputs(files),
        "pytest": checks.pytest_inputs(files, root),
    }
    return {n: checks.input_key(n, f, tools, root) for n, f in selectors.items()}


@pytest.mark.parametrize(
    ("edited", "rerun"),
    [
        ("docs/guide.md", set()),  # a document no code names: nothing runs
        ("build/test-plans/x.json", set()),  # build output is no input
        (".ruff_cache/0.17/1", set()),  # ruff's cache changes on every ruff run
        (".git", set()),
        ("README.md", {"pytest"}),  # named by code: tests may compare it
        ("docs/shown.svg", {"pytest"}),
        ("Pulumi.x.yaml", {"pytest"}),
        ("tests/test_a.py", {"pytest", "types", "ruff"}),
        ("components/a.py", {"pytest", "types", "ruff"}),
        ("requirements.txt", {"pytest", "types"}),
        ("pyproject.toml", {"pytest", "types", "ruff"}),
    ],
)
def test_an_edit_reruns_the_steps_that_read_the_file(
    tmp_path: Path, edited: str, rerun: set[str]
) -> None:
    _tree(tmp_path)
    before = _keys(tmp_path)
    with (tmp_path / edited).open("a") as handle:
        handle.write("\n# edited\n")
    after = _keys(tmp_path)
    assert {n for n in before if before[n] != after[n]} == rerun


def test_a_new_tool_version_reruns_every_step(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = _keys(tmp_path)
    after = _keys(tmp_path, [*TOOLS[:-1], "pyright 2"])
    assert all(before[n] != after[n] for n in before)


def _fake_steps(tmp_path: Path, fail: bool) -> dict[str, checks.Step]:
    def step(name: str, code: int, inputs: Callable[[list[Path]], list[Path]]) -> checks.Step:
        command = (sys.executable, "-c", f"print('ran {name}'); raise SystemExit({code})")
        return checks.Step(name, (command,), inputs, {})

    return {
        "ruff": step("ruff", 0, checks.ruff_inputs),
        "types": step("types", 1 if fail else 0, checks.type_check_inputs),
        "pytest": step("pytest", 0, lambda files: checks.pytest_inputs(files, tmp_path)),
    }


def test_a_green_step_is_skipped_until_its_inputs_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    _tree(tmp_path)
    monkeypatch.setattr(checks, "ROOT", tmp_path)
    monkeypatch.setattr(checks, "tool_versions", lambda: TOOLS)
    monkeypatch.setattr(checks, "steps", lambda workers: _fake_steps(tmp_path, fail=False))

    assert checks.main([]) == 0
    out = capfd.readouterr().out
    assert all(f"ran {n}" in out for n in ("ruff", "types", "pytest"))
    stamps = sorted(p.name for p in (tmp_path / "build" / "test-stamps").iterdir())
    assert [s.split("-")[0] for s in stamps] == ["pytest", "ruff", "types"]

    assert checks.main([]) == 0  # nothing changed: every step skipped, its stamp named
    out = capfd.readouterr().out
    assert "ran " not in out
    for stamp in stamps:
        assert f"stamp build/test-stamps/{stamp}; make test FORCE=1 runs it" in out
    assert "ran: nothing" in out

    (tmp_path / "Pulumi.x.yaml").write_text("config: {a: 1}\n")  # only pytest reads it
    assert checks.main([]) == 0
    out = capfd.readouterr().out
    assert "ran pytest" in out and "ran ruff" not in out and "ran types" not in out

    assert checks.main(["--force"]) == 0
    out = capfd.readouterr().out
    assert all(f"ran {n}" in out for n in ("ruff", "types", "pytest"))


def test_a_failed_step_leaves_no_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    _tree(tmp_path)
    monkeypatch.setattr(checks, "ROOT", tmp_path)
    monkeypatch.setattr(checks, "tool_versions", lambda: TOOLS)
    monkeypatch.setattr(checks, "steps", lambda workers: _fake_steps(tmp_path, fail=True))

    assert checks.main([]) == 1
    assert "FAILED: types" in capfd.readouterr().out
    assert checks.main([]) == 1  # the failed step runs again; the green ones are skipped
    out = capfd.readouterr().out
    assert "ran types" in out and "ran ruff" not in out and "ran pytest" not in out
    stamps = [p.name.split("-")[0] for p in (tmp_path / "build" / "test-stamps").iterdir()]
    assert sorted(stamps) == ["pytest", "ruff"]
