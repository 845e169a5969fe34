"""Event flow over one regional stack's plan: every Kafka topic has a producer and a consumer in
the dependency table (stacks/data/service_dependencies.json), or is the lake's feed; every
bronze topic is read by a Firehose stream into the lake; the notification fan-out has its queues
subscribed SNS -> SQS; every consumer group and dead-letter queue has a backlog alarm routed to
the alert topic of its severity.

    units = event_flow(plan)   # {"topic user-events": [...], "lake user-events": [...], ...}

Units: `topic <name>` (producer, consumer or lake feed, the lag alarms of its consumer groups),
`queue <name>` (subscription, dead-letter depth alarm), `lake <name>` (the Firehose stream reading
a bronze topic). The CDC topics' producer is the Debezium connector (flows/cdc.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meridian_ops.plan.flows.dependencies import by_name, depends_on
from stacks.dependencies import (
    bronze_topics,
    consumers,
    dependency_rows,
    event_alarm_specs,
    producers,
    table,
    topic_names,
)

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ALERT_TOPIC = "aws:sns/topic:Topic"


def event_flow(plan: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each broken link of the stack's event flow, named, per unit (see the module docstring)."""
    rows = dependency_rows()
    made, read, lake = producers(rows), consumers(rows), set(bronze_topics())
    units: dict[str, list[str]] = {}
    for topic in topic_names():
        problems = units.setdefault(f"topic {topic}", [])
        if not made.get(topic):
            problems.append(f"{topic}: no producer")
        if not read.get(topic) and topic not in lake:
            problems.append(f"{topic}: no consumer and not the lake's feed")
    streams = by_name(plan, FIREHOSE)
    for topic in bronze_topics():
        sources = (str(s["inputs"].get("mskSourceConfiguration")) for s in streams.values())
        fed = any(topic in source for source in sources)
        units[f"lake {topic}"] = [] if fed else [f"{topic} -> lake: no Firehose stream reads it"]
    subscriptions = by_name(plan, SUBSCRIPTION)
    for queue in table()["fanout"]["queues"]:
        units.setdefault(f"queue {queue}", [])
        if f"kafka-{queue}-subscription" not in subscriptions:
            units[f"queue {queue}"].append(f"notification-fanout -> {queue}: no SNS subscription")
    alarms = by_name(plan, ALARM)
    topics = {n: s for n, s in by_name(plan, ALERT_TOPIC).items() if n.startswith("alerts-")}
    lag, queues, severity, _ = event_alarm_specs()

    def routed(unit: str, key: str, level: str) -> None:
        problems = units.setdefault(unit, [])
        alarm = alarms.get(f"event-alarms-{key}")
        if alarm is None:
            problems.append(f"{key}: no alarm")
            return
        target = [s for n, s in topics.items() if n.endswith(level.lower())]
        if not target or not depends_on(alarm, target[0]["urn"]):
            problems.append(f"{key}: alarm not routed to the {level} alert topic")

    for spec in lag:
        routed(f"topic {spec.topic}", f"lag-{spec.group}-{spec.topic}", spec.severity)
    for queue in queues:
        routed(f"queue {queue}", f"depth-{queue}-dlq", severity)
    return units


def event_failures(plan: Mapping[str, Any]) -> list[str]:
    """Every broken link of the stack's event flow."""
    return [p for problems in event_flow(plan).values() for p in problems]
