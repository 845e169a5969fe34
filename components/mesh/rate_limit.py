"""GlobalRateLimit: Envoy's global rate-limit service (envoyproxy/ratelimit) for one region's
ingress gateway, its own Valkey counter store, and the EnvoyFilters that make the gateway ask it.

Example::

    limits = GlobalRateLimit(
        "rate-limit",
        GlobalRateLimitArgs(
            names=names, scope=scope, kube=cluster.provider,
            random_provider=random.Provider("random-us-east-1"), vpc_id=vpc.id,
            vpc_cidr="10.0.0.0/16", subnet_ids=data_subnets, clients=[node_sg],
            store_kms_key_arn=db_key, image="docker.io/envoyproxy/ratelimit:aba2384d",
            domain="meridian-edge",
            limits=(
                Descriptor("users", "user", "x-meridian-sub", 1000),
                Descriptor("users", "api_key", "x-meridian-client-id", 1000,
                           values=(m2m_client.id,)),
            ),
            routes=("users",), replicas=3, rpc_timeout_ms=20, local_requests_per_second=5000,
            local_burst=10000, store_node_type="cache.r7g.large", store_replicas=2,
            store_engine_version="8.2",
            after=mesh.ready,
        ),
        opts=in_region,
    )

What it builds, and why:
- The store: a small Valkey replication group of its own (cluster mode off, Multi-AZ, automatic
  failover, TLS required, encrypted with the databases key). Not the regional cache: that one is
  a global datastore whose secondary regions are read-only, and the counters are per region.
  RBAC: the `default` user is off; one `ratelimit` user with a generated password may touch only
  `~ratelimit:*` keys (the service writes them with CACHE_KEY_PREFIX `ratelimit:`). The password
  is a Pulumi secret handed to the pod as a Kubernetes Secret (`REDIS_AUTH` = `user:password`,
  the form envoyproxy/ratelimit's Redis dialer splits on `:`), never as a literal in the pod
  spec; the service reads it only from its environment, and the cluster runs no Secrets
  Manager sync, so it is not kept in Secrets Manager (README, Known limits).
- The service: its own namespace (Pod Security `restricted`, sidecar injected), a Deployment
  running as non-root with a read-only root filesystem, probes on `/healthcheck`, the descriptor
  configuration from a ConfigMap; mTLS STRICT in the namespace, default-deny with one ALLOW for
  the ingress gateway's identity on the gRPC port, NetworkPolicies default-deny plus DNS, istiod,
  the store and the gateway; a ServiceEntry for the store (the mesh's egress is REGISTRY_ONLY).
- The gateway (EnvoyFilters in istio-ingress, bound to the ingress gateway's pods): the local
  rate limit (a token bucket per gateway pod, the fallback) then the global rate limit before the
  router; the global check fails open (`failure_mode_deny: false`) because the local bucket holds
  while the service is unreachable; rate-limited responses carry `X-RateLimit-*`
  (DRAFT_VERSION_03) and `Retry-After`. Each rate-limited route of the edge Gateway gets its
  descriptors as route `rate_limits` (the VirtualService http route's name is the Envoy route's);
  a descriptor with `values` (the API key: the validated token's client id, one value per
  machine client) is configured once per value and never value-less, so another value (a public
  client's id, shared by all its users) matches no limit of that key;
  each route of the partner Gateway gets the partner tiers' (tier and partner, from the header
  the gateway sets from the verified client certificate: components/partner/partner_access.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.common.kubernetes import (
    SMALL_CONTAINER_LIMITS,
    SMALL_CONTAINER_REQUESTS,
    custom_object,
    default_deny_network_policy,
    dns_egress,
    istiod_egress,
    metrics_scrape_ingress,
    namespace_limits,
    object_meta,
    small_workload_quota,
)
from components.common.naming import Names
from components.common.scope import AwsScope
from components.data.access import store_security_group

NAMESPACE = "rate-limit"
APP = "ratelimit"
SERVICE_ACCOUNT = "ratelimit"
GRPC_PORT = 8081
"""envoyproxy/ratelimit's gRPC port (settings.go GRPC_PORT, default 8081)."""
HTTP_PORT = 8080
"""Its HTTP port, serving `/healthcheck` (settings.go PORT, server_impl.go)."""
STORE_PORT = 6379
STORE_USER = "ratelimit"
KEY_PREFIX = "ratelimit:"
ID_MAX = 40
RUN_AS_USER = 65532
"""The image's user: distroless `static-debian12:nonroot` (uid 65532), the image's base."""
CONFIG_ROOT = "/data"
CONFIG_SUBDIRECTORY = "ratelimit"
CONFIG_DIRECTORY = "config"
AUTH_SECRET = "ratelimit-redis"
GATEWAY_NAMESPACE = "istio-ingress"
GATEWAY_LABELS = {"istio": "ingressgateway"}
GATEWAY_PRINCIPAL = f"cluster.local/ns/{GATEWAY_NAMESPACE}/sa/istio-ingressgateway"
GLOBAL_FILTER = "envoy.filters.http.ratelimit"
LOCAL_FILTER = "envoy.filters.http.local_ratelimit"
ROUTER_FILTER = "envoy.filters.http.router"
HCM = "envoy.filters.network.http_connection_manager"
GLOBAL_TYPE = "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit"
LOCAL_TYPE = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
RETRY_AFTER_SECONDS = 60
"""Every global limit is per minute: a client that waits a minute finds a fresh window (the
exact reset is in X-RateLimit-Reset)."""
ROUTE_KEY = "route"
TIER_KEY = "tier"
PARTNER_KEY = "partner"


