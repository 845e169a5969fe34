"""Offline CrossGuard evaluation of a Meridian plan file (``build/plan/<stack>.json``).

The plan format (docs/plan-format.md) mirrors ``pulumi preview --json``. This module replays what
the Pulumi engine does with a policy pack during a preview, in-process and with the real
protobuf messages, against the pack's real analyzer servicer
(``pulumi_policy.policy._PolicyAnalyzerServicer``) built from ``policies.catalog``:

1. ``GetAnalyzerInfo`` -> the policies, their default levels and config schemas.
2. ``Configure`` with the environment's pack config (``policies/config/<env>.json``), reconciled
   the way the CLI does for ``--policy-pack-config``: every policy gets an entry whose level is
   the config's (or the config's ``all`` level, or the policy default) and whose properties are
   the schema defaults overlaid by the config's properties; properties are type-checked against
   the schema.
3. ``ConfigureStack`` with the stack, project and dry-run flag.
4. ``Analyze`` once per registered resource, in registration order, with the resource's inputs
   (unknown sentinels and secret envelopes preserved, ``__``-prefixed internal keys dropped, as
   ``MarshalProperties(KeepUnknowns, KeepSecrets, SkipInternalKeys)`` does), its URN, name,
   options (protect, ignoreChanges, deleteBeforeReplace, aliases, customTimeouts,
   additionalSecretOutputs, parent) and its provider (type, URN, name and the provider
   resource's inputs).
5. ``AnalyzeStack`` once with every resource of the stack (outputs as properties, parent,
   dependencies, property dependencies, options, provider).

Which resources the engine analyzes (checked against pulumi/pulumi
``pkg/resource/deploy/step_generator.go``): ``Analyze`` runs in ``continueStepsFromImport`` for
*every* registered resource - custom resources, component resources, the root
``pulumi:pulumi:Stack`` and ``pulumi:providers:*`` resources alike (pulumi-policy's own
integration tests assert that the stack and provider resources reach ``validate_resource``).
Resources that are *read* rather than registered (``pulumi:pulumi:StackReference``,
``Resource.get``; ``op`` ``read``) are not analyzed, but they are part of ``AnalyzeStack``,
which receives every resource in the new state. This module does the same. Policies in the pack
filter by type, so the extra requests cost time but never change a verdict.

For ``AnalyzeStack`` the engine sends each resource's *outputs*. During a preview the outputs of
a resource being created are the provider's preview of it, which echoes every input; the mock
engine's recorded ``outputs`` may hold only the computed attributes, so the properties sent are
``inputs`` overlaid by ``outputs``.

A provider that a step references but that the plan does not list (an engine default provider)
is described from its URN with empty properties.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from pathlib import Path
from typing import Any, cast

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import Policy, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO_ROOT / "policies"
CONFIG_DIR = POLICY_DIR / "config"

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
READ_OPS = frozenset({"read", "read-replacement", "read-discard", "discard-replaced"})
LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_PREVIEW_NOTE = re.compile(r"^can't run (policy|remediation) '")

_LEVEL_TO_PROTO = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
_PROTO_TO_LEVEL = {v: k for k, v in _LEVEL_TO_PROTO.items()}
_SEVERITY = {
    proto.POLICY_SEVERITY_UNSPECIFIED: "",
    proto.POLICY_SEVERITY_LOW: "low",
    proto.POLICY_SEVERITY_MEDIUM: "medium",
    proto.POLICY_SEVERITY_HIGH: "high",
    proto.POLICY_SEVERITY_CRITICAL: "critical",
}


class PolicyEvalError(Exception):
    """A plan or policy config that cannot be evaluated (message is user-facing)."""


@dataclass(frozen=True)
class Violation:
    """One policy diagnostic, as ``pulumi preview`` would report it."""

    policy: str
    level: str  # "advisory" | "mandatory" | "remediate"
    urn: str
    message: str
    pack: str
    severity: str = ""
    # True for the SDK's advisory "can't run policy ... during preview" note (unknown value).
    unknown: bool = False


# --------------------------------------------------------------------------------------------
# Analyzer construction and configuration
# --------------------------------------------------------------------------------------------
def _catalog() -> tuple[str, dict[str, Any], list[Policy]]:
    from policies.catalog import PACK_NAME, PACK_OPTIONS, all_policies

    return PACK_NAME, PACK_OPTIONS, all_policies()


def pack_version() -> str:
    """The pack's one version (PulumiPolicy.yaml's, read by ``policies.catalog``): the engine
    reports it on every diagnostic and the analyzer prints it in its preview notes."""
    from policies.catalog import PACK_VERSION

    return PACK_VERSION


def make_servicer(policies: list[Policy] | None = None) -> _PolicyAnalyzerServicer:
    """The pack's analyzer servicer, built exactly as ``PolicyPack`` builds it."""
    name, options, catalog = _catalog()
    opts = dict(options)
    return _PolicyAnalyzerServicer(
        name,
        pack_version(),  # as the served pack (policies/__main__.py) builds it
        policies if policies is not None else catalog,
        opts.pop("enforcement_level"),
        None,
        opts.get("description"),
        opts.get("display_name"),
        None,
        opts.get("provider"),
        opts.get("tags"),
        None,
    )


