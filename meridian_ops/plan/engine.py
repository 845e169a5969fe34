"""Run one stack of the real Pulumi program under the mock engine; record what the engine gets.

`RecordingMonitor` sits where the Pulumi engine's resource monitor sits. It sees every
registration request the SDK sends (type, name, parent, protect, dependencies, property
dependencies, provider, ignore changes, inputs), applies the stack transforms the program
registered exactly as the engine does (through the SDK's transform callback, with the same
protobuf messages), records the result, and lets `AwsMocks` answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi import ResourceOptions, ResourceTransformArgs, ResourceTransformResult, StackReference
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime._callbacks import _CallbackServicer
from pulumi.runtime.config import set_all_config
from pulumi.runtime.settings import configure, set_root_resource
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from meridian_ops.plan.aws_mocks import AwsMocks, ProviderRegistry, check_no_default_provider

PROJECT = "meridian"
ORGANIZATION = "organization"


def _plain(value: Any) -> Any:
    """Struct numbers are doubles; show whole numbers as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def struct_to_json(struct: Any) -> dict[str, Any]:
    """A protobuf Struct in the engine's wire format: unknowns and secrets keep their sentinels."""
    return _plain(json_format.MessageToDict(struct, preserving_proto_field_name=True))


@dataclass
class Step:
    op: str
    urn: str
    type: str
    name: str
    custom: bool
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str
    provider: str
    protect: bool = False
    retain_on_delete: bool = False
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    ignore_changes: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)

    def to_preview_json(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "urn": self.urn,
            "type": self.type,
            "custom": self.custom,
            "id": self.id,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "parent": self.parent,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
            "ignoreChanges": self.ignore_changes,
            "provider": self.provider,
        }
        if self.aliases:  # as in the engine's state (`aliases,omitempty`)
            state["aliases"] = self.aliases
        return {"op": self.op, "urn": self.urn, "provider": self.provider, "newState": state}


@dataclass
class StackRun:
    stack: str
    preview: bool
    steps: list[Step]
    outputs: dict[str, Any]
    diagnostics: list[dict[str, str]]
    seconds: float = 0.0
    stack_reads: dict[str, list[str]] = field(default_factory=dict)
    """Stack name -> the output names this run read from it through a StackReference."""


class _DiagnosticsHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append({"severity": record.levelname.lower(), "message": record.getMessage()})


