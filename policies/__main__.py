"""Entry point the Pulumi engine runs: ``python -u -m pulumi.policy <engine> <pack dir>``.

``pulumi.policy`` executes this file with ``runpy.run_path``; the pack directory is on sys.path
but its parent may not be, and a published pack is unpacked under another directory name. So the
pack directory is registered as the package ``policies`` before the catalog is imported, which
lets the policy modules use relative imports in every setting.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from concurrent import futures
from pathlib import Path

import grpc
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy.policy import _PolicyAnalyzerServicer  # pyright: ignore[reportPrivateUsage]

PACK_DIR = Path(__file__).resolve().parent


def _import_pack_package() -> None:
    existing = sys.modules.get("policies")
    if existing is not None and Path(str(existing.__file__)).resolve().parent == PACK_DIR:
        return
    spec = importlib.util.spec_from_file_location(
        "policies", PACK_DIR / "__init__.py", submodule_search_locations=[str(PACK_DIR)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the policy pack package from {PACK_DIR}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["policies"] = module
    spec.loader.exec_module(module)


_import_pack_package()

from policies.catalog import PACK_NAME, PACK_OPTIONS, PACK_VERSION, all_policies  # noqa: E402

# What ``pulumi_policy.PolicyPack(...)`` does (pulumi-policy 1.21.0, policy.py), except that it
# builds the analyzer with the pack's version: PolicyPack hard-codes "0.0.1", which the analyzer
# prints in its preview notes ("... from policy pack 'meridian-guardrails@v0.0.1' ...") while
# the engine names the pack by PulumiPolicy.yaml's version.
_options = dict(PACK_OPTIONS)
_servicer = _PolicyAnalyzerServicer(
    PACK_NAME,
    PACK_VERSION,
    all_policies(),
    _options.pop("enforcement_level"),
    None,
    _options.get("description"),
    _options.get("display_name"),
    None,
    _options.get("provider"),
    _options.get("tags"),
    None,
)
_server = grpc.server(
    futures.ThreadPoolExecutor(max_workers=4),
    options=[("grpc.max_receive_message_length", 1024 * 1024 * 400)],
)
analyzer_pb2_grpc.add_AnalyzerServicer_to_server(_servicer, _server)  # pyright: ignore[reportUnknownMemberType]
_port = _server.add_insecure_port(address="127.0.0.1:0")
_server.start()
sys.stdout.buffer.write(f"{_port}\n".encode())
sys.stdout.flush()
try:
    while True:
        time.sleep(24 * 60 * 60)
except KeyboardInterrupt:
    _server.stop(0)