def load_policy_config(env: str) -> dict[str, Any]:
    """The pack config file for an environment (``policies/config/<env>.json``)."""
    path = CONFIG_DIR / f"{env}.json"
    if not path.is_file():
        known = sorted(p.stem for p in CONFIG_DIR.glob("*.json"))
        raise PolicyEvalError(
            f"no policy pack config for environment {env!r} ({path}); known: {', '.join(known)}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PolicyEvalError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyEvalError(f"{path} must hold a JSON object keyed by policy name")
    return data


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "number": (int, float),
    "integer": (int,),
    "array": (list,),
    "object": (dict,),
}


def _schema_errors(value: Any, schema: Mapping[str, Any], where: str) -> list[str]:
    errors: list[str] = []
    expected = schema.get("type")
    if isinstance(expected, str) and expected in _JSON_TYPES:
        ok = isinstance(value, _JSON_TYPES[expected]) and not (
            expected in ("number", "integer") and isinstance(value, bool)
        )
        if expected == "integer" and isinstance(value, float) and value.is_integer():
            ok = True
        if not ok:
            return [f"{where} must be of type {expected}, got {json.dumps(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where} must be one of {schema['enum']}, got {json.dumps(value)}")
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        for index, item in enumerate(value):
            errors.extend(_schema_errors(item, items, f"{where}[{index}]"))
    return errors


