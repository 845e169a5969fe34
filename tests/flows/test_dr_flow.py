"""The DR flow, traced through the planned graph of every regional stack (dev, staging, prod; up
and preview): each store's data -> its DR copy (S3 replication into replica buckets, the backup
plan's copy action into a vault, MSK replicators, the cache's global datastore) -> the copy's
region, which the residency table (stacks/data/residency.json) must allow for the environment's
data class, and which the stack's `drSummary` must state. A store without a copy must say why
(an opt-out or the residency rule). Removing one link from a copy of a plan makes the flow fail.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.config.source import PROJECT_DIR, read_stack_file
from stacks.identity import parse_stack_name
from stacks.outputs import RegionalKey
from stacks.residency import may_copy
from stacks.settings import load_settings
from stacks.topology import replica_region
from tests.plans import by_urn, editable, name_of, planned, states

ENVS = ["dev", "staging", "prod"]
MODES = [False, True]


def regional(plans: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
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


def _depends_on(plan: dict[str, Any], state: dict[str, Any], resource_type: str) -> list[dict]:
    """The resources of `resource_type` `state` depends on (its dependencies and property
    dependencies)."""
    index = by_urn(plan)
    urns = set(state.get("dependencies") or ())
    for deps in (state.get("propertyDependencies") or {}).values():
        urns.update(deps)
    return [index[u] for u in urns if u in index and index[u]["type"] == resource_type]


def backup_copy_regions(plan: dict[str, Any]) -> set[str]:
    """Where the backup plan's copy actions send recovery points: the destination vault's region
    (from its ARN, or, when the vault is made in this stack and unknown in preview, the vault's
    `region` input)."""
    found: set[str] = set()
    for backup_plan in states(plan, "aws:backup/plan:Plan"):
        for rule in backup_plan["inputs"].get("rules") or ():
            for action in rule.get("copyActions") or ():
                region = _region_of_arn(action.get("destinationVaultArn"))
                if region is None:
                    vaults = _depends_on(plan, backup_plan, "aws:backup/vault:Vault")
                    region = next(
                        (v["inputs"].get("region") for v in vaults if v["inputs"].get("region")),
                        None,
                    )
                if region is not None:
                    found.add(region)
    return found


def replicated_bucket_regions(plan: dict[str, Any], purpose: str) -> set[str]:
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


def kafka_copy_regions(plan: dict[str, Any], region: str) -> set[str]:
    """The regions this region's topics are replicated to: replicators of this stack reading its
    cluster run in their target's region (`region` input; none = this region)."""
    out: set[str] = set()
    for replicator in states(plan, "aws:msk/replicator:Replicator"):
        target = replicator["inputs"].get("region") or region
        if target != region:
            out.add(target)
    return out


