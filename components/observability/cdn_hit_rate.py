"""CdnHitRateAlarms: the CDN hit-ratio SLO (`stacks/data/slos.json`) judged on the AWS edge, with
CloudWatch alarms on the CloudFront distribution's cache hit rate.

- A `MonitoringSubscription` turns on the distribution's additional CloudWatch metrics: without
  it CloudFront does not publish `CacheHitRate` ("the percentage of all cacheable requests for
  which CloudFront served the content from its cache"; POST/PUT requests and errors are not
  cacheable; namespace `AWS/CloudFront`, dimensions `DistributionId` and `Region=Global`,
  statistic Average, unit Percent; published in us-east-1 only).
- The SLO is time-sliced: a bad event is a minute whose hit rate is below the row's floor. Per
  burn-rate tier of `slo_alerts.BURN_RATE_TIERS` (the same P1..P4 pages and tickets as the
  Prometheus rules), an alarm over one-minute periods fires when at least
  `ceil(factor * budget * N)` of the last N minutes are bad, N the tier's long window. CloudWatch
  evaluates at most one day of periods, so a longer window (P4's 3 d) is evaluated over one day.
  A minute without cacheable requests publishes no datapoint and is not bad.
- Each alarm notifies its severity's SNS topic in us-east-1 (alarm and recovery).

Example::

    CdnHitRateAlarms("cdn-slo", CdnHitRateAlarmsArgs(
        names=names, slo=cdn_row, distribution_id=distribution.id,
        topic_arns={"P1": p1, "P2": p2, "P3": p3, "P4": p4}), opts=us_east_1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.naming import Names
from components.observability.slo_alerts import BURN_RATE_TIERS, SEVERITIES, BurnRateTier, Slo

NAMESPACE = "AWS/CloudFront"
REGION_DIMENSION = "Global"
"""CloudFront is global: the `Region` dimension of its metrics is always `Global`."""
PERIOD_SECONDS = 60
MAX_EVALUATION_SECONDS = 86_400
"""CloudWatch evaluates an alarm over at most one day (evaluation periods x period)."""
METRICS_REGION = "us-east-1"
"""Where CloudFront publishes its metrics, so where an alarm on them must live."""


def _minutes(window: str) -> int:
    unit = {"m": 1, "h": 60, "d": 1440}[window[-1]]
    return int(window[:-1]) * unit


def evaluation_minutes(tier: BurnRateTier) -> int:
    """The tier's long window in minutes, at most what CloudWatch evaluates."""
    return min(_minutes(tier.long_window), MAX_EVALUATION_SECONDS // PERIOD_SECONDS)


def bad_minutes_to_alarm(slo: Slo, tier: BurnRateTier) -> int:
    """The bad minutes among `evaluation_minutes(tier)` that burn the budget at the tier's rate."""
    return max(1, math.ceil(round(tier.factor * slo.budget * evaluation_minutes(tier), 6)))


@dataclass(frozen=True)
class CdnHitRateAlarmsArgs:
    names: Names
    slo: Slo
    """The SLO row: its objective, its per-minute floor and its CloudFront metric."""
    distribution_id: pulumi.Input[str]
    topic_arns: Mapping[str, pulumi.Input[str]]
    """Severity (P1..P4) -> the SNS topic in us-east-1 its alarm notifies."""

    def __post_init__(self) -> None:
        if self.slo.cloudfront_metric is None or self.slo.floor is None:
            raise ValueError(f"SLO {self.slo.name} names no CloudFront metric and floor")
        if missing := [s for s in SEVERITIES if s not in self.topic_arns]:
            raise ValueError(f"no SNS topic for severities {missing}")


class CdnHitRateAlarms(pulumi.ComponentResource):
    """The distribution's additional metrics and one alarm per burn-rate tier (see the module
    docstring). Takes the us-east-1 provider."""

    subscription: aws.cloudfront.MonitoringSubscription
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: CdnHitRateAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:CdnHitRateAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        slo = args.slo
        floor_percent = round((slo.floor or 0) * 100, 6)
        self.subscription = aws.cloudfront.MonitoringSubscription(
            f"{name}-metrics",
            distribution_id=args.distribution_id,
            monitoring_subscription={
                "realtime_metrics_subscription_config": {
                    "realtime_metrics_subscription_status": "Enabled"
                }
            },
            opts=child,
        )
        self.alarms = {}
        for tier in BURN_RATE_TIERS:
            minutes = evaluation_minutes(tier)
            bad = bad_minutes_to_alarm(slo, tier)
            topic = args.topic_arns[tier.severity]
            self.alarms[tier.severity] = aws.cloudwatch.MetricAlarm(
                f"{name}-{tier.severity.lower()}",
                name=args.names.physical("edge", slo.name, tier.severity.lower(), max_length=255),
                alarm_description=(
                    f"[{tier.severity}] {slo.service}: {slo.sli} burns its error budget "
                    f"{tier.factor:g}x: {bad} of the last {minutes} minutes below "
                    f"{floor_percent:g} % (SLO {slo.objective:g} % over {slo.window_days} days)"
                ),
                namespace=NAMESPACE,
                metric_name=slo.cloudfront_metric,
                dimensions={"DistributionId": args.distribution_id, "Region": REGION_DIMENSION},
                statistic="Average",
                period=PERIOD_SECONDS,
                evaluation_periods=minutes,
                datapoints_to_alarm=bad,
                threshold=floor_percent,
                comparison_operator="LessThanThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[topic],
                ok_actions=[topic],
                tags={"meridian:severity": tier.severity, "meridian:slo": slo.name},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.subscription]),
            )
        self.register_outputs(
            {"alarmArns": {s: a.arn for s, a in self.alarms.items()}},
        )
