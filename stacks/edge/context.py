"""What the layers of the edge stack share: the settings, the edge's own settings and the
upstream stacks it reads (the global stack and every regional stack)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.common.naming import Names
from stacks.edge_settings import EdgeSettings
from stacks.identity import Role
from stacks.outputs import GlobalOutputs, GlobalReader, RegionalOutputs, RegionalReader
from stacks.references import UpstreamStack
from stacks.settings import MeridianSettings


@dataclass(frozen=True)
class EdgeContext:
    """`regions`: region -> its regional stack's outputs, in manifest order (primary first)."""

    settings: MeridianSettings
    edge: EdgeSettings
    names: Names
    environment: GlobalReader
    regions: dict[str, RegionalReader]


def edge_context(settings: MeridianSettings) -> EdgeContext:
    env = settings.environment
    environment = GlobalOutputs.read(UpstreamStack(env, Role.GLOBAL))
    regions = {
        r: RegionalOutputs.read(UpstreamStack(env, Role.REGIONAL, r))
        for r in settings.manifest.regions
    }
    if settings.edge is None:  # load_settings always sets it for the edge role
        raise pulumi.RunError(f"stack {settings.identity.name} has no edge settings")
    return EdgeContext(settings, settings.edge, Names(env), environment, regions)
