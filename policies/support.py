"""Small shared helpers for Meridian policy modules.

Stable API (other policy modules import these; do not rename):

- ``REQUIRED_TAGS``: the six tag keys every taggable AWS resource carries.
- ``get(value, *path, default=None)``: read a nested property (dict keys / list indexes).
- ``as_list(value)``: a property as a list (``None`` -> ``[]``, scalar -> ``[scalar]``).
- ``as_bool(value)``, ``as_int(value)``: tolerant scalar conversions (engine numbers are floats,
  some AWS booleans are strings such as ``"true"``).
- ``to_plain(value)``: deep copy of a property into plain ``dict``/``list`` values.
- ``config(args, key, default)``: a policy config property with a fallback.
- ``label(resource_type, name)``: ``"aws:s3/bucket:Bucket 'logs'"`` for messages.
- ``provider_default_tags(provider)``: an AWS provider's ``defaultTags.tags``.
- ``effective_tags(props, provider)``: resource ``tags`` merged over the AWS provider's
  ``defaultTags`` (what AWS will actually apply).
- ``parse_policy_document(value)`` / ``policy_statements(value)``: IAM-style JSON documents.
- ``taggable_types()``: AWS type tokens whose resources accept ``tags``
  (``policies/data/aws_taggable_types.json``, generated from the pinned pulumi-aws).
- ``UnknownCollector``: keep checking known values when some are unknown during preview.
- ``UnknownValueError``: re-exported from the SDK.

Unknown values: during ``pulumi preview`` some inputs are not known yet. The SDK wraps properties
in a proxy that raises ``UnknownValueError`` when a policy *reads* an unknown value; the SDK turns
that into an advisory "can't run policy during preview" note instead of a violation. These helpers
never swallow that exception (``UnknownCollector`` defers it and re-raises it at the end), so a
policy built on them never reports a violation for a value that is merely unknown.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from pulumi_policy.proxy import UnknownValueError

__all__ = [
    "REQUIRED_TAGS",
    "UnknownCollector",
    "UnknownValueError",
    "as_bool",
    "as_int",
    "as_list",
    "config",
    "effective_tags",
    "get",
    "is_public_cidr",
    "is_world_cidr",
    "label",
    "parse_policy_document",
    "policy_statements",
    "provider_default_tags",
    "taggable_types",
    "to_plain",
]

REQUIRED_TAGS: tuple[str, ...] = (
    "owner",
    "cost-center",
    "environment",
    "data-classification",
    "managed-by",
    "stack",
)

DATA_DIR = Path(__file__).resolve().parent / "data"
TAGGABLE_TYPES_FILE = DATA_DIR / "aws_taggable_types.json"

_MISSING = object()


class _HasConfig(Protocol):
    def get_config(self) -> Mapping[str, Any]: ...


def get(value: Any, *path: str | int, default: Any = None) -> Any:
    """Return ``value[path[0]][path[1]]...`` or ``default`` when a step is absent or ``None``.

    Raises ``UnknownValueError`` if a value on the path is unknown during preview.
    """
    current = value
    for step in path:
        if current is None:
            return default
        if isinstance(step, int):
            if (
                isinstance(current, Sequence)
                and not isinstance(current, str)
                and -len(current) <= step < len(current)
            ):
                current = current[step]
                continue
            return default
        if not isinstance(current, Mapping):
            return default
        found = _lookup(current, step)
        if found is _MISSING:
            return default
        current = found
    return default if current is None else current


def _lookup(mapping: Mapping[str, Any], key: str) -> Any:
    try:
        return mapping[key]
    except KeyError:
        return _MISSING


def as_list(value: Any) -> list[Any]:
    """A property as a list: ``None`` -> ``[]``, a string or mapping -> ``[value]``."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)):
        return [value]
    if isinstance(value, Sequence):
        return [value[i] for i in range(len(value))]
    return [value]


def as_bool(value: Any, default: bool = False) -> bool:
    """``True``/``False`` from a bool or the strings ``"true"``/``"false"``; else ``default``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    return default


def as_int(value: Any, default: int | None = None) -> int | None:
    """An integer from an int, float (engine numbers are doubles) or numeric string."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return default
    return default


