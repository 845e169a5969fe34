"""Small shared helpers for Meridian policy modules.

Stable API (other policy modules import these; do not rename):

Reading properties (resource policies read through the SDK proxy):

- ``get(value, *path, default=None, blocks=False)``: read a nested property (dict keys / list
  indexes); with ``blocks=True`` a list met before a key is stepped into through its first
  element (a ``maxItems: 1`` block).
- ``dig(value, *path)``: ``get(value, *path, blocks=True)``.
- ``as_list(value)``: a property as a list (``None`` -> ``[]``, scalar -> ``[scalar]``).
- ``as_bool(value)``, ``as_int(value)``, ``number(value)``, ``truthy(value)``: tolerant scalar
  conversions (engine numbers are floats, some AWS booleans are strings such as ``"true"``).
- ``to_plain(value)``: deep copy of a property into plain ``dict``/``list`` values.

Unknown values in stack policies (plain values, see below):

- ``plain(props)``, ``is_unknown(value)``, ``UNKNOWN``, ``pget(value, *path)``.
- ``Verdict``, ``Finding``, ``merge_findings(findings)``: tri-state results.
- ``UnknownCollector``: keep checking known values when some are unknown during preview.
- ``UnknownValueError``: re-exported from the SDK.

Policy config:

- ``config(args, key, default)``: a policy config property with a fallback.
- ``cfg_value`` / ``cfg_number`` / ``cfg_bool`` / ``cfg_strings(cfg, key, default)``: the same
  (typed) from a config mapping.

Building policies:

- Policies are declared with ``policies.declare.resource_policy`` / ``stack_policy`` (one idiom
  per kind, with the policy's metadata), not here.
- ``requires_true(prop, fix)``, ``requires_cmk(kind, prop, consequence)``: validator factories;
  ``kms_key_problem(value)``: why a value is not a customer-managed KMS key reference.
- ``label(resource_type, name)``: ``"aws:s3/bucket:Bucket 'logs'"``; ``short_type(type)``:
  ``"rds.Cluster"`` for messages.
- ``linked_urns(resource, prop)``: URNs a stack resource references through ``prop`` or its
  dependencies (how a rule is tied to its group, a policy to its namespace).
- ``is_empty(value)``: ``None``, ``""``, ``[]`` and mappings of empty values (``{}``,
  ``{matchLabels: {}}``), the "select everything" / "no rules" shapes of Kubernetes specs.

Domain helpers:

- ``REQUIRED_TAGS``: the six tag keys every taggable AWS resource carries.
- ``provider_default_tags(provider)``: an AWS provider's ``defaultTags.tags``.
- ``effective_tags(props, provider)``: resource ``tags`` merged over the AWS provider's
  ``defaultTags`` (what AWS will actually apply).
- ``parse_policy_document(value)`` / ``policy_statements(value)``: IAM-style JSON documents.
- ``taggable_types()``: AWS type tokens whose resources accept ``tags``
  (``policies/data/aws_taggable_types.json``, generated from the pinned pulumi-aws).
- ``provider_region(resource)`` / ``arn_region(arn)``: the region of a stack resource.
- ``parse_cidr(value)``, ``is_world_cidr(cidr)``, ``is_public_cidr(cidr)``,
  ``cidr_in_allowlist(cidr, allowed)``.

Unknown values: during ``pulumi preview`` some inputs are not known yet. The SDK wraps properties
in a proxy that raises ``UnknownValueError`` when a policy *reads* an unknown value; the SDK turns
that into an advisory "can't run policy during preview" note instead of a violation. The reading
helpers never swallow that exception (``UnknownCollector`` defers it and re-raises it at the end),
so a policy built on them never reports a violation for a value that is merely unknown.

Stack policies see every resource at once; one unknown value must not silence the policy for the
whole stack, so they unwrap the proxy with :func:`plain` and treat unknown values explicitly as
"cannot tell yet" (never as a violation).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import serialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

__all__ = [
    "REQUIRED_TAGS",
    "UNKNOWN",
    "Finding",
    "UnknownCollector",
    "UnknownValueError",
    "ValidateFn",
    "Verdict",
    "arn_region",
    "as_bool",
    "as_int",
    "as_list",
    "cfg_bool",
    "cfg_number",
    "cfg_strings",
    "cfg_value",
    "cidr_in_allowlist",
    "config",
    "dig",
    "effective_tags",
    "get",
    "is_empty",
    "is_public_cidr",
    "is_unknown",
    "is_world_cidr",
    "kms_key_problem",
    "label",
    "linked_urns",
    "merge_findings",
    "number",
    "parse_cidr",
    "parse_policy_document",
    "pget",
    "plain",
    "policy_statements",
    "provider_default_tags",
    "provider_region",
    "requires_cmk",
    "requires_true",
    "short_type",
    "taggable_types",
    "to_plain",
    "truthy",
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


# --------------------------------------------------------------------------------------------
# Unknown values in plain (unwrapped) properties
# --------------------------------------------------------------------------------------------

_UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_STRING_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
    }
)


class _Unknown:
    """Marker returned by :func:`pget` for a value that is unknown during preview."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Final = _Unknown()

