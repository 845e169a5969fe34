"""The contract between stacks: what the global, regional and edge stacks export, under which
output names, and the typed readers the downstream stacks read it with.

The module imports no Pulumi at load (the report and CI scripts read the keys cheaply).
Every output name of the project is a member of `GlobalKey`, `RegionalKey` or `EdgeKey`, here
and nowhere else (tests/test_outputs_contract.py greps the tree). A stack builds one
`<Role>Outputs` dataclass and calls `export()`; a field is exported under the key of the same
name (`ipam_pool_ids` -> `GlobalKey.IPAM_POOL_IDS` = "ipamPoolIds"). A stack reads another's
outputs through `<Role>Outputs.read(UpstreamStack(...))`; tools that read plan files or
`pulumi stack output` (meridian_ops) index the outputs by the keys.

Example::

    pools = GlobalOutputs.read(UpstreamStack(env, Role.GLOBAL))
    network = NetworkArgs(..., ipam_pool_id=pools.ipam_pool_id(region))
    RegionalOutputs(region=region, ...).export()
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import pulumi

    from stacks.references import UpstreamStack


class GlobalKey(StrEnum):
    """The global stack's outputs: the environment's address plan and audit trail."""

    ENVIRONMENT = "environment"
    PRIMARY_REGION = "primaryRegion"
    REGIONS = "regions"
    VPC_CIDRS = "vpcCidrs"
    IPAM_ID = "ipamId"
    IPAM_POOL_IDS = "ipamPoolIds"
    POD_CIDRS = "podCidrs"
    POD_IPAM_POOL_IDS = "podIpamPoolIds"
    TAGS = "tags"
    AUDIT_TRAIL_ARN = "auditTrailArn"
    AUDIT_BUCKET_ARN = "auditBucketArn"
    ISSUER_URL = "issuerUrl"
    JWKS_URI = "issuerJwksUri"
    API_KEY_CLIENT_IDS = "apiKeyClientIds"
    EDGE_ZONE_ID = "edgeZoneId"
    EDGE_NAME_SERVERS = "edgeNameServers"
    PARTNER_CA_ARN = "partnerCaArn"
    PARTNER_CA_REGION = "partnerCaRegion"
    PARTNER_CA_CERTIFICATE = "partnerCaCertificate"


class RegionalKey(StrEnum):
    """A regional stack's outputs: what the edge, the paired regions, the failover runbook, the
    report and the architecture page read."""

    AURORA = "aurora"
    AURORA_GLOBAL_CLUSTER_IDENTIFIER = "auroraGlobalClusterIdentifier"
    CACHE_GLOBAL_DATASTORE_ID = "cacheGlobalDatastoreId"
    GLOBAL_TABLE_ARNS = "globalTableArns"
    DR_SUMMARY = "drSummary"
    REGION = "region"
    ACCOUNT_ID = "accountId"
    AVAILABILITY_ZONES = "availabilityZones"
    VPC_ID = "vpcId"
    VPC_CIDR = "vpcCidr"
    PUBLIC_SUBNET_IDS = "publicSubnetIds"
    PRIVATE_SUBNET_IDS = "privateSubnetIds"
    DATA_SUBNET_IDS = "dataSubnetIds"
    NAT_PUBLIC_IPS = "natPublicIps"
    ENDPOINT_SECURITY_GROUP_ID = "endpointSecurityGroupId"
    KEY_ARNS = "keyArns"
    LOG_ARCHIVE_BUCKET_ARN = "logArchiveBucketArn"
    SIZING = "sizing"
    GPU_ENABLED = "gpuEnabled"
    INGRESS_HOSTNAME = "ingressHostname"
    NODE_POOLS = "nodePools"
    GPU_INSTANCE_TYPES = "gpuInstanceTypes"
    CLUSTER_NAME = "clusterName"
    CLUSTER_ENDPOINT = "clusterEndpoint"
    POD_CIDR = "podCidr"
    POD_IP_CAPACITY = "podIpCapacity"
    CLUSTER_ADDONS = "clusterAddons"
    TELEMETRY_LOG_GROUPS = "telemetryLogGroups"
    PROMETHEUS_WORKSPACE_ARN = "prometheusWorkspaceArn"
    PROMETHEUS_ENDPOINT = "prometheusEndpoint"
    ALERT_TOPIC_ARNS = "alertTopicArns"
    KAFKA_CLUSTER_ARN = "kafkaClusterArn"
    KAFKA_BOOTSTRAP_BROKERS_IAM = "kafkaBootstrapBrokersIam"
    KAFKA_SUBNET_IDS = "kafkaSubnetIds"
    KAFKA_SECURITY_GROUP_ID = "kafkaSecurityGroupId"
    KAFKA_TOPICS = "kafkaTopics"
    LAKE_BUCKET_ARNS = "lakeBucketArns"
    LAKE_REPLICA_REGION = "lakeReplicaRegion"
    ATHENA_WORKGROUP = "athenaWorkgroup"
    REPLICATION_PEER = "replicationPeer"
    DEPLOY_RUNNER_PROJECT = "deployRunnerProject"
    CROSS_REGION_LINKS = "crossRegionLinks"
    """Read only: links between regions the architecture page draws when a stack exports them
    (`[{"kind", "to", "label"}]`); no stack exports it today."""


class EdgeKey(StrEnum):
    """The edge stack's outputs: the origin table, the edge, and what the failover runbook
    changes to drain a region."""

    PRIMARY_REGION = "primaryRegion"
    ORIGINS = "origins"
    EGRESS_IPS = "egressIps"
    CLOUDFLARE_ACCOUNT_ID = "cloudflareAccountId"
    ORIGIN_POOLS = "originPools"
    NAME_SERVERS = "nameServers"
    DISTRIBUTION_DOMAIN = "distributionDomain"
    HEALTH_CHECKS = "healthChecks"
    EDGE_PROVIDER = "edgeProvider"
    PUBLIC_HOSTNAMES = "publicHostnames"
    REGIONS_IN_ROTATION = "regionsInRotation"
    DRAINED_REGIONS = "drainedRegions"
    RATE_LIMITS = "rateLimits"
    EDGE_REPLACEMENT_GUARD = "edgeReplacementGuard"
    GRAFANA_REGION = "grafanaRegion"
    GRAFANA_ENDPOINT = "grafanaEndpoint"


OutputKey = GlobalKey | RegionalKey | EdgeKey
"""Any output name of the project."""

READ_ONLY_KEYS: frozenset[OutputKey] = frozenset({RegionalKey.CROSS_REGION_LINKS})
"""Keys the tools read but no stack's dataclass exports."""


