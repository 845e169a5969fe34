"""Preview, up, refresh or destroy a whole environment in waves, through the Automation API.

    make preview ENV=prod   # python -m meridian_ops.ops.orchestrate preview --env prod
    make up ENV=prod DRY_RUN=1            # print the waves and the commands, run nothing
    make up ENV=prod JOBS=4 POLICIES=1    # up, four regional stacks at a time, with the pack
    make destroy ENV=dev                  # waves in reverse; a blocked region is drained

The waves come from `meridian_ops/plan/waves.py`, the same module the offline plan uses: global,
then the primary region, then the other regions in parallel (at most `--jobs` at a time), then edge;
destroy runs them backwards, and a regional stack whose destroy fails is drained of what the
Kubernetes controllers created outside Pulumi (`meridian_ops/ops/drain.py`) and destroyed once more.
Within a wave the run fails fast: once a stack fails, stacks of that
wave that have not started are skipped (running ones finish: stopping `pulumi up` half-way leaves
pending operations) and no later wave starts. Every run records which stacks succeeded in
`build/ops/<env>/<action>.json`; `--resume` starts again at the first wave with a stack that did
not succeed, skipping the stacks that did.

Each stack runs in its own process with its own workspace folder
(`build/ops/<env>/work/<stack>/`, links to the project's files): parallel `pulumi stack select`
in one workspace corrupts its state, and inline programs share a process's globals. Output goes to
`build/ops/<env>/logs/<stack>.log`; the terminal shows one progress line per event.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TextIO

from meridian_ops.plan.waves import Wave, destroy_order, waves_for
from stacks.config.errors import ConfigError
from stacks.config.source import PROJECT_DIR
from stacks.outputs import RegionalKey


class Action(StrEnum):
    PREVIEW = "preview"
    UP = "up"
    REFRESH = "refresh"
    DESTROY = "destroy"


PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "stacks", "requirements.txt")
"""What a stack's workspace folder links to, besides its own stack file and the virtualenv."""


@dataclass(frozen=True)
class StackCommand:
    """One stack's part of an environment run."""

    environment: str
    stack: str
    action: Action
    policy_pack: bool = False

    def policy_args(self) -> list[str]:
        if not self.policy_pack or self.action in (Action.REFRESH, Action.DESTROY):
            return []
        return [
            "--policy-pack",
            "policies",
            "--policy-pack-config",
            f"policies/config/{self.environment}.json",
        ]

    def cli(self) -> str:
        """The equivalent `pulumi` command line, for the dry run and the logs."""
        words = ["pulumi", self.action.value, "--stack", self.stack, *self.policy_args()]
        if self.action is not Action.PREVIEW:
            words += ["--yes", "--skip-preview"] if self.action is Action.UP else ["--yes"]
        return " ".join(words)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class StackResult:
    stack: str
    outcome: Outcome
    seconds: float = 0.0
    summary: str = ""


class StackRunner(Protocol):
    """Runs one stack command to completion; the Automation API in real use, a fake in tests."""

    def __call__(self, command: StackCommand, log_path: Path) -> StackResult: ...


@dataclass
class RunRecord:
    """What `build/ops/<env>/<action>.json` holds: the waves and each stack's outcome."""

    environment: str
    action: str
    waves: list[list[str]]
    outcomes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> RunRecord | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return cls(data["environment"], data["action"], data["waves"], data.get("outcomes", {}))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True))


