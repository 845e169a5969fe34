"""The plan cache's key (meridian_ops/plan/plan_cache.py): every file a plan depends on moves it,
and nothing else does. `make plan` and the tests share the cache, so a key that missed an input
would serve a stale plan; tests/test_plan.py checks the command's reuse of an entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from meridian_ops.plan import plan_cache

TREE = {
    "__main__.py": "import stacks\n",
    "Pulumi.dev-global.yaml": "config: {}\n",
    "components/net.py": "X = 1\n",
    "stacks/program.py": "Y = 1\n",
    "meridian_ops/plan/engine.py": "Z = 1\n",
    "policies/catalog.py": "P = 1\n",
    "policies/config/dev.json": "{}\n",
    "policies/requirements.txt": "pulumi-policy==1.0.0\n",
    "requirements.txt": "pulumi==3.0.0\n",
    "README.md": "# readme\n",
    "docs/fast-loop.md": "text\n",
    "tests/test_x.py": "def test(): pass\n",
    "build/plan/dev.json": "{}\n",
    "policies/venv/lib/site.py": "installed\n",
    "stacks/__pycache__/program.cpython-311.pyc": "bytes\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, text in TREE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "name",
    [
        "__main__.py",
        "Pulumi.dev-global.yaml",
        "components/net.py",
        "stacks/program.py",
        "meridian_ops/plan/engine.py",
        "policies/catalog.py",
        "policies/config/dev.json",
        "policies/requirements.txt",
        "requirements.txt",
    ],
)
def test_an_input_of_the_plan_moves_the_key(tree: Path, name: str) -> None:
    before = plan_cache.source_key(tree)
    (tree / name).write_text((tree / name).read_text() + "# edited\n")
    assert plan_cache.source_key(tree) != before


def test_a_new_stack_file_moves_the_key(tree: Path) -> None:
    before = plan_cache.source_key(tree)
    (tree / "Pulumi.dev-eu-west-1.yaml").write_text("config: {}\n")
    assert plan_cache.source_key(tree) != before


@pytest.mark.parametrize(
    "name",
    [
        "README.md",
        "docs/fast-loop.md",
        "tests/test_x.py",
        "build/plan/dev.json",
        "policies/venv/lib/site.py",
        "stacks/__pycache__/program.cpython-311.pyc",
    ],
)
def test_what_a_plan_does_not_read_leaves_the_key(tree: Path, name: str) -> None:
    before = plan_cache.source_key(tree)
    (tree / name).write_text("changed\n")
    assert plan_cache.source_key(tree) == before


def test_an_entry_is_complete_only_with_its_run_record(tree: Path) -> None:
    directory = plan_cache.entry("dev", False, "k", tree)
    assert directory == tree / "build" / "plan-cache" / "k" / "dev-up"
    assert plan_cache.entry("dev", True, "k", tree).name == "dev-preview"
    scratch = tree / "scratch"
    scratch.mkdir()
    (scratch / "dev-global.json").write_text("{}\n")
    plan_cache.store(scratch, directory)
    assert not plan_cache.complete(directory)
    (scratch / plan_cache.RUN_FILE).write_text("{}\n")
    plan_cache.store(scratch, directory)
    assert plan_cache.complete(directory)
    out = tree / "out"
    plan_cache.restore(directory, out)
    assert sorted(p.name for p in out.iterdir()) == ["dev-global.json"]
