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

from components.observability.slo_alerts import Slo

DATA = Path(__file__).resolve().parent / "data"
SLO_TABLE = DATA / "slos.json"
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
            edge_provider=r.get("edgeProvider"),
            primary_only=r.get("regions", "every") == "primary",
        )
        for r in rows
    )
    if len({s.name for s in slos}) != len(slos):
        raise ValueError(f"{path}: SLO names must be unique")
    return slos


def load_balancer_controller_policy(path: Path = LBC_POLICY_FILE) -> tuple[dict[str, Any], ...]:
    """The controller's published IAM policy (pinned with its chart), statement by statement."""
    return tuple(json.loads(path.read_text(encoding="utf-8"))["Statement"])
