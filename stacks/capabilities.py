"""Read-only access to the region capability table (``stacks/region_capabilities.json``).

The table is generated from what AWS publishes
(``python -m meridian_ops.gen.capabilities generate``; see docs/capabilities.md); this module
only reads it. Stdlib only: the Pulumi program must not import moto or boto3. The file is
parsed once per process.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from pathlib import Path
from typing import Any, TypedDict, cast

TABLE_PATH = Path(__file__).with_name("region_capabilities.json")


class InstanceTypeOffering(TypedDict):
    offered: bool
    az_count: int
    az_ids: list[str]


class RegionCapabilities(TypedDict):
    long_name: str
    az_ids: list[str]
    az_count: int
    services: dict[str, bool]
    # False where the source had no EC2 offering data for the region (then both maps are None).
    instance_data: bool
    gpu_instance_types: dict[str, InstanceTypeOffering] | None
    system_instance_types: dict[str, InstanceTypeOffering] | None


class _Table(TypedDict):
    schema_version: int
    source: dict[str, Any]
    regions: dict[str, RegionCapabilities]


@functools.cache
def _table() -> _Table:
    with TABLE_PATH.open(encoding="utf-8") as fh:
        return cast(_Table, json.load(fh))


def _region(region: str) -> RegionCapabilities:
    try:
        return _table()["regions"][region]
    except KeyError:
        hint = nearest_known_region(region)
        suffix = f" Did you mean {hint!r}?" if hint else ""
        raise ValueError(f"Unknown AWS region {region!r}.{suffix}") from None


def source() -> dict[str, Any]:
    """Where the table came from: kind ("moto <v> snapshot" / "account refresh"), date, codes."""
    return copy.deepcopy(_table()["source"])


def known_regions() -> list[str]:
    """Every commercial (partition ``aws``) region in the table, sorted."""
    return sorted(_table()["regions"])


def region_exists(region: str) -> bool:
    return region in _table()["regions"]


def nearest_known_region(name: str) -> str | None:
    """Closest known region name, for "did you mean" messages; None if nothing is close."""
    matches = difflib.get_close_matches(name.strip().lower(), known_regions(), n=1, cutoff=0.6)
    return matches[0] if matches else None


def long_name(region: str) -> str:
    return _region(region)["long_name"]


def az_ids(region: str) -> list[str]:
    """AZ IDs (account-independent, e.g. ``use1-az1``) that AWS publishes for the region."""
    return list(_region(region)["az_ids"])


def az_count(region: str) -> int:
    return _region(region)["az_count"]


def services() -> list[str]:
    """Meridian service names the table tracks (keys of ``offers``)."""
    return sorted(_table()["source"]["service_codes"])


def offers(region: str, service: str) -> bool:
    """Whether AWS publishes ``service`` (a Meridian service name) as offered in ``region``."""
    known = services()
    if service not in known:
        raise ValueError(
            f"Unknown Meridian service name {service!r}; valid names: {', '.join(known)}"
        )
    return bool(_region(region)["services"].get(service, False))


def missing_services(region: str) -> list[str]:
    """Meridian services not offered in ``region``, sorted."""
    return sorted(name for name, ok in _region(region)["services"].items() if not ok)


def instance_types() -> list[str]:
    """Instance types the table tracks (GPU then system node pool types)."""
    src = _table()["source"]
    return [*src["gpu_instance_types"], *src["system_instance_types"]]


def gpu_instance_types() -> list[str]:
    return list(_table()["source"]["gpu_instance_types"])


def system_instance_types() -> list[str]:
    return list(_table()["source"]["system_instance_types"])


def instance_data_available(region: str) -> bool:
    """False where the source had no EC2 offering data for the region (nothing is offered then)."""
    return _region(region)["instance_data"]


def _offering(region: str, instance_type: str) -> InstanceTypeOffering | None:
    known = instance_types()
    if instance_type not in known:
        raise ValueError(
            f"Instance type {instance_type!r} is not tracked in the capability table; tracked: "
            f"{', '.join(known)} (add it in meridian_ops/gen/capabilities.py and regenerate)"
        )
    entry = _region(region)
    for group in (entry["gpu_instance_types"], entry["system_instance_types"]):
        if group is not None and instance_type in group:
            return group[instance_type]
    return None


def instance_type_offered(region: str, instance_type: str) -> bool:
    """Whether EC2 offers ``instance_type`` in ``region`` (False where there is no data)."""
    offering = _offering(region, instance_type)
    return offering is not None and offering["offered"]


def instance_type_az_count(region: str, instance_type: str) -> int:
    """In how many AZs of ``region`` EC2 offers ``instance_type`` (0 where there is no data)."""
    offering = _offering(region, instance_type)
    return 0 if offering is None else offering["az_count"]


def instance_type_az_ids(region: str, instance_type: str) -> list[str]:
    offering = _offering(region, instance_type)
    return [] if offering is None else list(offering["az_ids"])
