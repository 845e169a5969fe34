"""The offline plan: every stack of an environment, in its deploy waves, under the mock engine.

    python -m meridian_ops.plan --env prod [--preview] [--jobs N]     # make plan ENV=prod

The config gate judges every stack file first. Then the stacks run wave by wave
(meridian_ops/plan/waves.py: global, the primary region, the other regions, edge), the stacks of a
wave in parallel worker processes forked from this one. For each stack it writes
build/plan/<stack>.json (the shape of `pulumi preview --json`, docs/plan-format.md) and the
policy pack evaluates it; then it prints one table for the environment
(meridian_ops/plan/report.py), writes build/plan/<env>.json (the summary for CI) and
build/plan/<env>.html (the architecture page, meridian_ops/plan/architecture_page.py), and exits
1 on a mandatory violation, 2 on invalid config. No credentials, no network.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import pickle
import shutil
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.runtime.rpc import UNKNOWN

from meridian_ops.plan.aws_mocks import AwsRejectedError, MotoValidator
from meridian_ops.plan.engine import PROJECT, StackRun, run_stack
from meridian_ops.plan.report import is_counted
from meridian_ops.plan.waves import Wave, plan_waves, undeclared_reads
from stacks.config.errors import ConfigError
from stacks.config.gate import gate_environment
from stacks.config.source import PROJECT_DIR, PulumiConfigSource, masked
from stacks.identity import ENVIRONMENTS, Role
from stacks.program import main as program_main

if TYPE_CHECKING:
    from meridian_ops.plan.policy_eval import Violation

BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})


@dataclass(frozen=True)
class PlannedStack:
    name: str
    role: Role
    region: str | None
    config: dict[str, Any]


def stacks_of(environment: str, project_dir: Path = PROJECT_DIR) -> list[PlannedStack]:
    """The environment's stacks in deployment order: global, regions (manifest order), edge.

    The config gate (stacks/config/gate.py) judges every stack file first and raises one
    ConfigError listing every problem of every file, before anything is planned or written."""
    checked = gate_environment(environment, project_dir)
    # The offline plan cannot decrypt a secret: the program gets the placeholder, so neither the
    # ciphertext nor a value derived from it reaches a plan file.
    return [
        PlannedStack(s.name, s.identity.role, s.identity.region, masked(s.config))
        for s in checked.stacks
    ]


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
        "config": masked(planned.config),  # a secret shows as [secret], as in pulumi preview
        "steps": steps,
        "changeSummary": dict(summary),
        "outputs": run.outputs,
        "stackReads": run.stack_reads,
        "diagnostics": run.diagnostics,
    }


def summarize(plan: dict[str, Any], seconds: float | None = None) -> str:
    """Resources by component and by type, as text (`--detail`), with the seconds the stack's
    plan took when given (timing stays out of the plan file, which is the same in every run)."""
    steps = plan["steps"]
    by_urn = {s["urn"]: s["newState"] for s in steps}
    components: Counter[str] = Counter()
    types: Counter[str] = Counter()
    for state in by_urn.values():
        if not is_counted(state):
            continue
        types[state["type"]] += 1
        top = state
        while top["parent"] and by_urn.get(top["parent"], {}).get("type") != "pulumi:pulumi:Stack":
            top = by_urn[top["parent"]]
        label = f"{top['type']} {top['urn'].rsplit('::', 1)[-1]}" if top is not state else "(stack)"
        components[label] += 1
    custom = sum(types.values())
    took = f", {seconds:.3f}s" if seconds is not None else ""
    lines = [f"== {plan['stack']}  ({custom} resources{took})"]
    lines.append("   by component:")
    lines += [f"     {n:5d}  {label}" for label, n in sorted(components.items())]
    lines.append("   by type:")
    lines += [f"     {n:5d}  {t}" for t, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(lines)


# --- planning an environment: waves, worker processes -------------------------------------


def default_jobs() -> int:
    """The processors this process may run on (os.process_cpu_count() from Python 3.13)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass
