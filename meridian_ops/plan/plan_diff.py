"""What a change does to the planned stacks: the offline plan of a git revision against the plan
of the working tree, per stack.

    python -m meridian_ops.plan.plan_diff --base origin/main [--env dev] [--format markdown]
    make plan-diff BASE=origin/main [ENV=dev] [ARGS="--format markdown"]

BASE is planned in a temporary git worktree (`git worktree add --detach`, removed afterwards)
by BASE's own plan command, with this interpreter (the repository's .venv); the working tree is
planned the same way. Plans are up-mode plans without the policy pack (`--quiet
--no-policies`), kept in build/plan-diff/ under the git tree hash of what was planned (the
working tree's is the tree `git add -A` would commit): a plan of the same content is made once,
and a working tree equal to BASE is not planned again.

Per stack it reports the resources added, removed, moved (a new URN with an `aliases` entry
naming the old one) and changed (input paths, protect, parent, provider, dependencies,
retainOnDelete, ignoreChanges), and the stack outputs added, removed or changed. Secret values
never appear: a value under the engine's secret signature prints as [secret].

It refuses (exit 1), naming the fix, when a deploy of the change would delete or re-create a
protected or stateful resource (report.STATEFUL_TYPES): its URN is gone and no new resource
carries an alias to it, or it moved to a provider of another region. Exit 2 when no diff can be
made (BASE is not a commit, an environment either side lacks, a plan that fails); 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meridian_ops.plan.report import STATEFUL_TYPES

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "plan-diff"
STALE_SECONDS = 24 * 3600  # cached plans not used for a day are removed

SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The engine's secret signature key (pulumi.runtime.rpc._special_sig_key)."""
SECRET_MARK = "[secret]"
VALUE_WIDTH = 60  # longer values are cut in the report


class DiffError(Exception):
    """No diff can be made; the message says why and what to do (exit 2)."""


# --- planning a revision and the working tree ------------------------------------------------


def _git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **env} if env else None,
    )
    if result.returncode != 0:
        raise subprocess.CalledProcessError(
            result.returncode, ["git", *args], result.stdout, result.stderr
        )
    return result.stdout.strip()


def resolve_base(repo: Path, rev: str) -> str:
    """The commit `rev` names, or DiffError."""
    try:
        return _git(
            repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
        )
    except subprocess.CalledProcessError:
        raise DiffError(
            f"BASE {rev!r} is not a commit of this repository; give a branch, tag or commit "
            "(e.g. BASE=origin/main; a shallow CI checkout needs `fetch-depth: 0`)"
        ) from None


def working_tree_key(repo: Path) -> str:
    """The git tree `git add -A` would commit now (tracked and untracked files that are not
    ignored), written through a scratch index so the repository's own index stays as it is."""
    with tempfile.TemporaryDirectory(prefix="plan-diff-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(repo, "add", "-A", env=env)
        return _git(repo, "write-tree", env=env)


def stack_files(names: Sequence[str], environment: str) -> list[str]:
    """The stack files of `environment` among the file names of a tree's top level."""
    return sorted(
        n for n in names if n.startswith(f"Pulumi.{environment}-") and n.endswith(".yaml")
    )


def _require_environment(names: Sequence[str], environment: str, side: str) -> None:
    if not stack_files(names, environment):
        raise DiffError(
            f"{side} has no stack files of environment {environment!r} (Pulumi.{environment}-"
            "*.yaml), so there is nothing to compare; pick an environment both sides have "
            "(ENV=dev|staging|prod)"
        )


@dataclass(frozen=True)
class Planned:
    directory: Path
    reused: bool  # taken from the cache, not planned in this run


def _prune(cache: Path) -> None:
    for entry in cache.iterdir() if cache.exists() else []:
        if time.time() - entry.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)


