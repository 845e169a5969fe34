"""Turn PolicyCase rows into plan files and evaluate them like the engine does.

A case becomes a small plan in the documented format (docs/plan-format.md): the root stack, one
provider per package and the case's resource(s). The plan then goes through
``meridian_ops.plan.policy_eval`` - the same code path as ``check_policies`` - which builds the
engine's protobuf requests (``AnalyzeRequest`` per resource, one ``AnalyzeStackRequest``) and
calls the pack's real ``_PolicyAnalyzerServicer``. Nothing here builds ``ResourceValidationArgs``.

Stack entries: ``{"type", "props", "name"}`` plus optional ``"options"`` (engine option names),
``"parent"`` (name of another entry), ``"dependencies"`` (names), ``"propertyDependencies"``
(``{prop: [names]}``), ``"provider"`` (name of a ``pulumi:providers:*`` entry) and
``"provider_props"`` (inputs of a dedicated provider for this entry).
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from typing import Any

from meridian_ops.plan import policy_eval
from meridian_ops.plan.policy_eval import (
    Analyzer,
    Violation,
    configure,
    evaluate_states,
    load_policy_config,
    make_servicer,
)
from policies.catalog import all_policies
from tests.policies.cases_common import PolicyCase

PROJECT = "meridian"
STACK = "test"
SUBJECT = "case-subject"
ROOT_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
DEFAULT_PROVIDER_PROPS: dict[str, dict[str, Any]] = {
    "aws": {"region": "us-east-1"},
    "kubernetes": {},
    "cloudflare": {},
}
_OPTION_FIELDS = (
    "protect",
    "ignoreChanges",
    "deleteBeforeReplace",
    "aliases",
    "customTimeouts",
    "additionalSecretOutputs",
    "retainOnDelete",
)


def _package(type_token: str) -> str | None:
    package = type_token.split(":", 1)[0]
    return None if package == "pulumi" else package


def _urn(qualified_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified_type}::{name}"


def _step(state: dict[str, Any]) -> dict[str, Any]:
    return {"op": "create", "urn": state["urn"], "provider": state["provider"], "newState": state}


class _PlanBuilder:
    def __init__(self) -> None:
        root = {
            "urn": ROOT_URN,
            "type": "pulumi:pulumi:Stack",
            "custom": False,
            "inputs": {},
            "outputs": {},
            "parent": "",
            "provider": "",
        }
        self.steps: list[dict[str, Any]] = [_step(root)]
        self.providers: dict[str, str] = {}  # key -> provider reference

    def provider(self, package: str, props: dict[str, Any] | None, key: str) -> str:
        if key in self.providers:
            return self.providers[key]
        urn = _urn(f"pulumi:providers:{package}", key)
        state = {
            "urn": urn,
            "type": f"pulumi:providers:{package}",
            "custom": True,
            "id": f"{key}-id",
            "inputs": props if props is not None else DEFAULT_PROVIDER_PROPS.get(package, {}),
            "outputs": {},
            "parent": ROOT_URN,
            "provider": "",
        }
        self.steps.append(_step(state))
        self.providers[key] = f"{urn}::{key}-id"
        return self.providers[key]

    def resource(
        self,
        type_token: str,
        name: str,
        props: dict[str, Any],
        *,
        urn: str,
        options: dict[str, Any] | None = None,
        parent_urn: str | None = None,
        provider_ref: str = "",
        dependencies: list[str] | None = None,
        property_dependencies: dict[str, list[str]] | None = None,
    ) -> None:
        custom = not type_token.startswith("pulumi:") and ":" in type_token
        state: dict[str, Any] = {
            "urn": urn,
            "type": type_token,
            "custom": custom,
            "id": f"{name}-id" if custom else "",
            "inputs": props,
            "outputs": {},
            "parent": parent_urn or ROOT_URN,
            "provider": provider_ref,
            "protect": False,
            "dependencies": dependencies or [],
            "propertyDependencies": property_dependencies or {},
            "ignoreChanges": [],
        }
        for key in _OPTION_FIELDS:
            if options and key in options:
                state[key] = options[key]
        if options and "parent" in options:
            state["parent"] = options["parent"]
        self.steps.append(_step(state))

    def plan(self) -> dict[str, Any]:
        return {
            "project": PROJECT,
            "stack": STACK,
            "environment": "prod",
            "preview": True,
            "config": {},
            "steps": self.steps,
        }


def _stack_plan(entries: list[dict[str, Any]]) -> dict[str, Any]:
    builder = _PlanBuilder()
    by_name = {str(e["name"]): e for e in entries}
    urns: dict[str, str] = {}

    def qualified(entry: dict[str, Any], seen: tuple[str, ...] = ()) -> str:
        parent = entry.get("parent")
        if parent and parent in by_name and parent not in seen:
            return f"{qualified(by_name[parent], (*seen, parent))}${entry['type']}"
        return str(entry["type"])

    for entry in entries:
        urns[str(entry["name"])] = _urn(qualified(entry), str(entry["name"]))
    for entry in entries:
        name = str(entry["name"])
        type_token = str(entry["type"])
        if type_token.startswith("pulumi:providers:"):
            package = type_token.split(":")[-1]
            builder.steps.append(
                _step(
                    {
                        "urn": urns[name],
                        "type": type_token,
                        "custom": True,
                        "id": f"{name}-id",
                        "inputs": entry.get("props", {}),
                        "outputs": {},
                        "parent": ROOT_URN,
                        "provider": "",
                        "dependencies": [urns[d] for d in entry.get("dependencies", [])],
                        "propertyDependencies": {
                            k: [urns[d] for d in v]
                            for k, v in entry.get("propertyDependencies", {}).items()
                        },
                    }
                )
            )
            builder.providers[name] = f"{urns[name]}::{name}-id"
            continue
        package = _package(type_token)
        provider_ref = ""
        if entry.get("provider"):
            provider_ref = f"{urns[entry['provider']]}::{entry['provider']}-id"
        elif package:
            props = entry.get("provider_props")
            key = f"{package}-{name}" if props is not None else f"default-{package}"
            provider_ref = builder.provider(package, props, key)
        builder.resource(
            type_token,
            name,
            entry.get("props", {}),
            urn=urns[name],
            options=entry.get("options"),
            parent_urn=urns.get(str(entry.get("parent") or "")),
            provider_ref=provider_ref,
            dependencies=[urns[d] for d in entry.get("dependencies", [])],
            property_dependencies={
                k: [urns[d] for d in v] for k, v in entry.get("propertyDependencies", {}).items()
            },
        )
    return builder.plan()


def case_plan(case: PolicyCase) -> dict[str, Any]:
    """The plan file a case stands for."""
    if case.stack is not None:
        return _stack_plan(case.stack)
    builder = _PlanBuilder()
    package = _package(case.type)
    provider_ref = ""
    if package:
        provider_ref = builder.provider(package, case.provider_props, f"default-{package}")
    options = dict(case.options or {})
    builder.resource(
        case.type,
        SUBJECT,
        case.props,
        urn=_urn(case.type, SUBJECT),
        options=options,
        provider_ref=provider_ref,
    )
    return builder.plan()


@lru_cache(maxsize=8)
def _analyzer(env: str, prefilter: bool = True) -> Analyzer:
    return Analyzer(load_policy_config(env), prefilter=prefilter)


def prod_servicer() -> Any:
    """The pack's servicer configured with policies/config/prod.json (shared, stateless)."""
    return _analyzer("prod").full