class _Exported:
    """Export of a stack's outputs dataclass: every field under the key of its name; a field in
    `OPTIONAL` is left out when it is None (the stack has no such thing)."""

    KEYS: ClassVar[type[StrEnum]]
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def key(cls, field_name: str) -> StrEnum:
        return cls.KEYS[field_name.upper()]

    def export(self) -> None:
        import pulumi  # here: the tools that only read keys (plan/report.py) load no Pulumi

        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and f.name in self.OPTIONAL:
                continue
            pulumi.export(self.key(f.name).value, value)


@dataclass(frozen=True)
class GlobalOutputs(_Exported):
    """What the global stack exports (values are plain or pulumi Outputs)."""

    KEYS: ClassVar[type[StrEnum]] = GlobalKey

    environment: str
    primary_region: str
    regions: list[str]
    vpc_cidrs: dict[str, str]
    ipam_id: Any
    ipam_pool_ids: Any
    pod_cidrs: dict[str, str]
    pod_ipam_pool_ids: Any
    tags: dict[str, str]
    audit_trail_arn: Any
    audit_bucket_arn: Any
    issuer_url: Any
    """The environment's token issuer (the Cognito user pool's `iss`)."""
    jwks_uri: Any
    """Where the issuer's signing keys are published."""
    api_key_client_ids: Any
    """The API keys: each confidential (machine-to-machine) app client's Cognito client id, by
    its row id in stacks/data/identity_clients.json. A validated access token carries it as
    `client_id`; the mesh's per-API-key rate limit lists one limit per id."""
    partner_ca_arn: Any
    """The environment's one partner CA (AWS Private CA): issues partner client certificates
    and every region's partner server certificate."""
    partner_ca_region: str
    """The region it lives in (the primary): where certificates are issued from it."""
    partner_ca_certificate: Any
    """Its CA certificate (PEM): what every region's partner Gateway trusts and what partners
    configure as the partner hostname's trust anchor."""
    edge_zone_id: Any = None
    """The AWS edge's public Route 53 zone (None with Cloudflare)."""
    edge_name_servers: Any = None
    """Its name servers, to delegate the zone to before the regional stacks' first `up`."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"edge_zone_id", "edge_name_servers"})

    @staticmethod
    def read(upstream: UpstreamStack) -> GlobalReader:
        return GlobalReader(upstream)


class GlobalReader:
    """The global stack's outputs, as a downstream stack reads them."""

    def __init__(self, upstream: UpstreamStack) -> None:
        self.upstream = upstream

    def primary_region(self) -> pulumi.Output[str]:
        return self.upstream.require(GlobalKey.PRIMARY_REGION)

    def ipam_pool_id(self, region: str) -> pulumi.Output[str]:
        """The IPAM pool the region's VPC is allocated from."""
        return self.upstream.require_item(GlobalKey.IPAM_POOL_IDS, region)

    def pod_ipam_pool_id(self, region: str) -> pulumi.Output[str]:
        """The IPAM pool of the region's pod CIDR."""
        return self.upstream.require_item(GlobalKey.POD_IPAM_POOL_IDS, region)

    def issuer_url(self) -> pulumi.Output[str]:
        """The issuer the edge Gateway accepts end-user tokens from."""
        return self.upstream.require(GlobalKey.ISSUER_URL)

    def jwks_uri(self) -> pulumi.Output[str]:
        """The issuer's signing keys (RequestAuthentication jwksUri)."""
        return self.upstream.require(GlobalKey.JWKS_URI)

    def api_key_client_id(self, client: str) -> pulumi.Output[str]:
        """The Cognito client id of the confidential app client `client` (its row id in
        stacks/data/identity_clients.json): the value of a validated token's `client_id`."""
        return self.upstream.require_item(
            GlobalKey.API_KEY_CLIENT_IDS,
            client,
            source="stacks/data/identity_clients.json (a confidential client)",
        )

    def edge_zone_id(self) -> pulumi.Output[str]:
        """The AWS edge's public Route 53 zone (only with `meridian:edge.provider: aws`)."""
        return self.upstream.require(GlobalKey.EDGE_ZONE_ID)

    def partner_ca_arn(self) -> pulumi.Output[str]:
        """The partner CA that issues this region's partner server certificate."""
        return self.upstream.require(GlobalKey.PARTNER_CA_ARN)

    def partner_ca_certificate(self) -> pulumi.Output[str]:
        """The partner CA's certificate: the partner Gateway's client trust anchor."""
        return self.upstream.require(GlobalKey.PARTNER_CA_CERTIFICATE)


