"""The offline plan: every stack of an environment, in dependency order, under the mock engine.

    python -m meridian_ops.plan --env prod            # make plan ENV=prod

For each stack it writes build/plan/<stack>.json (the shape of `pulumi preview --json`, see
docs/plan-format.md), prints a summary per stack, draws build/plan/<env>.svg (components and
cross-stack references), evaluates the policy pack on every stack and exits 1 on a mandatory
violation. No credentials, no network.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from meridian_ops.aws_mocks import AwsRejectedError, MotoValidator
from meridian_ops.diagram import render_svg
from meridian_ops.engine import PROJECT, StackRun, run_stack
from stacks.config_source import PROJECT_DIR, PulumiConfigSource, read_stack_file
from stacks.errors import ConfigError, ConfigProblem
from stacks.identity import ENVIRONMENTS, Role, parse_stack_name
from stacks.program import main as program_main
from stacks.settings import load_settings


@dataclass(frozen=True)
class PlannedStack:
    name: str
    role: Role
    region: str | None
    config: dict[str, Any]


def stacks_of(environment: str, project_dir: Path = PROJECT_DIR) -> list[PlannedStack]:
    """The environment's stacks in deployment order: global, regions (manifest order), edge."""
    files = {
        p.name[len("Pulumi.") : -len(".yaml")]: p
        for p in project_dir.glob(f"Pulumi.{environment}-*.yaml")
    }
    if f"{environment}-global" not in files:
        raise ConfigError(
            f"{environment}-*",
            [
                ConfigProblem(
                    f"Pulumi.{environment}-global.yaml",
                    "<missing>",
                    f"environment {environment} has no manifest",
                    f"create it (pulumi stack init {environment}-global) with meridian:owner, "
                    "meridian:costCenter and meridian:regions",
                )
            ],
        )
    global_config = read_stack_file(files[f"{environment}-global"])
    identity = parse_stack_name(f"{environment}-global")
    manifest = load_settings(identity, global_config, global_config).manifest
    problems: list[ConfigProblem] = []
    planned = [PlannedStack(f"{environment}-global", Role.GLOBAL, None, global_config)]
    for region in manifest.regions:
        name = f"{environment}-{region}"
        if name not in files:
            problems.append(
                ConfigProblem(
                    "meridian:regions",
                    region,
                    f"is listed in Pulumi.{environment}-global.yaml but Pulumi.{name}.yaml "
                    "is missing",
                    f"create the stack: pulumi stack init {name} (and commit its file)",
                )
            )
            continue
        planned.append(PlannedStack(name, Role.REGIONAL, region, read_stack_file(files[name])))
    for name in sorted(files):
        ident = parse_stack_name(name)
        if ident.role is Role.REGIONAL and ident.region not in manifest.regions:
            problems.append(
                ConfigProblem(
                    f"Pulumi.{name}.yaml",
                    name,
                    f"is a regional stack for {ident.region}, which meridian:regions does not list",
                    f"add {ident.region} to meridian:regions in Pulumi.{environment}-global.yaml "
                    "or remove the stack file",
                )
            )
    if f"{environment}-edge" in files:
        planned.append(
            PlannedStack(
                f"{environment}-edge",
                Role.EDGE,
                None,
                read_stack_file(files[f"{environment}-edge"]),
            )
        )
    else:
        problems.append(
            ConfigProblem(
                f"Pulumi.{environment}-edge.yaml",
                "<missing>",
                "every environment has an edge stack",
                f"create it: pulumi stack init {environment}-edge",
            )
        )
    if problems:
        raise ConfigError(f"{environment}-*", problems)
    return planned


def to_preview_json(planned: PlannedStack, run: StackRun, environment: str) -> dict[str, Any]:
    steps = [s.to_preview_json() for s in run.steps]
    summary = Counter(s.op for s in run.steps)
    return {
        "project": PROJECT,
        "stack": planned.name,
        "environment": environment,
        "role": planned.role.value,
        "region": planned.region,
        "preview": run.preview,
        "config": planned.config,
        "steps": steps,
        "changeSummary": dict(summary),
        "outputs": run.outputs,
        "diagnostics": run.diagnostics,
        "duration": round(run.seconds, 3),
    }


