"""CI job matrices: which stacks a change affects, and the deployment waves as JSON.

    python -m meridian_ops.ci_matrix affected --envs dev prod --changed <paths...>  # PR previews
    python -m meridian_ops.ci_matrix waves --env prod                              # deploy on main

Both print one JSON object for `fromJSON(...)` in a GitHub Actions matrix: `affected` gives
`{"include": [{"stack": ..., "env": ...}], "any": bool}`; `waves` gives the stacks of each wave by
its role, `{"global": [...], "primary": [...], "regions": [...], "edge": [...]}` (a one-region
environment has no `regions`: an empty list), so a workflow has one job per role. The waves are the
ones `meridian_ops/waves.py` computes (the same the offline plan and the orchestrator use), so a
CI matrix of one job per stack deploys in the same order as `make up`.

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

from meridian_ops.waves import Wave, waves_for
from stacks.config_source import PROJECT_DIR

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m meridian_ops.ci_matrix")
    sub = parser.add_subparsers(dest="command", required=True)
    affected = sub.add_parser("affected", help="stacks a change affects, in deployment order")
    affected.add_argument("--envs", nargs="+", required=True)
    affected.add_argument("--changed", nargs="*", default=[], help="changed paths")
    waves = sub.add_parser("waves", help="the deployment waves")
    waves.add_argument("--env", required=True)
    args = parser.parse_args(argv)
    if args.command == "waves":
        print(json.dumps(wave_matrix(waves_for(args.env, PROJECT_DIR))))
        return 0
    include: list[dict[str, str]] = []
    for environment in args.envs:
        stacks = [s for w in waves_for(environment, PROJECT_DIR) for s in w.stacks]
        for stack in affected_stacks(environment, stacks, args.changed):
            include.append({"stack": stack, "env": environment})
    print(json.dumps({"include": include, "any": bool(include)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
