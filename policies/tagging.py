"""Tagging policies: every taggable AWS resource carries Meridian's six tags with sane values.

A resource type is taggable when the pinned pulumi-aws accepts a ``tags`` input for it
(``policies/data/aws_taggable_types.json``). The tags checked are the ones AWS will apply: the
resource's ``tags`` input merged over its AWS provider's ``defaultTags``. Tags that are unknown
during preview are never reported (the SDK turns the unknown read into an advisory note).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .compliance import (
    ASSET_INVENTORY,
    CHANGE_MANAGEMENT,
    DATA_CLASSIFICATION,
    Controls,
)
from .declare import resource_policy
from .support import (
    REQUIRED_TAGS,
    config,
    get,
    label,
    provider_default_tags,
    taggable_types,
)

CONCERN = "tagging"


MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256

DEFAULT_ALLOWED_VALUES: dict[str, list[str]] = {
    "environment": ["dev", "staging", "prod"],
    "data-classification": ["public", "internal", "confidential", "restricted"],
    "managed-by": ["pulumi"],
}

_STRING_LIST = {"type": "array", "items": {"type": "string"}}


def _applies(args: ResourceValidationArgs) -> bool:
    return args.resource_type in taggable_types()


def _tag_keys(args: ResourceValidationArgs) -> list[str]:
    """Keys of the effective tags. Reading keys never touches (possibly unknown) values."""
    keys = [str(k) for k in provider_default_tags(args.provider)]
    tags = get(args.props, "tags")  # raises UnknownValueError if the whole map is unknown
    if isinstance(tags, Mapping):
        keys.extend(str(k) for k in tags if str(k) not in keys)
    return keys


def _tag_value(args: ResourceValidationArgs, key: str) -> Any:
    """Effective value of one tag (resource tags win over provider default tags), or None."""
    tags = get(args.props, "tags")
    if isinstance(tags, Mapping) and key in list(tags):
        return tags[key]
    defaults = provider_default_tags(args.provider)
    if key in list(defaults):
        return defaults[key]
    return None


def _where(args: ResourceValidationArgs) -> str:
    return label(args.resource_type, args.name)


def _required_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _applies(args):
        return
    required = [str(t) for t in config(args, "requiredTags", list(REQUIRED_TAGS))]
    present = set(_tag_keys(args))
    missing = [t for t in required if t not in present]
    if missing:
        report(
            f"{_where(args)} is missing required tag(s) {', '.join(missing)}. "
            f"Fix: add {', '.join(missing)} to the resource's `tags` (or to the AWS provider's "
            "`default_tags`), e.g. through Meridian's tagging helper.",
            None,
        )


def _allowed_values_policy(
    tag: str, name: str, description: str, controls: Controls
) -> ResourceValidationPolicy:
    default = DEFAULT_ALLOWED_VALUES[tag]

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not _applies(args):
            return
        if tag not in _tag_keys(args):
            return  # required-tags reports the missing tag
        value = _tag_value(args, tag)
        allowed = [str(v) for v in config(args, "allowedValues", default)]
        if not isinstance(value, str) or value not in allowed:
            report(
                f"{_where(args)} has tag {tag}={value!r}, which is not one of "
                f"{', '.join(allowed)}. Fix: set tag {tag} to one of {', '.join(allowed)}.",
                None,
            )

    return resource_policy(
        name,
        description,
        concern=CONCERN,
        service="tagging",
        severity=Severity.MEDIUM,
        controls=controls,
        validate=validate,
        config_schema=PolicyConfigSchema(
            properties={"allowedValues": {**_STRING_LIST, "default": default}}
        ),
    )


def _non_empty_policy(tag: str, name: str) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not _applies(args) or tag not in _tag_keys(args):
            return
        value = _tag_value(args, tag)
        if not isinstance(value, str) or not value.strip():
            report(
                f"{_where(args)} has an empty `{tag}` tag. Fix: set {tag} to the accountable "
                f"{'team or person' if tag == 'owner' else 'cost center code'}.",
                None,
            )

    return resource_policy(
        name,
        f"The `{tag}` tag must not be empty or blank.",
        concern=CONCERN,
        service="tagging",
        severity=Severity.MEDIUM,
        controls=ASSET_INVENTORY,
        validate=validate,
    )


def _key_length(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _applies(args):
        return
    limit = int(config(args, "maxLength", MAX_TAG_KEY_LENGTH))
    too_long = [k for k in _tag_keys(args) if len(k) > limit]
    for key in too_long:
        report(
            f"{_where(args)} has tag key {key[:40]!r}... of {len(key)} characters (AWS limit "
            f"{limit}). Fix: shorten the tag key to at most {limit} characters.",
            None,
        )


def _value_length(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _applies(args):
        return
    limit = int(config(args, "maxLength", MAX_TAG_VALUE_LENGTH))
    for key in _tag_keys(args):
        value = _tag_value(args, key)
        if isinstance(value, str) and len(value) > limit:
            report(
                f"{_where(args)} has tag {key} with a value of {len(value)} characters (AWS "
                f"limit {limit}). Fix: shorten the value of tag {key} to at most {limit} "
                "characters.",
                None,
            )


def _reserved_prefix(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _applies(args):
        return
    tags = get(args.props, "tags")
    if not isinstance(tags, Mapping):
        return
    for key in [str(k) for k in tags]:
        if key.lower().startswith("aws:"):
            report(
                f"{_where(args)} sets tag {key!r}; the `aws:` prefix is reserved and AWS rejects "
                "it. Fix: remove the tag or rename it without the `aws:` prefix.",
                None,
            )


def _environment_matches(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _applies(args):
        return
    expected = config(args, "expectedEnvironment", None)
    if not expected:
        args.not_applicable("no expectedEnvironment configured for this environment")
        return
    if "environment" not in _tag_keys(args):
        return
    value = _tag_value(args, "environment")
    if value != expected:
        report(
            f"{_where(args)} is tagged environment={value!r} but is deployed with the "
            f"{expected!r} policy configuration. Fix: deploy it to a {value!r} stack, or tag it "
            f"environment={expected!r}.",
            None,
        )


POLICIES: list[Policy] = [
    resource_policy(
        "required-tags",
        "Every taggable AWS resource carries the tags owner, cost-center, environment, "
        "data-classification, managed-by and stack (resource tags or provider default tags).",
        concern=CONCERN,
        service="tagging",
        severity=Severity.HIGH,
        controls=ASSET_INVENTORY | DATA_CLASSIFICATION,
        validate=_required_tags,
        config_schema=PolicyConfigSchema(
            properties={"requiredTags": {**_STRING_LIST, "default": list(REQUIRED_TAGS)}}
        ),
    ),
    _allowed_values_policy(
        "environment",
        "tag-environment-value",
        "The `environment` tag is one of the configured environments (dev, staging, prod).",
        ASSET_INVENTORY,
    ),
    _allowed_values_policy(
        "data-classification",
        "tag-data-classification-value",
        "The `data-classification` tag is one of public, internal, confidential, restricted.",
        DATA_CLASSIFICATION,
    ),
    _allowed_values_policy(
        "managed-by",
        "tag-managed-by-value",
        "The `managed-by` tag says `pulumi` so drift and ownership are traceable.",
        ASSET_INVENTORY | CHANGE_MANAGEMENT,
    ),
    _non_empty_policy("owner", "tag-owner-non-empty"),
    _non_empty_policy("cost-center", "tag-cost-center-non-empty"),
    resource_policy(
        "tag-key-length",
        f"Tag keys are at most {MAX_TAG_KEY_LENGTH} characters (AWS limit).",
        concern=CONCERN,
        service="tagging",
        severity=Severity.LOW,
        controls=ASSET_INVENTORY,
        validate=_key_length,
        config_schema=PolicyConfigSchema(
            properties={"maxLength": {"type": "integer", "default": MAX_TAG_KEY_LENGTH}}
        ),
    ),
    resource_policy(
        "tag-value-length",
        f"Tag values are at most {MAX_TAG_VALUE_LENGTH} characters (AWS limit).",
        concern=CONCERN,
        service="tagging",
        severity=Severity.LOW,
        controls=ASSET_INVENTORY,
        validate=_value_length,
        config_schema=PolicyConfigSchema(
            properties={"maxLength": {"type": "integer", "default": MAX_TAG_VALUE_LENGTH}}
        ),
    ),
    resource_policy(
        "tag-key-reserved-prefix",
        "Tag keys do not use the reserved `aws:` prefix.",
        concern=CONCERN,
        service="tagging",
        severity=Severity.LOW,
        controls=ASSET_INVENTORY,
        validate=_reserved_prefix,
    ),
    resource_policy(
        "tag-environment-matches-config",
        "The `environment` tag matches the environment whose policy config is in use, so a "
        "resource tagged dev cannot slip into prod.",
        concern=CONCERN,
        service="tagging",
        severity=Severity.MEDIUM,
        controls=ASSET_INVENTORY | CHANGE_MANAGEMENT,
        validate=_environment_matches,
        config_schema=PolicyConfigSchema(properties={"expectedEnvironment": {"type": "string"}}),
    ),
]
