"""Check an Apollo Router configuration the way the router checks it at startup.

The router validates its YAML configuration against its own configuration JSON schema (draft 7,
`additionalProperties: false` throughout) before it starts, and refuses to start on any error
(apollo-router/src/configuration/schema.rs `validate_yaml_configuration`). That schema, for the
router version the pinned chart runs (stacks/versions.py `APOLLO_ROUTER_VERSION`), is the insta
snapshot the router's repository keeps (`APOLLO_ROUTER_CONFIG_SCHEMA_SHA256` and its evidence).
No package registry ships it and fetched sources are never committed, so it is read from
`schema_sources_dir()` when present: `$MERIDIAN_SCHEMA_SOURCES`, else `../shared/schemas` beside
the repository, as `apollo-router-<version>-configuration-schema.snap` (the snapshot file as
published; its sha256 must equal the pin).

Without it, a configuration is checked against `tests/data/apollo_router_config_keys.json`: the
key paths Meridian may write, each with the JSON types (and enum values) the schema gives it,
written down from the schema and compared with it whenever the schema is present.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from stacks.versions import APOLLO_ROUTER_CONFIG_SCHEMA_SHA256, APOLLO_ROUTER_VERSION

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_SOURCES_ENV = "MERIDIAN_SCHEMA_SOURCES"
DEFAULT_SCHEMA_SOURCES = ROOT.parent / "shared" / "schemas"
"""The team's read-only shared folder beside the repository (CI gets a copy beside the clone)."""
KEYS_FILE = ROOT / "tests" / "data" / "apollo_router_config_keys.json"
ANY_KEY = "*"
"""A path segment standing for any key of a map (e.g. a subgraph's name)."""
ITEM = "[]"
"""A path segment standing for any item of a list."""

KeyPath = tuple[str, ...]
"""A key path: the keys from the top, with ANY_KEY and ITEM where the schema has a map or list."""


class SchemaFileError(Exception):
    """The schema file present is not the pinned one."""


def schema_sources_dir() -> Path:
    configured = os.environ.get(SCHEMA_SOURCES_ENV)
    return Path(configured) if configured else DEFAULT_SCHEMA_SOURCES


def schema_file(sources: Path | None = None, version: str = APOLLO_ROUTER_VERSION) -> Path:
    return (sources or schema_sources_dir()) / f"apollo-router-{version}-configuration-schema.snap"


def missing_reason(path: Path) -> str:
    return (
        f"Apollo Router configuration schema not found at {path}: put there the file "
        "apollo-router/src/configuration/snapshots/apollo_router__configuration__tests__"
        f"schema_generation.snap of apollographql/router at tag {APOLLO_ROUTER_VERSION} (or point "
        f"{SCHEMA_SOURCES_ENV} at a folder holding it; README 'Router configuration check')"
    )


def read_schema(path: Path, sha256: str = APOLLO_ROUTER_CONFIG_SCHEMA_SHA256) -> dict[str, Any]:
    """The JSON schema in an insta snapshot file, after checking the file's sha256."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SchemaFileError(
            f"{path} has sha256 {digest}, not the pinned {sha256} "
            "(stacks/versions.py APOLLO_ROUTER_CONFIG_SCHEMA_SHA256): it is not the schema of "
            f"router {APOLLO_ROUTER_VERSION}"
        )
    text = data.decode()
    # insta's header: "---", metadata lines, "---", then the snapshot itself
    parts = text.split("---\n", 2)
    if len(parts) != 3 or parts[0]:
        raise SchemaFileError(f"{path} is not an insta snapshot (no --- header)")
    return json.loads(parts[2])


@functools.cache
def pinned_schema() -> dict[str, Any] | None:
    """The pinned router's configuration schema, or None when the file is absent."""
    path = schema_file()
    return read_schema(path) if path.is_file() else None