@dataclass(frozen=True)
class Descriptor:
    """One limit: `requests_per_minute` per distinct value of `key` within `route` (a route of the
    edge Gateway, the Envoy route name). `header` is the request header the value comes from;
    None: the client address (Envoy's `remote_address` action, whose descriptor key is fixed)."""

    route: str
    key: str
    header: str | None
    requests_per_minute: int
    values: Sequence[pulumi.Input[str]] | None = None
    """None: the limit holds per any value. Otherwise the only values limited, each on its own
    (the rate-limit service's value-specific entries); a request with another value, or without
    the header, is not limited by this key."""

    def __post_init__(self) -> None:
        if self.requests_per_minute < 1:
            raise ValueError(f"{self.route}/{self.key}: a limit needs a positive rate")
        if self.header is None and self.key != "remote_address":
            raise ValueError(f"{self.route}/{self.key}: without a header the key is remote_address")
        if self.values is not None and (self.header is None or not self.values):
            raise ValueError(f"{self.route}/{self.key}: values need a header and at least one")


@dataclass(frozen=True)
class Tier:
    """A partner tier: `requests_per_minute` per partner whose identity (the partner header,
    set by the gateway from the verified client certificate's URI SAN) starts with
    `<partner_uri_prefix><name>:`."""

    name: str
    requests_per_minute: int


