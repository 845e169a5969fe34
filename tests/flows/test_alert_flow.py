"""The telemetry and alert flow of every SLO, in every regional stack of dev, staging and prod
(up and preview): producer -> scrape -> rule -> Alertmanager -> topic -> subscription. Removing a
link from a copy of the planned graph fails the flow, naming the link."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from meridian_ops.plan.flows.alert import (
    ALARM,
    MONITORING_SUBSCRIPTION,
    NETWORK_POLICY,
    RELEASE,
    SUBSCRIPTION,
    TOPIC,
    check_cloudfront_slo,
    check_slo,
    name_of,
    of_type,
    parsed_yaml,
)
from meridian_ops.plan.flows.status import flow_status
from meridian_ops.plan.plan_diff import SECRET_SIG
from stacks.alerting_settings import AlertingSettings, validate_alerting
from stacks.component_data import load_slos
from tests.plans import editable, planned

SLOS = load_slos()
ENVS = ("dev", "staging", "prod")
PRIMARY = {"dev": "dev-us-east-1", "staging": "staging-us-east-1", "prod": "prod-us-east-1"}
"""The primary region's stack of each environment (the first region of Pulumi.<env>-*.yaml)."""
EDGE = {"dev": "cloudflare", "staging": "aws", "prod": "cloudflare"}
"""Each environment's edge provider (Pulumi.<env>-edge.yaml)."""
CDN_SLO = "cdn-cache-hit-rate"


def regional(env: str, preview: bool) -> dict[str, Any]:
    plans = planned(env, preview)
    return {k: v for k, v in plans.items() if not k.endswith(("-global", "-edge"))}


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_every_slo_is_collected_and_routed(env: str, preview: bool) -> None:
    stacks = regional(env, preview)
    assert stacks
    failures: list[str] = []
    for stack, plan in stacks.items():
        for slo in SLOS:
            if not slo.applies(stack == PRIMARY[env], EDGE[env]):
                continue
            # every shipped environment names its receivers (Secrets Manager secrets)
            result = check_slo(plan, slo, receivers=True)
            failures += [f"{stack}: {f}" for f in result.failures]
            assert not result.pending, (stack, result.pending)
    assert not failures, "\n".join(failures)


def _rule_groups(plan: dict[str, Any]) -> set[str]:
    groups: set[str] = set()
    for rules in of_type(plan, "aws:amp/ruleGroupNamespace:RuleGroupNamespace"):
        data = rules["inputs"].get("data")
        if isinstance(data, str):
            groups |= {g["name"] for g in parsed_yaml(data).get("groups", [])}
    return groups


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_the_cdn_slo_is_collected_and_judged_once(env: str, preview: bool) -> None:
    """Cloudflare's analytics are the zone's: one exporter, in the primary region, and the CDN
    rule only in that region's workspace (N exporters would page N times)."""
    stacks = regional(env, preview)
    exporters = [
        stack
        for stack, plan in stacks.items()
        for r in of_type(plan, RELEASE)
        if r["inputs"].get("chart") == "cloudflare-exporter"
    ]
    judged = [stack for stack, plan in stacks.items() if f"slo-{CDN_SLO}" in _rule_groups(plan)]
    expected = [PRIMARY[env]] if EDGE[env] == "cloudflare" else []
    assert exporters == expected
    assert judged == expected


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_every_severity_topic_has_its_receiver(env: str, preview: bool) -> None:
    """P1/P2 page over HTTPS, P3 opens a ticket over HTTPS, P4 is an email (the design's P1..P4
    table); every endpoint is a secret, read from Secrets Manager through the region's provider."""
    expected = {"P1": "https", "P2": "https", "P3": "https", "P4": "email"}
    for stack, plan in regional(env, preview).items():
        topics = {
            t["urn"]: t["inputs"]["tags"]["meridian:severity"]
            for t in of_type(plan, TOPIC)
            if name_of(t).startswith("alerts-p")
        }
        got: dict[str, set[str]] = {}
        for sub in of_type(plan, SUBSCRIPTION):
            for urn in sub.get("propertyDependencies", {}).get("topic", []):
                if urn in topics:
                    got.setdefault(topics[urn], set()).add(sub["inputs"]["protocol"])
                    endpoint = sub["inputs"]["endpoint"]
                    assert isinstance(endpoint, dict) and SECRET_SIG in endpoint, (stack, endpoint)
        assert got == {s: {p} for s, p in expected.items()}, stack


