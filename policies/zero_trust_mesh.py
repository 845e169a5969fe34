"""Zero-trust policies, mesh: every workload is authenticated and denied by default.

Istio: PeerAuthentication never downgrades mTLS, every mesh (EKS cluster or istiod release) has
a mesh-wide STRICT PeerAuthentication and a mesh-wide default-deny AuthorizationPolicy, no
AuthorizationPolicy allows everything, istiod keeps egress to registered hosts
(REGISTRY_ONLY); Envoy rate limits are keyed only on what the gateway sets (not a
client-chosen header); internet-facing load balancers that Kubernetes creates (the gateway's)
carry an explicit security group; a Gateway server whose client CA is an AWS Private CA (the
partner API) demands client certificates (MUTUAL); the GraphQL router behind the gateways keeps
introspection off where the environment's pack config does not allow it. Per-namespace rules are
in ``zero_trust_namespaces``.

Stack policies tie a mesh-wide policy to its cluster through the Kubernetes provider it was
created with (the provider depends on the cluster's outputs).
"""

from __future__ import annotations

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
    AUTHENTICATION,
    CAPACITY,
    EGRESS_CONTROL,
    HARDENED_CONFIG,
    LEAST_PRIVILEGE,
    MUTUAL_TLS,
    NETWORK_BOUNDARY,
    SEGMENTATION,
)
from .declare import resource_policy, stack_policy
from .istio_objects import headers_removed_early
from .kubernetes_objects import (
    AUTHORIZATION_POLICY_TYPES,
    EKS_CLUSTER,
    HELM_RELEASE,
    PEER_AUTHENTICATION_TYPES,
    SERVICE,
    STRING_LIST,
    default_deny_authz,
    installs,
    k8s_namespace_of,
)
from .support import (
    UnknownCollector,
    as_bool,
    as_list,
    config,
    get,
    is_empty,
    is_unknown,
    is_world_cidr,
    label,
    pget,
    plain,
)

CONCERN = "zero-trust"


# --------------------------------------------------------------------------------------------
# PeerAuthentication and AuthorizationPolicy objects
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


