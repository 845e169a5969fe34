"""How fast the offline plan is, against the mock engine's own floor.

    python -m meridian_ops.plan.bench [--env prod] [--runs 3] [--jobs N]      # make bench

Two commands, measured as whole processes, in turn (A B A B ...) so that a drift of the shared
machine hits both alike:

- A, what the user sees: `make plan ENV=<env>` as it runs (interpreter start, imports, every
  stack in its waves, plan files, report, architecture page, the policy pack);
- B, the floor: one process that registers the same number of trivial provider resources
  (`aws.ssm.Parameter`, a value and a tag each, one explicit provider) in ONE stack under the
  same mock engine (meridian_ops/plan/engine.py), no Meridian program.

It prints the median, min and max wall time of each, their CPU time and peak memory, and the
ratio A/B: below 1.0, the plan's parallel waves pay for everything Meridian adds per resource.

    python -m meridian_ops.plan.bench floor --count 5000      # the floor process alone

    python -m meridian_ops.plan.bench tests [--runs 3]         # make bench-tests

`tests` times `make test` as a contributor meets it: in a fresh copy of the working tree (its
files, no build/: no cached plans, no stamps) whose virtualenvs are built (the copy links to
this tree's), then `make test` again in that copy with nothing changed (every step skipped by
its stamp). It prints the median, min and max of each over --runs copies, and their CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from stacks.config.source import PROJECT_DIR

FLOOR_TYPE = "aws:ssm/parameter:Parameter"


@dataclass
class Sample:
    wall: float
    cpu: float
    peak_mib: float
    code: int


@dataclass
class Measured:
    label: str
    samples: list[Sample] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    def row_without_count(self) -> str:
        return self.row(0).replace(f"{0:>9}", " " * 9, 1)

    def row(self, resources: int) -> str:
        walls = [s.wall for s in self.samples]
        cpu = statistics.median(s.cpu for s in self.samples)
        peak = max(s.peak_mib for s in self.samples)
        return (
            f"{self.label:<44} {resources:>9} {len(walls):>4} {statistics.median(walls):>8.2f} "
            f"{min(walls):>7.2f} {max(walls):>7.2f} {cpu:>7.2f} {peak:>8.0f}"
        )


def measure(command: list[str], ok: tuple[int, ...] = (0, 1)) -> Sample:
    """Wall time, CPU time (user + sys of the command and every process it waited for) and
    its largest process's peak RSS, from the kernel's accounting of the finished process."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT_DIR, stdout=output, stderr=output)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in ok:  # plan's 1: mandatory violations, still a full run
            output.seek(0)
            sys.stderr.write(output.read()[-3000:].decode(errors="replace"))
            raise SystemExit(f"error: {' '.join(command)} exited {process.returncode}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode)


def plan_command(env: str, out: Path, jobs: int | None) -> list[str]:
    command = [sys.executable, "-m", "meridian_ops.plan", "--env", env, "--out", str(out)]
    command += ["--quiet", "--no-cache"] + ([] if jobs is None else ["--jobs", str(jobs)])
    return command


def floor_command(count: int) -> list[str]:
    return [sys.executable, "-m", "meridian_ops.plan.bench", "floor", "--count", str(count)]


def run_floor(count: int) -> int:
    """Register `count` trivial provider resources in one stack under the mock engine."""
    import pulumi
    import pulumi_aws as aws

    from meridian_ops.plan.engine import run_stack

    def program() -> None:
        provider = aws.Provider("floor", region="us-east-1")
        options = pulumi.ResourceOptions(provider=provider)
        for index in range(count):
            aws.ssm.Parameter(
                f"p{index}", type="String", value=str(index), tags={"k": "v"}, opts=options
            )

    run = run_stack("bench-floor", {}, program, preview=False)
    registered = sum(1 for s in run.steps if s.type == FLOOR_TYPE)
    if registered != count:
        raise SystemExit(f"error: the floor registered {registered} resources, not {count}")
    return 0


LINKED = (".venv", "policies/venv", "tests/crd/node_modules")
"""Built environments a fresh copy links to instead of building them again."""


def fresh_copy(destination: Path) -> Path:
    """A clone of the repository (the plan-diff tests read its history, as in CI's clean clone)
    with the working tree's files over it (meridian_ops/plan/checks.py's list: no build output,
    no caches, no environments) copied with their modification times, the built environments
    linked."""
    from meridian_ops.plan.checks import repository_files

    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(PROJECT_DIR), str(destination)],
        check=True,
    )
    for name in repository_files(PROJECT_DIR):
        source = PROJECT_DIR / name
        if not source.is_symlink():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    for name in LINKED:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        (destination / name).symlink_to((PROJECT_DIR / name).resolve())
    return destination


