"""The data tables components are built from, read on the stack side: components read no files,
they take these as typed rows in their Args.

- stacks/data/slos.json: the SLO table (ManagedPrometheusArgs.slos).
- stacks/data/aws_load_balancer_controller_policy.json: the AWS Load Balancer Controller's
  published IAM policy, pinned with its chart (ServiceMeshArgs.load_balancer_controller_policy).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from components.observability.dashboards import Dashboard, Panel, Target, Variable
from components.observability.slo_alerts import WINDOWS, Slo

DATA = Path(__file__).resolve().parent / "data"
SLO_TABLE = DATA / "slos.json"
DASHBOARD_TABLE = DATA / "dashboards.json"
LBC_POLICY_FILE = DATA / "aws_load_balancer_controller_policy.json"


def load_slos(path: Path = SLO_TABLE) -> tuple[Slo, ...]:
    """The SLO table as typed rows; names are unique."""
    rows = json.loads(path.read_text(encoding="utf-8"))["slos"]
    slos = tuple(
        Slo(
            name=r["name"],
            service=r["service"],
            sli=r["sli"],
            objective=float(r["objective"]),
            window_days=int(r["windowDays"]),
            bad=r["bad"],
            total=r["total"],
            edge_provider=r.get("edge"),
            primary_only=r.get("regions", "every") == "primary",
            floor=float(r["floor"]) if "floor" in r else None,
            cloudfront_metric=r.get("cloudfrontMetric"),
        )
        for r in rows
    )
    if len({s.name for s in slos}) != len(slos):
        raise ValueError(f"{path}: SLO names must be unique")
    return slos


def _burn_rate_targets(window: str, slos: tuple[Slo, ...]) -> tuple[Target, ...]:
    """One query per SLO: its error ratio recorded over `window` (slo_alerts.py recording rules)
    divided by its error budget."""
    if window not in WINDOWS:
        raise ValueError(f"{DASHBOARD_TABLE.name}: sloBurnRate {window!r} not in {list(WINDOWS)}")
    return tuple(
        Target(f'max(slo:error_ratio:rate{window}{{slo="{s.name}"}}) / {s.budget:g}', s.name)
        for s in slos
    )


def load_dashboards(slos: tuple[Slo, ...], path: Path = DASHBOARD_TABLE) -> tuple[Dashboard, ...]:
    """The dashboard table as typed rows; an `sloBurnRate` panel gets one query per SLO."""

    def panel(row: dict[str, Any]) -> Panel:
        if "sloBurnRate" in row:
            targets = _burn_rate_targets(row["sloBurnRate"], slos)
        else:
            targets = tuple(
                Target(t["expr"], t["legend"], t.get("format", "time_series"))
                for t in row["targets"]
            )
        return Panel(row["title"], row["type"], row["unit"], targets)

    return tuple(
        Dashboard(
            uid=d["uid"],
            folder=d["folder"],
            title=d["title"],
            panels=tuple(panel(p) for p in d["panels"]),
            variables=tuple(
                Variable(v["name"], v["label"], v["series"], v["labelName"])
                for v in d.get("variables", [])
            ),
        )
        for d in json.loads(path.read_text(encoding="utf-8"))["dashboards"]
    )


def load_balancer_controller_policy(path: Path = LBC_POLICY_FILE) -> tuple[dict[str, Any], ...]:
    """The controller's published IAM policy (pinned with its chart), statement by statement."""
    return tuple(json.loads(path.read_text(encoding="utf-8"))["Statement"])
