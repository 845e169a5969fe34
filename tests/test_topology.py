"""One topology: a region's backups, lake, log archive (and the primary's audit archive) go to
the same DR peer, in every shipped environment and in the planned graph."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config.source import PROJECT_DIR, StaticConfigSource, read_stack_file
from stacks.data_layer import data_topology
from stacks.outputs import RegionalKey
from stacks.program import settings_for
from stacks.settings import MeridianSettings
from stacks.streaming_settings import ReplicationSettings
from stacks.topology import active_active_partners, dr_peer, replica_region
from tests.plans import name_of, planned, states

MODES = [False, True]


def shipped(stack: str) -> MeridianSettings:
    env = stack.split("-", 1)[0]
    manifest = read_stack_file(PROJECT_DIR / f"Pulumi.{env}-global.yaml")
    return settings_for(stack, StaticConfigSource(manifest, {env: manifest}))


def replication(active_active: list[list[str]], dr_peers: dict[str, str]) -> ReplicationSettings:
    return ReplicationSettings.model_validate({"activeActive": active_active, "drPeers": dr_peers})


def test_the_primary_without_a_partner_replicates_to_the_second_region() -> None:
    regions = ["us-east-1", "eu-west-1"]
    assert replica_region(regions, replication([], {}), "us-east-1") == "eu-west-1"
    assert replica_region(regions, replication([], {}), "eu-west-1") == "us-east-1"
    assert replica_region(["us-east-1"], replication([], {}), "us-east-1") is None


def test_partners_and_peers() -> None:
    regions = ["us-east-1", "eu-west-1", "us-west-2", "ap-south-1"]
    pairs = replication([["eu-west-1", "us-east-1"]], {"ap-south-1": "none"})
    assert active_active_partners(regions, pairs.active_active) == ["eu-west-1"]
    assert replica_region(regions, pairs, "us-east-1") == "eu-west-1"
    assert replica_region(regions, pairs, "us-west-2") == "us-east-1"
    assert replica_region(regions, pairs, "ap-south-1") is None
    assert replica_region(regions, pairs, "sa-east-1") is None  # not a region of the environment


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_backups_and_replicas_share_the_dr_peer(env: str) -> None:
    settings = shipped(f"{env}-global")
    regions, rep = settings.manifest.regions, settings.manifest.replication
    copies = data_topology(settings).backup_copies
    for region in regions:
        peer = dr_peer(region, regions, rep.active_active, rep.dr_peers)
        assert copies[region] == peer
        assert replica_region(regions, rep, region) == peer


def replica_buckets(plan: dict[str, Any], prefix: str) -> set[str]:
    """The regions of the replica buckets whose names start with `prefix`."""
    buckets = states(plan, "aws:s3/bucket:Bucket")
    return {b["inputs"]["region"] for b in buckets if name_of(b).startswith(prefix)}


@pytest.mark.parametrize("preview", MODES)
def test_staging_primary_replicates_lake_and_logs_to_its_dr_peer(preview: bool) -> None:
    plans = planned("staging", preview)
    primary = plans["staging-us-east-1"]
    assert primary["outputs"][RegionalKey.LAKE_REPLICA_REGION] == "eu-west-1"
    assert replica_buckets(primary, "log-archive-replica-") == {"eu-west-1"}
    assert replica_buckets(primary, "lakehouse-replica-") == {"eu-west-1"}
    assert replica_buckets(plans["staging-global"], "audit-archive-replica-") == {"eu-west-1"}
    # and the other region's go back to the primary, as before
    assert replica_buckets(plans["staging-eu-west-1"], "log-archive-replica-") == {"us-east-1"}