def _without(plan: dict[str, Any], keep: Any) -> dict[str, Any]:
    """The plan without the steps `keep` rejects (a new steps list; the steps are shared)."""
    return {**plan, "steps": [s for s in plan["steps"] if keep(s["newState"])]}


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_removing_a_link_fails_the_flow(preview: bool) -> None:
    plan = regional("dev", preview)["dev-us-east-1"]
    by_name = {s.name: s for s in SLOS}
    assert not check_slo(plan, by_name["payment-success"]).failures

    no_scraper = _without(plan, lambda s: not name_of(s).endswith("otel-scraper"))
    assert any(
        "scrape: no collector" in f
        for f in check_slo(no_scraper, by_name["payment-success"]).failures
    )

    # the scraper keeps its other jobs but loses the one that discovers the meshed pods
    no_pod_job = editable(plan)
    for step in no_pod_job["steps"]:
        state = step["newState"]
        if state["type"] == RELEASE and state["inputs"].get("name") == "otel-scraper":
            config = state["inputs"]["values"]["config"]["receivers"]["prometheus"]["config"]
            config["scrape_configs"] = [
                j for j in config["scrape_configs"] if j["job_name"] != "kubernetes-pods"
            ]
    assert any(
        "scrape: no collector" in f
        for f in check_slo(no_pod_job, by_name["payment-success"]).failures
    )

    no_payment_policy = _without(
        plan,
        lambda s: not (s["type"] == NETWORK_POLICY and name_of(s) == "tenants-payment-allow-mesh"),
    )
    assert any(
        "scrape: no NetworkPolicy in payment" in f
        for f in check_slo(no_payment_policy, by_name["payment-success"]).failures
    )

    # the gateway without its 200 ms bucket: the p99 SLO's le="200" counts nothing
    default_buckets = editable(plan)
    for step in default_buckets["steps"]:
        state = step["newState"]
        if state["type"] == RELEASE and state["inputs"].get("values", {}).get("podAnnotations"):
            state["inputs"]["values"]["podAnnotations"].pop(
                "sidecar.istio.io/statsHistogramBuckets", None
            )
    assert any(
        "le bounds [200.0]" in f
        for f in check_slo(default_buckets, by_name["api-gateway-latency-p99"]).failures
    )

    unrouted = editable(plan)
    for step in unrouted["steps"]:
        state = step["newState"]
        if state["type"] == "aws:amp/alertManagerDefinition:AlertManagerDefinition":
            deps = state["propertyDependencies"]["definition"]
            state["propertyDependencies"]["definition"] = [u for u in deps if "alerts-p1" not in u]
    assert any(
        "Alertmanager: P1 not routed" in f
        for f in check_slo(unrouted, by_name["user-availability"]).failures
    )

    # a stack that configures receivers but plans no P1 subscription fails on that link
    assert not check_slo(plan, by_name["user-availability"], receivers=True).failures
    no_pager = _without(
        plan, lambda s: not (s["type"] == SUBSCRIPTION and name_of(s).startswith("alerts-p1-"))
    )
    failures = check_slo(no_pager, by_name["user-availability"], receivers=True).failures
    assert failures == [
        "user-availability: subscription: no receiver of P1 (meridian:alerting unset)"
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_removing_an_edge_metrics_link_fails_the_cdn_flow(preview: bool) -> None:
    plan = regional("dev", preview)[PRIMARY["dev"]]
    cdn = {s.name: s for s in SLOS}[CDN_SLO]
    assert not check_slo(plan, cdn).failures

    no_exporter = _without(plan, lambda s: s["inputs"].get("chart") != "cloudflare-exporter")
    assert any(
        "0 Cloudflare analytics exporters" in f for f in check_slo(no_exporter, cdn).failures
    )

    # the exporter's scrape job: its pod annotations (the sidecar merges them into 15020)
    unscraped = editable(plan)
    for step in unscraped["steps"]:
        state = step["newState"]
        if state["type"] == RELEASE and state["inputs"].get("chart") == "cloudflare-exporter":
            state["inputs"]["values"]["podAnnotations"].pop("prometheus.io/scrape")
    assert any("not annotated for scraping" in f for f in check_slo(unscraped, cdn).failures)

    no_token = _without(plan, lambda s: s["type"] != "cloudflare:index/apiToken:ApiToken")
    assert any("holds no API token" in f for f in check_slo(no_token, cdn).failures)

    no_rule = editable(plan)
    for step in no_rule["steps"]:
        state = step["newState"]
        if state["type"] == "aws:amp/ruleGroupNamespace:RuleGroupNamespace":
            data = yaml.safe_load(state["inputs"]["data"])
            data["groups"] = [g for g in data["groups"] if g["name"] != f"slo-{CDN_SLO}"]
            state["inputs"]["data"] = yaml.safe_dump(data)
    assert any(f"no group slo-{CDN_SLO}" in f for f in check_slo(no_rule, cdn).failures)


def _cdn_flow(env: str, preview: bool) -> tuple[list[str], list[str]]:
    """The CDN SLO's flow in `env` with its edge: the primary's Prometheus rule with Cloudflare,
    the edge stack's CloudWatch alarms with AWS (failures, pending)."""
    plans = planned(env, preview)
    cdn = {s.name: s for s in SLOS}[CDN_SLO]
    if EDGE[env] == "cloudflare":
        result = check_slo(plans[PRIMARY[env]], cdn, receivers=True)
    else:
        result = check_cloudfront_slo(
            plans[f"{env}-edge"], plans[f"{env}-us-east-1"], cdn, receivers=True
        )
    return result.failures, result.pending


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVS)
def test_the_cdn_slo_is_judged_with_either_edge(env: str, preview: bool) -> None:
    """Every environment judges the CDN hit ratio, whichever edge it runs."""
    assert _cdn_flow(env, preview) == ([], [])


