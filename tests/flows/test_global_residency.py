"""The residency of the stores that replicate across regions by themselves, traced through the
planned graph of every regional stack (dev, staging, prod; up and preview): the Aurora global
database (the primary's `GlobalCluster` and every cluster that joins it), the multi-Region
keyspace (`replicationSpecification.regionLists`), the DynamoDB global tables (the owner's
tables and every `TableReplica` of them) and the cache's global datastore. Every member of a
store's replica set must be allowed to exchange the environment's data class with every other
member, both ways, by the residency table (stacks/data/residency.json), unless the stack's
`drSummary` says the store is global by design and why; and `drSummary` must name the replica
regions the graph has. Moving one replica out of its jurisdiction makes the flow fail.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from stacks.outputs import RegionalKey
from stacks.residency import may_copy
from tests.plans import editable, planned, states

ENVS = ["dev", "staging", "prod"]
MODES = [False, True]

SUMMARY_KEYS = {
    "aurora": "postgres",
    "cassandra": "cassandra",
    "cache": "cache",
    "dynamodb": "dynamodb",
}
"""Store -> its entry in drSummary."""
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
GLOBAL_DATASTORE = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"


def _regional(plans: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: plan
        for name, plan in plans.items()
        if RegionalKey.DR_SUMMARY in (plan.get("outputs") or {})
    }


def _arn_region(arn: object) -> str | None:
    if isinstance(arn, str) and arn.startswith("arn:") and arn.count(":") >= 5:
        return arn.split(":")[3] or None
    return None


def replica_sets(plans: dict[str, dict[str, Any]]) -> dict[str, list[set[str]]]:
    """Store -> the replica sets the graph builds (each a set of regions), read from the
    resources alone."""
    regional = _regional(plans)
    region = {name: plan["region"] for name, plan in regional.items()}
    primary = next(iter(region.values()), None)
    aurora = {region[n] for n, p in regional.items() if states(p, GLOBAL_CLUSTER)}
    cache = {region[n] for n, p in regional.items() if states(p, GLOBAL_DATASTORE)}
    keyspaces: list[set[str]] = []
    tables: dict[str, set[str]] = {}
    for name, plan in regional.items():
        here = region[name]
        for cluster in states(plan, "aws:rds/cluster:Cluster"):
            if cluster["inputs"].get("globalClusterIdentifier"):
                aurora.add(here)
        for group in states(plan, "aws:elasticache/replicationGroup:ReplicationGroup"):
            if group["inputs"].get("globalReplicationGroupId"):
                cache.add(here)
        for keyspace in states(plan, "aws:keyspaces/keyspace:Keyspace"):
            spec = keyspace["inputs"].get("replicationSpecification") or {}
            keyspaces.append({here, *(spec.get("regionLists") or ())})
        for table in states(plan, "aws:dynamodb/table:Table"):
            tables.setdefault(table["inputs"]["name"] + "@" + here, set()).add(here)
        for replica in states(plan, "aws:dynamodb/tableReplica:TableReplica"):
            arn = replica["inputs"].get("globalTableArn")
            owner = _arn_region(arn) or primary or here
            table = str(arn).rsplit("/", 1)[-1] if isinstance(arn, str) else "?"
            tables.setdefault(f"{table}@{owner}", {owner}).add(here)
    return {
        "aurora": [aurora] if aurora else [],
        "cassandra": keyspaces,
        "cache": [cache] if cache else [],
        "dynamodb": list(tables.values()),
    }


def residency_problems(plans: dict[str, dict[str, Any]]) -> list[str]:
    """Each member pair of a replica set that the residency table forbids (unless drSummary says
    the store is global by design), and each drSummary that names other replica regions than the
    graph has."""
    regional = _regional(plans)
    summaries = {p["region"]: p["outputs"][RegionalKey.DR_SUMMARY] for p in regional.values()}
    problems: list[str] = []
    for store, sets in replica_sets(plans).items():
        key = SUMMARY_KEYS[store]
        for members in sets:
            for a, b in itertools.permutations(sorted(members), 2):
                summary = summaries[a]
                if "globalByDesign" in summary[key]:
                    continue
                data_class = summary["dataClassification"]
                if not may_copy(a, b, data_class):
                    problems.append(
                        f"{store}: {a} -> {b}: {data_class} data may not leave {a}'s "
                        "jurisdiction there (stacks/data/residency.json)"
                    )
            for member in members:
                stated = set(summaries[member][key]["replicaRegions"])
                if stated != members - {member}:
                    problems.append(
                        f"{store}: drSummary of {member} names replicas {sorted(stated)}; the "
                        f"graph replicates to {sorted(members - {member})}"
                    )
        in_sets = {r for members in sets for r in members}
        for member, summary in summaries.items():
            if member not in in_sets and summary[key]["replicaRegions"]:
                problems.append(
                    f"{store}: drSummary of {member} names replicas "
                    f"{summary[key]['replicaRegions']}; the graph has none"
                )
    return problems


@pytest.mark.parametrize("preview", MODES, ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_every_replica_of_every_global_store_lies_where_its_class_may_go(
    env: str, preview: bool
) -> None:
    plans = planned(env, preview)
    assert residency_problems(plans) == []


def test_prod_keeps_confidential_data_of_regions_without_a_transfer_basis_at_home() -> None:
    """Prod is `confidential`: the US and the EU exchange it (the EU's adequacy decision for the
    Data Privacy Framework, the US's lack of a transfer rule); India, Japan (which allows only the
    EU and the UK), Singapore, the GCC, Brazil and South Africa allow no transfer, so their
    stores stand alone."""
    sets = replica_sets(planned("prod"))
    shared = {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1"}
    assert sets["aurora"] == [shared]
    assert shared in sets["cassandra"]
    assert all(members == shared or len(members) == 1 for members in sets["cassandra"])
    assert sorted(map(sorted, sets["dynamodb"])) == sorted(
        [sorted(shared)] * 2
        + [[r] for r in ("ap-northeast-1", "ap-south-1", "ap-southeast-1") for _ in (0, 1)]
        + [[r] for r in ("me-south-1", "sa-east-1", "af-south-1") for _ in (0, 1)]
    )
    for region in ("ap-south-1", "ap-northeast-1", "sa-east-1"):
        summary = planned("prod")[f"prod-{region}"]["outputs"][RegionalKey.DR_SUMMARY]
        assert summary["postgres"]["role"] == "standalone"
        assert summary["postgres"]["replicaRegions"] == []
        assert "residency" in summary["postgres"]


def _mutated(env: str) -> dict[str, dict[str, Any]]:
    return editable(planned(env))


def test_an_aurora_secondary_out_of_jurisdiction_fails_the_flow() -> None:
    plans = _mutated("prod")
    cluster = states(plans["prod-ap-south-1"], "aws:rds/cluster:Cluster")[0]
    cluster["inputs"]["globalClusterIdentifier"] = "meridian-prod-aurora"
    problems = residency_problems(plans)
    assert any(p.startswith("aurora: ap-south-1 -> us-east-1") for p in problems), problems


def test_a_keyspace_region_out_of_jurisdiction_fails_the_flow() -> None:
    plans = _mutated("prod")
    keyspace = states(plans["prod-us-east-1"], "aws:keyspaces/keyspace:Keyspace")[0]
    keyspace["inputs"]["replicationSpecification"]["regionLists"].append("sa-east-1")
    problems = residency_problems(plans)
    assert any(p.startswith("cassandra: sa-east-1 -> ") for p in problems), problems


def test_a_global_table_replica_out_of_jurisdiction_fails_the_flow() -> None:
    plans = _mutated("prod")
    replica = editable(states(plans["prod-eu-west-1"], "aws:dynamodb/tableReplica:TableReplica")[0])
    target = plans["prod-ap-northeast-1"]
    target["steps"].append({"op": "create", "urn": replica["urn"] + "-moved", "newState": replica})
    problems = residency_problems(plans)
    assert any(p.startswith("dynamodb: ap-northeast-1 -> ") for p in problems), problems


def test_a_cache_secondary_out_of_jurisdiction_fails_the_flow() -> None:
    plans = _mutated("prod")
    group = states(plans["prod-me-south-1"], "aws:elasticache/replicationGroup:ReplicationGroup")
    group[0]["inputs"]["globalReplicationGroupId"] = "virxk-meridian-prod-cache"
    problems = residency_problems(plans)
    assert any(p.startswith("cache: me-south-1 -> ") for p in problems), problems


def test_a_summary_that_hides_a_replica_fails_the_flow() -> None:
    plans = _mutated("prod")
    summary = plans["prod-eu-west-1"]["outputs"][RegionalKey.DR_SUMMARY]
    summary["dynamodb"]["replicaRegions"] = []
    problems = residency_problems(plans)
    assert any("drSummary of eu-west-1" in p for p in problems), problems


def test_global_by_design_in_the_summary_is_what_lets_a_store_cross() -> None:
    """The flow accepts a cross-jurisdiction replica only where drSummary carries the reason."""
    plans = _mutated("prod")
    cluster = states(plans["prod-ap-south-1"], "aws:rds/cluster:Cluster")[0]
    cluster["inputs"]["globalClusterIdentifier"] = "meridian-prod-aurora"
    for plan in _regional(plans).values():
        plan["outputs"][RegionalKey.DR_SUMMARY]["postgres"]["globalByDesign"] = "test"
    assert not any(
        p.startswith("aurora: ap-south-1 -> us-east-1") for p in residency_problems(plans)
    )
