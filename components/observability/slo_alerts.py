"""SLO alerting generated from ONE data table (`stacks/data/slos.json`, read by the stack and
passed in as typed `Slo` rows): multi-window,
multi-burn-rate Prometheus rules (Google SRE workbook, chapter 5) and the Alertmanager routing
by severity.

Per SLO row, from its bad-events and all-events rates:
- recording rules `slo:error_ratio:rate<window>` for each window the alerts use;
- a PAGE pair: P1 when the error budget burns 14.4x over 1 h AND 5 m (2 % of a 30-day budget in
  an hour), P2 at 6x over 6 h AND 30 m;
- a TICKET pair: P3 at 3x over 1 d AND 2 h, P4 at 1x over 3 d AND 6 h.
The short window makes an alert stop soon after the burn stops. The threshold is
`factor * (1 - objective)`: a target change moves exactly the thresholds of its own rows.

Alertmanager (Amazon Managed Service for Prometheus) routes on the `severity` label to one SNS
receiver per severity (P1..P4), so the pager and the ticket queue subscribe to different topics.

Example::

    table = load_slos()                           # stacks.component_data: typed Slo rows
    rules_yaml = rule_groups_yaml(table)          # aws.amp.RuleGroupNamespace(data=...)
    alertmanager_yaml = alertmanager_yaml({"P1": p1_topic_arn, ...}, region="us-east-1")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

SEVERITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")


@dataclass(frozen=True)
class BurnRateTier:
    severity: str
    factor: float
    long_window: str
    short_window: str
    kind: str  # "page" or "ticket"


BURN_RATE_TIERS: tuple[BurnRateTier, ...] = (
    BurnRateTier("P1", 14.4, "1h", "5m", "page"),
    BurnRateTier("P2", 6.0, "6h", "30m", "page"),
    BurnRateTier("P3", 3.0, "1d", "2h", "ticket"),
    BurnRateTier("P4", 1.0, "3d", "6h", "ticket"),
)
WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


@dataclass(frozen=True)
class Slo:
    name: str
    service: str
    sli: str
    objective: float
    """Percent, e.g. 99.99."""
    window_days: int
    bad: str
    total: str
    edge_provider: str | None = None
    """The edge whose series the SLI reads (e.g. "cloudflare"): without that edge, no rule."""
    primary_only: bool = False
    """The series are collected in the primary region only (edge-wide, not per region): the
    rule is evaluated there, once."""
    floor: float | None = None
    """A time-sliced SLI's per-minute ratio (e.g. 0.9): a minute below it is a bad event."""
    cloudfront_metric: str | None = None
    """With the AWS edge, the CloudFront metric (percent, `AWS/CloudFront`) that judges this row
    in CloudWatch instead of a Prometheus rule (components/observability/cdn_hit_rate.py)."""

    def applies(self, primary: bool, edge_provider: str) -> bool:
        """Whether a region (the primary or not, with the environment's edge) evaluates it."""
        if self.edge_provider is not None and self.edge_provider != edge_provider:
            return False
        return primary or not self.primary_only

    def __post_init__(self) -> None:
        if not 0 < self.objective < 100:
            raise ValueError(f"SLO {self.name}: objective {self.objective} must be in (0, 100)")
        if "$window" not in self.bad or "$window" not in self.total:
            raise ValueError(f"SLO {self.name}: bad and total must use [$window]")
        if self.floor is not None and not 0 < self.floor < 1:
            raise ValueError(f"SLO {self.name}: floor {self.floor} must be in (0, 1)")
        if self.cloudfront_metric is not None and self.floor is None:
            raise ValueError(f"SLO {self.name}: a CloudFront metric needs the row's floor")

    @property
    def budget(self) -> float:
        """The error budget as a ratio (1 - objective)."""
        return round(1 - self.objective / 100, 10)


def _record(window: str) -> str:
    return f"slo:error_ratio:rate{window}"


def _ratio(slo: Slo, window: str) -> str:
    return (
        f"({slo.bad.replace('$window', window)}) / "
        f"clamp_min({slo.total.replace('$window', window)}, 1e-12)"
    )


def _threshold(slo: Slo, tier: BurnRateTier) -> str:
    return f"{round(tier.factor * slo.budget, 10):g}"


def rule_groups(slos: tuple[Slo, ...]) -> dict[str, Any]:
    """The Prometheus rule file: one group per SLO (recording rules, then its alerts)."""
    groups: list[dict[str, Any]] = []
    for slo in slos:
        labels = {"slo": slo.name, "service": slo.service}
        rules: list[dict[str, Any]] = [
            {"record": _record(w), "expr": _ratio(slo, w), "labels": dict(labels)} for w in WINDOWS
        ]
        for tier in BURN_RATE_TIERS:
            threshold = _threshold(slo, tier)
            selector = f'{{slo="{slo.name}"}}'
            rules.append(
                {
                    "alert": f"SloErrorBudgetBurn{tier.kind.capitalize()}",
                    "expr": (
                        f"{_record(tier.long_window)}{selector} > {threshold} and "
                        f"{_record(tier.short_window)}{selector} > {threshold}"
                    ),
                    "for": "2m" if tier.kind == "page" else "15m",
                    "labels": {**labels, "severity": tier.severity, "kind": tier.kind},
                    "annotations": {
                        "summary": (
                            f"{slo.service}: {slo.sli} burns its error budget {tier.factor:g}x "
                            f"over {tier.long_window} and {tier.short_window}"
                        ),
                        "description": (
                            f"SLO {slo.objective:g}% over {slo.window_days} days; burn rate "
                            f"{tier.factor:g}x means the budget lasts "
                            f"{slo.window_days / tier.factor:.1f} days."
                        ),
                    },
                }
            )
        groups.append({"name": f"slo-{slo.name}", "interval": "1m", "rules": rules})
    return {"groups": groups}


def rule_groups_yaml(slos: tuple[Slo, ...]) -> str:
    return yaml.safe_dump(rule_groups(slos), sort_keys=False, width=100_000)


def alertmanager_yaml(topic_arns: dict[str, str], region: str) -> str:
    """The Alertmanager definition: route by `severity` to one SNS receiver per severity."""
    missing = [s for s in SEVERITIES if s not in topic_arns]
    if missing:
        raise ValueError(f"no SNS topic for severities {missing}")
    config = {
        "route": {
            "receiver": "P4",
            "group_by": ["alertname", "slo", "severity"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "receiver": s,
                    "matchers": [f'severity="{s}"'],
                    "repeat_interval": "1h" if s in ("P1", "P2") else "12h",
                }
                for s in SEVERITIES
            ],
        },
        "receivers": [
            {
                "name": s,
                "sns_configs": [
                    {
                        "topic_arn": topic_arns[s],
                        "sigv4": {"region": region},
                        "subject": f"[{s}] {{{{ .CommonLabels.alertname }}}}",
                        "attributes": {"severity": s},
                    }
                ],
            }
            for s in SEVERITIES
        ],
    }
    # AMP takes the Alertmanager configuration as a string under `alertmanager_config`
    inner = yaml.safe_dump(config, sort_keys=False, width=100_000)
    return yaml.dump({"alertmanager_config": _Literal(inner)}, Dumper=_LiteralDumper, width=100_000)


class _Literal(str):
    """A string YAML writes as a literal block (`|`)."""


class _LiteralDumper(yaml.SafeDumper):
    pass


_LiteralDumper.add_representer(
    _Literal, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
)