def make_test_command(tree: Path) -> list[str]:
    """`make test` in a fresh copy. The linked environments are built: make must not build them
    again (--old-file) though the copy's requirement files are newer than their .installed
    markers; it would recreate the linked virtualenvs in place."""
    built = [f"--old-file={name}/.installed" for name in LINKED]
    return ["make", "-C", str(tree), *built, "test"]


def bench_tests(runs: int) -> int:
    first = Measured("make test, fresh copy (venvs built)")
    again = Measured("make test again, nothing changed")
    started = time.perf_counter()
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="meridian-bench-tests-") as scratch:
            command = make_test_command(fresh_copy(Path(scratch)))
            first.samples.append(measure(command, ok=(0,)))
            again.samples.append(measure(command, ok=(0,)))
    print(f"machine: {os.cpu_count()} processors; whole processes, {runs} fresh copies")
    print(
        f"{'command':<44} {'':>9} {'runs':>4} {'median s':>8} {'min s':>7} "
        f"{'max s':>7} {'cpu s':>7} {'peak MiB':>8}"
    )
    print(first.row_without_count())
    print(again.row_without_count())
    print(f"bench took {time.perf_counter() - started:.0f}s")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["tests"]:
        tests = argparse.ArgumentParser(prog="make bench-tests")
        tests.add_argument("--runs", type=int, default=3, help="fresh copies (default 3)")
        return bench_tests(tests.parse_args(argv[1:]).runs)
    if argv[:1] == ["floor"]:
        floor = argparse.ArgumentParser(prog="python -m meridian_ops.plan.bench floor")
        floor.add_argument("--count", type=int, required=True)
        return run_floor(floor.parse_args(argv[1:]).count)
    parser = argparse.ArgumentParser(
        prog="make bench",
        description="The plan command against the mock engine's floor for the same resource "
        "count (whole processes, median of --runs, measured in turn).",
    )
    parser.add_argument("--env", default="prod", help="environment to plan (default: prod)")
    parser.add_argument(
        "--runs", type=int, default=3, help="counted runs of each (default 3, for a median)"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="the plan's worker processes (default: its own)"
    )
    args = parser.parse_args(argv)
    out = Path(tempfile.mkdtemp(prefix=f"meridian-bench-{args.env}-"))
    user = Measured(f"make plan ENV={args.env}" + (f" JOBS={args.jobs}" if args.jobs else ""))
    command = plan_command(args.env, out, args.jobs)
    started = time.perf_counter()
    user.samples.append(measure(command))  # the first run also gives the resource count
    resources = int(json.loads((out / f"{args.env}.json").read_text())["resources"])
    floor = Measured(f"floor: {resources} x aws.ssm.Parameter, 1 stack")
    for index in range(args.runs):
        floor.samples.append(measure(floor_command(resources)))
        if index + 1 < args.runs:
            user.samples.append(measure(command))
    print(f"machine: {os.cpu_count()} processors; whole processes, {args.runs} runs each, in turn")
    print(
        f"{'command':<44} {'resources':>9} {'runs':>4} {'median s':>8} {'min s':>7} "
        f"{'max s':>7} {'cpu s':>7} {'peak MiB':>8}"
    )
    print(user.row(resources))
    print(floor.row(resources))
    ratio = user.median() / floor.median()
    print(
        f"ratio plan / floor (median wall): {ratio:.2f}  "
        f"({'within' if ratio <= 1.0 else 'above'} the goal of 1.0)"
    )
    cpu_above = statistics.median(s.cpu for s in user.samples) - statistics.median(
        s.cpu for s in floor.samples
    )
    print(
        f"CPU above the floor: {cpu_above:.2f}s in all, {1000 * cpu_above / resources:.2f} ms a "
        "resource (the program's components, the policy pack, plan files, report, page)"
    )
    print(f"bench took {time.perf_counter() - started:.0f}s")
    if any(s.code == 1 for s in user.samples):
        print("note: the plan reported mandatory policy violations (exit 1); timings are complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