class EnvironmentRun:
    """What planning an environment produced."""

    plans: dict[str, dict[str, Any]]  # stack -> plan document, in deployment order
    waves: list[Wave]
    violations: dict[str, list[Violation]] | None  # None: the policy pack did not run
    policies_enabled: int | None
    seconds: float
    durations: dict[str, float] = field(default_factory=dict)  # stack -> seconds its plan took
    started: float = 0.0  # time.time() when the plan began


@dataclass(frozen=True)
class _Task:
    item: PlannedStack
    environment: str
    upstream: dict[str, dict[str, Any]]
    preview: bool
    project_dir: Path
    out_dir: Path
    policies: bool
    deployed: dict[str, Any] | None = None  # the stack's outputs as deployed (preview only)


@dataclass
class _Result:
    name: str
    document: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None  # the stack's outputs once deployed (up mode)
    violations: list[Violation] | None = None
    error: BaseException | None = None
    seconds: float = 0.0


def _plan_stack(task: _Task) -> _Result:
    """Plan one stack (and its preview), write its plan file."""
    item = task.item
    source = PulumiConfigSource(task.project_dir)

    def program() -> None:
        program_main(source)

    run: StackRun | None = None
    if task.preview and task.deployed is not None:
        outputs = task.deployed  # deployed already: its outputs are known, no up run needed
    else:
        run = run_stack(item.name, item.config, program, preview=False, upstream=task.upstream)
        outputs = run.outputs
    if task.preview:
        # what `pulumi preview` shows once the stacks before it are deployed
        upstream = {**task.upstream, item.name: outputs}
        run = run_stack(
            item.name, item.config, program, preview=True, upstream=upstream, validate=False
        )
    assert run is not None
    document = to_preview_json(item, run, task.environment)
    write_plan_file(task.out_dir / f"{item.name}.json", document)
    return _Result(item.name, document, outputs, seconds=run.seconds)


def write_plan_file(path: Path, document: dict[str, Any]) -> None:
    """The plan as JSON, keys sorted, one step per line: diffable by resource, and written by
    the C encoder (json's indenting encoder is pure Python: a third of a second per thousand
    resources)."""
    lines = ["{"]
    keys = sorted(document)
    for index, key in enumerate(keys):
        comma = "," if index < len(keys) - 1 else ""
        value = document[key]
        if key == "steps" and isinstance(value, list) and value:
            lines.append(f"{json.dumps(key)}: [")
            lines += [json.dumps(step, sort_keys=True) + "," for step in value[:-1]]
            lines.append(json.dumps(value[-1], sort_keys=True))
            lines.append(f"]{comma}")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, sort_keys=True)}{comma}")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")


WORKER_GARBAGE_MIB = 120
"""How far a worker's resident memory may grow past what it had when forked before it collects."""