Verdict = Literal["ok", "bad", "unknown"]
"""Outcome of a tri-state check in a stack policy: compliant, violating, or cannot tell yet."""

Finding = tuple[Verdict, list[str]]
"""A verdict and, for ``bad``, the problems found (each naming the property)."""


def is_unknown(value: object) -> bool:
    """True for an engine unknown sentinel (raw value) or the :data:`UNKNOWN` marker."""
    return isinstance(value, _Unknown) or (isinstance(value, str) and value in _UNKNOWN_SENTINELS)


def plain(props: Mapping[str, Any]) -> dict[str, Any]:
    """Unwrap pulumi_policy's unknown-checking proxy into plain dicts/lists.

    Unknown values stay as their raw sentinel strings (see :func:`is_unknown`). Only stack policies
    use this: a resource policy reads through the proxy so that the engine skips it on unknowns.
    """
    return dict(serialize_properties(props))


def merge_findings(findings: Iterable[Finding]) -> Finding:
    """``bad`` if any is bad, else ``unknown`` if any is unknown, else ``ok``."""
    problems: list[str] = []
    unknown = False
    for verdict, found in findings:
        if verdict == "bad":
            problems.extend(found)
        elif verdict == "unknown":
            unknown = True
    if problems:
        return "bad", problems
    return ("unknown", []) if unknown else ("ok", [])


# --------------------------------------------------------------------------------------------
# Reading nested properties
# --------------------------------------------------------------------------------------------


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _walk(value: Any, path: Sequence[str | int], *, blocks: bool, unknowns: bool) -> Any:
    """The value at ``path``; ``_MISSING`` when a step is absent or ``None``.

    ``blocks``: a list met before a key is stepped into through its first element.
    ``unknowns``: return :data:`UNKNOWN` as soon as an unknown sentinel is met (plain values).
    """
    current = value
    for step in path:
        if unknowns and is_unknown(current):
            return UNKNOWN
        if current is None:
            return _MISSING
        if isinstance(step, int):
            if (
                isinstance(current, Sequence)
                and not isinstance(current, str)
                and -len(current) <= step < len(current)
            ):
                current = current[step]
                continue
            return _MISSING
        if blocks and _is_sequence(current):
            seq: Sequence[Any] = current
            current = seq[0] if len(seq) > 0 else None
            if unknowns and is_unknown(current):
                return UNKNOWN
        if not isinstance(current, Mapping):
            return _MISSING
        current = _lookup(current, step)  # pyright: ignore[reportUnknownArgumentType]
        if current is _MISSING:
            return _MISSING
    if unknowns and is_unknown(current):
        return UNKNOWN
    return current


def _lookup(mapping: Mapping[str, Any], key: str) -> Any:
    try:
        return mapping[key]
    except KeyError:
        return _MISSING


def get(value: Any, *path: str | int, default: Any = None, blocks: bool = False) -> Any:
    """Return ``value[path[0]][path[1]]...`` or ``default`` when a step is absent or ``None``.

    With ``blocks=True`` a list met before a key step is stepped into through its first element
    (a ``maxItems: 1`` block such as ``encryptionConfig``); an empty list counts as absent.

    Raises ``UnknownValueError`` if a value on the path is unknown during preview.
    """
    found = _walk(value, path, blocks=blocks, unknowns=False)
    return default if found is _MISSING or found is None else found


