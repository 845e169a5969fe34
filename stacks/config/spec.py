"""What a layer declares about its settings: one `SettingSpec` per `meridian:<key>`.

A layer's settings module (`stacks/<layer>_settings.py`) builds one spec: the key, the pydantic
model, the per-environment defaults, where the key may be set (its scope) and the checks beyond
types, one function of a `SettingsContext` returning `ConfigProblem`s. The spec goes into
`stacks/config/registry.py`'s `SETTINGS`; `stacks/settings.py` loops over that list to default,
merge, validate and expose the values.

This module imports no layer and not `stacks.settings` (the layers import it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from stacks.config.errors import ConfigProblem
from stacks.config.types import MeridianModel

if TYPE_CHECKING:
    from stacks.settings import EnvironmentManifest, RegionalSettings

Scope = Literal["manifest", "regional", "edge"]
"""Where a key may be set: `manifest` (environment-wide, the global stack file only),
`regional` (the manifest, overridable in a regional stack file for its region), `edge` (the edge
stack file only)."""

M = TypeVar("M", bound=MeridianModel)


@dataclass(frozen=True)
class SettingsContext(Generic[M]):
    """What a setting's check reads: its own validated value, the file it came from, and the rest
    of the configuration. A manifest-scope check runs once per stack (`region` None); a regional
    one once per usable region, with that region's merged settings."""

    value: M
    """The setting's value (for a regional setting, this region's, overrides merged)."""
    file: str
    """The stack file the value came from (problems are reported in it)."""
    env: str
    manifest: EnvironmentManifest
    regions: list[str]
    """The environment's usable regions: known, commercial, with an address slot, in order."""
    manifest_file: str
    region: str | None = None
    regional: RegionalSettings | None = None
    source: Mapping[str, str] = field(default_factory=dict[str, str])
    """Where each regional key of this region came from (key -> stack file)."""
    own_region: bool = False
    """Whether this is the stack's own region (instance types and AZs are judged only there)."""

    @property
    def region_settings(self) -> RegionalSettings:
        """This region's merged settings (regional checks only)."""
        if self.regional is None:
            raise ValueError("a manifest-scope check has no region's settings")
        return self.regional

    @property
    def region_name(self) -> str:
        """This region (regional checks only)."""
        if self.region is None:
            raise ValueError("a manifest-scope check has no region")
        return self.region


Check = Callable[[SettingsContext[Any]], list[ConfigProblem]]


def no_checks(_: SettingsContext[Any]) -> list[ConfigProblem]:
    """A setting whose type says everything."""
    return []


@dataclass(frozen=True)
class SettingSpec(Generic[M]):
    """One `meridian:<key>`: its model, defaults, scope and checks.

    Example (stacks/mesh_settings.py):

        SPEC = SettingSpec(
            key="mesh",
            field="mesh",
            model=MeshSettings,
            defaults=MESH_DEFAULTS,
            scope="regional",
            validate=lambda c: validate_mesh(c.value, c.file),
            check="validate_mesh",
        )
    """

    key: str
    """The key after `meridian:`, as written in a stack file (camelCase)."""
    field: str
    """The attribute that exposes the value (`RegionalSettings.<field>`,
    `EnvironmentManifest.<field>`, `MeridianSettings.<field>`)."""
    model: type[M]
    defaults: Mapping[str, Mapping[str, Any]]
    """Environment (dev, staging, prod) -> the default value, as in a stack file."""
    scope: Scope
    validate: Callable[[SettingsContext[M]], list[ConfigProblem]] = no_checks
    """The checks beyond types; each problem names the key, the value and the fix."""
    check: str = ""
    """The name of the layer's check function (`validate_mesh`): how the check is named when it
    raises instead of reporting (`stacks.settings.guarded`)."""
    environment_wide: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])
    """Fields of a regional key that only the environment manifest may set (field alias -> why,
    e.g. "one partner CA per environment, built by the global stack"): a regional stack file
    setting one is refused, since the stacks reading it read the manifest's value."""

    def of(self, context: SettingsContext[Any], value: Any) -> SettingsContext[M]:
        """`context` retargeted at this setting: its value and the file it came from."""
        file = context.source.get(self.key, context.manifest_file)
        return replace(context, value=value, file=file)


__all__ = ["Check", "Scope", "SettingSpec", "SettingsContext", "no_checks"]
