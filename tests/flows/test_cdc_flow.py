"""CDC flow: in every environment exactly one regional stack, the Aurora writer's (the primary
region), runs the Debezium connector; its links are traced there (logical replication on, IAM and
TLS to the brokers, the tables of every CDC topic, the network path to Aurora and MSK, the grant on
the exact topic ARNs and the one secret), up and preview. Removing the parameter, a grant or a
security group rule from a copy of the plan makes the flow fail naming the link.
"""

from __future__ import annotations

from typing import Any

import pytest

from meridian_ops.plan.flows.cdc import CONNECTOR, TOPICS, cdc_failures, writes_cdc
from tests.flows.test_dependency_flow import ENVIRONMENTS, MODES, regional
from tests.plans import editable, name_of

PRIMARY = {"dev": "dev-us-east-1", "staging": "staging-us-east-1", "prod": "prod-us-east-1"}
"""The primary region's stack of each environment (the Aurora writer; Pulumi.<env>-*.yaml)."""


def _primary(environment: str, preview: bool) -> dict[str, Any]:
    return regional(environment, preview)[PRIMARY[environment]]


@pytest.mark.parametrize("preview", MODES, ids=["up", "preview"])
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_writer_region_alone_runs_cdc_and_its_flow_is_complete(
    environment: str, preview: bool
) -> None:
    stacks = regional(environment, preview)
    assert sorted(s for s, plan in stacks.items() if writes_cdc(plan)) == [PRIMARY[environment]]
    assert cdc_failures(stacks[PRIMARY[environment]]) == []


def test_the_topics_come_from_the_table() -> None:
    assert TOPICS == ["cdc.postgres.orders", "cdc.postgres.users"]


def _without(plan: dict[str, Any], *names: str) -> dict[str, Any]:
    broken = editable(plan)
    broken["steps"] = [
        s for s in broken["steps"] if name_of(s.get("newState") or {"urn": ""}) not in names
    ]
    return broken


@pytest.mark.parametrize("preview", MODES, ids=["up", "preview"])
def test_removing_a_link_fails_naming_it(preview: bool) -> None:
    plan = _primary("dev", preview)
    assert cdc_failures(plan) == []
    assert "connector -> aurora: no egress on 5432 to aurora-sg" in cdc_failures(
        _without(plan, "cdc-sg-to-db")
    )
    assert "connector -> kafka: kafka-brokers does not admit the connector on 9098" in cdc_failures(
        _without(plan, "cdc-admitted-by-kafka")
    )
    assert "connector: no execution role grant (cdc-role-policy)" in cdc_failures(
        _without(plan, "cdc-role-policy")
    )
    assert "cdc topics: no Debezium connector produces them" in cdc_failures(
        _without(plan, "cdc-connector")
    )


@pytest.mark.parametrize("preview", MODES, ids=["up", "preview"])
def test_without_logical_replication_the_flow_fails(preview: bool) -> None:
    plan = editable(_primary("dev", preview))
    for step in plan["steps"]:
        state = step.get("newState") or {}
        if name_of(state) == "aurora-parameters":
            params = state["inputs"]["parameters"]
            state["inputs"]["parameters"] = [
                p for p in params if p["name"] != "rds.logical_replication"
            ]
    assert "aurora: rds.logical_replication is not 1 (no logical decoding)" in cdc_failures(plan)


def test_a_grant_on_the_wrong_topic_fails() -> None:
    plan = editable(_primary("dev", False))
    for step in plan["steps"]:
        state = step.get("newState") or {}
        if name_of(state) == "cdc-role-policy":
            state["inputs"]["policy"] = state["inputs"]["policy"].replace(
                "/cdc.postgres.users", "/cdc.postgres.accounts"
            )
    assert any(
        f.startswith("connector -> cdc.postgres.users: no WriteData") for f in cdc_failures(plan)
    )


def test_the_connector_type_is_planned() -> None:
    plan = _primary("dev", False)
    assert [
        name_of(s["newState"])
        for s in plan["steps"]
        if (s.get("newState") or {}).get("type") == CONNECTOR
    ] == ["cdc-connector"]
