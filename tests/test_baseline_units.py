"""Security and observability baseline: the generators and policies on their own, fast
(no plan): SLO rules from the one table, Alertmanager routing, the conformance pack, key and
bucket policies, alarm queries."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.common.naming import Names
from components.common.scope import AwsScope
from components.observability.alarms import ALARMS, cache_failover_queries, cache_shard_node_ids
from components.observability.slo_alerts import (
    BURN_RATE_TIERS,
    SEVERITIES,
    alertmanager_yaml,
    rule_groups_yaml,
)
from components.security.audit import AuditTrailArgs, event_selectors, key_policy
from components.security.detection import CONFORMANCE_RULES, conformance_template, standards_arn
from components.security.notifications import AlertTopicsArgs, topic_policy
from components.security.notifications import key_policy as alerts_key_policy
from stacks.component_data import load_slos

SEED = {
    "api-gateway-availability": 99.99,
    "api-gateway-latency-p99": 99.5,
    "payment-success": 99.99,
    "user-availability": 99.95,
    "search-latency-p95": 99.9,
    "messaging-delivery": 99.9,
    "cdn-cache-hit-rate": 99.0,
}


def test_the_slo_table_holds_the_seeds_targets() -> None:
    assert {s.name: s.objective for s in load_slos()} == SEED


def test_burn_rate_thresholds_follow_the_budget() -> None:
    rules = yaml.safe_load(rule_groups_yaml(load_slos()))
    group = next(g for g in rules["groups"] if g["name"] == "slo-api-gateway-availability")
    alerts = [r for r in group["rules"] if "alert" in r]
    by_severity = {a["labels"]["severity"]: a["expr"] for a in alerts}
    # 14.4 x 0.0001 over 1h and 5m
    assert by_severity["P1"] == (
        'slo:error_ratio:rate1h{slo="api-gateway-availability"} > 0.00144 and '
        'slo:error_ratio:rate5m{slo="api-gateway-availability"} > 0.00144'
    )
    assert "rate6h" in by_severity["P2"] and "rate30m" in by_severity["P2"]
    assert "rate1d" in by_severity["P3"] and "rate2h" in by_severity["P3"]
    assert "rate3d" in by_severity["P4"] and "rate6h" in by_severity["P4"]
    assert [t.factor for t in BURN_RATE_TIERS] == [14.4, 6.0, 3.0, 1.0]


def test_changing_one_target_changes_only_its_thresholds(tmp_path: Path) -> None:
    table = json.loads(Path("stacks/data/slos.json").read_text())
    before = rule_groups_yaml(load_slos())
    for row in table["slos"]:
        if row["name"] == "user-availability":
            row["objective"] = 99.9
    changed = tmp_path / "slos.json"
    changed.write_text(json.dumps(table))
    after = rule_groups_yaml(load_slos(changed))
    before_lines, after_lines = before.splitlines(), after.splitlines()
    assert len(before_lines) == len(after_lines)  # same rules, same shape
    changed_lines = [(b, a) for b, a in zip(before_lines, after_lines, strict=True) if b != a]
    # the four alert expressions and the four descriptions of that SLO, nothing else
    assert len(changed_lines) == 8
    exprs = [a for b, a in changed_lines if a.strip().startswith("expr:")]
    assert len(exprs) == 4 and all('slo="user-availability"' in a for a in exprs)
    assert any("> 0.0144 and" in a for a in exprs)  # 14.4 x 0.001
    descriptions = [(b, a) for b, a in changed_lines if a.strip().startswith("description:")]
    assert all("99.95%" in b and "99.9%" in a for b, a in descriptions)
    old, new = yaml.safe_load(before), yaml.safe_load(after)
    others = [g for g in old["groups"] if g["name"] != "slo-user-availability"]
    assert others == [g for g in new["groups"] if g["name"] != "slo-user-availability"]
    # the Alertmanager routing does not depend on the table at all
    arns = {s: f"arn:aws:sns:us-east-1:123456789012:t-{s}" for s in SEVERITIES}
    assert alertmanager_yaml(arns, "us-east-1") == alertmanager_yaml(arns, "us-east-1")


def test_alertmanager_routes_each_severity_to_its_topic() -> None:
    arns = {s: f"arn:aws:sns:us-east-1:123456789012:t-{s}" for s in SEVERITIES}
    config = yaml.safe_load(
        yaml.safe_load(alertmanager_yaml(arns, "us-east-1"))["alertmanager_config"]
    )
    routes = {r["receiver"]: r["matchers"] for r in config["route"]["routes"]}
    assert routes == {s: [f'severity="{s}"'] for s in SEVERITIES}
    for receiver in config["receivers"]:
        sns = receiver["sns_configs"][0]
        assert sns["topic_arn"] == arns[receiver["name"]]
        assert sns["sigv4"] == {"region": "us-east-1"}
    with pytest.raises(ValueError, match="P4"):
        alertmanager_yaml({s: arns[s] for s in ("P1", "P2", "P3")}, "us-east-1")


def test_a_bad_slo_row_is_refused(tmp_path: Path) -> None:
    slo = load_slos()[0]
    with pytest.raises(ValueError, match="objective"):
        replace(slo, objective=100.0)
    with pytest.raises(ValueError, match=r"\$window"):
        replace(slo, bad="sum(rate(x[5m]))")


def test_the_conformance_pack_is_the_rule_table() -> None:
    template = yaml.safe_load(conformance_template())
    identifiers = {
        r["Properties"]["Source"]["SourceIdentifier"] for r in template["Resources"].values()
    }
    assert identifiers == set(CONFORMANCE_RULES)
    assert all(r["Type"] == "AWS::Config::ConfigRule" for r in template["Resources"].values())


def test_security_hub_standards_arns_are_regional() -> None:
    assert standards_arn("aws", "eu-west-1", "cis-aws-foundations-benchmark") == (
        "arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0"
    )


def _trail_args() -> AuditTrailArgs:
    return AuditTrailArgs(
        names=Names("prod"),
        scope=AwsScope(account_id="123456789012", region="us-east-1"),
        lake_bucket_prefixes=["meridian-prod-use1-lake-", "meridian-prod-euw1-lake-"],
        hot_days=30,
        warm_days=365,
        cold_days=2555,
    )


def test_the_trail_key_is_least_privilege() -> None:
    args = _trail_args()
    policy = key_policy(args)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    encrypt = by_sid["CloudTrailEncryptsThisTrail"]
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"]["aws:SourceArn"] == (
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/meridian-prod-global-audit"
    )
    # the account reads the logs through S3 and the delivery notices through the trail's SNS
    # topic (encrypted with this key); through no other service, from no other account
    account = by_sid["AccountReadsThroughS3AndSns"]["Condition"]["StringEquals"]
    assert account["kms:ViaService"] == [
        "s3.us-east-1.amazonaws.com",
        "sns.us-east-1.amazonaws.com",
    ]
    assert account["kms:CallerAccount"] == "123456789012"
    # CloudWatch Logs may use it for the trail's own log group only
    logs = by_sid["CloudWatchLogsEncryptsTheTrailGroup"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/meridian-prod-global-audit"
            )
        }
    }
    selectors: list[dict[str, Any]] = json.loads(json.dumps(event_selectors(args)))
    lake = {f["field"]: f for f in selectors[1]["field_selectors"]}
    assert lake["resources.ARN"]["starts_withs"] == [
        "arn:aws:s3:::meridian-prod-euw1-lake-",
        "arn:aws:s3:::meridian-prod-use1-lake-",
    ]


def test_alert_topics_admit_only_their_publishers_from_this_account() -> None:
    args = AlertTopicsArgs(
        names=Names("prod", "us-east-1"), scope=AwsScope(account_id="1" * 12, region="us-east-1")
    )
    findings = json.loads(topic_policy("arn:aws:sns:us-east-1:111111111111:f", "findings", args))
    services = [s for s in findings["Statement"] if "Service" in s.get("Principal", {})]
    assert [s["Principal"]["Service"] for s in services] == ["events.amazonaws.com"]
    assert services[0]["Condition"]["ArnLike"]["aws:SourceArn"] == (
        "arn:aws:events:us-east-1:111111111111:rule/*"
    )
    key = alerts_key_policy(args)
    publishers = {
        s["Principal"]["Service"] for s in key["Statement"] if "Service" in s["Principal"]
    }
    assert publishers == {"events.amazonaws.com", "cloudwatch.amazonaws.com", "aps.amazonaws.com"}
    assert all(
        s["Condition"]["StringEquals"]["aws:SourceAccount"] == "1" * 12
        for s in key["Statement"]
        if "Service" in s["Principal"]
    )


def test_alarm_queries_cover_every_resource_of_a_kind() -> None:
    query = ALARMS["msk-under-replicated"].query(["meridian-prod-use1-kafka"])
    assert query == (
        'SELECT MAX(UnderReplicatedPartitions) FROM SCHEMA("AWS/Kafka", "Broker ID", '
        '"Cluster Name") WHERE "Cluster Name" = \'meridian-prod-use1-kafka\''
    )
    nat = ALARMS["nat-port-allocation"].query(["nat-1", "nat-2"])
    assert nat.endswith("WHERE NatGatewayId = 'nat-1' OR NatGatewayId = 'nat-2'")
    assert cache_shard_node_ids("g", 2, 1) == [
        ["g-0001-001", "g-0001-002"],
        ["g-0002-001", "g-0002-002"],
    ]
    assert {a.severity for a in ALARMS.values()} <= set(SEVERITIES)


def test_cache_failover_alarm_fires_on_any_promotion_of_the_shard() -> None:
    queries = cache_failover_queries(["g-0001-001", "g-0001-002", "g-0001-003"])
    metrics = [q for q in queries if "metric" in q]
    assert [m["metric"]["dimensions"] for m in metrics] == [  # type: ignore[index]
        {"CacheClusterId": f"g-0001-00{n}"} for n in (1, 2, 3)
    ]
    assert {(m["metric"]["metric_name"], m["metric"]["stat"]) for m in metrics} == {  # type: ignore[index]
        ("IsMaster", "Maximum")
    }
    watched = [q for q in queries if q.get("return_data")]
    assert len(watched) == 1
    assert watched[0].get("expression") == "MAX([DIFF(node0), DIFF(node1), DIFF(node2)])"
    with pytest.raises(ValueError, match=r"2\.\.10 nodes"):
        cache_failover_queries(["g-0001-001"])  # no replica: nothing to fail over to
    with pytest.raises(ValueError, match=r"2\.\.10 nodes"):
        cache_failover_queries([f"g-0001-{n:03d}" for n in range(11)])


def test_grafana_region_must_offer_managed_grafana() -> None:
    from stacks.baseline_settings import BaselineSettings, validate_baseline

    regions = ["us-east-1", "ap-south-1"]

    def settings(region: str) -> BaselineSettings:
        return BaselineSettings.model_validate(
            {"findingsMinimumSeverity": 4.0, "grafanaRegion": region}
        )

    assert validate_baseline(settings("us-east-1"), regions, "Pulumi.prod-global.yaml") == []
    (missing,) = validate_baseline(settings("ap-south-1"), regions, "Pulumi.prod-global.yaml")
    assert missing.key == "meridian:baseline.grafanaRegion"
    assert "does not offer Amazon Managed Grafana" in missing.problem
    assert "['us-east-1']" in missing.fix
    (foreign,) = validate_baseline(settings("eu-west-1"), regions, "Pulumi.prod-global.yaml")
    assert "not one of the environment's regions" in foreign.problem


def test_guardduty_findings_are_notified_from_the_configured_severity() -> None:
    from components.security.detection import finding_rules

    rules = finding_rules(7.0)
    assert rules["guardduty"]["detail"]["severity"] == [{"numeric": [">=", 7.0]}]
    assert set(rules) == {"guardduty", "securityhub", "access-analyzer"}


def test_rotation_templates_come_from_awss_publisher_of_each_partition() -> None:
    from components.data.secret_rotation import application_arn, failure_pattern
    from stacks.versions import AURORA_ROTATION_APPLICATION, AURORA_ROTATION_VERSIONS

    for partition in AURORA_ROTATION_VERSIONS:
        arn = application_arn(AURORA_ROTATION_APPLICATION, partition)
        assert arn.startswith(f"arn:{partition}:serverlessrepo:")
        assert arn.endswith(f":applications/{AURORA_ROTATION_APPLICATION}")
    with pytest.raises(ValueError, match="partition 'aws-iso'"):
        application_arn(AURORA_ROTATION_APPLICATION, "aws-iso")
    pattern = failure_pattern()
    assert pattern["source"] == ["aws.secretsmanager"]
    assert pattern["detail"] == {
        "eventSource": ["secretsmanager.amazonaws.com"],
        "eventName": ["RotationFailed", "RotationAbandoned"],
    }


def test_severity_topics_admit_eventbridge_for_service_events() -> None:
    from components.security.notifications import SEVERITIES, TOPIC_PUBLISHERS

    for severity in SEVERITIES:
        assert "events.amazonaws.com" in TOPIC_PUBLISHERS[severity]
