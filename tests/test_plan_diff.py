"""`make plan-diff BASE=<rev>`: the plan of a git revision against the working tree's.

Most tests compare synthetic plan documents (the shape of build/plan/<stack>.json); one test
runs the real program under the mock engine twice to check that aliases are recorded so that a
moved component and its children read as moves; one runs the command end to end against HEAD
(dev, no policy pack); the plan determinism test compares two plan commands' files byte for byte.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from meridian_ops.plan import plan_diff
from meridian_ops.plan.aws_mocks import MotoValidator
from meridian_ops.plan.engine import StackRun, run_stack
from meridian_ops.plan.plan_diff import diff_plans, format_markdown, format_text, main
from tests.plans import ROOT, plan_directory, planned

STACK = "dev-us-east-1"
STACK_URN = f"urn:pulumi:{STACK}::meridian::pulumi:pulumi:Stack::meridian-{STACK}"
PROVIDER_EAST = f"urn:pulumi:{STACK}::meridian::pulumi:providers:aws::aws-us-east-1"
PROVIDER_WEST = f"urn:pulumi:{STACK}::meridian::pulumi:providers:aws::aws-us-west-2"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2-plaintext"}
BUCKET = "aws:s3/bucket:Bucket"
TOPIC = "aws:sns/topic:Topic"


def urn(kind: str, name: str, parent_type: str = "pulumi:pulumi:Stack") -> str:
    return f"urn:pulumi:{STACK}::meridian::{parent_type}${kind}::{name}"


def state(
    kind: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    parent_type: str = "pulumi:pulumi:Stack",
    protect: bool = False,
    provider: str = PROVIDER_EAST,
    aliases: list[str] | None = None,
    dependencies: list[str] | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "urn": urn(kind, name, parent_type),
        "type": kind,
        "custom": True,
        "id": name,
        "inputs": inputs or {},
        "outputs": {},
        "parent": STACK_URN,
        "protect": protect,
        "retainOnDelete": False,
        "dependencies": dependencies or [],
        "propertyDependencies": {},
        "ignoreChanges": [],
        "provider": f"{provider}::id",
    }
    if aliases:
        result["aliases"] = aliases
    return result


def provider_state(provider: str, region: str) -> dict[str, Any]:
    return {
        "urn": provider,
        "type": "pulumi:providers:aws",
        "custom": True,
        "id": "id",
        "inputs": {"region": region},
        "parent": STACK_URN,
        "provider": "",
    }


def document(*states: dict[str, Any], outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    all_states = [provider_state(PROVIDER_EAST, "us-east-1")]
    all_states += [provider_state(PROVIDER_WEST, "us-west-2"), *states]
    return {
        "stack": STACK,
        "steps": [{"op": "create", "urn": s["urn"], "newState": s} for s in all_states],
        "outputs": outputs or {},
    }


def diff(base: dict[str, Any], head: dict[str, Any]) -> plan_diff.EnvironmentDiff:
    return diff_plans("dev", {STACK: base}, {STACK: head}, rev="main", commit="0" * 40)


# --- synthetic plans ---------------------------------------------------------------------


def test_identical_plans_have_no_changes() -> None:
    plan = document(state(BUCKET, "data", {"bucket": "b"}, protect=True), outputs={"a": 1})
    result = diff(plan, plan)
    assert result.empty and not result.refusals
    assert "no changes" in format_text(result)
    assert "No changes." in format_markdown(result)


def test_an_added_resource() -> None:
    result = diff(document(), document(state(TOPIC, "alerts")))
    (stack,) = result.stacks
    assert stack.added == [(urn(TOPIC, "alerts"), TOPIC)]
    assert not stack.removed and not result.refusals
    assert "  + aws:sns/topic:Topic alerts" in format_text(result)


def test_a_changed_input_names_its_path_and_values() -> None:
    policy = {"Statement": [{"Action": ["s3:GetObject"], "Effect": "Allow"}]}
    wider = {"Statement": [{"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow"}]}
    base = state(TOPIC, "alerts", {"tags": {"owner": "a"}, "policy": json.dumps(policy)})
    head = state(TOPIC, "alerts", {"tags": {"owner": "b"}, "policy": json.dumps(wider)})
    result = diff(document(base), document(head))
    (entry,) = result.stacks[0].changed
    assert 'inputs.tags.owner: "a" → "b"' in entry.changes
    # inside the JSON policy document: the list grew, so the whole Action list is the change
    assert any(c.startswith("inputs.policy{}.Statement[0].Action:") for c in entry.changes)
    assert not result.refusals


def test_a_renamed_resource_without_alias_is_a_delete_and_create() -> None:
    result = diff(document(state(TOPIC, "alerts")), document(state(TOPIC, "alarms")))
    (stack,) = result.stacks
    assert stack.removed == [(urn(TOPIC, "alerts"), TOPIC)]
    assert stack.added == [(urn(TOPIC, "alarms"), TOPIC)]
    assert not result.refusals  # a topic holds no state


def test_a_renamed_resource_with_an_alias_is_a_move() -> None:
    old = state(BUCKET, "data", {"bucket": "b"}, protect=True)
    new = state(BUCKET, "lake", {"bucket": "b"}, protect=True, aliases=[old["urn"]])
    result = diff(document(old), document(new))
    (stack,) = result.stacks
    assert not stack.added and not stack.removed and not result.refusals
    (moved,) = stack.moved
    assert (moved.old_urn, moved.urn) == (old["urn"], new["urn"])
    assert "> aws:s3/bucket:Bucket data → aws:s3/bucket:Bucket lake (alias)" in format_text(result)


@pytest.mark.parametrize("protect", [True, False])
def test_a_recreated_protected_or_stateful_resource_is_refused(protect: bool) -> None:
    """Moved under another parent without an alias: its URN changes, the deploy deletes the
    original and creates a new one. A bucket is stateful, protected or not."""
    old = state(BUCKET, "data", {"bucket": "b"}, protect=protect)
    new = state(BUCKET, "data", {"bucket": "b"}, protect=protect, parent_type="meridian:x:Lake")
    result = diff(document(old), document(new))
    (refusal,) = result.refusals
    assert refusal.urn == old["urn"]
    assert "re-creates" in refusal.why
    assert f'aliases=["{old["urn"]}"]' in refusal.fix
    text = format_text(result)
    assert "refused: 1 protected or stateful resource(s)" in text and "fix: " in text


def test_the_command_exits_1_on_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    old = document(state(BUCKET, "data", protect=True))
    refused = diff(old, document())

    def fake_run(*_args: Any) -> plan_diff.EnvironmentDiff:
        return refused

    monkeypatch.setattr(plan_diff, "run", fake_run)
    assert main(["--base", "HEAD"]) == 1
    monkeypatch.setattr(plan_diff, "run", lambda *_args: diff(old, old))
    assert main(["--base", "HEAD"]) == 0


def test_a_provider_in_another_region_recreates_a_stateful_resource() -> None:
    old = state(BUCKET, "data", protect=True)
    new = state(BUCKET, "data", protect=True, provider=PROVIDER_WEST)
    result = diff(document(old), document(new))
    (entry,) = result.stacks[0].changed
    assert "provider: pulumi:providers:aws aws-us-east-1 → pulumi:providers:aws aws-us-west-2" in (
        entry.changes
    )
    (refusal,) = result.refusals
    assert "us-east-1 to us-west-2" in refusal.why


def test_secrets_are_masked() -> None:
    other = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": "other-plaintext"}
    base = state(TOPIC, "alerts", {"password": SECRET, "tags": {"k": [SECRET]}})
    head = state(TOPIC, "alerts", {"password": other, "tags": {"k": [other, "x"]}})
    result = diff(
        document(base, outputs={"token": SECRET}),
        document(head, outputs={"token": other, "fresh": other}),
    )
    (entry,) = result.stacks[0].changed
    assert 'inputs.password: "[secret]" → "[secret]"' in entry.changes
    assert 'inputs.tags.k: ["[secret]"] → ["[secret]", "x"]' in entry.changes
    for rendered in (format_text(result), format_markdown(result)):
        assert "plaintext" not in rendered
        assert "hunter2" not in rendered


def test_outputs_added_removed_and_changed() -> None:
    base = document(outputs={"kept": 1, "gone": "x", "moves": "a"})
    head = document(outputs={"kept": 1, "moves": "b", "fresh": True})
    (stack,) = diff(base, head).stacks
    assert stack.outputs_added == ["fresh"]
    assert stack.outputs_removed == ["gone"]
    assert stack.outputs_changed == ["moves"]
    assert "outputs: +fresh -gone ~moves" in format_text(diff(base, head))


def test_protect_and_dependency_changes() -> None:
    key = state("aws:kms/key:Key", "k", protect=True)
    base = state(TOPIC, "alerts", protect=True)
    head = state(TOPIC, "alerts", protect=False, dependencies=[key["urn"]])
    (entry,) = diff(document(key, base), document(key, head)).stacks[0].changed
    assert entry.changes == ["protect: true → false", "dependency added: aws:kms/key:Key k"]


def test_stacks_added_and_removed() -> None:
    plan = document(state(BUCKET, "data", protect=True))
    result = diff_plans("dev", {"dev-old": plan}, {"dev-new": plan})
    assert [(s.stack, s.status) for s in result.stacks] == [
        ("dev-new", "added"),
        ("dev-old", "removed"),
    ]
    assert not result.refusals  # `make up` does not destroy a stack that is gone


def test_markdown_rendering() -> None:
    old = state(TOPIC, "a|b", {"displayName": "x"})
    new = state(TOPIC, "a|b", {"displayName": "y"})
    text = format_markdown(diff(document(old), document(new, state(TOPIC, "fresh"))))
    assert text.startswith("### plan diff of dev: main (000000000000) → working tree\n")
    assert f"#### `{STACK}`: 1 added, 1 changed" in text
    assert "| | resource | changes |" in text
    assert "| + | `aws:sns/topic:Topic fresh` |  |" in text
    assert '| ~ | `aws:sns/topic:Topic a\\|b` | inputs.displayName: "x" → "y" |' in text


# --- aliases as the plan records them ----------------------------------------------------


class _Holder(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:test:Holder", name, None, opts)
        provider = aws.Provider("aws-us-east-1", region="us-east-1")
        aws.s3.Bucket(
            f"{name}-bucket",
            bucket="plan-diff-alias-test",
            opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=True),
        )
        self.register_outputs({})


def _plan_of(program: Any) -> dict[str, Any]:
    MotoValidator.reset()
    run: StackRun = run_stack(STACK, {}, program, preview=False)
    return {"stack": STACK, "steps": [s.to_preview_json() for s in run.steps], "outputs": {}}


def test_a_renamed_component_with_an_alias_moves_its_children() -> None:
    """The engine records a registration's aliases as URNs (`newState.aliases`), the children
    of an aliased component included: renaming the component with an alias reads as moves of it
    and its protected bucket, not as a deletion."""
    before = _plan_of(lambda: _Holder("store"))
    after = _plan_of(
        lambda: _Holder("vault", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="store")]))
    )
    without_alias = _plan_of(lambda: _Holder("vault"))
    moved = diff(before, after)
    assert not moved.refusals
    assert sorted(label for e in moved.stacks[0].moved for label in [plan_diff.label(e.urn)]) == [
        "aws:s3/bucket:Bucket vault-bucket",
        "meridian:test:Holder vault",
    ]
    refused = diff(before, without_alias)
    assert [plan_diff.label(r.urn) for r in refused.refusals] == [
        "aws:s3/bucket:Bucket store-bucket"
    ]


# --- the command end to end --------------------------------------------------------------


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass(frozen=True)
class _HeadDiff:
    base: str
    tree: str
    cache: Path
    code: int
    out: str
    worktrees: str


@pytest.fixture(scope="module")
def head_diff(tmp_path_factory: pytest.TempPathFactory) -> _HeadDiff:
    """`plan-diff --base <the working tree's content> --env dev`, run once for the module: BASE
    is planned by its own plan command in a temporary worktree, in another process, under a
    fixed hash seed other than this process's (the command passes its environment on)."""
    tree = plan_diff.working_tree_key(ROOT)
    base = "HEAD"
    if _git("rev-parse", "HEAD^{tree}") != tree:
        base = _git("commit-tree", tree, "-p", "HEAD", "-m", "the working tree, for a test")
    cache = tmp_path_factory.mktemp("plan-diff")
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        patch.setenv("PYTHONHASHSEED", "12345")
        code = main(["--base", base, "--env", "dev", "--cache", str(cache)])
    return _HeadDiff(base, tree, cache, code, out.getvalue(), _git("worktree", "list"))