def schema_errors(configuration: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """What the router would refuse in `configuration`: one line per error, with its path."""
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    return sorted(
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(configuration)
    )


# --- the recorded key table -------------------------------------------------------------------


def recorded_keys() -> dict[KeyPath, dict[str, Any]]:
    """The key table: path -> {"types": [...], "enum": [...]?}."""
    document = json.loads(KEYS_FILE.read_text())
    return {tuple(path.split(".")): entry for path, entry in document["keys"].items()}


def leaves(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """(path, value) for every scalar of a configuration, and every empty object or list."""
    if isinstance(value, Mapping) and value:
        for key, child in value.items():
            yield from leaves(child, (*path, str(key)))
    elif isinstance(value, list) and value:
        for child in value:
            yield from leaves(child, (*path, ITEM))
    else:
        yield path, value


def _matches(pattern: KeyPath, path: KeyPath) -> bool:
    return len(pattern) == len(path) and all(
        (p == ANY_KEY and q != ITEM) or p == q for p, q in zip(pattern, path, strict=True)
    )


def _is_type(value: Any, name: str) -> bool:
    return jsonschema.Draft7Validator.TYPE_CHECKER.is_type(value, name)


def key_problems(
    configuration: Mapping[str, Any], keys: Mapping[KeyPath, Mapping[str, Any]]
) -> list[str]:
    """Values at a path the key table does not have, or of a type or value it does not allow."""
    problems: list[str] = []
    for path, value in leaves(configuration):
        dotted = ".".join(path)
        entry = next((e for pattern, e in keys.items() if _matches(pattern, path)), None)
        if entry is None:
            problems.append(f"{dotted}: not a key the router's schema has (key table)")
        elif "any" not in entry["types"] and not any(_is_type(value, t) for t in entry["types"]):
            problems.append(f"{dotted}: {value!r} is not of type {' or '.join(entry['types'])}")
        elif "enum" in entry and value not in entry["enum"]:
            problems.append(f"{dotted}: {value!r} is not one of {entry['enum']}")
    return problems


# --- what the schema says about a path ----------------------------------------------------------


def _alternatives(
    node: Mapping[str, Any], schema: Mapping[str, Any]
) -> Iterator[Mapping[str, Any]]:
    """The subschemas a value at `node` may satisfy: $ref followed, allOf/anyOf/oneOf flattened."""
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/definitions/")
        yield from _alternatives(schema["definitions"][name], schema)
        return
    combined = [s for k in ("allOf", "anyOf", "oneOf") for s in node.get(k, [])]
    own = {k: v for k, v in node.items() if k not in ("allOf", "anyOf", "oneOf", "description")}
    if combined:
        for sub in combined:
            for alternative in _alternatives(sub, schema):
                yield {**own, **alternative}
    else:
        yield node


def _step(node: Mapping[str, Any], segment: str, schema: Mapping[str, Any]) -> list[Any]:
    found: list[Any] = []
    for alternative in _alternatives(node, schema):
        if segment == ITEM:
            if isinstance(alternative.get("items"), Mapping):
                found.append(alternative["items"])
        elif segment == ANY_KEY:
            if isinstance(alternative.get("additionalProperties"), Mapping):
                found.append(alternative["additionalProperties"])
        elif segment in alternative.get("properties", {}):
            found.append(alternative["properties"][segment])
    return found


def schema_entry(path: KeyPath, schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """The key table entry the schema gives `path` (types, enum), or None if it has no such key."""
    nodes: list[Any] = [schema]
    for segment in path:
        nodes = [child for node in nodes for child in _step(node, segment, schema)]
        if not nodes:
            return None
    types: set[str] = set()
    enums: list[Any] = []
    all_enum = True
    for node in nodes:
        for alternative in _alternatives(node, schema):
            values = [alternative["const"]] if "const" in alternative else alternative.get("enum")
            if values is None:
                all_enum = False
            else:
                enums.extend(values)
            declared = alternative.get("type")
            if declared is not None:
                types.update([declared] if isinstance(declared, str) else declared)
            elif values is not None:
                types.update(_type_of(v) for v in values)
            else:
                types.add("any")  # the schema does not constrain the value's type here
    entry: dict[str, Any] = {"types": sorted(types)}
    if all_enum and enums:
        entry["enum"] = sorted(set(enums), key=str)
    return entry


def _type_of(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    raise TypeError(value)
