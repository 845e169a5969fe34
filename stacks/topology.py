"""Which region pairs with which: the one place the platform's region relations are decided.

- The primary is the first of `meridian:regions`.
- A paired region is active-active with the primary (`meridian:replication.activeActive`): both
  serve traffic, and the primary's Kafka topics replicate back to it.
- A region's DR peer is where its backups are copied and where its lake and log archive (and, for
  the primary, the audit archive) replicate, by one rule:
  a non-primary region's peer is `meridian:replication.drPeers.<region>` (`none`: nowhere), else
  the primary; the primary's peer is its active-active partner, else the second region.
  The replica region of a bucket is its region's DR peer.

`meridian:dataPlacement.backupCopies` may send a region's backups elsewhere; that is the data
layer's explicit override (stacks/data_settings.py), not a second rule.

This module reads validated settings only (stacks/streaming_settings.validate_replication refuses
pairs that leave out the primary) and imports nothing from the settings modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

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


def dr_peer(
    region: str,
    regions: Sequence[str],
    active_active: Sequence[Sequence[str]],
    peers: Mapping[str, str],
) -> str | None:
    """Where `region`'s backups, lake and log archive go: its DR peer (`none` = nowhere), else the
    primary; the primary's is its active-active partner, else the second region."""
    primary = regions[0]
    if region != primary:
        peer = peers.get(region, primary)
        return None if peer == NO_PEER else peer
    partners = active_active_partners(regions, active_active)
    if partners:
        return partners[0]
    return regions[1] if len(regions) > 1 else None


def replica_region(regions: Sequence[str], replication: Replication, region: str) -> str | None:
    """The region `region`'s lake, log archive and audit archive buckets replicate to: its DR
    peer."""
    if region not in regions:
        return None
    return dr_peer(region, regions, replication.active_active, replication.dr_peers)


__all__ = [
    "NO_PEER",
    "Replication",
    "active_active_partners",
    "dr_peer",
    "primary_region",
    "replica_region",
]
