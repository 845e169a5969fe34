"""The plan report of an environment: what `make plan` prints and what CI posts on a pull request.

One row per stack: per layer (each top-level component of the stack, found in the plan, not
listed here) the resources under it, protected and stateful counts, the policy verdicts. Then the
regions that differ from the others, with what differs (resources per layer, facts the stacks
export) and why (an opt-out in `meridian:serviceOptOuts`, an override in the region's stack file).

`summary()` is the machine-readable form written to `build/plan/<env>.json`
(docs/plan-format.md); `format_table()` the text form. Pure Python over the plan documents: no
Pulumi import, so `check_policies` and CI scripts load it cheaply.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stacks.outputs import RegionalKey

STACK_LEVEL = "stack-level"
"""The layer of resources registered directly under the stack (account-and-region defaults)."""

STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        # storage and keys: deleting them loses data or makes data unreadable
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:s3/directoryBucket:DirectoryBucket",
        "aws:s3tables/tableBucket:TableBucket",
        "aws:kms/key:Key",
        "aws:kms/replicaKey:ReplicaKey",
        "aws:ebs/volume:Volume",
        "aws:efs/fileSystem:FileSystem",
        "aws:backup/vault:Vault",
        "aws:ecr/repository:Repository",
        "aws:secretsmanager/secret:Secret",
        # databases, streams, caches
        "aws:rds/cluster:Cluster",
        "aws:rds/globalCluster:GlobalCluster",
        "aws:rds/instance:Instance",
        "aws:dynamodb/table:Table",
        "aws:keyspaces/keyspace:Keyspace",
        "aws:keyspaces/table:Table",
        "aws:msk/cluster:Cluster",
        "aws:msk/serverlessCluster:ServerlessCluster",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/cluster:Cluster",
        "aws:elasticache/serverlessCache:ServerlessCache",
        "aws:opensearch/domain:Domain",
        "aws:kinesis/stream:Stream",
        # the address plan every VPC is allocated from
        "aws:ec2/vpcIpam:VpcIpam",
        "kubernetes:core/v1:PersistentVolumeClaim",
    }
)
"""Resource types that hold state: the types a reviewer checks for protect and backups."""

FACT_OUTPUTS = (
    RegionalKey.POD_IP_CAPACITY,
    RegionalKey.NODE_POOLS,
    RegionalKey.GPU_INSTANCE_TYPES,
    RegionalKey.INGRESS_HOSTNAME,
)
"""Stack outputs shown per region when a layer exports them."""

COMPARED_FACTS = (
    RegionalKey.POD_IP_CAPACITY,
    RegionalKey.NODE_POOLS,
    RegionalKey.GPU_INSTANCE_TYPES,
)
"""Facts compared across regions (a hostname differs everywhere by nature)."""

CROSS_REGION_LINKS = RegionalKey.CROSS_REGION_LINKS
"""Stack output naming links between regions: [{"kind", "to", "label"}] (see diagram)."""


def is_counted(state: Mapping[str, Any]) -> bool:
    """A cloud resource: custom and not an engine resource (stack, provider, stack reference).
    The one rule every resource count Meridian prints uses (plan table, policy line,
    check-policies)."""
    return bool(state.get("custom")) and not str(state.get("type", "")).startswith("pulumi:")


def count_resources(plan: Mapping[str, Any]) -> int:
    return sum(1 for step in plan["steps"] if is_counted(step["newState"]))


@dataclass(frozen=True)
class Layer:
    name: str
    components: int
    resources: int


def layers_of(plan: Mapping[str, Any]) -> dict[str, Layer]:
    """Layer name (the top-level component's type name, e.g. Network) -> components and the
    resources under them, in build order: a layer comes after the layers its resources depend
    on (keys, then the log archive, the network, the cluster, ...), ties by name."""
    states = {s["urn"]: s["newState"] for s in plan["steps"]}
    stack_urn = next((u for u, s in states.items() if s["type"] == "pulumi:pulumi:Stack"), "")
    tops: dict[str, str] = {}  # top-level component urn -> layer name
    for urn, state in states.items():
        if state["parent"] == stack_urn and not state["custom"]:
            tops[urn] = state["type"].rsplit(":", 1)[-1]
    layer_of: dict[str, str] = {}
    for urn, state in states.items():
        top = state
        while top["parent"] and top["parent"] != stack_urn and top["parent"] in states:
            top = states[top["parent"]]
        layer_of[urn] = tops.get(top["urn"], STACK_LEVEL)
    resources: Counter[str] = Counter(
        layer_of[urn] for urn, state in states.items() if is_counted(state)
    )
    names = set(tops.values()) | {n for n in resources if n == STACK_LEVEL}
    needs: dict[str, set[str]] = {name: set() for name in names}
    for urn, state in states.items():
        if not is_counted(state):
            continue
        for dependency in state.get("dependencies") or []:
            other = layer_of.get(dependency)
            if other and other != layer_of[urn] and other in needs:
                needs[layer_of[urn]].add(other)
    components = Counter(tops.values())
    return {
        name: Layer(name, components.get(name, 0), resources.get(name, 0))
        for name in _build_order(needs)
    }


def _build_order(needs: Mapping[str, set[str]]) -> list[str]:
    """Layers in dependency order: of the layers whose needs are met, the one more layers build
    on (transitively) first, ties by name. Layers can need each other (a key grants a role of a
    later layer): then the one with the fewest unmet needs goes first. The stack level last."""
    names = sorted(n for n in needs if n != STACK_LEVEL)
    dependents: dict[str, set[str]] = {n: set() for n in names}
    for name in names:
        stack, seen = [name], set()
        while stack:  # everything that needs `name`, directly or not
            current = stack.pop()
            for other in names:
                if current in needs[other] and other not in seen:
                    seen.add(other)
                    stack.append(other)
        dependents[name] = seen - {name}
    order: list[str] = []
    done = {STACK_LEVEL}
    pending = list(names)
    while pending:
        unmet = {n: len(needs[n] - done) for n in pending}
        fewest = min(unmet.values())
        candidates = [n for n in pending if unmet[n] == fewest]
        best = min(candidates, key=lambda n: (-len(dependents[n]), n))
        order.append(best)
        done.add(best)
        pending.remove(best)
    return order + ([STACK_LEVEL] if STACK_LEVEL in needs else [])


@dataclass
class Verdicts:
    policies: int = 0  # policies enabled for the environment
    mandatory: int = 0
    advisory: int = 0
    not_evaluated: int = 0  # "can't run policy during preview": a value was unknown

    def to_json(self) -> dict[str, int]:
        return {
            "policies": self.policies,
            "mandatory": self.mandatory,
            "advisory": self.advisory,
            "notEvaluated": self.not_evaluated,
        }


def verdicts_of(violations: Iterable[Any], policies: int) -> Verdicts:
    """Counts from policy_eval.Violation objects (level, unknown)."""
    result = Verdicts(policies=policies)
    for v in violations:
        if v.unknown:
            result.not_evaluated += 1
        elif v.level == "mandatory":
            result.mandatory += 1
        else:
            result.advisory += 1
    return result


@dataclass
class StackRow:
    name: str
    role: str
    region: str | None
    resources: int
    protected: int
    stateful: int
    stateful_unprotected: list[str]
    layers: dict[str, Layer]
    facts: dict[str, Any]
    verdicts: Verdicts | None = None


def row_of(plan: Mapping[str, Any], verdicts: Verdicts | None = None) -> StackRow:
    counted = [s["newState"] for s in plan["steps"] if is_counted(s["newState"])]
    stateful = [s for s in counted if s["type"] in STATEFUL_TYPES]
    outputs = plan.get("outputs") or {}
    return StackRow(
        name=plan["stack"],
        role=plan["role"],
        region=plan.get("region"),
        resources=len(counted),
        protected=sum(1 for s in counted if s.get("protect")),
        stateful=len(stateful),
        stateful_unprotected=[s["urn"] for s in stateful if not s.get("protect")],
        layers=layers_of(plan),
        facts={k: outputs[k] for k in FACT_OUTPUTS if k in outputs},
        verdicts=verdicts,
    )


@dataclass
class RegionDifference:
    region: str
    differences: list[str] = field(default_factory=list)  # what differs
    reasons: list[str] = field(default_factory=list)  # why

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "differences": self.differences, "reasons": self.reasons}


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten(f"{prefix}.{key}", item)
    else:
        yield prefix, value


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def overrides_of(plan: Mapping[str, Any]) -> list[str]:
    """`meridian:*` settings a regional stack file sets for its region (dotted keys)."""
    config = plan.get("config") or {}
    return [
        f"{key} = {_show(value)}"
        for name in sorted(config)
        if name.startswith("meridian:")
        for key, value in _flatten(name, config[name])
    ]


def _fact_leaves(facts: Mapping[str, Any]) -> dict[str, str]:
    """Compared facts as dotted leaves: nodePools.gpu-inference.instanceTypes -> '["g5..."]'."""
    return {
        key: _show(value)
        for name in COMPARED_FACTS
        if name in facts
        for key, value in _flatten(name, facts[name])
    }


def _mode(values: Sequence[str]) -> str | None:
    if not values:
        return None
    counts = Counter(values)
    best = max(counts.values())
    return next(v for v in values if counts[v] == best)  # ties: the first region's


RESIDENCY_STORES = ("postgres", "cassandra", "cache", "dynamodb")
"""drSummary entries of the stores that replicate across regions by themselves."""


def residency_reasons(plan: Mapping[str, Any]) -> list[str]:
    """From the stack's drSummary: the stores the residency table keeps in the region (one line
    per reason), and the stores global by design with their configured reason."""
    summary = (plan.get("outputs") or {}).get(RegionalKey.DR_SUMMARY) or {}
    kept: dict[str, list[str]] = {}
    lines: list[str] = []
    for store in RESIDENCY_STORES:
        entry = summary.get(store) or {}
        if "residency" in entry:
            kept.setdefault(str(entry["residency"]), []).append(store)
        if "globalByDesign" in entry:
            lines.append(f"{store} replicates to every region by design: {entry['globalByDesign']}")
    for reason, stores in kept.items():
        lines.insert(0, f"residency keeps its {', '.join(stores)} in region ({reason})")
    return lines


def kafka_opt_out(plan: Mapping[str, Any], configured: Mapping[str, Any], region: str) -> list[str]:
    """From the stack's drSummary: the region's topics not copied for DR and why, naming the
    manifest key (`meridian:replication.kafkaDrOptOuts`) when the opt-out is configured there."""
    summary = (plan.get("outputs") or {}).get(RegionalKey.DR_SUMMARY) or {}
    kafka = summary.get("kafka") or {}
    if "optOut" not in kafka:
        return []
    where = (
        f" (meridian:replication.kafkaDrOptOuts.{region} in the manifest)"
        if region in configured
        else ""
    )
    return [f"kafka topics opt out of DR: {kafka['optOut']}{where}"]


def differing_regions(
    plans: Mapping[str, Mapping[str, Any]], rows: Mapping[str, StackRow]
) -> list[RegionDifference]:
    """Regions whose plan differs from the most common regional plan, with the reasons."""
    regional = [r for r in rows.values() if r.role == "regional" and r.region]
    if not regional:
        return []
    manifest = next((p for p in plans.values() if p["role"] == "global"), None)
    opt_outs = ((manifest or {}).get("config") or {}).get("meridian:serviceOptOuts") or {}
    replication = ((manifest or {}).get("config") or {}).get("meridian:replication") or {}
    kafka_opted = replication.get("kafkaDrOptOuts") if isinstance(replication, dict) else None
    primary = regional[0].region
    layer_names = list(dict.fromkeys(n for r in regional for n in r.layers))
    typical_layer = {
        name: _mode([str(r.layers[name].resources if name in r.layers else 0) for r in regional])
        for name in layer_names
    }
    leaves = {r.name: _fact_leaves(r.facts) for r in regional}
    leaf_names = list(dict.fromkeys(k for r in regional for k in leaves[r.name]))
    typical_leaf = {
        k: _mode([leaves[r.name].get(k, "absent") for r in regional]) for k in leaf_names
    }
    result: list[RegionDifference] = []
    for row in regional:
        assert row.region is not None
        diff = RegionDifference(row.region)
        for name in layer_names:
            count = str(row.layers[name].resources if name in row.layers else 0)
            if count != typical_layer[name]:
                diff.differences.append(
                    f"{name}: {count} resources (most regions: {typical_layer[name]})"
                )
        absent: set[str] = set()
        for key in leaf_names:
            shown = leaves[row.name].get(key, "absent")
            if shown == typical_leaf[key]:
                continue
            if shown == "absent":
                # a whole missing branch (a node pool the region does not run) is one line
                parent = key.rsplit(".", 1)[0]
                if not any(k.startswith(parent + ".") for k in leaves[row.name]):
                    if parent not in absent:
                        absent.add(parent)
                        diff.differences.append(f"{parent}: absent (most regions have it)")
                    continue
            diff.differences.append(f"{key}: {shown} (most regions: {typical_leaf[key]})")
        skipped = opt_outs.get(row.region) if isinstance(opt_outs, dict) else None
        if skipped:
            diff.reasons.append(
                f"opts out of {', '.join(map(str, skipped))} "
                f"(meridian:serviceOptOuts.{row.region} in the manifest)"
            )
        for override in overrides_of(plans[row.name]):
            diff.reasons.append(f"overrides {override} (Pulumi.{row.name}.yaml)")
        diff.reasons += residency_reasons(plans[row.name])
        diff.reasons += kafka_opt_out(
            plans[row.name], kafka_opted if isinstance(kafka_opted, dict) else {}, row.region
        )
        if diff.differences and row.region == primary:
            diff.reasons.append("primary region")
        if diff.differences and not diff.reasons:
            diff.reasons.append(
                "no opt-out or override: the program derives it for the region (e.g. the "
                "instance types AWS offers there, stacks/region_capabilities.json)"
            )
        if diff.differences or diff.reasons:
            result.append(diff)
    return result


@dataclass
class Report:
    environment: str
    preview: bool
    rows: list[StackRow]
    differing: list[RegionDifference]
    waves: list[list[str]]
    reads: dict[str, dict[str, list[str]]]  # stack -> upstream stack -> output names
    policies_enabled: int | None  # None: the policy pack did not run
    seconds: float = 0.0
    flows: list[Any] | None = None
    """Each registered flow's count (meridian_ops/plan/flows/status.py `FlowCount`); None: not
    evaluated."""

    @property
    def resources(self) -> int:
        return sum(r.resources for r in self.rows)

    def layer_names(self) -> list[str]:
        return list(dict.fromkeys(n for r in self.rows for n in r.layers))


def build_report(
    environment: str,
    plans: Mapping[str, Mapping[str, Any]],
    *,
    waves: Sequence[Sequence[str]],
    violations: Mapping[str, Sequence[Any]] | None = None,
    policies_enabled: int | None = None,
    seconds: float = 0.0,
) -> Report:
    rows = {
        name: row_of(
            plan,
            None
            if violations is None
            else verdicts_of(violations.get(name, ()), policies_enabled or 0),
        )
        for name, plan in plans.items()
    }
    from meridian_ops.plan.waves import recorded_reads

    return Report(
        environment=environment,
        preview=any(bool(p.get("preview")) for p in plans.values()),
        rows=list(rows.values()),
        differing=differing_regions(plans, rows),
        waves=[list(w) for w in waves],
        reads={name: recorded_reads(plan) for name, plan in plans.items()},
        policies_enabled=policies_enabled if violations is not None else None,
        seconds=seconds,
    )


def policy_line(report: Report) -> str:
    """The one line about the policy pack; its resource count is the table's (is_counted)."""
    if report.policies_enabled is None:
        return "policy pack: not run (--no-policies)"
    verdicts = [r.verdicts for r in report.rows if r.verdicts is not None]
    mandatory = sum(v.mandatory for v in verdicts)
    advisory = sum(v.advisory for v in verdicts)
    unknown = sum(v.not_evaluated for v in verdicts)
    line = (
        f"policy pack: {report.policies_enabled} policies ran over {report.resources} resources "
        f"in {len(report.rows)} stacks: {mandatory} mandatory, {advisory} advisory violation(s)"
    )
    if unknown:
        line += f"; {unknown} check(s) not evaluated (value unknown during preview)"
    return f"{line}; {compliance_summary()}"