def reconcile_config(info: Any, config: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per-policy (level, properties) as the CLI computes them from ``--policy-pack-config``.

    ``info`` is the pack's ``AnalyzerInfo``. Raises PolicyEvalError on unknown policies,
    invalid levels and properties that do not match a policy's config schema.
    """
    policies = {p.name: p for p in info.policies}
    errors: list[str] = []
    all_level: str | None = None
    if "all" in config:
        raw = config["all"]
        all_level = raw.get("enforcementLevel") if isinstance(raw, dict) else raw
        if all_level not in LEVELS:
            errors.append(f"all: invalid enforcement level {all_level!r}")
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, policy in policies.items():
        level = all_level or _PROTO_TO_LEVEL[policy.enforcementLevel]
        schema = json_format.MessageToDict(policy.configSchema.properties)
        properties = {k: v["default"] for k, v in schema.items() if "default" in v}
        result[name] = (level, properties)
    for name, raw in config.items():
        if name == "all":
            continue
        if name not in policies:
            errors.append(f"{name}: no such policy in the pack")
            continue
        level, properties = result[name]
        if isinstance(raw, str):
            level = raw
        elif isinstance(raw, dict):
            level = raw.get("enforcementLevel", level)
            schema = json_format.MessageToDict(policies[name].configSchema.properties)
            for key, value in raw.items():
                if key == "enforcementLevel":
                    continue
                if key not in schema:
                    errors.append(f"{name}.{key}: not a config property of this policy")
                    continue
                errors.extend(_schema_errors(value, schema[key], f"{name}.{key}"))
                properties[key] = value
        else:
            errors.append(f"{name}: expected an enforcement level or an object")
            continue
        if level not in LEVELS:
            errors.append(f"{name}: invalid enforcement level {level!r}")
        result[name] = (str(level), properties)
    if errors:
        raise PolicyEvalError("invalid policy pack config:\n  " + "\n  ".join(errors))
    return result


def configure_request(
    reconciled: Mapping[str, tuple[str, Mapping[str, Any]]],
) -> Any:
    """The ``ConfigureAnalyzerRequest`` the engine sends for a reconciled config."""
    request = proto.ConfigureAnalyzerRequest()
    for name, (level, properties) in reconciled.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = _LEVEL_TO_PROTO[level]
        entry.properties.update(dict(properties))
    return request


def configure(servicer: _PolicyAnalyzerServicer, config: Mapping[str, Any]) -> Any:
    """GetAnalyzerInfo + Configure, as the engine does when it loads the pack."""
    info = servicer.GetAnalyzerInfo(None, None)
    request = configure_request(reconcile_config(info, config))
    servicer.Configure(request, None)
    return request


# --------------------------------------------------------------------------------------------
# Request construction (engine marshalling)
# --------------------------------------------------------------------------------------------
def _strip_internal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_internal(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_strip_internal(v) for v in value]
    return value


def to_struct(props: Mapping[str, Any] | None) -> struct_pb2.Struct:
    """Marshal properties like the engine (KeepUnknowns, KeepSecrets, SkipInternalKeys)."""
    struct = struct_pb2.Struct()
    if props:
        struct.update(_strip_internal(dict(props)))
    return struct


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def urn_type(urn: str) -> str:
    qualified = urn.split("::")[2] if urn.count("::") >= 3 else ""
    return qualified.rsplit("$", 1)[-1]


def resource_options(state: Mapping[str, Any], with_parent: bool) -> Any:
    """``AnalyzerResourceOptions`` from a plan step's ``newState``."""
    options = proto.AnalyzerResourceOptions(
        protect=bool(state.get("protect", False)),
        ignoreChanges=[str(v) for v in state.get("ignoreChanges") or []],
        aliases=[
            str(a) if isinstance(a, str) else str(a.get("urn", ""))
            for a in state.get("aliases") or []
        ],
        additionalSecretOutputs=[str(v) for v in state.get("additionalSecretOutputs") or []],
    )
    if state.get("deleteBeforeReplace") is not None:
        options.deleteBeforeReplace = bool(state["deleteBeforeReplace"])
        options.deleteBeforeReplaceDefined = True
    timeouts = state.get("customTimeouts") or {}
    options.customTimeouts.create = float(timeouts.get("create", 0) or 0)
    options.customTimeouts.update = float(timeouts.get("update", 0) or 0)
    options.customTimeouts.delete = float(timeouts.get("delete", 0) or 0)
    if with_parent and state.get("parent"):
        options.parent = str(state["parent"])
    return options


class ProviderIndex:
    """Provider references (``<urn>::<id>``) resolved to the provider resource's inputs."""

    def __init__(self, states: Iterable[Mapping[str, Any]]) -> None:
        self._by_urn: dict[str, Mapping[str, Any]] = {}
        self._cache: dict[str, Any] = {}
        for state in states:
            if str(state.get("type", "")).startswith("pulumi:providers:"):
                self._by_urn[str(state["urn"])] = state

    def get(self, ref: str | None) -> Any:
        if not ref:
            return None
        if ref in self._cache:
            return self._cache[ref]
        urn = ref.rsplit("::", 1)[0] if ref.count("::") > 3 else ref
        state = self._by_urn.get(urn)
        provider = proto.AnalyzerProviderResource(
            urn=urn,
            type=str(state.get("type")) if state else urn_type(urn),
            name=urn_name(urn),
            properties=to_struct(state.get("inputs") if state else None),
        )
        self._cache[ref] = provider
        return provider


def analyze_request(state: Mapping[str, Any], providers: ProviderIndex) -> Any:
    """The ``AnalyzeRequest`` the engine sends for a registered resource."""
    urn = str(state["urn"])
    request = proto.AnalyzeRequest(
        type=str(state["type"]),
        properties=to_struct(state.get("inputs")),
        urn=urn,
        name=urn_name(urn),
        options=resource_options(state, with_parent=True),
    )
    provider = providers.get(state.get("provider"))
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def stack_resource(state: Mapping[str, Any], providers: ProviderIndex) -> Any:
    """The ``AnalyzerResource`` the engine sends for one resource in ``AnalyzeStack``."""
    urn = str(state["urn"])
    props = dict(state.get("inputs") or {})
    props.update(state.get("outputs") or {})
    resource = proto.AnalyzerResource(
        type=str(state["type"]),
        properties=to_struct(props),
        urn=urn,
        name=urn_name(urn),
        options=resource_options(state, with_parent=False),
        parent=str(state.get("parent") or ""),
        dependencies=[str(d) for d in state.get("dependencies") or []],
    )
    for key, urns in (state.get("propertyDependencies") or {}).items():
        if urns:
            resource.propertyDependencies[key].urns.extend(str(u) for u in urns)
    provider = providers.get(state.get("provider"))
    if provider is not None:
        resource.provider.CopyFrom(provider)
    return resource


# --------------------------------------------------------------------------------------------
# Type relevance (speed): which resource policies can react to a resource type at all
# --------------------------------------------------------------------------------------------
class _TouchedError(Exception):
    pass


class _TypeProbe:
    """Stands in for ResourceValidationArgs carrying only a type: any other access is noted."""

    def __init__(self, resource_type: str) -> None:
        self.resource_type = resource_type

    def _touch(self) -> Any:
        raise _TouchedError()

    props = property(_touch)
    urn = property(_touch)
    name = property(_touch)
    opts = property(_touch)
    provider = property(_touch)
    stack_tags = property(_touch)

    def get_config(self) -> Any:
        raise _TouchedError()

    def not_applicable(self, reason: str | None = None) -> None:
        raise _TouchedError()


def policy_reacts_to(policy: Policy, resource_type: str) -> bool:
    """Whether a resource policy may report anything for ``resource_type``.

    The policy is called with a probe that carries only the type. If it returns without reading
    anything else (props, name, urn, options, provider, config) and without reporting, its
    verdict for this type cannot depend on the resource, so it is always "no violation" and the
    Analyze request can skip it. Anything else (a read, a report, an exception, an async
    validation) counts as relevant. Policies are pure functions of their arguments; the
    equivalence with the unfiltered pack is tested.
    """
    if not isinstance(policy, ResourceValidationPolicy):
        return False
    reported: list[str] = []
    try:
        result = policy.validate(_TypeProbe(resource_type), lambda m, u=None: reported.append(m))  # type: ignore[arg-type]
    except Exception:
        return True
    if result is not None:
        close = getattr(result, "close", None)
        if callable(close):
            close()
        return True
    return bool(reported)


# --------------------------------------------------------------------------------------------
# Plan evaluation
# --------------------------------------------------------------------------------------------
def _states(plan: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    steps = plan.get("steps")
    if not isinstance(steps, list):
        raise PolicyEvalError("plan has no `steps` list (see docs/plan-format.md)")
    result: list[tuple[str, Mapping[str, Any]]] = []
    for index, step in enumerate(steps):
        state = step.get("newState") if isinstance(step, dict) else None
        if not isinstance(state, dict) or "urn" not in state or "type" not in state:
            raise PolicyEvalError(f"plan step {index} has no newState with urn and type")
        result.append((str(step.get("op", "create")), state))
    return result


def violations_from_response(
    response: Any, default_urn: str, known_urns: set[str] | None = None
) -> list[Violation]:
    """Violations of an ``AnalyzeResponse``, attributed as the engine attributes them.

    Analyze: a diagnostic without URN belongs to the analyzed resource (``default_urn``).
    AnalyzeStack: a diagnostic whose URN is not a resource of the stack (``known_urns``) belongs
    to the root stack (``default_urn``).
    """
    version = pack_version()
    result: list[Violation] = []
    for diag in response.diagnostics:
        urn = diag.urn
        if known_urns is not None and urn not in known_urns:
            urn = ""
        result.append(
            Violation(
                policy=diag.policyName,
                level=_PROTO_TO_LEVEL.get(diag.enforcementLevel, "advisory"),
                urn=urn or default_urn,
                message=diag.message,
                pack=f"{diag.policyPackName}@v{version}",
                severity=_SEVERITY.get(diag.severity, ""),
                unknown=bool(_PREVIEW_NOTE.match(diag.message)),
            )
        )
    return result


class Analyzer:
    """The pack's analyzer, configured once, as the engine holds it for a deployment.

    ``Analyze`` goes to a servicer holding only the resource policies that react to the
    resource's type (see ``policy_reacts_to``); ``prefilter=False`` sends every request to the
    full servicer, exactly like the served pack. ``AnalyzeStack`` always uses the full servicer.
    """

    def __init__(self, config: Mapping[str, Any], prefilter: bool = True) -> None:
        self.full = make_servicer()
        self.configure_request = configure(self.full, config)
        self.prefilter = prefilter
        self._policies = _catalog()[2]
        self._by_type: dict[str, _PolicyAnalyzerServicer] = {}
        self._by_subset: dict[tuple[str, ...], _PolicyAnalyzerServicer] = {}
        self._stack_request: Any = None

    def configure_stack(self, request: Any) -> None:
        self._stack_request = request
        self.full.ConfigureStack(request, None)
        for servicer in self._by_subset.values():
            servicer.ConfigureStack(request, None)

    def servicer_for(self, resource_type: str) -> _PolicyAnalyzerServicer:
        if not self.prefilter:
            return self.full
        servicer = self._by_type.get(resource_type)
        if servicer is not None:
            return servicer
        subset = [p for p in self._policies if policy_reacts_to(p, resource_type)]
        key = tuple(p.name for p in subset)
        servicer = self._by_subset.get(key)
        if servicer is None:
            # The SDK refuses an empty policy list; a servicer without resource policies
            # answers Analyze with an empty response, so any one stack policy will do.
            members = (
                subset
                or [p for p in self._policies if not isinstance(p, ResourceValidationPolicy)][:1]
            )
            servicer = make_servicer(members)
            servicer.Configure(self.configure_request, None)
            if self._stack_request is not None:
                servicer.ConfigureStack(self._stack_request, None)
            self._by_subset[key] = servicer
        self._by_type[resource_type] = servicer
        return servicer

    def analyze(self, request: Any) -> Any:
        return self.servicer_for(request.type).Analyze(request, None)

    def analyze_stack(self, request: Any) -> Any:
        with _converted_once():
            return analyze_stack_built_once(self.full, request)


def stack_resources(servicer: _PolicyAnalyzerServicer, request: Any) -> list[Any]:
    """The ``PolicyResource`` list the SDK's ``AnalyzeStack`` builds from a request, built the
    way it builds it (pulumi_policy 1.21.0, ``_PolicyAnalyzerServicer.AnalyzeStack``): properties
    through ``MessageToDict``, ``deserialize_properties`` and ``unknown_checking_proxy``; options
    and provider by the servicer's own helpers; then parent, dependencies and property
    dependencies linked to the resource objects of the same list."""
    sdk: Any = importlib.import_module("pulumi_policy.policy")
    made: list[tuple[Any, str, list[str], dict[str, list[str]]]] = []
    for r in request.resources:
        props = sdk.unknown_checking_proxy(
            sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties))
        )
        resource = sdk.PolicyResource(
            r.type,
            props,
            r.urn,
            r.name,
            servicer._get_resource_options(r),  # pyright: ignore[reportPrivateUsage]
            servicer._get_provider_resource(r),  # pyright: ignore[reportPrivateUsage]
            None,
            [],
            {},
        )
        depends = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
        made.append((resource, r.parent, list(r.dependencies), depends))
    by_urn = {resource.urn: resource for resource, _, _, _ in made}
    for resource, parent, dependencies, depends in made:
        if parent is not None and parent in by_urn:
            resource.parent = by_urn[parent]
        resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
        for key, urns in depends.items():
            resource.property_dependencies[key] = [by_urn[d] for d in urns if d in by_urn]
    return [resource for resource, _, _, _ in made]


