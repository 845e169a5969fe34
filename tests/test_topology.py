"""One topology: a region's backups, lake, log archive (and the primary's audit archive) go to
the same DR peer, in every shipped environment and in the planned graph."""

from __future__ import annotations

from typing import Any

import pytest

from stacks import capabilities
from stacks.config.source import PROJECT_DIR, StaticConfigSource, read_stack_file
from stacks.data_layer import data_topology
from stacks.outputs import RegionalKey
from stacks.program import settings_for
from stacks.residency import dr_capable, jurisdictions, may_copy
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
    return ReplicationSettings.model_validate(
        {"activeActive": active_active, "drPeers": dr_peers, "kafkaDrOptOuts": {}}
    )


def test_the_primary_without_a_partner_replicates_to_the_second_region() -> None:
    regions = ["us-east-1", "eu-west-1"]
    assert replica_region(regions, replication([], {}), "us-east-1", "internal") == "eu-west-1"
    assert replica_region(regions, replication([], {}), "eu-west-1", "internal") == "us-east-1"
    assert replica_region(["us-east-1"], replication([], {}), "us-east-1", "internal") is None


def test_partners_and_peers() -> None:
    regions = ["us-east-1", "eu-west-1", "us-west-2", "ap-south-1"]
    pairs = replication([["eu-west-1", "us-east-1"]], {"ap-south-1": "none"})
    assert active_active_partners(regions, pairs.active_active) == ["eu-west-1"]
    assert replica_region(regions, pairs, "us-east-1", "internal") == "eu-west-1"
    assert replica_region(regions, pairs, "us-west-2", "internal") == "us-east-1"
    assert replica_region(regions, pairs, "ap-south-1", "internal") is None
    # not a region of the environment
    assert replica_region(regions, pairs, "sa-east-1", "internal") is None


PROD = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-south-1",
    "me-south-1",
    "sa-east-1",
    "af-south-1",
]


@pytest.mark.parametrize("data_class", ["confidential", "restricted"])
def test_residency_keeps_the_peer_in_the_jurisdiction(data_class: str) -> None:
    aa = [["us-east-1", "eu-west-1"]]
    peers = {r: dr_peer(r, PROD, aa, {}, data_class) for r in PROD}
    assert peers == {
        "us-east-1": "us-west-2",  # an environment region of the jurisdiction first
        "us-west-2": "us-east-1",
        "eu-west-1": "eu-central-1",
        "eu-central-1": "eu-west-1",
        "ap-northeast-1": "ap-northeast-3",  # outside the environment: the table's order
        "ap-south-1": "ap-south-2",
        "me-south-1": "me-central-1",
        "ap-southeast-1": None,  # one region in the jurisdiction and no transfer allowed
        "sa-east-1": None,
        "af-south-1": None,
    }
    for region, peer in peers.items():
        assert peer is None or may_copy(region, peer, data_class)


def test_unrestricted_data_keeps_the_default_rule() -> None:
    aa = [["us-east-1", "eu-west-1"]]
    assert dr_peer("eu-west-1", PROD, aa, {}, "internal") == "us-east-1"
    assert dr_peer("us-east-1", PROD, aa, {}, "public") == "eu-west-1"


def test_a_configured_peer_wins() -> None:
    assert dr_peer("eu-west-1", PROD, [], {"eu-west-1": "eu-west-3"}, "restricted") == "eu-west-3"
    assert dr_peer("sa-east-1", PROD, [], {"sa-east-1": "none"}, "internal") is None


def test_every_region_of_the_table_is_a_known_region_once() -> None:
    listed = [r for j in jurisdictions().values() for r in j.regions]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(capabilities.known_regions())


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_backups_and_replicas_share_the_dr_peer(env: str) -> None:
    settings = shipped(f"{env}-global")
    manifest = settings.manifest
    regions, rep = manifest.regions, manifest.replication
    cls = manifest.data_classification
    copies = data_topology(settings).backup_copies
    for region in regions:
        peer = dr_peer(region, regions, rep.active_active, rep.dr_peers, cls)
        assert copies[region] == peer
        assert replica_region(regions, rep, region, cls) == peer
        assert peer is None or (dr_capable(peer) and may_copy(region, peer, cls))


def replica_buckets(plan: dict[str, Any], prefix: str) -> set[str]:
    """The regions of the replica buckets whose names start with `prefix`."""
    buckets = states(plan, "aws:s3/bucket:Bucket")
    return {b["inputs"]["region"] for b in buckets if name_of(b).startswith(prefix)}


@pytest.mark.parametrize("preview", MODES)
def test_staging_replicates_lake_and_logs_within_the_jurisdiction(preview: bool) -> None:
    plans = planned("staging", preview)
    primary = plans["staging-us-east-1"]
    # confidential data: US to another US region, EU to another EU region, both outside the
    # environment's regions, with the replica buckets created by the region's own stack
    assert primary["outputs"][RegionalKey.LAKE_REPLICA_REGION] == "us-east-2"
    assert replica_buckets(primary, "log-archive-replica-") == {"us-east-2"}
    assert replica_buckets(primary, "lakehouse-replica-") == {"us-east-2"}
    assert replica_buckets(plans["staging-global"], "audit-archive-replica-") == {"us-east-2"}
    assert replica_buckets(plans["staging-eu-west-1"], "log-archive-replica-") == {"eu-central-1"}