def dr_flow_problems(stack: str, plan: dict[str, Any], plans: dict[str, Any]) -> list[str]:
    """Each broken link of `stack`'s DR flow, named."""
    region = region_of_stack(stack)
    summary = plan["outputs"][RegionalKey.DR_SUMMARY]
    data_class = summary["dataClassification"]
    problems: list[str] = []

    def allowed(store: str, target: str) -> None:
        if not may_copy(region, target, data_class):
            problems.append(
                f"{stack}: {store} -> {target}: {data_class} data may not leave {region}'s "
                "jurisdiction there (stacks/data/residency.json)"
            )

    # backups: plan copy action -> vault region == drSummary.backups.copyTo
    copy_to = summary["backups"]["copyTo"]
    copies = backup_copy_regions(plan)
    if copy_to is None:
        if copies:
            problems.append(f"{stack}: backups -> {copies}: drSummary says no copy")
        elif "note" not in summary["backups"]:
            problems.append(f"{stack}: backups: no copy and no reason in drSummary")
    elif copies != {copy_to}:
        problems.append(
            f"{stack}: backups -> {copy_to}: no backup plan copy action into a vault there "
            f"(found {sorted(copies)})"
        )
    else:
        allowed("backups", copy_to)
        if copy_to not in {region_of_stack(s) for s in regional(plans)}:
            owned = [
                v
                for v in states(plan, "aws:backup/vault:Vault")
                if v["inputs"].get("region") == copy_to
            ]
            if not owned:
                problems.append(
                    f"{stack}: backups -> {copy_to}: the peer has no stack of its own and this "
                    "stack creates no vault there"
                )
    tiers = summary["backups"]
    for backup_plan in states(plan, "aws:backup/plan:Plan"):
        for rule in backup_plan["inputs"].get("rules") or ():
            life = rule.get("lifecycle") or {}
            if life.get("deleteAfter") != tiers["deleteAfterDays"]:
                problems.append(f"{stack}: backups: lifecycle {life} is not the planned tiers")
            cold = life.get("coldStorageAfter")
            if cold is not None and life["deleteAfter"] - cold < 90:
                problems.append(f"{stack}: backups: cold storage shorter than AWS's 90 days")
    for lock in states(plan, "aws:backup/vaultLockConfiguration:VaultLockConfiguration"):
        if lock["inputs"].get("maxRetentionDays", 0) < tiers["deleteAfterDays"]:
            problems.append(f"{stack}: backups: the vault lock caps retention below the tiers")

    # lake and log archive: replication config -> replica buckets in the replica region
    lake_to = summary["lake"]["replicaRegion"]
    for purpose in ("lake", "logs"):
        got = replicated_bucket_regions(plan, "lakehouse" if purpose == "lake" else "log-archive")
        if lake_to is None:
            if got:
                problems.append(f"{stack}: {purpose} -> {got}: drSummary says no replica")
        elif got != {lake_to}:
            problems.append(
                f"{stack}: {purpose} -> {lake_to}: no S3 replication into replica buckets there "
                f"(found {sorted(got)})"
            )
        else:
            allowed(purpose, lake_to)

    # kafka: replicators -> the stated region, or an opt-out with its reason
    kafka = summary["kafka"]
    targets = kafka_copy_regions(plan, region)
    if "optOut" in kafka:
        if not kafka["optOut"]:
            problems.append(f"{stack}: kafka: opted out without a reason")
        if targets:
            problems.append(f"{stack}: kafka -> {targets}: opted out but replicated")
    else:
        to = kafka["replicatedTo"]
        declared = set(targets)
        # the primary's copy to its active-active partner is declared by the partner's stack:
        # a replicator there running in the partner's own region
        partner = next((s for s in regional(plans) if region_of_stack(s) == to), None)
        if partner is not None and partner != stack:
            local = [
                r
                for r in states(plans[partner], "aws:msk/replicator:Replicator")
                if (r["inputs"].get("region") or to) == to
            ]
            if local and to != region and kafka_copy_regions(plans[partner], to) == {region}:
                declared.add(to)
        if to not in declared:
            problems.append(f"{stack}: kafka -> {to}: no MSK replicator copies the topics there")
        else:
            allowed("kafka", to)

    # cache: a global datastore member joins (or creates) the global replication group
    cache = summary["cache"]
    groups = states(plan, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
    members = [
        g
        for g in states(plan, "aws:elasticache/replicationGroup:ReplicationGroup")
        if "globalReplicationGroupId" in g["inputs"]
    ]
    if cache["globalDatastoreMember"]:
        if not groups and not members:
            problems.append(f"{stack}: cache: drSummary says global datastore, the plan has none")
    else:
        if groups or members:
            problems.append(f"{stack}: cache: in a global datastore, drSummary says not")
        if cache["crossRegionRpoSeconds"] is not None:
            problems.append(f"{stack}: cache: a cross-region RPO without a cross-region copy")
    return problems


@pytest.mark.parametrize("preview", MODES)
@pytest.mark.parametrize("env", ENVS)
def test_every_dr_copy_exists_and_stays_where_residency_allows(env: str, preview: bool) -> None:
    plans = planned(env, preview)
    stacks = regional(plans)
    assert stacks, f"{env}: no regional stack exports drSummary"
    problems = [p for stack, plan in stacks.items() for p in dr_flow_problems(stack, plan, plans)]
    assert not problems, "\n".join(problems)


def _without(plan: dict[str, Any], resource_type: str) -> dict[str, Any]:
    clone = editable(plan)
    clone["steps"] = [
        s for s in clone["steps"] if (s.get("newState") or {}).get("type") != resource_type
    ]
    return clone


@pytest.mark.parametrize("preview", MODES)
def test_removing_a_link_fails_the_flow(preview: bool) -> None:
    plans = planned("staging", preview)
    stack = "staging-eu-west-1"
    assert not dr_flow_problems(stack, plans[stack], plans)
    cut = _without(plans[stack], "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert any("no S3 replication" in p for p in dr_flow_problems(stack, cut, plans))
    cut = editable(plans[stack])
    for step in cut["steps"]:
        state = step.get("newState") or {}
        if state.get("type") == "aws:backup/plan:Plan":
            for rule in state["inputs"]["rules"]:
                rule.pop("copyActions", None)
    assert any("no backup plan copy action" in p for p in dr_flow_problems(stack, cut, plans))
    cut = _without(plans[stack], "aws:msk/replicator:Replicator")
    assert any("no MSK replicator" in p for p in dr_flow_problems(stack, cut, plans))


def test_a_copy_the_residency_table_forbids_fails_the_flow() -> None:
    plans = planned("prod", False)
    stack = "prod-eu-west-1"
    plan = editable(plans[stack])
    plan["outputs"][RegionalKey.DR_SUMMARY]["dataClassification"] = "restricted"
    plan["outputs"][RegionalKey.DR_SUMMARY]["kafka"] = {"replicatedTo": "us-east-1"}
    assert any("may not leave" in p for p in dr_flow_problems(stack, plan, plans))


def test_the_pack_exempts_exactly_the_regions_residency_leaves_without_a_peer() -> None:
    """The prod pack config's residencyPinnedRegions (no cross-region copy required) are the prod
    regions the topology gives no DR peer for the environment's data class: the exemption can
    neither hide a region that has a peer nor miss one that has none."""
    config = json.loads((PROJECT_DIR / "policies" / "config" / "prod.json").read_text())
    manifest_file = read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")
    own = read_stack_file(PROJECT_DIR / "Pulumi.prod-us-east-1.yaml")
    manifest = load_settings(parse_stack_name("prod-us-east-1"), own, manifest_file).manifest
    without_peer = {
        region
        for region in manifest.regions
        if replica_region(
            manifest.regions, manifest.replication, region, manifest.data_classification
        )
        is None
    }
    for policy in ("s3-sensitive-bucket-replication", "backup-plan-cross-region-copy"):
        assert set(config[policy]["residencyPinnedRegions"]) == without_peer, policy