def _resident_mib() -> float:
    """This process's resident memory (Linux /proc; elsewhere 0: never collect early)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


_forked_mib: list[float] = []  # a worker's resident memory when its first job started


def _in_worker(job: Any, *args: Any) -> Any:
    """Run one job in a worker process. Errors travel back as values (an exception that does
    not pickle as itself becomes a RuntimeError).

    The cyclic collector is off in the plan command and its workers (cli_for_project): a stack's
    run leaves its cyclic garbage (the SDK's Outputs, tasks and closures; about 35 MiB a
    regional stack), and collecting it costs about half a second of CPU a stack, most of it
    freeing the memory. A worker collects only once its memory has grown WORKER_GARBAGE_MIB past
    what it was forked with: its peak stays bounded however many stacks it plans (the number of
    regions), for about one collection per worker in a prod plan."""
    if not _forked_mib:
        _forked_mib.append(_resident_mib())
    try:
        return job(*args)
    except Exception as exc:
        try:
            error: BaseException = pickle.loads(pickle.dumps(exc))
        except Exception:
            error = RuntimeError(f"{type(exc).__name__}: {exc}")
        return error
    finally:
        if _resident_mib() - _forked_mib[0] > WORKER_GARBAGE_MIB:
            gc.collect()


def _evaluate_job(path: Path) -> list[Violation]:
    """The policy pack on a plan file a worker wrote: read back from the file, which is cheaper
    than sending the document to a worker (the task queue pickles it in this process)."""
    from meridian_ops.plan.policy_eval import evaluate_plan

    return evaluate_plan(json.loads(path.read_text()))


def _fork_pool(processes: int) -> Any:
    """Worker processes forked from this one: they start with every module this process has
    imported and the state it has built (moto's region data, the lazily loaded pulumi_aws
    modules), so a worker starts planning at once. Forking is safe here: this process runs a
    single thread when it forks (run_stack joins the SDK's executor threads before it returns,
    and engine.InProcessCallbacks keeps gRPC from starting its server threads). The
    `forkserver` context was tried (a server preloading meridian_ops.plan.cli, started at the
    beginning of the run): its workers import and warm up again, and in the trial its pool
    never finished the regional wave, so fork it is."""
    gc.collect()  # the earlier waves' garbage: not inherited, not kept here
    gc.freeze()  # the inherited heap stays shared: the workers' collector leaves it alone
    try:
        return multiprocessing.get_context("fork").Pool(processes=processes)
    finally:
        gc.unfreeze()


def check_global_names(plans: dict[str, dict[str, Any]]) -> None:
    """Names AWS keeps unique across regions, checked across the whole environment: S3 bucket
    names (one namespace per partition). Stacks planned in different worker processes each see
    only their own emulated S3, so the environment-wide check runs here, on the plans."""
    owners: dict[str, str] = {}
    for name, plan in plans.items():
        for step in plan["steps"]:
            state = step["newState"]
            if state["type"] not in BUCKET_TYPES:
                continue
            bucket = state["inputs"].get("bucket")
            if not isinstance(bucket, str) or bucket == UNKNOWN:
                continue
            if bucket in owners and owners[bucket] != name:
                raise AwsRejectedError(
                    f"AWS rejects {state['type']} '{state['urn'].rsplit('::', 1)[-1]}' of stack "
                    f"{name}: BucketAlreadyExists: bucket name {bucket!r} is already used by "
                    f"stack {owners[bucket]}; bucket names are unique across every region"
                )
            owners[bucket] = name


def run_environment(
    environment: str,
    *,
    out_dir: Path,
    preview: bool = False,
    project_dir: Path = PROJECT_DIR,
    jobs: int | None = None,
    policies: bool = False,
    deployed: dict[str, dict[str, Any]] | None = None,
) -> EnvironmentRun:
    """Plan every stack of `environment`, wave by wave (meridian_ops/plan/waves.py): a wave of one
    stack in this process, a wave of several in up to `jobs` forked worker processes (default:
    the processors available). With `policies`, the policy pack evaluates every plan. Results
    do not depend on `jobs`. With `preview`, `deployed` (stack -> outputs, e.g. from an earlier
    up-mode plan) stands for the deployed stacks, so no stack is planned in up mode first.

    The critical path is the chain of waves (global, the primary region, one region, edge), so
    nothing else waits on it: the workers are forked after the first wave, and the policy pack
    runs as separate jobs in them, queued behind the plans (a stack's evaluation never delays
    the next wave, which needs only its outputs). While this process plans the primary region
    a worker evaluates the global stack; while it plans the edge the workers evaluate the last
    regions. With `jobs` 1 everything runs here, the evaluations at the end."""
    started, began = time.perf_counter(), time.time()
    planned = stacks_of(environment, project_dir)
    MotoValidator.reset()
    waves = plan_waves(planned)
    jobs = max(1, jobs if jobs is not None else default_jobs())
    widest = max(len(w.stacks) for w in waves)
    by_name = {p.name: p for p in planned}
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs_of: dict[str, dict[str, Any]] = {}  # stack -> outputs once deployed
    results: dict[str, _Result] = {}
    evaluations: dict[str, Any] = {}  # stack -> its evaluation in a worker
    pool: Any = None

    def evaluate(result: _Result) -> None:
        if not policies or result.document is None:
            return
        if pool is not None:
            path = out_dir / f"{result.name}.json"
            evaluations[result.name] = pool.apply_async(_in_worker, (_evaluate_job, path))

    def raised(value: Any) -> Any:
        if isinstance(value, BaseException):
            raise value
        return value

    try:
        for wave in waves:
            if pool is None and len(wave.stacks) > 1 and jobs > 1:
                pool = _fork_pool(min(jobs, widest))
            tasks = [
                _Task(
                    by_name[name],
                    environment,
                    dict(outputs_of),
                    preview,
                    project_dir,
                    out_dir,
                    policies,
                    (deployed or {}).get(name) if preview else None,
                )
                for name in wave.stacks
            ]
            if len(tasks) > 1 and pool is not None:
                pending = [pool.apply_async(_in_worker, (_plan_stack, task)) for task in tasks]
                for earlier in results.values():  # planned here before the workers existed
                    if earlier.name not in evaluations:
                        evaluate(earlier)
                done = []
                for job in pending:
                    outcome = job.get()
                    if isinstance(outcome, BaseException):  # the first failure in order
                        raise outcome
                    done.append(outcome)
                    evaluate(outcome)  # queued behind the wave's remaining plans
            else:
                done = [_plan_stack(task) for task in tasks]
                for result in done:
                    evaluate(result)
                if pool is None and jobs > 1 and widest > 1:
                    # The workers are forked from this process later and start at its size: a
                    # stack's cyclic garbage collected now leaves room the next stack reuses,
                    # instead of pages every worker starts with (measured: 37 MiB less at fork).
                    gc.collect()
            for result in done:
                assert result.outputs is not None
                outputs_of[result.name] = result.outputs
                results[result.name] = result
        for name, job in evaluations.items():
            results[name].violations = raised(job.get())
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    if policies and pool is None:
        from meridian_ops.plan.policy_eval import evaluate_plan

        for result in results.values():
            assert result.document is not None
            result.violations = evaluate_plan(result.document)
    plans = {p.name: results[p.name].document for p in planned}
    documents = {name: doc for name, doc in plans.items() if doc is not None}
    check_global_names(documents)
    undeclared = undeclared_reads(planned, documents)
    if undeclared:
        raise pulumi.RunError(
            "stack references outside the deploy waves:\n  " + "\n  ".join(undeclared)
        )
    violations = {name: results[name].violations or [] for name in documents} if policies else None
    return EnvironmentRun(
        plans=documents,
        waves=waves,
        violations=violations,
        policies_enabled=enabled_policies(environment) if policies else None,
        seconds=time.perf_counter() - started,
        durations={name: results[name].seconds for name in documents},
        started=began,
    )


def plan_environment(
    environment: str,
    *,
    out_dir: Path,
    preview: bool = False,
    project_dir: Path = PROJECT_DIR,
    jobs: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Plan every stack of `environment`; returns the plan documents by stack name."""
    return run_environment(
        environment, out_dir=out_dir, preview=preview, project_dir=project_dir, jobs=jobs
    ).plans


