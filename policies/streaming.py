"""Streaming policies: MSK clusters keep broker logs and let storage autoscaling own their
volumes; MSK Replicators carry consumer offsets and topic settings; schemas stay compatible;
fan-out queues have a dead-letter queue.

(Encryption of MSK, SNS and SQS: ``msk-encryption``, ``sns-topic-cmk``, ``sqs-queue-cmk``;
durability: ``msk-kafka-durability``; IAM client auth and no public brokers:
``msk-iam-authentication``, ``msk-no-public-access`` in zero_trust_network.)
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from . import type_tokens
from .compliance import (
    AUTHENTICATION,
    CAPACITY,
    CHANGE_MANAGEMENT,
    ENCRYPTION_IN_TRANSIT,
    LOGGING,
    PROCESSING_INTEGRITY,
    RESILIENCE,
)
from .declare import resource_policy, stack_policy
from .support import as_list, config, get, is_unknown, label, plain

CONCERN = "streaming"


MSK_CLUSTER: Final = "aws:msk/cluster:Cluster"
MSK_REPLICATOR: Final = "aws:msk/replicator:Replicator"
SCALING_TARGET: Final = "aws:appautoscaling/target:Target"
GLUE_SCHEMA: Final = "aws:glue/schema:Schema"
SNS_SUBSCRIPTION: Final = "aws:sns/topicSubscription:TopicSubscription"
SQS_QUEUE: Final = "aws:sqs/queue:Queue"
VOLUME_SIZE_PATHS: Final = frozenset(
    {
        "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize",
        "brokerNodeGroupInfo.storageInfo",
        "brokerNodeGroupInfo",
    }
)
COMPATIBLE_MODES: Final = ("BACKWARD", "BACKWARD_ALL", "FORWARD", "FORWARD_ALL", "FULL", "FULL_ALL")


def _msk_broker_logs(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != MSK_CLUSTER:
        return
    logs = get(args.props, "loggingInfo", "brokerLogs")
    sinks = [get(logs, sink, "enabled") for sink in ("cloudwatchLogs", "s3", "firehose")]
    if True not in sinks:
        report(
            f"{label(args.resource_type, args.name)} delivers no broker logs. Fix: set "
            "loggingInfo.brokerLogs.cloudwatchLogs = {enabled: true, logGroup: <KMS-encrypted "
            "log group with a retention>}.",
            None,
        )


def _msk_autoscaled_storage(args: StackValidationArgs, report: ReportViolation) -> None:
    """A cluster whose broker storage an autoscaling target grows ignores volumeSize."""
    scaled: set[str] = set()
    for resource in args.resources:
        if resource.resource_type != SCALING_TARGET:
            continue
        props = plain(resource.props)
        if props.get("scalableDimension") == "kafka:broker-storage:VolumeSize":
            target = props.get("resourceId")
            if isinstance(target, str) and not is_unknown(target):
                scaled.add(target)
    for resource in args.resources:
        if resource.resource_type != MSK_CLUSTER:
            continue
        arn = plain(resource.props).get("arn")
        if not isinstance(arn, str) or arn not in scaled:
            continue
        ignored = {str(p) for p in resource.opts.ignore_changes or []}
        if not ignored & VOLUME_SIZE_PATHS:
            report(
                f"msk.Cluster '{resource.name}': storage autoscaling grows its broker volumes but "
                "the cluster does not ignore changes to them, so the next `pulumi up` tries to "
                "shrink them back (MSK refuses, the update fails). Fix: add ignore_changes="
                "['brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize'].",
                resource.urn,
            )


def _replicator_sync(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != MSK_REPLICATOR:
        return
    where = label(args.resource_type, args.name)
    infos = as_list(get(args.props, "replicationInfoList"))
    if isinstance(get(args.props, "replicationInfoList"), dict):
        infos = [get(args.props, "replicationInfoList")]
    for info in infos:
        for topics in as_list(get(info, "topicReplications")):
            if get(topics, "copyTopicConfigurations") is not True:
                report(
                    f"{where}: topicReplications.copyTopicConfigurations is not true, so the "
                    "target's topics drift from the source's (partitions, retention, min ISR). "
                    "Fix: set it to true.",
                    None,
                )
        groups = as_list(get(info, "consumerGroupReplications"))
        if not groups or any(get(g, "synchroniseConsumerGroupOffsets") is not True for g in groups):
            report(
                f"{where}: consumer group offsets are not synchronised, so consumers that fail "
                "over re-read or skip messages. Fix: set consumerGroupReplications "
                "[{consumerGroupsToReplicates: ['.*'], synchroniseConsumerGroupOffsets: true}].",
                None,
            )


def _schema_compatibility(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != GLUE_SCHEMA:
        return
    allowed = [str(m) for m in config(args, "allowedModes", list(COMPATIBLE_MODES))]
    mode = get(args.props, "compatibility")
    if mode not in allowed:
        report(
            f"{label(args.resource_type, args.name)}: compatibility is {mode!r}, so a producer "
            "can register a schema its consumers cannot read. Fix: set compatibility to one of "
            f"{allowed} (Meridian's default: BACKWARD).",
            None,
        )


def _fanout_dead_letters(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every SQS queue an SNS topic delivers to has a redrive policy (its dead-letter queue)."""
    queues: dict[str, Any] = {}
    for resource in args.resources:
        if resource.resource_type == SQS_QUEUE:
            arn = plain(resource.props).get("arn")
            if isinstance(arn, str) and not is_unknown(arn):
                queues[arn] = resource
    for resource in args.resources:
        if resource.resource_type != SNS_SUBSCRIPTION:
            continue
        props = plain(resource.props)
        if props.get("protocol") != "sqs":
            continue
        queue = queues.get(str(props.get("endpoint")))
        if queue is None:
            continue
        redrive = plain(queue.props).get("redrivePolicy")
        if is_unknown(redrive):
            continue
        if not isinstance(redrive, str) or "deadLetterTargetArn" not in redrive:
            report(
                f"sqs.Queue '{queue.name}' receives fan-out from SNS but has no redrivePolicy, so "
                "a poison message is retried forever. Fix: create a dead-letter queue (same KMS "
                "key) and set redrivePolicy = {deadLetterTargetArn, maxReceiveCount}.",
                queue.urn,
            )


