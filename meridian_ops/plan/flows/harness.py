"""Graph queries over planned stacks, shared by the flow tests and the plan report.

A plan document (`build/plan/<stack>.json`; tests/plans.py `planned(env, preview)`) holds
`steps[*].newState` with `type`, `urn`, `inputs`, `outputs`, `parent`, `provider`, `dependencies`,
`propertyDependencies`. `Graph` wraps one stack's plan; `Flow` collects the links a flow
checks, each ok, failing (with what is missing) or pending (a later piece of work builds it), so
a failing flow names its missing link.
`Graph.without(...)` returns a copy with resources removed, to prove a flow notices a missing link.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

State = dict[str, Any]


def name_of(state: State) -> str:
    return str(state["urn"]).rsplit("::", 1)[-1]


class Graph:
    """One planned stack."""

    def __init__(self, stack: str, plan: dict[str, Any]) -> None:
        self.stack = stack
        self.plan = plan
        self.states: list[State] = [s["newState"] for s in plan["steps"] if s.get("newState")]
        self.by_urn: dict[str, State] = {s["urn"]: s for s in self.states}

    def of_type(self, resource_type: str) -> list[State]:
        return [s for s in self.states if s["type"] == resource_type]

    def named(self, resource_type: str, name: str) -> State | None:
        return next((s for s in self.of_type(resource_type) if name_of(s) == name), None)

    def kube(self, kind: str, name: str | None = None, namespace: str | None = None) -> list[State]:
        """Kubernetes objects of `kind` (custom or built-in), by metadata name and namespace."""
        found: list[State] = []
        for s in self.states:
            if not s["type"].startswith("kubernetes:"):
                continue
            inputs = s.get("inputs") or {}
            if inputs.get("kind") != kind and not s["type"].endswith(f":{kind}"):
                continue
            meta = inputs.get("metadata") or {}
            if name is not None and meta.get("name") != name:
                continue
            if namespace is not None and meta.get("namespace") != namespace:
                continue
            found.append(s)
        return found

    def spec(self, state: State) -> dict[str, Any]:
        return (state.get("inputs") or {}).get("spec") or {}

    def dependencies(self, state: State) -> set[str]:
        """Every URN `state` depends on (explicit and through its inputs)."""
        urns = set(state.get("dependencies") or [])
        for deps in (state.get("propertyDependencies") or {}).values():
            urns |= set(deps)
        return urns

    def reaches(self, state: State, target: State) -> bool:
        """Whether `state` depends, directly or transitively, on `target`."""
        seen: set[str] = set()
        todo = [state["urn"]]
        while todo:
            urn = todo.pop()
            if urn == target["urn"]:
                return True
            if urn in seen or urn not in self.by_urn:
                continue
            seen.add(urn)
            todo.extend(self.dependencies(self.by_urn[urn]))
        return False

    def without(self, drop: Callable[[State], bool]) -> Graph:
        """A copy of this graph without the resources `drop` selects."""
        plan = copy.deepcopy(self.plan)
        plan["steps"] = [
            s for s in plan["steps"] if not (s.get("newState") and drop(s["newState"]))
        ]
        return Graph(self.stack, plan)

    def edited(self, pick: Callable[[State], bool], edit: Callable[[State], None]) -> Graph:
        """A copy of this graph with `edit` applied to the resources `pick` selects."""
        plan = copy.deepcopy(self.plan)
        for step in plan["steps"]:
            if step.get("newState") and pick(step["newState"]):
                edit(step["newState"])
        return Graph(self.stack, plan)


def known(value: Any) -> bool:
    """Whether a planned value is known (a preview shows unknowns as the engine's marker or as a
    secret wrapper whose value is missing)."""
    if value is None:
        return False
    if isinstance(value, str) and value.startswith("04da6b54-"):
        return False
    return not (isinstance(value, dict) and "value" in value and value.get("value") is None)


def unwrap(value: Any) -> Any:
    """A planned value without the engine's secret wrapper."""
    if isinstance(value, dict) and "4dabf18193072939515e22adb298388d" in value:
        return value.get("value")  # pyright: ignore[reportUnknownMemberType]
    return value


@dataclass
class Link:
    flow: str
    step: str
    status: str
    """ok, fail, pending or closed (built, and shut by a setting the operator controls)."""
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.flow}: {self.step}: {self.status}" + (
            f" ({self.detail})" if self.detail else ""
        )


@dataclass
class Flow:
    """The links of one or more flows."""

    links: list[Link] = field(default_factory=list)

    def check(self, flow: str, step: str, ok: bool, missing: str = "") -> bool:
        self.links.append(Link(flow, step, "ok" if ok else "fail", "" if ok else missing))
        return ok

    def pending(self, flow: str, step: str, why: str) -> None:
        self.links.append(Link(flow, step, "pending", why))

    def closed(self, flow: str, step: str, why: str) -> None:
        self.links.append(Link(flow, step, "closed", why))

    def failing(self) -> list[Link]:
        return [link for link in self.links if link.status == "fail"]

    def pending_links(self) -> list[Link]:
        return [link for link in self.links if link.status == "pending"]

    def __iter__(self) -> Iterator[Link]:
        return iter(self.links)
