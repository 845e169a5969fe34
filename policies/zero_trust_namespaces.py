"""Zero-trust policies, namespaces: every tenant namespace is isolated by default.

Each tenant namespace (every Namespace except the system ones and the configured exemptions)
enforces a Pod Security Standard, is in the mesh (sidecar injection), has a default-deny Istio
AuthorizationPolicy and a default-deny NetworkPolicy, and a ResourceQuota and LimitRange.
Namespaces listed in ``allowedCallers`` (payment, per PCI-DSS) admit only the listed callers.

Stack policies tie an object to its namespace by ``metadata.namespace`` or by a dependency on
the Namespace resource; an object whose namespace is unknown during preview makes the verdict
"cannot tell yet".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from . import type_tokens
from .compliance import (
    CAPACITY,
    HARDENED_CONFIG,
    LEAST_PRIVILEGE,
    MUTUAL_TLS,
    SEGMENTATION,
)
from .declare import resource_policy, stack_policy
from .kubernetes_objects import (
    AUTHORIZATION_POLICY_TYPES,
    LIMIT_RANGE,
    NAMESPACE,
    NETWORK_POLICY,
    RESOURCE_QUOTA,
    STRING_LIST,
    SYSTEM_NAMESPACES,
    default_deny_authz,
    k8s_namespace_of,
)
from .support import (
    UnknownCollector,
    as_list,
    config,
    get,
    is_empty,
    label,
    linked_urns,
)

CONCERN = "zero-trust"


# --------------------------------------------------------------------------------------------
# Objects every tenant namespace holds (stack policies)
# --------------------------------------------------------------------------------------------
def _namespace_name(resource: PolicyResource) -> Any:
    return get(resource.props, "metadata", "name")


def _in_namespace(policy: PolicyResource, namespace: PolicyResource, name: Any) -> bool | None:
    """True/False when decidable, None when the policy's namespace is unknown."""
    if namespace.urn in linked_urns(policy, "metadata"):
        return True
    collector = UnknownCollector()
    value = collector.call(lambda: k8s_namespace_of(policy))
    if collector.error is not None:
        return None
    return value is not None and value == name


def _tenant_namespaces(
    args: StackValidationArgs, unknowns: UnknownCollector
) -> list[tuple[PolicyResource, Any]]:
    """Namespaces to check, with their name (the resource name when auto-named).

    A namespace whose name is unknown during preview is skipped (it may be a system one)."""
    exempt = set(SYSTEM_NAMESPACES) | {str(n) for n in config(args, "exemptNamespaces", [])}
    result: list[tuple[PolicyResource, Any]] = []
    for resource in args.resources:
        if resource.resource_type != NAMESPACE:
            continue
        lookup = UnknownCollector()
        name = lookup.call(lambda resource=resource: _namespace_name(resource))
        if lookup.error is not None:
            unknowns.error = unknowns.error or lookup.error
            continue
        if name in exempt:
            continue
        result.append((resource, name if name is not None else resource.name))
    return result


def _default_deny_netpol(resource: PolicyResource) -> bool:
    spec = get(resource.props, "spec", default={})
    types = {str(t) for t in as_list(get(spec, "policyTypes"))}
    return (
        is_empty(get(spec, "podSelector"))
        and {"Ingress", "Egress"} <= types
        and is_empty(get(spec, "ingress"))
        and is_empty(get(spec, "egress"))
    )


def _namespace_default_deny(
    args: StackValidationArgs,
    report: ReportViolation,
    policy_types: frozenset[str],
    is_default_deny: Callable[[PolicyResource], bool],
    fix: str,
    what: str,
) -> None:
    _namespace_has(args, report, policy_types, is_default_deny, fix, f"default-deny {what}")


def _namespace_has(
    args: StackValidationArgs,
    report: ReportViolation,
    policy_types: frozenset[str],
    matches: Callable[[PolicyResource], bool],
    fix: str,
    what: str,
) -> None:
    """Every tenant namespace holds an object of ``policy_types`` for which ``matches``
    holds; an object whose namespace or shape is unknown counts as "cannot tell yet"."""
    unknowns = UnknownCollector()
    namespaces = _tenant_namespaces(args, unknowns)
    candidates = [r for r in args.resources if r.resource_type in policy_types]
    for namespace, name in namespaces:
        with unknowns.guard():
            found = False
            undecided = False
            for candidate in candidates:
                inside = _in_namespace(candidate, namespace, name)
                if inside is None:
                    undecided = True
                    continue
                if not inside:
                    continue
                verdict = unknowns.call(lambda candidate=candidate: matches(candidate))
                if verdict:
                    found = True
                    break
                if verdict is None:
                    undecided = True
            if found or undecided:
                continue
            report(
                f"Namespace '{name}' ({namespace.name}) has no {what}. Fix: {fix.format(ns=name)}",
                namespace.urn,
            )
    unknowns.finish()


