"""The data layer's settings (stacks/data_settings.py): per-environment defaults, the topology
they give, and bad input stopped with the key, the value and the fix."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.tenancy.services import SERVICES
from stacks.config.errors import ConfigError
from stacks.config.source import StaticConfigSource
from stacks.data_layer import data_topology
from stacks.data_settings import (
    AURORA_MAX_SECONDARY_REGIONS,
    DATA_DEFAULTS,
    DataPlacement,
    cache_secondaries,
    validate_data,
)
from stacks.program import settings_for
from stacks.streaming_settings import ReplicationSettings, kafka_dr_gap
from stacks.topology import dr_peer
from tests.test_config_errors import MANIFEST, NO_REPLICATION

TWELVE_REGIONS = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-south-1",
    "sa-east-1",
    "us-east-2",
    "us-west-1",
    "ca-central-1",
    "eu-west-2",
]


def load(stack: str, manifest: dict[str, Any], own: dict[str, Any] | None = None) -> Any:
    env = stack.split("-", 1)[0]
    own = manifest if stack.endswith("-global") else (own or {})
    return settings_for(stack, StaticConfigSource(own, {env: manifest}))


def problems_of(stack: str, manifest: dict[str, Any], own: dict[str, Any] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load(stack, manifest, own)
    return str(info.value)


def manifest(**changes: Any) -> dict[str, Any]:
    """The test manifest with `changes`; each region whose topics can have no Kafka DR copy gets
    the opt-out the config gate demands (tested in tests/test_streaming.py)."""
    result = copy.deepcopy(MANIFEST)
    for key, value in changes.items():
        result[f"meridian:{key}"] = value
    regions = result["meridian:regions"]
    raw = {"activeActive": [], "drPeers": {}, "kafkaDrOptOuts": {}}
    raw.update(result.get("meridian:replication") or {})
    if (
        regions[0] == "us-east-1"
        and "eu-west-1" in regions
        and "meridian:replication" not in changes
    ):
        raw["activeActive"] = [["us-east-1", "eu-west-1"]]
    rep = ReplicationSettings.model_validate({**raw, "kafkaDrOptOuts": {}})
    gaps = {r: kafka_dr_gap(regions, rep, r, "confidential") for r in regions}
    raw["kafkaDrOptOuts"] = {r: g for r, g in gaps.items() if g}
    result["meridian:replication"] = raw
    return result


def test_shipped_prod_topology() -> None:
    stores = data_topology(load("prod-global", manifest(regions=list(TWELVE_REGIONS[:8]))))
    assert stores.primary == "us-east-1"
    # confidential data: the global stores take the regions that may exchange it both ways (the
    # US has no transfer rule; the EU allows the US under the Data Privacy Framework); India,
    # Japan (EU and UK only), Singapore and Brazil allow no transfer, so their stores stand alone
    shared = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")
    assert stores.aurora_secondaries == shared[1:]
    for alone in ("ap-southeast-1", "ap-northeast-1", "ap-south-1", "sa-east-1"):
        assert stores.aurora_role(alone) == "standalone"
        assert stores.cassandra_regions(alone) == (alone,)
        assert not stores.dynamodb_member(alone)
        assert stores.replica_regions("aurora", alone) == ()
    assert stores.cache_secondaries == ("eu-west-1", "us-west-2")  # active-active partner first
    assert stores.keyspaces_regions == shared
    assert stores.replica_regions("dynamodb", "eu-west-1") == (
        "us-east-1",
        "us-west-2",
        "eu-central-1",
    )
    # confidential data: copies stay in the jurisdiction (stacks/data/residency.json), outside
    # the environment's regions where needed
    assert stores.backup_copies["us-east-1"] == "us-west-2"
    assert stores.backup_copies["eu-west-1"] == "eu-central-1"
    assert stores.backup_copies["ap-south-1"] == "ap-south-2"


GLOBAL_AURORA = {"globalByDesign": {"aurora": "holds reference data only, no personal data"}}


def test_more_secondaries_than_aurora_allows() -> None:
    text = problems_of("prod-global", manifest(regions=TWELVE_REGIONS, dataPlacement=GLOBAL_AURORA))
    assert "meridian:dataPlacement.auroraSecondaries" in text
    assert f"makes {len(TWELVE_REGIONS) - 1} secondary regions join" in text
    assert f"at most {AURORA_MAX_SECONDARY_REGIONS} secondary clusters" in text
    assert "Fix:" in text and "list at most 10 regions" in text


def test_the_limit_is_met_by_naming_the_secondaries() -> None:
    placement = {"auroraSecondaries": TWELVE_REGIONS[1:11], **GLOBAL_AURORA}
    settings = load("prod-global", manifest(regions=TWELVE_REGIONS, dataPlacement=placement))
    stores = data_topology(settings)
    assert len(stores.aurora_secondaries) == AURORA_MAX_SECONDARY_REGIONS
    assert stores.aurora_role("eu-west-2") == "none"
    assert stores.global_by_design == GLOBAL_AURORA["globalByDesign"]


def test_a_listed_secondary_the_residency_table_forbids_is_refused() -> None:
    placement = {
        "auroraSecondaries": ["eu-west-1", "ap-south-1"],
        "cacheSecondaries": ["sa-east-1"],
    }
    text = problems_of(
        "prod-global",
        manifest(
            regions=["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"], dataPlacement=placement
        ),
    )
    assert "meridian:dataPlacement.auroraSecondaries[1] = 'ap-south-1'" in text
    assert "confidential data of ap-south-1 (India" in text
    assert "may not be copied to us-east-1" in text
    assert "meridian:dataPlacement.cacheSecondaries[0] = 'sa-east-1'" in text
    assert "Fix: remove ap-south-1 from meridian:dataPlacement.auroraSecondaries" in text
    assert "globalByDesign.aurora" in text
    assert "'eu-west-1'" not in text  # the EU may exchange confidential data with the US


def test_global_by_design_needs_a_reason() -> None:
    placement = {"globalByDesign": {"dynamodb": "  "}}
    text = problems_of(
        "prod-global", manifest(regions=["us-east-1", "eu-west-1"], dataPlacement=placement)
    )
    assert "meridian:dataPlacement.globalByDesign.dynamodb = '  '" in text
    assert "gives no reason" in text and "Fix: write the reason" in text


def test_a_store_global_by_design_spans_every_region() -> None:
    regions = ["us-east-1", "eu-west-1", "ap-south-1"]
    placement = {
        "globalByDesign": {"dynamodb": "idempotency keys only: random ids, no personal data"}
    }
    stores = data_topology(load("prod-global", manifest(regions=regions, dataPlacement=placement)))
    assert stores.dynamodb_member("ap-south-1")
    assert stores.replica_regions("dynamodb", "ap-south-1") == ("us-east-1", "eu-west-1")
    assert stores.aurora_role("ap-south-1") == "standalone"  # the others still follow the table


def test_global_primary_must_offer_the_rotation_function() -> None:
    # af-south-1 has no Serverless Application Repository: the master secret could not rotate
    text = problems_of(
        "prod-global",
        manifest(
            regions=["af-south-1", "eu-west-1"],
            replication=NO_REPLICATION,
            dataPlacement=GLOBAL_AURORA,  # else South Africa's confidential data stays home
        ),
    )
    assert "meridian:regions[0] = 'af-south-1'" in text
    assert "does not offer serverless-repo in af-south-1" in text
    assert "Fix: list a region that offers it first" in text
    assert "auroraSecondaries: []" in text
    # a stand-alone cluster there is fine: RDS manages and rotates its password
    alone = {"auroraSecondaries": []}
    stores = data_topology(
        load(
            "prod-global",
            manifest(
                regions=["af-south-1", "eu-west-1"], replication=NO_REPLICATION, dataPlacement=alone
            ),
        )
    )
    assert stores.primary == "af-south-1" and not stores.aurora_global


def test_keyspaces_asked_where_aws_does_not_offer_it() -> None:
    regions = ["us-east-1", "eu-west-1", "ap-southeast-3"]
    text = problems_of(
        "prod-global",
        manifest(
            regions=regions, dataPlacement={"cassandraEngines": {"ap-southeast-3": "keyspaces"}}
        ),
    )
    assert "meridian:dataPlacement.cassandraEngines.ap-southeast-3 = 'keyspaces'" in text
    assert "does not offer in ap-southeast-3" in text
    assert "Fix: set it to k8ssandra" in text


def test_a_region_without_keyspaces_runs_cassandra_on_eks_by_default() -> None:
    placement = DataPlacement.model_validate(
        {
            "auroraSecondaries": None,
            "cassandraEngines": {},
            "cacheSecondaries": None,
            "backupCopies": {},
        }
    )
    from stacks.data_settings import topology

    stores = topology(["us-east-1", "ap-southeast-3"], placement, [], {}, "confidential")
    assert stores.cassandra_engines == {"us-east-1": "keyspaces", "ap-southeast-3": "k8ssandra"}


def test_cache_node_type_not_offered_in_the_region() -> None:
    settings = load("prod-global", manifest(regions=["us-east-1", "eu-west-1"]))
    data = settings.regions["us-east-1"].settings.data
    services = [s.name for s in SERVICES]
    problems = validate_data("mx-central-1", data, "cache.r7g.xlarge", False, services, {})
    (problem,) = problems
    assert problem.key == "meridian:sizing.cache.nodeType" and problem.value == "cache.r7g.xlarge"
    assert "not offered in mx-central-1" in problem.problem and problem.fix


def test_cache_node_type_unknown() -> None:
    own = {"meridian:sizing": {"cache": {"nodeType": "cache.x9z.large"}}}
    text = problems_of("prod-us-east-1", manifest(), own)
    assert "meridian:sizing.cache.nodeType = 'cache.x9z.large'" in text
    assert "not tracked in stacks/region_capabilities.json" in text
    assert "Fix:" in text and "cache.r7g.large" in text


def test_global_datastore_needs_large_nodes() -> None:
    own = {"meridian:sizing": {"cache": {"nodeType": "cache.t4g.medium"}}}
    text = problems_of("prod-us-east-1", manifest(), own)
    assert "smaller than large" in text and "cacheSecondaries" in text


def test_more_cache_secondaries_than_a_global_datastore_takes() -> None:
    placement = {"cacheSecondaries": ["eu-west-1", "ap-northeast-1", "us-west-2"]}
    regions = ["us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2"]
    text = problems_of("prod-global", manifest(regions=regions, dataPlacement=placement))
    assert "meridian:dataPlacement.cacheSecondaries" in text and "at most 2" in text


def test_access_names_unknown_services_and_stores() -> None:
    own = {"meridian:data": {"access": {"aurora": ["orders"], "mongo": ["user"]}}}
    text = problems_of("prod-us-east-1", manifest(), own)
    assert "meridian:data.access.aurora[0] = 'orders'" in text
    assert "meridian:data.access.mongo" in text


def test_performance_insights_retention_must_be_offered() -> None:
    own = {"meridian:data": {"aurora": {"performanceInsightsRetentionDays": 30}}}
    text = problems_of("prod-us-east-1", manifest(), own)
    assert "meridian:data.aurora.performanceInsightsRetentionDays = 30" in text


def test_defaults_per_environment() -> None:
    assert DATA_DEFAULTS["prod"]["backup"] == {"vaultLock": True, "restoreTesting": True}
    assert DATA_DEFAULTS["dev"]["backup"]["vaultLock"] is False  # type: ignore[index]
    assert DATA_DEFAULTS["prod"]["aurora"]["backupRetentionDays"] == 35  # type: ignore[index]


def test_dr_peers_and_cache_members() -> None:
    regions = ["us-east-1", "eu-west-1", "ap-south-1", "me-south-1"]
    peers = {"me-south-1": "none", "ap-south-1": "eu-west-1"}
    aa = [["us-east-1", "eu-west-1"]]
    assert dr_peer("us-east-1", regions, aa, peers, "internal") == "eu-west-1"
    assert dr_peer("us-east-1", regions, [], peers, "internal") == "eu-west-1"
    assert dr_peer("ap-south-1", regions, [], peers, "internal") == "eu-west-1"
    assert dr_peer("me-south-1", regions, [], peers, "internal") is None
    # confidential data stays in its jurisdiction: the primary's peer is another US region
    assert dr_peer("us-east-1", regions, aa, peers, "confidential") == "us-east-2"
    placement = DataPlacement.model_validate(
        {
            "auroraSecondaries": None,
            "cassandraEngines": {},
            "cacheSecondaries": None,
            "backupCopies": {},
        }
    )
    assert cache_secondaries(regions, placement, []) == ["eu-west-1", "ap-south-1"]
    assert cache_secondaries(["us-east-1"], placement, []) == []


def test_the_dr_table_in_the_docs_is_generated_from_the_prod_defaults() -> None:
    from stacks.data_layer import dr_table
    from stacks.data_settings import DataSettings
    from stacks.settings import RetentionTier
    from stacks.versions import AURORA_POSTGRES_VERSION, CACHE_ENGINE_VERSIONS
    from tests.conftest import ROOT

    table = dr_table(
        DataSettings.model_validate(DATA_DEFAULTS["prod"]),
        {"postgres": AURORA_POSTGRES_VERSION, "cache": CACHE_ENGINE_VERSIONS["valkey"]},
        RetentionTier.model_validate({"hotDays": 7, "warmDays": 30, "coldDays": 365}),
    )
    assert table in (ROOT / "docs" / "data.md").read_text(), "regenerate the table in docs/data.md"
    assert table in (ROOT / "README.md").read_text(), "regenerate the DR table in README.md"
    assert "| PostgreSQL |" in table and "< 30 s" in table and "< 10 s" in table
