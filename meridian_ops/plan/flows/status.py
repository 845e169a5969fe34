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

from meridian_ops.plan.flows.alert import (
    CLOUDFRONT_METRICS_REGION,
    check_cloudfront_slo,
    check_slo,
)
from meridian_ops.plan.flows.cdc import cdc_failures, writes_cdc
from meridian_ops.plan.flows.cluster_metrics import (
    check_brokers,
    check_exporters,
    check_resource_metrics,
)
from meridian_ops.plan.flows.dependencies import net_graph, trace_row
from meridian_ops.plan.flows.dr import BackupDesign, dr_flow
from meridian_ops.plan.flows.events import event_flow
from meridian_ops.plan.flows.harness import Flow, Graph
from meridian_ops.plan.flows.health import edge_drained, health_flow
from meridian_ops.plan.flows.identity import identity_flow
from meridian_ops.plan.flows.logs import ERROR_GROUP_STEP, Tiers, log_flow
from meridian_ops.plan.flows.partner import partner_flow, partner_networks
from meridian_ops.plan.flows.rate_limit import partner_tier_flow, rate_limit_flow
from meridian_ops.plan.flows.request import request_flow
from stacks.component_data import load_slos
from stacks.dependencies import STORE_KINDS, dependency_rows
from stacks.identity_settings import clients_document
from stacks.ingress_routes import routes_document
from stacks.outputs import GlobalKey
from stacks.partner_api import M2M_CLIENT
from stacks.partner_settings import PARTNER_DEFAULTS
from stacks.rate_limit_settings import table_document
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
    note: str = ""
    """What the count alone does not say (`0 partner networks admitted`), shown beside it."""

    @property
    def passes(self) -> bool:
        return not self.failures and self.ok + self.pending == self.total

    def text(self) -> str:
        extra = [f"{self.pending} pending"] if self.pending else []
        extra += [self.note] if self.note else []
        return f"{self.ok}/{self.total} {self.unit}" + (f" ({'; '.join(extra)})" if extra else "")


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

    def count(self, flow: str, unit: str, note: str = "") -> FlowCount:
        return FlowCount(flow, unit, self.ok, self.total, self.pending, tuple(self.failures), note)


def regional_plans(plans: Plans) -> dict[str, Mapping[str, Any]]:
    return {k: v for k, v in plans.items() if not k.endswith(("-global", "-edge"))}


def primary_stack(plans: Plans) -> str | None:
    """The primary region's stack: the first regional stack in deployment order (global, the
    regions in manifest order, edge), as on the architecture page."""
    return next(iter(regional_plans(plans)), None)


def edge_provider(edge: Graph) -> str:
    return "cloudflare" if any(s["type"].startswith("cloudflare:") for s in edge.states) else "aws"


def _environment_edge(env: str, plans: Plans) -> str | None:
    """The edge provider the environment's edge stack plans, None without an edge stack."""
    edge_plan = plans.get(f"{env}-edge")
    return None if edge_plan is None else edge_provider(Graph(f"{env}-edge", dict(edge_plan)))


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
        # a route's links may span several groups (/graphql: the route, then each subgraph)
        by_route: dict[str, list[Any]] = {}
        for link in flow:
            route = link.flow.split(" ", 1)[0]
            if route in routes:
                by_route.setdefault(route, []).append(link)
        for links in by_route.values():
            failing = [f"{stack}: {x}" for x in links if x.status == "fail"]
            tally.add(
                failing + [f"{stack}: {s}" for s in shared],
                any(x.status == "pending" for x in links),
            )
    return tally.count("request", "routes served")


def _dependencies(env: str, plans: Plans) -> FlowCount:
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        graph = net_graph(plan)
        for row in dependency_rows():
            if row.pending:
                tally.add([], pending=True)
            elif row.built:
                tally.add([f"{stack}: {m}" for m in trace_row(plan, row, graph)])
    return tally.count("dependency", "dependencies reachable")


def _slos(env: str, plans: Plans) -> FlowCount:
    """Per region, each SLO the region evaluates: an edge-wide row only with its edge and only in
    the primary region where its series are collected (stacks/data/slos.json); with the AWS
    edge, a row CloudFront judges once, in the edge stack."""
    tally = _Tally()
    primary = primary_stack(plans)
    edge = _environment_edge(env, plans) or ""
    for stack, plan in regional_plans(plans).items():
        for slo in load_slos():
            if not slo.applies(stack == primary, edge):
                continue
            # every shipped environment names its receivers (a missing subscription fails)
            result = check_slo(plan, slo, receivers=True)
            tally.add([f"{stack}: {f}" for f in result.failures], bool(result.pending))
    # with the AWS edge, the rows CloudFront judges: alarms of the edge stack in us-east-1
    metrics = plans.get(f"{env}-{CLOUDFRONT_METRICS_REGION}")
    if edge == "aws" and metrics is not None:
        for slo in (s for s in load_slos() if s.cloudfront_metric is not None):
            result = check_cloudfront_slo(plans[f"{env}-edge"], metrics, slo, receivers=True)
            tally.add([f"{env}-edge: {f}" for f in result.failures], bool(result.pending))
    return tally.count("alert", "SLOs collected and routed")