def _mesh_strict_peer_auth(resource: PolicyResource, root_namespace: str) -> bool:
    props = resource.props
    mode = get(props, "spec", "mtls", "mode")
    return (
        resource.resource_type in PEER_AUTHENTICATION_TYPES
        and k8s_namespace_of(resource) == root_namespace
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
        and unknowns.call(lambda r=r: installs(r.props, "istiod")) is not False
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
        return k8s_namespace_of(resource) == root_namespace and default_deny_authz(resource)

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
    if args.resource_type != HELM_RELEASE or not installs(args.props, "istiod"):
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


# --------------------------------------------------------------------------------------------
# Internet-facing load balancers that Kubernetes creates (Service objects, the gateway chart)
# --------------------------------------------------------------------------------------------
_LBC = "service.beta.kubernetes.io/aws-load-balancer"


def _annotation(annotations: Mapping[str, Any], key: str) -> Any:
    return annotations[key] if key in list(annotations) else None


def _internet_facing(annotations: Mapping[str, Any], lb_class: Any) -> bool:
    scheme = _annotation(annotations, f"{_LBC}-scheme")
    if scheme is not None:
        return scheme == "internet-facing"
    if as_bool(_annotation(annotations, f"{_LBC}-internal")):
        return False
    # The AWS Load Balancer Controller defaults to an internal scheme; the legacy in-tree
    # controller (no type annotation, no class) creates an internet-facing load balancer.
    by_controller = _annotation(annotations, f"{_LBC}-type") in ("external", "nlb-ip") or str(
        lb_class or ""
    ).startswith("service.k8s.aws/")
    return not by_controller


def _lb_source_problem(service_type: Any, annotations: Any, lb_class: Any, ranges: Any) -> str:
    """Why an internet-facing LoadBalancer Service is open to the whole internet ("" if not)."""
    if service_type != "LoadBalancer":
        return ""
    annotations = annotations if isinstance(annotations, Mapping) else {}
    if not _internet_facing(annotations, lb_class):
        return ""
    if f"{_LBC}-security-groups" in list(annotations):
        return ""  # the named group is what sg-no-public-ingress checks
    sources = [str(r) for r in as_list(ranges)] or [
        r.strip()
        for r in str(
            _annotation(annotations, "service.beta.kubernetes.io/load-balancer-source-ranges") or ""
        ).split(",")
        if r.strip()
    ]
    if not sources or any(is_world_cidr(r) for r in sources):
        return (
            "is an internet-facing load balancer whose security group the controller creates "
            "open to 0.0.0.0/0 (no aws-load-balancer-security-groups annotation, no "
            "loadBalancerSourceRanges), so clients can bypass the edge"
        )
    return ""


def _lb_service_restricted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == SERVICE:
        props = args.props
        problem = _lb_source_problem(
            get(props, "spec", "type"),
            get(props, "metadata", "annotations"),
            get(props, "spec", "loadBalancerClass"),
            get(props, "spec", "loadBalancerSourceRanges"),
        )
        where = label(args.resource_type, args.name)
    elif args.resource_type == HELM_RELEASE and installs(args.props, "gateway"):
        service = get(args.props, "values", "service", default={})
        problem = _lb_source_problem(
            get(service, "type", default="LoadBalancer"),  # the gateway chart's default
            get(service, "annotations"),
            get(service, "loadBalancerClass"),
            get(service, "loadBalancerSourceRanges"),
        )
        where = f"{label(args.resource_type, args.name)} (values.service)"
    else:
        return
    if problem:
        report(
            f"{where} {problem}. Fix: set the annotation {_LBC}-security-groups to the edge "
            "security group (tag exposure=edge, admitting only the CDN's ranges on 443), or "
            "list the CDN's ranges in loadBalancerSourceRanges.",
            None,
        )


_MESH_CONFIG = PolicyConfigSchema(
    properties={
        "rootNamespace": {"type": "string", "default": "istio-system"},
        "exemptClusters": {**STRING_LIST, "default": []},
    }
)


GLOBAL_RATE_LIMIT = "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit"
LOCAL_RATE_LIMIT = (
    "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
)


def _inserted_filters(props: Any) -> list[tuple[str, Any]]:
    """(typed_config @type, typed_config) of each HTTP filter an EnvoyFilter inserts."""
    out: list[tuple[str, Any]] = []
    for patch in as_list(get(props, "spec", "configPatches")):
        if get(patch, "applyTo") != "HTTP_FILTER":
            continue
        typed = get(patch, "patch", "value", "typed_config", default={})
        kind = get(typed, "@type")
        if isinstance(kind, str):
            out.append((kind, typed))
    return out


def _selector(props: Any) -> Any:
    return get(props, "spec", "workloadSelector", "labels")


def _rate_limit_fails_open_alone(args: StackValidationArgs, report: ReportViolation) -> None:
    """A global rate-limit filter that lets requests through when its service is unreachable
    (`failure_mode_deny` false, Envoy's default) leaves the workloads unprotected unless a local
    rate limit is inserted for the same workloads."""
    filters = [r for r in args.resources if r.resource_type == type_tokens.ISTIO_ENVOY_FILTER]
    local = [
        _selector(r.props)
        for r in filters
        if any(kind == LOCAL_RATE_LIMIT for kind, _ in _inserted_filters(r.props))
    ]
    for resource in filters:
        for kind, typed in _inserted_filters(resource.props):
            if kind != GLOBAL_RATE_LIMIT or as_bool(get(typed, "failure_mode_deny")) is True:
                continue
            if _selector(resource.props) in local:
                continue
            report(
                f"EnvoyFilter {label(resource.resource_type, resource.name)} inserts a global "
                "rate limit that fails open (failure_mode_deny false) and no EnvoyFilter of the "
                "stack inserts a local rate limit for the same workloads: while the rate-limit "
                "service is unreachable nothing is limited. Fix: add a LocalRateLimit token "
                "bucket for the same workloadSelector, or set failure_mode_deny: true.",
                resource.urn,
            )


# --------------------------------------------------------------------------------------------
# Rate limits keyed on what only the gateway sets
# --------------------------------------------------------------------------------------------


def _workloads(resource: PolicyResource) -> tuple[str, tuple[tuple[str, str], ...]]:
    """An EnvoyFilter's namespace and workload selector: a filter applies to those pods only."""
    labels = _selector(resource.props) or {}
    namespace = str(get(resource.props, "metadata", "namespace", default=""))
    return namespace, tuple(sorted((str(k), str(v)) for k, v in labels.items()))


def _rate_limit_actions(props: Any) -> list[Any]:
    """Every rate-limit action an EnvoyFilter merges into a route or a virtual host."""
    actions: list[Any] = []
    for patch in as_list(get(props, "spec", "configPatches")):
        value = get(patch, "patch", "value", default={})
        for limit in as_list(get(value, "route", "rate_limits")) + as_list(
            get(value, "rate_limits")
        ):
            actions += as_list(get(limit, "actions"))
    return actions


def _client_inputs(action: Any, trusted: set[str]) -> list[str]:
    """What a rate-limit action (config.route.v3.RateLimit.Action) reads that the client sets:
    a request header the gateway does not remove first (pseudo-headers such as `:method`
    describe the request the route matched and are left alone), or a query parameter."""
    headers = [get(action, "request_headers", "header_name")]
    headers += [get(m, "name") for m in as_list(get(action, "header_value_match", "headers"))]
    found = [
        f"request header {h}"
        for h in headers
        if isinstance(h, str) and not h.startswith(":") and h.lower() not in trusted
    ]
    parameter = get(action, "query_parameters", "query_parameter_name")
    if isinstance(parameter, str):
        found.append(f"query parameter {parameter}")
    if get(action, "query_parameter_value_match") is not None:
        found.append("a query parameter (query_parameter_value_match)")
    return found


def _rate_limit_keys_client_set(args: StackValidationArgs, report: ReportViolation) -> None:
    """A rate limit keyed on a value the client chooses holds no one to it: a fresh value per
    request escapes a per-key limit, someone else's exhausts theirs. Keys must be what the
    gateway sets (headers it removes from the client's request first, then writes from a
    validated token or certificate) or the client address."""
    filters = [r for r in args.resources if r.resource_type == type_tokens.ISTIO_ENVOY_FILTER]
    unknowns = UnknownCollector()
    trusted: dict[tuple[str, tuple[tuple[str, str], ...]], set[str]] = {}
    for resource in filters:
        with unknowns.guard():
            trusted.setdefault(_workloads(resource), set()).update(
                headers_removed_early(resource.props)
            )
    if unknowns.error is not None:
        unknowns.finish()  # which headers the gateway strips is not known yet
    for resource in filters:
        with unknowns.guard():
            gateway_set = trusted.get(_workloads(resource), set())
            read = sorted(
                {
                    x
                    for a in _rate_limit_actions(resource.props)
                    for x in _client_inputs(a, gateway_set)
                }
            )
            if read:
                report(
                    f"EnvoyFilter {label(resource.resource_type, resource.name)} keys a rate "
                    f"limit on {', '.join(read)}, which the client sets: a client sending a new "
                    "value per request escapes a per-key limit, and one sending another's value "
                    "exhausts theirs. Fix: key rate limits on a header the gateway removes from "
                    "the client's request first (a header mutation inserted first for the same "
                    "workloads) and then sets from the validated token or certificate, or on "
                    "remote_address.",
                    resource.urn,
                )
    unknowns.finish()


# --------------------------------------------------------------------------------------------
# The GraphQL router behind the gateways does not describe its schema
# --------------------------------------------------------------------------------------------
APOLLO_ROUTER_CHART = "router"
APOLLO_PUBLISHER = "apollographql"


def _router_introspection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Apollo Router's `supergraph.introspection` (Router v2 YAML configuration; off when absent),
    given to its chart as `router.configuration`."""
    if args.resource_type != type_tokens.HELM_RELEASE or not installs(
        args.props, APOLLO_ROUTER_CHART
    ):
        return
    if APOLLO_PUBLISHER not in str(get(args.props, "chart")) + str(
        get(args.props, "repositoryOpts", "repo")
    ):
        return
    if config(args, "allowIntrospection", False):
        return
    enabled = get(args.props, "values", "router", "configuration", "supergraph", "introspection")
    if enabled is True:
        report(
            f"{label(args.resource_type, args.name)} runs the Apollo Router with "
            "supergraph.introspection true: anyone who reaches /graphql can read the whole "
            "schema (architecture section 04: introspection off in prod). Fix: set "
            "router.configuration.supergraph.introspection to false.",
            None,
        )


# --------------------------------------------------------------------------------------------
# Gateways whose client CA is a private CA demand client certificates
# --------------------------------------------------------------------------------------------
_CLIENT_CA_SUFFIX = "-cacert"
"""Istio also reads a credential's client CA from the Secret `<credentialName>-cacert`
(istio/istio pilot/pkg/credentials/kube/secrets.go)."""


def _private_ca_secrets(args: StackValidationArgs) -> tuple[set[tuple[str, str]], bool]:
    """The (namespace, name) of each Secret built from an AWS Private CA (it depends on a
    CertificateAuthority or an issued Certificate of one), and whether some Secret's name is
    unknown (preview)."""
    found: set[tuple[str, str]] = set()
    unsure = False
    for resource in args.resources:
        if resource.resource_type != type_tokens.K8S_SECRET:
            continue
        deps = list(resource.dependencies)
        for values in resource.property_dependencies.values():
            deps.extend(values)
        if not any(d.resource_type in type_tokens.ACMPCA_TYPES for d in deps):
            continue
        props = plain(resource.props)
        name, namespace = pget(props, "metadata", "name"), pget(props, "metadata", "namespace")
        if is_unknown(name) or is_unknown(namespace):
            unsure = True
            continue
        found.add((namespace if isinstance(namespace, str) and namespace else "default", name))
    return found, unsure


def _private_ca_gateways_mutual(args: StackValidationArgs, report: ReportViolation) -> None:
    secrets, _ = _private_ca_secrets(args)
    if not secrets:
        return
    for resource in args.resources:
        if resource.resource_type != type_tokens.ISTIO_GATEWAY:
            continue
        props = plain(resource.props)
        namespace = pget(props, "metadata", "namespace")
        if is_unknown(namespace):
            continue
        namespace = namespace if isinstance(namespace, str) and namespace else "default"
        for server in as_list(pget(props, "spec", "servers")):
            credential = pget(server, "tls", "credentialName")
            mode = pget(server, "tls", "mode")
            if not isinstance(credential, str) or is_unknown(mode):
                continue
            named = {(namespace, credential), (namespace, credential + _CLIENT_CA_SUFFIX)}
            if not named & secrets or mode == "MUTUAL":
                continue
            report(
                f"Istio Gateway {resource.name} ({namespace}/{pget(props, 'metadata', 'name')}) "
                f"serves hosts {pget(server, 'hosts')} with tls.mode {mode or 'unset'} and the "
                f"credential {credential}, whose client CA is an AWS Private CA: clients are "
                "meant to prove themselves with its certificates, yet none is demanded. Fix: set "
                "tls.mode MUTUAL on that server.",
                resource.urn,
            )


POLICIES: list[Policy] = [
    # helm
    resource_policy(
        "graphql-router-introspection-off",
        "The Apollo Router's Helm release keeps GraphQL introspection off "
        "(router.configuration.supergraph.introspection not true), unless the environment's "
        "pack config allows it (allowIntrospection: dev and staging; never prod).",
        concern=CONCERN,
        service="helm",
        severity=Severity.MEDIUM,
        controls=HARDENED_CONFIG,
        validate=_router_introspection,
        config_schema=PolicyConfigSchema(
            properties={
                "allowIntrospection": {
                    "type": "boolean",
                    "default": False,
                    "description": "Environments whose router may answer introspection.",
                }
            }
        ),
        remediation="Set router.configuration.supergraph.introspection to false (the "
        "meridian:graphql.introspection setting).",
    ),
    stack_policy(
        "istio-gateway-private-ca-mutual-tls",
        "Every Istio Gateway server whose credential Secret is built from an AWS Private CA "
        "(the partner API's client CA) is tls.mode MUTUAL, whatever the edge, so a client "
        "without a certificate of that CA is refused in the TLS handshake.",
        concern=CONCERN,
        service=("istio", "acmpca"),
        severity=Severity.HIGH,
        controls=MUTUAL_TLS | AUTHENTICATION,
        types=(type_tokens.ISTIO_GATEWAY, type_tokens.K8S_SECRET),
        validate=_private_ca_gateways_mutual,
        remediation="Set servers[].tls.mode to MUTUAL on the Gateway server that names the "
        "private CA's credential.",
    ),
    stack_policy(
        "envoy-global-rate-limit-fails-open-with-local",
        "A global Envoy rate limit that fails open is accompanied by a local rate limit on the "
        "same workloads.",
        concern=CONCERN,
        service="istio",
        severity=Severity.MEDIUM,
        controls=CAPACITY,
        types=(type_tokens.ISTIO_ENVOY_FILTER,),
        validate=_rate_limit_fails_open_alone,
    ),
    stack_policy(
        "envoy-rate-limit-keys-gateway-set",
        "Envoy rate-limit actions of an EnvoyFilter read only what the client cannot choose: "
        "request headers a header mutation inserted first for the same workloads removes from "
        "the client's request (then set by the gateway from the validated token or "
        "certificate), pseudo-headers, or the client address; never another request header or "
        "a query parameter.",
        concern=CONCERN,
        service="istio",
        severity=Severity.MEDIUM,
        controls=CAPACITY | AUTHENTICATION,
        types=(type_tokens.ISTIO_ENVOY_FILTER,),
        validate=_rate_limit_keys_client_set,
        remediation="Key the limit on the gateway-set header (x-meridian-client-id for the API "
        "key, x-meridian-sub for the user) or on remote_address.",
    ),
    # istio
    resource_policy(
        "istio-peer-auth-strict",
        "Istio PeerAuthentication policies never downgrade mTLS to PERMISSIVE or DISABLE, and "
        "the mesh-wide one (root namespace, no selector) says STRICT explicitly.",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=MUTUAL_TLS,
        validate=_peer_auth_strict,
        config_schema=PolicyConfigSchema(
            properties={"rootNamespace": {"type": "string", "default": "istio-system"}}
        ),
    ),
    resource_policy(
        "istio-authz-no-allow-all",
        "Istio AuthorizationPolicies have no empty ALLOW rule (which allows everything).",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=SEGMENTATION | LEAST_PRIVILEGE,
        validate=_authz_no_allow_all,
    ),
    resource_policy(
        "istio-peer-auth-port-exception",
        "Advice: PeerAuthentication port-level exceptions (portLevelMtls PERMISSIVE or DISABLE) "
        "are flagged for review; each must serve a documented plaintext client.",
        concern=CONCERN,
        service="istio",
        severity=Severity.MEDIUM,
        controls=MUTUAL_TLS,
        enforcement=EnforcementLevel.ADVISORY,
        validate=_peer_auth_port_exception,
    ),
    stack_policy(
        "istio-mesh-strict-mtls",
        "Every EKS cluster and every istiod Helm release has a mesh-wide STRICT Istio "
        "PeerAuthentication (root namespace istio-system, no selector).",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=MUTUAL_TLS,
        types=(type_tokens.EKS_CLUSTER, type_tokens.HELM_RELEASE),
        validate=_mesh_strict_mtls,
        config_schema=_MESH_CONFIG,
    ),
    stack_policy(
        "istio-mesh-default-deny",
        "Every EKS cluster and every istiod Helm release has a mesh-wide default-deny "
        "AuthorizationPolicy (root namespace, empty spec: nothing is allowed unless a narrower "
        "policy allows it).",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=SEGMENTATION,
        types=(type_tokens.EKS_CLUSTER, type_tokens.HELM_RELEASE),
        validate=_mesh_default_deny,
        config_schema=_MESH_CONFIG,
    ),
    resource_policy(
        "istio-outbound-registry-only",
        "istiod Helm releases set values.meshConfig.outboundTrafficPolicy.mode = REGISTRY_ONLY, "
        "so workloads reach only hosts declared as ServiceEntries.",
        concern=CONCERN,
        service="istio",
        severity=Severity.HIGH,
        controls=EGRESS_CONTROL,
        validate=_outbound_registry_only,
    ),
    # kubernetes
    resource_policy(
        "lb-service-restricted-sources",
        "Internet-facing LoadBalancer Services (Service objects and the Istio gateway chart's "
        "values.service) attach an explicit security group (aws-load-balancer-security-groups) "
        "or restrict loadBalancerSourceRanges, instead of a controller-made group open to "
        "0.0.0.0/0.",
        concern=CONCERN,
        service=("kubernetes", "istio"),
        severity=Severity.CRITICAL,
        controls=NETWORK_BOUNDARY,
        validate=_lb_service_restricted,
    ),
]
