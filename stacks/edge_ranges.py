"""The edge's published address ranges (stacks/data/edge_ranges.json): the only sources the
ingress NLB admits. The policy pack's `allowedCidrs` config is the same list (a test keeps them
equal); change the JSON file and the pack config together."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

EDGE_RANGES_FILE = Path(__file__).parent / "data" / "edge_ranges.json"


@dataclass(frozen=True)
class EdgeRanges:
    provider: str
    ports: tuple[int, ...]
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.ipv4, *self.ipv6)


def load_edge_ranges(path: Path = EDGE_RANGES_FILE) -> EdgeRanges:
    """Read and check the ranges: every entry a network of the right family, no duplicates."""
    data = json.loads(path.read_text())
    ipv4 = tuple(str(ipaddress.IPv4Network(c)) for c in data["ipv4"])
    ipv6 = tuple(str(ipaddress.IPv6Network(c)) for c in data["ipv6"])
    if len(set(ipv4 + ipv6)) != len(ipv4) + len(ipv6):
        raise ValueError(f"{path}: duplicate ranges")
    return EdgeRanges(provider=data["provider"], ports=tuple(data["ports"]), ipv4=ipv4, ipv6=ipv6)


EDGE_RANGES = load_edge_ranges()