def _logs(env: str, plans: Plans) -> FlowCount:
    logs = ENVIRONMENT_DEFAULTS.get(env, ENVIRONMENT_DEFAULTS["prod"])["retention"]["logs"]
    tiers = Tiers(logs["hotDays"], logs["warmDays"], logs["coldDays"])
    tally = _Tally()
    kept = 0
    for stack, plan in regional_plans(plans).items():
        flow = log_flow(Graph(stack, dict(plan)), tiers)
        for name, links in _groups(flow).items():
            if not name.startswith("logs "):
                continue
            failures = [f"{stack}: {x}" for x in links if x.status == "fail"]
            if any(x.step == ERROR_GROUP_STEP for x in links):
                # an archive stream's own error group stays in CloudWatch: not counted archived
                kept += 1
                tally.failures += failures
            else:
                tally.add(failures)
        if not any(name.startswith("logs ") for name in _groups(flow)):
            tally.add([f"{stack}: {x}" for x in flow.failing()])
    plural = "s" if kept != 1 else ""
    note = f"{kept} archive-stream error group{plural} kept in CloudWatch" if kept else ""
    return tally.count("logs", "log groups archived", note)


def _cluster_metrics(env: str, plans: Plans) -> FlowCount:
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        failures = check_resource_metrics(plan) + check_exporters(plan) + check_brokers(plan)
        tally.add([f"{stack}: {f}" for f in failures])
    return tally.count("cluster metrics", "regions' cluster metrics scraped")


def _cdc(env: str, plans: Plans) -> FlowCount:
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        if writes_cdc(plan):
            tally.add([f"{stack}: {f}" for f in cdc_failures(plan)])
    return tally.count("cdc", "CDC connectors traced")


def _flow_units(tally: _Tally, stack: str, flow: Flow, shared: str) -> None:
    """One unit per group of `flow` other than `shared`, whose failing or pending links count
    against every unit of the stack."""
    groups = _groups(flow)
    common = groups.get(shared, [])
    if not set(groups) - {shared}:
        groups = {f"{shared} (no units)": []}
    for name, links in groups.items():
        if name == shared:
            continue
        every = [*links, *common]
        tally.add(
            [f"{stack}: {x}" for x in every if x.status == "fail"],
            any(x.status == "pending" for x in every),
        )


def _identity(env: str, plans: Plans) -> FlowCount:
    """Per region and route of the API table: the gateway asks for a token of the environment's
    issuer with one of the route's scopes, or lists the path as public."""
    tally = _Tally()
    outputs = dict((plans.get(f"{env}-global") or {}).get("outputs") or {})
    routes = routes_document()["routes"]
    server = clients_document()["resourceServer"]
    for stack, plan in regional_plans(plans).items():
        flow = identity_flow(Graph(stack, dict(plan)), outputs, routes, server)
        _flow_units(tally, stack, flow, f"{stack} gateway tokens")
    return tally.count("identity", "routes guarded by tokens")


def _rate_limits(env: str, plans: Plans) -> FlowCount:
    """Per region, each rate-limited public route and each row of the rate-limit table (edge
    rule, mesh descriptors read from gateway-set headers, numbers, one per-API-key limit per
    confidential client, the route's patch on its VirtualService route), and each partner tier.
    A line naming no unit (the gateway's global filter, the service's configuration) is a link
    every unit of the region needs: it fails each of them."""
    tally = _Tally()
    edge_plan = plans.get(f"{env}-edge")
    routes = routes_document()["routes"]
    table = table_document()
    units = sorted(
        {
            r["id"]
            for r in routes
            if r.get("rateLimitPerMinute") is not None and not r.get("internal")
        }
        | {r["route"] for r in table.get("routes", [])}
    )
    tiers = [f"partner tier {row['tier']}" for row in table.get("tiers", [])]
    outputs = dict((plans.get(f"{env}-global") or {}).get("outputs") or {})
    clients = clients_document()
    for stack, plan in regional_plans(plans).items():
        if edge_plan is None:
            tally.add([f"{stack}: no edge stack planned"])
            continue
        lines = rate_limit_flow(routes, table, dict(edge_plan), dict(plan), outputs, clients)
        lines += partner_tier_flow(table, dict(plan))
        named = [*units, *tiers]
        shared = [x for x in lines if not x.startswith(tuple(f"{u}: " for u in named))]
        for unit in named:
            mine = [x for x in lines if x.startswith(f"{unit}: ")]
            tally.add([f"{stack}: {x}" for x in [*mine, *shared]])
    return tally.count("rate limit", "rate limits enforced")