def _plan_into(source: Path, environment: str, target: Path) -> None:
    """Run the plan command of the sources in `source` into `target` (atomically)."""
    scratch = target.with_name(f"{target.name}.tmp{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    command = [sys.executable, "-m", "meridian_ops.plan", "--env", environment]
    command += ["--out", str(scratch), "--quiet", "--no-policies"]
    result = subprocess.run(command, cwd=source, capture_output=True, text=True)
    if result.returncode != 0 or not (scratch / f"{environment}.json").exists():
        shutil.rmtree(scratch, ignore_errors=True)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
        detail = "\n".join(errors) if errors else result.stderr.strip()[-3000:]
        raise DiffError(f"the plan failed (exit {result.returncode}):\n{detail}")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(scratch, target)


def plan_revision(repo: Path, commit: str, environment: str, cache: Path) -> Planned:
    """The plan of `commit`, made in a temporary worktree unless its tree was planned before."""
    tree = _git(repo, "rev-parse", f"{commit}^{{tree}}")
    target = cache / f"{tree}-{environment}"
    if (target / f"{environment}.json").exists():
        os.utime(target)
        return Planned(target, reused=True)
    cache.mkdir(parents=True, exist_ok=True)
    worktree = Path(tempfile.mkdtemp(prefix="plan-diff-base-"))
    _git(repo, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
    try:
        try:
            _plan_into(worktree, environment, target)
        except DiffError as exc:
            raise DiffError(f"BASE {commit[:12]}: {exc}") from None
    finally:
        _git(repo, "worktree", "remove", "--force", str(worktree))
        shutil.rmtree(worktree, ignore_errors=True)
    return Planned(target, reused=False)


def plan_working_tree(repo: Path, tree: str, environment: str, cache: Path) -> Planned:
    """The plan of the working tree (content `tree`), unless that content was planned before."""
    target = cache / f"{tree}-{environment}"
    if (target / f"{environment}.json").exists():
        os.utime(target)
        return Planned(target, reused=True)
    cache.mkdir(parents=True, exist_ok=True)
    try:
        _plan_into(repo, environment, target)
    except DiffError as exc:
        raise DiffError(f"working tree: {exc}") from None
    return Planned(target, reused=False)


def read_plans(directory: Path, environment: str) -> dict[str, dict[str, Any]]:
    """The plan documents of a plan directory by stack, in deployment order."""
    summary = json.loads((directory / f"{environment}.json").read_text())
    order = [s["stack"] for s in summary["stacks"]]
    return {name: json.loads((directory / f"{name}.json").read_text()) for name in order}


# --- comparing plan documents ----------------------------------------------------------------


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value


def shown(value: Any) -> str:
    """A value for the report: secrets masked (also inside lists and maps), long values cut."""
    text = json.dumps(_masked(value), sort_keys=True)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def _masked(value: Any) -> Any:
    if is_secret(value):
        return SECRET_MARK
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _as_document(value: Any) -> Any:
    """A string holding a JSON object or array (an IAM policy, a Helm values document) as the
    document, so a change inside it has a path; anything else as it is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any
    missing_old: bool = False
    missing_new: bool = False

    def text(self) -> str:
        if self.missing_old:
            return f"{self.path}: + {shown(self.new)}"
        if self.missing_new:
            return f"{self.path}: - {shown(self.old)}"
        return f"{self.path}: {shown(self.old)} → {shown(self.new)}"


def value_changes(old: Any, new: Any, path: str = "") -> Iterator[Change]:
    """The paths where two input values differ (`a.b[2].c`; inside a JSON-document string
    `policy{}.Statement[0].Action`). A secret is compared as a whole and shown as [secret]."""
    if is_secret(old) or is_secret(new):
        if old != new:
            yield Change(path, SECRET_MARK, SECRET_MARK)
        return
    if isinstance(old, str) and isinstance(new, str) and old != new:
        old_doc, new_doc = _as_document(old), _as_document(new)
        if not isinstance(old_doc, str) and not isinstance(new_doc, str):
            yield from value_changes(old_doc, new_doc, f"{path}{{}}")
            return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            where = f"{path}.{key}" if path else str(key)
            if key not in old:
                yield Change(where, None, new[key], missing_old=True)
            elif key not in new:
                yield Change(where, old[key], None, missing_new=True)
            else:
                yield from value_changes(old[key], new[key], where)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from value_changes(a, b, f"{path}[{index}]")
        return
    if old != new:
        yield Change(path, old, new)


def label(urn: str) -> str:
    """`<type> <name>` of a URN (the type without its parent's qualification)."""
    if not urn:
        return "(none)"
    parts = urn.split("::")
    kind = parts[2].split("$")[-1] if len(parts) > 3 else urn
    return f"{kind} {parts[-1]}"


def _provider_urn(reference: str) -> str:
    return reference.rsplit("::", 1)[0] if reference else ""


@dataclass
class ResourceDiff:
    urn: str
    old_urn: str  # differs from `urn` for a move
    type: str
    changes: list[str]  # one line per changed input path or option


@dataclass
class Refusal:
    stack: str
    urn: str
    type: str
    why: str
    fix: str


@dataclass
class StackDiff:
    stack: str
    status: str = "changed"  # "added", "removed" (the stack itself) or "changed"
    added: list[tuple[str, str]] = field(default_factory=list)  # (urn, type)
    removed: list[tuple[str, str]] = field(default_factory=list)
    moved: list[ResourceDiff] = field(default_factory=list)
    changed: list[ResourceDiff] = field(default_factory=list)
    outputs_added: list[str] = field(default_factory=list)
    outputs_removed: list[str] = field(default_factory=list)
    outputs_changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.status == "changed" and not (
            self.added
            or self.removed
            or self.moved
            or self.changed
            or self.outputs_added
            or self.outputs_removed
            or self.outputs_changed
        )


def _states(plan: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {s["urn"]: s["newState"] for s in (plan or {}).get("steps", [])}


def holds_state(state: Mapping[str, Any]) -> bool:
    """A resource whose deletion loses data or is refused by the engine: protected or of a
    stateful type (report.STATEFUL_TYPES)."""
    return bool(state.get("protect")) or state.get("type") in STATEFUL_TYPES


def _option_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Changes of the resource options a deploy acts on."""
    lines: list[str] = []
    for key in ("protect", "retainOnDelete"):
        before, after = bool(old.get(key)), bool(new.get(key))
        if before != after:
            lines.append(f"{key}: {json.dumps(before)} → {json.dumps(after)}")
    if old.get("parent") != new.get("parent"):
        lines.append(f"parent: {label(old.get('parent', ''))} → {label(new.get('parent', ''))}")
    old_provider = _provider_urn(old.get("provider", ""))
    new_provider = _provider_urn(new.get("provider", ""))
    if old_provider != new_provider:
        lines.append(f"provider: {label(old_provider)} → {label(new_provider)}")
    if sorted(old.get("ignoreChanges") or []) != sorted(new.get("ignoreChanges") or []):
        lines.append(f"ignoreChanges: {old.get('ignoreChanges')} → {new.get('ignoreChanges')}")
    return lines


def _dependency_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], renamed: Mapping[str, str]
) -> list[str]:
    """Dependencies added or removed, a moved resource's old URN counted as its new one."""
    before = {renamed.get(u, u) for u in old.get("dependencies") or []}
    after = set(new.get("dependencies") or [])
    lines = [f"dependency added: {label(u)}" for u in sorted(after - before)]
    lines += [f"dependency removed: {label(u)}" for u in sorted(before - after)]
    return lines


def _region(states: Mapping[str, Mapping[str, Any]], provider_ref: str) -> Any:
    provider = states.get(_provider_urn(provider_ref))
    return (provider or {}).get("inputs", {}).get("region")


def diff_stack(
    name: str, base: Mapping[str, Any] | None, head: Mapping[str, Any] | None
) -> tuple[StackDiff, list[Refusal]]:
    """The difference between two plans of one stack (either may be missing), and the deletions
    and re-creations a deploy of it must not make."""
    result = StackDiff(name)
    refusals: list[Refusal] = []
    if head is None:
        result.status = "removed"
    elif base is None:
        result.status = "added"
    old_states, new_states = _states(base), _states(head)
    gone = [u for u in old_states if u not in new_states]
    new = [u for u in new_states if u not in old_states]
    renamed: dict[str, str] = {}  # old URN -> new URN, carried by an alias
    for urn in new:
        for alias in new_states[urn].get("aliases") or []:
            if alias in gone and alias not in renamed:
                renamed[alias] = urn
                break
    moved_to = set(renamed.values())
    result.added = [(u, new_states[u]["type"]) for u in new if u not in moved_to]
    result.removed = [(u, old_states[u]["type"]) for u in gone if u not in renamed]

    for old_urn, new_urn in [*((u, u) for u in new_states if u in old_states), *renamed.items()]:
        old, cur = old_states[old_urn], new_states[new_urn]
        lines = [
            f"inputs.{c.text()}" if c.path else f"inputs: {c.text()}"
            for c in value_changes(old.get("inputs", {}), cur.get("inputs", {}))
        ]
        lines += _option_changes(old, cur)
        lines += _dependency_changes(old, cur, renamed)
        if old.get("type") != cur.get("type"):
            lines.insert(0, f"type: {old.get('type')} → {cur.get('type')}")
        entry = ResourceDiff(new_urn, old_urn, cur["type"], lines)
        if old_urn != new_urn:
            result.moved.append(entry)
        elif lines:
            result.changed.append(entry)
        old_region = _region(old_states, old.get("provider", ""))
        new_region = _region(new_states, cur.get("provider", ""))
        if holds_state(old) and old_region and new_region and old_region != new_region:
            refusals.append(
                Refusal(
                    name,
                    new_urn,
                    cur["type"],
                    f"its provider moves it from {old_region} to {new_region}: the engine "
                    "replaces it (a new resource in the other region, the old one deleted)",
                    "keep the resource's provider in its region; to move the data, build "
                    "the new resource next to the old one and migrate",
                )
            )
    if result.status != "removed":  # `make up` leaves a stack that is gone alone
        for urn, kind in result.removed:
            state = old_states[urn]
            if not holds_state(state):
                continue
            what = "protected" if state.get("protect") else "stateful"
            refusals.append(
                Refusal(
                    name,
                    urn,
                    kind,
                    f"this {what} resource is gone from the plan and no new resource carries "
                    "an alias to it: a deploy deletes it"
                    + (" (and re-creates it under the new URN)" if _recreated(urn, new) else ""),
                    "if it was renamed or moved to another parent, add "
                    f'`opts=ResourceOptions(aliases=["{urn}"])` (or a pulumi.Alias naming its old '
                    "name and parent) to the resource at its new place; if it is to go, say so in "
                    "a change of its own that first lifts protect",
                )
            )

    old_outputs = (base or {}).get("outputs") or {}
    new_outputs = (head or {}).get("outputs") or {}
    result.outputs_added = sorted(set(new_outputs) - set(old_outputs))
    result.outputs_removed = sorted(set(old_outputs) - set(new_outputs))
    result.outputs_changed = sorted(
        k for k in set(old_outputs) & set(new_outputs) if old_outputs[k] != new_outputs[k]
    )
    return result, refusals


def _recreated(urn: str, new: Sequence[str]) -> bool:
    """A new URN of the same type and name (under another parent): the deploy creates a
    replacement while it deletes the original."""
    return any(label(u) == label(urn) for u in new)


@dataclass
class EnvironmentDiff:
    environment: str
    base: str  # the BASE revision as given
    commit: str
    stacks: list[StackDiff]
    refusals: list[Refusal]

    @property
    def empty(self) -> bool:
        return all(s.empty for s in self.stacks)


def diff_plans(
    environment: str,
    base: Mapping[str, Mapping[str, Any]],
    head: Mapping[str, Mapping[str, Any]],
    *,
    rev: str = "BASE",
    commit: str = "",
) -> EnvironmentDiff:
    """The difference between two plans of an environment (plan documents by stack)."""
    names = [*head, *(n for n in base if n not in head)]
    stacks: list[StackDiff] = []
    refusals: list[Refusal] = []
    for name in names:
        stack, refused = diff_stack(name, base.get(name), head.get(name))
        stacks.append(stack)
        refusals += refused
    return EnvironmentDiff(environment, rev, commit, stacks, refusals)


# --- the report --------------------------------------------------------------------------------


def _counts(stack: StackDiff) -> str:
    parts = [
        f"{len(items)} {word}"
        for items, word in (
            (stack.added, "added"),
            (stack.removed, "removed"),
            (stack.moved, "moved"),
            (stack.changed, "changed"),
        )
        if items
    ]
    return ", ".join(parts) or "no resource changes"


def _header(diff: EnvironmentDiff) -> str:
    short = diff.commit[:12] if diff.commit else ""
    at = f" ({short})" if short and short != diff.base else ""
    return f"plan diff of {diff.environment}: {diff.base}{at} → working tree"


def format_text(diff: EnvironmentDiff) -> str:
    lines = [_header(diff)]
    if diff.empty:
        lines.append("no changes")
    for stack in diff.stacks:
        if stack.empty:
            continue
        status = {"added": " (new stack)", "removed": " (stack removed)"}.get(stack.status, "")
        lines.append(f"== {stack.stack}{status}: {_counts(stack)}")
        lines += [f"  + {label(u)}" for u, _ in stack.added]
        lines += [f"  - {label(u)}" for u, _ in stack.removed]
        for entry in stack.moved:
            lines.append(f"  > {label(entry.old_urn)} → {label(entry.urn)} (alias)")
            lines += [f"      {c}" for c in entry.changes]
        for entry in stack.changed:
            lines.append(f"  ~ {label(entry.urn)}")
            lines += [f"      {c}" for c in entry.changes]
        outputs = [f"+{o}" for o in stack.outputs_added] + [f"-{o}" for o in stack.outputs_removed]
        outputs += [f"~{o}" for o in stack.outputs_changed]
        if outputs:
            lines.append(f"  outputs: {' '.join(outputs)}")
    lines += _refusal_lines(diff.refusals)
    return "\n".join(lines) + "\n"


def _refusal_lines(refusals: Sequence[Refusal], markdown: bool = False) -> list[str]:
    if not refusals:
        return []
    lines = [
        "",
        ("**Refused:** " if markdown else "refused: ")
        + f"{len(refusals)} protected or stateful resource(s) would be deleted or re-created:",
    ]
    for r in refusals:
        urn = f"`{r.urn}`" if markdown else r.urn
        lines.append(f"- {r.stack}: {urn}: {r.why}.")
        lines.append(f"  fix: {r.fix}.")
    return lines


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(diff: EnvironmentDiff) -> str:
    """The diff as a pull-request comment: a line per stack, its resources in a table."""
    lines = [f"### {_header(diff)}", ""]
    if diff.empty:
        lines.append("No changes.")
    for stack in diff.stacks:
        if stack.empty:
            continue
        status = {"added": " (new stack)", "removed": " (stack removed)"}.get(stack.status, "")
        lines += ["", f"#### `{stack.stack}`{status}: {_counts(stack)}", ""]
        rows = [("+", label(u), "") for u, _ in stack.added]
        rows += [("-", label(u), "") for u, _ in stack.removed]
        rows += [
            ("→", f"{label(e.old_urn)} → {label(e.urn)}", "<br>".join(["alias", *e.changes]))
            for e in stack.moved
        ]
        rows += [("~", label(e.urn), "<br>".join(e.changes)) for e in stack.changed]
        if rows:
            lines += ["| | resource | changes |", "|---|---|---|"]
            lines += [
                f"| {op} | `{_md_cell(what)}` | {_md_cell(changes)} |" for op, what, changes in rows
            ]
        outputs = [f"+`{o}`" for o in stack.outputs_added]
        outputs += [f"-`{o}`" for o in stack.outputs_removed]
        outputs += [f"~`{o}`" for o in stack.outputs_changed]
        if outputs:
            lines += ["", f"Outputs: {' '.join(outputs)}"]
    lines += _refusal_lines(diff.refusals, markdown=True)
    return "\n".join(lines) + "\n"


# --- the command -------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make plan-diff",
        description=(
            "The offline plan of BASE (a git revision, planned in a temporary worktree) against "
            "the working tree's, per stack: resources added, removed, moved and changed, stack "
            "outputs. Exit 0 ok, 1 a protected or stateful resource would be deleted or "
            "re-created, 2 no diff could be made."
        ),
        epilog="make plan-diff BASE=origin/main [ENV=dev] [ARGS='--format markdown']",
    )
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--env", default="dev", help="environment (default: dev)")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    parser.add_argument(
        "--cache",
        type=Path,
        default=CACHE,
        help="where plans are kept by content (default: build/plan-diff)",
    )
    return parser


def main(argv: list[str] | None = None, repo: Path = ROOT) -> int:
    args = _parser().parse_args(argv)
    try:
        diff = run(repo, args.base, args.env, args.cache)
    except DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_markdown(diff) if args.format == "markdown" else format_text(diff), end="")
    return 1 if diff.refusals else 0


def run(repo: Path, rev: str, environment: str, cache: Path) -> EnvironmentDiff:
    """Plan BASE and the working tree (each once per content) and compare them."""
    commit = resolve_base(repo, rev)
    _require_environment(
        _git(repo, "ls-tree", "--name-only", commit).splitlines(), environment, f"BASE {rev!r}"
    )
    _require_environment(
        [p.name for p in repo.glob("Pulumi.*.yaml")], environment, "the working tree"
    )
    _prune(cache)
    tree = working_tree_key(repo)
    base_plan = plan_revision(repo, commit, environment, cache)
    head_plan = plan_working_tree(repo, tree, environment, cache)
    return diff_plans(
        environment,
        read_plans(base_plan.directory, environment),
        read_plans(head_plan.directory, environment),
        rev=rev,
        commit=commit,
    )


if __name__ == "__main__":
    sys.exit(main())
