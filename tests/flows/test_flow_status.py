"""The flow status line (meridian_ops/plan/flows/status.py), shown by the plan report and the
architecture page: counts per registered flow, pending apart; a removed link turns its flow and
its layer failing; docs/architecture.md marks a layer "built" only where its flows pass."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from meridian_ops.plan.flows.logs import FILTER, LOG_GROUP
from meridian_ops.plan.flows.partner import NLB_TLS_CERT as TLS_CERT
from meridian_ops.plan.flows.status import (
    FLOWS,
    flow_status,
    layers_passing,
    layers_pending,
    status_line,
)
from meridian_ops.plan.report import Report, flow_line
from stacks.ingress_routes import routes_document
from tests.plans import editable, planned

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
SLO_ROWS = json.loads((ROOT / "stacks/data/slos.json").read_text())["slos"]
RATE_LIMITS = json.loads((ROOT / "stacks/data/rate_limits.json").read_text())
TOPICS = json.loads((ROOT / "stacks/data/kafka_topics.json").read_text())["topics"]
DEPENDENCIES = json.loads((ROOT / "stacks/data/service_dependencies.json").read_text())


def _topics(bronze_only: bool = False) -> list[str]:
    """The topics of kafka_topics.json (patterns expanded), or only the lake's bronze feed."""
    names: list[str] = []
    for entry in TOPICS:
        if bronze_only and not entry["bronze"]:
            continue
        if "{}" in entry["name"]:
            names += [entry["name"].format(i) for i in entry["instances"]]
        else:
            names.append(entry["name"])
    return names


def _regions(plans: dict[str, Any]) -> int:
    return sum(1 for s in plans if not s.endswith(("-global", "-edge")))


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_the_dev_status_line_counts_every_flow(preview: bool) -> None:
    plans = planned("dev", preview)
    regions = _regions(plans)
    counts = {c.flow: c for c in flow_status("dev", plans)}
    assert set(counts) == {f.name for f in FLOWS}
    assert {f.name for f in FLOWS} >= {"identity", "rate limit", "partner"}
    assert all(c.passes for c in counts.values()), [c.failures for c in counts.values()]
    routes = routes_document()["routes"]
    public = [r for r in routes if not r.get("internal")]
    request = counts["request"]
    # every public route has its backend (/graphql: the Apollo Router): one unit per route,
    # its subgraph links included, none pending
    served = len(public) * regions
    assert (request.ok, request.total, request.pending) == (served, served, 0)
    # the search service's OpenSearch domain and the file service's scan queue are pending rows
    assert counts["dependency"].pending == 2 * regions
    # dev's only region is the primary and its edge is Cloudflare: every SLO row is judged there,
    # the CDN row's series collected by the Cloudflare exporter
    alert = counts["alert"]
    judged = len(SLO_ROWS) * regions
    assert (alert.ok, alert.total, alert.pending) == (judged, judged, 0)
    # logs: every log group of every region, not only the agents' ones
    groups = sum(
        1
        for stack, plan in plans.items()
        if not stack.endswith(("-global", "-edge"))
        for step in plan["steps"]
        if step["newState"]["type"] == LOG_GROUP
    )
    assert groups > 3 * regions
    # one archive stream a region, whose own error group stays in CloudWatch (not archived)
    archived = groups - regions
    assert (counts["logs"].ok, counts["logs"].total) == (archived, archived)
    plural = "s" if regions != 1 else ""
    assert counts["logs"].note == f"{regions} archive-stream error group{plural} kept in CloudWatch"
    # identity: every route of the table, each protected one with its scope, the public ones
    # listed; the issuer is known only once the pool exists, so preview leaves them pending
    identity = counts["identity"]
    guarded = len(routes) * regions
    assert (identity.total, identity.pending) == (guarded, guarded if preview else 0)
    # rate limits: each rate-limited public route, each extra row of the rate-limit table, each
    # partner tier
    limited = {r["id"] for r in public if r.get("rateLimitPerMinute") is not None}
    limited |= {r["route"] for r in RATE_LIMITS["routes"]}
    rate = counts["rate limit"]
    units = (len(limited) + len(RATE_LIMITS["tiers"])) * regions
    assert (rate.ok, rate.total) == (units, units)
    # the partner path is built in every region and admits no partner network as shipped
    # (closed by setting): built, and the note says so
    partner = counts["partner"]
    assert (partner.ok, partner.total, partner.pending) == (regions, regions, 0)
    assert partner.note == "0 partner networks admitted"
    line = status_line(list(counts.values()))
    assert line.startswith(f"{request.ok}/{request.total} routes served, ")
    assert "dependencies reachable" in line and "SLOs collected and routed" in line
    assert f"{regions}/{regions} partner paths built (0 partner networks admitted)" in line
    # every region's /health probed by the edge, a failing probe paging the P2 receiver
    health = counts["health"]
    assert (health.ok, health.total, health.pending) == (regions, regions, 0)
    assert line.endswith(f"{regions}/{regions} regions' health checked and paged")
    # events: each topic and each fan-out queue; the lake: each bronze topic's Firehose feed
    events = (len(_topics()) + len(DEPENDENCIES["fanout"]["queues"])) * regions
    assert (counts["event"].ok, counts["event"].total) == (events, events)
    assert f"{events}/{events} topics and queues produced and consumed" in line
    fed = len(_topics(bronze_only=True)) * regions
    assert (counts["lake feed"].ok, counts["lake feed"].total) == (fed, fed) != (0, 0)
    # DR: backups, Kafka topics, cache and log archive per region (dev: one region, each store
    # saying why it has no copy); the lake's replication per region
    assert (counts["dr"].ok, counts["dr"].total) == (4 * regions, 4 * regions)
    assert f"{4 * regions}/{4 * regions} stores copied within their jurisdiction" in line
    assert (counts["lake dr"].ok, counts["lake dr"].total) == (regions, regions)
    # store rows of the dependency table; the search service's OpenSearch domain is pending
    stores = counts["store dependency"]
    assert stores.pending == regions and stores.passes and stores.ok > 0


