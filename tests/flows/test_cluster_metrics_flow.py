"""The cluster-metrics flows in every regional stack of dev, staging and prod (up and preview):
each HPA's (ingress gateway, istiod, GraphQL router) resource metrics have a provider, and
kube-state-metrics and node-exporter are scraped into AMP through NetworkPolicies that admit the
scraper. Removing one link from a copy of the planned graph fails the flow, naming the link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from meridian_ops.plan.flows.alert import NETWORK_POLICY, RELEASE, name_of
from meridian_ops.plan.flows.cluster_metrics import (
    autoscaled_releases,
    check_exporters,
    check_resource_metrics,
)
from tests.plans import editable, planned

ENVS = ("dev", "staging", "prod")


def regional(env: str, preview: bool) -> dict[str, Any]:
    plans = planned(env, preview)
    return {k: v for k, v in plans.items() if not k.endswith(("-global", "-edge"))}


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_cluster_metrics_flow(env: str, preview: bool) -> None:
    stacks = regional(env, preview)
    assert stacks
    failures: list[str] = []
    for stack, plan in stacks.items():
        # the ingress gateway's, istiod's and the GraphQL router's charts each create an HPA
        assert set(autoscaled_releases(plan)) == {
            "istio-ingressgateway",
            "istiod",
            "graphql-router",
        }, stack
        failures += [f"{stack}: {f}" for f in check_resource_metrics(plan) + check_exporters(plan)]
    assert not failures, "\n".join(failures)


def _without(plan: dict[str, Any], drop: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    copied = editable(plan)
    copied["steps"] = [s for s in copied["steps"] if not drop(s["newState"])]
    return copied


def _edit_scraper(plan: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    copied = editable(plan)
    for step in copied["steps"]:
        state = step["newState"]
        if state["type"] == RELEASE and state["inputs"].get("name") == "otel-scraper":
            edit(state["inputs"]["values"])
    return copied


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_removing_a_link_fails_the_flow(preview: bool) -> None:
    plan = regional("dev", preview)["dev-us-east-1"]
    assert not check_resource_metrics(plan) and not check_exporters(plan)

    no_server = _without(plan, lambda s: name_of(s).endswith("-metrics-server"))
    assert sorted(check_resource_metrics(no_server)) == [
        "graphql-router: HPA: no metrics-server release serves metrics.k8s.io",
        "istio-ingressgateway: HPA: no metrics-server release serves metrics.k8s.io",
        "istiod: HPA: no metrics-server release serves metrics.k8s.io",
    ]

    no_ksm = _without(plan, lambda s: name_of(s).endswith("-kube-state-metrics"))
    assert "kube-state-metrics: producer: no kube-state-metrics release in kube-system" in (
        check_exporters(no_ksm)
    )

    def drop_job(job: str) -> Callable[[dict[str, Any]], None]:
        def edit(values: dict[str, Any]) -> None:
            config = values["config"]["receivers"]["prometheus"]["config"]
            config["scrape_configs"] = [j for j in config["scrape_configs"] if j["job_name"] != job]

        return edit

    assert check_exporters(_edit_scraper(plan, drop_job("node-exporter"))) == [
        "node-exporter: scrape: no job of otel-scraper keeps the prometheus-node-exporter Service"
    ]

    def through_sidecar(values: dict[str, Any]) -> None:
        values["podAnnotations"]["traffic.sidecar.istio.io/excludeOutboundPorts"] = "15020"

    assert check_exporters(_edit_scraper(plan, through_sidecar)) == [
        "kube-state-metrics: scrape: port 8080 goes through otel-scraper's sidecar",
        "node-exporter: scrape: port 9100 goes through otel-scraper's sidecar",
    ]

    def no_rbac(values: dict[str, Any]) -> None:
        rules = values["clusterRole"]["rules"]
        values["clusterRole"]["rules"] = [
            r for r in rules if "endpointslices" not in r.get("resources", [])
        ]

    assert "node-exporter: scrape: otel-scraper may not list EndpointSlices" in check_exporters(
        _edit_scraper(plan, no_rbac)
    )

    no_ingress = _without(
        plan,
        lambda s: (
            s["type"] == NETWORK_POLICY
            and name_of(s) == "cluster-metrics-kube-state-metrics-ingress"
        ),
    )
    assert check_exporters(no_ingress) == [
        "kube-state-metrics: scrape: no NetworkPolicy admits otel-scraper on 8080"
    ]

    no_egress = _without(
        plan,
        lambda s: s["type"] == NETWORK_POLICY and name_of(s) == "cluster-metrics-scraper-egress",
    )
    assert check_exporters(no_egress) == [
        "kube-state-metrics: scrape: no NetworkPolicy lets otel-scraper out to 8080",
        "node-exporter: scrape: no NetworkPolicy lets otel-scraper out to 9100",
    ]
