"""Times the offline plan of dev and prod and prints resources per second.

    python -m meridian_ops.bench [--repeat 3]      # make bench

Two figures per environment: the whole command as a user runs it (`make plan` without the policy
pack: interpreter start, imports, every stack, files written), and the in-process plan alone
(best of --repeat runs), plus the policy pack's evaluation of all stacks.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from meridian_ops.plan import plan_environment
from stacks.config_source import PROJECT_DIR


def count_resources(plans: dict[str, dict]) -> int:
    return sum(
        1
        for plan in plans.values()
        for step in plan["steps"]
        if step["newState"]["custom"] and not step["newState"]["type"].startswith("pulumi:")
    )


def time_command(env: str, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "meridian_ops.plan",
            "--env",
            env,
            "--out",
            str(out),
            "--no-policies",
            "--quiet",
        ],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="benchmark the offline plan")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--envs", nargs="+", default=["dev", "prod"])
    args = parser.parse_args(argv)
    print(
        f"{'env':6} {'stacks':>6} {'resources':>9} {'command s':>10} {'plan s':>8} "
        f"{'res/s':>8} {'policies s':>10}"
    )
    for env in args.envs:
        out = Path(tempfile.mkdtemp(prefix=f"meridian-bench-{env}-"))
        command = time_command(env, out)
        runs: list[float] = []
        plans: dict[str, dict] = {}
        for _ in range(args.repeat):
            started = time.perf_counter()
            plans = plan_environment(env, out_dir=out)
            runs.append(time.perf_counter() - started)
        best = min(runs)
        resources = count_resources(plans)
        policy_seconds = float("nan")
        try:
            from meridian_ops.policy_eval import evaluate_plan

            started = time.perf_counter()
            for plan in plans.values():
                evaluate_plan(plan)
            policy_seconds = time.perf_counter() - started
        except ImportError:
            pass
        print(
            f"{env:6} {len(plans):6d} {resources:9d} {command:10.2f} {best:8.2f} "
            f"{resources / best:8.0f} {policy_seconds:10.2f}"
            + (
                f"   (plan runs: {', '.join(f'{r:.2f}' for r in runs)}; "
                f"median {statistics.median(runs):.2f})"
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