@dataclass
class Orchestrator:
    environment: str
    action: Action
    waves: Sequence[Wave]
    runner: StackRunner
    state_dir: Path
    jobs: int = 2
    policy_pack: bool = False
    resume: bool = False
    recover: Callable[[StackCommand], bool] | None = None
    """Called when a destroy fails; returns True when it removed something (the drain of what
    controllers left behind), and the destroy is tried once more."""
    progress: TextIO = sys.stderr
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError("jobs must be at least 1")

    @property
    def ordered_waves(self) -> list[Wave]:
        return destroy_order(self.waves) if self.action is Action.DESTROY else list(self.waves)

    @property
    def record_path(self) -> Path:
        return self.state_dir / f"{self.action.value}.json"

    def commands(self) -> list[list[StackCommand]]:
        return [
            [StackCommand(self.environment, s, self.action, self.policy_pack) for s in wave.stacks]
            for wave in self.ordered_waves
        ]

    def dry_run(self) -> str:
        lines = [f"{self.action.value} {self.environment}: {len(self.waves)} waves"]
        total = len(self.ordered_waves)
        for wave, commands in zip(self.ordered_waves, self.commands(), strict=True):
            parallel = f", {min(self.jobs, len(commands))} at a time" if len(commands) > 1 else ""
            lines.append(f"wave {wave.index + 1} of {total} ({wave.label}{parallel}):")
            lines += [f"  {c.cli()}" for c in commands]
        return "\n".join(lines)

    def _say(self, text: str) -> None:
        with self._lock:
            print(text, file=self.progress, flush=True)

    def run(self) -> RunRecord:
        waves = self.ordered_waves
        record = RunRecord(self.environment, self.action.value, [list(w.stacks) for w in waves])
        done: set[str] = set()
        if self.resume:
            previous = RunRecord.load(self.record_path)
            if previous is not None and previous.waves == record.waves:
                done = {s for s, o in previous.outcomes.items() if o == Outcome.SUCCEEDED}
                record.outcomes.update({s: Outcome.SUCCEEDED.value for s in done})
            elif previous is not None:
                self._say("resume: the waves changed since the last run; starting from wave 1")
        logs = self.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        failed = False
        for position, wave in enumerate(waves, start=1):
            todo = [s for s in wave.stacks if s not in done]
            header = f"wave {position}/{len(waves)} ({wave.label})"
            if failed:
                for stack in todo:
                    record.outcomes[stack] = Outcome.SKIPPED.value
                continue
            if not todo:
                self._say(f"{header}: already succeeded, skipped")
                continue
            self._say(f"{header}: {', '.join(todo)}")
            results = self._run_wave(todo, logs, header)
            for result in results:
                record.outcomes[result.stack] = result.outcome.value
            record.save(self.record_path)
            failed = any(r.outcome is Outcome.FAILED for r in results)
        record.save(self.record_path)
        return record

    def _run_wave(self, stacks: list[str], logs: Path, header: str) -> list[StackResult]:
        stop = threading.Event()

        def one(stack: str) -> StackResult:
            if stop.is_set():
                self._say(f"  {stack}: skipped (a stack of this wave failed)")
                return StackResult(stack, Outcome.SKIPPED)
            command = StackCommand(self.environment, stack, self.action, self.policy_pack)
            self._say(f"  {stack}: {self.action.value} started (log {logs / f'{stack}.log'})")
            started = self.clock()
            result = self._attempt(command, logs / f"{stack}.log")
            if (
                result.outcome is Outcome.FAILED
                and self.action is Action.DESTROY
                and self.recover is not None
                and self.recover(command)
            ):
                self._say(f"  {stack}: drained what controllers left behind; destroying again")
                result = self._attempt(command, logs / f"{stack}.log")
            result.seconds = self.clock() - started
            if result.outcome is Outcome.FAILED:
                stop.set()
            detail = f": {result.summary}" if result.summary else ""
            self._say(f"  {stack}: {result.outcome.value} in {result.seconds:.0f}s{detail}")
            return result

        with ThreadPoolExecutor(max_workers=min(self.jobs, len(stacks))) as pool:
            return list(pool.map(one, stacks))

    def _attempt(self, command: StackCommand, log_path: Path) -> StackResult:
        try:
            return self.runner(command, log_path)
        except Exception as exc:  # a runner that breaks fails its stack, not the process
            return StackResult(
                command.stack, Outcome.FAILED, summary=f"{type(exc).__name__}: {exc}"
            )


def stack_workspace(project_dir: Path, work_root: Path, stack: str) -> Path:
    """A workspace folder of the stack's own: links to the project, its stack file, the venv."""
    folder = work_root / stack
    folder.mkdir(parents=True, exist_ok=True)
    names = [*PROJECT_FILES, f"Pulumi.{stack}.yaml", ".venv", "policies"]
    for name in names:
        target = project_dir / name
        link = folder / name
        if target.exists() and not link.exists():
            link.symlink_to(target)
    return folder


def _automation_child(command: StackCommand, work_dir: str, log_path: str) -> int:
    """Runs in a process of its own: one stack, one workspace, output to its log."""
    from pulumi import automation as auto

    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"$ {command.cli()}\n")
        log.flush()

        def out(line: str) -> None:
            log.write(line if line.endswith("\n") else line + "\n")
            log.flush()

        try:
            stack = auto.select_stack(stack_name=command.stack, work_dir=work_dir)
            packs = command.policy_args()
            policy_packs = [str(Path(work_dir) / packs[1])] if packs else None
            policy_configs = [str(Path(work_dir) / packs[3])] if packs else None
            if command.action is Action.PREVIEW:
                stack.preview(
                    on_output=out,
                    color="never",
                    policy_packs=policy_packs,
                    policy_pack_configs=policy_configs,
                )
            elif command.action is Action.UP:
                stack.up(
                    on_output=out,
                    color="never",
                    policy_packs=policy_packs,
                    policy_pack_configs=policy_configs,
                )
            elif command.action is Action.REFRESH:
                stack.refresh(on_output=out, color="never")
            else:
                stack.destroy(on_output=out, color="never")
        except Exception as exc:  # the CLI's error text is in the log already
            out(f"error: {type(exc).__name__}: {exc}")
            return 1
    return 0