def enabled_policies(environment: str) -> int:
    """How many policies of the pack run for the environment (its pack config's levels)."""
    from meridian_ops.plan.policy_eval import (
        load_policy_config,
        make_servicer,
        reconcile_config,
    )

    info = make_servicer().GetAnalyzerInfo(None, None)
    levels = reconcile_config(info, load_policy_config(environment))
    return sum(1 for level, _ in levels.values() if level != "disabled")


def evaluate_policies(plans: dict[str, dict[str, Any]]) -> tuple[int, str]:
    """(mandatory violation count, report) from the policy pack run on every plan."""
    from meridian_ops.plan.policy_eval import evaluate_plan

    return policy_outcome({name: evaluate_plan(plan) for name, plan in plans.items()})


def policy_outcome(violations: dict[str, list[Violation]]) -> tuple[int, str]:
    """(mandatory violation count, the violations as text, each finding once with its stacks)."""
    from meridian_ops.plan.report import format_violations_grouped

    mandatory = sum(
        1
        for found in violations.values()
        for v in found
        if v.level == "mandatory" and not v.unknown
    )
    return mandatory, format_violations_grouped(violations)


# --- the command ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    return cli_for_project(PROJECT_DIR, argv)


def _parser(project_dir: Path) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make plan",
        description=(
            "Offline plan of every stack of an environment under Pulumi's mock engine: writes "
            "OUT/<stack>.json (pulumi preview --json shape), OUT/<env>.json (the environment "
            "summary), OUT/<env>.html and OUT/<env>.svg (the architecture page), prints one "
            "table for the environment and runs the policy pack. Exit 0 ok, 1 a mandatory "
            "policy violation or a failed plan, 2 invalid config."
        ),
        epilog=(
            "make targets: make plan ENV=prod [PREVIEW=1] [JOBS=n] [ARGS='--detail']; "
            "python -m meridian_ops.plan takes the same flags."
        ),
    )
    parser.add_argument("--env", default="dev", choices=ENVIRONMENTS, help="default: dev")
    parser.add_argument(
        "--out",
        type=Path,
        default=project_dir / "build" / "plan",
        help="output directory (default: build/plan)",
    )
    parser.add_argument(
        "--preview",
        action="store_true",
        help="record each stack as `pulumi preview` shows it (computed values unknown)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help=f"worker processes for the stacks of a wave (default: the processors, here "
        f"{default_jobs()}); 1 plans everything in this process; results do not depend on it",
    )
    parser.add_argument(
        "--deployed",
        type=Path,
        metavar="DIR",
        help="with --preview: the stacks count as deployed with the outputs in DIR/<stack>.json "
        "(an earlier plan without --preview), so none is planned in up mode first",
    )
    parser.add_argument("--no-policies", action="store_true", help="skip the policy pack")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="plan even if build/plan-cache holds this content's plan "
        "(meridian_ops/plan/plan_cache.py)",
    )
    parser.add_argument(
        "--detail",
        action="store_true",
        help="also print every stack's resources by component and by type",
    )
    parser.add_argument("--quiet", action="store_true", help="only the totals, no table")
    return parser