def _partners(env: str, plans: Plans) -> FlowCount:
    """Per region, the partner path: client CA, mutual TLS, GraphQL on the partner Gateway,
    client-credentials tokens with the partner routes' scopes, and the path a partner's
    connection takes to it (DNS-only name, NLB passthrough listener and target group, security
    group). A path is built when no link fails or is pending; one that admits no partner network
    (`allowedCidrs` empty: closed by setting) is built, and the note says how many partner
    networks the regions' security groups admit."""
    tally = _Tally()
    outputs = (plans.get(f"{env}-global") or {}).get("outputs") or {}
    clients = clients_document()
    m2m = next(c for c in clients["clients"] if c["id"] == M2M_CLIENT)
    tokens = {
        "issuer": outputs.get(GlobalKey.ISSUER_URL),
        "jwks": outputs.get(GlobalKey.JWKS_URI),
        "server": clients["resourceServer"],
        "m2m": m2m["scopes"],
        "routes": [r for r in routes_document()["routes"] if r.get("backend") == "graphql-router"],
    }
    defaults = PARTNER_DEFAULTS.get(env, PARTNER_DEFAULTS["prod"])
    edge_plan = plans.get(f"{env}-edge")
    edge = Graph(f"{env}-edge", dict(edge_plan)) if edge_plan else None
    admitted: set[str] = set()
    for stack, plan in regional_plans(plans).items():
        graph = Graph(stack, dict(plan))
        flow = partner_flow(
            graph,
            defaults["hostname"],
            tokens,
            edge,
            defaults["allowedCidrs"],
            environment=Graph(f"{env}-global", dict(plans.get(f"{env}-global") or {"steps": []})),
        )
        tally.add([f"{stack}: {x}" for x in flow.failing()], bool(flow.pending_links()))
        admitted |= partner_networks(graph)
    networks = "network" if len(admitted) == 1 else "networks"
    return tally.count("partner", PARTNER_UNIT, f"{len(admitted)} partner {networks} admitted")


PARTNER_UNIT = "partner paths built"


def _health(env: str, plans: Plans) -> FlowCount:
    """Per region in rotation: the edge's synthetic `/health` probe reaches the region's NLB, and
    a failing probe pages (AWS edge: Route 53 check -> alarm -> P2 topic; Cloudflare: monitor ->
    exported pool health -> rule -> Alertmanager -> P2 topic), with a receiver."""
    tally = _Tally()
    edge_plan = plans.get(f"{env}-edge")
    regionals = {s.split("-", 1)[1]: Graph(s, dict(p)) for s, p in regional_plans(plans).items()}
    if edge_plan is None:
        for region in regionals:
            tally.add([f"{env}-{region}: no edge stack planned"])
        return tally.count("health", "regions' health checked and paged")
    edge = Graph(f"{env}-edge", dict(edge_plan))
    flow = health_flow(edge, regionals, edge_provider(edge), edge_drained(edge))
    for links in _groups(flow).values():
        tally.add([str(x) for x in links if x.status == "fail"])
    return tally.count("health", "regions' health checked and paged")


STORE_ROWS = (*STORE_KINDS, "bucket", "opensearch")
"""The dependency rows whose target is a data store (layer 07): databases, caches, key-value
tables, buckets, the search domain."""


def _store_dependencies(env: str, plans: Plans) -> FlowCount:
    """The dependency flow's rows that reach a data store, per region (pending rows apart)."""
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        graph = net_graph(plan)
        for row in dependency_rows():
            if row.kind not in STORE_ROWS:
                continue
            if row.pending:
                tally.add([], pending=True)
            elif row.built:
                tally.add([f"{stack}: {m}" for m in trace_row(plan, row, graph)])
    return tally.count("store dependency", "store dependencies reachable")


def _backup_design(env: str) -> BackupDesign:
    backups = ENVIRONMENT_DEFAULTS.get(env, ENVIRONMENT_DEFAULTS["prod"])["retention"]["backups"]
    return BackupDesign(backups["hotDays"], backups["warmDays"], backups["coldDays"])


