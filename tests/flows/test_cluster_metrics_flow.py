"""The cluster-metrics flows in every regional stack of dev, staging and prod (up and preview):
each HPA's (ingress gateway, istiod, GraphQL router) resource metrics have a provider,
kube-state-metrics and node-exporter are scraped into AMP through NetworkPolicies that admit the
scraper, and so are the MSK brokers' JMX and node exporters (open monitoring on, a job reading
every broker's target file, the brokers' security group and a NetworkPolicy on 11001 and 11002).
Removing one link from a copy of the planned graph fails the flow, naming the link."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from meridian_ops.plan.flows.alert import NETWORK_POLICY, RELEASE, name_of
from meridian_ops.plan.flows.cluster_metrics import (
    autoscaled_releases,
    check_brokers,
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


MSK_CLUSTER = "aws:msk/cluster:Cluster"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
JMX, NODE = 11001, 11002
"""Open monitoring's exporters on every broker (MSK developer guide, "Set up a Prometheus host on
an Amazon EC2 instance": port 11001 for the JMX Exporter, 11002 for the Node Exporter)."""


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_every_regions_brokers_are_scraped(env: str, preview: bool) -> None:
    stacks = regional(env, preview)
    failures: list[str] = []
    for stack, plan in stacks.items():
        clusters = [s["newState"] for s in plan["steps"] if s["newState"]["type"] == MSK_CLUSTER]
        assert len(clusters) == 1, stack  # every region runs its MSK cluster
        failures += [f"{stack}: {f}" for f in check_brokers(plan)]
    assert not failures, "\n".join(failures)