def _namespacedefault_deny_authz(args: StackValidationArgs, report: ReportViolation) -> None:
    _namespace_default_deny(
        args,
        report,
        AUTHORIZATION_POLICY_TYPES,
        default_deny_authz,
        "add an Istio AuthorizationPolicy 'deny-all' in namespace '{ns}' with an empty spec "
        "(no selector, no rules), then allow specific callers with narrower ALLOW policies.",
        "Istio AuthorizationPolicy",
    )


def _namespace_default_deny_netpol(args: StackValidationArgs, report: ReportViolation) -> None:
    _namespace_default_deny(
        args,
        report,
        frozenset({NETWORK_POLICY}),
        _default_deny_netpol,
        "add a NetworkPolicy 'default-deny' in namespace '{ns}' with podSelector {{}} and "
        "policyTypes [Ingress, Egress] and no ingress/egress rules.",
        "NetworkPolicy",
    )


def _namespace_resource_limits(args: StackValidationArgs, report: ReportViolation) -> None:
    for kind, fix in (
        (
            RESOURCE_QUOTA,
            "add a ResourceQuota in namespace '{ns}' capping requests/limits of CPU and memory "
            "and the object counts (pods, services, persistentvolumeclaims).",
        ),
        (
            LIMIT_RANGE,
            "add a LimitRange in namespace '{ns}' with default requests and limits for "
            "containers, so pods without them are admitted under the quota.",
        ),
    ):
        _namespace_has(
            args, report, frozenset({kind}), lambda _: True, fix, kind.rsplit(":", 1)[-1]
        )


# --------------------------------------------------------------------------------------------
# Namespace labels: Pod Security admission and sidecar injection
# --------------------------------------------------------------------------------------------
PSS_ENFORCE = "pod-security.kubernetes.io/enforce"


def _tenant_namespace_labels(args: ResourceValidationArgs) -> tuple[str, Mapping[str, Any]] | None:
    """(name, labels) of a Namespace the policy applies to; None for other types and for
    system or exempt namespaces (an auto-named namespace goes by its resource name)."""
    if args.resource_type != NAMESPACE:
        return None
    name = str(get(args.props, "metadata", "name") or args.name)
    exempt = set(SYSTEM_NAMESPACES) | {str(n) for n in config(args, "exemptNamespaces", [])}
    if name in exempt:
        return None
    labels = get(args.props, "metadata", "labels", default={})
    return name, labels if isinstance(labels, Mapping) else {}


def _pss_level(labels: Mapping[str, Any]) -> Any:
    return labels[PSS_ENFORCE] if PSS_ENFORCE in list(labels) else None


def _pod_security_enforced(args: ResourceValidationArgs, report: ReportViolation) -> None:
    found = _tenant_namespace_labels(args)
    if found is None:
        return
    name, labels = found
    level = _pss_level(labels)
    if level not in ("baseline", "restricted"):
        shown = "has no" if level is None else f"has '{level}' as its"
        report(
            f"Namespace '{name}' ({label(args.resource_type, args.name)}) {shown} "
            f"'{PSS_ENFORCE}' level, so privileged pods (host namespaces, hostPath, added "
            f"capabilities) are admitted. Fix: label it {PSS_ENFORCE}=restricted (needs the "
            "Istio CNI node agent for sidecars), or list a platform namespace that must run "
            "privileged agents in exemptNamespaces.",
            None,
        )


def _pod_security_restricted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    found = _tenant_namespace_labels(args)
    if found is None:
        return
    name, labels = found
    level = _pss_level(labels)
    if level == "baseline":
        report(
            f"Namespace '{name}' ({label(args.resource_type, args.name)}) enforces the baseline "
            "Pod Security level: pods may run as root and keep default capabilities. Fix: label "
            f"it {PSS_ENFORCE}=restricted once its workloads run as non-root with "
            "capabilities dropped and a RuntimeDefault seccomp profile.",
            None,
        )


def _sidecar_injection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    found = _tenant_namespace_labels(args)
    if found is None:
        return
    name, labels = found
    keys = list(labels)
    injection = labels["istio-injection"] if "istio-injection" in keys else None
    revision = labels["istio.io/rev"] if "istio.io/rev" in keys else None
    ambient = "istio.io/dataplane-mode" in keys and labels["istio.io/dataplane-mode"] == "ambient"
    # istio-injection wins over istio.io/rev when both are set (Istio's injection webhooks).
    enrolled = injection == "enabled" or (injection is None and bool(revision)) or ambient
    if not enrolled:
        report(
            f"Namespace '{name}' ({label(args.resource_type, args.name)}) is not in the mesh "
            f"(istio-injection={injection!r}, istio.io/rev={revision!r}): its pods get no "
            "mTLS identity and bypass the mesh's authorization policies. Fix: label it "
            "istio-injection=enabled (or istio.io/rev=<revision>), or list it in "
            "exemptNamespaces if it is a platform namespace outside the mesh.",
            None,
        )