def _aws_cdn(preview: bool, edit: Any = None, keep: Any = None) -> list[str]:
    plans = planned("staging", preview)
    edge = editable(plans["staging-edge"])
    if keep is not None:
        edge["steps"] = [s for s in edge["steps"] if keep(s["newState"])]
    for step in edge["steps"]:
        state = step["newState"]
        if edit is not None and state["type"] == ALARM and "cdn-cache-hit-rate" in name_of(state):
            edit(state)
    cdn = {s.name: s for s in SLOS}[CDN_SLO]
    return check_cloudfront_slo(edge, plans["staging-us-east-1"], cdn, receivers=True).failures


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_cdn_without_the_monitoring_subscription_fails(preview: bool) -> None:
    """Without the distribution's additional metrics CloudFront publishes no CacheHitRate: the
    alarms would see no data and never fire."""
    failures = _aws_cdn(preview, keep=lambda s: s["type"] != MONITORING_SUBSCRIPTION)
    assert len(failures) == 1 and "additional metrics are off" in failures[0], failures


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_cdn_alarm_without_its_action_fails(preview: bool) -> None:
    def silence(state: dict[str, Any]) -> None:
        if state["inputs"]["tags"]["meridian:severity"] == "P1":
            state["inputs"]["alarmActions"] = []

    failures = _aws_cdn(preview, edit=silence)
    assert len(failures) == 1 and "notifies [], not the P1 topic" in failures[0], failures


