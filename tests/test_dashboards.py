"""The Grafana dashboards of the design's four dashboard types (architecture section 09, 'Key
Grafana Dashboard Types'), as planned in the edge stack: one per type, in that type's folder, and
every query (panels and variables) reads only series a regional stack of the same environment
collects (tests/series.py) or records (the SLO recording rules). Dev, staging and prod, up and
preview; removing a collector or a rule from a copy of the plans fails the check, naming it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.plans import editable, planned
from tests.series import RELEASE, RULES, collected, metric_names, rule_groups

ENVS = ("dev", "staging", "prod")
DASHBOARD = "grafana:oss/dashboard:Dashboard"
FOLDER = "grafana:oss/folder:Folder"
DESIGN_TYPES = {
    "system-overview": "System Overview",
    "service-deep-dive": "Service Deep Dive",
    "kubernetes-cluster": "Kubernetes Cluster",
    "business-metrics": "Business Metrics",
}
"""The design's dashboard types, by the folder uid each lives in."""
LABEL_VALUES = re.compile(r"^label_values\((.*),\s*\w+\s*\)$")


def _states(plan: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s["newState"] for s in plan["steps"] if s["newState"]["type"] == kind]


def _edge(plans: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return next(v for k, v in plans.items() if k.endswith("-edge"))


def _regional(plans: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for k, v in plans.items() if not k.endswith(("-global", "-edge"))]


def models(edge: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        (model := json.loads(s["inputs"]["configJson"]))["uid"]: model
        for s in _states(edge, DASHBOARD)
    }


def queries(model: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in model["panels"] for t in p["targets"]]
    for variable in model["templating"]["list"]:
        if variable["type"] == "query":
            match = LABEL_VALUES.match(variable["query"])
            assert match, variable["query"]
            exprs.append(match.group(1))
    return exprs


def unread(plans: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """Dashboard uid -> the metric names its queries read that no regional stack collects or
    records."""
    have: set[str] = set()
    for plan in _regional(plans):
        have |= set(collected(plan))
        have |= {r["record"] for g in rule_groups(plan) for r in g["rules"] if "record" in r}
    out: dict[str, set[str]] = {}
    for uid, model in models(_edge(plans)).items():
        names = {n for q in queries(model) for n in metric_names(q)}
        assert names, uid
        if missing := names - have:
            out[uid] = missing
    return out


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_dashboards_of_the_design_read_collected_series(env: str, preview: bool) -> None:
    plans = planned(env, preview)
    edge = _edge(plans)
    folders = {s["urn"]: s["inputs"]["uid"] for s in _states(edge, FOLDER)}
    boards = _states(edge, DASHBOARD)
    placed = {}
    for board in boards:
        model = json.loads(board["inputs"]["configJson"])
        (folder_urn,) = board["propertyDependencies"]["folder"]
        placed[folders[folder_urn]] = model["title"]
        assert model["panels"] and all(p["targets"] for p in model["panels"]), model["uid"]
        # every panel and target reads the region the reader picks
        assert all(p["datasource"]["uid"] == "${datasource}" for p in model["panels"])
    assert placed == DESIGN_TYPES
    assert unread(plans) == {}


def test_burn_rate_panel_divides_by_each_slos_budget() -> None:
    model = models(_edge(planned("dev", False)))["meridian-system-overview"]
    (panel,) = [p for p in model["panels"] if p["title"].startswith("SLO burn rate")]
    exprs = {t["legendFormat"]: t["expr"] for t in panel["targets"]}
    # stacks/data/slos.json: 99.99 % -> budget 0.0001; 99.5 % -> 0.005; dev has the Cloudflare edge
    assert exprs["api-gateway-availability"] == (
        'max(slo:error_ratio:rate1h{slo="api-gateway-availability"}) / 0.0001'
    )
    assert exprs["api-gateway-latency-p99"].endswith(" / 0.005")
    assert "cdn-cache-hit-rate" in exprs and len(exprs) == 7


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_removing_a_collector_or_a_rule_fails(preview: bool) -> None:
    plans = planned("dev", preview)
    assert unread(plans) == {}

    def without(kind: str, name: str | None) -> dict[str, dict[str, Any]]:
        copied = editable(plans)
        for plan in _regional(copied):
            plan["steps"] = [
                s
                for s in plan["steps"]
                if not (
                    s["newState"]["type"] == kind
                    and (name is None or s["newState"]["inputs"].get("name") == name)
                )
            ]
        return copied

    assert unread(without(RELEASE, "node-exporter")) == {
        "meridian-kubernetes-cluster": {
            "node_cpu_seconds_total",
            "node_memory_MemAvailable_bytes",
            "node_memory_MemTotal_bytes",
            "node_filesystem_avail_bytes",
            "node_filesystem_size_bytes",
        }
    }
    assert unread(without(RULES, None)) == {"meridian-system-overview": {"slo:error_ratio:rate1h"}}

    typo = editable(plans)
    for board in _states(_edge(typo), DASHBOARD):
        model = json.loads(board["inputs"]["configJson"])
        model["panels"][0]["targets"][0]["expr"] = "sum(rate(kube_pod_restarts_total[5m]))"
        board["inputs"]["configJson"] = json.dumps(model)
    assert set(unread(typo)) == set(models(_edge(typo)))
    assert all("kube_pod_restarts_total" in m for m in unread(typo).values())


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_kube_state_metrics_keeps_its_object_labels(preview: bool) -> None:
    """The cluster dashboard groups kube_* series by `pod` and `namespace`: the object's labels,
    which the scrape must keep (Prometheus honor_labels) rather than rename to `exported_pod`
    under the exporter's own pod name."""
    for plan in _regional(planned("dev", preview)):
        (scraper,) = [
            s for s in _states(plan, RELEASE) if s["inputs"].get("name") == "otel-scraper"
        ]
        jobs = scraper["inputs"]["values"]["config"]["receivers"]["prometheus"]["config"]
        honor = {j["job_name"]: j.get("honor_labels", False) for j in jobs["scrape_configs"]}
        assert honor["kube-state-metrics"] is True
        assert honor["kubernetes-pods"] is False and honor["node-exporter"] is False