@dataclass(frozen=True)
class GlobalRateLimitArgs:
    names: Names
    scope: AwsScope
    kube: k8s.Provider
    random_provider: random.Provider
    """Generates the store user's password (no region: one per stack is enough)."""
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    """Where the store's nodes are (the data subnets): the pods' only egress beyond the mesh."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    clients: Sequence[pulumi.Input[str]]
    """Security groups the store admits (the nodes', which pods share)."""
    store_kms_key_arn: pulumi.Input[str]
    image: str
    domain: str
    limits: Sequence[Descriptor]
    routes: Sequence[str]
    """The edge Gateway's route names that exist (a limit for another route is refused)."""
    replicas: int
    rpc_timeout_ms: int
    local_requests_per_second: int
    local_burst: int
    store_node_type: str
    store_replicas: int
    store_engine_version: str
    tiers: Sequence[Tier] = ()
    partner_header: str = "x-meridian-partner"
    """The partner's identity as the gateway sets it (never the client's value)."""
    partner_uri_prefix: str = "urn:meridian:partner:"
    partner_gateway: str = "istio-ingress/partner"
    partner_routes: Sequence[str] = ()
    """The partner Gateway's route names; each gets the tiers' descriptors."""
    edge_gateway: str = "istio-ingress/edge"
    snapshot_retention_days: int = 1
    after: Sequence[pulumi.Resource] = field(default_factory=list[pulumi.Resource])

    def __post_init__(self) -> None:
        unknown = sorted({d.route for d in self.limits} - set(self.routes))
        if unknown:
            raise ValueError(f"rate limits for routes the edge Gateway does not serve: {unknown}")
        if self.local_burst < self.local_requests_per_second:
            raise ValueError("the local bucket must hold at least one second of its rate")
        if self.store_replicas < 1:
            raise ValueError("automatic failover needs at least one replica")
        if self.tiers and not self.partner_routes:
            raise ValueError("partner tiers need the partner Gateway's routes to attach to")


class GlobalRateLimit(pulumi.ComponentResource):
    """The rate-limit service, its store and the gateway's filters; see the module docstring."""

    group: aws.elasticache.ReplicationGroup
    user: aws.elasticache.User
    deployment: k8s.apps.v1.Deployment

    def __init__(
        self, name: str, args: GlobalRateLimitArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:mesh:GlobalRateLimit", name, None, opts)
        self._name = name
        self._args = args
        self._in_aws = pulumi.ResourceOptions(parent=self)
        self._in_kube = pulumi.ResourceOptions(
            parent=self, provider=args.kube, depends_on=list(args.after)
        )
        password = self._store(name, args)
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=object_meta(
                NAMESPACE,
                labels={
                    "istio-injection": "enabled",
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            ),
            opts=self._in_kube,
        )
        self._ns = pulumi.ResourceOptions(depends_on=[self.namespace, *args.after])
        self._quota(name, args)
        self._service(name, args, password)
        self._mesh_policies(name)
        self._network_policies(name, args)
        self._gateway_filters(name, args)
        self.register_outputs({"storeEndpoint": self.group.primary_endpoint_address})

    def _kube(self) -> pulumi.ResourceOptions:
        return self._in_kube.merge(self._ns)

    def _quota(self, name: str, args: GlobalRateLimitArgs) -> None:
        """Room for the replicas (and a rollout's surge) with their sidecars, and no more; pods
        without resources get the LimitRange's defaults (the sidecar's come from Istio)."""
        pods = 2 * args.replicas + 2
        namespace_limits(
            name,
            NAMESPACE,
            small_workload_quota(pods),
            SMALL_CONTAINER_LIMITS,
            SMALL_CONTAINER_REQUESTS,
            self._kube(),
        )

    # --- the store -------------------------------------------------------------------------------

    def _store(self, name: str, args: GlobalRateLimitArgs) -> pulumi.Output[str]:
        names = args.names
        sg = store_security_group(
            f"{name}-store-sg",
            names,
            args.vpc_id,
            port=STORE_PORT,
            clients=args.clients,
            what="rate-limit-store",
            opts=self._in_aws,
        )
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-store-subnets",
            name=names.physical("rate-limit"),
            description="rate-limit store: the data subnets of every AZ",
            subnet_ids=args.subnet_ids,
            opts=self._in_aws,
        )
        password = random.RandomPassword(
            f"{name}-store-password",
            length=48,
            special=False,
            opts=pulumi.ResourceOptions(parent=self, provider=args.random_provider),
        )
        default_user = aws.elasticache.User(
            f"{name}-store-default-user",
            user_id=names.physical("rate-limit", "default", max_length=ID_MAX),
            user_name="default",
            engine="valkey",
            access_string="off -@all",
            authentication_mode={"type": "no-password-required"},
            opts=self._in_aws,
        )
        self.user = aws.elasticache.User(
            f"{name}-store-user",
            user_id=names.physical("rate-limit", STORE_USER, max_length=ID_MAX),
            user_name=STORE_USER,
            engine="valkey",
            access_string=f"on ~{KEY_PREFIX}* +@all -@dangerous",
            authentication_mode={"type": "password", "passwords": [password.result]},
            opts=self._in_aws,
        )
        users = aws.elasticache.UserGroup(
            f"{name}-store-users",
            user_group_id=names.physical("rate-limit", max_length=ID_MAX),
            engine="valkey",
            user_ids=[default_user.user_id, self.user.user_id],
            opts=self._in_aws,
        )
        self.group = aws.elasticache.ReplicationGroup(
            f"{name}-store",
            replication_group_id=names.physical("rate-limit", max_length=ID_MAX),
            description=f"Meridian rate-limit counters ({names.environment} {args.scope.region})",
            engine="valkey",
            engine_version=args.store_engine_version,
            node_type=args.store_node_type,
            port=STORE_PORT,
            num_cache_clusters=1 + args.store_replicas,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            subnet_group_name=subnets.name,
            security_group_ids=[sg.id],
            at_rest_encryption_enabled=True,
            kms_key_id=args.store_kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            user_group_ids=[users.user_group_id],
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window="02:00-03:00",
            maintenance_window="sun:05:00-sun:06:00",
            final_snapshot_identifier=names.physical("rate-limit", "final"),
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        return pulumi.Output.secret(password.result.apply(lambda p: f"{STORE_USER}:{p}"))

    # --- the service -----------------------------------------------------------------------------

    def _service(self, name: str, args: GlobalRateLimitArgs, auth: pulumi.Output[str]) -> None:
        opts = self._kube()
        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=object_meta("ratelimit-config", NAMESPACE),
            data={"config.yaml": service_config_text(args)},
            opts=opts,
        )
        secret = k8s.core.v1.Secret(
            f"{name}-redis-auth",
            metadata=object_meta(AUTH_SECRET, NAMESPACE),
            type="Opaque",
            string_data={"REDIS_AUTH": auth},
            opts=opts.merge(
                pulumi.ResourceOptions(additional_secret_outputs=["stringData", "data"])
            ),
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=object_meta(SERVICE_ACCOUNT, NAMESPACE),
            automount_service_account_token=False,
            opts=opts,
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=object_meta(APP, NAMESPACE, labels={"app": APP}),
            spec=deployment_spec(args, self.group.primary_endpoint_address),
            opts=opts.merge(pulumi.ResourceOptions(depends_on=[config, secret, account])),
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=object_meta(APP, NAMESPACE, labels={"app": APP}),
            spec={
                "selector": {"app": APP},
                "ports": [
                    {
                        "name": "grpc",
                        "port": GRPC_PORT,
                        "target_port": GRPC_PORT,
                        "protocol": "TCP",
                        "app_protocol": "grpc",
                    }
                ],
            },
            opts=opts,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=object_meta(APP, NAMESPACE),
            spec={"max_unavailable": 1, "selector": {"match_labels": {"app": APP}}},
            opts=opts,
        )

    def _mesh_policies(self, name: str) -> None:
        opts = self._kube()
        custom_object(
            f"{name}-mtls-strict",
            "security.istio.io/v1",
            "PeerAuthentication",
            object_meta("default", NAMESPACE),
            {"mtls": {"mode": "STRICT"}},
            opts,
        )
        custom_object(
            f"{name}-deny-all",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta("deny-all", NAMESPACE),
            {},
            opts,
        )
        custom_object(
            f"{name}-allow-gateway",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            object_meta("allow-ingress-gateway", NAMESPACE),
            {
                "selector": {"matchLabels": {"app": APP}},
                "action": "ALLOW",
                "rules": [
                    {
                        "from": [{"source": {"principals": [GATEWAY_PRINCIPAL]}}],
                        "to": [{"operation": {"ports": [str(GRPC_PORT)]}}],
                    }
                ],
            },
            opts,
        )
        custom_object(
            f"{name}-store-entry",
            "networking.istio.io/v1",
            "ServiceEntry",
            object_meta("rate-limit-store", NAMESPACE),
            {
                "hosts": [self.group.primary_endpoint_address],
                "exportTo": ["."],
                "location": "MESH_EXTERNAL",
                "ports": [{"number": STORE_PORT, "name": "tls-valkey", "protocol": "TLS"}],
                "resolution": "DNS",
            },
            opts,
        )

    def _network_policies(self, name: str, args: GlobalRateLimitArgs) -> None:
        opts = self._kube()
        default_deny_network_policy(f"{name}-default-deny", NAMESPACE, opts)
        gateway_pods: k8s.networking.v1.NetworkPolicyPeerArgsDict = {
            "namespace_selector": {
                "match_labels": {"kubernetes.io/metadata.name": GATEWAY_NAMESPACE}
            },
            "pod_selector": {"match_labels": GATEWAY_LABELS},
        }
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow",
            metadata=object_meta("allow-ratelimit", NAMESPACE),
            spec={
                "pod_selector": {"match_labels": {"app": APP}},
                "policy_types": ["Ingress", "Egress"],
                "ingress": [
                    {"from_": [gateway_pods], "ports": [{"protocol": "TCP", "port": GRPC_PORT}]},
                    metrics_scrape_ingress(),
                ],
                "egress": [
                    dns_egress(),
                    istiod_egress(),
                    {
                        "to": [{"ip_block": {"cidr": args.vpc_cidr}}],
                        "ports": [{"protocol": "TCP", "port": STORE_PORT}],
                    },
                ],
            },
            opts=opts,
        )
        # NetworkPolicies add up: the gateway's own allow (istio-ingress) plus this one egress.
        k8s.networking.v1.NetworkPolicy(
            f"{name}-gateway-egress",
            metadata=object_meta("allow-gateway-to-ratelimit", GATEWAY_NAMESPACE),
            spec={
                "pod_selector": {"match_labels": GATEWAY_LABELS},
                "policy_types": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespace_selector": {
                                    "match_labels": {"kubernetes.io/metadata.name": NAMESPACE}
                                },
                                "pod_selector": {"match_labels": {"app": APP}},
                            }
                        ],
                        "ports": [{"protocol": "TCP", "port": GRPC_PORT}],
                    }
                ],
            },
            opts=self._in_kube,
        )

    def _gateway_filters(self, name: str, args: GlobalRateLimitArgs) -> None:
        custom_object(
            f"{name}-gateway-filters",
            "networking.istio.io/v1alpha3",
            "EnvoyFilter",
            object_meta("rate-limit-filters", GATEWAY_NAMESPACE),
            filters_envoy_filter_spec(args),
            self._in_kube.merge(pulumi.ResourceOptions(depends_on=[self.deployment])),
        )
        custom_object(
            f"{name}-gateway-routes",
            "networking.istio.io/v1alpha3",
            "EnvoyFilter",
            object_meta("rate-limit-routes", GATEWAY_NAMESPACE),
            routes_envoy_filter_spec(args),
            self._in_kube,
        )