def _dr_units(env: str, plans: Plans, units: Sequence[str], flow: str, unit: str) -> FlowCount:
    """Per region, each of `units` of the DR flow: the copy exists where drSummary says, inside
    the jurisdiction the residency table allows, or the store says why it has none."""
    tally = _Tally()
    design = _backup_design(env)
    for stack, plan in regional_plans(plans).items():
        found = dr_flow(stack, plan, plans, design)
        for name in units:
            tally.add(found[name])
    return tally.count(flow, unit)


def _dr(env: str, plans: Plans) -> FlowCount:
    """Backups, the Kafka topics, the cache and the log archive of every region."""
    units = ("backups", "kafka", "cache", "logs")
    return _dr_units(env, plans, units, "dr", "stores copied within their jurisdiction")


def _lake_dr(env: str, plans: Plans) -> FlowCount:
    return _dr_units(env, plans, ("lake",), "lake dr", "lakes replicated within their jurisdiction")


def _event_units(plans: Plans, prefixes: tuple[str, ...], flow: str, unit: str) -> FlowCount:
    tally = _Tally()
    for stack, plan in regional_plans(plans).items():
        for name, failures in event_flow(plan).items():
            if name.startswith(prefixes):
                tally.add([f"{stack}: {f}" for f in failures])
    return tally.count(flow, unit)


def _events(env: str, plans: Plans) -> FlowCount:
    """Per region, each topic (producer, consumer, lag alarms) and fan-out queue (subscription,
    dead-letter alarm)."""
    return _event_units(
        plans, ("topic ", "queue "), "event", "topics and queues produced and consumed"
    )


def _lake_feed(env: str, plans: Plans) -> FlowCount:
    """Per region, each bronze topic read by a Firehose stream into the lake."""
    return _event_units(plans, ("lake ",), "lake feed", "bronze topics fed to the lake")


FLOWS: list[RegisteredFlow] = [
    RegisteredFlow("request", "04", "routes served", _requests),
    RegisteredFlow("dependency", "05", "dependencies reachable", _dependencies),
    RegisteredFlow("alert", "09", "SLOs collected and routed", _slos),
    RegisteredFlow("logs", "09", "log groups archived", _logs),
    RegisteredFlow("cluster metrics", "09", "regions' cluster metrics scraped", _cluster_metrics),
    RegisteredFlow("cdc", "06", "CDC connectors traced", _cdc),
    RegisteredFlow("event", "06", "topics and queues produced and consumed", _events),
    RegisteredFlow("store dependency", "07", "store dependencies reachable", _store_dependencies),
    RegisteredFlow("dr", "07", "stores copied within their jurisdiction", _dr),
    RegisteredFlow("lake feed", "08", "bronze topics fed to the lake", _lake_feed),
    RegisteredFlow("lake dr", "08", "lakes replicated within their jurisdiction", _lake_dr),
    RegisteredFlow("identity", "04", "routes guarded by tokens", _identity),
    RegisteredFlow("rate limit", "04", "rate limits enforced", _rate_limits),
    RegisteredFlow("partner", "04", PARTNER_UNIT, _partners),
    RegisteredFlow("health", "09", "regions' health checked and paged", _health),
]
"""Every flow the report and the architecture page show, in the order of the status line. A new
flow adds one entry here."""


def flow_status(env: str, plans: Plans) -> list[FlowCount]:
    """The count of every registered flow over the environment's plans."""
    return [flow.evaluate(env, plans) for flow in FLOWS]


def status_line(counts: Sequence[FlowCount]) -> str:
    return ", ".join(c.text() for c in counts)


def layers_pending(counts: Sequence[FlowCount]) -> dict[str, int]:
    """Per architecture layer number with registered flows: its flows' pending units (a layer
    with pending units is built only in part: the architecture page says so)."""
    by_name = {c.flow: c for c in counts}
    result: dict[str, int] = {}
    for flow in FLOWS:
        count = by_name.get(flow.name)
        result[flow.layer] = result.get(flow.layer, 0) + (count.pending if count else 0)
    return result


def layers_passing(counts: Sequence[FlowCount]) -> dict[str, bool]:
    """Per architecture layer number with registered flows: whether all its flows pass."""
    by_name = {c.flow: c for c in counts}
    result: dict[str, bool] = {}
    for flow in FLOWS:
        count = by_name.get(flow.name)
        result[flow.layer] = result.get(flow.layer, True) and count is not None and count.passes
    return result
