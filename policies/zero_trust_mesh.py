"""Zero-trust policies, mesh: every workload is authenticated and denied by default.

Istio: PeerAuthentication never downgrades mTLS, a mesh-wide STRICT policy exists, no
AuthorizationPolicy allows everything. Kubernetes: every tenant namespace has a default-deny
AuthorizationPolicy and NetworkPolicy.

Kubernetes objects arrive as the engine sends them (``kubernetes:<group>/<version>:<Kind>`` with
``metadata``/``spec`` inputs; CustomResources the same way). Stack policies tie a policy to its
namespace by ``metadata.namespace`` or by a dependency on the Namespace resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .support import (
    UnknownCollector,
    as_list,
    config,
    get,
    is_empty,
    label,
    linked_urns,
    make_policy,
)

CONCERN = "zero-trust"

_resource_policy = partial(make_policy, ResourceValidationPolicy, tags=[CONCERN])
_stack_policy = partial(make_policy, StackValidationPolicy, tags=[CONCERN])

# Resource type tokens (pulumi-aws 7, pulumi-kubernetes 4)
EKS_CLUSTER = "aws:eks/cluster:Cluster"
PEER_AUTHENTICATION_TYPES = frozenset(
    {
        "kubernetes:security.istio.io/v1:PeerAuthentication",
        "kubernetes:security.istio.io/v1beta1:PeerAuthentication",
    }
)
AUTHORIZATION_POLICY_TYPES = frozenset(
    {
        "kubernetes:security.istio.io/v1:AuthorizationPolicy",
        "kubernetes:security.istio.io/v1beta1:AuthorizationPolicy",
    }
)
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "istio-system")
_STRING_LIST = {"type": "array", "items": {"type": "string"}}

# --------------------------------------------------------------------------------------------
# Istio mesh and Kubernetes network policy
# --------------------------------------------------------------------------------------------


_WEAK_MTLS = ("PERMISSIVE", "DISABLE")


def _peer_auth_strict(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in PEER_AUTHENTICATION_TYPES:
        return
    where = label(args.resource_type, args.name)
    mode = get(args.props, "spec", "mtls", "mode")
    if isinstance(mode, str) and mode.upper() in _WEAK_MTLS:
        report(
            f"{where} sets mTLS mode {mode}, accepting plaintext traffic. Fix: set "
            "spec.mtls.mode to STRICT (or UNSET to inherit the mesh-wide STRICT policy).",
            None,
        )
        return
    root_namespace = str(config(args, "rootNamespace", "istio-system"))
    mesh_wide = get(args.props, "metadata", "namespace") == root_namespace and is_empty(
        get(args.props, "spec", "selector")
    )
    if mesh_wide and not (isinstance(mode, str) and mode.upper() == "STRICT"):
        report(
            f"{where} is the mesh-wide policy (namespace '{root_namespace}', no selector) but "
            f"its mode is {mode or 'not set'}, which inherits Istio's default PERMISSIVE. Fix: "
            "set spec.mtls.mode=STRICT.",
            None,
        )


def _peer_auth_port_exception(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in PEER_AUTHENTICATION_TYPES:
        return
    port_level = get(args.props, "spec", "portLevelMtls", default={})
    if not isinstance(port_level, Mapping):
        return
    for port in port_level:
        port_mode = get(port_level, port, "mode")
        if isinstance(port_mode, str) and port_mode.upper() in _WEAK_MTLS:
            report(
                f"{label(args.resource_type, args.name)} sets mTLS mode {port_mode} on port "
                f"{port}: that port of the selected workloads accepts plaintext. Fix: remove "
                "the port-level exception, or keep it only for a documented plaintext client "
                "(e.g. a scraper outside the mesh) and narrow it with an AuthorizationPolicy.",
                None,
            )


def _authz_no_allow_all(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in AUTHORIZATION_POLICY_TYPES:
        return
    action = str(get(args.props, "spec", "action", default="ALLOW")).upper()
    if action != "ALLOW":
        return
    for rule in as_list(get(args.props, "spec", "rules")):
        if is_empty(rule):
            report(
                f"{label(args.resource_type, args.name)} has an empty ALLOW rule, which "
                "allows every request and defeats default deny. Fix: give each rule a `from` "
                "(source principals or namespaces) and a `to` (methods, paths, ports).",
                None,
            )
            return


def _k8s_namespace_of(resource: PolicyResource) -> Any:
    return get(resource.props, "metadata", "namespace")


def _namespace_name(resource: PolicyResource) -> Any:
    return get(resource.props, "metadata", "name")


def _in_namespace(policy: PolicyResource, namespace: PolicyResource, name: Any) -> bool | None:
    """True/False when decidable, None when the policy's namespace is unknown."""
    if namespace.urn in linked_urns(policy, "metadata"):
        return True
    collector = UnknownCollector()
    value = collector.call(lambda: _k8s_namespace_of(policy))
    if collector.error is not None:
        return None
    return value is not None and value == name