def service_config_text(args: GlobalRateLimitArgs) -> pulumi.Output[str]:
    """The service's configuration file once every descriptor's values are known (the API keys'
    client ids are another stack's outputs): unknown in a preview where one of them is."""
    values = [
        pulumi.Output.all(*d.values) if d.values is not None else pulumi.Output.from_input(None)
        for d in args.limits
    ]

    def render(resolved: list[Any]) -> str:
        limits = tuple(
            d if v is None else dataclasses.replace(d, values=tuple(str(x) for x in v))
            for d, v in zip(args.limits, resolved, strict=True)
        )
        config = service_config(dataclasses.replace(args, limits=limits))
        return json.dumps(config, indent=2, sort_keys=True)

    return pulumi.Output.all(*values).apply(render)


# --- pure builders (tests and the docs read them) -------------------------------------------------


def _service_entries(limit: Descriptor) -> list[dict[str, Any]]:
    """One limit's entries: value-less (per any value), or one per listed value and no value-less
    one. envoyproxy/ratelimit looks up `<key>_<value>` first, then `<key>` alone, and a request
    whose descriptor matches neither gets no limit from it (src/config/config_impl.go GetLimit;
    src/service/ratelimit.go: "descriptor does not match any limit, no limits applied"; README
    "Example 3" on the most specific match), verified at envoyproxy/ratelimit aba2384d, the
    pinned image's commit."""
    rate = {"unit": "minute", "requests_per_unit": limit.requests_per_minute}
    if limit.values is None:
        return [{"key": limit.key, "rate_limit": rate}]
    values = [str(v) for v in limit.values]
    if len(set(values)) != len(values):  # the service refuses a repeated key_value
        raise ValueError(f"{limit.route}/{limit.key}: repeated values {sorted(values)}")
    return [{"key": limit.key, "value": v, "rate_limit": rate} for v in values]