def test_aws_cdn_alarm_on_another_severity_topic_fails() -> None:
    """A ticket-tier burn (P3) must not page, nor a page-tier one open a ticket."""

    def swap(state: dict[str, Any]) -> None:
        if state["inputs"]["tags"]["meridian:severity"] == "P3":
            state["inputs"]["alarmActions"] = [
                a.replace("alerts-p3", "alerts-p1") for a in state["inputs"]["alarmActions"]
            ]

    failures = _aws_cdn(False, edit=swap)
    assert len(failures) == 1 and "not the P3 topic" in failures[0], failures


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_cdn_alarm_outside_us_east_1_or_off_the_floor_fails(preview: bool) -> None:
    def move(state: dict[str, Any]) -> None:
        if state["inputs"]["tags"]["meridian:severity"] == "P2":
            state["provider"] = state["provider"].replace("aws-us-east-1", "aws-eu-west-1")
        if state["inputs"]["tags"]["meridian:severity"] == "P4":
            state["inputs"]["threshold"] = 50

    failures = _aws_cdn(preview, edit=move)
    assert len(failures) == 2, failures
    assert "is not in us-east-1" in failures[0] and "below 90 %" in failures[1], failures


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_cdn_without_the_alarm_fails(preview: bool) -> None:
    failures = _aws_cdn(
        preview,
        keep=lambda s: not (s["type"] == ALARM and name_of(s).endswith("cdn-cache-hit-rate-p4")),
    )
    assert failures == [f"{CDN_SLO}: alarm: no P4 alarm on the distribution's CacheHitRate"]


def _edited_rules(plan: dict[str, Any], edit: Any) -> dict[str, Any]:
    copied = editable(plan)
    for step in copied["steps"]:
        state = step["newState"]
        if state["type"] == "aws:amp/ruleGroupNamespace:RuleGroupNamespace":
            data = yaml.safe_load(state["inputs"]["data"])
            for group in data["groups"]:
                if group["name"] == f"slo-{CDN_SLO}":
                    for rule in group["rules"]:
                        if "record" in rule:
                            rule["expr"] = edit(rule["expr"])
            state["inputs"]["data"] = yaml.safe_dump(data)
    return copied


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_cdn_ratio_over_all_requests_fails(preview: bool) -> None:
    """The API, GraphQL and WebSocket routes are never cached: a ratio whose denominator keeps
    their responses can never reach 90 % on a mostly-API zone, and would page for ever."""
    plan = regional("dev", preview)[PRIMARY["dev"]]
    cdn = {s.name: s for s in SLOS}[CDN_SLO]
    assert not check_slo(plan, cdn).failures
    api = (
        "sum(rate(cloudflare_zone_requests_content_type"
        '{content_type=~"json|xml|grpc|grpcweb"}[5m]))'
    )
    all_requests = _edited_rules(plan, lambda e: e.replace(f" - ({api} or vector(0))", ""))
    failures = check_slo(all_requests, cdn).failures
    assert len(failures) == 1 and "counts the never-cached content types" in failures[0], failures

    no_grpc = _edited_rules(plan, lambda e: e.replace("json|xml|grpc|grpcweb", "json|xml"))
    failures = check_slo(no_grpc, cdn).failures
    assert len(failures) == 1 and "['grpc', 'grpcweb']" in failures[0], failures

    # the exporter stops publishing the content-type series: the subtraction would read nothing
    denied = editable(plan)
    for step in denied["steps"]:
        state = step["newState"]
        if state["type"] == RELEASE and state["inputs"].get("chart") == "cloudflare-exporter":
            for env in state["inputs"]["values"]["env"]:
                if env["name"] == "METRICS_DENYLIST":
                    env["value"] += ",cloudflare_zone_requests_content_type"
    failures = check_slo(denied, cdn).failures
    assert len(failures) == 1 and "denies ['cloudflare_zone_requests_content_type']" in failures[0]


