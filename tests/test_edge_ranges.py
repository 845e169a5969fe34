"""The edge's ranges live in one place (stacks/data/edge_ranges.json); the policy pack's config
carries the same allowlist. Drift between them would let the pack accept (or reject) an ingress
rule the NLB security group does not have."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.edge_ranges import EDGE_RANGES, load_edge_ranges

CONFIGS = sorted((Path(__file__).resolve().parent.parent / "policies" / "config").glob("*.json"))


def test_ranges_are_networks_of_their_family() -> None:
    assert EDGE_RANGES.provider == "cloudflare"
    assert EDGE_RANGES.ports == (443,)
    assert len(EDGE_RANGES.ipv4) >= 10 and len(EDGE_RANGES.ipv6) >= 5
    assert all(":" not in c for c in EDGE_RANGES.ipv4) and all(":" in c for c in EDGE_RANGES.ipv6)


def test_bad_ranges_are_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "edge.json"
    bad.write_text(
        json.dumps({"provider": "x", "ports": [443], "ipv4": ["10.0.0.1/8"], "ipv6": []})
    )
    with pytest.raises(ValueError):
        load_edge_ranges(bad)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_policy_pack_allowlist_is_the_edge_ranges(config: Path) -> None:
    policies = json.loads(config.read_text())
    allowlists = {
        name: settings
        for name, settings in policies.items()
        if isinstance(settings, dict) and "allowedCidrs" in settings
    }
    assert allowlists, f"{config.name} has no allowedCidrs"
    for name, settings in allowlists.items():
        assert sorted(settings["allowedCidrs"]) == sorted(EDGE_RANGES.all), (config.name, name)
        assert settings.get("edgePorts", [443]) == list(EDGE_RANGES.ports), (config.name, name)