def analyze_stack_built_once(servicer: _PolicyAnalyzerServicer, request: Any) -> Any:
    """``servicer.AnalyzeStack(request)``, with the stack's resources built once for every stack
    policy instead of once per stack policy.

    The SDK's loop rebuilds the whole resource list (options, provider, properties, links) for
    each of the pack's ~40 stack policies: with thousands of resources that was most of the
    pack's time. Here the list is built once (``stack_resources``, the SDK's own steps) and each
    policy gets its own copy of the list (a policy may reorder or filter it) over the same
    resource objects, whose properties are the SDK's read-only proxies. Levels, the remediate
    to mandatory downgrade, the violation reports, the preview note for an unknown value and
    not-applicable answers are the SDK's, in its policy order. The served-pack test compares the
    SDK's ``AnalyzeStack`` with the real plugin's; the analyzer's test compares this with the
    SDK's on every stack case and on planned stacks, up and preview."""
    sdk: Any = importlib.import_module("pulumi_policy.policy")
    private = "_PolicyAnalyzerServicer__"
    pack = getattr(servicer, private + "policy_pack_name")
    version = getattr(servicer, private + "policy_pack_version")
    stack_tags = getattr(servicer, private + "stack_tags")
    servicer._configure_runtime_settings()  # pyright: ignore[reportPrivateUsage]
    response = proto.AnalyzeResponse()
    resources: list[Any] | None = None
    for policy in getattr(servicer, private + "policies"):
        level = servicer._get_enforcement_level(policy)  # pyright: ignore[reportPrivateUsage]
        if level == sdk.EnforcementLevel.DISABLED or not isinstance(
            policy, sdk.StackValidationPolicy
        ):
            continue
        if level == sdk.EnforcementLevel.REMEDIATE:  # stack policies cannot remediate
            level = sdk.EnforcementLevel.MANDATORY
        report = servicer._create_report_violation(  # pyright: ignore[reportPrivateUsage]
            response, policy.name, policy.description, level, policy.severity
        )
        if resources is None:
            resources = stack_resources(servicer, request)
        config = servicer._get_policy_config(policy.name)  # pyright: ignore[reportPrivateUsage]
        args = sdk.StackValidationArgs(list(resources), config, stack_tags)
        try:
            result = policy.validate(args, report)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(cast(Any, result), loop=loop))
                loop.close()
        except sdk.UnknownValueError as e:
            response.diagnostics.append(
                proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=pack,
                    policyPackVersion=version,
                    message=f"can't run policy '{policy.name}' from policy pack "
                    f"'{pack}@v{version}' during preview: {e.message}",
                    urn="",
                    description=policy.description,
                    enforcementLevel=servicer._map_enforcement_level(  # pyright: ignore[reportPrivateUsage]
                        sdk.EnforcementLevel.ADVISORY
                    ),
                )
            )
        except sdk._NotApplicableError as e:
            response.not_applicable.append(
                proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
            )
    return response