class AutomationRunner:
    """The real runner: the Pulumi Automation API, one process and one workspace per stack."""

    def __init__(self, project_dir: Path, state_dir: Path) -> None:
        self.project_dir = project_dir
        self.work_root = state_dir / "work"
        self._context = multiprocessing.get_context("spawn")

    def __call__(self, command: StackCommand, log_path: Path) -> StackResult:
        work_dir = stack_workspace(self.project_dir, self.work_root, command.stack)
        with self._context.Pool(1) as pool:
            code = pool.apply(_automation_child, (command, str(work_dir), str(log_path)))
        if code == 0:
            return StackResult(command.stack, Outcome.SUCCEEDED)
        return StackResult(command.stack, Outcome.FAILED, summary=f"see {log_path}")


def automation_outputs(project_dir: Path) -> Callable[[str], Mapping[str, Any]]:
    """Stack outputs through the Automation API (needs the Pulumi CLI and a login)."""

    def read(stack: str) -> Mapping[str, Any]:
        from pulumi import automation as auto

        selected = auto.select_stack(stack_name=stack, work_dir=str(project_dir))
        return {k: v.value for k, v in selected.outputs().items()}

    return read


def drain_regional_stack(project_dir: Path) -> Callable[[StackCommand], bool]:
    """The recovery of a failed regional destroy: drain the region's controller leftovers."""

    def recover(command: StackCommand) -> bool:
        from meridian_ops.ops.drain import drain

        outputs = automation_outputs(project_dir)(command.stack)
        cluster, region = outputs.get(RegionalKey.CLUSTER_NAME), outputs.get(RegionalKey.REGION)
        if not cluster or not region:
            return False
        import boto3

        report = drain(boto3.Session(), str(region), str(cluster), execute=True)
        return not report.empty

    return recover


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m meridian_ops.ops.orchestrate",
        description="Run preview, up, refresh or destroy over every stack of an environment, in "
        "waves (global, primary region, other regions in parallel, edge; destroy in reverse).",
    )
    parser.add_argument("action", choices=[a.value for a in Action])
    parser.add_argument("--env", default="dev", help="environment (stack files Pulumi.<env>-*)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=4,
        help="stacks of one wave run at the same time (default 4)",
    )
    parser.add_argument(
        "--policy-pack",
        action="store_true",
        help="pass --policy-pack policies with policies/config/<env>.json (preview and up)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print waves and commands only")
    parser.add_argument(
        "--resume", action="store_true", help="skip the stacks the last run of this action did"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where run records, logs and workspaces go (default build/ops/<env>)",
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        waves = waves_for(args.env, PROJECT_DIR)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    state_dir = args.state_dir or PROJECT_DIR / "build" / "ops" / args.env
    orchestrator = Orchestrator(
        environment=args.env,
        action=Action(args.action),
        waves=waves,
        runner=AutomationRunner(PROJECT_DIR, state_dir),
        state_dir=state_dir,
        jobs=args.jobs,
        policy_pack=args.policy_pack,
        resume=args.resume,
        recover=drain_regional_stack(PROJECT_DIR),
    )
    if args.dry_run:
        print(orchestrator.dry_run())
        return 0
    if os.environ.get("CI") is None and sys.stdin.isatty() and args.action == "destroy":
        answer = input(f"destroy every stack of {args.env}? type the environment name: ")
        if answer.strip() != args.env:
            print("aborted", file=sys.stderr)
            return 1
    record = orchestrator.run()
    succeeded = [s for s, o in record.outcomes.items() if o == Outcome.SUCCEEDED]
    failed = [s for s, o in record.outcomes.items() if o == Outcome.FAILED]
    skipped = [s for s, o in record.outcomes.items() if o == Outcome.SKIPPED]
    print(f"{args.action} {args.env}: {len(succeeded)} succeeded: {', '.join(succeeded) or '-'}")
    if failed or skipped:
        print(f"failed: {', '.join(failed) or '-'}; not run: {', '.join(skipped) or '-'}")
        print(f"fix the failure (logs in {state_dir / 'logs'}), then rerun with --resume")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