def summarize(plan: dict[str, Any]) -> str:
    """Resources by component and by type, as text."""
    steps = plan["steps"]
    by_urn = {s["urn"]: s["newState"] for s in steps}
    components: Counter[str] = Counter()
    types: Counter[str] = Counter()
    for state in by_urn.values():
        if not state["custom"] or state["type"].startswith("pulumi:"):
            continue
        types[state["type"]] += 1
        top = state
        while top["parent"] and by_urn.get(top["parent"], {}).get("type") != "pulumi:pulumi:Stack":
            top = by_urn[top["parent"]]
        label = f"{top['type']} {top['urn'].rsplit('::', 1)[-1]}" if top is not state else "(stack)"
        components[label] += 1
    custom = sum(types.values())
    lines = [f"== {plan['stack']}  ({custom} resources, {plan['duration']}s)"]
    lines.append("   by component:")
    lines += [f"     {n:5d}  {label}" for label, n in sorted(components.items())]
    lines.append("   by type:")
    lines += [f"     {n:5d}  {t}" for t, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(lines)


def plan_environment(
    environment: str,
    *,
    out_dir: Path,
    preview: bool = False,
    project_dir: Path = PROJECT_DIR,
) -> dict[str, dict[str, Any]]:
    """Plan every stack of `environment`; returns the plan documents by stack name."""
    MotoValidator.reset()
    planned = stacks_of(environment, project_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    deployed: dict[str, dict[str, Any]] = {}
    plans: dict[str, dict[str, Any]] = {}
    source = PulumiConfigSource(project_dir)

    def program() -> None:
        program_main(source)

    for item in planned:
        run = run_stack(item.name, item.config, program, preview=False, upstream=deployed)
        deployed[item.name] = run.outputs
        if preview:
            # what `pulumi preview` shows once the stacks before it are deployed
            run = run_stack(
                item.name, item.config, program, preview=True, upstream=deployed, validate=False
            )
        document = to_preview_json(item, run, environment)
        (out_dir / f"{item.name}.json").write_text(json.dumps(document, indent=1, sort_keys=True))
        plans[item.name] = document
    (out_dir / f"{environment}.svg").write_text(render_svg(environment, plans))
    return plans


def evaluate_policies(plans: dict[str, dict[str, Any]]) -> tuple[int, str]:
    """(mandatory violation count, report) from the policy pack run on every plan."""
    from meridian_ops.policy_eval import evaluate_plan, format_violations

    mandatory = 0
    reports: list[str] = []
    for name, plan in plans.items():
        violations = evaluate_plan(plan)
        mandatory += sum(1 for v in violations if v.level == "mandatory")
        if violations:
            reports.append(f"-- policy violations in {name}:\n{format_violations(violations)}")
    return mandatory, "\n".join(reports)


def main(argv: list[str] | None = None) -> int:
    return cli_for_project(PROJECT_DIR, argv)


def cli_for_project(project_dir: Path, argv: list[str] | None = None) -> int:
    """The plan command for the stack files in `project_dir`."""
    parser = argparse.ArgumentParser(prog="make plan", description="Offline plan of an environment")
    parser.add_argument("--env", default="dev", choices=ENVIRONMENTS)
    parser.add_argument("--out", type=Path, default=project_dir / "build" / "plan")
    parser.add_argument(
        "--preview",
        action="store_true",
        help="record each stack as `pulumi preview` shows it (computed values unknown)",
    )
    parser.add_argument("--no-policies", action="store_true", help="skip the policy pack")
    parser.add_argument("--quiet", action="store_true", help="only the totals")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        plans = plan_environment(
            args.env, out_dir=args.out, preview=args.preview, project_dir=project_dir
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (pulumi.RunError, AwsRejectedError) as exc:
        print(f"error: the plan of {args.env} failed: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    total = 0
    for plan in plans.values():
        total += sum(
            1
            for s in plan["steps"]
            if s["newState"]["custom"] and not s["newState"]["type"].startswith("pulumi:")
        )
        if not args.quiet:
            print(summarize(plan))
    print(
        f"planned {len(plans)} stacks of {args.env}: {total} resources in {elapsed:.2f}s "
        f"-> {args.out}/ (diagram {args.out}/{args.env}.svg)"
    )
    if args.no_policies:
        return 0
    from meridian_ops.policy_eval import PolicyEvalError

    try:
        mandatory, report = evaluate_policies(plans)
    except PolicyEvalError as exc:
        print(f"error: the policy pack could not evaluate the plan: {exc}", file=sys.stderr)
        return 1
    if report:
        print(report)
    if mandatory:
        print(f"error: {mandatory} mandatory policy violation(s)", file=sys.stderr)
        return 1
    print("policy pack: no mandatory violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
