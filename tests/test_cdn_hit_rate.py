"""The CDN hit-ratio SLO with the AWS edge: CloudWatch alarms on CloudFront's CacheHitRate.

Design (architecture section 09, SLO table): "CDN / Edge | Cache hit rate > 90% | 99.0% |
30-day rolling"; burn-rate tiers P1 14.4x/1 h, P2 6x/6 h, P3 3x/1 d, P4 1x/3 d (the Google SRE
workbook's, as the Prometheus rules). AWS: CacheHitRate is `AWS/CloudFront`, dimensions
`DistributionId` and `Region=Global`, statistic Average, in us-east-1 (CloudFront developer guide,
"Types of metrics for CloudFront").
"""

from __future__ import annotations

from typing import Any

import pytest

from components.observability.slo_alerts import Slo
from tests.plans import planned

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SUBSCRIPTION = "aws:cloudfront/monitoringSubscription:MonitoringSubscription"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
# severity -> (minutes evaluated, bad minutes that alarm): ceil(factor x 1 % x minutes), the
# window capped at one day
TIERS = {"P1": (60, 9), "P2": (360, 22), "P3": (1440, 44), "P4": (1440, 15)}


def _cdn_alarms(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        s["newState"]["inputs"]["tags"]["meridian:severity"]: s["newState"]
        for s in plan["steps"]
        if s["newState"]["type"] == ALARM
        and s["newState"]["inputs"].get("namespace") == "AWS/CloudFront"
    }


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_staging_alarms_count_bad_minutes_per_burn_rate_tier(preview: bool) -> None:
    edge = planned("staging", preview)["staging-edge"]
    (distribution,) = [
        s["newState"] for s in edge["steps"] if s["newState"]["type"] == DISTRIBUTION
    ]
    (subscription,) = [
        s["newState"] for s in edge["steps"] if s["newState"]["type"] == SUBSCRIPTION
    ]
    assert distribution["urn"] in subscription["propertyDependencies"]["distributionId"]
    assert subscription["inputs"]["monitoringSubscription"] == {
        "realtimeMetricsSubscriptionConfig": {"realtimeMetricsSubscriptionStatus": "Enabled"}
    }
    alarms = _cdn_alarms(edge)
    assert set(alarms) == set(TIERS)
    for severity, (minutes, bad) in TIERS.items():
        alarm = alarms[severity]
        inputs = alarm["inputs"]
        assert "::aws-us-east-1::" in alarm["provider"]
        assert inputs["metricName"] == "CacheHitRate"
        assert inputs["dimensions"]["Region"] == "Global"
        assert distribution["urn"] in alarm["propertyDependencies"]["dimensions"]
        assert (inputs["statistic"], inputs["period"], inputs["threshold"]) == ("Average", 60, 90)
        assert inputs["comparisonOperator"] == "LessThanThreshold"
        assert (inputs["evaluationPeriods"], inputs["datapointsToAlarm"]) == (minutes, bad)
        assert inputs["evaluationPeriods"] * inputs["period"] <= 86_400
        assert inputs["treatMissingData"] == "notBreaching"
        assert subscription["urn"] in alarm["dependencies"]


@pytest.mark.parametrize("env", ["dev"])
def test_the_cloudflare_edge_plans_no_cloudfront_alarm(env: str) -> None:
    assert not _cdn_alarms(planned(env, False)[f"{env}-edge"])


def test_a_cloudfront_row_needs_its_floor() -> None:
    row: dict[str, Any] = {
        "name": "x",
        "service": "cdn",
        "sli": "hit ratio",
        "objective": 99.0,
        "window_days": 30,
        "bad": "a[$window]",
        "total": "b[$window]",
    }
    with pytest.raises(ValueError, match="needs the row's floor"):
        Slo(**row, cloudfront_metric="CacheHitRate")
    with pytest.raises(ValueError, match=r"floor 90\.0 must be in"):
        Slo(**row, floor=90.0)
    assert Slo(**row, floor=0.9, cloudfront_metric="CacheHitRate").floor == 0.9
