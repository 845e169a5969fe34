"""Which region pairs with which: the one place the platform's region relations are decided.

- The primary is the first of `meridian:regions`.
- A paired region is active-active with the primary (`meridian:replication.activeActive`): both
  serve traffic, and the primary's Kafka topics replicate back to it.
- A region's DR peer is where its backups are copied and where its lake and log archive (and, for
  the primary, the audit archive) replicate, by one rule:
  1. `meridian:replication.drPeers.<region>` when set (`none`: nowhere; the config gate refuses a
     peer the residency table forbids);
  2. else the default: a non-primary region's is the primary; the primary's is its active-active
     partner, else the second region;
  3. but data the residency table keeps in its jurisdiction (`stacks/data/residency.json`: the
     environment's `meridian:dataClassification`, confidential and restricted) goes to the first
     region of its own jurisdiction among the default, the environment's regions, then the
     table's regions of that jurisdiction (a peer outside the environment's regions gets its
     replica buckets, key and backup vault from this region's stack); without one, to the default
     or another environment region the table allows; without that, nowhere: the region keeps its
     backups in its own vault (stored across its AZs) and the plan says so (`drSummary`).
  The replica region of a bucket is its region's DR peer.

`meridian:dataPlacement.backupCopies` may send a region's backups elsewhere; that is the data
layer's explicit override (stacks/data_settings.py), not a second rule.

This module reads validated settings only (stacks/streaming_settings.validate_replication refuses
pairs that leave out the primary) and imports nothing from the settings modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from stacks.residency import (
    UNRESTRICTED,
    dr_capable,
    in_jurisdiction_peers,
    jurisdiction_of,
    may_copy,
)

NO_PEER = "none"
"""`meridian:replication.drPeers.<region>: none`: the region replicates nowhere."""


class Replication(Protocol):
    """What the topology reads of `meridian:replication` (stacks/streaming_settings.py)."""

    @property
    def active_active(self) -> Sequence[Sequence[str]]: ...

    @property
    def dr_peers(self) -> Mapping[str, str]: ...


def primary_region(regions: Sequence[str]) -> str | None:
    """The environment's primary region (the first listed), None without regions."""
    return regions[0] if regions else None


def active_active_partners(
    regions: Sequence[str], active_active: Sequence[Sequence[str]]
) -> list[str]:
    """The regions active-active with the primary, in pair order."""
    if not regions:
        return []
    primary = regions[0]
    return [r for pair in active_active if primary in pair for r in pair if r != primary]


def default_peer(
    region: str, regions: Sequence[str], active_active: Sequence[Sequence[str]]
) -> str | None:
    """The peer without residency: the primary for a non-primary region; the primary's active-active
    partner, else the second region, for the primary."""
    primary = regions[0]
    if region != primary:
        return primary
    partners = active_active_partners(regions, active_active)
    if partners:
        return partners[0]
    return regions[1] if len(regions) > 1 else None


def dr_peer(
    region: str,
    regions: Sequence[str],
    active_active: Sequence[Sequence[str]],
    peers: Mapping[str, str],
    data_class: str,
) -> str | None:
    """Where `region`'s backups, lake and log archive go (see the module docstring)."""
    if region in peers:
        peer = peers[region]
        return None if peer == NO_PEER else peer
    default = default_peer(region, regions, active_active)
    if data_class in UNRESTRICTED:
        return default
    home = jurisdiction_of(region)
    serving = [r for r in (default, *regions) if r is not None and r != region]
    if home is not None:
        for candidate in dict.fromkeys([*serving, *in_jurisdiction_peers(region)]):
            if candidate in home.regions and dr_capable(candidate):
                return candidate
    for candidate in dict.fromkeys(serving):
        if may_copy(region, candidate, data_class):
            return candidate
    return None


def replica_region(
    regions: Sequence[str], replication: Replication, region: str, data_class: str
) -> str | None:
    """The region `region`'s lake, log archive and audit archive buckets replicate to: its DR
    peer."""
    if region not in regions:
        return None
    return dr_peer(region, regions, replication.active_active, replication.dr_peers, data_class)


__all__ = [
    "NO_PEER",
    "Replication",
    "active_active_partners",
    "default_peer",
    "dr_peer",
    "primary_region",
    "replica_region",
]