_converting: list[bool] = []  # not empty while _converted_once is active


@contextlib.contextmanager
def _converted_once() -> Iterator[None]:
    """Convert each resource's properties once, not once per policy that reads them.

    The SDK's servicer turns a resource's protobuf properties (and its provider's) into a dict
    again for each policy it runs (`json_format.MessageToDict`, then `deserialize_properties`):
    in `Analyze` once per resource policy of the request, for the provider once per resource.
    Both are pure functions of their input, so while this is active (one stack's evaluation,
    `evaluate_states`; nested uses share the outer memo) their results are memoized: the dict by
    the message's serialized bytes (protobuf wrappers are not stable objects, so never by
    identity); the deserialized value, and its read-only unknown-checking proxy, by the identity
    of the memoized object it comes from (kept alive here). Verdicts do not change; the
    served-pack test compares them with the real plugin's, which runs the SDK as is.
    """
    if _converting:  # already inside: the outer memo serves
        yield
        return
    sdk: Any = importlib.import_module("pulumi_policy.policy")
    original_module, original_deserialize = sdk.json_format, sdk.deserialize_properties
    original_proxy = sdk.unknown_checking_proxy
    proxies: dict[int, Any] = {}  # id of a memoized deserialized value -> its proxy
    deserialized: dict[int, Any] = {}  # id of a memoized deserialized value -> that value
    dicts: dict[bytes, Any] = {}
    memoized: dict[int, Any] = {}  # id of a dict in `dicts` -> that dict (kept alive)
    values: dict[int, Any] = {}

    class _MemoJsonFormat:
        def __getattr__(self, name: str) -> Any:
            return getattr(original_module, name)

        @staticmethod
        def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs:
                return original_module.MessageToDict(message, *args, **kwargs)
            key = message.SerializeToString(deterministic=True)
            if key not in dicts:
                converted = original_module.MessageToDict(message)
                dicts[key] = converted
                memoized[id(converted)] = converted
            return dicts[key]

    def deserialize(value: Any, *args: Any, **kwargs: Any) -> Any:
        key = id(value)
        if args or kwargs or memoized.get(key) is not value:
            return original_deserialize(value, *args, **kwargs)
        if key not in values:
            result = original_deserialize(value)
            values[key] = result
            deserialized[id(result)] = result
        return values[key]

    def proxy(value: Any) -> Any:
        key = id(value)
        if deserialized.get(key) is not value:
            return original_proxy(value)
        if key not in proxies:
            proxies[key] = original_proxy(value)
        return proxies[key]

    sdk.json_format = _MemoJsonFormat()
    sdk.deserialize_properties = deserialize
    sdk.unknown_checking_proxy = proxy
    _converting.append(True)
    try:
        yield
    finally:
        _converting.pop()
        sdk.json_format = original_module
        sdk.deserialize_properties = original_deserialize
        sdk.unknown_checking_proxy = original_proxy
        # The memo class is cyclic garbage (every class is), freed only by the cyclic collector,
        # which the plan command keeps off: emptied here, the stack's converted properties are
        # freed now, not when a worker next collects.
        for memo in (proxies, deserialized, dicts, memoized, values):
            memo.clear()


