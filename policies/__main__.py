"""Entry point the Pulumi engine runs: ``python -u -m pulumi.policy <engine> <pack dir>``.

``pulumi.policy`` executes this file with ``runpy.run_path``; the pack directory is on sys.path
but its parent may not be, and a published pack is unpacked under another directory name. So the
pack directory is registered as the package ``policies`` before the catalog is imported, which
lets the policy modules use relative imports in every setting.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from pulumi_policy import PolicyPack

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

from policies.catalog import PACK_NAME, PACK_OPTIONS, all_policies  # noqa: E402

PolicyPack(name=PACK_NAME, policies=all_policies(), **PACK_OPTIONS)
