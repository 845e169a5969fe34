"""DR flow over one regional stack's plan: each store's data -> its DR copy (S3 replication into
replica buckets, the backup plan's copy action into a vault, MSK replicators, the cache's global
datastore) -> the copy's region, which the residency table (stacks/data/residency.json) must allow
for the environment's data class, and which the stack's `drSummary` must state. A store without a
copy must say why (an opt-out or the residency rule).

The backup tiers are judged against the retention the caller expects (`BackupDesign`: the design's
7 days hot, 30 days warm, 1 year in all), never against what the stack reports of itself: every
backup plan rule and copy action keeps recovery points that long, the vault lock admits it, and
the restore tests pick from the hot days.

    problems = dr_flow(stack, plan, plans, BackupDesign(7, 30, 365))   # {unit: [problem, ...]}

Units: `backups`, `lake`, `logs` (the log archive), `kafka`, `cache`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from meridian_ops.plan.flows.dependencies import states
from meridian_ops.plan.flows.harness import name_of
from stacks.outputs import RegionalKey
from stacks.residency import may_copy

Plans = Mapping[str, Mapping[str, Any]]

UNITS = ("backups", "lake", "logs", "kafka", "cache")
COLD_MINIMUM_DAYS = 90
"""AWS Backup keeps a recovery point in cold storage 90 days at least (AWS Backup API reference,
Lifecycle): with less between the move and the deletion, recovery points stay warm."""
BACKUP_PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
RESTORE_TESTING = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
REPLICATOR = "aws:msk/replicator:Replicator"


@dataclass(frozen=True)
class BackupDesign:
    """The retention a recovery point must get: hot (restore-tested, locked), warm, in all."""

    hot_days: int
    warm_days: int
    delete_after_days: int

    def lifecycle(self) -> dict[str, int]:
        """The lifecycle every rule and copy action must carry (plan inputs' camelCase)."""
        if self.delete_after_days - self.warm_days >= COLD_MINIMUM_DAYS:
            return {"coldStorageAfter": self.warm_days, "deleteAfter": self.delete_after_days}
        return {"deleteAfter": self.delete_after_days}


def regional(plans: Plans) -> dict[str, Mapping[str, Any]]:
    """The stacks exporting a drSummary (the regional ones)."""
    return {
        name: plan
        for name, plan in plans.items()
        if RegionalKey.DR_SUMMARY in (plan.get("outputs") or {})
    }


def region_of_stack(stack: str) -> str:
    return stack.split("-", 1)[1]


def _region_of_arn(arn: object) -> str | None:
    if isinstance(arn, str) and arn.startswith("arn:") and arn.count(":") >= 5:
        return arn.split(":")[3] or None
    return None


def _depends_on(
    plan: Mapping[str, Any], state: Mapping[str, Any], resource_type: str
) -> list[dict[str, Any]]:
    """The resources of `resource_type` `state` depends on (its dependencies and property
    dependencies)."""
    index = {s["urn"]: s for s in states(plan)}
    urns = set(state.get("dependencies") or ())
    for deps in (state.get("propertyDependencies") or {}).values():
        urns.update(deps)
    return [index[u] for u in urns if u in index and index[u]["type"] == resource_type]


def backup_copy_regions(plan: Mapping[str, Any]) -> set[str]:
    """Where the backup plan's copy actions send recovery points: the destination vault's region
    (from its ARN, or, when the vault is made in this stack and unknown in preview, the vault's
    `region` input)."""
    found: set[str] = set()
    for backup_plan in states(plan, BACKUP_PLAN):
        for rule in backup_plan["inputs"].get("rules") or ():
            for action in rule.get("copyActions") or ():
                region = _region_of_arn(action.get("destinationVaultArn"))
                if region is None:
                    vaults = _depends_on(plan, backup_plan, VAULT)
                    region = next(
                        (v["inputs"].get("region") for v in vaults if v["inputs"].get("region")),
                        None,
                    )
                if region is not None:
                    found.add(region)
    return found


def replicated_bucket_regions(plan: Mapping[str, Any], purpose: str) -> set[str]:
    """The regions of replica buckets (`<purpose>-replica`) that a replication configuration of
    this stack writes to."""
    buckets = {
        b["urn"]: b
        for b in states(plan, "aws:s3/bucket:Bucket")
        if name_of(b).startswith(f"{purpose}-replica-")
    }
    regions: set[str] = set()
    for config in states(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        for target in _depends_on(plan, config, "aws:s3/bucket:Bucket"):
            if target["urn"] in buckets and target["inputs"].get("region"):
                regions.add(target["inputs"]["region"])
    return regions


def kafka_copy_regions(plan: Mapping[str, Any], region: str) -> set[str]:
    """The regions this region's topics are replicated to: replicators of this stack reading its
    cluster run in their target's region (`region` input; none = this region)."""
    out: set[str] = set()
    for replicator in states(plan, REPLICATOR):
        target = replicator["inputs"].get("region") or region
        if target != region:
            out.add(target)
    return out


def _tiers(stack: str, plan: Mapping[str, Any], design: BackupDesign) -> list[str]:
    """The backup plan's rules and copies, the vault lock and the restore tests against the
    expected retention."""
    problems: list[str] = []
    want = design.lifecycle()
    rules = [r for p in states(plan, BACKUP_PLAN) for r in p["inputs"].get("rules") or ()]
    if not rules:
        problems.append(f"{stack}: backups: no backup plan rule")
    for rule in rules:
        if rule.get("lifecycle") != want:
            problems.append(
                f"{stack}: backups: rule lifecycle {rule.get('lifecycle')} is not {want}"
            )
        for action in rule.get("copyActions") or ():
            if action.get("lifecycle") != want:
                problems.append(
                    f"{stack}: backups: copy lifecycle {action.get('lifecycle')} is not {want}"
                )
    for lock in states(plan, VAULT_LOCK):
        low, high = lock["inputs"].get("minRetentionDays"), lock["inputs"].get("maxRetentionDays")
        if low != design.hot_days or (high or 0) < design.delete_after_days:
            problems.append(
                f"{stack}: backups: the vault lock keeps {low}..{high} days, not "
                f"{design.hot_days}..{design.delete_after_days}"
            )
    for test in states(plan, RESTORE_TESTING):
        window = (test["inputs"].get("recoveryPointSelection") or {}).get("selectionWindowDays")
        if window != design.hot_days:
            problems.append(
                f"{stack}: backups: restore tests pick from {window} days, not the "
                f"{design.hot_days} hot days"
            )
    return problems


def _backups(stack: str, plan: Mapping[str, Any], plans: Plans) -> list[str]:
    """The backup plan's copy action -> a vault in drSummary's `copyTo` region (or no copy, with
    the reason); a peer outside the environment gets its vault from this stack."""
    summary = plan["outputs"][RegionalKey.DR_SUMMARY]["backups"]
    copy_to = summary["copyTo"]
    copies = backup_copy_regions(plan)
    if copy_to is None:
        if copies:
            return [f"{stack}: backups -> {copies}: drSummary says no copy"]
        if "note" not in summary:
            return [f"{stack}: backups: no copy and no reason in drSummary"]
        return []
    if copies != {copy_to}:
        return [
            f"{stack}: backups -> {copy_to}: no backup plan copy action into a vault there "
            f"(found {sorted(copies)})"
        ]
    if copy_to not in {region_of_stack(s) for s in regional(plans)}:
        owned = [v for v in states(plan, VAULT) if v["inputs"].get("region") == copy_to]
        if not owned:
            return [
                f"{stack}: backups -> {copy_to}: the peer has no stack of its own and this "
                "stack creates no vault there"
            ]
    return []


def _kafka(stack: str, plan: Mapping[str, Any], plans: Plans) -> list[str]:
    """Replicators -> the stated region, or an opt-out with its reason."""
    region = region_of_stack(stack)
    kafka = plan["outputs"][RegionalKey.DR_SUMMARY]["kafka"]
    targets = kafka_copy_regions(plan, region)
    if "optOut" in kafka:
        problems = [] if kafka["optOut"] else [f"{stack}: kafka: opted out without a reason"]
        if targets:
            problems.append(f"{stack}: kafka -> {targets}: opted out but replicated")
        return problems
    to = kafka["replicatedTo"]
    declared = set(targets)
    # the primary's copy to its active-active partner is declared by the partner's stack: a
    # replicator there running in the partner's own region
    partner = next((s for s in regional(plans) if region_of_stack(s) == to), None)
    if partner is not None and partner != stack:
        local = [
            r for r in states(plans[partner], REPLICATOR) if (r["inputs"].get("region") or to) == to
        ]
        if local and to != region and kafka_copy_regions(plans[partner], to) == {region}:
            declared.add(to)
    if to not in declared:
        return [f"{stack}: kafka -> {to}: no MSK replicator copies the topics there"]
    return []


def _cache(stack: str, plan: Mapping[str, Any]) -> list[str]:
    """A global datastore member joins (or creates) the global replication group."""
    cache = plan["outputs"][RegionalKey.DR_SUMMARY]["cache"]
    groups = states(plan, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
    members = [
        g
        for g in states(plan, "aws:elasticache/replicationGroup:ReplicationGroup")
        if "globalReplicationGroupId" in g["inputs"]
    ]
    if cache["globalDatastoreMember"]:
        if not groups and not members:
            return [f"{stack}: cache: drSummary says global datastore, the plan has none"]
        return []
    problems: list[str] = []
    if groups or members:
        problems.append(f"{stack}: cache: in a global datastore, drSummary says not")
    if cache["crossRegionRpoSeconds"] is not None:
        problems.append(f"{stack}: cache: a cross-region RPO without a cross-region copy")
    return problems


def dr_flow(
    stack: str, plan: Mapping[str, Any], plans: Plans, design: BackupDesign
) -> dict[str, list[str]]:
    """Each broken link of `stack`'s DR flow, named, per unit (`UNITS`)."""
    region = region_of_stack(stack)
    summary = plan["outputs"][RegionalKey.DR_SUMMARY]
    data_class = summary["dataClassification"]
    result: dict[str, list[str]] = {unit: [] for unit in UNITS}

    def allowed(unit: str, target: str) -> None:
        if not may_copy(region, target, data_class):
            result[unit].append(
                f"{stack}: {unit} -> {target}: {data_class} data may not leave {region}'s "
                "jurisdiction there (stacks/data/residency.json)"
            )

    result["backups"] += _backups(stack, plan, plans) + _tiers(stack, plan, design)
    copy_to = summary["backups"]["copyTo"]
    if copy_to is not None and backup_copy_regions(plan) == {copy_to}:
        allowed("backups", copy_to)

    # lake and log archive: replication config -> replica buckets in the replica region
    lake_to = summary["lake"]["replicaRegion"]
    for unit, purpose in (("lake", "lakehouse"), ("logs", "log-archive")):
        got = replicated_bucket_regions(plan, purpose)
        if lake_to is None:
            if got:
                result[unit].append(f"{stack}: {unit} -> {got}: drSummary says no replica")
        elif got != {lake_to}:
            result[unit].append(
                f"{stack}: {unit} -> {lake_to}: no S3 replication into replica buckets there "
                f"(found {sorted(got)})"
            )
        else:
            allowed(unit, lake_to)

    result["kafka"] += _kafka(stack, plan, plans)
    kafka = summary["kafka"]
    if "optOut" not in kafka and not result["kafka"]:
        allowed("kafka", kafka["replicatedTo"])
    result["cache"] += _cache(stack, plan)
    return result


def dr_flow_problems(
    stack: str, plan: Mapping[str, Any], plans: Plans, design: BackupDesign
) -> list[str]:
    """Each broken link of `stack`'s DR flow, named."""
    return [p for problems in dr_flow(stack, plan, plans, design).values() for p in problems]