def service_config(args: GlobalRateLimitArgs) -> dict[str, Any]:
    """envoyproxy/ratelimit's configuration (config_impl.go YamlRoot: domain, descriptors with
    key, value, rate_limit {unit, requests_per_unit}, descriptors): one `route` descriptor per
    rate-limited route with the dimensions' entries nested, and the partner tiers. Every
    descriptor's `values` must be plain strings here (service_config_text resolves them)."""
    by_route: dict[str, list[Descriptor]] = {}
    for limit in args.limits:
        by_route.setdefault(limit.route, []).append(limit)
    descriptors: list[dict[str, Any]] = [
        {
            "key": ROUTE_KEY,
            "value": route,
            "descriptors": [entry for d in limits for entry in _service_entries(d)],
        }
        for route, limits in by_route.items()
    ]
    descriptors += [
        {
            "key": TIER_KEY,
            "value": tier.name,
            "descriptors": [
                {
                    "key": PARTNER_KEY,
                    "rate_limit": {"unit": "minute", "requests_per_unit": tier.requests_per_minute},
                }
            ],
        }
        for tier in args.tiers
    ]
    return {"domain": args.domain, "descriptors": descriptors}


def route_rate_limits(args: GlobalRateLimitArgs, route: str) -> list[dict[str, Any]]:
    """The Envoy route's `rate_limits` (config.route.v3.RateLimit actions): per limit, the route
    (generic_key) and the dimension's value (request_headers, or remote_address); a request
    without the header sends no descriptor for that dimension."""
    actions: list[dict[str, Any]] = []
    route_key = {"generic_key": {"descriptor_key": ROUTE_KEY, "descriptor_value": route}}
    for limit in args.limits:
        if limit.route != route:
            continue
        value: dict[str, Any] = (
            {"remote_address": {}}
            if limit.header is None
            else {"request_headers": {"header_name": limit.header, "descriptor_key": limit.key}}
        )
        actions.append({"actions": [route_key, value]})
    return actions


