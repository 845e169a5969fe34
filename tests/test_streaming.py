"""Event streaming: the MSK cluster, topics, schemas, queues and replicators each prod
region gets, in up and preview mode, and the configuration errors of the layer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.streaming.kafka import configuration_name
from stacks.config.errors import ConfigError
from stacks.config.source import PROJECT_DIR, read_stack_file
from stacks.identity import parse_stack_name
from stacks.outputs import RegionalKey
from stacks.settings import load_settings
from stacks.streaming_settings import replication_pairs, topic_table
from stacks.versions import KAFKA_VERSION, MSK_REPLICATOR_REGIONS
from tests.plans import PROD_REGIONS, by_urn, name_of, one, planned, states

MODES = [False, True]
PRIMARY = PROD_REGIONS[0]
SEED_TOPICS = {
    "user-events": 64,
    "order-commands": 32,
    "payment-events": 16,
    "notification-fanout": 24,
    "audit-log": 8,
}


def regional(region: str, preview: bool = False) -> dict[str, Any]:
    return planned("prod", preview)[f"prod-{region}"]


def known(value: Any) -> bool:
    return value is not None and "04da6b54-80e4-46f7-96ec-b56ff0331ba9" not in json.dumps(value)


# --- the graph ---------------------------------------------------------------------------------


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_cluster_brokers_match_the_availability_zones(region: str) -> None:
    for preview in MODES:
        plan = regional(region, preview)
        cluster = one(plan, "aws:msk/cluster:Cluster")["inputs"]
        group = cluster["brokerNodeGroupInfo"]
        azs = plan["outputs"].get(RegionalKey.AVAILABILITY_ZONES) or ["a", "b", "c"]
        assert cluster["numberOfBrokerNodes"] == 9 == 3 * len(azs)
        if known(group["clientSubnets"]):
            assert len(group["clientSubnets"]) == 3
            assert cluster["numberOfBrokerNodes"] % len(group["clientSubnets"]) == 0
        assert cluster["kafkaVersion"] == KAFKA_VERSION
        assert KAFKA_VERSION.endswith(".kraft")
        assert group["instanceType"] == "kafka.m7g.4xlarge"


@pytest.mark.parametrize("preview", MODES)
def test_cluster_is_tls_only_iam_authenticated_encrypted_and_logged(preview: bool) -> None:
    for region in PROD_REGIONS:
        plan = regional(region, preview)
        cluster = one(plan, "aws:msk/cluster:Cluster")
        inputs = cluster["inputs"]
        transit = inputs["encryptionInfo"]["encryptionInTransit"]
        assert transit == {"clientBroker": "TLS", "inCluster": True}
        assert inputs["clientAuthentication"]["sasl"]["iam"] is True
        assert inputs["clientAuthentication"]["unauthenticated"] is False
        assert "scram" not in inputs["clientAuthentication"]["sasl"]
        assert inputs["encryptionInfo"]["encryptionAtRestKmsKeyArn"]
        assert inputs["enhancedMonitoring"] == "PER_TOPIC_PER_BROKER"
        assert inputs["storageMode"] == "TIERED"
        logs = inputs["loggingInfo"]["brokerLogs"]["cloudwatchLogs"]
        assert logs["enabled"] is True
        groups = [
            g
            for g in states(plan, "aws:cloudwatch/logGroup:LogGroup")
            if "/msk/" in g["inputs"]["name"]
        ]
        assert len(groups) == 1
        assert groups[0]["inputs"]["kmsKeyId"] and groups[0]["inputs"]["retentionInDays"] == 30
        if not preview:
            keys = plan["outputs"][RegionalKey.KEY_ARNS]
            assert inputs["encryptionInfo"]["encryptionAtRestKmsKeyArn"] == keys["streaming"]
            assert groups[0]["inputs"]["kmsKeyId"] == keys["logs"]


def test_cluster_is_protected_and_ignores_only_the_autoscaled_volume() -> None:
    for preview in MODES:
        cluster = one(regional(PRIMARY, preview), "aws:msk/cluster:Cluster")
        assert cluster["protect"] is True
        assert cluster["ignoreChanges"] == [
            "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"
        ]


def test_a_client_security_group_change_cannot_replace_the_cluster() -> None:
    """The cluster names only its own group; clients are separate rules on it."""
    plan = regional(PRIMARY)
    urns = by_urn(plan)
    cluster = one(plan, "aws:msk/cluster:Cluster")
    groups = cluster["inputs"]["brokerNodeGroupInfo"]["securityGroups"]
    broker_sg = [
        s for s in states(plan, "aws:ec2/securityGroup:SecurityGroup") if s["id"] == groups[0]
    ]
    assert len(groups) == 1 and len(broker_sg) == 1
    assert urns[broker_sg[0]["parent"]]["type"] == "meridian:streaming:KafkaCluster"
    assert "ingress" not in broker_sg[0]["inputs"] or broker_sg[0]["inputs"]["ingress"] == []
    rules = [
        r
        for r in states(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["inputs"]["securityGroupId"] == groups[0]
    ]
    # IAM over TLS; open monitoring's JMX (11001) and node (11002) exporters for the scraper
    assert {(r["inputs"]["fromPort"], r["inputs"]["toPort"]) for r in rules} == {
        (9098, 9098),
        (11001, 11001),
        (11002, 11002),
    }
    node_sgs = [
        s["id"]
        for s in states(plan, "aws:ec2/securityGroup:SecurityGroup")
        if urns[s["parent"]]["type"] == "meridian:kubernetes:EksCluster" or "node" in name_of(s)
    ]
    # the primary's CDC connector workers (components/streaming/cdc.py) produce to the brokers
    cdc_sgs = [
        s["id"]
        for s in states(plan, "aws:ec2/securityGroup:SecurityGroup")
        if urns[s["parent"]]["type"] == "meridian:streaming:DebeziumPostgresSource"
    ]
    assert len(cdc_sgs) == 1
    referenced = {r["inputs"]["referencedSecurityGroupId"] for r in rules}
    assert groups[0] in referenced  # brokers / replicator
    assert referenced & set(node_sgs), "the EKS nodes must be admitted"
    assert referenced - {groups[0]} <= set(node_sgs) | set(cdc_sgs)
    scrapers = {
        r["inputs"]["referencedSecurityGroupId"]
        for r in rules
        if r["inputs"]["fromPort"] in (11001, 11002)
    }
    assert scrapers and scrapers <= set(node_sgs)  # only the nodes' group, whose pods scrape
    assert set(cdc_sgs) <= referenced, "the CDC workers must be admitted"


def test_broker_settings_follow_the_seed() -> None:
    plan = regional(PRIMARY)
    config = one(plan, "aws:msk/configuration:Configuration")
    props = dict(
        line.split("=", 1) for line in config["inputs"]["serverProperties"].splitlines() if line
    )
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["compression.type"] == "zstd"
    assert props["log.retention.hours"] == "168"
    assert props["message.max.bytes"] == str(10 * 1024 * 1024)
    assert props["auto.create.topics.enable"] == "false"
    assert props["unclean.leader.election.enable"] == "false"
    assert config["inputs"]["kafkaVersions"] == [KAFKA_VERSION]
    # the version is in the name: a bump creates the new configuration before deleting the old
    assert config["inputs"]["name"].endswith(KAFKA_VERSION.replace(".", "-"))
    cluster = one(plan, "aws:msk/cluster:Cluster")["inputs"]["configurationInfo"]
    assert cluster == {"arn": config["outputs"]["arn"], "revision": 1}


def test_configuration_names_differ_per_version() -> None:
    from components.common.naming import Names

    names = Names("prod", "us-east-1")
    assert configuration_name(names, "4.1.x.kraft") != configuration_name(names, "4.2.x.kraft")


def test_storage_autoscaling_tracks_broker_storage() -> None:
    plan = regional(PRIMARY)
    target = one(plan, "aws:appautoscaling/target:Target")["inputs"]
    assert target["serviceNamespace"] == "kafka"
    assert target["scalableDimension"] == "kafka:broker-storage:VolumeSize"
    assert target["resourceId"] == one(plan, "aws:msk/cluster:Cluster")["outputs"]["arn"]
    assert target["maxCapacity"] == 16384
    policy = one(plan, "aws:appautoscaling/policy:Policy")["inputs"]
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == (
        "KafkaBrokerStorageUtilization"
    )
    assert tracking["disableScaleIn"] is True


@pytest.mark.parametrize("preview", MODES)
def test_topics_come_from_the_one_table(preview: bool) -> None:
    plan = regional(PRIMARY, preview)
    topics = {t["inputs"]["name"]: t["inputs"] for t in states(plan, "aws:msk/topic:Topic")}
    assert set(topics) == {t.name for t in topic_table()}
    for name, partitions in SEED_TOPICS.items():
        assert topics[name]["partitionCount"] == partitions
    for name, topic in topics.items():
        assert topic["replicationFactor"] == 3
        if name.startswith("dlq."):
            assert name.endswith(".errors") and topic["partitionCount"] == 4
        if name.startswith("cdc.postgres."):
            assert topic["partitionCount"] == 8
        configs = json.loads(topic["configs"])
        assert configs["min.insync.replicas"] == "2"
        assert configs["remote.storage.enable"] == "true"
        assert configs["local.retention.ms"] == str(7 * 24 * 3600 * 1000)
        assert configs["retention.ms"] == str(30 * 24 * 3600 * 1000)


def test_schema_registry_defaults_to_backward_and_dead_letters_are_encrypted() -> None:
    plan = regional(PRIMARY)
    schemas = states(plan, "aws:glue/schema:Schema")
    assert {s["inputs"]["schemaName"] for s in schemas} == {
        f"{t.name}-value" for t in topic_table() if t.schema
    }
    for schema in schemas:
        assert schema["inputs"]["compatibility"] == "BACKWARD"
        assert schema["inputs"]["dataFormat"] == "AVRO"
        assert schema["ignoreChanges"] == ["schemaDefinition"]
    queues = {
        q["inputs"]["name"]: q["inputs"]
        for q in states(plan, "aws:sqs/queue:Queue")
        if "-notifications-" in q["inputs"]["name"]
    }
    dlqs = {n: q for n, q in queues.items() if n.endswith("-dlq")}
    work = {n: q for n, q in queues.items() if not n.endswith("-dlq")}
    assert dlqs and len(dlqs) == len(work)
    for queue in queues.values():
        assert queue["kmsMasterKeyId"]
    for name, queue in work.items():
        redrive = json.loads(queue["redrivePolicy"])
        assert redrive["maxReceiveCount"] == 5
        assert redrive["deadLetterTargetArn"].endswith(f"{name}-dlq")
    (topic,) = [  # the fan-out topic (the alert topics are the baseline's: test_baseline_graph.py)
        t["inputs"] for t in states(plan, "aws:sns/topic:Topic") if name_of(t).startswith("kafka-")
    ]
    assert topic["kmsMasterKeyId"]
    # the fan-out topic's subscriptions (the alert topics' receivers are the baseline's)
    fanout = one(plan, "aws:sns/topic:Topic", "kafka-notification-fanout")
    subs = [
        s
        for s in states(plan, "aws:sns/topicSubscription:TopicSubscription")
        if fanout["urn"] in s["propertyDependencies"]["topic"]
    ]
    assert len(subs) == len(work) and all(s["inputs"]["redrivePolicy"] for s in subs)
    assert {s["inputs"]["protocol"] for s in subs} == {"sqs"}


# --- replication ------------------------------------------------------------------------------


def test_primary_declares_no_replication_and_reads_no_other_region() -> None:
    plan = regional(PRIMARY)
    assert not states(plan, "aws:msk/replicator:Replicator")
    refs = [s for s in states(plan, "pulumi:pulumi:StackReference")]
    assert all("prod-global" in s["inputs"].get("name", s["urn"]) for s in refs)


@pytest.mark.parametrize("region", PROD_REGIONS[1:])
def test_each_region_replicates_with_the_primary(region: str) -> None:
    settings = load_settings(
        parse_stack_name("prod-global"),
        read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml"),
        read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml"),
    )
    pair = replication_pairs(
        settings.manifest.regions,
        settings.manifest.replication,
        settings.manifest.data_classification,
    )[region]
    for preview in MODES:
        plan = regional(region, preview)
        replicators = states(plan, "aws:msk/replicator:Replicator")
        if region not in MSK_REPLICATOR_REGIONS or not pair.kafka:
            # no replicator where MSK Replicator is missing or residency keeps the topics home;
            # the manifest's kafkaDrOptOuts says why (the config gate demands it)
            assert not replicators
            assert region in settings.manifest.replication.kafka_dr_opt_outs
            continue
        targets = sorted(r["inputs"]["region"] for r in replicators)
        expected = sorted([PRIMARY, region] if pair.active_active else [PRIMARY])
        assert targets == expected
        for rep in replicators:
            info = rep["inputs"]["replicationInfoList"]
            assert info["targetCompressionType"] == "ZSTD"
            topics = info["topicReplications"][0]
            groups = info["consumerGroupReplications"][0]
            assert topics["copyTopicConfigurations"] is True
            assert groups["synchroniseConsumerGroupOffsets"] is True
            mode = "ENHANCED" if pair.active_active else "LEGACY"
            assert groups["consumerGroupOffsetSyncMode"] == mode
            assert len(rep["inputs"]["kafkaClusters"]) == 2
        refs = [s["inputs"].get("name", "") for s in states(plan, "pulumi:pulumi:StackReference")]
        others = [r for r in refs if r.endswith(tuple(PROD_REGIONS)) and not r.endswith(PRIMARY)]
        assert not others, f"{region} reads another non-primary region: {others}"


def test_active_active_pair_is_us_east_1_and_eu_west_1() -> None:
    replicators = states(regional("eu-west-1"), "aws:msk/replicator:Replicator")
    assert {r["inputs"]["region"] for r in replicators} == {"us-east-1", "eu-west-1"}
    for rep in replicators:
        topics = rep["inputs"]["replicationInfoList"]["topicReplications"][0]
        assert topics["topicNameConfiguration"]["type"] == "IDENTICAL"


# --- configuration errors ----------------------------------------------------------------------


def _load(stack: str, own: dict[str, Any], manifest: dict[str, Any] | None = None) -> Any:
    base = read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")
    merged = {**base, **(manifest or {})}
    return load_settings(
        parse_stack_name(stack), {**own} if stack != "prod-global" else merged, merged
    )


def test_broker_count_not_a_multiple_of_the_azs_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        _load(
            "prod-eu-west-1",
            {"meridian:network": {"azCount": 4}, "meridian:sizing": {"kafka": {"brokersPerAz": 1}}},
        )
    text = str(err.value)
    assert "meridian:sizing.kafka.brokersPerAz = 1" in text
    assert "4 brokers" in text and "multiple of the 3 AZs" in text and "Fix:" in text


def test_a_dr_peer_outside_the_environment_is_accepted_where_residency_allows() -> None:
    settings = _load(
        "prod-global",
        {},
        {
            "meridian:regions": ["us-east-1", "us-west-2"],
            "meridian:serviceOptOuts": {},
            "meridian:replication": {
                "activeActive": [["us-east-1", "us-west-2"]],
                "drPeers": {"us-west-2": "us-east-2"},
            },
        },
    )
    assert settings.manifest.replication.dr_peers == {"us-west-2": "us-east-2"}


def test_a_dr_peer_the_residency_table_forbids_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        _load(
            "prod-global",
            {},
            {"meridian:replication": {"activeActive": [], "drPeers": {"ap-south-1": "eu-west-1"}}},
        )
    text = str(err.value)
    assert "meridian:replication.drPeers.ap-south-1 = 'eu-west-1'" in text
    assert "confidential data of ap-south-1" in text and "may not be copied to eu-west-1" in text
    assert "Fix:" in text


def test_a_region_without_kafka_dr_needs_an_opt_out() -> None:
    with pytest.raises(ConfigError) as err:
        _load(
            "prod-global",
            {},
            {"meridian:replication": {"activeActive": [["us-east-1", "eu-west-1"]]}},
        )
    text = str(err.value)
    assert "meridian:replication.kafkaDrOptOuts.me-south-1 = None" in text
    assert "MSK Replicator is not offered in me-south-1" in text
    assert "meridian:replication.kafkaDrOptOuts.sa-east-1 = None" in text


def test_active_active_pair_naming_an_unknown_region_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        _load(
            "prod-global",
            {},
            {
                "meridian:replication": {
                    "activeActive": [["us-east-1", "eu-north-1"]],
                    "drPeers": {},
                }
            },
        )
    assert "names eu-north-1, which is not in meridian:regions" in str(err.value)


def test_burstable_brokers_are_refused() -> None:
    with pytest.raises(ConfigError) as err:
        _load("prod-eu-west-1", {"meridian:sizing": {"kafka": {"instanceType": "kafka.t3.small"}}})
    assert "meridian:sizing.kafka.instanceType = 'kafka.t3.small'" in str(err.value)


def test_replication_is_environment_wide() -> None:
    with pytest.raises(ConfigError) as err:
        _load("prod-eu-west-1", {"meridian:replication": {"activeActive": [], "drPeers": {}}})
    assert "is environment-wide" in str(err.value)