def cli_for_project(project_dir: Path, argv: list[str] | None = None) -> int:
    """The plan command for the stack files in `project_dir`."""
    args = _parser(project_dir).parse_args(argv)
    # A batch run: the cyclic collector would walk the growing heap over and over for garbage
    # the process exit frees anyway (a fifth of the plan's CPU time, measured); the cost is
    # memory (make bench prints the peak). Forked workers inherit the setting.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _command(project_dir, args)
    finally:
        if collecting:
            gc.enable()


def _command(project_dir: Path, args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    deployed: dict[str, dict[str, Any]] | None = None
    if args.deployed is not None:
        if not args.preview:
            print("error: --deployed goes with --preview", file=sys.stderr)
            return 2
        deployed = {}
        for path in sorted(args.deployed.glob(f"{args.env}-*.json")):
            document = json.loads(path.read_text())
            if isinstance(document, dict) and isinstance(document.get("outputs"), dict):
                deployed[str(document.get("stack", path.stem))] = document["outputs"]
    if deployed is None and not args.no_policies and not args.no_cache:
        return _cached_command(project_dir, args)
    run = _run(project_dir, args, deployed)
    return run if isinstance(run, int) else _report(args, run)


def _run(
    project_dir: Path, args: argparse.Namespace, deployed: dict[str, dict[str, Any]] | None
) -> EnvironmentRun | int:
    """Plan the environment, or the exit status of a failure (its message printed)."""
    from meridian_ops.plan.policy_eval import PolicyEvalError

    try:
        return run_environment(
            args.env,
            out_dir=args.out,
            preview=args.preview,
            project_dir=project_dir,
            jobs=args.jobs,
            policies=not args.no_policies,
            deployed=deployed,
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PolicyEvalError as exc:
        print(f"error: the policy pack could not evaluate the plan: {exc}", file=sys.stderr)
        return 1
    except (pulumi.RunError, AwsRejectedError) as exc:
        print(f"error: the plan of {args.env} failed: {exc}", file=sys.stderr)
        return 1


def _cached_command(project_dir: Path, args: argparse.Namespace) -> int:
    """The plan through the content-addressed cache (meridian_ops/plan/plan_cache.py): the same
    content's earlier plan is copied and reported, otherwise the environment is planned and
    kept. The config gate always runs first: bad config fails as without the cache."""
    from meridian_ops.plan import plan_cache

    try:
        stacks_of(args.env, project_dir)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    key = plan_cache.source_key(project_dir)
    directory = plan_cache.entry(args.env, args.preview, key, project_dir)
    with plan_cache.locked(directory):
        if plan_cache.complete(directory):
            run = _load_run(directory)
            plan_cache.restore(directory, args.out)
            print(
                f"reused the plan of this content (key {key}) made "
                f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(run.started))} in "
                f"{run.seconds:.2f}s: {directory} (--no-cache plans again)"
            )
            return _report(args, run)
        deployed = None
        up = plan_cache.entry(args.env, False, key, project_dir)
        if args.preview and plan_cache.complete(up):  # the deployed stacks: half the work
            deployed = {name: plan["outputs"] for name, plan in _load_run(up).plans.items()}
        run = _run(project_dir, args, deployed)
        if isinstance(run, int):
            return run
        code = _report(args, run)
        files = [args.out / f"{name}.json" for name in run.plans]
        files += sorted(args.out.glob(f"{args.env}.*"))
        scratch = directory.with_name(directory.name + ".new")
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        for path in files:
            shutil.copyfile(path, scratch / path.name)
        (scratch / plan_cache.RUN_FILE).write_text(json.dumps(_run_record(run)) + "\n")
        plan_cache.store(scratch, directory)
        shutil.rmtree(scratch, ignore_errors=True)
        return code


