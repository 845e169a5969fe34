"""CI job matrices: which stacks a change affects, and the deployment waves as JSON.

    python -m meridian_ops.ops.ci_matrix affected --envs dev prod --changed <paths...>  # PRs
    python -m meridian_ops.ops.ci_matrix waves --env prod                       # deploy on main
    python -m meridian_ops.ops.ci_matrix bootstrap --stack prod-eu-west-1 [--plan-dir build/plan]

Both print one JSON object for `fromJSON(...)` in a GitHub Actions matrix: `affected` gives
`{"include": [{"stack": ..., "env": ...}], "any": bool}`; `waves` gives the stacks of each wave by
its role, `{"global": [...], "primary": [...], "regions": [...], "edge": [...]}` (a one-region
environment has no `regions`: an empty list), so a workflow has one job per role, and `runners`,
the runner of each stack. Each entry of `affected` carries its `runner` too.

Runners: a regional stack's jobs run on its region's CodeBuild deploy runner (the EKS API
endpoint is private; components/delivery/deploy_runner.py); `runner` is that CodeBuild project's
name, and the workflow's `runs-on` is `codebuild-<runner>-<run id>-<run attempt>`. Global and
edge stacks have no private endpoint: `runner` is empty and they run on GitHub-hosted runners.

`bootstrap` prints the first `pulumi up` of a regional stack, from a GitHub-hosted runner or a
workstation, before its runner exists: `--target` the deploy runner and every resource it depends
on (network, keys, the cluster and its access entries; AWS API calls only, no Kubernetes object),
read from the stack's offline plan (`make plan` writes build/plan/<stack>.json). The waves are the
ones `meridian_ops/plan/waves.py` computes (the same the offline plan and the orchestrator
use), so a CI matrix of one job per stack deploys in the same order as `make up`.

What a changed path affects:
- `Pulumi.<stack>.yaml` of a regional or edge stack: that stack;
- the environment manifest `Pulumi.<env>-global.yaml`: every stack of the environment (each reads
  the manifest);
- the program (`__main__.py`, `components/`, `stacks/`, `requirements.txt`, `Pulumi.yaml`) or the
  policy pack (`policies/`): every stack;
- anything else (docs, tests, tooling): nothing to preview.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from components.common.naming import Names
from components.delivery import runner_project_name
from meridian_ops.plan.waves import Wave, waves_for
from stacks.config.source import PROJECT_DIR
from stacks.identity import Role, parse_stack_name

PROGRAM_PATHS = ("__main__.py", "Pulumi.yaml", "requirements.txt")
PROGRAM_DIRS = ("components/", "stacks/", "policies/")


def affected_stacks(environment: str, stacks: Sequence[str], changed: Iterable[str]) -> list[str]:
    """The stacks of `environment` (in deployment order) that a change to `changed` affects."""
    hit: set[str] = set()
    for path in changed:
        path = path.removeprefix("./")
        if path in PROGRAM_PATHS or path.startswith(PROGRAM_DIRS):
            return list(stacks)
        if path == f"Pulumi.{environment}-global.yaml":
            return list(stacks)
        name = Path(path).name
        if name.startswith("Pulumi.") and name.endswith(".yaml") and "/" not in path:
            stack = name[len("Pulumi.") : -len(".yaml")]
            if stack in stacks:
                hit.add(stack)
    return [s for s in stacks if s in hit]


def wave_matrix(waves: Sequence[Wave]) -> dict[str, list[str]]:
    """The stacks of each wave by role: one CI job (a matrix over its stacks) per key."""
    matrix: dict[str, list[str]] = {"global": [], "primary": [], "regions": [], "edge": []}
    for wave in waves:
        key = "primary" if wave.label.startswith("primary") else wave.label
        if key not in matrix:
            raise ValueError(f"wave {wave} has no CI job (label {wave.label!r})")
        matrix[key] += list(wave.stacks)
    return matrix


RUNNER_COMPONENT = "meridian:delivery:DeployRunner"
ADMISSION_TYPES = (
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
)


def runner_for(stack: str) -> str:
    """The deploy runner (CodeBuild project) a stack's jobs run on; empty: GitHub-hosted."""
    identity = parse_stack_name(stack)
    if identity.role is not Role.REGIONAL or identity.region is None:
        return ""
    return runner_project_name(Names(identity.environment, identity.region))


