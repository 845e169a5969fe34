"""Building blocks of the settings schema: the strict base model, shared constants, defaults merge.

Every settings model (`stacks/settings.py` and each layer's `stacks/<layer>_settings.py`) derives
from `MeridianModel`: unknown keys are refused, values are frozen, keys are camelCase aliases, and
types are STRICT. Strict matters because stack files are YAML 1.1: an unquoted `yes`/`no`/`on`/
`off` arrives as a boolean, `3.5` as a float, `123456789012` as an integer. Lax validation would
turn `true` into a count of 1, truncate `3.7` and accept an account id that lost its leading zero;
strict validation refuses each with the expected type (see `config_checks.type_problem`).

Under strict validation use plain types in models: `int`, `bool`, `str`, `float`, `list[...]`,
`dict[str, ...]`, `Literal[...]` and nested `MeridianModel`s. Avoid `Enum`, `IPv4Network`, `Path`
and similar fields (strict Python-mode validation refuses their text form): keep the text and
check it in a validator or in `config_checks`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

NAMESPACE = "meridian"
DATA_CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")

REGIONAL_SERVICES: tuple[str, ...] = (
    "eks",
    "aurora-postgresql",
    "msk",
    "keyspaces",
    "elasticache",
    "s3",
    "kms",
    "managed-prometheus",
    "cloudwatch-logs",
    "ecr",
    "secretsmanager",
    "backup",
    "sts",
    "ssm",
    "dynamodb",
)
"""Services every region of the platform runs (names from stacks/region_capabilities.json)."""

OPTIONAL_CAPABILITIES: tuple[str, ...] = ("gpu-nodes", "gpu-inference", "gpu-training")
"""Capabilities that are not AWS services but can be opted out of per region: `gpu-nodes` drops
both GPU pools, `gpu-inference` / `gpu-training` one (stacks/node_pool_settings.POOL_OPT_OUTS)."""

TAG_VALUE_RE = re.compile(r"^[\w .:/=+\-@]{1,256}$")


class MeridianModel(BaseModel):
    """Base of every settings model: unknown keys refused, frozen, camelCase aliases, strict."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True, strict=True)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, recursively for mappings; neither input is modified."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)  # type: ignore[arg-type]
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def with_layer_defaults(
    defaults: dict[str, dict[str, Any]], key: str, layer_defaults: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per-environment defaults with one layer's defaults added under its config `key`.

    `layer_defaults` maps every environment (dev, staging, prod) to the layer's default values,
    camelCase as in the stack files. Refuses a key that is already set, or a missing environment,
    so two layers cannot silently overwrite each other.
    """
    if set(layer_defaults) != set(defaults):
        raise ValueError(
            f"defaults for meridian:{key} must cover exactly {sorted(defaults)}, "
            f"got {sorted(layer_defaults)}"
        )
    merged: dict[str, dict[str, Any]] = {}
    for env, values in defaults.items():
        if key in values:
            raise ValueError(f"meridian:{key} already has defaults for {env}")
        merged[env] = {**copy.deepcopy(values), key: copy.deepcopy(layer_defaults[env])}
    return merged