def dig(value: Any, *path: str) -> Any:
    """``get(value, *path, blocks=True)``: walk the (proxied) props of a resource policy.

    Reading an unknown value raises ``UnknownValueError`` from the proxy, which the analyzer turns
    into "skipped during preview"; this function never catches it. A list on the way is stepped
    into through its first element; a missing step yields ``None``.
    """
    return get(value, *path, blocks=True)


def pget(value: Any, *path: str) -> Any:
    """Walk ``path`` through plain nested mappings (see :func:`plain`).

    Returns :data:`UNKNOWN` when any step is unknown, ``None`` when a step is missing. A
    single-element list on the way (a ``maxItems: 1`` block) is stepped into transparently.
    """
    found = _walk(value, path, blocks=True, unknowns=True)
    return None if found is _MISSING else found


def as_list(value: Any) -> list[Any]:
    """A property as a list: ``None`` -> ``[]``, a string or mapping -> ``[value]``."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)):
        return [value]
    if isinstance(value, Sequence):
        seq: Sequence[Any] = value  # pyright: ignore[reportUnknownVariableType]
        return [seq[i] for i in range(len(seq))]
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


def truthy(value: Any) -> bool:
    """``True`` for boolean true and for the string ``"true"`` (launch templates use strings)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


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


def number(value: Any) -> float | None:
    """A numeric property as float (the engine sends numbers as floats), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


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


# --------------------------------------------------------------------------------------------
# Policy config
# --------------------------------------------------------------------------------------------


def cfg_value(cfg: Mapping[str, Any], key: str, default: Any) -> Any:
    """The config property ``key`` of ``cfg`` or ``default`` when it is absent or null."""
    if key in cfg and cfg[key] is not None:
        return cfg[key]
    return default


def config(args: _HasConfig, key: str, default: Any) -> Any:
    """The policy config property ``key`` (from ``--policy-pack-config``) or ``default``."""
    return cfg_value(args.get_config(), key, default)


def cfg_number(cfg: Mapping[str, Any], key: str, default: float) -> float:
    value = number(cfg_value(cfg, key, None))
    return default if value is None else value


def cfg_bool(cfg: Mapping[str, Any], key: str, default: bool) -> bool:
    value = cfg_value(cfg, key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return default


def cfg_strings(cfg: Mapping[str, Any], key: str, default: Sequence[str]) -> list[str]:
    value = cfg_value(cfg, key, None)
    if _is_sequence(value):
        return [str(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, str) and value:
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(default)


# --------------------------------------------------------------------------------------------
# Building policies and messages
# --------------------------------------------------------------------------------------------

ValidateFn = Callable[[ResourceValidationArgs, ReportViolation], None]
StackValidateFn = Callable[[StackValidationArgs, ReportViolation], None]


def label(resource_type: str, name: str) -> str:
    """Human label for messages: ``aws:s3/bucket:Bucket 'logs'``."""
    return f"{resource_type} '{name}'"


def linked_urns(resource: PolicyResource, prop: str) -> list[str]:
    """URNs ``resource`` references through the input ``prop`` or its dependencies."""
    return [d.urn for d in resource.property_dependencies.get(prop, [])] + [
        d.urn for d in resource.dependencies
    ]


def is_empty(value: Any) -> bool:
    """None, "", [] and mappings whose values are all empty (``{}``, ``{matchLabels: {}}``).

    Raises ``UnknownValueError`` if a value it has to look at is unknown during preview."""
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, Mapping):
        mapping: Mapping[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
        return all(is_empty(mapping[k]) for k in mapping)
    if _is_sequence(value):
        return len(value) == 0  # pyright: ignore[reportUnknownArgumentType]
    return False


def short_type(resource_type: str) -> str:
    """``aws:rds/cluster:Cluster`` -> ``rds.Cluster`` for messages."""
    parts = resource_type.split(":")
    if len(parts) != 3:
        return resource_type
    module = parts[1].split("/")[0]
    return f"{module}.{parts[2]}"


def requires_true(prop: str, fix: str) -> ValidateFn:
    """A validator reporting a resource whose ``prop`` is not ``true``; ``fix`` ends the message."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if dig(args.props, prop) is not True:
            report(
                f"{short_type(args.resource_type)} '{args.name}': {prop} is not true. {fix}",
                None,
            )

    return validate