# --------------------------------------------------------------------------------------------
# Isolated namespaces (PCI-DSS): only the listed callers get in
# --------------------------------------------------------------------------------------------
_PRINCIPAL = re.compile(r"^(?:[^/]+/)?ns/([^/]+)/sa/[^/]+$")
_NAMESPACE_LABEL = "kubernetes.io/metadata.name"


def _allowed_callers(args: ResourceValidationArgs) -> tuple[str, set[str]] | None:
    """(namespace, allowed caller namespaces) when the object lives in an isolated namespace."""
    callers = config(args, "allowedCallers", {})
    if not isinstance(callers, Mapping) or not callers:
        return None
    namespace = get(args.props, "metadata", "namespace")
    if namespace not in list(callers):
        return None
    # Workloads of the namespace itself may always call each other.
    return str(namespace), {str(c) for c in as_list(callers[namespace])} | {str(namespace)}


def _authz_source_problems(source: Any, allowed: set[str]) -> list[str]:
    problems: list[str] = []
    for key in ("notPrincipals", "notNamespaces", "ipBlocks", "remoteIpBlocks", "notIpBlocks"):
        if get(source, key):
            problems.append(f"source.{key} admits callers by exclusion or address")
    principals = [str(p) for p in as_list(get(source, "principals"))]
    namespaces = [str(n) for n in as_list(get(source, "namespaces"))]
    for principal in principals:
        match = _PRINCIPAL.match(principal)
        if match is None or match.group(1) not in allowed:
            problems.append(f"principal '{principal}' is not an allowed caller")
    for namespace in namespaces:
        if namespace not in allowed:
            problems.append(f"namespace '{namespace}' is not an allowed caller")
    if not principals and not namespaces:
        problems.append("a source without principals or namespaces admits any workload")
    return problems


def _authz_caller_problems(args: ResourceValidationArgs, allowed: set[str]) -> list[str]:
    spec = get(args.props, "spec", default={})
    if str(get(spec, "action", default="ALLOW")).upper() != "ALLOW":
        return []
    problems: list[str] = []
    for index, rule in enumerate(as_list(get(spec, "rules"))):
        sources = as_list(get(rule, "from"))
        if not sources:
            problems.append(f"rules[{index}] has no `from`, so it admits every caller")
        for source in sources:
            problems += [
                f"rules[{index}]: {p}"
                for p in _authz_source_problems(get(source, "source"), allowed)
            ]
    return problems


def _netpol_peer_problem(peer: Any, allowed: set[str]) -> str:
    if get(peer, "ipBlock"):
        return "an ipBlock peer admits addresses, not workloads"
    selector = get(peer, "namespaceSelector")
    if selector is None:
        return ""  # pods of the same namespace
    if get(selector, "matchExpressions"):
        return "a namespaceSelector with matchExpressions cannot be checked against the callers"
    name = get(selector, "matchLabels", _NAMESPACE_LABEL)
    if name is None:
        return "a namespaceSelector without kubernetes.io/metadata.name admits any namespace"
    return "" if name in allowed else f"namespace '{name}' is not an allowed caller"


def _scrape_only_callers(args: ResourceValidationArgs, rule: Any) -> set[str]:
    """The metrics scrapers' namespaces (config metricsScrapers: namespace -> ports) that this
    NetworkPolicy ingress rule may admit: those whose ports cover every port of the rule, so a
    scraper reaches the merged metrics port and nothing else."""
    scrapers = config(args, "metricsScrapers", {})
    if not isinstance(scrapers, Mapping):
        return set()
    ports = [get(p, "port") for p in as_list(get(rule, "ports"))]
    if not ports or any(p is None for p in ports):
        return set()  # a rule without ports admits every port
    return {
        str(namespace)
        for namespace, allowed_ports in scrapers.items()
        if all(int(p) in {int(a) for a in as_list(allowed_ports)} for p in ports)
    }


def _netpol_caller_problems(args: ResourceValidationArgs, allowed: set[str]) -> list[str]:
    problems: list[str] = []
    for index, rule in enumerate(as_list(get(args.props, "spec", "ingress"))):
        peers = as_list(get(rule, "from"))
        if not peers:
            problems.append(f"ingress[{index}] has no `from`, so it admits every source")
        admitted = allowed | _scrape_only_callers(args, rule)
        for peer in peers:
            problem = _netpol_peer_problem(peer, admitted)
            if problem:
                problems.append(f"ingress[{index}]: {problem}")
    return problems


