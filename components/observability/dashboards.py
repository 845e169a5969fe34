"""Grafana dashboards as code: typed rows (read by the stack from `stacks/data/dashboards.json`)
and the Grafana dashboard JSON model (the classic model Grafana 10 imports) built from them.

Every dashboard gets a `datasource` variable listing the workspace's Prometheus data sources
(one per region, components/observability/grafana.py): the reader picks the region, and every
panel and query variable reads that data source. Panels are laid out two to a row.

Example::

    panel = Panel("Request rate", "timeseries", "reqps",
                  (Target('sum(rate(istio_requests_total[5m]))', "all"),))
    board = Dashboard("meridian-system-overview", "system-overview", "System Overview", (panel,))
    config_json = json.dumps(dashboard_model(board))   # grafana.oss.Dashboard(config_json=...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DATASOURCE_VARIABLE = "datasource"
DATASOURCE = {"type": "prometheus", "uid": "${" + DATASOURCE_VARIABLE + "}"}
PANEL_TYPES: frozenset[str] = frozenset({"timeseries", "stat", "heatmap"})
TARGET_FORMATS: frozenset[str] = frozenset({"time_series", "heatmap"})
PANEL_WIDTH = 12
PANEL_HEIGHT = 8
GRID_WIDTH = 24


@dataclass(frozen=True)
class Target:
    expr: str
    legend: str
    format: str = "time_series"

    def __post_init__(self) -> None:
        if self.format not in TARGET_FORMATS:
            raise ValueError(
                f"target format {self.format!r} is not one of {sorted(TARGET_FORMATS)}"
            )


@dataclass(frozen=True)
class Panel:
    title: str
    type: str
    unit: str
    targets: tuple[Target, ...]

    def __post_init__(self) -> None:
        if self.type not in PANEL_TYPES:
            raise ValueError(
                f"panel {self.title!r}: type {self.type!r} not in {sorted(PANEL_TYPES)}"
            )
        if not self.targets:
            raise ValueError(f"panel {self.title!r} has no query")


@dataclass(frozen=True)
class Variable:
    """A query variable shown as `label`: the values of the label `label_name` over `series` (a
    PromQL selector)."""

    name: str
    label: str
    series: str
    label_name: str

    @property
    def query(self) -> str:
        return f"label_values({self.series}, {self.label_name})"


@dataclass(frozen=True)
class Dashboard:
    uid: str
    folder: str
    """The uid of the folder (grafana.py FOLDERS) it lives in."""
    title: str
    panels: tuple[Panel, ...]
    variables: tuple[Variable, ...] = ()

    def __post_init__(self) -> None:
        if not 8 <= len(self.uid) <= 40:
            raise ValueError(f"dashboard uid {self.uid!r} must be 8 to 40 characters")
        if not self.panels:
            raise ValueError(f"dashboard {self.uid} has no panels")


def _panel(index: int, panel: Panel) -> dict[str, Any]:
    per_row = GRID_WIDTH // PANEL_WIDTH
    return {
        "id": index + 1,
        "type": panel.type,
        "title": panel.title,
        "datasource": DATASOURCE,
        "gridPos": {
            "h": PANEL_HEIGHT,
            "w": PANEL_WIDTH,
            "x": (index % per_row) * PANEL_WIDTH,
            "y": (index // per_row) * PANEL_HEIGHT,
        },
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [
            {
                "refId": chr(ord("A") + n),
                "datasource": DATASOURCE,
                "expr": t.expr,
                "legendFormat": t.legend,
                "format": t.format,
            }
            for n, t in enumerate(panel.targets)
        ],
    }


def _variables(board: Dashboard) -> list[dict[str, Any]]:
    variables: list[dict[str, Any]] = [
        {
            "name": DATASOURCE_VARIABLE,
            "label": "Region",
            "type": "datasource",
            "query": "prometheus",
            "hide": 0,
            "refresh": 1,
        }
    ]
    variables += [
        {
            "name": v.name,
            "label": v.label,
            "type": "query",
            "datasource": DATASOURCE,
            "query": v.query,
            "definition": v.query,
            "refresh": 1,  # on dashboard load
            "hide": 0,
        }
        for v in board.variables
    ]
    return variables


def dashboard_model(board: Dashboard) -> dict[str, Any]:
    """The dashboard's JSON model (id left to Grafana; uid, title, panels, variables)."""
    return {
        "uid": board.uid,
        "title": board.title,
        "tags": ["meridian"],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {"list": _variables(board)},
        "panels": [_panel(i, p) for i, p in enumerate(board.panels)],
    }
