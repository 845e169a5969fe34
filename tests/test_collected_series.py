"""Every metric a rule or a dashboard reads is a series something in the same plan collects.

The sources and their series are literals copied from their publishers (tests/series.py); a
source counts in a stack only when the stack deploys it and the scraper has its job. The rules
are the planned AMP rule namespaces' (what the workspace would evaluate), checked in dev, staging
and prod, up and preview; the SLO table is checked against the sources too."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.plans import editable, planned
from tests.series import (
    RELEASE,
    RULES,
    SOURCES,
    collected,
    metric_names,
    rule_groups,
    scrape_jobs,
    uncollected,
)

ENVS = ("dev", "staging", "prod")
SLOS = Path(__file__).resolve().parent.parent / "stacks" / "data" / "slos.json"


def regional(env: str, preview: bool) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in planned(env, preview).items() if not k.endswith(("-global", "-edge"))}


def rule_problems(plan: dict[str, Any]) -> tuple[int, set[str]]:
    """(how many rule expressions, the metric names they read that nothing collects)."""
    rules = [r for g in rule_groups(plan) for r in g.get("rules", [])]
    recorded = {r["record"] for r in rules if "record" in r}
    exprs = [str(r["expr"]) for r in rules]
    return len(exprs), uncollected(exprs, plan, recorded)


def test_metric_names_reads_promql() -> None:
    expr = (
        'sum by (le, namespace) (rate(istio_request_duration_milliseconds_bucket{le="200",'
        'source_workload=~"a|b"}[5m])) / clamp_min(sum(rate(istio_requests_total[1h])), 1e-12)'
        ' > bool 0.9 and on (slo) slo:error_ratio:rate5m{slo="x"} offset 5m'
    )
    assert metric_names(expr) == {
        "istio_request_duration_milliseconds_bucket",
        "istio_requests_total",
        "slo:error_ratio:rate5m",
    }
    subquery = "sum_over_time((sum(rate(cloudflare_zone_requests_cached[5m])) < bool 0.9)[1d:1m])"
    assert metric_names(subquery) == {"cloudflare_zone_requests_cached"}


def test_slo_table_reads_only_published_series() -> None:
    rows = json.loads(SLOS.read_text())["slos"]
    published = {s for source in SOURCES for s in source.series}
    for row in rows:
        names = metric_names(row["bad"]) | metric_names(row["total"])
        assert names, row["name"]
        assert names <= published, (row["name"], sorted(names - published))


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_rules_read_only_collected_series(env: str, preview: bool) -> None:
    stacks = regional(env, preview)
    assert stacks
    checked = 0
    failures: list[str] = []
    for stack, plan in stacks.items():
        count, missing = rule_problems(plan)
        checked += count
        failures += [f"{stack}: rule reads uncollected {m}" for m in sorted(missing)]
    assert checked > 0, "no rule expressions in the plan"
    assert not failures, "\n".join(failures)


def _edited(plan: dict[str, Any], pick: Callable[[dict[str, Any]], bool], edit: Any) -> Any:
    copied = editable(plan)
    for step in copied["steps"]:
        if pick(step["newState"]):
            edit(step["newState"])
    return copied


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_an_uncollected_metric_fails(preview: bool) -> None:
    plan = regional("dev", preview)["dev-us-east-1"]
    assert rule_problems(plan)[1] == set()

    def add_rule(state: dict[str, Any]) -> None:
        data = yaml.safe_load(state["inputs"]["data"])
        data["groups"][0]["rules"].append(
            {"alert": "Typo", "expr": "sum(rate(istio_request_totl[5m])) > 0"}
        )
        state["inputs"]["data"] = yaml.safe_dump(data)

    typo = _edited(plan, lambda s: s["type"] == RULES, add_rule)
    assert rule_problems(typo)[1] == {"istio_request_totl"}

    # the CDN SLO reads the Cloudflare exporter's series: without its release, nothing collects them
    no_exporter = editable(plan)
    no_exporter["steps"] = [
        s
        for s in no_exporter["steps"]
        if not (
            s["newState"]["type"] == RELEASE
            and s["newState"]["inputs"].get("name") == "cloudflare-exporter"
        )
    ]
    assert rule_problems(no_exporter)[1] == {
        "cloudflare_zone_requests_cached",
        "cloudflare_zone_requests_content_type",
        "cloudflare_zone_requests_total",
    }

    # without the scraper's pod job, no Envoy series reach the workspace
    def drop_pod_job(state: dict[str, Any]) -> None:
        config = state["inputs"]["values"]["config"]["receivers"]["prometheus"]["config"]
        config["scrape_configs"] = [
            j for j in config["scrape_configs"] if j["job_name"] != "kubernetes-pods"
        ]

    no_pods = _edited(
        plan,
        lambda s: s["type"] == RELEASE and s["inputs"].get("name") == "otel-scraper",
        drop_pod_job,
    )
    assert "kubernetes-pods" not in scrape_jobs(no_pods)
    missing = rule_problems(no_pods)[1]
    assert {"istio_requests_total", "meridian_message_delivery_seconds_count"} <= missing


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_every_region_collects_its_brokers_jmx_series(env: str, preview: bool) -> None:
    """The MSK brokers' JMX exporter is a source in every regional stack: a rule or panel may read
    its series (under-replicated partitions, throughput) wherever Kafka runs."""
    for stack, plan in regional(env, preview).items():
        have = collected(plan)
        assert have.get("kafka_cluster_Partition_Value") == "msk-jmx-exporter", stack
        assert have.get("kafka_server_BrokerTopicMetrics_OneMinuteRate") == "msk-jmx-exporter"


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_without_the_broker_job_or_open_monitoring_nothing_collects_them(preview: bool) -> None:
    plan = regional("dev", preview)["dev-us-east-1"]
    assert "kafka_cluster_Partition_Value" in collected(plan)

    def drop_job(state: dict[str, Any]) -> None:
        config = state["inputs"]["values"]["config"]["receivers"]["prometheus"]["config"]
        config["scrape_configs"] = [
            j for j in config["scrape_configs"] if j["job_name"] != "kafka-jmx"
        ]

    no_job = _edited(
        plan,
        lambda s: s["type"] == RELEASE and s["inputs"].get("name") == "otel-scraper",
        drop_job,
    )
    assert "kafka_cluster_Partition_Value" not in collected(no_job)

    def monitoring_off(state: dict[str, Any]) -> None:
        state["inputs"]["openMonitoring"]["prometheus"]["jmxExporter"]["enabledInBroker"] = False

    off = _edited(plan, lambda s: s["type"] == "aws:msk/cluster:Cluster", monitoring_off)
    assert "kafka_cluster_Partition_Value" not in collected(off)