def _cut(plans: dict[str, Any], resource_type: str, input_key: str = "") -> dict[str, Any]:
    """A copy of `plans` without any resource of `resource_type` (having `input_key`, if given)
    in its regional stacks."""
    plans = editable(plans)
    for stack, plan in plans.items():
        if not stack.endswith(("-global", "-edge")):
            plan["steps"] = [
                s
                for s in plan["steps"]
                if s["newState"]["type"] != resource_type
                or (input_key and input_key not in s["newState"]["inputs"])
            ]
    return plans


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_removing_the_lake_feed_or_a_replication_fails_its_flow_and_layer(preview: bool) -> None:
    """staging (two regions, each with a DR peer): without the Firehose streams the lake feed and
    layer 08 fail; without the buckets' replication the lake's and the log archive's DR fail, and
    layers 07 and 08; without the fan-out subscriptions the event flow and layer 06 fail."""
    plans = planned("staging", preview)
    passing = layers_passing(flow_status("staging", plans))
    assert passing["06"] and passing["07"] and passing["08"]

    # the streams reading Kafka (the log archive's own streams stay)
    firehose = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
    counts = flow_status("staging", _cut(plans, firehose, "mskSourceConfiguration"))
    feed = next(c for c in counts if c.flow == "lake feed")
    assert not feed.passes and feed.ok == 0
    assert any("-> lake: no Firehose stream reads it" in f for f in feed.failures)
    assert not layers_passing(counts)["08"]
    report = Report("staging", preview, [], [], [], {}, None, flows=counts)
    assert flow_line(report).endswith("; FAILING: lake feed")

    counts = flow_status(
        "staging", _cut(plans, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    )
    by_flow = {c.flow: c for c in counts}
    assert by_flow["lake dr"].ok == 0 and not by_flow["lake dr"].passes
    assert any("logs -> " in f and "no S3 replication" in f for f in by_flow["dr"].failures)
    failing = layers_passing(counts)
    assert not failing["07"] and not failing["08"]
    assert "FAILING: dr, lake dr" in flow_line(
        Report("staging", preview, [], [], [], {}, None, flows=counts)
    )

    counts = flow_status("staging", _cut(plans, "aws:sns/topicSubscription:TopicSubscription"))
    event = next(c for c in counts if c.flow == "event")
    assert not event.passes
    assert any("notification-fanout -> push: no SNS subscription" in f for f in event.failures)
    assert not layers_passing(counts)["06"]


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_a_partner_path_missing_a_link_is_not_built(env: str) -> None:
    """With either edge: the partner listener removed from the gateway's Service (staging: the
    8443 TCP listener; dev: 443 made a TLS listener too) fails the path in every region."""
    plans = editable(planned(env, False))
    regions = _regions(plans)
    for stack, plan in plans.items():
        if stack.endswith(("-global", "-edge")):
            continue
        for step in plan["steps"]:
            state = step["newState"]
            if state["type"] != "kubernetes:helm.sh/v3:Release":
                continue
            service = (state["inputs"].get("values") or {}).get("service") or {}
            if service.get("ports"):
                service["ports"] = [p for p in service["ports"] if p["port"] == 443]
                service.setdefault("annotations", {})[TLS_CERT] = "arn:aws:acm:x"
    partner = next(c for c in flow_status(env, plans) if c.flow == "partner")
    assert (partner.ok, partner.total) == (0, regions) and not partner.passes
    assert partner.text().startswith(f"0/{regions} partner paths built")


def test_partner_networks_in_the_graph_are_counted() -> None:
    plans = editable(planned("dev", False))
    for stack, plan in plans.items():
        if stack.endswith(("-global", "-edge")):
            continue
        for step in plan["steps"]:
            state = step["newState"]
            if state["urn"].endswith("-ingress-nlb"):
                state["inputs"]["ingress"].append(
                    {
                        "description": "HTTPS from partner network 203.0.113.0/24 (mutual TLS)",
                        "protocol": "tcp",
                        "fromPort": 443,
                        "toPort": 443,
                        "cidrBlocks": ["203.0.113.0/24"],
                    }
                )
    partner = next(c for c in flow_status("dev", plans) if c.flow == "partner")
    assert partner.note == "1 partner network admitted"


def test_removing_the_subscription_filter_fails_the_logs_flow_and_its_layer() -> None:
    plans = editable(planned("dev", False))
    assert layers_passing(flow_status("dev", plans))["09"]
    for stack, plan in plans.items():
        if not stack.endswith(("-global", "-edge")):
            plan["steps"] = [s for s in plan["steps"] if s["newState"]["type"] != FILTER]
    counts = flow_status("dev", plans)
    logs = next(c for c in counts if c.flow == "logs")
    assert not logs.passes and any("subscription filter" in f for f in logs.failures)
    assert not layers_passing(counts)["09"]
    report = Report("dev", False, [], [], [], {}, None, flows=counts)
    assert "FAILING: logs" in flow_line(report)


def test_removing_the_gateway_token_check_fails_the_identity_flow_and_its_layer() -> None:
    plans = editable(planned("dev", False))
    assert layers_passing(flow_status("dev", plans))["04"]
    for stack, plan in plans.items():
        if not stack.endswith(("-global", "-edge")):
            plan["steps"] = [
                s
                for s in plan["steps"]
                if (s["newState"].get("inputs") or {}).get("kind") != "RequestAuthentication"
            ]
    counts = flow_status("dev", plans)
    identity = next(c for c in counts if c.flow == "identity")
    assert not identity.passes and identity.ok == 0
    assert any("RequestAuthentication on the gateway pods: fail" in f for f in identity.failures)
    assert not layers_passing(counts)["04"]


def _rate_limit_count(plans: dict[str, Any]) -> Any:
    flow = next(f for f in FLOWS if f.name == "rate limit")
    return flow.evaluate("dev", plans)


def _rate_limit_units() -> int:
    """Each rate-limited public route, each extra row of the rate-limit table, each partner tier
    (read from the tables)."""
    public = [r for r in routes_document()["routes"] if not r.get("internal")]
    limited = {r["id"] for r in public if r.get("rateLimitPerMinute") is not None}
    limited |= {r["route"] for r in RATE_LIMITS["routes"]}
    return len(limited) + len(RATE_LIMITS["tiers"])


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_broken_rate_limit_link_fails_its_units(preview: bool) -> None:
    """A renamed VirtualService route fails its route's unit only; the gateway's global filter
    gone fails every unit of the region (every route and tier needs it), the counts unchanged."""
    plans = editable(planned("dev", preview))
    regions = _regions(plans)
    units = _rate_limit_units() * regions
    count = _rate_limit_count(plans)
    assert (count.ok, count.total) == (units, units) and count.passes
    regional = [p for s, p in plans.items() if not s.endswith(("-global", "-edge"))]
    for plan in regional:
        for step in plan["steps"]:
            inputs = step["newState"].get("inputs") or {}
            if (
                inputs.get("kind") == "VirtualService"
                and inputs["metadata"]["name"] == "edge-search"
            ):
                inputs["spec"]["http"][0]["name"] = "search-v3"
    count = _rate_limit_count(plans)
    assert (count.ok, count.total) == (units - regions, units) and not count.passes
    assert all(": search: " in f for f in count.failures), count.failures
    for plan in regional:
        for step in plan["steps"]:
            inputs = step["newState"].get("inputs") or {}
            if inputs.get("kind") == "EnvoyFilter" and inputs["metadata"]["name"] == (
                "rate-limit-filters"
            ):
                inputs["spec"]["configPatches"] = [
                    p
                    for p in inputs["spec"]["configPatches"]
                    if p["patch"]["value"]["name"] != "envoy.filters.http.ratelimit"
                ]
    count = _rate_limit_count(plans)
    assert (count.ok, count.total) == (0, units)
    assert any("no global rate-limit filter" in f for f in count.failures)


def test_the_brokers_unscraped_fail_the_cluster_metrics_flow_and_its_layer() -> None:
    """The brokers' security group no longer admitting the scraper on 11001 (open monitoring's
    JMX exporter) fails the region's cluster metrics and the observability layer."""
    plans = editable(planned("dev", False))
    counts = {c.flow: c for c in flow_status("dev", plans)}
    regions = _regions(plans)
    metrics = counts["cluster metrics"]
    assert (metrics.ok, metrics.total) == (regions, regions)
    for stack, plan in plans.items():
        if not stack.endswith(("-global", "-edge")):
            plan["steps"] = [
                s
                for s in plan["steps"]
                if not (
                    s["newState"]["type"]
                    == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
                    and s["newState"]["inputs"].get("fromPort") == 11001
                )
            ]
    failed = flow_status("dev", plans)
    metrics = next(c for c in failed if c.flow == "cluster metrics")
    assert not metrics.passes and metrics.ok == 0
    assert any("does not admit the nodes' on 11001" in f for f in metrics.failures)
    assert not layers_passing(failed)["09"]


def built_problems(
    document: str, passing: dict[str, bool], pending: dict[str, int] | None = None
) -> list[str]:
    """Rows of the layer table marked built whose layer has a flow that does not pass, or whose
    flows have pending units while the row does not say so."""
    problems: list[str] = []
    for line in document.splitlines():
        match = re.match(r"\| (\d\d) [^|]*\|(?:[^|]*\|){3} ([^|]*)\|$", line)
        if match is None:
            continue
        layer, status = match.group(1), match.group(2).strip()
        if status.startswith("built") and not passing.get(layer, True):
            problems.append(f"layer {layer} is marked built but its flows do not pass")
        elif status.startswith("built") and (pending or {}).get(layer) and "pending" not in status:
            problems.append(f"layer {layer} is marked built but does not say what is pending")
    return problems


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_design_page_marks_built_only_where_flows_pass(env: str) -> None:
    document = ARCHITECTURE.read_text()
    counts = flow_status(env, planned(env, False))
    passing, pending = layers_passing(counts), layers_pending(counts)
    assert set(passing) == {f.layer for f in FLOWS} >= {"04", "05", "06", "07", "08", "09"}
    assert not built_problems(document, passing, pending)
    # a layer with pending units must say so: the dependency table's OpenSearch row
    assert pending["07"] > 0
    unmarked = document.replace("built (pending:", "built (")
    assert "layer 07 is marked built but does not say what is pending" in built_problems(
        unmarked, passing, pending
    )
    # the check reads the table: a failing layer marked built is reported
    assert built_problems(document, {**passing, "09": False}) == [
        "layer 09 is marked built but its flows do not pass"
    ]