def to_plain(value: Any) -> Any:
    """Deep-copy a (proxied) property into plain dicts and lists.

    Raises ``UnknownValueError`` at the first unknown value it meets.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_plain(value[k]) for k in value}
    if isinstance(value, Sequence):
        return [to_plain(value[i]) for i in range(len(value))]
    return value


def config(args: _HasConfig, key: str, default: Any) -> Any:
    """The policy config property ``key`` (from ``--policy-pack-config``) or ``default``."""
    cfg = args.get_config()
    if key in cfg and cfg[key] is not None:
        return cfg[key]
    return default


def label(resource_type: str, name: str) -> str:
    """Human label for messages: ``aws:s3/bucket:Bucket 'logs'``."""
    return f"{resource_type} '{name}'"


def provider_default_tags(provider: Any) -> dict[str, Any]:
    """``defaultTags.tags`` of an AWS provider resource (``{}`` for other providers)."""
    if provider is None or not str(getattr(provider, "resource_type", "")).startswith(
        "pulumi:providers:aws"
    ):
        return {}
    raw = get(provider.props, "defaultTags")
    if isinstance(raw, str):
        # Provider inputs carry nested values JSON-encoded (pulumi.runtime.to_json).
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    tags = get(raw, "tags")
    if isinstance(tags, Mapping):
        return {str(k): tags[k] for k in tags}
    return {}


def effective_tags(props: Mapping[str, Any], provider: Any = None) -> dict[str, Any]:
    """Tags AWS will apply: the provider's ``defaultTags.tags`` overlaid by the ``tags`` input.

    Raises ``UnknownValueError`` if the tags (or a tag value) are unknown during preview.
    """
    merged = provider_default_tags(provider)
    tags = get(props, "tags")
    if isinstance(tags, Mapping):
        for key in tags:
            merged[str(key)] = tags[key]
    return merged


def parse_policy_document(value: Any) -> dict[str, Any] | None:
    """An IAM/resource policy document (JSON string or object) as a dict; ``None`` if absent
    or not parseable. Raises ``UnknownValueError`` if the document is unknown."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            parsed = json.loads(text)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    if isinstance(value, Mapping):
        plain = to_plain(value)
        return plain if isinstance(plain, dict) else None
    return None


def policy_statements(value: Any) -> list[dict[str, Any]]:
    """The statements of a policy document (a single statement object is accepted)."""
    doc = parse_policy_document(value)
    if doc is None:
        return []
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return []
    return [s for s in statements if isinstance(s, dict)]


@lru_cache(maxsize=1)
def taggable_types() -> frozenset[str]:
    """AWS type tokens whose resources accept a ``tags`` input (pinned pulumi-aws)."""
    with TAGGABLE_TYPES_FILE.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return frozenset(data["types"])


def is_world_cidr(cidr: Any) -> bool:
    """True for ``0.0.0.0/0`` and ``::/0`` (and equivalent spellings)."""
    if not isinstance(cidr, str):
        return False
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    return network.prefixlen == 0


def is_public_cidr(cidr: Any) -> bool:
    """True when a CIDR reaches globally routable (internet) addresses."""
    if not isinstance(cidr, str):
        return False
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    if network.prefixlen == 0:
        return True
    return network.network_address.is_global or network.broadcast_address.is_global


class UnknownCollector:
    """Run checks that may hit unknown values, keep going, re-raise the first unknown at the end.

    Use it when one unknown element should not hide a definite violation in another element::

        unknowns = UnknownCollector()
        for rule in rules:
            with unknowns.guard():
                check(rule)
        unknowns.finish()  # raises UnknownValueError if any check met an unknown value
    """

    def __init__(self) -> None:
        self.error: UnknownValueError | None = None

    @contextmanager
    def guard(self) -> Iterator[None]:
        try:
            yield
        except UnknownValueError as exc:
            if self.error is None:
                self.error = exc

    def call(self, fn: Callable[[], Any]) -> Any:
        """Call ``fn``; on an unknown value remember it and return ``None``."""
        with self.guard():
            return fn()
        return None

    def finish(self) -> None:
        if self.error is not None:
            raise self.error
