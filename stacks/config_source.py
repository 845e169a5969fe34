"""Where a stack's `meridian:*` settings come from: the one interface tests and the plan replace.

`PulumiConfigSource` reads the stack's own config from the Pulumi runtime (what `pulumi preview`
and `pulumi up` pass the program, from `Pulumi.<stack>.yaml`) and the environment manifest from
`Pulumi.<env>-global.yaml` beside `Pulumi.yaml`. `StaticConfigSource` serves dictionaries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import yaml
from pulumi.runtime import config as runtime_config

from stacks.errors import ConfigError, ConfigProblem

PROJECT_DIR = Path(__file__).resolve().parent.parent


class ConfigSource(Protocol):
    def stack_config(self) -> dict[str, Any]:
        """The stack's own config, full keys (`meridian:regions`) to values."""
        ...

    def environment_config(self, environment: str) -> dict[str, Any]:
        """The environment manifest: the config of `<environment>-global`."""
        ...


def _decode(value: Any) -> Any:
    """The engine passes structured values as JSON text; scalars stay as given."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a Pulumi stack file."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            path.stem.removeprefix("Pulumi."),
            [
                ConfigProblem(
                    str(path.name),
                    "<unparsable>",
                    f"is not valid YAML ({exc})",
                    "fix the YAML syntax",
                )
            ],
        ) from None
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(
            path.stem.removeprefix("Pulumi."),
            [
                ConfigProblem(
                    f"{path.name}: config",
                    config,
                    "is not a mapping",
                    "write config as `key: value` lines under `config:`",
                )
            ],
        )
    return {str(k): v for k, v in config.items()}


class PulumiConfigSource:
    def __init__(self, project_dir: Path = PROJECT_DIR) -> None:
        self.project_dir = project_dir

    def stack_config(self) -> dict[str, Any]:
        merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
        return {k: _decode(v) for k, v in merged.items()}

    def environment_config(self, environment: str) -> dict[str, Any]:
        path = self.project_dir / f"Pulumi.{environment}-global.yaml"
        if not path.exists():
            raise ConfigError(
                f"{environment}-*",
                [
                    ConfigProblem(
                        key=path.name,
                        value="<missing>",
                        problem=f"the {environment} environment manifest does not exist",
                        fix=f"create it with `pulumi stack init {environment}-global` and set "
                        "meridian:owner, meridian:costCenter and meridian:regions",
                    )
                ],
            )
        return read_stack_file(path)


class StaticConfigSource:
    """Config from dictionaries: for tests and for tools that already parsed the stack files."""

    def __init__(self, stack: dict[str, Any], environments: dict[str, dict[str, Any]]) -> None:
        self._stack = stack
        self._environments = environments

    def stack_config(self) -> dict[str, Any]:
        return dict(self._stack)

    def environment_config(self, environment: str) -> dict[str, Any]:
        return dict(self._environments.get(environment, {}))
