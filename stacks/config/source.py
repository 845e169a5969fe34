"""Where a stack's `meridian:*` settings come from: the one interface tests and the plan replace.

`PulumiConfigSource` reads the stack's own config from the Pulumi runtime (what `pulumi preview`
and `pulumi up` pass the program, from `Pulumi.<stack>.yaml`) and the environment manifest from
`Pulumi.<env>-global.yaml` beside `Pulumi.yaml`. `StaticConfigSource` serves dictionaries.

One reading of YAML for every path. The config gate reads stack files with `read_stack_file`;
the engine hands a program scalars as text and structured values as JSON. So that the gate, the
global stack and the regional stacks judge the same key the same way:
- stack files are parsed by `MeridianLoader` (YAML 1.1 as the Pulumi CLI reads it, minus two traps:
  an unquoted number with a leading zero is the decimal number, as YAML 1.2 reads it, not octal or
  text, and `1:30` is text, not the sexagesimal 90; a key given twice is an error);
- in a program, a `meridian:*` key that is in the stack file is taken from the file as parsed
  above, and any other engine value is decoded the same way (`decode_engine_value`);
- a value the engine marks secret arrives as `{"secure": "[secret]"}`, as it is written in a
  stack file, and its clear text is never kept.
Validation after that is strict (`stacks/config/types.MeridianModel`): no coercion.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

from stacks.config.errors import ConfigError, ConfigProblem

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
SECRET_PLACEHOLDER = "[secret]"
"""What stands for a secret's value wherever Meridian shows or records config (as Pulumi does)."""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class MeridianLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 integers, no sexagesimals, and no duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"the key {key_node.value!r} is given twice",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits, 10)  # 012345678901 is 12345678901, as YAML 1.2 reads it


MeridianLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
MeridianLoader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+|[-+]?0o[0-7_]+|[-+]?0b[01_]+)$"),
    list("-+0123456789"),
)
MeridianLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.VERBOSE,
    ),
    list("-+0123456789."),
)
MeridianLoader.add_constructor(_INT, _construct_int)


class ConfigSource(Protocol):
    def stack_config(self) -> dict[str, Any]:
        """The stack's own config, full keys (`meridian:regions`) to values."""
        ...

    def environment_config(self, environment: str) -> dict[str, Any]:
        """The environment manifest: the config of `<environment>-global`."""
        ...

    def edge_config(self, environment: str) -> dict[str, Any]:
        """The config of `<environment>-edge` (empty when the environment has no edge stack file):
        regional stacks read which edge their ingress must admit from it."""
        ...


def decode_engine_value(value: Any) -> Any:
    """A config value as the engine passes it (JSON text or a scalar's text), as YAML reads it."""
    if not isinstance(value, str):
        return value
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    try:
        decoded = yaml.load(value, Loader=MeridianLoader)
    except yaml.YAMLError:
        return value
    if isinstance(decoded, (dict, list)) or (decoded is None and value.strip() not in _NULLS):
        return value  # text that merely looks structured, or empty: the engine meant text
    return decoded


_NULLS = ("~", "null", "Null", "NULL")


def is_secure(value: Any) -> bool:
    """Whether a config value is a secret (`{secure: ...}` in a stack file)."""
    return isinstance(value, dict) and set(value) == {"secure"}  # pyright: ignore[reportUnknownArgumentType]


def masked(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with every secret's value replaced by `[secret]`, for plan files and messages,
    at any depth (a setting may hold a secret inside it, e.g. an identity provider's client
    secret in `meridian:identity`)."""
    return {k: _masked_value(v) for k, v in config.items()}


def _masked_value(value: Any) -> Any:
    if is_secure(value):
        return {"secure": SECRET_PLACEHOLDER}
    if isinstance(value, dict):
        return {k: _masked_value(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_masked_value(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


def _stack_of(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def _yaml_problem(path: Path, text: str, exc: yaml.YAMLError) -> ConfigProblem:
    mark = getattr(exc, "problem_mark", None)
    reason = str(getattr(exc, "problem", None) or exc).strip()
    if mark is None:
        return ConfigProblem(
            path.name, "<unparsable>", f"is not valid YAML: {reason}", "fix the YAML syntax"
        )
    line, column = mark.line + 1, mark.column + 1
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line != mark.line:
        reason += f" ({context} that starts on line {context_mark.line + 1})"
    source_lines = text.splitlines()
    shown = source_lines[mark.line].strip() if mark.line < len(source_lines) else "<end of file>"
    return ConfigProblem(
        f"{path.name}:{line}:{column}",
        shown[:60] + ("..." if len(shown) > 60 else ""),
        f"is not valid YAML: {reason}",
        f"keep one of the two (line {line} or the earlier one)"
        if "given twice" in reason
        else f"correct line {line}, column {column} (quote values that contain ': ' or start "
        "with a special character)",
        file=path.name,
    )


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a Pulumi stack file; `ConfigError` naming line and column."""
    text = path.read_text(encoding="utf-8")
    stack = _stack_of(path)
    try:
        document = yaml.load(text, Loader=MeridianLoader) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(stack, [_yaml_problem(path, text, exc)]) from None
    config = document.get("config") if isinstance(document, dict) else document
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError(
            stack,
            [
                ConfigProblem(
                    f"{path.name}: config",
                    config,
                    "is not a mapping",
                    "write the file as `config:` followed by indented `key: value` lines",
                    file=path.name,
                )
            ],
        )
    return {str(k): v for k, v in config.items()}  # pyright: ignore[reportUnknownVariableType]


class PulumiConfigSource:
    def __init__(self, project_dir: Path = PROJECT_DIR) -> None:
        self.project_dir = project_dir

    def stack_config(self) -> dict[str, Any]:
        merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
        secret = set(runtime_config.get_config_secret_keys_env())
        values = {
            k: {"secure": SECRET_PLACEHOLDER}
            if k in secret or runtime_config.is_config_secret(k)
            else decode_engine_value(v)
            for k, v in merged.items()
        }
        # The stack file as the gate read it wins for Meridian's own keys: the engine passes a
        # top-level scalar as bare text and loses whether it was quoted.
        path = self.project_dir / f"Pulumi.{pulumi.get_stack()}.yaml"
        if path.exists():
            in_file = read_stack_file(path)
            for key in values:
                if key.startswith("meridian:") and key in in_file:
                    values[key] = in_file[key]
        return values

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

    def edge_config(self, environment: str) -> dict[str, Any]:
        path = self.project_dir / f"Pulumi.{environment}-edge.yaml"
        return read_stack_file(path) if path.exists() else {}


class StaticConfigSource:
    """Config from dictionaries: for tests and for tools that already parsed the stack files."""

    def __init__(
        self,
        stack: dict[str, Any],
        environments: dict[str, dict[str, Any]],
        edges: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._stack = stack
        self._environments = environments
        self._edges = edges or {}

    def edge_config(self, environment: str) -> dict[str, Any]:
        return dict(self._edges.get(environment, {}))

    def stack_config(self) -> dict[str, Any]:
        return dict(self._stack)

    def environment_config(self, environment: str) -> dict[str, Any]:
        return dict(self._environments.get(environment, {}))