def _run_record(run: EnvironmentRun) -> dict[str, Any]:
    """What the report needs besides the plan files."""
    return {
        "stacks": list(run.plans),
        "waves": [[w.index, w.label, list(w.stacks)] for w in run.waves],
        "violations": None
        if run.violations is None
        else {name: [asdict(v) for v in found] for name, found in run.violations.items()},
        "policiesEnabled": run.policies_enabled,
        "seconds": run.seconds,
        "started": run.started,
        "durations": run.durations,
    }


def _load_run(directory: Path) -> EnvironmentRun:
    from meridian_ops.plan.plan_cache import RUN_FILE
    from meridian_ops.plan.policy_eval import Violation

    record = json.loads((directory / RUN_FILE).read_text())
    plans = {
        name: json.loads((directory / f"{name}.json").read_text()) for name in record["stacks"]
    }
    violations = record["violations"]
    return EnvironmentRun(
        plans=plans,
        waves=[Wave(index, label, tuple(stacks)) for index, label, stacks in record["waves"]],
        violations=None
        if violations is None
        else {name: [Violation(**v) for v in found] for name, found in violations.items()},
        policies_enabled=record["policiesEnabled"],
        seconds=record["seconds"],
        durations=record["durations"],
        started=record["started"],
    )


def _report(args: argparse.Namespace, run: EnvironmentRun) -> int:
    from meridian_ops.plan.architecture_page import write_page
    from meridian_ops.plan.flows.status import flow_status
    from meridian_ops.plan.report import (
        build_report,
        flow_line,
        format_table,
        policy_line,
        summary,
    )

    plans = run.plans
    report = build_report(
        args.env,
        plans,
        waves=[w.stacks for w in run.waves],
        violations=run.violations,
        policies_enabled=run.policies_enabled,
        seconds=run.seconds,
    )
    report.flows = flow_status(args.env, plans)
    (args.out / f"{args.env}.json").write_text(json.dumps(summary(report), indent=1) + "\n")
    page = write_page(report, plans, args.out)
    if args.detail:
        for name, plan in plans.items():
            print(summarize(plan, run.durations.get(name)))
    if not args.quiet:
        print(format_table(report))
    print(
        f"planned {len(plans)} stacks of {args.env}: {report.resources} resources in "
        f"{run.seconds:.2f}s -> {args.out}/ (summary {args.env}.json, "
        + (f"architecture {page.name})" if page else "no architecture page: d2 not found)")
    )
    print(policy_line(report))
    print(flow_line(report))
    if run.violations is None:
        return 0
    mandatory, text = policy_outcome(run.violations)
    if text:
        print(text)
    if mandatory:
        print(f"error: {mandatory} mandatory policy violation(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    # The plan is written and reported: leave without tearing down the heap (several hundred
    # MiB of objects freed one by one, and the interpreter's final collection, took seconds of
    # CPU for nothing the exit does not free at once).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