def _make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """A URN as the SDK's mock monitor makes one (pulumi.runtime.mocks.MockMonitor.make_urn):
    the parent's own type, then `$`, qualifies the type."""
    if parent:
        type_ = parent.split("::")[2].split("$")[-1] + "$" + type_
    return "urn:pulumi:" + "::".join([stack, project, type_, name])


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(
        self, mocks: AwsMocks, providers: ProviderRegistry, *, default_providers_disabled: bool
    ) -> None:
        super().__init__(mocks)
        self.providers = providers
        self.default_providers_disabled = default_providers_disabled
        self.steps: list[Step] = []
        self.stack_outputs: dict[str, Any] = {}
        self.stack_urn = ""
        self.aliases_of: dict[str, list[str]] = {}  # URN -> the previous URNs it answers to

    # The engine runs every stack transform on every registration, in registration order, and
    # sends the program's callback the properties as a protobuf Struct. This does what the
    # program's callback server does with them (pulumi.runtime._callbacks): deserialize, call the
    # transform, serialize the result back into the request.
    def _apply_stack_transforms(self, request: Any) -> None:
        for transform in self._stack_transforms:
            args = ResourceTransformArgs(
                custom=request.custom,
                type_=request.type,
                name=request.name,
                props=rpc.deserialize_properties(request.object),
                opts=ResourceOptions(parent=None),
            )
            result = transform(args)
            if result is None:
                continue
            if isawaitable(result):
                result = _sync_await(result)
            assert isinstance(result, ResourceTransformResult)
            request.object.CopyFrom(_sync_await(rpc.serialize_properties(result.props, {})))

    def _aliases(self, request: Any, urn: str) -> list[str]:
        """The previous URNs a registration answers to, resolved as the engine resolves the alias
        specs the SDK sends (RegisterResourceRequest.aliases, pulumi/alias.proto): a URN as
        given; a spec's unset name, type, stack and project are the resource's own, its parent
        the resource's parent unless `noParent` or `parentUrn` says otherwise. A child of an
        aliased parent also answers to its URN under each of the parent's previous URNs, its
        name's parent-name prefix swapped for the parent's previous name (the rule of the SDK's
        inheritedChildAlias, pulumi sdk/go/pulumi/alias.go). URNs are built as this mock engine
        builds them (`_make_urn`), so they match the URNs of an earlier plan."""
        stack, project = urn.removeprefix("urn:pulumi:").split("::")[:2]
        found = list(request.aliasURNs)
        for alias in request.aliases:
            kind = alias.WhichOneof("alias")
            if kind == "urn":
                found.append(alias.urn)
            elif kind == "spec":
                spec = alias.spec
                parent = "" if spec.noParent else (spec.parentUrn or request.parent)
                found.append(
                    _make_urn(
                        spec.stack or stack,
                        spec.project or project,
                        parent,
                        spec.type or request.type,
                        spec.name or request.name,
                    )
                )
        parent_name = request.parent.rsplit("::", 1)[-1]
        for previous in self.aliases_of.get(request.parent, []):
            name = request.name
            if parent_name and name.startswith(parent_name):
                name = previous.rsplit("::", 1)[-1] + name[len(parent_name) :]
            found.append(_make_urn(stack, project, previous, request.type, name))
        return sorted(set(found) - {urn})

    def RegisterResource(self, request: Any) -> Any:
        if request.type == "pulumi:pulumi:Stack":
            response = super().RegisterResource(request)
            self.stack_urn = response.urn
            self.steps.append(
                Step("create", response.urn, request.type, request.name, False, "", {}, {}, "", "")
            )
            return response
        if self.default_providers_disabled:
            check_no_default_provider(request.type, request.custom, request.provider)
        self._apply_stack_transforms(request)
        response = super().RegisterResource(request)
        inputs = struct_to_json(request.object)
        aliases = self._aliases(request, response.urn)
        if aliases:
            self.aliases_of[response.urn] = aliases
        if request.type.startswith("pulumi:providers:"):
            self.providers.providers[f"{response.urn}::{response.id}"] = inputs
        self.steps.append(
            Step(
                op="create",
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                id=response.id,
                inputs=inputs,
                outputs=struct_to_json(response.object),
                parent=request.parent,
                provider=request.provider,
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                # The SDK gathers dependencies in sets, so their order follows the process's string
                # hash seed; the engine treats them as sets. Sorted, a plan is the same in every
                # process (worker or not) and every run.
                dependencies=sorted(request.dependencies),
                property_dependencies={
                    k: sorted(v.urns) for k, v in sorted(request.propertyDependencies.items())
                },
                ignore_changes=list(request.ignoreChanges),
                aliases=aliases,
            )
        )
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self.steps.append(
            Step(
                op="read",
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=True,
                id=request.id,
                inputs=struct_to_json(request.properties),
                outputs=struct_to_json(response.properties),
                parent=request.parent,
                provider=request.provider,
                dependencies=sorted(request.dependencies),
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self.stack_urn:
            self.stack_outputs = struct_to_json(request.outputs)
        return super().RegisterResourceOutputs(request)


class _NoServer:
    async def stop(self, grace: float | None) -> None:
        return None


class InProcessCallbacks(_CallbackServicer):
    """The SDK's callback registry (stack transforms, resource transforms, hooks) without its
    gRPC server. Under the real engine the program serves callbacks over gRPC and the engine
    calls them; here the recording monitor calls the registered transforms in-process
    (`_apply_stack_transforms`, and the SDK's MockMonitor for resource transforms), so the
    server would only be overhead, and its gRPC threads would make forking unsafe: a process
    that never starts them can fork plan workers (meridian_ops/plan/cli.py)."""

    def __init__(self, monitor: Any, loop: asyncio.AbstractEventLoop) -> None:
        # Deliberately not super().__init__(): that creates and binds a grpc.aio server.
        _CallbackServicer._servicers.append(self)
        self._callbacks = {}
        self._transforms = {}
        self._state_migrations = {}
        self._monitor = monitor
        self._loop = loop
        self._server = _NoServer()  # type: ignore[assignment]
        self._target = "in-process"

    async def serve(self) -> None:
        return None


def canonical_order(steps: list[Step]) -> list[Step]:
    """The steps in one registration order the engine could have seen, the same in every run.

    The SDK registers resources from concurrent tasks and executor threads, so the order it
    reaches the monitor varies from run to run and with the process's hash seed. This is the
    topological order of the edges that constrain every real registration (a resource comes
    after its parent, its provider and everything it depends on), ties broken by URN."""
    import heapq

    by_urn = {step.urn: step for step in steps}
    after: dict[str, set[str]] = {urn: set() for urn in by_urn}
    for step in steps:
        provider = step.provider.rsplit("::", 1)[0] if step.provider else ""
        for before in (step.parent, provider, *step.dependencies):
            if before and before in by_urn and before != step.urn:
                after[step.urn].add(before)
    waiting = {urn: len(before) for urn, before in after.items()}
    unlocks: dict[str, list[str]] = {}
    for urn, before in after.items():
        for other in before:
            unlocks.setdefault(other, []).append(urn)
    ready = [urn for urn, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[Step] = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for nxt in unlocks.get(urn, ()):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, nxt)
    if len(ordered) != len(by_urn) or len(by_urn) != len(steps):  # a cycle or a duplicate URN
        return list(steps)
    return ordered


def _ignore_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if "never retrieved" not in str(context.get("message", "")):
        loop.default_exception_handler(context)


@contextlib.contextmanager
def recording_stack_reads() -> Iterator[dict[str, set[str]]]:
    """Which outputs of which stacks the program reads. `StackReference.get_output` and
    `require_output` are the SDK's only doors to another stack's outputs (both evaluate on the
    program side); this observes them for the duration of a run and calls through unchanged."""
    reads: dict[str, set[str]] = {}
    originals = {
        "get_output": StackReference.get_output,
        "require_output": StackReference.require_output,
    }

    def observed(method: str) -> Callable[..., Any]:
        original = originals[method]

        def call(self: StackReference, name: Any) -> Any:
            stack = str(self._name).rsplit("/", 1)[-1]  # org/project/stack -> stack
            reads.setdefault(stack, set()).add(name if isinstance(name, str) else "<computed>")
            return original(self, name)

        return call

    for method in originals:
        setattr(StackReference, method, observed(method))
    try:
        yield reads
    finally:
        for method, original in originals.items():
            setattr(StackReference, method, original)


@contextlib.contextmanager
def source_positions_memoized() -> Iterator[None]:
    """The SDK's source positions, computed once per (file, line) for the duration of a run.

    For every registration the SDK walks the Python stack and turns each frame's file name into
    a `file://` URI (pulumi.runtime.resource._get_source_position_for_frame, pathlib's
    `Path.as_uri`): a tenth of a stack's planning time, for the same few hundred (file, line)
    pairs again and again. The result is a pure function of the file name and line number, so
    the memoized function returns the same SourcePosition message (the SDK copies it into each
    StackFrame; nothing mutates it). The stack summary those frames come from is taken without
    reading source lines (`_TracebackWithoutLineLookup`)."""
    from pulumi.runtime import resource as sdk

    original = sdk._get_source_position_for_frame  # pyright: ignore[reportPrivateUsage]
    known: dict[tuple[str, int | None], Any] = {}

    def memoized(frame: Any) -> Any:
        key = (frame.filename, frame.lineno)
        if key not in known:
            known[key] = original(frame)
        return known[key]

    sdk._get_source_position_for_frame = memoized  # pyright: ignore[reportPrivateUsage]
    setattr(sdk, "traceback", _TracebackWithoutLineLookup())  # noqa: B010
    try:
        yield
    finally:
        sdk._get_source_position_for_frame = original  # pyright: ignore[reportPrivateUsage]
        setattr(sdk, "traceback", traceback)  # noqa: B010


class _TracebackWithoutLineLookup:
    """The `traceback` module as the SDK's resource registration sees it during a run: the same
    module, except that `extract_stack` leaves each frame's source line to be read when asked.

    The SDK takes a stack summary for every registration (pulumi.runtime.resource
    ._get_stack_trace) and reads only each frame's function name, file name and line number.
    The standard `extract_stack` also checks every file of the stack against the line cache (an
    `os.stat` each) and reads every frame's source line: a twentieth of a stack's planning time,
    for nothing the SDK reads. This builds the same FrameSummary list (oldest frame first, the
    caller's frame last, `sys.tracebacklimit` honoured) with the line looked up lazily, as
    FrameSummary does when a caller reads `.line`."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def extract_stack(f: Any = None, limit: int | None = None) -> traceback.StackSummary:
        frame = sys._getframe().f_back if f is None else f  # pyright: ignore[reportPrivateUsage]
        if limit is None:
            limit = getattr(sys, "tracebacklimit", None)
            if limit is not None and limit < 0:
                limit = 0
        frames: list[traceback.FrameSummary] = []
        while frame is not None and (limit is None or len(frames) < limit):
            code = frame.f_code
            frames.append(
                traceback.FrameSummary(
                    code.co_filename, frame.f_lineno, code.co_name, lookup_line=False
                )
            )
            frame = frame.f_back
        frames.reverse()
        return traceback.StackSummary.from_list(frames)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one stack's run.

    A run allocates millions of short-lived objects (Outputs, tasks, futures, protobuf
    messages); with the collector on, Python walks the growing heap again and again during the
    run (measured: a third of the plan's CPU time). Paused, the run's cyclic garbage waits for
    the collector's next turn after the run; the plan command, a short-lived process, turns the
    collector off altogether (meridian_ops/plan/cli.py)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def encode_config(values: Mapping[str, Any]) -> dict[str, str]:
    """Config as the Pulumi CLI hands it to a program: strings, structured values as JSON."""
    import json

    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def run_stack(
    stack: str,
    config: Mapping[str, Any],
    program: Callable[[], None],
    *,
    preview: bool,
    upstream: Mapping[str, Mapping[str, Any]] | None = None,
    validate: bool = True,
    steps: list[Step] | None = None,
) -> StackRun:
    """Run `program` as stack `stack` with `config` under the mock engine; return what it
    registered. Pass `steps` to observe the registrations of a run that fails."""
    import time

    started = time.perf_counter()
    providers = ProviderRegistry()
    mocks = AwsMocks(
        stack=stack, preview=preview, upstream=upstream, providers=providers, validate=validate
    )
    disabled = config.get("pulumi:disable-default-providers")
    monitor = RecordingMonitor(mocks, providers, default_providers_disabled=bool(disabled))
    if steps is not None:
        monitor.steps = steps  # the caller sees what was registered even if the run fails
    handler = _DiagnosticsHandler()
    logger = logging.getLogger(f"meridian.plan.{stack}")
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)

    loop = asyncio.new_event_loop()
    reads: dict[str, set[str]] = {}
    # A failed registration fails every Output that waits on it; the failure is raised once from
    # run_until_complete, the copies left in unawaited futures are not news.
    loop.set_exception_handler(_ignore_unretrieved)
    asyncio.set_event_loop(loop)
    try:
        set_root_resource(None)  # type: ignore[arg-type]
        set_all_config(encode_config(config), [])
        features = set(monitor.GetDeploymentInfo(None).supportedFeatures)
        configure(
            pulumi_mocks.MockSettings(
                monitor=monitor,
                monitor_features=features,
                engine=pulumi_mocks.MockEngine(logger),
                project=PROJECT,
                stack=stack,
                dry_run=preview,
                organization=ORGANIZATION,
                callbacks=InProcessCallbacks(monitor, loop),
            )
        )
        with recording_stack_reads() as reads, collector_paused(), source_positions_memoized():
            loop.run_until_complete(run_in_stack(program))
    finally:
        loop.run_until_complete(_CallbackServicer.shutdown())
        # Join the executor threads the SDK's RPC calls ran on: no thread outlives the run, so
        # the plan may fork worker processes safely afterwards.
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)
        set_root_resource(None)  # type: ignore[arg-type]
    return StackRun(
        stack=stack,
        preview=preview,
        steps=canonical_order(monitor.steps),
        outputs=monitor.stack_outputs,
        diagnostics=handler.records,
        seconds=time.perf_counter() - started,
        stack_reads={stack: sorted(keys) for stack, keys in sorted(reads.items())},
    )