@pytest.mark.xdist_group("plan-diff-head")
def test_plan_diff_against_head_has_no_changes(head_diff: _HeadDiff) -> None:
    """BASE planned in a temporary worktree, the working tree from the cache (same content):
    no changes, exit 0, no worktree left behind. With uncommitted edits in the tree, BASE is a
    commit of the tree's content instead of HEAD, so the comparison still has to be empty."""
    assert head_diff.code == 0
    out = head_diff.out
    assert out.startswith(f"plan diff of dev: {head_diff.base}") and "no changes" in out
    assert "plan-diff-base-" not in head_diff.worktrees  # the temporary worktree is gone
    assert [p.name for p in head_diff.cache.iterdir()] == [f"{head_diff.tree}-dev"]  # once


def test_a_base_that_is_not_a_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for base in ("no-such-revision-5d1f", "HEAD:README.md"):
        assert main(["--base", base, "--cache", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: BASE {base!r} is not a commit") and "Traceback" not in err
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_an_environment_a_side_lacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--base", "HEAD", "--env", "qa", "--cache", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "error: BASE 'HEAD' has no stack files of environment 'qa'" in err
    # a BASE without the staging stack files (a commit of HEAD's tree minus them)
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "index")}
    subprocess.run(["git", "read-tree", "HEAD"], cwd=ROOT, env=env, check=True)
    staging = [p.name for p in ROOT.glob("Pulumi.staging-*.yaml")]
    subprocess.run(["git", "rm", "-q", "--cached", *staging], cwd=ROOT, env=env, check=True)
    tree = subprocess.run(
        ["git", "write-tree"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    base = _git("commit-tree", tree, "-p", "HEAD", "-m", "without staging, for a test")
    cache = tmp_path / "cache"
    assert main(["--base", base, "--env", "staging", "--cache", str(cache)]) == 2
    err = capsys.readouterr().err
    assert f"error: BASE {base!r} has no stack files of environment 'staging'" in err
    assert not cache.exists()  # refused before anything was planned


# --- deterministic plan files ------------------------------------------------------------


@pytest.mark.xdist_group("plan-diff-head")
def test_two_plans_of_one_tree_are_byte_identical(head_diff: _HeadDiff) -> None:
    """The shared dev plan (the plan command in this checkout, with the policy pack) and BASE's
    plan of the same content in plan-diff's temporary worktree (another checkout, another
    process, hash seed 12345, no policy pack) are the same stack files, byte for byte: no
    timing, no run-dependent ids or paths, a canonical step order."""
    shared = plan_directory("dev")
    other = head_diff.cache / f"{head_diff.tree}-dev"
    names = list(planned("dev"))
    assert names
    for name in names:
        assert (other / f"{name}.json").read_bytes() == (shared / f"{name}.json").read_bytes()
