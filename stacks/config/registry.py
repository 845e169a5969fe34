"""Every layer's setting, in the order they are defaulted and judged.

A new layer's setting: one `SettingSpec` in its own module (`stacks/<layer>_settings.py`, see
`stacks/config/spec.py`) and one line here. `stacks/settings.py` derives the defaults, the keys a
stack file may set, and the checks from this list.
"""

from __future__ import annotations

from typing import Any

from stacks import (
    alerting_settings,
    baseline_settings,
    data_settings,
    delivery_settings,
    edge_settings,
    identity_settings,
    kubernetes_settings,
    mesh_settings,
    partner_settings,
    rate_limit_settings,
    streaming_settings,
)
from stacks.config.spec import Scope, SettingSpec

SETTINGS: tuple[SettingSpec[Any], ...] = (
    streaming_settings.STREAMING_SPEC,
    kubernetes_settings.SPEC,
    mesh_settings.SPEC,
    rate_limit_settings.SPEC,
    delivery_settings.SPEC,
    baseline_settings.SPEC,
    data_settings.DATA_SPEC,
    streaming_settings.LAKEHOUSE_SPEC,
    streaming_settings.REPLICATION_SPEC,
    data_settings.PLACEMENT_SPEC,
    edge_settings.SPEC,
    identity_settings.SPEC,
    alerting_settings.SPEC,
    partner_settings.GRAPHQL_SPEC,
    partner_settings.PARTNER_SPEC,
)
"""The layers' settings; checks run in this order (the core keys' checks first)."""


def of_scope(scope: Scope) -> tuple[SettingSpec[Any], ...]:
    """The settings that may be set where `scope` says."""
    return tuple(s for s in SETTINGS if s.scope == scope)


__all__ = ["SETTINGS", "of_scope"]
