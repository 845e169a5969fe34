"""ManagedPrometheus: the region's Amazon Managed Service for Prometheus workspace, its SLO rules
and Alertmanager routing.

- The workspace, encrypted with the region's observability key (AlertTopics), its rule and
  alerting logs in a CloudWatch Logs group (logs key, retention).
- The SLO burn-rate rules, generated from `stacks/data/slos.json` (slo_alerts.py), as one rule
  group namespace; the Alertmanager definition routes them by severity to the P1..P4 topics.
- `grant_remote_write(identity)`: `aps:RemoteWrite` on this workspace only, for the cluster's
  OpenTelemetry Collector (TelemetryAgents), which writes with SigV4.

Example::

    prometheus = ManagedPrometheus("prometheus", ManagedPrometheusArgs(
        names=names, region="us-east-1", key_arn=alerts.key.arn,
        logs_key_arn=keys.arn(KeyClass.LOGS), log_retention_days=30,
        topic_arns={s: alerts.arns[s] for s in SEVERITIES}, slos=load_slos()), opts=in_region)
    prometheus.remote_write_url  # https://aps-workspaces.<region>.amazonaws.com/workspaces/ws-../api/v1/remote_write
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.iam import statement
from components.common.naming import Names
from components.kubernetes.workload_identity import WorkloadIdentity
from components.observability.slo_alerts import (
    SEVERITIES,
    Slo,
    alertmanager_yaml,
    rule_groups_yaml,
)

REMOTE_WRITE_ACTIONS: tuple[str, ...] = ("aps:RemoteWrite",)
QUERY_ACTIONS: tuple[str, ...] = (
    "aps:QueryMetrics",
    "aps:GetSeries",
    "aps:GetLabels",
    "aps:GetMetricMetadata",
)
"""`aps:Query*` spelled out (least privilege: no wildcard in an action)."""


@dataclass(frozen=True)
class ManagedPrometheusArgs:
    names: Names
    region: str
    key_arn: pulumi.Input[str]
    """The workspace's customer-managed key (usable through aps)."""
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    topic_arns: Mapping[str, pulumi.Input[str]]
    """Severity (P1..P4) -> SNS topic ARN."""
    slos: Sequence[Slo]
    """The SLO table (stacks/data/slos.json, read by the stack): one rule set per row."""

    def __post_init__(self) -> None:
        if not self.slos:
            raise ValueError("ManagedPrometheus needs at least one SLO")
        if len({s.name for s in self.slos}) != len(self.slos):
            raise ValueError(f"SLO names must be unique: {[s.name for s in self.slos]}")


class ManagedPrometheus(pulumi.ComponentResource):
    workspace: aws.amp.Workspace
    rules: aws.amp.RuleGroupNamespace
    alertmanager: aws.amp.AlertManagerDefinition
    log_group: aws.cloudwatch.LogGroup
    """The workspace's own log group (rule and Alertmanager errors)."""

    def __init__(
        self, name: str, args: ManagedPrometheusArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:ManagedPrometheus", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        missing = [s for s in SEVERITIES if s not in args.topic_arns]
        if missing:
            raise ValueError(f"ManagedPrometheus needs a topic for {missing}")
        self._name = name
        self.log_group = logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/vendedlogs/prometheus/{names.physical('metrics')}",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        self.workspace = aws.amp.Workspace(
            f"{name}-workspace",
            alias=names.physical("metrics"),
            kms_key_arn=args.key_arn,
            logging_configuration={"log_group_arn": logs.arn.apply(lambda a: f"{a}:*")},
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.rules = aws.amp.RuleGroupNamespace(
            f"{name}-slo-rules",
            name="slo-burn-rates",
            workspace_id=self.workspace.id,
            data=rule_groups_yaml(tuple(args.slos)),
            opts=child,
        )
        self.alertmanager = aws.amp.AlertManagerDefinition(
            f"{name}-alertmanager",
            workspace_id=self.workspace.id,
            definition=pulumi.Output.all(*[args.topic_arns[s] for s in SEVERITIES]).apply(
                lambda arns: alertmanager_yaml(
                    dict(zip(SEVERITIES, arns, strict=True)), args.region
                )
            ),
            opts=child,
        )
        self.arn = self.workspace.arn
        self.endpoint = self.workspace.prometheus_endpoint
        self.remote_write_url = pulumi.Output.concat(self.endpoint, "api/v1/remote_write")
        self.register_outputs(
            {"workspaceArn": self.workspace.arn, "endpoint": self.workspace.prometheus_endpoint}
        )

    def grant_remote_write(self, identity: WorkloadIdentity, what: str) -> aws.iam.RolePolicy:
        """Let one workload write samples to this workspace (and nothing else in AMP)."""
        return identity.grant(
            what, [statement(REMOTE_WRITE_ACTIONS, self.workspace.arn, sid="RemoteWriteOne")]
        )