@cache
def single_policy_servicer(policy_name: str, env: str = "prod") -> Any:
    """A servicer holding only one policy of the catalog, configured from the env's config.

    Serving one policy is 50x cheaper per request; used where a test issues many requests about
    one policy (the unknown-value mutations)."""
    policies = [p for p in all_policies() if p.name == policy_name]
    servicer = make_servicer(policies)
    config = load_policy_config(env)
    configure(servicer, {k: v for k, v in config.items() if k in ("all", policy_name)})
    return servicer


def violations_from(
    response: Any, default_urn: str, known_urns: set[str] | None
) -> list[Violation]:
    """Violations of an AnalyzeResponse, attributed as evaluate_states attributes them."""
    return policy_eval.violations_from_response(response, default_urn, known_urns)


def evaluate(plan: dict[str, Any], env: str = "prod", prefilter: bool = True) -> list[Violation]:
    """Evaluate a plan with the environment's pack config (analyzer configured once per env)."""
    # The analyzer is reused; plans are deep-copied so a policy can never mutate a case.
    return evaluate_states(json.loads(json.dumps(plan)), _analyzer(env, prefilter))


def run_case(case: PolicyCase, env: str = "prod") -> list[Violation]:
    """Violations of the case's policy (not the 'unknown during preview' notes)."""
    return [v for v in evaluate(case_plan(case), env) if v.policy == case.policy and not v.unknown]
