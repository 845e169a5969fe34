"""The environment orchestrator with the Automation API replaced by a fake runner."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from meridian_ops.ops.orchestrate import (
    Action,
    Orchestrator,
    Outcome,
    StackCommand,
    StackResult,
    main,
    stack_workspace,
)
from meridian_ops.plan.waves import Wave, waves_for
from stacks.config.source import PROJECT_DIR
from tests.plans import PROD_REGIONS


class FakeRunner:
    """Records calls and the most stacks ever running at once; fails the stacks it is told to."""

    def __init__(self, fail: set[str] | None = None, delay: float = 0.0) -> None:
        self.fail = fail or set()
        self.delay = delay
        self.calls: list[StackCommand] = []
        self.running = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, command: StackCommand, log_path: Path) -> StackResult:
        with self._lock:
            self.calls.append(command)
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(self.delay)
        log_path.write_text(f"{command.cli()}\n")
        with self._lock:
            self.running -= 1
        if command.stack in self.fail:
            return StackResult(command.stack, Outcome.FAILED, summary="boom")
        return StackResult(command.stack, Outcome.SUCCEEDED)


def orchestrator(
    tmp_path: Path, runner: FakeRunner, action: Action = Action.UP, **kwargs: object
) -> Orchestrator:
    return Orchestrator(
        environment="prod",
        action=action,
        waves=waves_for("prod"),
        runner=runner,
        state_dir=tmp_path,
        progress=io.StringIO(),
        **kwargs,  # type: ignore[arg-type]
    )


def test_prod_has_four_waves_from_the_references() -> None:
    waves = waves_for("prod")
    assert [w.stacks for w in waves] == [
        ("prod-global",),
        (f"prod-{PROD_REGIONS[0]}",),
        tuple(f"prod-{r}" for r in PROD_REGIONS[1:]),
        ("prod-edge",),
    ]


def test_up_runs_waves_in_order(tmp_path: Path) -> None:
    runner = FakeRunner()
    record = orchestrator(tmp_path, runner, jobs=3).run()
    order = [c.stack for c in runner.calls]
    assert order[0] == "prod-global"
    assert order[1] == f"prod-{PROD_REGIONS[0]}"
    assert set(order[2:-1]) == {f"prod-{r}" for r in PROD_REGIONS[1:]}
    assert order[-1] == "prod-edge"
    assert set(record.outcomes.values()) == {Outcome.SUCCEEDED.value}


def test_destroy_runs_the_waves_backwards(tmp_path: Path) -> None:
    runner = FakeRunner()
    orchestrator(tmp_path, runner, action=Action.DESTROY).run()
    order = [c.stack for c in runner.calls]
    assert order[0] == "prod-edge"
    assert order[-2] == f"prod-{PROD_REGIONS[0]}"
    assert order[-1] == "prod-global"
    assert all(c.action is Action.DESTROY for c in runner.calls)


def test_parallelism_is_bounded_by_jobs(tmp_path: Path) -> None:
    runner = FakeRunner(delay=0.05)
    orchestrator(tmp_path, runner, jobs=3).run()
    assert runner.peak == 3


def test_a_failure_stops_the_wave_and_every_later_wave(tmp_path: Path) -> None:
    failing = f"prod-{PROD_REGIONS[1]}"
    runner = FakeRunner(fail={failing})
    record = orchestrator(tmp_path, runner, jobs=1).run()
    assert record.outcomes[failing] == Outcome.FAILED.value
    assert record.outcomes["prod-edge"] == Outcome.SKIPPED.value
    # jobs=1: the regions after the failed one in its wave never started
    later = [f"prod-{r}" for r in PROD_REGIONS[2:]]
    assert all(record.outcomes[s] == Outcome.SKIPPED.value for s in later)
    assert "prod-edge" not in [c.stack for c in runner.calls]


def test_resume_starts_at_the_failed_wave_and_skips_what_succeeded(tmp_path: Path) -> None:
    failing = f"prod-{PROD_REGIONS[3]}"
    first = FakeRunner(fail={failing})
    orchestrator(tmp_path, first, jobs=2).run()
    second = FakeRunner()
    record = orchestrator(tmp_path, second, jobs=2, resume=True).run()
    rerun = {c.stack for c in second.calls}
    assert "prod-global" not in rerun
    assert f"prod-{PROD_REGIONS[0]}" not in rerun
    assert failing in rerun
    assert "prod-edge" in rerun
    assert set(record.outcomes.values()) == {Outcome.SUCCEEDED.value}


def test_resume_with_changed_waves_starts_over(tmp_path: Path) -> None:
    orchestrator(tmp_path, FakeRunner()).run()
    runner = FakeRunner()
    Orchestrator(
        environment="prod",
        action=Action.UP,
        waves=[Wave(0, "global", ("prod-global",))],
        runner=runner,
        state_dir=tmp_path,
        progress=io.StringIO(),
        resume=True,
    ).run()
    assert [c.stack for c in runner.calls] == ["prod-global"]


def test_a_runner_that_raises_fails_its_stack(tmp_path: Path) -> None:
    def broken(command: StackCommand, log_path: Path) -> StackResult:
        raise RuntimeError("the CLI is not installed")

    record = Orchestrator(
        environment="prod",
        action=Action.PREVIEW,
        waves=waves_for("prod"),
        runner=broken,
        state_dir=tmp_path,
        progress=io.StringIO(),
    ).run()
    assert record.outcomes["prod-global"] == Outcome.FAILED.value
    assert record.outcomes["prod-edge"] == Outcome.SKIPPED.value


def test_policy_pack_flags_only_for_preview_and_up() -> None:
    up = StackCommand("prod", "prod-global", Action.UP, policy_pack=True).cli()
    assert "--policy-pack policies --policy-pack-config policies/config/prod.json" in up
    destroy = StackCommand("prod", "prod-global", Action.DESTROY, policy_pack=True).cli()
    assert "--policy-pack" not in destroy


def test_dry_run_prints_four_waves_and_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "--env", "prod", "--dry-run", "--policy-pack"]) == 0
    out = capsys.readouterr().out
    assert out.count("\nwave ") == 4
    assert f"pulumi up --stack prod-{PROD_REGIONS[5]} --policy-pack policies" in out
    assert "wave 3 of 4 (regions, 4 at a time)" in out


def test_dry_run_destroy_is_reversed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["destroy", "--env", "prod", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.index("prod-edge") < out.index("prod-eu-west-1") < out.index("prod-global")


def test_bad_environment_config_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "--env", "staging-nope", "--dry-run"]) in (2, 1)


def test_each_stack_gets_a_workspace_of_its_own(tmp_path: Path) -> None:
    a = stack_workspace(PROJECT_DIR, tmp_path, "prod-global")
    b = stack_workspace(PROJECT_DIR, tmp_path, "prod-us-east-1")
    assert a != b
    assert (a / "Pulumi.yaml").resolve() == PROJECT_DIR / "Pulumi.yaml"
    assert (a / "Pulumi.prod-global.yaml").exists()
    assert not (a / "Pulumi.prod-us-east-1.yaml").exists()


def test_a_blocked_destroy_is_drained_and_retried_once(tmp_path: Path) -> None:
    blocked = f"prod-{PROD_REGIONS[2]}"

    class BlockedOnce(FakeRunner):
        def __call__(self, command: StackCommand, log_path: Path) -> StackResult:
            result = super().__call__(command, log_path)
            if command.stack == blocked and [c.stack for c in self.calls].count(blocked) == 1:
                return StackResult(blocked, Outcome.FAILED, summary="DependencyViolation")
            return result

    drained: list[str] = []

    def recover(command: StackCommand) -> bool:
        drained.append(command.stack)
        return True

    runner = BlockedOnce()
    record = orchestrator(tmp_path, runner, action=Action.DESTROY, recover=recover).run()
    assert drained == [blocked]
    assert [c.stack for c in runner.calls].count(blocked) == 2
    assert record.outcomes[blocked] == Outcome.SUCCEEDED.value
