"""The data-residency table (`stacks/data/residency.json`): which jurisdiction each AWS region lies
in, and which data classes (the `data-classification` tag) may be copied from one jurisdiction to
another. The DR rule (stacks/topology.py) and the config gate read it; the table is configuration
reviewed by counsel, not legal advice (README, Known limits).

- `public` and `internal` data may be copied to any region;
- `confidential` and `restricted` data stays in its jurisdiction, or goes to a jurisdiction the
  source jurisdiction lists under `transfers.<class>` (`*`: any).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from stacks import capabilities

RESIDENCY_FILE = Path(__file__).resolve().parent / "data" / "residency.json"

DataClass = Literal["public", "internal", "confidential", "restricted"]
DATA_CLASSES: tuple[DataClass, ...] = ("public", "internal", "confidential", "restricted")
UNRESTRICTED: frozenset[str] = frozenset({"public", "internal"})
"""Classes the table lets go anywhere."""
DR_SERVICES = ("s3", "kms", "backup")
"""What a DR peer must offer: the replica buckets, their key and the backup copy vault."""


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    law: str
    regions: tuple[str, ...]
    """AWS regions in the jurisdiction, in the order the DR rule prefers them as peers."""
    transfers: dict[str, tuple[str, ...]]
    """data class -> jurisdictions it may be copied to (`*`: any)."""
    notes: str


@cache
def jurisdictions() -> dict[str, Jurisdiction]:
    raw = json.loads(RESIDENCY_FILE.read_text())
    return {
        code: Jurisdiction(
            code=code,
            name=j["name"],
            law=j["law"],
            regions=tuple(j["regions"]),
            transfers={k: tuple(v) for k, v in j["transfers"].items()},
            notes=j["notes"],
        )
        for code, j in raw["jurisdictions"].items()
    }


def jurisdiction_of(region: str) -> Jurisdiction | None:
    """The jurisdiction `region` lies in (None: the table does not know the region)."""
    for j in jurisdictions().values():
        if region in j.regions:
            return j
    return None


def may_copy(source: str, target: str, data_class: str) -> bool:
    """Whether data of `data_class` held in `source` may be copied to `target`."""
    if data_class in UNRESTRICTED or source == target:
        return True
    src, dst = jurisdiction_of(source), jurisdiction_of(target)
    if src is None or dst is None:
        return False
    if src.code == dst.code:
        return True
    allowed = src.transfers.get(data_class, ())
    return "*" in allowed or dst.code in allowed


def why_not(source: str, target: str, data_class: str) -> str:
    """The reason `may_copy(source, target, data_class)` is False, for a config error."""
    src, dst = jurisdiction_of(source), jurisdiction_of(target)
    if src is None or dst is None:
        unknown = source if src is None else target
        return f"{unknown} is in no jurisdiction of {RESIDENCY_FILE.name}"
    return (
        f"{data_class} data of {source} ({src.name}, {src.law}) may not be copied to {target} "
        f"({dst.name}); {src.code} allows {data_class} transfers to "
        f"{', '.join(src.transfers.get(data_class, ())) or 'no other jurisdiction'} "
        f"(stacks/data/{RESIDENCY_FILE.name})"
    )


def replication_group(regions: Sequence[str], data_class: str) -> tuple[str, ...]:
    """The regions of `regions` that may hold one replicated copy of a store whose first member is
    `regions[0]` (its owner: the global database's primary, the global tables' owner): every
    member's writes reach every other member (global tables and multi-Region keyspaces are
    multi-writer, an Aurora secondary forwards writes), so each pair must be allowed both ways.
    Members join in order; a region that some earlier member may not share data with stays out
    and keeps a store of its own."""
    group: list[str] = []
    for region in dict.fromkeys(regions):
        if all(may_copy(region, m, data_class) and may_copy(m, region, data_class) for m in group):
            group.append(region)
    return tuple(group)


def group_refusal(region: str, group: Sequence[str], data_class: str) -> str | None:
    """Why `region` may not join `group` (None: it may): the first member it may not exchange
    `data_class` data with, either way."""
    for member in group:
        if member == region:
            continue
        if not may_copy(member, region, data_class):
            return why_not(member, region, data_class)
        if not may_copy(region, member, data_class):
            return why_not(region, member, data_class)
    return None


def in_jurisdiction_peers(region: str) -> tuple[str, ...]:
    """The other regions of `region`'s jurisdiction that can hold its DR copies (they offer S3, KMS
    and AWS Backup, stacks/region_capabilities.json), in the table's order."""
    j = jurisdiction_of(region)
    if j is None:
        return ()
    return tuple(r for r in j.regions if r != region and dr_capable(r))


def dr_capable(region: str) -> bool:
    """A commercial-partition region (the capability table lists only those) offering S3, KMS and
    AWS Backup."""
    return capabilities.region_exists(region) and all(
        capabilities.offers(region, s) for s in DR_SERVICES
    )


__all__ = [
    "DATA_CLASSES",
    "DR_SERVICES",
    "RESIDENCY_FILE",
    "UNRESTRICTED",
    "DataClass",
    "Jurisdiction",
    "dr_capable",
    "group_refusal",
    "in_jurisdiction_peers",
    "jurisdiction_of",
    "jurisdictions",
    "may_copy",
    "replication_group",
    "why_not",
]
