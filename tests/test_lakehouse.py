"""The lakehouse: buckets, lifecycle, Object Lock, replication pairs, catalog, Athena,
Lake Formation and the Kafka -> bronze feed of each prod region, and its configuration errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.common.buckets import access_log_delivery_statement
from components.data.lakehouse.lakehouse import REPLICATED
from components.data.lakehouse.tables import GOLD_TABLES
from stacks.config.errors import ConfigError
from stacks.config.source import PROJECT_DIR, read_stack_file
from stacks.identity import parse_stack_name
from stacks.outputs import RegionalKey
from stacks.settings import load_settings
from stacks.streaming_settings import topic_table
from tests.plans import PROD_REGIONS, by_urn, planned, states

MODES = [False, True]
PRIMARY = PROD_REGIONS[0]
LAKE_BUCKETS = {
    "landing",
    "bronze",
    "silver",
    "gold",
    "compliance",
    "athena-results",
    "access-logs",
}


def regional(region: str, preview: bool = False) -> dict[str, Any]:
    return planned("prod", preview)[f"prod-{region}"]


def lake_buckets(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    urns = by_urn(plan)
    return {
        b["inputs"]["tags"]["meridian:zone"]: b
        for b in states(plan, "aws:s3/bucket:Bucket")
        if urns[b["parent"]]["type"] == "meridian:data:Lakehouse"
    }


def _per_bucket(plan: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Configuration resources by the zone of the bucket they configure (by bucket id)."""
    ids = {b["id"] or b["inputs"]["bucket"]: zone for zone, b in lake_buckets(plan).items()}
    out: dict[str, dict[str, Any]] = {}
    for s in states(plan, resource_type):
        zone = ids.get(s["inputs"].get("bucket", ""))
        if zone:
            out[zone] = s["inputs"]
    return out