@dataclass(frozen=True)
class RegionalOutputs(_Exported):
    """What a regional stack exports (values are plain or pulumi Outputs)."""

    KEYS: ClassVar[type[StrEnum]] = RegionalKey
    OPTIONAL: ClassVar[frozenset[str]] = frozenset(
        {"aurora_global_cluster_identifier", "cache_global_datastore_id", "global_table_arns"}
    )

    aurora: Any
    aurora_global_cluster_identifier: Any
    cache_global_datastore_id: Any
    global_table_arns: Any
    dr_summary: dict[str, Any]
    region: str
    account_id: str
    availability_zones: list[str]
    vpc_id: Any
    vpc_cidr: str
    public_subnet_ids: Any
    private_subnet_ids: Any
    data_subnet_ids: Any
    nat_public_ips: Any
    endpoint_security_group_id: Any
    key_arns: Any
    log_archive_bucket_arn: Any
    sizing: dict[str, Any]
    gpu_enabled: bool
    ingress_hostname: Any
    node_pools: Any
    gpu_instance_types: Any
    cluster_name: Any
    cluster_endpoint: Any
    pod_cidr: str
    pod_ip_capacity: Any
    cluster_addons: list[str]
    telemetry_log_groups: Any
    prometheus_workspace_arn: Any
    prometheus_endpoint: Any
    alert_topic_arns: Any
    kafka_cluster_arn: Any
    kafka_bootstrap_brokers_iam: Any
    kafka_subnet_ids: Any
    kafka_security_group_id: Any
    kafka_topics: list[str]
    lake_bucket_arns: Any
    lake_replica_region: str | None
    athena_workgroup: Any
    replication_peer: str | None
    deploy_runner_project: Any

    @staticmethod
    def read(upstream: UpstreamStack) -> RegionalReader:
        return RegionalReader(upstream)