def _state(plan: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    (state,) = [
        s["newState"]
        for s in plan["steps"]
        if s["newState"]["type"] == kind and name_of(s["newState"]) == name
    ]
    return state


def _edit(
    plan: dict[str, Any], kind: str, name: str, edit: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    copied = copy.deepcopy(plan)
    edit(_state(copied, kind, name))
    return copied


def test_the_targets_are_every_broker_at_each_exporters_port() -> None:
    plan = regional("dev", False)["dev-us-east-1"]
    cluster = _state(plan, MSK_CLUSTER, "kafka-cluster")
    data = _state(plan, CONFIG_MAP, "kafka-metrics-targets")["inputs"]["data"]
    bootstrap = {
        b.rsplit(":", 1)[0] for b in cluster["outputs"]["bootstrapBrokersSaslIam"].split(",")
    }
    (group,) = json.loads(data["brokers.json"])
    hosts = set(group["targets"])
    assert bootstrap <= hosts and len(hosts) == cluster["inputs"]["numberOfBrokerNodes"]
    assert group["labels"] == {"kafka_cluster": cluster["inputs"]["clusterName"]}
    scraper = _state(plan, RELEASE, "telemetry-otel-scraper")["inputs"]["values"]
    jobs = {
        j["job_name"]: j
        for j in scraper["config"]["receivers"]["prometheus"]["config"]["scrape_configs"]
    }
    mount = {
        "name": "kafka-broker-targets",
        "mountPath": "/etc/meridian/kafka-brokers",
        "readOnly": True,
    }
    assert scraper["extraVolumeMounts"] == [mount]
    assert scraper["extraVolumes"] == [
        {
            "name": "kafka-broker-targets",
            "configMap": {"name": "kafka-broker-targets", "optional": True},
        }
    ]
    for job, port in (("kafka-jmx", JMX), ("kafka-node", NODE)):
        (sd,) = jobs[job]["file_sd_configs"]
        assert sd["files"] == ["/etc/meridian/kafka-brokers/brokers.json"]
        (relabel,) = jobs[job]["relabel_configs"]
        # the collector's `$$` is Prometheus' `$`: every broker name at the exporter's port
        assert relabel["replacement"] == f"$$1:{port}"
        host = next(iter(hosts))
        assert re.fullmatch(relabel["regex"], host) and re.fullmatch(relabel["regex"], f"{host}:1")


def test_the_scraper_reaches_the_brokers_and_nothing_wider() -> None:
    plan = regional("dev", False)["dev-us-east-1"]
    cluster = _state(plan, MSK_CLUSTER, "kafka-cluster")
    broker_subnets = set(cluster["propertyDependencies"]["brokerNodeGroupInfo"])
    subnet_cidrs = {
        s["newState"]["inputs"]["cidrBlock"]
        for s in plan["steps"]
        if s["newState"]["urn"] in broker_subnets
        and s["newState"]["type"] == "aws:ec2/subnet:Subnet"
    }
    assert len(subnet_cidrs) == 3
    egress = _state(plan, NETWORK_POLICY, "kafka-metrics-scraper-egress")["inputs"]["spec"]
    assert egress["podSelector"] == {"matchLabels": {"app.kubernetes.io/instance": "otel-scraper"}}
    (rule,) = egress["egress"]
    assert {p["port"] for p in rule["ports"]} == {JMX, NODE}
    assert {peer["ipBlock"]["cidr"] for peer in rule["to"]} == subnet_cidrs
    # the brokers' group admits the nodes' group (the scraper's pods share it) on each port only
    node_sg = _state(plan, "aws:ec2/securityGroup:SecurityGroup", "eks-node-sg")["urn"]
    scrape_rules = [
        s["newState"]
        for s in plan["steps"]
        if s["newState"]["type"] == INGRESS_RULE
        and s["newState"]["inputs"].get("fromPort") in (JMX, NODE)
    ]
    assert sorted((r["inputs"]["fromPort"], r["inputs"]["toPort"]) for r in scrape_rules) == [
        (JMX, JMX),
        (NODE, NODE),
    ]
    for r in scrape_rules:
        assert r["propertyDependencies"]["referencedSecurityGroupId"] == [node_sg]
        assert "cidrIpv4" not in r["inputs"] and r["inputs"]["description"]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_removing_a_broker_link_fails_the_flow(preview: bool) -> None:
    plan = regional("dev", preview)["dev-us-east-1"]
    assert not check_brokers(plan)
    name = _state(plan, MSK_CLUSTER, "kafka-cluster")["inputs"]["clusterName"]

    def monitoring_off(state: dict[str, Any]) -> None:
        state["inputs"]["openMonitoring"]["prometheus"]["jmxExporter"]["enabledInBroker"] = False

    assert check_brokers(_edit(plan, MSK_CLUSTER, "kafka-cluster", monitoring_off)) == [
        f"{name} jmx: producer: open monitoring's jmxExporter is off"
    ]

    def drop_job(job: str) -> Callable[[dict[str, Any]], None]:
        def edit(values: dict[str, Any]) -> None:
            config = values["config"]["receivers"]["prometheus"]["config"]
            config["scrape_configs"] = [j for j in config["scrape_configs"] if j["job_name"] != job]

        return edit

    assert check_brokers(_edit_scraper(plan, drop_job("kafka-node"))) == [
        f"{name} node: scrape: no job of otel-scraper reads the brokers' targets on {NODE}"
    ]

    def no_mount(values: dict[str, Any]) -> None:
        values["extraVolumeMounts"] = []

    no_targets = [
        f"{name} jmx: scrape: no job of otel-scraper reads the brokers' targets on {JMX}",
        f"{name} node: scrape: no job of otel-scraper reads the brokers' targets on {NODE}",
    ]
    assert check_brokers(_edit_scraper(plan, no_mount)) == no_targets
    no_config_map = _without(
        plan, lambda s: s["type"] == CONFIG_MAP and name_of(s) == "kafka-metrics-targets"
    )
    assert check_brokers(no_config_map) == no_targets

    def through_sidecar(values: dict[str, Any]) -> None:
        annotations = values["podAnnotations"]
        ports = annotations["traffic.sidecar.istio.io/excludeOutboundPorts"].split(",")
        annotations["traffic.sidecar.istio.io/excludeOutboundPorts"] = ",".join(
            p for p in ports if p != str(JMX)
        )

    assert check_brokers(_edit_scraper(plan, through_sidecar)) == [
        f"{name} jmx: scrape: port {JMX} goes through otel-scraper's sidecar"
    ]

    no_sg_rule = _without(
        plan, lambda s: s["type"] == INGRESS_RULE and name_of(s) == "kafka-ingress-scrape-jmx-0"
    )
    assert check_brokers(no_sg_rule) == [
        f"{name} jmx: network: the brokers' security group does not admit the nodes' on {JMX}"
    ]

    def drop_port(state: dict[str, Any]) -> None:
        (rule,) = state["inputs"]["spec"]["egress"]
        rule["ports"] = [p for p in rule["ports"] if p["port"] != NODE]

    no_port = _edit(plan, NETWORK_POLICY, "kafka-metrics-scraper-egress", drop_port)
    assert check_brokers(no_port) == [
        f"{name} node: network: no NetworkPolicy lets otel-scraper out to the brokers' subnets "
        f"on {NODE}"
    ]

    def drop_subnet(state: dict[str, Any]) -> None:
        (rule,) = state["inputs"]["spec"]["egress"]
        rule["to"] = rule["to"][1:]

    one_subnet_short = _edit(plan, NETWORK_POLICY, "kafka-metrics-scraper-egress", drop_subnet)
    assert len(check_brokers(one_subnet_short)) == 2


def test_a_broker_missing_from_the_targets_fails_the_flow() -> None:
    plan = regional("dev", False)["dev-us-east-1"]
    name = _state(plan, MSK_CLUSTER, "kafka-cluster")["inputs"]["clusterName"]

    def drop_broker(state: dict[str, Any]) -> None:
        (group,) = json.loads(state["inputs"]["data"]["brokers.json"])
        group["targets"] = group["targets"][1:]
        state["inputs"]["data"]["brokers.json"] = json.dumps([group])

    assert check_brokers(_edit(plan, CONFIG_MAP, "kafka-metrics-targets", drop_broker)) == [
        f"{name} jmx: scrape: no job of otel-scraper reads the brokers' targets on {JMX}",
        f"{name} node: scrape: no job of otel-scraper reads the brokers' targets on {NODE}",
    ]


def test_preview_targets_must_come_from_the_cluster() -> None:
    plan = regional("dev", True)["dev-us-east-1"]

    def unlinked(state: dict[str, Any]) -> None:
        state["propertyDependencies"]["data"] = []

    assert len(check_brokers(_edit(plan, CONFIG_MAP, "kafka-metrics-targets", unlinked))) == 2
