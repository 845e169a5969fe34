"""Checks of the settings beyond their types: regions, availability zones, sizes, address plan.

`settings.load_settings` calls these after the models validated; each returns `ConfigProblem`s
naming the key, the value and the fix (pydantic's own errors become problems in
`stacks/config/problems.py`).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from components.foundation.network import MAX_AZS, MIN_AZS
from stacks import capabilities
from stacks.cidr_plan import REGION_SLOTS, default_vpc_cidr, environment_supernet
from stacks.config.errors import ConfigProblem
from stacks.config.types import NAMESPACE, OPTIONAL_CAPABILITIES, REGIONAL_SERVICES, TAG_VALUE_RE
from stacks.identity import Role, StackIdentity
from stacks.node_pool_settings import (
    GPU_TRAINING,
    training_region,
    validate_node_pools,
    validate_training_region,
)

if TYPE_CHECKING:
    from stacks.settings import EnvironmentManifest, RegionalSettings, RegionPlan, RetentionTier


def validate_manifest(
    manifest: EnvironmentManifest, identity: StackIdentity
) -> list[ConfigProblem]:
    env = identity.environment
    manifest_file = f"Pulumi.{env}-global.yaml"
    problems: list[ConfigProblem] = []
    for key, value in (("owner", manifest.owner), ("costCenter", manifest.cost_center)):
        if not TAG_VALUE_RE.match(value):
            problems.append(
                ConfigProblem(
                    key=f"{NAMESPACE}:{key}",
                    value=value,
                    problem="is not a valid AWS tag value",
                    fix="use letters, digits, spaces and _ . : / = + - @ only",
                )
            )
    seen: set[str] = set()
    for i, region in enumerate(manifest.regions):
        key = f"{NAMESPACE}:regions[{i}]"
        if region in seen:
            problems.append(
                ConfigProblem(
                    key, region, "is listed twice", f"remove the duplicate from {manifest_file}"
                )
            )
            continue
        seen.add(region)
        partition = other_partition(region)
        if partition is not None:
            problems.append(
                ConfigProblem(
                    key,
                    region,
                    f"is a region of {partition}, a separate AWS partition that Meridian does not "
                    "support (its accounts, endpoints, ARNs and capability table are those of the "
                    "commercial partition, aws)",
                    f"remove it from {NAMESPACE}:regions in {manifest_file}; Meridian runs in "
                    "commercial regions (stacks/region_capabilities.json)",
                )
            )
        elif not capabilities.region_exists(region):
            near = capabilities.nearest_known_region(region)
            hint = f" (did you mean {near}?)" if near else ""
            problems.append(
                ConfigProblem(
                    key,
                    region,
                    f"is not an AWS region{hint}",
                    f"use a region code from stacks/region_capabilities.json in {manifest_file}",
                )
            )
        elif region not in REGION_SLOTS:
            problems.append(
                ConfigProblem(
                    key,
                    region,
                    "has no address slot in Meridian's CIDR plan",
                    "append it to REGION_SLOTS in stacks/cidr_plan.py with the next free number",
                )
            )
    if identity.role is Role.REGIONAL and identity.region not in manifest.regions:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:regions",
                manifest.regions,
                f"does not include {identity.region}, the region of stack {identity.name}",
                f"add {identity.region} to {NAMESPACE}:regions in {manifest_file}, then "
                f"`pulumi up` the {env}-global stack before this one",
            )
        )
    for region in manifest.vpc_cidrs:
        if region not in manifest.regions:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:vpcCidrs.{region}",
                    manifest.vpc_cidrs[region],
                    f"names {region}, which is not in {NAMESPACE}:regions",
                    f"remove it or add {region} to {NAMESPACE}:regions",
                )
            )
    problems += validate_training_region(
        manifest.regions,
        manifest.training_region,
        manifest.service_opt_outs,
        manifest_file=manifest_file,
    )
    valid_opt_outs = sorted(set(capabilities.services()) | set(OPTIONAL_CAPABILITIES))
    for region, services in manifest.service_opt_outs.items():
        if region not in manifest.regions:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:serviceOptOuts.{region}",
                    services,
                    f"names {region}, which is not in {NAMESPACE}:regions",
                    f"remove it or add {region} to {NAMESPACE}:regions",
                )
            )
        for j, service in enumerate(services):
            if service not in valid_opt_outs:
                close = difflib.get_close_matches(service, valid_opt_outs, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:serviceOptOuts.{region}[{j}]",
                        service,
                        f"is not a service Meridian knows{hint}",
                        f"use one of: {', '.join(valid_opt_outs)}",
                    )
                )
    return problems


def _az_count_problems(
    region: str, regional: RegionalSettings, source: Mapping[str, str], own_region: bool
) -> list[ConfigProblem]:
    """The AZ count: within the subnet plan's bounds and, in the region's own stack, within what
    the region has."""
    problems: list[ConfigProblem] = []
    net = regional.network
    if net.az_count < MIN_AZS:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:network.azCount",
                net.az_count,
                f"is below {MIN_AZS}: Meridian spreads every tier over at least {MIN_AZS} "
                "availability zones so that losing one keeps quorum (Kafka min ISR 2, Aurora, EKS)",
                f"set it to {MIN_AZS} or {MAX_AZS} in {source['network']}",
            )
        )
    elif net.az_count > MAX_AZS:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:network.azCount",
                net.az_count,
                f"is above {MAX_AZS}, the most the subnet plan lays out",
                f"set it to {MIN_AZS} or {MAX_AZS} in {source['network']}",
            )
        )
    elif own_region and capabilities.az_count(region) < net.az_count:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:network.azCount",
                net.az_count,
                f"is more than the {capabilities.az_count(region)} availability zones {region} has",
                f"lower it in {source['network']} or choose another region",
            )
        )
    return problems


def _retention_problems(
    regional: RegionalSettings, source: Mapping[str, str]
) -> list[ConfigProblem]:
    """Each retention ladder keeps its tiers in order (hot <= warm <= cold)."""
    problems: list[ConfigProblem] = []
    for tier_name in ("logs", "backups"):
        tier: RetentionTier = getattr(regional.retention, tier_name)
        if not tier.hot_days <= tier.warm_days <= tier.cold_days:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:retention.{tier_name}",
                    tier.model_dump(by_alias=True),
                    "has its tiers out of order: hotDays <= warmDays <= coldDays must hold",
                    f"raise the later tier or lower the earlier one in {source['retention']}",
                )
            )
    return problems


def _system_pool_problems(
    region: str, regional: RegionalSettings, source: Mapping[str, str], env: str, own_region: bool
) -> list[ConfigProblem]:
    """The system node pool: its size bounds and, in the region's own stack, its instance types
    (tracked, offered in the region, and offered in as many AZs as the region uses)."""
    problems: list[ConfigProblem] = []
    net = regional.network
    sizing = regional.sizing
    # Root cause first: an AZ count outside what the region has is reported above, an untracked
    # or unoffered system node type below; only when both are right is the AZ count judged
    # against where the types are offered (else one mistake would read as two).
    tracked = set(capabilities.instance_types())
    system_types_ok = all(
        t in tracked and capabilities.instance_type_offered(region, t)
        for t in sizing.system_nodes.instance_types
    )
    if (
        own_region
        and system_types_ok
        and MIN_AZS <= net.az_count <= min(MAX_AZS, capabilities.az_count(region))
    ):
        usable = [
            t
            for t in sizing.system_nodes.instance_types
            if t in capabilities.instance_types()
            and capabilities.instance_type_az_count(region, t) >= net.az_count
        ]
        if not usable:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:network.azCount",
                    net.az_count,
                    f"exceeds the availability zones of {region} where any system node type "
                    f"({', '.join(sizing.system_nodes.instance_types)}) is offered",
                    f"lower azCount to 3 in {source['network']}",
                )
            )
    # The system pool must offer every listed type; the GPU and general pools are judged by
    # stacks/node_pool_settings.py (ordered preference lists, per-pool opt-outs), below.
    pools = (("systemNodes", sizing.system_nodes),)
    for pool_name, pool in pools:
        key = f"{NAMESPACE}:sizing.{pool_name}"
        if pool.min_size > pool.max_size:
            problems.append(
                ConfigProblem(
                    key,
                    {"minSize": pool.min_size, "maxSize": pool.max_size},
                    "has minSize greater than maxSize",
                    f"make minSize <= maxSize in {source['sizing']}",
                )
            )
        if not own_region:
            continue
        untracked = [t for t in pool.instance_types if t not in capabilities.instance_types()]
        if untracked:
            problems.append(
                ConfigProblem(
                    f"{key}.instanceTypes",
                    pool.instance_types,
                    f"lists {', '.join(untracked)}, which the capability table does not track",
                    "use a tracked type (stacks/region_capabilities.json) or add it to "
                    "meridian_ops/gen/capabilities.py and run `make capabilities`",
                )
            )
            continue
        missing = [
            t for t in pool.instance_types if not capabilities.instance_type_offered(region, t)
        ]
        if missing:
            offered = [t for t in pool.instance_types if t not in missing]
            problems.append(
                ConfigProblem(
                    f"{key}.instanceTypes",
                    pool.instance_types,
                    f"lists {', '.join(missing)}, not offered in {region}",
                    f"override instanceTypes for {region} in Pulumi.{env}-{region}.yaml"
                    + (f" (offered here: {', '.join(offered)})" if offered else ""),
                )
            )
    return problems


def _service_problems(region: str, opt_outs: set[str], manifest_file: str) -> list[ConfigProblem]:
    """Every regional service is offered in the region or opted out of explicitly."""
    problems: list[ConfigProblem] = []
    for service in REGIONAL_SERVICES:
        if service in opt_outs or capabilities.offers(region, service):
            continue
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:regions",
                region,
                f"does not offer {service} according to AWS's published region table",
                f"choose another region, or opt out explicitly with "
                f"{NAMESPACE}:serviceOptOuts.{region}: [{service}] in {manifest_file}",
            )
        )
    return problems


def validate_region(
    manifest: EnvironmentManifest,
    region: str,
    regional: RegionalSettings,
    source: Mapping[str, str],
    env: str,
    own_region: bool,
) -> list[ConfigProblem]:
    """One region's settings: AZ count, retention tiers, the system pool, the other node pools
    (stacks/node_pool_settings.py) and the services the region offers, in that order."""
    opt_outs = set(manifest.service_opt_outs.get(region, []))
    manifest_file = f"Pulumi.{env}-global.yaml"
    sizing = regional.sizing
    problems = _az_count_problems(region, regional, source, own_region)
    problems += _retention_problems(regional, source)
    problems += _system_pool_problems(region, regional, source, env, own_region)
    hosts_training = region == training_region(manifest.regions, manifest.training_region)
    problems += validate_node_pools(
        region,
        sizing,
        opt_outs if hosts_training else opt_outs | {GPU_TRAINING},
        sizing_file=source["sizing"],
        manifest_file=manifest_file,
        own_region=own_region,
        region_file=f"Pulumi.{env}-{region}.yaml",
    )

    problems += _service_problems(region, opt_outs, manifest_file)
    return problems


def vpc_cidr(
    manifest: EnvironmentManifest, env: str, region: str, regional: RegionalSettings
) -> ipaddress.IPv4Network:
    override = manifest.vpc_cidrs.get(region)
    if override is not None:
        try:
            return ipaddress.IPv4Network(override, strict=False)
        except ValueError:
            pass  # reported by validate_address_plan
    return default_vpc_cidr(env, region, regional.network.vpc_prefix_length)


def validate_address_plan(
    manifest: EnvironmentManifest, env: str, regions: dict[str, RegionPlan]
) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    supernet = environment_supernet(env)
    for region, text in manifest.vpc_cidrs.items():
        key = f"{NAMESPACE}:vpcCidrs.{region}"
        try:
            net = ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            problems.append(
                ConfigProblem(
                    key,
                    text,
                    f"is not a valid IPv4 CIDR block ({exc})",
                    "write it as a network address with prefix, e.g. 10.128.0.0/16",
                )
            )
            continue
        if not 16 <= net.prefixlen <= 20:
            problems.append(
                ConfigProblem(key, text, "must be a /16 to /20", "pick a block of that size")
            )
        if not net.subnet_of(supernet):
            problems.append(
                ConfigProblem(
                    key,
                    text,
                    f"lies outside {supernet}, the {env} environment's address space",
                    f"pick a free block inside {supernet} (other environments own the rest "
                    "of 10/8)",
                )
            )
    names = sorted(regions)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if regions[a].vpc_cidr.overlaps(regions[b].vpc_cidr):
                culprit = b if b in manifest.vpc_cidrs else a
                other = a if culprit == b else b
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:vpcCidrs.{culprit}",
                        str(regions[culprit].vpc_cidr),
                        f"overlaps {regions[other].vpc_cidr}, the VPC of {other}",
                        "remove the override to use the region's own slot, or pick a block that "
                        "overlaps no other region",
                    )
                )
    return problems


_PARTITIONS: tuple[tuple[str, str], ...] = (
    ("cn-", "the AWS China partition (aws-cn)"),
    ("us-gov-", "AWS GovCloud (US) (partition aws-us-gov)"),
    ("us-isob-", "an AWS ISO-B partition (aws-iso-b)"),
    ("us-isof-", "an AWS ISO-F partition (aws-iso-f)"),
    ("eu-isoe-", "an AWS ISO-E partition (aws-iso-e)"),
    ("us-iso-", "an AWS ISO partition (aws-iso)"),
)


def other_partition(region: str) -> str | None:
    """The name of the non-commercial AWS partition `region` belongs to, or None."""
    name = region.strip().lower()
    for prefix, partition in _PARTITIONS:
        if name.startswith(prefix):
            return partition
    if re.match(r"^[a-z]{2}-iso[a-z]?-", name):
        return "an AWS ISO partition"
    return None