def partner_rate_limits(args: GlobalRateLimitArgs) -> list[dict[str, Any]]:
    """A partner route's `rate_limits`: per tier, the tier (header_value_match on the partner
    header's `<prefix><tier>:` prefix, descriptor_key `tier`) and the partner (request_headers);
    a request whose identity is in no tier sends neither."""
    return [
        {
            "actions": [
                {
                    "header_value_match": {
                        "descriptor_key": TIER_KEY,
                        "descriptor_value": tier.name,
                        "headers": [
                            {
                                "name": args.partner_header,
                                "string_match": {
                                    "prefix": f"{args.partner_uri_prefix}{tier.name}:"
                                },
                            }
                        ],
                    }
                },
                {
                    "request_headers": {
                        "header_name": args.partner_header,
                        "descriptor_key": PARTNER_KEY,
                    }
                },
            ]
        }
        for tier in args.tiers
    ]


def _hcm_filter_match() -> dict[str, Any]:
    return {
        "context": "GATEWAY",
        "listener": {
            "filterChain": {"filter": {"name": HCM, "subFilter": {"name": ROUTER_FILTER}}}
        },
    }


def _always() -> dict[str, Any]:
    return {"default_value": {"numerator": 100, "denominator": "HUNDRED"}}


def filters_envoy_filter_spec(args: GlobalRateLimitArgs) -> dict[str, Any]:
    """The gateway's HTTP filters, both inserted before the router (local first): the local
    token bucket (LocalRateLimit v3) and the global check (RateLimit v3) against the service's
    cluster, failing open, with X-RateLimit-* headers and Retry-After on a 429."""
    retry_after = {
        "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
        "header": {"key": "retry-after", "value": str(RETRY_AFTER_SECONDS)},
    }
    local = {
        "name": LOCAL_FILTER,
        "typed_config": {
            "@type": LOCAL_TYPE,
            "stat_prefix": "http_local_rate_limiter",
            "token_bucket": {
                "max_tokens": args.local_burst,
                "tokens_per_fill": args.local_requests_per_second,
                "fill_interval": "1s",
            },
            "filter_enabled": {**_always(), "runtime_key": "local_rate_limit_enabled"},
            "filter_enforced": {**_always(), "runtime_key": "local_rate_limit_enforced"},
            "enable_x_ratelimit_headers": "DRAFT_VERSION_03",
            "response_headers_to_add": [
                {**retry_after, "header": {"key": "retry-after", "value": "1"}}
            ],
        },
    }
    cluster = f"outbound|{GRPC_PORT}||{APP}.{NAMESPACE}.svc.cluster.local"
    seconds = args.rpc_timeout_ms / 1000
    global_ = {
        "name": GLOBAL_FILTER,
        "typed_config": {
            "@type": GLOBAL_TYPE,
            "domain": args.domain,
            "failure_mode_deny": False,
            "timeout": f"{seconds:.3f}s",
            "enable_x_ratelimit_headers": "DRAFT_VERSION_03",
            "response_headers_to_add": [retry_after],
            "rate_limit_service": {
                "grpc_service": {"envoy_grpc": {"cluster_name": cluster}},
                "transport_api_version": "V3",
            },
        },
    }
    return {
        "workloadSelector": {"labels": GATEWAY_LABELS},
        "configPatches": [
            {
                "applyTo": "HTTP_FILTER",
                "match": _hcm_filter_match(),
                "patch": {"operation": "INSERT_BEFORE", "value": value},
            }
            for value in (local, global_)
        ],
    }