def configure_stack_request(plan: Mapping[str, Any]) -> Any:
    """The ``ConfigureStack`` request the engine sends for a plan's stack."""
    return proto.AnalyzerStackConfigureRequest(
        stack=str(plan.get("stack", "")),
        project=str(plan.get("project", "")),
        dry_run=bool(plan.get("preview", True)),
        config={
            str(k): v if isinstance(v, str) else json.dumps(v)
            for k, v in (plan.get("config") or {}).items()
        },
    )


def evaluate_states(plan: Mapping[str, Any], analyzer: Analyzer) -> list[Violation]:
    """Run Analyze per registered resource and AnalyzeStack on a configured analyzer."""
    states = _states(plan)
    stack = str(plan.get("stack", ""))
    project = str(plan.get("project", ""))
    analyzer.configure_stack(configure_stack_request(plan))
    providers = ProviderIndex(state for _, state in states)
    root_urn = next(
        (str(s["urn"]) for _, s in states if s["type"] == ROOT_STACK_TYPE),
        f"urn:pulumi:{stack}::{project}::{ROOT_STACK_TYPE}::{project}-{stack}",
    )
    violations: list[Violation] = []
    with _converted_once():
        for op, state in states:
            if op in READ_OPS or state["type"] == STACK_REFERENCE_TYPE:
                continue
            response = analyzer.analyze(analyze_request(state, providers))
            violations.extend(violations_from_response(response, str(state["urn"])))
        stack_request = proto.AnalyzeStackRequest(
            resources=[stack_resource(state, providers) for _, state in states]
        )
        known = {str(s["urn"]) for _, s in states}
        response = analyzer.analyze_stack(stack_request)
        violations.extend(violations_from_response(response, root_urn, known))
    return violations


