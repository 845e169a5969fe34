"""The pack as the Pulumi engine runs it: a subprocess speaking the Analyzer gRPC protocol.

The engine starts ``python -u -m pulumi.policy <engine address> <pack>`` in the pack directory
(pulumi/pulumi ``analyzer_plugin.go``: working directory = pack path, program = "."), reads the
port the pack prints on stdout, then calls GetAnalyzerInfo, Configure, Analyze and AnalyzeStack.
This test serves a minimal Engine service for the pack's logging, drives the subprocess over
gRPC and checks its verdicts equal the in-process evaluator's on the same protobuf requests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from meridian_ops.plan.policy_eval import (
    ProviderIndex,
    analyze_request,
    configure_request,
    load_policy_config,
    make_servicer,
    reconcile_config,
    stack_resource,
)
from policies.catalog import PACK_NAME, PACK_VERSION, all_policies
from tests.policies.cases_common import UNKNOWN
from tests.policies.conftest import all_cases
from tests.policies.harness import case_plan

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
# The interpreter of the pack's own virtualenv (`make test` builds policies/venv from
# policies/requirements.txt, as `pulumi preview --policy-pack` does); this one otherwise.
POLICY_PYTHON = os.environ.get("MERIDIAN_POLICY_PYTHON", sys.executable)


class _Engine(engine_pb2_grpc.EngineServicer):
    """Just enough of the engine for a policy pack: logging and the root resource."""

    def __init__(self) -> None:
        self.logs: list[Any] = []

    def Log(self, request: Any, context: Any) -> Any:
        self.logs.append(request)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.SetRootResourceResponse()


def _read_port(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    assert process.stdout is not None
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not line or not line[0].strip().isdigit():
        process.kill()
        _, err = process.communicate(timeout=5)
        pytest.fail(f"policy pack did not print its port: {line!r}\n{err.decode()}")
    return int(line[0])


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Any, _Engine]]:
    engine = _Engine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    engine_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PULUMI_CONFIG")}
    process = subprocess.Popen(
        [POLICY_PYTHON, "-u", "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", "."],
        cwd=PACK_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        port = _read_port(process)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=10)
        yield analyzer_pb2_grpc.AnalyzerStub(channel), engine
        channel.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        server.stop(0)


def _diagnostics(response: Any) -> list[dict[str, Any]]:
    return [json_format.MessageToDict(d) for d in response.diagnostics]


def test_served_pack_matches_in_process_evaluator(served: tuple[Any, _Engine]) -> None:
    stub, engine = served
    info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME
    assert info.supportsConfig
    assert sorted(p.name for p in info.policies) == sorted(p.name for p in all_policies())

    request = configure_request(reconcile_config(info, load_policy_config("prod")))
    stub.Configure(request)
    local = make_servicer()
    local.Configure(request, None)

    analyzed = stacks = violations = 0
    for case in all_cases():
        states = [step["newState"] for step in case_plan(case)["steps"]]
        providers = ProviderIndex(states)
        if case.stack is None:
            analyze = analyze_request(states[-1], providers)  # the case's subject resource
            remote, mine = stub.Analyze(analyze), local.Analyze(analyze, None)
            assert _diagnostics(remote) == _diagnostics(mine), case.case_id()
            analyzed += 1
            violations += len(remote.diagnostics)
        else:
            stack = analyzer_stack_request(states, providers)
            remote, mine = stub.AnalyzeStack(stack), local.AnalyzeStack(stack, None)
            assert _diagnostics(remote) == _diagnostics(mine), case.case_id()
            stacks += 1
            violations += len(remote.diagnostics)
    assert analyzed > 100 and stacks > 30 and violations > 100
    assert not [log for log in engine.logs if log.severity >= engine_pb2.ERROR]


def analyzer_stack_request(states: list[dict[str, Any]], providers: ProviderIndex) -> Any:
    from pulumi.runtime import proto

    return proto.AnalyzeStackRequest(resources=[stack_resource(s, providers) for s in states])


def _preview_notes(response: Any) -> list[str]:
    return [d.message for d in response.diagnostics if d.message.startswith("can't run policy")]


def test_served_pack_names_one_version(served: tuple[Any, _Engine]) -> None:
    """The pack names itself with PulumiPolicy.yaml's version everywhere: in its analyzer info
    and in the preview notes of the served pack and of the in-process evaluator (the SDK's
    PolicyPack would have said @v0.0.1 there while the engine says @v<yaml version>)."""
    stub, _ = served
    assert stub.GetAnalyzerInfo(empty_pb2.Empty()).version == PACK_VERSION
    local = make_servicer()
    own_name = f"'{PACK_NAME}@v{PACK_VERSION}'"
    notes = 0
    for case in all_cases():
        if case.stack is not None or UNKNOWN not in repr(case.props):
            continue
        states = [step["newState"] for step in case_plan(case)["steps"]]
        analyze = analyze_request(states[-1], ProviderIndex(states))
        for response in (stub.Analyze(analyze), local.Analyze(analyze, None)):
            for message in _preview_notes(response):
                assert own_name in message, message
                notes += 1
    assert notes >= 10