def _route_patch(gateway: str, route: str, limits: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "applyTo": "HTTP_ROUTE",
        "match": {
            "context": "GATEWAY",
            "routeConfiguration": {"gateway": gateway, "vhost": {"route": {"name": route}}},
        },
        "patch": {"operation": "MERGE", "value": {"route": {"rate_limits": limits}}},
    }


def routes_envoy_filter_spec(args: GlobalRateLimitArgs) -> dict[str, Any]:
    """Per rate-limited route of the edge Gateway, its descriptors merged into the route; per
    route of the partner Gateway, the tiers'. Each patch names its Gateway: a VirtualService
    bound to both (`/graphql`) has a route of the same name in each Gateway's route
    configuration."""
    routes = sorted({d.route for d in args.limits})
    patches = [
        _route_patch(args.edge_gateway, route, route_rate_limits(args, route)) for route in routes
    ]
    if args.tiers:
        patches += [
            _route_patch(args.partner_gateway, route, partner_rate_limits(args))
            for route in sorted(args.partner_routes)
        ]
    return {"workloadSelector": {"labels": GATEWAY_LABELS}, "configPatches": patches}


def deployment_spec(
    args: GlobalRateLimitArgs, store_host: pulumi.Input[str]
) -> k8s.apps.v1.DeploymentSpecArgsDict:
    """envoyproxy/ratelimit: Redis over TLS with its user (settings.go REDIS_* names), the
    descriptor file under RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/RUNTIME_APPDIRECTORY, non-root with a
    read-only root filesystem."""
    env: list[k8s.core.v1.EnvVarArgsDict] = [
        {"name": key, "value": value}
        for key, value in {
            "USE_STATSD": "false",
            "LOG_LEVEL": "warn",
            "LOG_FORMAT": "json",
            "BACKEND_TYPE": "redis",
            "REDIS_SOCKET_TYPE": "tcp",
            "REDIS_TYPE": "SINGLE",
            "REDIS_TLS": "true",
            "REDIS_PERSECOND": "false",
            "CACHE_KEY_PREFIX": KEY_PREFIX,
            "RUNTIME_ROOT": CONFIG_ROOT,
            "RUNTIME_SUBDIRECTORY": CONFIG_SUBDIRECTORY,
            "RUNTIME_APPDIRECTORY": CONFIG_DIRECTORY,
            "RUNTIME_WATCH_ROOT": "false",
        }.items()
    ]
    env.append({"name": "REDIS_URL", "value": pulumi.Output.concat(store_host, f":{STORE_PORT}")})
    env.append(
        {
            "name": "REDIS_AUTH",
            "value_from": {"secret_key_ref": {"name": AUTH_SECRET, "key": "REDIS_AUTH"}},
        }
    )
    probe: k8s.core.v1.ProbeArgsDict = {
        "http_get": {"path": "/healthcheck", "port": HTTP_PORT},
        "period_seconds": 10,
        "timeout_seconds": 2,
    }
    return {
        "replicas": args.replicas,
        "selector": {"match_labels": {"app": APP}},
        "template": {
            "metadata": {"labels": {"app": APP}},
            "spec": {
                "service_account_name": SERVICE_ACCOUNT,
                "automount_service_account_token": False,
                "termination_grace_period_seconds": 30,
                "security_context": {
                    "run_as_non_root": True,
                    "run_as_user": RUN_AS_USER,
                    "run_as_group": RUN_AS_USER,
                    "seccomp_profile": {"type": "RuntimeDefault"},
                },
                "topology_spread_constraints": [
                    {
                        "max_skew": 1,
                        "topology_key": "topology.kubernetes.io/zone",
                        "when_unsatisfiable": "ScheduleAnyway",
                        "label_selector": {"match_labels": {"app": APP}},
                    }
                ],
                "containers": [
                    {
                        "name": APP,
                        "image": args.image,
                        "env": env,
                        "ports": [
                            {"name": "grpc", "container_port": GRPC_PORT},
                            {"name": "http", "container_port": HTTP_PORT},
                        ],
                        "readiness_probe": probe,
                        "liveness_probe": {**probe, "initial_delay_seconds": 10},
                        "resources": {
                            "requests": {"cpu": "250m", "memory": "128Mi"},
                            "limits": {"memory": "256Mi"},
                        },
                        "security_context": {
                            "allow_privilege_escalation": False,
                            "capabilities": {"drop": ["ALL"]},
                            "privileged": False,
                            "read_only_root_filesystem": True,
                            "run_as_non_root": True,
                        },
                        "volume_mounts": [
                            {
                                "name": "config",
                                "mount_path": (
                                    f"{CONFIG_ROOT}/{CONFIG_SUBDIRECTORY}/{CONFIG_DIRECTORY}"
                                ),
                                "read_only": True,
                            },
                            {"name": "tmp", "mount_path": "/tmp"},
                        ],
                    }
                ],
                "volumes": [
                    {"name": "config", "config_map": {"name": "ratelimit-config"}},
                    {"name": "tmp", "empty_dir": {"size_limit": "16Mi"}},
                ],
            },
        },
    }


__all__ = [
    "Descriptor",
    "GlobalRateLimit",
    "GlobalRateLimitArgs",
    "Tier",
    "filters_envoy_filter_spec",
    "partner_rate_limits",
    "route_rate_limits",
    "routes_envoy_filter_spec",
    "service_config",
    "service_config_text",
]