def test_a_plain_text_alert_endpoint_is_refused() -> None:
    settings = AlertingSettings.model_validate({"pager": "https://events.pagerduty.com/x?k=1"})
    (problem,) = validate_alerting(settings, "Pulumi.prod-global.yaml")
    assert problem.key == "meridian:alerting.pager"
    assert "--secret" in problem.fix
    assert "pagerduty" not in problem.render()  # the clear text is never shown
    secret = AlertingSettings.model_validate({"pager": {"secure": "v1:abc"}, "email": "a@b.org"})
    assert validate_alerting(secret, "Pulumi.prod-global.yaml") == []
    bad_email = AlertingSettings.model_validate({"email": "oncall"})
    assert [p.key for p in validate_alerting(bad_email, "f")] == ["meridian:alerting.email"]


@pytest.mark.parametrize("env", ENVS)
def test_alert_topic_policies_admit_no_other_account(env: str) -> None:
    """The receivers are HTTPS endpoints and email addresses: SNS delivers to them without any
    grant, so no topic policy names another account. Every Allow is the stack's own account
    root, or a service principal pinned to the own account by aws:SourceAccount."""
    count = 0
    for stack, plan in regional(env, False).items():
        for state in of_type(plan, "aws:sns/topicPolicy:TopicPolicy"):
            if not name_of(state).startswith("alerts-"):
                continue
            count += 1
            document = json.loads(state["inputs"]["policy"])
            account = state["inputs"]["arn"].split(":")[4]
            for statement in document["Statement"]:
                if statement["Effect"] != "Allow":
                    continue
                principal = statement["Principal"]
                assert principal != "*" and "*" not in principal.get("AWS", []), stack
                if "AWS" in principal:
                    assert principal == {"AWS": f"arn:aws:iam::{account}:root"}, stack
                else:
                    assert set(principal) == {"Service"}, stack
                    pinned = statement["Condition"]["StringEquals"]["aws:SourceAccount"]
                    assert pinned == account, stack
    # findings + P1..P4 in every region of the environment
    assert count == 5 * len(regional(env, False))


def test_each_yaml_document_of_a_plan_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flow report runs `check_slo` once per SLO over the same regional plan; the rule groups
    and the Alertmanager definition it reads are parsed once, not once per SLO."""
    import meridian_ops.plan.flows.alert as alert

    parsed: list[str] = []
    original = yaml.load

    def counting(text: str, Loader: Any) -> Any:  # noqa: N803 (PyYAML's keyword)
        parsed.append(text)
        return original(text, Loader=Loader)

    alert.parsed_yaml.cache_clear()
    monkeypatch.setattr(alert.yaml, "load", counting)
    plan = planned("dev", False)[PRIMARY["dev"]]
    judged = [slo for slo in SLOS if slo.applies(True, EDGE["dev"])]
    assert len(judged) > 1
    for slo in judged:
        assert not check_slo(plan, slo, receivers=True).failures
    assert parsed, "the flow read no YAML document"
    assert len(parsed) == len(set(parsed)), "a document was parsed more than once"


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_the_aws_edge_status_counts_the_cdn_slo_once(preview: bool) -> None:
    """staging (AWS edge): every region's Prometheus rows, plus the CDN row judged once by the
    edge stack's alarms; without the monitoring subscription that unit fails."""
    plans = planned("staging", preview)
    regions = len(regional("staging", preview))
    alert = {c.flow: c for c in flow_status("staging", plans)}["alert"]
    judged = (len(SLOS) - 1) * regions + 1
    assert (alert.ok, alert.total, alert.pending) == (judged, judged, 0), alert.failures
    broken = editable(plans)
    edge = broken["staging-edge"]
    edge["steps"] = [s for s in edge["steps"] if s["newState"]["type"] != MONITORING_SUBSCRIPTION]
    alert = {c.flow: c for c in flow_status("staging", broken)}["alert"]
    assert (alert.ok, alert.total) == (judged - 1, judged)
    assert any("staging-edge: cdn-cache-hit-rate" in f for f in alert.failures)
