"""A change that would REPLACE an edge resource fails here, loudly, before any plan reaches a
reviewer.

Replacing an edge resource is an outage: a ruleset or zone setting deleted and recreated leaves
the zone unprotected in between, a pool or load balancer leaves it unrouted, a record or zone
unresolvable. Replacements come from renamed resources (a new URN: delete + create, e.g. a
provider major version renaming `cloudflare:index/record:Record` to `dnsRecord`) and from changed
create-only inputs (a ruleset's phase, a pool's account, a certificate's names).

The offline plan has no previous state to diff against, so the previous state is this snapshot:
per edge stack, every edge resource's URN and its create-only inputs
(`tests/data/edge_identity.json`). When a replacement is intended (and rolled out with the
migration it needs), regenerate the snapshot and say so in the review:

    MERIDIAN_UPDATE_EDGE_SNAPSHOT=1 .venv/bin/python -m pytest tests/test_edge_replacements.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from stacks.edge.providers import REPLACEMENT_SENSITIVE
from tests.plans import planned, states

SNAPSHOT = Path(__file__).resolve().parent / "data" / "edge_identity.json"

ENVIRONMENTS = ("prod", "staging")


def identity(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """URN -> create-only inputs of every replacement-sensitive resource of an edge plan."""
    found: dict[str, dict[str, Any]] = {}
    for state in states(plan):
        if state["type"] in REPLACEMENT_SENSITIVE:
            fields = REPLACEMENT_SENSITIVE[state["type"]]
            found[state["urn"]] = {f: state["inputs"].get(f) for f in fields}
    return found


def current() -> dict[str, dict[str, dict[str, Any]]]:
    return {env: identity(planned(env)[f"{env}-edge"]) for env in ENVIRONMENTS}


def test_no_edge_resource_would_be_replaced() -> None:
    now = current()
    if os.environ.get("MERIDIAN_UPDATE_EDGE_SNAPSHOT"):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"snapshot rewritten: {SNAPSHOT}")
    before = json.loads(SNAPSHOT.read_text())
    warnings: list[str] = []
    for env in ENVIRONMENTS:
        old, new = before.get(env, {}), now[env]
        for urn in sorted(set(old) - set(new)):
            warnings.append(f"REPLACE (deleted, or renamed without an alias): {urn}")
        for urn in sorted(set(old) & set(new)):
            changed = {
                k: (old[urn][k], new[urn].get(k))
                for k in old[urn]
                if old[urn][k] != new[urn].get(k)
            }
            if changed:
                warnings.append(f"REPLACE (create-only input changed {changed}): {urn}")
    assert not warnings, (
        "WARNING: this change replaces edge resources (an outage at the edge):\n  "
        + "\n  ".join(warnings)
        + "\nKeep URNs with `aliases=` and create-only inputs unchanged, or, for a deliberate "
        "migration, regenerate tests/data/edge_identity.json (see this module's docstring)."
    )


def test_snapshot_covers_every_edge_resource() -> None:
    """New edge resources join the snapshot, so that their later replacement is caught too."""
    before = json.loads(SNAPSHOT.read_text())
    missing = [
        urn
        for env, found in current().items()
        for urn in sorted(set(found) - set(before.get(env, {})))
    ]
    assert not missing, (
        "edge resources missing from tests/data/edge_identity.json (no replacement; regenerate "
        "it, see the module docstring):\n  " + "\n  ".join(missing)
    )