MSK_CONNECTOR: Final = "aws:mskconnect/connector:Connector"
CONNECTOR_LOG_DESTINATIONS: Final = ("cloudwatchLogs", "firehose", "s3")


def _connector_secure(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != MSK_CONNECTOR:
        return
    problems = []
    transit = get(args.props, "kafkaClusterEncryptionInTransit", "encryptionType")
    if transit != "TLS":
        problems.append(
            f"kafkaClusterEncryptionInTransit.encryptionType is {transit!r} (records and "
            "credentials cross the network in plaintext)"
        )
    auth = get(args.props, "kafkaClusterClientAuthentication", "authenticationType")
    if auth != "IAM":
        problems.append(
            f"kafkaClusterClientAuthentication.authenticationType is {auth!r} (the connector "
            "reaches the cluster unauthenticated)"
        )
    delivery = get(args.props, "logDelivery", "workerLogDelivery")
    if not any(
        get(delivery, destination, "enabled") is True for destination in CONNECTOR_LOG_DESTINATIONS
    ):
        problems.append("no worker log delivery is enabled (logDelivery.workerLogDelivery)")
    if problems:
        report(
            f"{label(args.resource_type, args.name)}: {'; '.join(problems)}. Fix: "
            "kafka_cluster_encryption_in_transit={encryption_type: 'TLS'}, "
            "kafka_cluster_client_authentication={authentication_type: 'IAM'} and "
            "log_delivery.worker_log_delivery.cloudwatch_logs (or firehose, s3) enabled.",
            None,
        )


POLICIES: list[Policy] = [
    # msk
    resource_policy(
        "msk-broker-logs",
        "MSK clusters deliver broker logs (loggingInfo.brokerLogs to CloudWatch, S3 or Firehose).",
        concern=CONCERN,
        service="msk",
        severity=Severity.MEDIUM,
        controls=LOGGING,
        validate=_msk_broker_logs,
    ),
    stack_policy(
        "msk-autoscaled-storage-ignored",
        "An MSK cluster whose broker storage an appautoscaling target grows ignores changes to "
        "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize.",
        concern=CONCERN,
        service="msk",
        severity=Severity.MEDIUM,
        controls=CAPACITY | CHANGE_MANAGEMENT,
        types=(type_tokens.MSK_CLUSTER,),
        validate=_msk_autoscaled_storage,
    ),
    resource_policy(
        "msk-replicator-sync",
        "MSK Replicators copy topic configurations and synchronise consumer group offsets.",
        concern=CONCERN,
        service="msk",
        severity=Severity.MEDIUM,
        controls=RESILIENCE,
        validate=_replicator_sync,
    ),
    # mskconnect
    resource_policy(
        "mskconnect-connector-secure",
        "MSK Connect connectors reach the cluster over TLS "
        "(kafkaClusterEncryptionInTransit.encryptionType TLS) with IAM client authentication, "
        "and deliver their worker logs (CloudWatch Logs, Firehose or S3).",
        concern=CONCERN,
        service="mskconnect",
        severity=Severity.HIGH,
        controls=ENCRYPTION_IN_TRANSIT | AUTHENTICATION | LOGGING,
        validate=_connector_secure,
    ),
    # glue
    resource_policy(
        "glue-schema-compatibility",
        "Glue Schema Registry schemas enforce a compatibility mode (not NONE or DISABLED; "
        "BACKWARD by default in Meridian).",
        concern=CONCERN,
        service="glue",
        severity=Severity.MEDIUM,
        controls=PROCESSING_INTEGRITY,
        validate=_schema_compatibility,
        config_schema=PolicyConfigSchema(
            properties={
                "allowedModes": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(COMPATIBLE_MODES)},
                    "default": list(COMPATIBLE_MODES),
                }
            }
        ),
    ),
    # sqs
    stack_policy(
        "sns-fanout-queue-dlq",
        "Every SQS queue subscribed to an SNS topic has a redrive policy to a dead-letter queue.",
        concern=CONCERN,
        service=("sqs", "sns"),
        severity=Severity.MEDIUM,
        controls=PROCESSING_INTEGRITY,
        types=(type_tokens.SQS_QUEUE,),
        validate=_fanout_dead_letters,
    ),
]