def _mesh_strict_peer_auth(resource: PolicyResource, root_namespace: str) -> bool:
    props = resource.props
    mode = get(props, "spec", "mtls", "mode")
    return (
        resource.resource_type in PEER_AUTHENTICATION_TYPES
        and _k8s_namespace_of(resource) == root_namespace
        and is_empty(get(props, "spec", "selector"))
        and isinstance(mode, str)
        and mode.upper() == "STRICT"
    )


def _clusters_reached(
    start: PolicyResource | None, by_urn: Mapping[str, PolicyResource], depth: int = 3
) -> set[str]:
    """EKS cluster URNs a (provider) resource depends on, directly or transitively."""
    found: set[str] = set()
    frontier = [start] if start is not None else []
    seen: set[str] = set()
    for _ in range(depth):
        next_frontier: list[PolicyResource] = []
        for node in frontier:
            deps = list(node.dependencies)
            for values in node.property_dependencies.values():
                deps.extend(values)
            for dep in deps:
                if dep.urn in seen:
                    continue
                seen.add(dep.urn)
                if dep.resource_type == EKS_CLUSTER:
                    found.add(dep.urn)
                else:
                    next_frontier.append(by_urn.get(dep.urn, dep))
        frontier = next_frontier
    return found


def _installs(props: Any, chart: str) -> bool:
    """Whether a Helm Release's inputs install ``chart`` (``istiod``, ``istio/istiod``,
    ``oci://.../istiod``, ``.../istiod-1.24.0.tgz``)."""
    value = get(props, "chart")
    return isinstance(value, str) and bool(
        re.search(rf"(^|/){re.escape(chart)}(-\d[\w.+-]*)?(\.tgz)?$", value.strip())
    )


def _provider_urn(resource: PolicyResource) -> str | None:
    return resource.provider.urn if resource.provider is not None else None


def _mesh_root_policy(
    args: StackValidationArgs,
    report: ReportViolation,
    matches: Callable[[PolicyResource, str], bool],
    candidate_types: frozenset[str],
    missing: str,
    fix: str,
) -> None:
    """Every EKS cluster (not exempt) and every istiod Release has a mesh-root policy for
    which ``matches(resource, root_namespace)`` holds, created through a Kubernetes provider
    of that cluster (for a Release: the Release's own provider)."""
    exempt = {str(n) for n in config(args, "exemptClusters", [])}
    clusters = [
        r for r in args.resources if r.resource_type == EKS_CLUSTER and r.name not in exempt
    ]
    unknowns = UnknownCollector()
    meshes = [
        r
        for r in args.resources
        if r.resource_type == HELM_RELEASE
        and unknowns.call(lambda r=r: _installs(r.props, "istiod")) is not False
    ]
    if not clusters and not meshes:
        unknowns.finish()
        return
    root_namespace = str(config(args, "rootNamespace", "istio-system"))
    by_urn = {r.urn: r for r in args.resources}
    covered: set[str] = set()
    providers: set[str | None] = set()
    for resource in args.resources:
        if resource.resource_type not in candidate_types:
            continue
        if not unknowns.call(lambda resource=resource: matches(resource, root_namespace)):
            continue
        provider_urn = _provider_urn(resource)
        providers.add(provider_urn)
        provider = by_urn.get(provider_urn) if provider_urn is not None else None
        reached = _clusters_reached(provider, by_urn)
        covered |= reached if reached else {c.urn for c in clusters}
    targets = [c for c in clusters if c.urn not in covered] + [
        m
        for m in meshes
        if None not in providers
        and _provider_urn(m) is not None
        and _provider_urn(m) not in providers
    ]
    for target in targets:
        if unknowns.error is not None:
            break  # an unknown candidate may be the mesh-wide one
        kind = "cluster's" if target.resource_type == EKS_CLUSTER else "Release's"
        report(
            f"{label(target.resource_type, target.name)} has no {missing}. Fix: {fix} in "
            f"namespace '{root_namespace}', using this {kind} Kubernetes provider.",
            target.urn,
        )
    unknowns.finish()


