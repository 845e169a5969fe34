"""pydantic's validation errors as `ConfigProblem`s a user can act on.

Every error names the full key (`meridian:sizing.gpuNodes.maxSize`), the value as it arrived and
a fix in the words of a stack file. Type errors say what YAML made of the value and what the key
expects: an unquoted `yes` is a boolean, not the count 1; `3.5` is a fraction, not 3; an unquoted
12-digit account id is a number that may have lost its leading zero ("quote it"). An unknown key,
top-level or nested, gets the closest valid key of the same mapping, never itself.
"""

from __future__ import annotations

import datetime
import difflib
import math
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from stacks.config.errors import ConfigProblem
from stacks.config.types import NAMESPACE

_YAML_BOOLEANS = "YAML reads unquoted yes, no, on, off, true and false as booleans"

_EXPECTED = {
    "int_type": "an integer (a whole number)",
    "int_from_float": "an integer (a whole number)",
    "int_parsing": "an integer (a whole number)",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "float_type": "a number",
    "float_parsing": "a number",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of settings",
    "model_attributes_type": "a mapping of settings",
}


def did_you_mean(name: str, candidates: list[str] | frozenset[str] | set[str], prefix: str) -> str:
    """` (did you mean <prefix><closest>?)`, or "" if nothing is close; never `name` itself."""
    others = sorted(c for c in candidates if c != name)
    by_lower = {c.lower(): c for c in others}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.5)
    return f" (did you mean {prefix}{by_lower[close[0]]}?)" if close else ""


def key_path(loc: tuple[int | str, ...]) -> str:
    """`meridian:sizing.gpuNodes.instanceTypes[0]` from pydantic's location of an error."""
    path = f"{NAMESPACE}:"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += part if i == 0 else f".{part}"
    return path


def _model_in(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the settings model an annotation holds, whether a mapping key comes before it)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        model, _ = _model_in(args[1])
        return model, True
    if origin in (list, typing.Union, types.UnionType):
        for arg in args:
            model, keyed = _model_in(arg)
            if model is not None:
                return model, keyed
    return None, False


def _keys_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str] | None:
    """The keys the mapping at `loc` accepts, or None if it is not a settings model."""
    current: type[BaseModel] | None = model
    skip_next = False
    for part in loc:
        if isinstance(part, int):
            continue
        if skip_next:
            skip_next = False
            continue
        if current is None:
            return None
        fields = {(f.alias or n): f for n, f in current.model_fields.items()}
        if part not in fields:
            return None
        current, skip_next = _model_in(fields[part].annotation)
    if current is None:
        return None
    return [f.alias or n for n, f in current.model_fields.items()]


def _default_at(defaults: dict[str, Any], loc: tuple[int | str, ...]) -> Any:
    value: Any = defaults
    for part in loc:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]  # pyright: ignore[reportUnknownVariableType]
        else:
            return None
    return value  # pyright: ignore[reportUnknownVariableType]


def _what(value: Any, expected_kind: str) -> str:
    """What YAML made of `value`, in a user's words."""
    if isinstance(value, bool):
        return f"a boolean ({_YAML_BOOLEANS})"
    if isinstance(value, float):
        if expected_kind.startswith("int") and math.isfinite(value):
            return "a fraction; counts and sizes are whole numbers and Meridian does not round"
        return "a number"
    if isinstance(value, int):
        if expected_kind == "string_type":
            return "a number (YAML reads unquoted digits as a number and drops leading zeros)"
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date (YAML reads an unquoted yyyy-mm-dd as a date)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "empty"
    return type(value).__name__


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _type_fix(kind: str, value: Any, line: str, example: Any, leaf: str) -> str:
    if kind.startswith("int"):
        if isinstance(value, float) and math.isfinite(value):
            low, high = math.floor(value), math.ceil(value)
            return f"write a whole number, e.g. {line}: {low}" + (
                f" or {high}" if high != low else ""
            )
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return f"write the number without quotes: {line}: {value.strip()}"
        shown = example if isinstance(example, int) and not isinstance(example, bool) else 3
        return f"write a whole number, e.g. {line}: {shown}"
    if kind == "string_type":
        if leaf == "awsAccountId" and isinstance(value, int) and not isinstance(value, bool):
            return (
                f'quote it: {line}: "{value:012d}" (an account id is 12 digits, leading '
                "zeros included)"
            )
        if isinstance(value, (bool, int, float, datetime.date)):
            return f'quote it: {line}: "{_yaml_text(value)}"'
        return f'write text, e.g. {line}: "{example}"' if isinstance(example, str) else "write text"
    if kind.startswith("bool"):
        return f"write {line}: true or {line}: false"
    if kind == "list_type":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return f"write it as a list: {line}: [{_yaml_text(value)}]"
        return f"write it as a list: {line}: [...]"
    return f"write {line} as {_EXPECTED.get(kind, 'the documented type')}"


def _problem_of(
    err: ErrorDetails, model: type[BaseModel], defaults: dict[str, Any], where: str
) -> ConfigProblem:
    loc = tuple(err["loc"])
    key = key_path(loc)
    kind = err["type"]
    value = err.get("input")
    leaf = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    line = f"{NAMESPACE}:{leaf}" if len(loc) == 1 else leaf  # how the key appears in the file
    if kind == "missing":
        return ConfigProblem(
            key, "<unset>", "is required", f"set it in {where}: pulumi config set {key} <value>"
        )
    if kind == "extra_forbidden":
        keys = _keys_at(model, loc[:-1])
        prefix = f"{NAMESPACE}:" if len(loc) == 1 else key_path(loc[:-1]) + "."
        hint = did_you_mean(leaf, keys, prefix) if keys else ""
        return ConfigProblem(
            key,
            value,
            f"is not a Meridian setting{hint}",
            f"remove it from {where} or correct the spelling",
        )
    if kind in _EXPECTED:
        example = _default_at(defaults, loc)
        return ConfigProblem(
            key,
            value,
            f"is {_what(value, kind)}; {leaf or key} must be {_EXPECTED[kind]}",
            f"{_type_fix(kind, value, line, example, leaf)} in {where}"
            + (f" (pulumi config set --path {key} <value>)" if len(loc) > 1 else ""),
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    return ConfigProblem(
        key,
        value,
        message[0].lower() + message[1:],
        f"change it in {where} (pulumi config set --path {key} <value>)",
    )


def pydantic_problems(
    exc: ValidationError,
    model: type[BaseModel],
    defaults: dict[str, Any],
    source_of: dict[str, str],
    fallback_file: str,
) -> list[ConfigProblem]:
    """One problem per error of `exc` (raised by `model`), each attributed to its stack file.

    `defaults` are the environment's defaults (examples for fixes); `source_of` maps each
    top-level key to the stack file its value came from.
    """
    problems: list[ConfigProblem] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = source_of.get(str(loc[0]) if loc else "", fallback_file)
        problems.append(_problem_of(err, model, defaults, where).in_file(where))
    return problems