def flow_line(report: Report) -> str:
    """The one line about the flows: `flows: 6/6 routes served (1 pending), ...`."""
    if report.flows is None:
        return "flows: not evaluated"
    text = ", ".join(c.text() for c in report.flows)
    failing = [c.flow for c in report.flows if not c.passes]
    return f"flows: {text}" + (f"; FAILING: {', '.join(failing)}" if failing else "")


def compliance_summary() -> str:
    """``compliance: N controls evidenced by M policies`` from the pack's policy metadata
    (imported here, not at module load, to keep this module free of Pulumi imports)."""
    from policies.catalog import all_policies
    from policies.declare import policy_meta

    policies = all_policies()
    controls = {control for p in policies for control in policy_meta(p).controls}
    return f"compliance: {len(controls)} controls evidenced by {len(policies)} policies"


def format_table(report: Report) -> str:
    layers = report.layer_names()
    stack_width = max(len("stack"), *(len(r.name) for r in report.rows))
    columns = [*layers, "total", "protected", "stateful"]
    if report.policies_enabled is not None:
        columns += ["mandatory", "advisory"]
    widths = [max(len(c), 5) for c in columns]
    header = f"{'stack':<{stack_width}}  " + "  ".join(
        f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)
    )
    lines = [header, "-" * len(header)]
    totals: Counter[str] = Counter()
    for row in report.rows:
        cells: list[str] = []
        for name in layers:
            layer = row.layers.get(name)
            cells.append(str(layer.resources) if layer else "-")
            totals[name] += layer.resources if layer else 0
        values = [row.resources, row.protected, row.stateful]
        if row.verdicts is not None:
            values += [row.verdicts.mandatory, row.verdicts.advisory]
        for key, value in zip(columns[len(layers) :], values, strict=False):
            totals[key] += value
        cells += [str(v) for v in values]
        lines.append(
            f"{row.name:<{stack_width}}  "
            + "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))
        )
    lines.append("-" * len(header))
    lines.append(
        f"{'total':<{stack_width}}  "
        + "  ".join(f"{totals[c]:>{w}}" for c, w in zip(columns, widths, strict=True))
    )
    unprotected = [u for r in report.rows for u in r.stateful_unprotected]
    if unprotected:
        lines.append(f"stateful but not protected: {len(unprotected)}")
        lines += [f"  {u}" for u in unprotected[:10]]
        if len(unprotected) > 10:
            lines.append(f"  ... and {len(unprotected) - 10} more (build/plan/*.json)")
    regional = [r for r in report.rows if r.role == "regional"]
    fact_names = list(dict.fromkeys(k for r in regional for k in r.facts))
    if fact_names:
        lines.append("")
        fact_cells = {r.name: [_fact_cell(r.facts.get(k)) for k in fact_names] for r in regional}
        fact_widths = [
            max(len(name), *(len(fact_cells[r.name][i]) for r in regional))
            for i, name in enumerate(fact_names)
        ]
        region_width = max(len("region"), *(len(r.region or "") for r in regional))
        lines.append(
            f"{'region':<{region_width}}  "
            + "  ".join(f"{n:<{w}}" for n, w in zip(fact_names, fact_widths, strict=True))
        )
        for row in regional:
            lines.append(
                f"{row.region or '':<{region_width}}  "
                + "  ".join(
                    f"{c:<{w}}" for c, w in zip(fact_cells[row.name], fact_widths, strict=True)
                ).rstrip()
            )
    lines.append("")
    if report.differing:
        lines.append(f"regions that differ from the others ({len(report.differing)}):")
        for diff in report.differing:
            lines.append(f"  {diff.region}")
            lines += [f"    differs: {d}" for d in diff.differences]
            lines += [f"    because: {r}" for r in diff.reasons]
    else:
        lines.append("every region plans alike")
    lines.append(
        "deploy waves: "
        + " -> ".join(
            f"[{', '.join(_short(s, report.environment) for s in w)}]" for w in report.waves
        )
    )
    return "\n".join(lines)