_AWS_MANAGED_ALIAS: Final = re.compile(r"(^|:)alias/aws/")


def kms_key_problem(value: Any) -> str | None:
    """Why ``value`` is not a customer-managed KMS key reference, or ``None`` if it is one.

    Accepts a key ARN, key id, alias ARN or alias name; rejects empty values and the AWS-managed
    aliases (``alias/aws/s3``, ``alias/aws/rds`` ...). Call only with a known value.
    """
    if value is None or value == "":
        return "is not set"
    if not isinstance(value, str):
        return "is not a KMS key ARN, key id or alias"
    if _AWS_MANAGED_ALIAS.search(value):
        return f"is the AWS-managed key '{value}', not a customer-managed key"
    return None


def requires_cmk(kind: str, prop: str, consequence: str) -> ValidateFn:
    """A validator reporting a ``kind`` resource whose ``prop`` is not a customer-managed key."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        problem = kms_key_problem(dig(args.props, prop))
        if problem:
            report(
                f"{kind} '{args.name}': {prop} {problem}; {consequence}. Fix: set {prop} to the "
                "ARN of a customer-managed KMS key whose key policy allows this service.",
                None,
            )

    return validate


# --------------------------------------------------------------------------------------------
# Tags, policy documents, regions
# --------------------------------------------------------------------------------------------


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
        plain_doc = to_plain(value)
        return plain_doc if isinstance(plain_doc, dict) else None
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


def provider_region(resource: PolicyResource) -> Any:
    """Region of a stack resource: its own ``region`` input (pulumi-aws 7), its provider's
    ``region``, or the region field of its ``arn`` output. :data:`UNKNOWN` / ``None`` if not
    determinable."""
    props = plain(resource.props)
    own = pget(props, "region")
    if isinstance(own, str) and own:
        return own
    if is_unknown(own):
        return UNKNOWN
    if resource.provider is not None:
        region = pget(plain(resource.provider.props), "region")
        if isinstance(region, str) and region:
            return region
        if is_unknown(region):
            return UNKNOWN
    return arn_region(pget(props, "arn"))


def arn_region(arn: Any) -> Any:
    """The region field of an ARN; :data:`UNKNOWN` if unknown, ``None`` if not an ARN."""
    if is_unknown(arn):
        return UNKNOWN
    if isinstance(arn, str) and arn.startswith("arn:"):
        parts = arn.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    return None


# --------------------------------------------------------------------------------------------
# CIDR ranges
# --------------------------------------------------------------------------------------------


def parse_cidr(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR string as a network (host bits allowed); ``None`` if not a parseable string."""
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def is_world_cidr(cidr: Any) -> bool:
    """True for ``0.0.0.0/0`` and ``::/0`` (and equivalent spellings)."""
    network = parse_cidr(cidr)
    return network is not None and network.prefixlen == 0


def is_public_cidr(cidr: Any) -> bool:
    """True when a CIDR reaches globally routable (internet) addresses."""
    network = parse_cidr(cidr)
    if network is None:
        return False
    if network.prefixlen == 0:
        return True
    return network.network_address.is_global or network.broadcast_address.is_global


def cidr_in_allowlist(cidr: Any, allowed: Iterable[str]) -> bool:
    """True when ``cidr`` lies inside one of the ``allowed`` CIDRs (unparseable entries skipped)."""
    network = parse_cidr(cidr)
    if network is None:
        return False
    for entry in allowed:
        allowed_net = parse_cidr(entry)
        if allowed_net is None:
            continue
        if network.version == allowed_net.version and network.subnet_of(allowed_net):  # type: ignore[arg-type]
            return True
    return False


# --------------------------------------------------------------------------------------------
# Deferring unknown values in resource policies
# --------------------------------------------------------------------------------------------


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
