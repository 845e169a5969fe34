"""Every version Meridian pins outside requirements.txt, in one place: the Kubernetes version, the
EKS managed add-ons keyed by that version, the Helm charts, and the managed engines' versions.

The README's version table is generated from this module (a test keeps it in sync). Components
take versions as arguments; only the stack compositions read this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HelmChart:
    """A Helm chart at a pinned version, from its official repository."""

    chart: str
    version: str
    repository: str


HELM_CHARTS: dict[str, HelmChart] = {}
"""Charts by Meridian's name for them (e.g. "istio-base"); each layer adds its own entries."""
