"""EventFlowAlarms: the event flow's backlog alarms, to the alert topics by severity.

- One alarm per (consumer group, topic): MSK's `SumOffsetLag` (namespace `AWS/Kafka`, dimensions
  `Cluster Name`, `Consumer Group`, `Topic`; "Monitor consumer lags" and "Amazon MSK metrics for
  monitoring Standard brokers with CloudWatch", MSK developer guide,
  https://docs.aws.amazon.com/msk/latest/developerguide/consumer-lag.html). MSK emits it only for
  groups in STABLE or EMPTY state with committed offsets, so missing data is not breaching. A
  dead-letter topic's replay group alarms the same way: its lag is the topic's unreplayed depth.
- One alarm per SQS dead-letter queue: `ApproximateNumberOfMessagesVisible` (namespace `AWS/SQS`,
  dimension `QueueName`; "Available CloudWatch metrics for Amazon SQS", SQS developer guide).

Thresholds and severities come from the dependency table's `alarms` (architecture section 06:
lag > 100K pages P2; DLQ depth pages).

Example::

    EventFlowAlarms("event-alarms", EventFlowAlarmsArgs(
        names=names, topic_arns=alerts.arns, kafka_cluster_name=kafka.cluster.cluster_name,
        consumer_lag=[LagAlarm("search-indexer-cg", "user-events", 100_000, "P2")],
        queue_depth=[QueueDepthAlarm("push-dlq", kafka.dead_letter_queues["push"].name, 0, "P2")]),
        opts=in_region)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.naming import Names

PERIOD_SECONDS = 60
"""MSK and SQS publish these metrics every minute."""
EVALUATION_PERIODS = 5
"""Five minutes over the threshold before paging (a rebalance or a burst passes)."""


@dataclass(frozen=True)
class LagAlarm:
    group: str
    topic: str
    threshold: float
    severity: str


@dataclass(frozen=True)
class QueueDepthAlarm:
    key: str
    queue_name: pulumi.Input[str]
    threshold: float
    severity: str


@dataclass(frozen=True)
class EventFlowAlarmsArgs:
    names: Names
    topic_arns: Mapping[str, pulumi.Input[str]]
    """Severity (P1..P4) -> SNS topic ARN."""
    kafka_cluster_name: pulumi.Input[str]
    consumer_lag: Sequence[LagAlarm] = ()
    queue_depth: Sequence[QueueDepthAlarm] = ()


class EventFlowAlarms(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: EventFlowAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:EventFlowAlarms", name, None, opts)
        self.alarms = {}
        for lag in args.consumer_lag:
            key = f"lag-{lag.group}-{lag.topic}"
            self._alarm(
                name,
                key,
                args,
                lag.severity,
                f"Kafka consumer group {lag.group} is more than {lag.threshold:g} messages "
                f"behind on {lag.topic}",
                namespace="AWS/Kafka",
                metric="SumOffsetLag",
                dimensions={
                    "Cluster Name": args.kafka_cluster_name,
                    "Consumer Group": lag.group,
                    "Topic": lag.topic,
                },
                threshold=lag.threshold,
            )
        for queue in args.queue_depth:
            self._alarm(
                name,
                f"depth-{queue.key}",
                args,
                queue.severity,
                f"dead-letter queue {queue.key} holds more than {queue.threshold:g} messages",
                namespace="AWS/SQS",
                metric="ApproximateNumberOfMessagesVisible",
                dimensions={"QueueName": queue.queue_name},
                threshold=queue.threshold,
            )
        self.register_outputs({"alarms": sorted(self.alarms)})

    def _alarm(
        self,
        name: str,
        key: str,
        args: EventFlowAlarmsArgs,
        severity: str,
        description: str,
        *,
        namespace: str,
        metric: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        threshold: float,
    ) -> None:
        topic = args.topic_arns[severity]
        self.alarms[key] = aws.cloudwatch.MetricAlarm(
            f"{name}-{key}",
            name=args.names.physical("alarm", key, max_length=255),
            alarm_description=f"[{severity}] {description}",
            namespace=namespace,
            metric_name=metric,
            dimensions=dict(dimensions),
            statistic="Maximum",
            period=PERIOD_SECONDS,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold,
            evaluation_periods=EVALUATION_PERIODS,
            datapoints_to_alarm=EVALUATION_PERIODS,
            treat_missing_data="notBreaching",
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={"meridian:severity": severity},
            opts=pulumi.ResourceOptions(parent=self),
        )
