"""Event flow: every Kafka topic has a producer and a consumer in the dependency table, or is
the lake's feed (a Firehose stream reads it in every regional stack); the notification fan-out
has its publisher and its queues' workers, subscribed SNS -> SQS; every consumer group and
dead-letter queue has a backlog alarm routed to the alert topic of its severity. The CDC
topics' producer is the Debezium connector of the primary region (traced link by link in
tests/flows/test_cdc_flow.py). Removing a link from a copy of the plan fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from meridian_ops.plan.flows.dependencies import by_name, depends_on
from stacks.dependencies import (
    bronze_topics,
    consumers,
    dependency_rows,
    event_alarm_specs,
    external_producers,
    producers,
    table,
    topic_names,
)
from tests.flows.test_dependency_flow import ENVIRONMENTS, MODES, regional
from tests.plans import editable

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ALERT_TOPIC = "aws:sns/topic:Topic"


def test_every_topic_has_a_producer_and_a_consumer_or_feeds_the_lake() -> None:
    rows = dependency_rows()
    made, read, lake = producers(rows), consumers(rows), set(bronze_topics())
    for topic in topic_names():
        assert made.get(topic), f"{topic}: no producer"
        assert read.get(topic) or topic in lake, f"{topic}: no consumer and not the lake's feed"
    assert not [p["name"] for p in external_producers() if p.get("pending")]
    debezium = {t for p in external_producers() if p["name"] == "debezium" for t in p["produces"]}
    assert debezium == {"cdc.postgres.orders", "cdc.postgres.users"}  # the CDC connector


def event_failures(plan: dict[str, Any]) -> list[str]:
    failures: list[str] = []
    streams = by_name(plan, FIREHOSE)
    for topic in bronze_topics():
        if not any(
            topic in str(s["inputs"].get("mskSourceConfiguration")) for s in streams.values()
        ):
            failures.append(f"{topic} -> lake: no Firehose stream reads it")
    subscriptions = by_name(plan, SUBSCRIPTION)
    for queue in table()["fanout"]["queues"]:
        if f"kafka-{queue}-subscription" not in subscriptions:
            failures.append(f"notification-fanout -> {queue}: no SNS subscription")
    alarms = by_name(plan, ALARM)
    topics = {n: s for n, s in by_name(plan, ALERT_TOPIC).items() if n.startswith("alerts-")}
    lag, queues, severity, _ = event_alarm_specs()

    def routed(key: str, level: str) -> None:
        alarm = alarms.get(f"event-alarms-{key}")
        if alarm is None:
            failures.append(f"{key}: no alarm")
            return
        target = [s for n, s in topics.items() if n.endswith(level.lower())]
        if not target or not depends_on(alarm, target[0]["urn"]):
            failures.append(f"{key}: alarm not routed to the {level} alert topic")

    for spec in lag:
        routed(f"lag-{spec.group}-{spec.topic}", spec.severity)
    for queue in queues:
        routed(f"depth-{queue}-dlq", severity)
    return failures


@pytest.mark.parametrize("preview", MODES, ids=["up", "preview"])
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_event_flow_is_complete(environment: str, preview: bool) -> None:
    for stack, plan in regional(environment, preview).items():
        assert event_failures(plan) == [], stack


@pytest.mark.parametrize("preview", MODES, ids=["up", "preview"])
def test_removing_a_lag_alarm_or_subscription_fails(preview: bool) -> None:
    plan = editable(regional("dev", preview)["dev-us-east-1"])
    plan["steps"] = [
        s
        for s in plan["steps"]
        if (s.get("newState") or {}).get("urn", "").split("::")[-1]
        not in ("event-alarms-lag-payment-cg-order-commands", "kafka-push-subscription")
    ]
    failures = event_failures(plan)
    assert "lag-payment-cg-order-commands: no alarm" in failures
    assert "notification-fanout -> push: no SNS subscription" in failures