def _fact_cell(value: Any, limit: int = 60) -> str:
    """A fact in a table cell: a mapping of mappings (node pools) by its keys."""
    if value is None:
        return "-"
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return _brief(sorted(value), limit)
    return _brief(value, limit)


def _short(stack: str, environment: str) -> str:
    return stack.removeprefix(f"{environment}-")


def compact(value: Any) -> str:
    """A fact for people: {"a": {"b": [1, 2]}} -> 'a: (b: 1/2)'."""
    if isinstance(value, dict):
        return ", ".join(
            f"{k}: ({compact(v)})" if isinstance(v, dict) else f"{k}: {compact(v)}"
            for k, v in value.items()
        )
    if isinstance(value, list):
        return "/".join(compact(v) for v in value)
    return str(value)


def _brief(value: Any, limit: int = 100) -> str:
    text = compact(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summary(report: Report) -> dict[str, Any]:
    """The machine-readable summary (build/plan/<env>.json; shape in docs/plan-format.md)."""
    return {
        "kind": "meridian-plan-summary",
        "version": 1,
        "environment": report.environment,
        "preview": report.preview,
        "resources": report.resources,
        "layers": report.layer_names(),
        "stacks": [
            {
                "stack": r.name,
                "role": r.role,
                "region": r.region,
                "resources": r.resources,
                "protected": r.protected,
                "stateful": r.stateful,
                "statefulUnprotected": r.stateful_unprotected,
                "layers": {
                    n: {"components": layer.components, "resources": layer.resources}
                    for n, layer in r.layers.items()
                },
                "facts": r.facts,
                "reads": report.reads.get(r.name, {}),
                "policies": None if r.verdicts is None else r.verdicts.to_json(),
            }
            for r in report.rows
        ],
        "policyPack": None
        if report.policies_enabled is None
        else {
            "policies": report.policies_enabled,
            "resources": report.resources,
            "mandatory": sum(r.verdicts.mandatory for r in report.rows if r.verdicts),
            "advisory": sum(r.verdicts.advisory for r in report.rows if r.verdicts),
            "notEvaluated": sum(r.verdicts.not_evaluated for r in report.rows if r.verdicts),
        },
        "waves": report.waves,
        "differingRegions": [d.to_json() for d in report.differing],
        "flows": None
        if report.flows is None
        else [
            {
                "flow": c.flow,
                "unit": c.unit,
                "ok": c.ok,
                "total": c.total,
                "pending": c.pending,
                "failures": list(c.failures),
            }
            for c in report.flows
        ],
    }


_LEVEL_ORDER = {"mandatory": 0, "remediate": 1, "advisory": 2}


def format_violations_grouped(violations: Mapping[str, Sequence[Any]]) -> str:
    """Policy violations of every stack, one entry per (policy, resource, message) with the
    stacks it occurs in: the same finding in ten regions is one entry, not ten blocks.
    `violations` maps stack -> policy_eval.Violation objects."""
    groups: dict[tuple[bool, int, str, str, str], list[tuple[str, Any]]] = {}
    for stack, found in violations.items():
        for v in found:
            resource = v.urn.split("::", 2)[-1] if v.urn.startswith("urn:pulumi:") else v.urn
            region = stack.split("-", 1)[-1]
            message = v.message.replace(stack, "<stack>").replace(region, "<region>")
            key = (v.unknown, _LEVEL_ORDER.get(v.level, 9), v.policy, resource, message)
            groups.setdefault(key, []).append((stack, v))
    lines: list[str] = []
    for (unknown, _, policy, resource, _), members in sorted(groups.items()):
        stack, first = members[0]
        kind = "not evaluated during preview" if unknown else first.level
        severity = f", {first.severity}" if first.severity else ""
        where = (
            f"in {stack}"
            if len(members) == 1
            else f"in {len(members)} stacks: {', '.join(s for s, _ in members)}"
        )
        lines.append(f"[{kind}{severity}] {policy} ({first.pack}) {where}")
        lines.append(f"    resource: {resource}")
        lines += [f"    {text}" for text in first.message.splitlines()]
    return "\n".join(lines)