def _namespace_allowed_callers(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type in AUTHORIZATION_POLICY_TYPES:
        check = _authz_caller_problems
    elif args.resource_type == NETWORK_POLICY:
        check = _netpol_caller_problems
    else:
        return
    found = _allowed_callers(args)
    if found is None:
        return
    namespace, allowed = found
    problems = check(args, allowed)
    if problems:
        report(
            f"{label(args.resource_type, args.name)} in isolated namespace '{namespace}' "
            f"(allowed callers: {sorted(allowed)}): {'; '.join(problems)}. Fix: admit only "
            "the allowed callers' service accounts (principals cluster.local/ns/<ns>/sa/<sa>) "
            "and namespaces (namespaceSelector matchLabels kubernetes.io/metadata.name), or "
            "change allowedCallers in the policy config after review.",
            None,
        )


_NAMESPACE_CONFIG = PolicyConfigSchema(
    properties={"exemptNamespaces": {**STRING_LIST, "default": []}}
)


POLICIES: list[Policy] = [
    # istio
    stack_policy(
        "namespace-default-deny-authz",
        "Every tenant namespace has a default-deny Istio AuthorizationPolicy (empty spec).",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=SEGMENTATION,
        types=(type_tokens.K8S_NAMESPACE,),
        validate=_namespacedefault_deny_authz,
        config_schema=_NAMESPACE_CONFIG,
    ),
    resource_policy(
        "namespace-sidecar-injection",
        "Every tenant namespace is in the mesh: istio-injection = enabled, or an istio.io/rev "
        "revision label (or ambient mode), unless listed in exemptNamespaces.",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=MUTUAL_TLS,
        validate=_sidecar_injection,
        config_schema=_NAMESPACE_CONFIG,
    ),
    resource_policy(
        "namespace-allowed-callers",
        "Isolated namespaces (config allowedCallers, e.g. payment per PCI-DSS) admit only their "
        "listed caller namespaces: every ALLOW AuthorizationPolicy rule and NetworkPolicy "
        "ingress rule there names only those callers' service accounts or namespaces (or a "
        "metrics scraper of config metricsScrapers, on its metrics ports only).",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=SEGMENTATION | LEAST_PRIVILEGE,
        validate=_namespace_allowed_callers,
        config_schema=PolicyConfigSchema(
            properties={
                "allowedCallers": {
                    "type": "object",
                    "additionalProperties": STRING_LIST,
                    "default": {},
                    "description": "namespace -> the namespaces whose workloads may call it",
                },
                "metricsScrapers": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "integer"}},
                    "default": {},
                    "description": "namespace -> the only ports its scraper may reach in an "
                    "isolated namespace (NetworkPolicy rules admitting no other port)",
                },
            }
        ),
    ),
    # kubernetes
    stack_policy(
        "namespace-default-deny-netpol",
        "Every tenant namespace has a default-deny NetworkPolicy (podSelector {}, Ingress and "
        "Egress, no rules).",
        concern=CONCERN,
        service="kubernetes",
        severity=Severity.HIGH,
        controls=SEGMENTATION,
        types=(type_tokens.K8S_NAMESPACE,),
        validate=_namespace_default_deny_netpol,
        config_schema=_NAMESPACE_CONFIG,
    ),
    stack_policy(
        "namespace-resource-limits",
        "Every tenant namespace has a ResourceQuota and a LimitRange, so one tenant cannot "
        "starve the others (or the node) of CPU, memory and object counts.",
        concern=CONCERN,
        service="kubernetes",
        severity=Severity.MEDIUM,
        controls=CAPACITY,
        types=(type_tokens.K8S_NAMESPACE,),
        validate=_namespace_resource_limits,
        config_schema=_NAMESPACE_CONFIG,
    ),
    resource_policy(
        "namespace-pod-security",
        "Every tenant namespace enforces a Pod Security Standard "
        "(pod-security.kubernetes.io/enforce = restricted or baseline, never privileged or "
        "unset); platform namespaces that run privileged agents are listed in exemptNamespaces.",
        concern=CONCERN,
        service="kubernetes",
        severity=Severity.HIGH,
        controls=HARDENED_CONFIG,
        validate=_pod_security_enforced,
        config_schema=_NAMESPACE_CONFIG,
    ),
    resource_policy(
        "namespace-pod-security-restricted",
        "Advice: tenant namespaces enforce the restricted Pod Security Standard, not baseline.",
        concern=CONCERN,
        service="kubernetes",
        severity=Severity.MEDIUM,
        controls=HARDENED_CONFIG,
        enforcement=EnforcementLevel.ADVISORY,
        validate=_pod_security_restricted,
        config_schema=_NAMESPACE_CONFIG,
    ),
]
