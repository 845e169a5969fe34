"""The DR flow, traced through the planned graph of every regional stack (dev, staging, prod; up
and preview): each store's data -> its DR copy (S3 replication into replica buckets, the backup
plan's copy action into a vault, MSK replicators, the cache's global datastore) -> the copy's
region, which the residency table (stacks/data/residency.json) must allow for the environment's
data class, and which the stack's `drSummary` must state. A store without a copy must say why
(an opt-out or the residency rule). Removing one link from a copy of a plan makes the flow fail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from meridian_ops.plan.flows.dr import BackupDesign, regional
from meridian_ops.plan.flows.dr import dr_flow_problems as flow_problems
from stacks.config.source import PROJECT_DIR, read_stack_file
from stacks.identity import parse_stack_name
from stacks.outputs import RegionalKey
from stacks.settings import load_settings
from stacks.topology import replica_region
from tests.plans import editable, planned

ENVS = ["dev", "staging", "prod"]
MODES = [False, True]

# 07 Data, backup strategy: "Retention: 7 days hot, 30 days warm, 1 year cold (Glacier)"
DESIGN_BACKUPS = BackupDesign(hot_days=7, warm_days=30, delete_after_days=365)
BACKUPS = {
    "dev": BackupDesign(hot_days=7, warm_days=14, delete_after_days=35),  # dev's short retention
    "staging": DESIGN_BACKUPS,
    "prod": DESIGN_BACKUPS,
}


def dr_flow_problems(stack: str, plan: Mapping[str, Any], plans: Mapping[str, Any]) -> list[str]:
    """The DR flow's problems with the environment's expected backup retention."""
    env = stack.split("-", 1)[0]
    return flow_problems(stack, plan, plans, BACKUPS[env])


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


@pytest.mark.parametrize("preview", MODES)
def test_backup_rules_keep_the_designs_7_30_365_days(preview: bool) -> None:
    """Every rule and copy action moves recovery points to cold storage after the design's 30 warm
    days and deletes them after a year; restore tests pick from the 7 hot days. A rule kept
    shorter fails, whatever the stack reports of itself."""
    plans = planned("prod", preview)
    stack = "prod-us-east-1"
    assert not dr_flow_problems(stack, plans[stack], plans)
    cut = editable(plans[stack])
    for step in cut["steps"]:
        state = step.get("newState") or {}
        if state.get("type") == "aws:backup/plan:Plan":
            for rule in state["inputs"]["rules"]:
                rule["lifecycle"] = {"coldStorageAfter": 30, "deleteAfter": 180}
    cut["outputs"][RegionalKey.DR_SUMMARY]["backups"]["deleteAfterDays"] = 180
    assert any(
        "rule lifecycle {'coldStorageAfter': 30, 'deleteAfter': 180} is not" in p
        for p in dr_flow_problems(stack, cut, plans)
    )


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
