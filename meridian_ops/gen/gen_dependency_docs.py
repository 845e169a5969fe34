"""Generate docs/dependencies.md from the service dependency table (a test keeps it in sync).

.venv/bin/python -m meridian_ops.gen.gen_dependency_docs     # rewrites docs/dependencies.md
"""

from __future__ import annotations

from pathlib import Path

from stacks.dependencies import (
    TABLE_KEY,
    bronze_topics,
    consumers,
    dependency_rows,
    external_producers,
    producers,
    table,
    topic_names,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "dependencies.md"


def _what(kind: str, target: str, group: str, prefix: str, access: str) -> str:
    if kind == "consume":
        return f"consume `{target}` as `{group}`"
    if kind == "bucket":
        return f"bucket `{target}` prefix `{prefix}` ({access})"
    if kind in ("aurora", "cache"):
        return kind
    return f"{kind} `{target}`"


def render() -> str:
    data = table()
    rows = dependency_rows()
    lines = [
        "# Service dependencies",
        "",
        f"Generated from `{TABLE_KEY}` by `python -m meridian_ops.gen.gen_dependency_docs`; do not "
        "edit by hand.",
        "",
        f"Source: {data['source']}.",
        "",
        "Each built row is granted through its store's or cluster's `grant_*` helper on the exact "
        "ARN (topics and consumer groups: `arn:aws:kafka:<region>:<account>:topic|group/<cluster>/"
        "<uuid>/<name>`), and reached through the namespace's NetworkPolicy egress and the mesh's "
        "ServiceEntries; `tests/flows/` trace every row in every regional stack. Pending rows are "
        "not granted.",
        "",
        "| service | uses | status | source |",
        "|---|---|---|---|",
    ]
    for r in rows:
        status = f"pending: {r.pending}" if r.pending else "granted"
        lines.append(
            f"| {r.service} | {_what(r.kind, r.target, r.group, r.prefix, r.access)} | "
            f"{status} | {r.source} |"
        )
    made, read, lake = producers(rows), consumers(rows), set(bronze_topics())
    lines += [
        "",
        "## Topics",
        "",
        "| topic | producers | consumers (group) | lake |",
        "|---|---|---|---|",
    ]
    for t in topic_names():
        who = ", ".join(f"{s} ({g})" for s, g in read.get(t, [])) or "-"
        lines.append(
            f"| `{t}` | {', '.join(made.get(t, [])) or '-'} | {who} | "
            f"{'bronze (Firehose)' if t in lake else '-'} |"
        )
    lines += ["", "## Producers outside the 12 services", ""]
    for p in external_producers():
        status = f"pending: {p['pending']}" if p.get("pending") else p.get("builtBy", "built")
        lines.append(f"- **{p['name']}** -> {', '.join(p['produces'])} ({status})")
    alarms = data["alarms"]
    lines += ["", "## Backlog alarms", ""]
    for key, a in alarms.items():
        lines.append(
            f"- {key}: `{a['metric']}` > {a['threshold']} pages {a['severity']} ({a['source']})"
        )
    fanout = data["fanout"]
    lines += [
        "",
        "## Notification fan-out",
        "",
        f"SNS `{fanout['topic']}` -> SQS {', '.join(fanout['queues'])} (each with its dead-letter "
        "queue and depth alarm): published and worked by the notification service.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    DOC.write_text(render())


if __name__ == "__main__":
    main()
