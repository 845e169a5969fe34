"""The log flow in every regional stack of dev, staging and prod (up and preview): every log group
of the region -> subscription filter -> Firehose -> the log archive, whose tiers match the design's
log retention; the archive stream's own delivery-error group is kept through the warm tier instead.
Removing or weakening a link fails the flow, naming it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from meridian_ops.plan.flows.harness import Graph, State, name_of
from meridian_ops.plan.flows.logs import (
    FILTER,
    LIFECYCLE,
    LOG_GROUP,
    ROLE,
    ROLE_POLICY,
    STREAM,
    Tiers,
    agent_log_groups,
    archive_error_groups,
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


# The platform's log groups by what writes them (a folder of the archive each): a region plans at
# least these; the primary region adds the Aurora and CDC rotation functions and MSK Connect.
EVERY_REGION = (
    "/workloads",  # Fluent Bit
    "/otel-metrics",  # the OpenTelemetry Collector
    "/cluster",  # EKS control plane
    "/aws/codebuild/",  # the deploy runner
    "/aws/vendedlogs/prometheus/",  # the Prometheus workspace
    "/msk/",  # the Kafka brokers
    "/firehose/bronze",  # the lakehouse's bronze feed
)
PRIMARY_ONLY = ("/msk-connect/cdc", "/aws/lambda/")


def _all_group_names(graph: Graph) -> set[str]:
    return {str(s["inputs"]["name"]) for s in graph.of_type(LOG_GROUP)}


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_log_group_reaches_the_archive_tiers(env: str, preview: bool) -> None:
    graphs = regional(env, preview)
    assert graphs
    primaries = 0
    for graph in graphs:
        flow = log_flow(graph, TIERS[env], ACCOUNT)
        assert not flow.failing(), "\n".join(map(str, flow.failing()))
        assert not flow.pending_links(), flow.pending_links()
        groups = _all_group_names(graph)
        for part in EVERY_REGION:
            assert any(part in g for g in groups), (graph.stack, part)
        primaries += all(any(part in g for g in groups) for part in PRIMARY_ONLY)
        archived = {link.flow for link in flow if link.step == "stream delivers to the log archive"}
        errors = archive_error_groups(graph)
        assert len(errors) == 1, errors  # one stream per region
        assert archived == {f"logs {g}" for g in groups - errors}, archived
        assert {f"logs {g}" for g in agent_log_groups(graph)} <= archived
        kept = {link.flow for link in flow if "kept through the warm tier" in link.step}
        assert kept == {f"logs {g}" for g in errors}
        # every shipped group lands in its own folder: one filter name per group
        names = [s["inputs"]["name"] for s in graph.of_type(FILTER)]
        assert len(names) == len(set(names)) == len(groups) - 1, names
    assert primaries == 1


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


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_platform_group_without_its_filter_fails(preview: bool) -> None:
    graph = _dev(preview)
    broken = graph.without(
        lambda s: s["type"] == FILTER and s["inputs"]["logGroup"].endswith("/msk-connect/cdc")
    )
    fails = failing(broken)
    assert fails and all("/msk-connect/cdc" in f for f in fails), fails
    assert any("subscription filter (every event)" in f for f in fails), fails


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_without_the_stream_every_group_fails(preview: bool) -> None:
    graph = _dev(preview)
    broken = graph.without(lambda s: s["type"] == STREAM and "log-shipping" in s["urn"])
    shipped = _all_group_names(graph) - archive_error_groups(graph)
    lost = {f.split(": ")[0] for f in map(str, failing(broken)) if "Firehose stream" in f}
    assert len(lost) == len(shipped), failing(broken)


def test_without_the_subscription_role_policy_the_flow_fails() -> None:
    graph = _dev()
    broken = graph.without(
        lambda s: s["type"] == ROLE_POLICY and name_of(s) == "log-shipping-subscription-policy"
    )
    assert any("firehose:PutRecord" in f for f in failing(broken)), failing(broken)


def test_without_the_subscription_role_the_flow_fails() -> None:
    graph = _dev()
    broken = graph.without(
        lambda s: s["type"] == ROLE and name_of(s) == "log-shipping-subscription"
    )
    assert any("scoped by source" in f for f in failing(broken)), failing(broken)


def test_the_error_group_subscribed_or_kept_short_fails() -> None:
    graph = _dev()
    (errors,) = archive_error_groups(graph)

    def shorter(state: State) -> None:
        state["inputs"]["retentionInDays"] = 7

    broken = graph.edited(
        lambda s: s["type"] == LOG_GROUP and s["inputs"]["name"] == errors, shorter
    )
    assert any("warm tier" in f for f in failing(broken)), failing(broken)

    def loop(state: State) -> None:
        state["inputs"]["logGroup"] = errors

    looped = graph.edited(
        lambda s: s["type"] == FILTER and s["inputs"]["logGroup"].endswith("/workloads"), loop
    )
    assert any("not subscribed" in f for f in failing(looped)), failing(looped)


def test_a_stream_without_per_source_folders_fails() -> None:
    graph = _dev()

    def flat(state: State) -> None:
        state["inputs"]["extendedS3Configuration"]["prefix"] = "logs/!{timestamp:yyyy-MM-dd}/"

    broken = graph.edited(lambda s: s["type"] == STREAM and "log-shipping" in s["urn"], flat)
    assert any("own folder" in f for f in failing(broken)), failing(broken)


def test_three_filters_on_a_group_fail() -> None:
    graph = _dev()
    plan = copy.deepcopy(graph.plan)
    step = next(
        s
        for s in plan["steps"]
        if (s.get("newState") or {}).get("type") == FILTER
        and s["newState"]["inputs"]["logGroup"].endswith("/workloads")
    )
    for i in (1, 2):
        extra = copy.deepcopy(step)
        extra["newState"]["urn"] += f"-copy{i}"
        plan["steps"].append(extra)
    assert not failing(graph)
    assert any("at most two" in f for f in failing(Graph(graph.stack, plan)))
