"""An SVG picture of an environment's plan: stacks as boxes (global, regions, edge), the components
in each with their resource counts, and arrows for every cross-stack reference."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

BOX_WIDTH = 330
LINE = 16
PAD = 10
COLUMN_X = {"global": 20, "regional": 440, "edge": 860}
COLORS = {"global": "#e8f0fe", "regional": "#e6f4ea", "edge": "#fef7e0"}


def components_of(plan: dict[str, Any]) -> list[tuple[str, int]]:
    """(component label, resources under it) for the stack's top-level components."""
    by_urn = {s["urn"]: s["newState"] for s in plan["steps"]}
    counts: Counter[str] = Counter()
    for state in by_urn.values():
        if not state["custom"] or state["type"].startswith("pulumi:"):
            continue
        top = state
        while top["parent"] and by_urn.get(top["parent"], {}).get("type") != "pulumi:pulumi:Stack":
            top = by_urn[top["parent"]]
        if top is state:
            counts[f"{state['type'].split(':')[1].split('/')[0]} (stack level)"] += 1
        else:
            name = top["urn"].rsplit("::", 1)[-1]
            counts[f"{top['type'].rsplit(':', 1)[-1]} '{name}'"] += 1
    return sorted(counts.items())


def references_of(plan: dict[str, Any]) -> list[str]:
    """Names of the stacks this stack reads through StackReference."""
    refs = []
    for step in plan["steps"]:
        state = step["newState"]
        if state["type"] == "pulumi:pulumi:StackReference":
            refs.append(str(state["inputs"].get("name", state["id"])).rsplit("/", 1)[-1])
    return sorted(refs)


def render_svg(environment: str, plans: dict[str, dict[str, Any]]) -> str:
    boxes: dict[str, tuple[int, int, int]] = {}  # stack -> (x, y, height)
    body: list[str] = []
    next_y = {"global": 80, "regional": 80, "edge": 80}
    for name, plan in plans.items():
        role = plan["role"]
        comps = components_of(plan)
        total = sum(n for _, n in comps)
        height = PAD * 2 + LINE * (2 + len(comps))
        x, y = COLUMN_X[role], next_y[role]
        next_y[role] += height + 20
        boxes[name] = (x, y, height)
        body.append(
            f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{height}" rx="8" '
            f'fill="{COLORS[role]}" stroke="#555"/>'
        )
        body.append(
            f'<text x="{x + PAD}" y="{y + PAD + 12}" font-weight="bold">{escape(name)}'
            f' <tspan font-weight="normal">({total} resources)</tspan></text>'
        )
        for i, (label, count) in enumerate(comps):
            body.append(
                f'<text x="{x + PAD + 8}" y="{y + PAD + 12 + LINE * (i + 1) + 4}">'
                f"{count:4d}  {escape(label)}</text>"
            )
    arrows: list[str] = []
    for name, plan in plans.items():
        for ref in references_of(plan):
            if ref not in boxes or name not in boxes:
                continue
            sx, sy, sh = boxes[ref]
            tx, ty, th = boxes[name]
            x1, y1 = sx + BOX_WIDTH, sy + sh / 2
            x2, y2 = tx, ty + th / 2
            if sx > tx:  # reference to a stack further right: draw from its left edge
                x1, x2 = sx, tx + BOX_WIDTH
            if abs(x2 - x1) > BOX_WIDTH * 1.5:  # skips a column: pass above it
                top = min(sy, ty) - 18
                mid_s, mid_t = sx + BOX_WIDTH / 2, tx + BOX_WIDTH / 2
                path = f"M{mid_s},{sy} C{mid_s},{top} {mid_t},{top} {mid_t},{ty}"
            else:
                path = f"M{x1},{y1} C{(x1 + x2) / 2},{y1} {(x1 + x2) / 2},{y2} {x2},{y2}"
            arrows.append(
                f'<path d="{path}" '
                'fill="none" stroke="#1a73e8" stroke-width="1.2" marker-end="url(#arrow)" '
                'opacity="0.7"/>'
            )
    height = max(next_y.values()) + 20
    width = COLUMN_X["edge"] + BOX_WIDTH + 20
    title = (
        f"Meridian {environment}: {len(plans)} stacks; arrows are StackReference reads "
        "(global -> regions -> edge)"
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="monospace" font-size="12">',
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1a73e8"/>'
            "</marker></defs>",
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="20" y="30" font-size="16" font-weight="bold">{escape(title)}</text>',
            *arrows,
            *body,
            "</svg>",
        ]
    )
