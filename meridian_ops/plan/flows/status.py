"""Flow status of a planned environment: one count per registered flow, shared by the plan report
(meridian_ops/plan/report.py), the architecture page and the flow tests.

A flow registers itself once, in `FLOWS`: its name, the architecture layer it proves (the row of
docs/architecture.md's layer table, by its number), what it counts, and an evaluator over the
environment's plan documents returning a `FlowCount` (units served, units in total, units
pending, and the failing links by name). `status_line` renders the counts as one line:

    18/18 routes served, 120/120 dependencies reachable (8 pending), 45/45 SLOs collected and
    routed (3 pending), ...

A unit is "pending" when only links a later piece of work builds are missing; pending units are
not counted as served and do not fail the flow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from meridian_ops.plan.flows.alert import check_slo
from meridian_ops.plan.flows.cdc import cdc_failures, writes_cdc
from meridian_ops.plan.flows.cluster_metrics import check_exporters, check_resource_metrics
from meridian_ops.plan.flows.dependencies import trace_row
from meridian_ops.plan.flows.harness import Flow, Graph
from meridian_ops.plan.flows.logs import Tiers, log_flow
from meridian_ops.plan.flows.request import request_flow
from stacks.component_data import load_slos
from stacks.dependencies import dependency_rows
from stacks.ingress_routes import routes_document
from stacks.settings import ENVIRONMENT_DEFAULTS

Plans = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class FlowCount:
    flow: str
    unit: str
    """What is counted, as the line says it: `routes served`."""
    ok: int
    total: int
    pending: int = 0
    failures: tuple[str, ...] = ()

    @property
    def passes(self) -> bool:
        return not self.failures and self.ok + self.pending == self.total

    def text(self) -> str:
        pending = f" ({self.pending} pending)" if self.pending else ""
        return f"{self.ok}/{self.total} {self.unit}{pending}"


@dataclass(frozen=True)
class RegisteredFlow:
    name: str
    layer: str
    """The number of the architecture layer the flow proves (docs/architecture.md: `04`)."""
    unit: str
    evaluate: Callable[[str, Plans], FlowCount]


@dataclass
class _Tally:
    ok: int = 0
    total: int = 0
    pending: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, failures: Sequence[str], pending: bool = False) -> None:
        self.total += 1
        if failures:
            self.failures += failures
        elif pending:
            self.pending += 1
        else:
            self.ok += 1

    def count(self, flow: str, unit: str) -> FlowCount:
        return FlowCount(flow, unit, self.ok, self.total, self.pending, tuple(self.failures))


def regional_plans(plans: Plans) -> dict[str, Mapping[str, Any]]:
    return {k: v for k, v in plans.items() if not k.endswith(("-global", "-edge"))}


def edge_provider(edge: Graph) -> str:
    return "cloudflare" if any(s["type"].startswith("cloudflare:") for s in edge.states) else "aws"


def _groups(flow: Flow) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for link in flow:
        groups.setdefault(link.flow, []).append(link)
    return groups


def _requests(env: str, plans: Plans) -> FlowCount:
    """Per region and public route with a backend: its links and the region's shared ones."""
    tally = _Tally()
    edge_plan = plans.get(f"{env}-edge")
    routes = {r["id"] for r in routes_document()["routes"] if not r.get("internal")}
    for stack, plan in regional_plans(plans).items():
        if edge_plan is None:
            tally.add([f"{stack}: no edge stack planned"])
            continue
        edge = Graph(f"{env}-edge", dict(edge_plan))
        flow = request_flow(Graph(stack, dict(plan)), edge, edge_provider(edge))
        shared = [str(x) for x in flow.failing() if x.flow.split(" ", 1)[0] not in routes]
        for name, links in _groups(flow).items():
            if name.split(" ", 1)[0] not in routes:
                continue
            failing = [f"{stack}: {x}" for x in links if x.status == "fail"]
            tally.add(
                failing + [f"{stack}: {s}" for s in shared],
                any(x.status == "pending" for x in links),
            )
    return tally.count("request", "routes served")


def _dependencies(env: str, plans: Plans) -> FlowCount:
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        for row in dependency_rows():
            if row.pending:
                tally.add([], pending=True)
            elif row.built:
                tally.add([f"{stack}: {m}" for m in trace_row(plan, row)])
    return tally.count("dependency", "dependencies reachable")


def _slos(env: str, plans: Plans) -> FlowCount:
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        for slo in load_slos():
            # every shipped environment names its receivers (a missing subscription fails)
            result = check_slo(plan, slo, receivers=True)
            tally.add([f"{stack}: {f}" for f in result.failures], bool(result.pending))
    return tally.count("alert", "SLOs collected and routed")


def _logs(env: str, plans: Plans) -> FlowCount:
    logs = ENVIRONMENT_DEFAULTS.get(env, ENVIRONMENT_DEFAULTS["prod"])["retention"]["logs"]
    tiers = Tiers(logs["hotDays"], logs["warmDays"], logs["coldDays"])
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        flow = log_flow(Graph(stack, dict(plan)), tiers)
        for name, links in _groups(flow).items():
            if name.startswith("logs "):
                tally.add([f"{stack}: {x}" for x in links if x.status == "fail"])
        if not any(name.startswith("logs ") for name in _groups(flow)):
            tally.add([f"{stack}: {x}" for x in flow.failing()])
    return tally.count("logs", "log groups archived")


def _cluster_metrics(env: str, plans: Plans) -> FlowCount:
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        tally.add([f"{stack}: {f}" for f in check_resource_metrics(plan) + check_exporters(plan)])
    return tally.count("cluster metrics", "regions' cluster metrics scraped")


def _cdc(env: str, plans: Plans) -> FlowCount:
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        if writes_cdc(plan):
            tally.add([f"{stack}: {f}" for f in cdc_failures(plan)])
    return tally.count("cdc", "CDC connectors traced")


FLOWS: list[RegisteredFlow] = [
    RegisteredFlow("request", "04", "routes served", _requests),
    RegisteredFlow("dependency", "05", "dependencies reachable", _dependencies),
    RegisteredFlow("alert", "09", "SLOs collected and routed", _slos),
    RegisteredFlow("logs", "09", "log groups archived", _logs),
    RegisteredFlow("cluster metrics", "09", "regions' cluster metrics scraped", _cluster_metrics),
    RegisteredFlow("cdc", "06", "CDC connectors traced", _cdc),
]
"""Every flow the report and the architecture page show, in the order of the status line. A new
flow adds one entry here."""


def flow_status(env: str, plans: Plans) -> list[FlowCount]:
    """The count of every registered flow over the environment's plans."""
    return [flow.evaluate(env, plans) for flow in FLOWS]


def status_line(counts: Sequence[FlowCount]) -> str:
    return ", ".join(c.text() for c in counts)


def layers_passing(counts: Sequence[FlowCount]) -> dict[str, bool]:
    """Per architecture layer number with registered flows: whether all its flows pass."""
    by_name = {c.flow: c for c in counts}
    result: dict[str, bool] = {}
    for flow in FLOWS:
        count = by_name.get(flow.name)
        result[flow.layer] = result.get(flow.layer, True) and count is not None and count.passes
    return result
