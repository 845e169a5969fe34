"""The Pulumi program: read the stack's role from its name, validate config, compose the role."""

from __future__ import annotations

import pulumi

from components.common.tagging import required_tags_transform
from stacks import edge, global_, regional
from stacks.config.source import ConfigSource, PulumiConfigSource
from stacks.dependencies import check_dependencies
from stacks.identity import Role, parse_stack_name
from stacks.settings import MeridianSettings, load_settings

COMPOSITIONS = {
    Role.GLOBAL: global_.run,
    Role.REGIONAL: regional.run,
    Role.EDGE: edge.run,
}


def settings_for(stack: str, source: ConfigSource) -> MeridianSettings:
    """Validated settings of a stack; raises ConfigError before anything is registered."""
    identity = parse_stack_name(stack)
    own = source.stack_config()
    manifest = (
        own if identity.role is Role.GLOBAL else source.environment_config(identity.environment)
    )
    edge = source.edge_config(identity.environment) if identity.role is not Role.EDGE else None
    settings = load_settings(identity, own, manifest, edge)
    check_dependencies(stack)  # the service dependency table, before anything is registered
    return settings


def main(source: ConfigSource | None = None) -> None:
    settings = settings_for(pulumi.get_stack(), source or PulumiConfigSource())
    pulumi.runtime.register_resource_transform(required_tags_transform(settings.tags()))
    COMPOSITIONS[settings.identity.role](settings)
