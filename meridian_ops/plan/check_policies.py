"""Check saved plans against the Meridian policy pack, offline.

    python -m meridian_ops.plan.check_policies build/plan/<stack>.json [more files] [--env ENV]

Prints every violation (resource URN, policy, enforcement level, message with the fix) and exits
1 when any plan has a mandatory violation, 0 otherwise, 2 when a plan or the policy config cannot
be read. Each plan is evaluated with ``policies/config/<environment>.json`` where the environment
is the plan's ``environment`` unless ``--env`` overrides it. Several plans are evaluated in
parallel processes (``--jobs``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meridian_ops.plan.policy_eval import (
    PolicyEvalError,
    Violation,
    evaluate_plan,
    format_violations,
)
from meridian_ops.plan.report import count_resources

EXIT_OK = 0
EXIT_MANDATORY = 1
EXIT_ERROR = 2


@dataclass
class PlanResult:
    path: str
    stack: str = ""
    env: str = ""
    resources: int = 0
    violations: list[Violation] = field(default_factory=list)
    error: str = ""


def load_plan(path: Path) -> dict[str, Any]:
    """Read a plan file; raises PolicyEvalError with a one-line reason."""
    if not path.exists():
        raise PolicyEvalError(f"plan file not found: {path} (run `make plan ENV=<env>` first)")
    if not path.is_file():
        raise PolicyEvalError(f"not a file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise PolicyEvalError(f"{path} is not a UTF-8 text file") from None
    except json.JSONDecodeError as exc:
        raise PolicyEvalError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise PolicyEvalError(
            f"{path} is not a Meridian plan file: expected an object with a `steps` list "
            "(see docs/plan-format.md)"
        )
    return data


def check_file(path: str, env: str | None = None) -> PlanResult:
    result = PlanResult(path=path)
    try:
        plan = load_plan(Path(path))
        result.stack = str(plan.get("stack", ""))
        result.env = str(env or plan.get("environment") or "")
        # counted as `make plan` counts them (cloud resources; not the stack, providers,
        # components or stack references): the two commands print the same number
        result.resources = count_resources(plan)
        result.violations = evaluate_plan(plan, env)
    except PolicyEvalError as exc:
        result.error = str(exc)
    return result


def _check_all(paths: list[str], env: str | None, jobs: int) -> list[PlanResult]:
    if jobs <= 1 or len(paths) <= 1:
        return [check_file(p, env) for p in paths]
    with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
        return list(pool.map(check_file, paths, [env] * len(paths)))


def report(results: list[PlanResult]) -> tuple[str, str, int]:
    """The report (stdout), the errors (stderr) and the exit code."""
    lines: list[str] = []
    errors: list[str] = []
    code = EXIT_OK
    for result in results:
        if result.error:
            errors.append(f"error: {result.error}\n")
            code = EXIT_ERROR
            continue
        mandatory = sum(1 for v in result.violations if v.level == "mandatory" and not v.unknown)
        lines.append(
            f"== {result.path}: stack {result.stack}, policy config {result.env}, "
            f"{result.resources} resources, {mandatory} mandatory violation(s)"
        )
        lines.append(format_violations(result.violations))
        lines.append("")
        if mandatory and code == EXIT_OK:
            code = EXIT_MANDATORY
    text = "\n".join(lines).rstrip() + "\n" if lines else ""
    return text, "".join(errors), code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m meridian_ops.plan.check_policies",
        description="Evaluate the Meridian policy pack against saved plan files.",
    )
    parser.add_argument("plans", nargs="+", metavar="PLAN", help="build/plan/<stack>.json")
    parser.add_argument(
        "--env", help="policy config to use (policies/config/<env>.json); default: the plan's"
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="plans evaluated in parallel"
    )
    args = parser.parse_args(argv)
    text, errors, code = report(_check_all(list(args.plans), args.env, args.jobs))
    sys.stdout.write(text)
    sys.stderr.write(errors)
    return code


if __name__ == "__main__":
    sys.exit(main())