def evaluate_plan(
    plan: dict[str, Any], env: str | None = None, *, prefilter: bool = True
) -> list[Violation]:
    """Evaluate every policy of the pack against a plan, with ``policies/config/<env>.json``.

    ``env`` defaults to ``plan["environment"]``. ``prefilter=False`` sends every Analyze request
    to the full pack (slower, same result). Raises PolicyEvalError for an unusable plan or
    config.
    """
    if not isinstance(plan, dict):
        raise PolicyEvalError("a plan must be a JSON object (see docs/plan-format.md)")
    env = env or plan.get("environment")
    if not env:
        raise PolicyEvalError("the plan has no `environment`; pass env explicitly")
    analyzer = Analyzer(load_policy_config(str(env)), prefilter=prefilter)
    return evaluate_states(plan, analyzer)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------
_LEVEL_ORDER = {"mandatory": 0, "remediate": 1, "advisory": 2}


def format_violations(violations: Sequence[Violation]) -> str:
    """Human-readable report, mandatory first, then by resource and policy."""
    if not violations:
        return "No policy violations."
    lines: list[str] = []
    ordered = sorted(
        violations, key=lambda v: (v.unknown, _LEVEL_ORDER.get(v.level, 9), v.urn, v.policy)
    )
    for v in ordered:
        severity = f", {v.severity}" if v.severity else ""
        kind = "not evaluated during preview" if v.unknown else v.level
        lines.append(f"[{kind}{severity}] {v.policy} ({v.pack})")
        lines.append(f"    resource: {v.urn}")
        for text in v.message.splitlines():
            lines.append(f"    {text}")
    counts = {
        level: sum(1 for v in violations if v.level == level and not v.unknown)
        for level in _LEVEL_ORDER
    }
    unknown = sum(1 for v in violations if v.unknown)
    lines.append(
        f"{counts['mandatory']} mandatory, {counts['advisory']} advisory, "
        f"{counts['remediate']} remediate violation(s); {unknown} check(s) not evaluated "
        "(unknown during preview)."
    )
    return "\n".join(lines)


def _benchmark(path: str) -> None:  # pragma: no cover - manual helper
    plan = json.loads(Path(path).read_text(encoding="utf-8"))
    start = time.perf_counter()
    found = evaluate_plan(plan)
    print(
        f"{len(plan['steps'])} steps, {len(found)} violations, {time.perf_counter() - start:.2f}s"
    )