def _mesh_strict_mtls(args: StackValidationArgs, report: ReportViolation) -> None:
    _mesh_root_policy(
        args,
        report,
        _mesh_strict_peer_auth,
        PEER_AUTHENTICATION_TYPES,
        "mesh-wide STRICT mTLS policy",
        "create a PeerAuthentication named 'default' with spec.mtls.mode=STRICT and no selector",
    )


def _mesh_default_deny(args: StackValidationArgs, report: ReportViolation) -> None:
    def matches(resource: PolicyResource, root_namespace: str) -> bool:
        return _k8s_namespace_of(resource) == root_namespace and _default_deny_authz(resource)

    _mesh_root_policy(
        args,
        report,
        matches,
        AUTHORIZATION_POLICY_TYPES,
        "mesh-wide default-deny AuthorizationPolicy",
        "create an AuthorizationPolicy 'deny-all' with an empty spec (no selector, no rules; "
        "ALLOW with nothing allowed denies everything), then allow probes, the gateway and "
        "each caller with narrower ALLOW policies",
    )


def _outbound_registry_only(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != HELM_RELEASE or not _installs(args.props, "istiod"):
        return
    mode = get(args.props, "values", "meshConfig", "outboundTrafficPolicy", "mode")
    if mode != "REGISTRY_ONLY":
        shown = "not set (Istio's default is ALLOW_ANY)" if mode is None else f"'{mode}'"
        files = (
            " (the pack cannot read valueYamlFiles)" if get(args.props, "valueYamlFiles") else ""
        )
        report(
            f"{label(args.resource_type, args.name)}: istiod values "
            f"meshConfig.outboundTrafficPolicy.mode is {shown}{files}, so a compromised pod can "
            "reach any host outside the mesh. Fix: set values.meshConfig.outboundTrafficPolicy"
            ".mode='REGISTRY_ONLY' and declare the external hosts workloads need as "
            "ServiceEntries.",
            None,
        )


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


def _default_deny_authz(resource: PolicyResource) -> bool:
    spec = get(resource.props, "spec")
    if is_empty(spec):
        return True
    action = str(get(spec, "action", default="ALLOW")).upper()
    return (
        action == "ALLOW"
        and is_empty(get(spec, "rules"))
        and is_empty(get(spec, "selector"))
        and is_empty(get(spec, "targetRef"))
        and is_empty(get(spec, "targetRefs"))
    )


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
                verdict = unknowns.call(lambda candidate=candidate: is_default_deny(candidate))
                if verdict:
                    found = True
                    break
                if verdict is None:
                    undecided = True
            if found or undecided:
                continue
            report(
                f"Namespace '{name}' ({namespace.name}) has no default-deny {what}. "
                f"Fix: {fix.format(ns=name)}",
                namespace.urn,
            )
    unknowns.finish()


def _namespace_default_deny_authz(args: StackValidationArgs, report: ReportViolation) -> None:
    _namespace_default_deny(
        args,
        report,
        AUTHORIZATION_POLICY_TYPES,
        _default_deny_authz,
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


# --------------------------------------------------------------------------------------------
# Namespace labels: Pod Security admission and sidecar injection
# --------------------------------------------------------------------------------------------
PSS_ENFORCE = "pod-security.kubernetes.io/enforce"
PSS_LEVELS = ("privileged", "baseline", "restricted")


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


_NAMESPACE_CONFIG = PolicyConfigSchema(
    properties={"exemptNamespaces": {**_STRING_LIST, "default": []}}
)
_MESH_CONFIG = PolicyConfigSchema(
    properties={
        "rootNamespace": {"type": "string", "default": "istio-system"},
        "exemptClusters": {**_STRING_LIST, "default": []},
    }
)

POLICIES: list[Policy] = [
    _resource_policy(
        "istio-peer-auth-strict",
        "Istio PeerAuthentication policies never downgrade mTLS to PERMISSIVE or DISABLE, and "
        "the mesh-wide one (root namespace, no selector) says STRICT explicitly.",
        _peer_auth_strict,
        Severity.HIGH,
        PolicyConfigSchema(
            properties={"rootNamespace": {"type": "string", "default": "istio-system"}}
        ),
    ),
    _resource_policy(
        "istio-authz-no-allow-all",
        "Istio AuthorizationPolicies have no empty ALLOW rule (which allows everything).",
        _authz_no_allow_all,
        Severity.HIGH,
    ),
    _resource_policy(
        "istio-peer-auth-port-exception",
        "Advice: PeerAuthentication port-level exceptions (portLevelMtls PERMISSIVE or DISABLE) "
        "are flagged for review; each must serve a documented plaintext client.",
        _peer_auth_port_exception,
        Severity.MEDIUM,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    _stack_policy(
        "istio-mesh-strict-mtls",
        "Every EKS cluster and every istiod Helm release has a mesh-wide STRICT Istio "
        "PeerAuthentication (root namespace istio-system, no selector).",
        _mesh_strict_mtls,
        Severity.HIGH,
        _MESH_CONFIG,
    ),
    _stack_policy(
        "istio-mesh-default-deny",
        "Every EKS cluster and every istiod Helm release has a mesh-wide default-deny "
        "AuthorizationPolicy (root namespace, empty spec: nothing is allowed unless a narrower "
        "policy allows it).",
        _mesh_default_deny,
        Severity.HIGH,
        _MESH_CONFIG,
    ),
    _resource_policy(
        "istio-outbound-registry-only",
        "istiod Helm releases set values.meshConfig.outboundTrafficPolicy.mode = REGISTRY_ONLY, "
        "so workloads reach only hosts declared as ServiceEntries.",
        _outbound_registry_only,
        Severity.HIGH,
    ),
    _stack_policy(
        "namespace-default-deny-authz",
        "Every tenant namespace has a default-deny Istio AuthorizationPolicy (empty spec).",
        _namespace_default_deny_authz,
        Severity.HIGH,
        _NAMESPACE_CONFIG,
    ),
    _stack_policy(
        "namespace-default-deny-netpol",
        "Every tenant namespace has a default-deny NetworkPolicy (podSelector {}, Ingress and "
        "Egress, no rules).",
        _namespace_default_deny_netpol,
        Severity.HIGH,
        _NAMESPACE_CONFIG,
    ),
    _resource_policy(
        "namespace-pod-security",
        "Every tenant namespace enforces a Pod Security Standard "
        "(pod-security.kubernetes.io/enforce = restricted or baseline, never privileged or "
        "unset); platform namespaces that run privileged agents are listed in exemptNamespaces.",
        _pod_security_enforced,
        Severity.HIGH,
        _NAMESPACE_CONFIG,
    ),
    _resource_policy(
        "namespace-pod-security-restricted",
        "Advice: tenant namespaces enforce the restricted Pod Security Standard, not baseline.",
        _pod_security_restricted,
        Severity.MEDIUM,
        _NAMESPACE_CONFIG,
        EnforcementLevel.ADVISORY,
    ),
    _resource_policy(
        "namespace-sidecar-injection",
        "Every tenant namespace is in the mesh: istio-injection = enabled, or an istio.io/rev "
        "revision label (or ambient mode), unless listed in exemptNamespaces.",
        _sidecar_injection,
        Severity.HIGH,
        _NAMESPACE_CONFIG,
    ),
]