@pytest.mark.parametrize("sources", [[], "arn:aws:s3:::one-bucket"], ids=["none", "a-string"])
def test_an_access_log_target_names_its_sources_as_a_list(sources: Any) -> None:
    with pytest.raises(ValueError, match="source_bucket_arns"):
        access_log_delivery_statement("arn:aws:s3:::logs", "123456789012", sources)


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_every_zone_bucket_is_private_versioned_encrypted_logged(region: str) -> None:
    plan = regional(region)
    buckets = lake_buckets(plan)
    assert set(buckets) == LAKE_BUCKETS
    assert all(b["protect"] for b in buckets.values())
    blocks = _per_bucket(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert set(blocks) == LAKE_BUCKETS
    for block in blocks.values():
        assert all(
            block[k] is True
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
    own = _per_bucket(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert {o["rule"]["objectOwnership"] for o in own.values()} == {"BucketOwnerEnforced"}
    versioning = _per_bucket(plan, "aws:s3/bucketVersioning:BucketVersioning")
    assert {v["versioningConfiguration"]["status"] for v in versioning.values()} == {"Enabled"}
    sse = _per_bucket(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    storage_key = plan["outputs"][RegionalKey.KEY_ARNS]["storage"]
    for zone, config in sse.items():
        rule = config["rules"][0]
        default = rule["applyServerSideEncryptionByDefault"]
        if zone == "access-logs":  # S3 server access logging refuses SSE-KMS targets
            assert default == {"sseAlgorithm": "AES256"}
        else:
            assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": storage_key}
            assert rule["bucketKeyEnabled"] is True
    logging = _per_bucket(plan, "aws:s3/bucketLogging:BucketLogging")
    assert set(logging) == LAKE_BUCKETS - {"access-logs"}
    assert {x["targetBucket"] for x in logging.values()} == {buckets["access-logs"]["id"]}
    for policy in _per_bucket(plan, "aws:s3/bucketPolicy:BucketPolicy").values():
        doc = json.loads(policy["policy"])
        deny = [s for s in doc["Statement"] if s["Sid"] == "DenyInsecureTransport"]
        assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_lifecycle_follows_the_seed() -> None:
    rules = {
        zone: cfg["rules"][0]
        for zone, cfg in _per_bucket(
            regional(PRIMARY), "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
        ).items()
    }
    bronze = rules["bronze"]
    assert [(t["days"], t["storageClass"]) for t in bronze["transitions"]] == [
        (30, "STANDARD_IA"),
        (90, "GLACIER"),
    ]
    assert bronze["expiration"]["days"] == 730
    for zone in ("silver", "gold"):  # Athena cannot read Glacier: these stop at IA
        assert [t["storageClass"] for t in rules[zone]["transitions"]] == ["STANDARD_IA"]
        assert "expiration" not in rules[zone]


def test_compliance_bucket_is_worm() -> None:
    plan = regional(PRIMARY)
    buckets = lake_buckets(plan)
    assert buckets["compliance"]["inputs"]["objectLockEnabled"] is True
    assert all(
        b["inputs"]["objectLockEnabled"] is False for z, b in buckets.items() if z != "compliance"
    )
    urns = by_urn(plan)
    lock = [
        s
        for s in states(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
        if urns[s["parent"]]["type"] == "meridian:data:Lakehouse"
    ]
    assert len(lock) == 1
    retention = lock[0]["inputs"]["rule"]["defaultRetention"]
    assert retention == {"mode": "COMPLIANCE", "years": 7}


def of_lake_replica(urns: dict[str, dict[str, Any]], state: dict[str, Any]) -> bool:
    """A child of the lake's LakeReplica (the log archive reuses the component)."""
    parent = urns[state["parent"]]
    return (
        parent["type"] == "meridian:data:LakeReplica"
        and urns[parent["parent"]]["type"] == "meridian:data:Lakehouse"
    )


EXPECTED_PEERS = {
    "us-east-1": "us-west-2",
    "us-west-2": "us-east-1",
    "eu-west-1": "eu-central-1",
    "eu-central-1": "eu-west-1",
    "ap-southeast-1": None,
    "ap-northeast-1": "ap-northeast-3",
    "ap-south-1": "ap-south-2",
    "me-south-1": "me-central-1",
    "sa-east-1": None,
    "af-south-1": None,
}


@pytest.mark.parametrize("preview", MODES)
def test_every_region_replicates_its_lake_to_its_pair_with_rtc(preview: bool) -> None:
    for region in PROD_REGIONS:
        plan = regional(region, preview)
        peer = plan["outputs"].get(RegionalKey.LAKE_REPLICA_REGION)  # None outputs are dropped
        # the DR peer within the jurisdiction the prod data class keeps it in (stacks/topology.py)
        assert peer == EXPECTED_PEERS[region]
        if peer is None:
            assert not [
                c
                for c in states(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
                if c["urn"].rsplit("::", 1)[-1].startswith("lakehouse-")
            ]
            continue
        every = [  # the lake's (the log archive replicates too)
            c
            for c in states(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
            if c["urn"].rsplit("::", 1)[-1].startswith("lakehouse-")
        ]
        # one configuration per zone on the source bucket here, one back from the replica there
        configs = [c for c in every if c["inputs"].get("region", region) == region]
        failback = [c for c in every if c["inputs"].get("region") == peer]
        assert len(configs) == len(failback) == len(REPLICATED) and len(every) == 2 * len(
            REPLICATED
        )
        urns = by_urn(plan)
        replicas = [b for b in states(plan, "aws:s3/bucket:Bucket") if of_lake_replica(urns, b)]
        assert {b["inputs"]["region"] for b in replicas} == {peer}
        assert {b["inputs"]["tags"]["meridian:zone"] for b in replicas} == set(REPLICATED)
        assert all(b["protect"] for b in replicas)
        (key,) = [k for k in states(plan, "aws:kms/key:Key") if of_lake_replica(urns, k)]
        assert key["inputs"]["region"] == peer and key["inputs"]["enableKeyRotation"] is True
        for config in every:
            rule = config["inputs"]["rules"][0]
            dest = rule["destination"]
            assert dest["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
            assert dest["metrics"]["status"] == "Enabled"
            assert dest["encryptionConfiguration"]["replicaKmsKeyId"]
            criteria = rule["sourceSelectionCriteria"]
            assert criteria["sseKmsEncryptedObjects"]["status"] == "Enabled"
            assert criteria["replicaModifications"]["status"] == "Enabled"  # two-way
        if not preview:
            replica_arns = {b["outputs"]["arn"] for b in replicas}
            dests = {c["inputs"]["rules"][0]["destination"]["bucket"] for c in configs}
            assert dests == replica_arns
            assert {
                c["inputs"]["rules"][0]["destination"]["encryptionConfiguration"]["replicaKmsKeyId"]
                for c in configs
            } == {key["outputs"]["arn"]}
        locked = [b for b in replicas if b["inputs"]["objectLockEnabled"]]
        assert [b["inputs"]["tags"]["meridian:zone"] for b in locked] == ["compliance"]


def test_replication_role_is_least_privilege() -> None:
    plan = regional("eu-west-1")
    urns = by_urn(plan)
    (policy,) = [
        p for p in states(plan, "aws:iam/rolePolicy:RolePolicy") if of_lake_replica(urns, p)
    ]
    doc = json.loads(policy["inputs"]["policy"])
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        assert "*" not in json.dumps(st["Action"])
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        assert all(r != "*" for r in resources)
    actions = {a for st in doc["Statement"] for a in st["Action"]}
    assert "s3:ReplicateObject" in actions and "s3:PutObject" not in actions


def test_catalog_athena_and_lake_formation() -> None:
    plan = regional(PRIMARY)
    dbs = {d["inputs"]["name"] for d in states(plan, "aws:glue/catalogDatabase:CatalogDatabase")}
    assert dbs == {f"meridian_prod_{z}" for z in ("bronze", "silver", "gold")}
    tables = {
        t["inputs"]["name"]: t["inputs"] for t in states(plan, "aws:glue/catalogTable:CatalogTable")
    }
    assert (
        set(tables)
        == {t.name for t in GOLD_TABLES}
        == {
            "fct_orders",
            "dim_customers",
            "mart_revenue_daily",
        }
    )
    for state in states(plan, "aws:glue/catalogTable:CatalogTable"):
        # Iceberg commits move metadata_location in the table parameters: Glue owns them
        assert state["ignoreChanges"] == ["parameters"]
    for table in tables.values():
        iceberg = table["openTableFormatInput"]["icebergInput"]
        assert iceberg["metadataOperation"] == "CREATE" and iceberg["version"] == "2"
        assert table["databaseName"] == "meridian_prod_gold"
    (wg,) = states(plan, "aws:athena/workgroup:Workgroup")
    config = wg["inputs"]["configuration"]
    assert config["enforceWorkgroupConfiguration"] is True
    assert config["resultConfiguration"]["encryptionConfiguration"]["encryptionOption"] == "SSE_KMS"
    (lf,) = states(plan, "aws:lakeformation/dataLakeSettings:DataLakeSettings")
    assert lf["inputs"].get("createDatabaseDefaultPermissions", []) == []
    grants = states(plan, "aws:lakeformation/permissions:Permissions")
    readers = {"meridian-bi-reader", "meridian-finance-analyst"}
    assert {g["inputs"]["principal"].rsplit("/", 1)[-1] for g in grants} == readers
    selects = [g for g in grants if "SELECT" in g["inputs"]["permissions"]]
    assert len(selects) == len(readers)
    assert all(g["inputs"]["table"]["databaseName"] == "meridian_prod_gold" for g in selects)


@pytest.mark.parametrize("preview", MODES)
def test_kafka_feeds_bronze(preview: bool) -> None:
    plan = regional(PRIMARY, preview)
    streams = [  # the log shipping stream takes Direct PUT from CloudWatch Logs
        s
        for s in states(plan, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
        if "mskSourceConfiguration" in s["inputs"]
    ]
    assert {s["inputs"]["mskSourceConfiguration"]["topicName"] for s in streams} == {
        t.name for t in topic_table() if t.bronze
    }
    bronze = lake_buckets(plan)["bronze"]
    for stream in streams:
        source = stream["inputs"]["mskSourceConfiguration"]
        assert source["authenticationConfiguration"]["connectivity"] == "PRIVATE"
        s3 = stream["inputs"]["extendedS3Configuration"]
        assert s3["kmsKeyArn"]
        if not preview:
            assert s3["bucketArn"] == bronze["outputs"]["arn"]


def _load(stack: str, own: dict[str, Any]) -> None:
    manifest = read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")
    load_settings(parse_stack_name(stack), own, manifest)


def test_glacier_before_ia_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        _load(
            "prod-eu-west-1",
            {"meridian:lakehouse": {"lifecycle": {"iaDays": 60, "glacierDays": 45}}},
        )
    text = str(err.value)
    assert "meridian:lakehouse.lifecycle" in text
    assert "sends data to Glacier (day 45) before or when it reaches Standard-IA (day 60)" in text


def test_ia_before_30_days_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        _load("prod-eu-west-1", {"meridian:lakehouse": {"lifecycle": {"iaDays": 7}}})
    assert "meridian:lakehouse.lifecycle.iaDays = 7" in str(err.value)


def test_gold_reader_must_be_a_role_name() -> None:
    with pytest.raises(ConfigError) as err:
        _load(
            "prod-eu-west-1",
            {"meridian:lakehouse": {"goldReaders": ["arn:aws:iam::123456789012:role/x"]}},
        )
    assert "meridian:lakehouse.goldReaders[0]" in str(err.value)