def bootstrap_targets(plan: dict[str, Any]) -> list[str]:
    """The URNs a first `pulumi up --target` must create for the stack's deploy runner to exist:
    the runner, its children, the cluster's access entries (the deployer's among them) and
    everything they depend on, in plan order. Raises ValueError if
    the plan has no runner or the closure holds a Kubernetes object (unreachable from outside)."""
    states = {s["urn"]: s["newState"] for s in plan["steps"]}
    roots = [u for u, s in states.items() if s["type"] == RUNNER_COMPONENT]
    if not roots:
        raise ValueError(f"{plan.get('stack')}: no {RUNNER_COMPONENT} in the plan")
    wanted = set(roots) | {u for u, s in states.items() if s.get("parent") in roots}
    # and the access entries that let the deployer (the identity of the runner's jobs) in
    wanted |= {u for u, s in states.items() if s["type"] in ADMISSION_TYPES}
    todo = list(wanted)
    while todo:
        state = states.get(todo.pop())
        if state is None:
            continue
        for dep in [*state.get("dependencies", []), state.get("parent") or ""]:
            if dep in states and dep not in wanted and states[dep]["type"] != "pulumi:pulumi:Stack":
                wanted.add(dep)
                todo.append(dep)
    kube = sorted(u for u in wanted if states[u]["type"].startswith("kubernetes:"))
    if kube:
        raise ValueError(f"the deploy runner depends on Kubernetes objects: {kube}")
    return [u for u in states if u in wanted]


def bootstrap_command(plan: dict[str, Any], organization: str = "<org>") -> str:
    """The `pulumi up --target ...` command that creates a regional stack's deploy runner."""
    targets = " ".join(f"--target '{u}'" for u in bootstrap_targets(plan))
    return f"pulumi up --stack {organization}/{plan['stack']} --policy-pack policies {targets}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m meridian_ops.ops.ci_matrix")
    sub = parser.add_subparsers(dest="command", required=True)
    affected = sub.add_parser("affected", help="stacks a change affects, in deployment order")
    affected.add_argument("--envs", nargs="+", required=True)
    affected.add_argument("--changed", nargs="*", default=[], help="changed paths")
    waves = sub.add_parser("waves", help="the deployment waves")
    waves.add_argument("--env", required=True)
    boot = sub.add_parser("bootstrap", help="first `pulumi up` of a regional stack's runner")
    boot.add_argument("--stack", required=True)
    boot.add_argument("--plan-dir", type=Path, default=PROJECT_DIR / "build" / "plan")
    boot.add_argument("--org", default="<org>", help="Pulumi organization")
    args = parser.parse_args(argv)
    if args.command == "waves":
        matrix: dict[str, Any] = dict(wave_matrix(waves_for(args.env, PROJECT_DIR)))
        matrix["runners"] = {s: runner_for(s) for role in list(matrix) for s in matrix[role]}
        print(json.dumps(matrix))
        return 0
    if args.command == "bootstrap":
        path = args.plan_dir / f"{args.stack}.json"
        if not path.exists():
            print(f"no plan at {path}: run `make plan ENV=<env>` first", file=sys.stderr)
            return 2
        print(bootstrap_command(json.loads(path.read_text()), args.org))
        return 0
    include: list[dict[str, str]] = []
    for environment in args.envs:
        stacks = [s for w in waves_for(environment, PROJECT_DIR) for s in w.stacks]
        for stack in affected_stacks(environment, stacks, args.changed):
            include.append({"stack": stack, "env": environment, "runner": runner_for(stack)})
    print(json.dumps({"include": include, "any": bool(include)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
