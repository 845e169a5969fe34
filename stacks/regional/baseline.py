"""The security and observability baseline of a region: encrypted alert topics by severity,
threat detection routed to the findings topic, and the managed Prometheus workspace with the SLO
burn-rate rules."""

from __future__ import annotations

from dataclasses import dataclass

from components.foundation.keyring import KeyClass
from components.observability.prometheus import ManagedPrometheus, ManagedPrometheusArgs
from components.security import AlertTopics, AlertTopicsArgs, ThreatDetection, ThreatDetectionArgs
from stacks.alerting import alert_subscriptions
from stacks.component_data import load_slos
from stacks.regional.context import RegionContext
from stacks.regional.foundation import Foundation


@dataclass(frozen=True)
class Baseline:
    alerts: AlertTopics
    prometheus: ManagedPrometheus


def build(ctx: RegionContext, foundation: Foundation) -> Baseline:
    keys = foundation.keys
    alerts = AlertTopics(  # encrypted topics: findings, and alerts by severity P1..P4
        "alerts",
        AlertTopicsArgs(
            names=ctx.names,
            scope=ctx.scope,
            deletion_window_days=foundation.deletion_window_days,
            subscriptions=alert_subscriptions(ctx.plan.settings.alerting, ctx.invoke),
        ),
        opts=ctx.opts,
    )
    ThreatDetection(  # GuardDuty, Security Hub, Config, Access Analyzer, findings routing
        "detection",
        ThreatDetectionArgs(
            names=ctx.names,
            scope=ctx.scope,
            archive_bucket=foundation.archive.bucket.bucket,
            archive_key_arn=keys.arn(KeyClass.LOGS),
            findings_topic_arn=alerts.findings.arn,
            primary=ctx.is_primary,
            guardduty_minimum_severity=ctx.plan.settings.baseline.findings_minimum_severity,
        ),
        opts=ctx.opts,
    )
    prometheus = ManagedPrometheus(  # the SLO burn-rate rules, Alertmanager by severity
        "prometheus",
        ManagedPrometheusArgs(
            names=ctx.names,
            region=ctx.region,
            key_arn=alerts.key.arn,
            logs_key_arn=keys.arn(KeyClass.LOGS),
            log_retention_days=foundation.log_retention_days,
            topic_arns=alerts.arns,
            # edge-wide rows only where their series are collected (stacks/data/slos.json)
            slos=tuple(
                s for s in load_slos() if s.applies(ctx.is_primary, ctx.settings.edge_provider)
            ),
        ),
        opts=ctx.opts,
    )
    return Baseline(alerts=alerts, prometheus=prometheus)
