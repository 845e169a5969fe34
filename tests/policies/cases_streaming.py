"""Table cases for ``policies/streaming.py`` (engine camelCase inputs, pulumi-aws 7)."""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase

MSK = "aws:msk/cluster:Cluster"
REPLICATOR = "aws:msk/replicator:Replicator"
SCHEMA = "aws:glue/schema:Schema"
TARGET = "aws:appautoscaling/target:Target"
QUEUE = "aws:sqs/queue:Queue"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
CLUSTER_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/meridian/abcd-1"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:meridian-push"
DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:meridian-push-dlq"
VOLUME = "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"

CLUSTER: dict[str, Any] = {
    "clusterName": "meridian",
    "kafkaVersion": "4.1.x.kraft",
    "numberOfBrokerNodes": 9,
    "brokerNodeGroupInfo": {
        "instanceType": "kafka.m7g.4xlarge",
        "clientSubnets": ["subnet-1", "subnet-2", "subnet-3"],
        "securityGroups": ["sg-1"],
    },
    "clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False},
    "loggingInfo": {"brokerLogs": {"cloudwatchLogs": {"enabled": True, "logGroup": "/msk"}}},
}
REPLICATION_INFO: dict[str, Any] = {
    "sourceKafkaClusterArn": CLUSTER_ARN,
    "targetKafkaClusterArn": CLUSTER_ARN.replace("us-east-1", "eu-west-1"),
    "targetCompressionType": "ZSTD",
    "topicReplications": [{"topicsToReplicates": [".*"], "copyTopicConfigurations": True}],
    "consumerGroupReplications": [
        {"consumerGroupsToReplicates": [".*"], "synchroniseConsumerGroupOffsets": True}
    ],
}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = dict(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _stack(policy: str, stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase(policy, "", {}, violates, stack=stack, note=note)


def _scaled_cluster(ignore: list[str] | None) -> list[dict[str, Any]]:
    cluster: dict[str, Any] = {
        "type": MSK,
        "name": "kafka",
        "props": dict(CLUSTER, arn=CLUSTER_ARN),
    }
    if ignore is not None:
        cluster["options"] = {"ignoreChanges": ignore}
    return [
        cluster,
        {
            "type": TARGET,
            "name": "kafka-storage",
            "props": {
                "serviceNamespace": "kafka",
                "scalableDimension": "kafka:broker-storage:VolumeSize",
                "resourceId": CLUSTER_ARN,
                "minCapacity": 1,
                "maxCapacity": 16384,
            },
        },
    ]


def _fanout(redrive: Any) -> list[dict[str, Any]]:
    queue: dict[str, Any] = {"name": "meridian-push", "arn": QUEUE_ARN, "kmsMasterKeyId": "k"}
    if redrive is not None:
        queue["redrivePolicy"] = redrive
    return [
        {"type": QUEUE, "name": "push", "props": queue},
        {
            "type": SUBSCRIPTION,
            "name": "push-subscription",
            "props": {
                "topic": "arn:aws:sns:us-east-1:1:t",
                "protocol": "sqs",
                "endpoint": QUEUE_ARN,
            },
        },
    ]


CASES: list[PolicyCase] = [
    # --- msk-broker-logs -----------------------------------------------------------------------
    PolicyCase("msk-broker-logs", MSK, CLUSTER, False, note="cloudwatch"),
    PolicyCase("msk-broker-logs", MSK, _with(CLUSTER, loggingInfo=None), True, note="none"),
    PolicyCase(
        "msk-broker-logs",
        MSK,
        _with(CLUSTER, loggingInfo={"brokerLogs": {"cloudwatchLogs": {"enabled": False}}}),
        True,
        note="disabled",
    ),
    # --- msk-autoscaled-storage-ignored (stack) ------------------------------------------------
    _stack("msk-autoscaled-storage-ignored", _scaled_cluster([VOLUME]), False, "ignored"),
    _stack("msk-autoscaled-storage-ignored", _scaled_cluster(None), True, "not-ignored"),
    _stack(
        "msk-autoscaled-storage-ignored",
        [{"type": MSK, "name": "kafka", "props": dict(CLUSTER, arn=CLUSTER_ARN)}],
        False,
        "no-autoscaling",
    ),
    # --- msk-replicator-sync -------------------------------------------------------------------
    PolicyCase(
        "msk-replicator-sync",
        REPLICATOR,
        {"replicatorName": "r", "replicationInfoList": REPLICATION_INFO},
        False,
        note="offsets-and-configs",
    ),
    PolicyCase(
        "msk-replicator-sync",
        REPLICATOR,
        {
            "replicatorName": "r",
            "replicationInfoList": _with(
                REPLICATION_INFO,
                consumerGroupReplications=[
                    {"consumerGroupsToReplicates": [".*"], "synchroniseConsumerGroupOffsets": False}
                ],
            ),
        },
        True,
        note="no-offset-sync",
    ),
    PolicyCase(
        "msk-replicator-sync",
        REPLICATOR,
        {
            "replicatorName": "r",
            "replicationInfoList": _with(
                REPLICATION_INFO, topicReplications=[{"topicsToReplicates": [".*"]}]
            ),
        },
        True,
        note="topic-configs-not-copied",
    ),
    # --- glue-schema-compatibility -------------------------------------------------------------
    PolicyCase(
        "glue-schema-compatibility",
        SCHEMA,
        {"schemaName": "user-events-value", "dataFormat": "AVRO", "compatibility": "BACKWARD"},
        False,
        note="backward",
    ),
    PolicyCase(
        "glue-schema-compatibility",
        SCHEMA,
        {"schemaName": "user-events-value", "dataFormat": "AVRO", "compatibility": "NONE"},
        True,
        note="none",
    ),
    # --- sns-fanout-queue-dlq (stack) ----------------------------------------------------------
    _stack(
        "sns-fanout-queue-dlq",
        _fanout(f'{{"deadLetterTargetArn": "{DLQ_ARN}", "maxReceiveCount": 5}}'),
        False,
        "redrive",
    ),
    _stack("sns-fanout-queue-dlq", _fanout(None), True, "no-redrive"),
    _stack("sns-fanout-queue-dlq", _fanout(UNKNOWN), False, "redrive-unknown"),
]

# --- mskconnect-connector-secure -----------------------------------------------------------------
CONNECTOR = "aws:mskconnect/connector:Connector"
CONNECTOR_PROPS: dict[str, Any] = {
    "name": "meridian-prod-use1-cdc-postgres",
    "kafkaconnectVersion": "3.7.x",
    "kafkaClusterClientAuthentication": {"authenticationType": "IAM"},
    "kafkaClusterEncryptionInTransit": {"encryptionType": "TLS"},
    "logDelivery": {
        "workerLogDelivery": {
            "cloudwatchLogs": {"enabled": True, "logGroup": "/meridian/prod/msk-connect/cdc"}
        }
    },
    "serviceExecutionRoleArn": "arn:aws:iam::123456789012:role/meridian-prod-use1-cdc-connector",
}


def _connector(**changes: Any) -> dict[str, Any]:
    props = dict(CONNECTOR_PROPS)
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


CASES += [
    PolicyCase("mskconnect-connector-secure", CONNECTOR, CONNECTOR_PROPS, False),
    PolicyCase(
        "mskconnect-connector-secure",
        CONNECTOR,
        _connector(
            logDelivery={"workerLogDelivery": {"s3": {"enabled": True, "bucket": "meridian-logs"}}}
        ),
        False,
        note="logs-to-s3",
    ),
    PolicyCase(
        "mskconnect-connector-secure",
        CONNECTOR,
        _connector(kafkaClusterEncryptionInTransit={"encryptionType": "PLAINTEXT"}),
        True,
        note="plaintext",
    ),
    PolicyCase(
        "mskconnect-connector-secure",
        CONNECTOR,
        _connector(kafkaClusterClientAuthentication={"authenticationType": "NONE"}),
        True,
        note="unauthenticated",
    ),
    PolicyCase(
        "mskconnect-connector-secure",
        CONNECTOR,
        _connector(kafkaClusterClientAuthentication=None, kafkaClusterEncryptionInTransit=None),
        True,
        note="defaults",
    ),
    PolicyCase(
        "mskconnect-connector-secure",
        CONNECTOR,
        _connector(logDelivery=None),
        True,
        note="no-logs",
    ),
    PolicyCase(
        "mskconnect-connector-secure",
        CONNECTOR,
        _connector(logDelivery={"workerLogDelivery": {"cloudwatchLogs": {"enabled": False}}}),
        True,
        note="logs-disabled",
    ),
]
