"""Event flow: every Kafka topic has a producer and a consumer in the dependency table, or is
the lake's feed (a Firehose stream reads it in every regional stack); the notification fan-out
has its publisher and its queues' workers, subscribed SNS -> SQS; every consumer group and
dead-letter queue has a backlog alarm routed to the alert topic of its severity. The CDC
topics' producer is the Debezium connector of the primary region (traced link by link in
tests/flows/test_cdc_flow.py). Removing a link from a copy of the plan fails.
"""

from __future__ import annotations

import pytest

from meridian_ops.plan.flows.events import event_failures
from stacks.dependencies import (
    bronze_topics,
    consumers,
    dependency_rows,
    external_producers,
    producers,
    topic_names,
)
from tests.flows.test_dependency_flow import ENVIRONMENTS, MODES, regional
from tests.plans import editable


def test_every_topic_has_a_producer_and_a_consumer_or_feeds_the_lake() -> None:
    rows = dependency_rows()
    made, read, lake = producers(rows), consumers(rows), set(bronze_topics())
    for topic in topic_names():
        assert made.get(topic), f"{topic}: no producer"
        assert read.get(topic) or topic in lake, f"{topic}: no consumer and not the lake's feed"
    assert not [p["name"] for p in external_producers() if p.get("pending")]
    debezium = {t for p in external_producers() if p["name"] == "debezium" for t in p["produces"]}
    assert debezium == {"cdc.postgres.orders", "cdc.postgres.users"}  # the CDC connector


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
