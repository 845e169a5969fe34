"""The log flow in every regional stack of dev, staging and prod (up and preview): each log group
the agents write workload logs to -> subscription filter -> Firehose -> the log archive, whose
tiers match the design's log retention; removing or weakening a link fails the flow, naming it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from meridian_ops.plan.flows.harness import Graph, State, name_of
from meridian_ops.plan.flows.logs import (
    FILTER,
    LIFECYCLE,
    ROLE,
    Tiers,
    agent_log_groups,
    log_flow,
)
from tests.plans import planned

ACCOUNT = "123456789012"  # the offline engine's account
# Architecture "Log Aggregation" retention: hot 30 days, warm (S3) 1 year, cold (Glacier) 7 years.
# dev keeps the small environment's logs tier (7 / 30 / 90 days, the dev manifest).
TIERS = {"dev": Tiers(7, 30, 90), "staging": Tiers(30, 365, 2555), "prod": Tiers(30, 365, 2555)}
ENVIRONMENTS = tuple(TIERS)


def regional(env: str, preview: bool) -> list[Graph]:
    return [
        Graph(stack, plan)
        for stack, plan in planned(env, preview).items()
        if not stack.endswith(("-global", "-edge"))
    ]


def failing(graph: Graph, env: str = "dev") -> list[str]:
    return [str(link) for link in log_flow(graph, TIERS[env], ACCOUNT).failing()]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_workload_log_group_reaches_the_archive_tiers(env: str, preview: bool) -> None:
    graphs = regional(env, preview)
    assert graphs
    for graph in graphs:
        flow = log_flow(graph, TIERS[env], ACCOUNT)
        assert not flow.failing(), "\n".join(map(str, flow.failing()))
        assert not flow.pending_links()
        archived = {link.flow for link in flow if link.step == "stream delivers to the log archive"}
        groups = agent_log_groups(graph)
        assert groups and all(g.endswith("/workloads") for g in groups), groups
        assert archived == {f"logs {g}" for g in groups}, archived


def _dev(preview: bool = False) -> Graph:
    return regional("dev", preview)[0]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_without_the_subscription_filter_the_flow_fails(preview: bool) -> None:
    graph = _dev(preview)
    assert not failing(graph)
    broken = graph.without(lambda s: s["type"] == FILTER)
    assert any("subscription filter" in f for f in failing(broken)), failing(broken)


def _trust(state: State) -> dict[str, Any]:
    return json.loads(state["inputs"]["assumeRolePolicy"])


def test_a_subscription_role_without_source_conditions_fails() -> None:
    graph = _dev()

    def unscoped(state: State) -> None:
        doc = _trust(state)
        for st in doc["Statement"]:
            st.pop("Condition", None)
        state["inputs"]["assumeRolePolicy"] = json.dumps(doc)

    def is_logs_role(state: State) -> bool:
        return state["type"] == ROLE and "logs.amazonaws.com" in json.dumps(
            state["inputs"].get("assumeRolePolicy")
        )

    assert any(is_logs_role(s) for s in graph.states)
    broken = graph.edited(is_logs_role, unscoped)
    assert any("scoped by source" in f for f in failing(broken)), failing(broken)


def test_an_archive_expiring_before_seven_years_fails() -> None:
    graph = regional("prod", False)[0]
    assert not failing(graph, "prod")

    def shorter(state: State) -> None:
        state["inputs"]["rules"][0]["expiration"]["days"] = 365

    def is_archive_lifecycle(state: State) -> bool:
        return state["type"] == LIFECYCLE and name_of(state) == "log-archive-lifecycle"

    broken = graph.edited(is_archive_lifecycle, shorter)
    assert any("deleted after the cold tier" in f for f in failing(broken, "prod"))