class RegionalReader:
    """A regional stack's outputs, as the edge and the paired regions' stacks read them."""

    def __init__(self, upstream: UpstreamStack) -> None:
        self.upstream = upstream

    def vpc_id(self) -> pulumi.Output[str]:
        return self.upstream.require(RegionalKey.VPC_ID)

    def nat_public_ips(self) -> pulumi.Output[list[str]]:
        return self.upstream.require(RegionalKey.NAT_PUBLIC_IPS)

    def ingress_hostname(self) -> pulumi.Output[str]:
        """The ingress NLB's hostname: the edge's origin for the region."""
        return self.upstream.require(RegionalKey.INGRESS_HOSTNAME)

    def prometheus_workspace_arn(self) -> pulumi.Output[str]:
        return self.upstream.require(RegionalKey.PROMETHEUS_WORKSPACE_ARN)

    def alert_topic_arn(self, severity: str) -> pulumi.Output[str]:
        """The region's alert topic of `severity` (P1..P4), whose subscriptions page or ticket."""
        return self.upstream.require_item(RegionalKey.ALERT_TOPIC_ARNS, severity)

    def prometheus_endpoint(self) -> pulumi.Output[str]:
        return self.upstream.require(RegionalKey.PROMETHEUS_ENDPOINT)

    def kafka_cluster_arn(self) -> pulumi.Output[str]:
        return self.upstream.require(RegionalKey.KAFKA_CLUSTER_ARN)

    def kafka_subnet_ids(self) -> pulumi.Output[list[str]]:
        return self.upstream.require(RegionalKey.KAFKA_SUBNET_IDS)

    def kafka_security_group_id(self) -> pulumi.Output[str]:
        return self.upstream.require(RegionalKey.KAFKA_SECURITY_GROUP_ID)

    def aurora_global_cluster_identifier(self) -> pulumi.Output[str]:
        """The primary's Aurora global cluster, which a secondary region's cluster joins."""
        return self.upstream.require(RegionalKey.AURORA_GLOBAL_CLUSTER_IDENTIFIER)

    def cache_global_datastore_id(self) -> pulumi.Output[str]:
        """The primary's cache global datastore, which a secondary region's cache joins."""
        return self.upstream.require(RegionalKey.CACHE_GLOBAL_DATASTORE_ID)

    def global_table_arn(self, table: str) -> pulumi.Output[str]:
        """The primary's DynamoDB global table `table`, which this region replicates."""
        return self.upstream.require_item(RegionalKey.GLOBAL_TABLE_ARNS, table)


def origin_entry(vpc_id: Any, egress_ips: Any, ingress_hostname: Any) -> dict[str, Any]:
    """One region's row of the edge's origin table (`EdgeKey.ORIGINS`)."""
    return {
        RegionalKey.VPC_ID.value: vpc_id,
        EdgeKey.EGRESS_IPS.value: egress_ips,
        RegionalKey.INGRESS_HOSTNAME.value: ingress_hostname,
    }


@dataclass(frozen=True)
class EdgeOutputs(_Exported):
    """What the edge stack exports. The provider-specific fields are None (not exported) for the
    other provider: Cloudflare's account and pools, or AWS's name servers, distribution and
    health checks."""

    KEYS: ClassVar[type[StrEnum]] = EdgeKey
    OPTIONAL: ClassVar[frozenset[str]] = frozenset(
        {
            "cloudflare_account_id",
            "origin_pools",
            "name_servers",
            "distribution_domain",
            "health_checks",
        }
    )

    primary_region: Any
    origins: dict[str, dict[str, Any]]
    egress_ips: Any
    cloudflare_account_id: str | None
    origin_pools: Any
    name_servers: Any
    distribution_domain: Any
    health_checks: Any
    edge_provider: str
    public_hostnames: Any
    regions_in_rotation: Any
    drained_regions: list[str]
    rate_limits: dict[str, int | None]
    edge_replacement_guard: dict[str, Any]
    grafana_region: str
    grafana_endpoint: Any
