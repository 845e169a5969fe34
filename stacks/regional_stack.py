"""A regional stack: one region's platform. Now: keys, log archive, network, account baseline."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.common.naming import Names
from components.data.aurora import AuroraArgs, AuroraGlobalPostgres, MasterRotation  # DATA
from components.data.backup import BackupVault, BackupVaultArgs  # DATA
from components.data.cache import ID_MAX as CACHE_ID_MAX  # BASELINE: cache node ids
from components.data.cache import Cache, CacheArgs  # DATA
from components.data.dynamodb import GlobalTables, GlobalTablesArgs  # DATA
from components.data.k8ssandra import K8ssandra, K8ssandraArgs  # DATA
from components.data.keyspaces import CassandraKeyspace, CassandraKeyspaceArgs  # DATA
from components.data.lakehouse import Lakehouse, LakehouseArgs, LakeLifecycleArgs
from components.delivery import DeployRunner, DeployRunnerArgs
from components.foundation.keyring import KeyClass, KeyRing, KeyRingArgs
from components.foundation.log_archive import LogArchive, LogArchiveArgs
from components.foundation.network import DEFAULT_INTERFACE_ENDPOINTS, Network, NetworkArgs
from components.kubernetes.addons import POST_NODE_ADDONS, ClusterAddons, ClusterAddonsArgs
from components.kubernetes.cluster import PRE_NODE_ADDONS, EksCluster, EksClusterArgs
from components.kubernetes.node_pools import NodePools, NodePoolsArgs
from components.kubernetes.pod_network import pod_ip_capacity
from components.mesh import ServiceMesh, ServiceMeshArgs
from components.mesh.service_mesh import EDGE_GATEWAY_REF
from components.observability.agents import (
    TelemetryAgents,
    TelemetryAgentsArgs,
    cloudwatch_retention_days,
)
from components.observability.alarms import (  # BASELINE
    PlatformAlarms,
    PlatformAlarmsArgs,
    cache_shard_node_ids,
)
from components.observability.prometheus import ManagedPrometheus, ManagedPrometheusArgs
from components.security import AlertTopics, AlertTopicsArgs, ThreatDetection, ThreatDetectionArgs
from components.streaming import KafkaCluster, KafkaClusterArgs, TopicSpec
from components.tenancy import Tenancy, TenancyArgs
from components.tenancy.services import aws_services_reached
from stacks import capabilities
from stacks.alerting import alert_subscriptions
from stacks.cidr_plan import pod_cidr
from stacks.component_data import load_balancer_controller_policy, load_slos
from stacks.data_layer import (  # DATA
    aurora_global_identifier,
    backup_placement,
    data_topology,
    dr_summary,
    grant_tenants,
)
from stacks.data_layer import export_outputs as export_data_outputs  # DATA
from stacks.data_settings import cassandra_tables, dynamodb_tables  # DATA
from stacks.dependencies import wire_dependencies
from stacks.edge_ranges import EDGE_RANGES
from stacks.identity import Role
from stacks.ingress_routes import health_path, mesh_routes, origin_certificate
from stacks.node_pools_plan import general_pool, gpu_inference_pool, gpu_training_pool, system_pool
from stacks.providers import aws_provider
from stacks.references import UpstreamStack
from stacks.settings import MeridianSettings
from stacks.streaming_links import kafka_link_to_primary
from stacks.streaming_settings import (
    broker_count,
    kafka_replicator_source,
    replication_pairs,
    topic_table,
)
from stacks.topology import replica_region
from stacks.versions import (
    AURORA_POSTGRES_FAMILY,
    AURORA_POSTGRES_VERSION,
    AURORA_ROTATION_APPLICATION,
    AURORA_ROTATION_VERSIONS,
    CACHE_ENGINE_VERSIONS,
    CASSANDRA_VERSION,
    EKS_AMI_RELEASE,
    HELM_CHARTS,
    KAFKA_VERSION,
    KUBERNETES_VERSION,
    eks_addon_version,
    eks_ami_release_version,
)

CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
"""The AWS-managed prefix list of CloudFront's origin-facing addresses (the AWS-native edge)."""

ENDPOINT_SERVICES = {"aps-workspaces": "managed-prometheus"}
"""Interface endpoints that exist only where the service does (capability table name)."""


def interface_endpoints(region: str, opt_outs: frozenset[str], keyspaces: bool) -> list[str]:
    """The region's interface endpoints; `keyspaces`: this region's Cassandra is Amazon Keyspaces
    (its CQL port 9142 is reached privately through `com.amazonaws.<region>.cassandra`; where
    K8ssandra replaces it, Cassandra runs in the cluster and needs no endpoint)."""
    endpoints = list(DEFAULT_INTERFACE_ENDPOINTS)
    for endpoint, service in ENDPOINT_SERVICES.items():
        if service not in opt_outs and capabilities.offers(region, service):
            endpoints.append(endpoint)
    if keyspaces and capabilities.offers(region, "keyspaces"):
        endpoints.append("cassandra")
    return endpoints


def pick_availability_zones(region: str, names: list[str], wanted: int) -> list[str]:
    if len(names) < wanted:
        raise pulumi.RunError(
            f"{region} reports {len(names)} availability zones to this account, fewer than "
            f"meridian:network.azCount = {wanted}. Fix: lower meridian:network.azCount for "
            f"{region} (at least 3) or choose another region."
        )
    return sorted(names)[:wanted]


def run(settings: MeridianSettings) -> None:
    plan = settings.region
    region = plan.region
    env = settings.environment
    names = Names(env, region)
    provider = aws_provider(region, settings)
    in_region = pulumi.ResourceOptions(provider=provider)
    invoke = pulumi.InvokeOptions(provider=provider)

    caller = aws.get_caller_identity(opts=invoke)
    account_id = caller.account_id
    partition = caller.arn.split(":")[1]
    zones = aws.get_availability_zones(
        state="available",
        filters=[{"name": "zone-type", "values": ["availability-zone"]}],
        opts=invoke,
    )
    azs = pick_availability_zones(region, list(zones.names), plan.settings.network.az_count)

    environment = UpstreamStack(env, Role.GLOBAL)
    pool_id = environment.require_item("ipamPoolIds", region)
    pod_pool_id = environment.require_item("podIpamPoolIds", region)
    pods = pod_cidr(region)

    keys = KeyRing(
        "keys",
        KeyRingArgs(
            names=names,
            region=region,
            account_id=account_id,
            partition=partition,
            deletion_window_days=plan.settings.keys.deletion_window_days,
        ),
        opts=in_region,
    )
    logs = plan.settings.retention.logs
    archive = LogArchive(
        "log-archive",
        LogArchiveArgs(
            names=names,
            bucket_name=names.physical("logs", account_id),
            kms_key_arn=keys.arn(KeyClass.LOGS),
            account_id=account_id,
            region=region,
            partition=partition,
            hot_days=logs.hot_days,
            warm_days=logs.warm_days,
            cold_days=logs.cold_days,
            # audit and flow-log data replicated to the region's DR peer (stacks/topology.py)
            replica_region=replica_region(
                settings.manifest.regions,
                settings.manifest.replication,
                region,
                settings.manifest.data_classification,
            ),
            key_deletion_window_days=plan.settings.keys.deletion_window_days,
        ),
        opts=in_region,
    )
    network = Network(
        "network",
        NetworkArgs(
            names=names,
            cidr=plan.vpc_cidr,
            availability_zones=azs,
            flow_log_destination_arn=archive.bucket_arn,
            ipam_pool_id=pool_id,
            interface_endpoints=interface_endpoints(
                region,
                plan.opt_outs,
                keyspaces=data_topology(settings).cassandra_engines[region] == "keyspaces",
            ),
            flow_log_aggregation_seconds=plan.settings.network.flow_log_aggregation_seconds,
            pod_cidr=pods,
            pod_ipam_pool_id=pod_pool_id,
        ),
        opts=in_region,
    )

    # Account-and-region defaults: every new EBS volume encrypted with the compute key, and
    # IMDSv2 required for every new instance, whatever launched it.
    aws.ebs.EncryptionByDefault("ebs-encryption-by-default", enabled=True, opts=in_region)
    aws.ebs.DefaultKmsKey("ebs-default-key", key_arn=keys.arn(KeyClass.COMPUTE), opts=in_region)
    aws.ec2.InstanceMetadataDefaults(
        "imdsv2-required",
        http_tokens="required",
        http_put_response_hop_limit=2,
        http_endpoint="enabled",
        instance_metadata_tags="disabled",
        opts=in_region,
    )

    # --- Security and observability baseline (issue 14, BASELINE) -------------------------------
    alerts = AlertTopics(  # encrypted topics: findings, and alerts by severity P1..P4
        "alerts",
        AlertTopicsArgs(
            names=names,
            region=region,
            account_id=account_id,
            partition=partition,
            deletion_window_days=plan.settings.keys.deletion_window_days,
            subscriptions=alert_subscriptions(plan.settings.alerting),
        ),
        opts=in_region,
    )
    ThreatDetection(  # GuardDuty, Security Hub, Config, Access Analyzer, findings routing
        "detection",
        ThreatDetectionArgs(
            names=names,
            region=region,
            account_id=account_id,
            archive_bucket=archive.bucket.bucket,
            archive_key_arn=keys.arn(KeyClass.LOGS),
            findings_topic_arn=alerts.findings.arn,
            primary=region == settings.primary_region,
            partition=partition,
            guardduty_minimum_severity=plan.settings.baseline.findings_minimum_severity,
        ),
        opts=in_region,
    )
    prometheus = ManagedPrometheus(  # the SLO burn-rate rules, Alertmanager by severity
        "prometheus",
        ManagedPrometheusArgs(
            names=names,
            region=region,
            key_arn=alerts.key.arn,
            logs_key_arn=keys.arn(KeyClass.LOGS),
            log_retention_days=cloudwatch_retention_days(logs.hot_days),
            topic_arns=alerts.arns,
            slos=load_slos(),
        ),
        opts=in_region,
    )

    # --- Kubernetes (issue 9) -------------------------------------------------------------------
    kube = plan.settings.kubernetes
    deployer = aws.iam.get_session_context(arn=caller.arn, opts=invoke)  # the role, not the session
    cluster = EksCluster(  # K8S-CORE
        "eks",
        EksClusterArgs(
            names=names,
            region=region,
            partition=partition,
            version=KUBERNETES_VERSION,
            addon_versions={a: eks_addon_version(a) for a in PRE_NODE_ADDONS},
            vpc_id=network.vpc.id,
            internal_cidrs=[str(plan.vpc_cidr), str(pods)],
            node_subnet_ids=network.private_subnet_ids,
            pod_subnet_ids=network.pod_subnet_ids,
            availability_zones=azs,
            secrets_key_arn=keys.arn(KeyClass.COMPUTE),
            logs_key_arn=keys.arn(KeyClass.LOGS),
            log_retention_days=kube.control_plane_log_retention_days,
            deployer_arn=deployer.issuer_arn,
            admin_role_arns=kube.admin_role_arns,
            endpoint_public_access_cidrs=kube.endpoint_public_access_cidrs,
            warm_prefix_target=kube.warm_prefix_target,
        ),
        opts=in_region,
    )
    # Deploy runner: a CodeBuild-hosted GitHub Actions runner in the private subnets, admitted by
    # the cluster security group, from which the workflows run this stack's `pulumi up` (the API
    # endpoint is private). Its jobs act as the deployer (GitHub OIDC), which has cluster admin.
    runner_settings = plan.settings.deploy_runner
    runner = DeployRunner(
        "deploy-runner",
        DeployRunnerArgs(
            names=names,
            region=region,
            account_id=account_id,
            partition=partition,
            vpc_id=network.vpc.id,
            subnet_ids=network.private_subnet_ids,
            cluster_security_group_id=cluster.cluster_security_group_id,
            endpoint_security_group_id=network.endpoint_security_group_id,
            connection_arn=runner_settings.connection_arn or "",
            repository=runner_settings.repository or "",
            compute_type=runner_settings.compute_type,
            encryption_key_arn=keys.arn(KeyClass.STORAGE),
            logs_key_arn=keys.arn(KeyClass.LOGS),
            log_retention_days=cloudwatch_retention_days(logs.hot_days),
        ),
        opts=in_region,
    )
    zone_ids = dict(zip(zones.names, zones.zone_ids, strict=True))
    nodes = NodePools(  # K8S-NODES: node role, system node group, Karpenter pools, GPU plugin
        "nodes",
        NodePoolsArgs(
            names=names,
            cluster=cluster,
            keys=keys,
            region=region,
            account_id=account_id,
            partition=partition,
            ami_release_version=eks_ami_release_version(KUBERNETES_VERSION),
            ami_alias=f"al2023@{EKS_AMI_RELEASE}",
            karpenter_chart=HELM_CHARTS["karpenter"],
            device_plugin_chart=HELM_CHARTS["nvidia-device-plugin"],
            system=system_pool(plan),
            general=general_pool(plan),
            gpu_inference=gpu_inference_pool(plan),
            gpu_training=gpu_training_pool(plan, azs, zone_ids),
            tags=settings.tags(),
        ),
        opts=in_region,
    )
    addons = ClusterAddons(  # K8S-CORE (MESH waits for addons.ready)
        "addons",
        ClusterAddonsArgs(
            cluster=cluster,
            after=[nodes.system_pool],
            names=names,
            partition=partition,
            region=region,
            versions={a: eks_addon_version(a) for a in POST_NODE_ADDONS},
            volume_key_arn=keys.arn(KeyClass.COMPUTE),
        ),
        opts=in_region,
    )
    # MESH: Istio and the ingress NLB, then the 12 tenant namespaces and traffic policies. The NLB
    # admits only the environment's edge: Cloudflare's published ranges, or, with the AWS-native
    # edge, CloudFront's origin-facing managed prefix list.
    cloudfront_origin = settings.edge_provider == "aws"
    edge_prefix_lists = (
        [
            aws.ec2.get_managed_prefix_list_output(
                name=CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, opts=invoke
            ).id
        ]
        if cloudfront_origin
        else []
    )
    mesh = ServiceMesh(
        "mesh",
        ServiceMeshArgs(
            names=names,
            region=region,
            cluster=cluster,
            vpc_id=network.vpc.id,
            public_subnet_ids=pulumi.Output.all(*network.public_subnet_ids),
            backend_cidrs=[str(plan.vpc_cidr), str(pods)],
            edge_ipv4=[] if cloudfront_origin else EDGE_RANGES.ipv4,
            edge_ipv6=[] if cloudfront_origin else EDGE_RANGES.ipv6,
            edge_prefix_list_ids=edge_prefix_lists,
            aws_services=aws_services_reached(),
            charts=HELM_CHARTS,
            load_balancer_controller_policy=load_balancer_controller_policy(),
            edge_certificate=origin_certificate(
                names, settings.edge_provider, settings.edge_hostnames, region
            ).credential,
            health_path=health_path(),
            after=addons.ready,
            istiod_replicas=plan.settings.mesh.istiod_replicas,
            gateway_min_replicas=plan.settings.mesh.gateway_min_replicas,
            gateway_max_replicas=plan.settings.mesh.gateway_max_replicas,
        ),
        opts=in_region,
    )
    tenants = Tenancy(  # DATA grants its stores to tenants.identities
        "tenants",
        TenancyArgs(
            names=names,
            region=region,
            cluster=cluster,
            keys=keys,
            account_id=account_id,
            partition=partition,
            vpc_cidr=str(plan.vpc_cidr),
            kubernetes_version=KUBERNETES_VERSION,
            after=mesh.ready,
            edge_routes=mesh_routes(),
            edge_gateway=EDGE_GATEWAY_REF,
        ),
        opts=in_region,
    )
    telemetry = TelemetryAgents(  # K8S-CORE: Fluent Bit and an OpenTelemetry Collector
        "telemetry",
        TelemetryAgentsArgs(
            cluster=cluster,
            names=names,
            region=region,
            logs_key_arn=keys.arn(KeyClass.LOGS),
            retention_days=cloudwatch_retention_days(plan.settings.retention.logs.hot_days),
            fluent_bit=HELM_CHARTS["aws-for-fluent-bit"],
            collector=HELM_CHARTS["opentelemetry-collector"],
            after=[*addons.ready, *mesh.ready],  # DNS and storage; Istio's CRDs and webhooks
            prometheus=prometheus,  # BASELINE: SigV4 remote write to the region's workspace
        ),
        opts=in_region,
    )

    # --- Event streaming and the lakehouse (issue 11, STREAMING) ---------------------------------
    stream = plan.settings.streaming
    kafka_size = plan.settings.sizing.kafka
    topics = topic_table()
    kafka = KafkaCluster(
        "kafka",
        KafkaClusterArgs(
            names=names,
            kafka_version=KAFKA_VERSION,
            instance_type=kafka_size.instance_type,
            broker_count=broker_count(kafka_size.brokers_per_az, len(azs)),
            volume_gb=kafka_size.volume_gb,
            vpc_id=network.vpc.id,
            subnet_ids=pulumi.Output.all(*network.data_subnet_ids),
            availability_zone_count=len(azs),
            client_security_group_ids=[cluster.node_security_group_id],
            kms_key_arn=keys.arn(KeyClass.STREAMING),
            logs_kms_key_arn=keys.arn(KeyClass.LOGS),
            account_id=account_id,
            region=region,
            partition=partition,
            topics=[
                TopicSpec(t.name, t.partitions, t.replication_factor, t.tiered, t.schema)
                for t in topics
            ],
            tiered_storage=stream.tiered_storage,
            hot_retention_hours=stream.hot_retention_hours,
            total_retention_days=stream.total_retention_days,
            max_volume_gb=stream.max_volume_gb,
            storage_target_utilization=stream.storage_target_utilization,
            log_retention_days=stream.broker_log_retention_days,
            schema_compatibility=stream.schema_compatibility,
            dlq_max_receives=stream.dlq_max_receives,
            replicator_source=kafka_replicator_source(
                settings.manifest.regions,
                settings.manifest.replication,
                region,
                settings.manifest.data_classification,
            ),
        ),
        opts=in_region,
    )
    lake_settings = plan.settings.lakehouse
    life = lake_settings.lifecycle
    lake = Lakehouse(
        "lakehouse",
        LakehouseArgs(
            names=names,
            account_id=account_id,
            region=region,
            partition=partition,
            storage_key_arn=keys.arn(KeyClass.STORAGE),
            logs_key_arn=keys.arn(KeyClass.LOGS),
            kafka_cluster_arn=kafka.arn,
            bronze_topics=[t.name for t in topics if t.bronze],
            kafka_ready=[
                kafka.cluster_policy,
                *(kafka.topics[t.name] for t in topics if t.bronze),
            ],
            gold_readers=lake_settings.gold_readers,
            lake_admins=lake_settings.lake_admins,
            lifecycle=LakeLifecycleArgs(
                life.ia_days, life.glacier_days, life.bronze_expire_days, life.noncurrent_days
            ),
            compliance_retention_years=lake_settings.compliance_retention_years,
            object_lock_mode=lake_settings.object_lock_mode,
            replica_region=replica_region(
                settings.manifest.regions,
                settings.manifest.replication,
                region,
                settings.manifest.data_classification,
            ),
            replication_time_control=lake_settings.replication_time_control,
            key_deletion_window_days=plan.settings.keys.deletion_window_days,
        ),
        opts=in_region,
    )
    pair = replication_pairs(
        settings.manifest.regions,
        settings.manifest.replication,
        settings.manifest.data_classification,
    ).get(region)
    if pair is not None:  # this region's Kafka link to the primary (stacks/streaming_links.py)
        kafka_link_to_primary(
            pair,
            names=names,
            environment=env,
            account_id=account_id,
            partition=partition,
            kafka_arn=kafka.arn,
            kafka_subnet_ids=kafka.subnet_ids,
            kafka_security_group_id=kafka.security_group.id,
            topics=[t.name for t in topics],
            opts=in_region,
        )

    # --- Transactional data layer (issue 10, DATA): Aurora, Cassandra, cache, global tables, backup
    data = plan.settings.data
    stores = data_topology(settings)
    aurora_role = stores.aurora_role(region)
    primary = (
        None if region == stores.primary else UpstreamStack(env, Role.REGIONAL, stores.primary)
    )
    data_clients = [cluster.node_security_group_id]  # pods share it (custom networking ENIConfig)
    aurora = None
    if aurora_role != "none":
        aurora = AuroraGlobalPostgres(
            "aurora",
            AuroraArgs(
                names=names,
                role=(aurora_role if stores.aurora_global else "standalone"),
                global_identifier=(
                    None
                    if not stores.aurora_global
                    else aurora_global_identifier(env)
                    if primary is None
                    else primary.require("auroraGlobalClusterIdentifier")
                ),
                engine_version=AURORA_POSTGRES_VERSION,
                parameter_family=AURORA_POSTGRES_FAMILY,
                instance_class=plan.settings.sizing.aurora.instance_class,
                instances=(
                    1 + plan.settings.sizing.aurora.readers
                    if aurora_role == "primary"
                    else data.aurora.secondary_readers
                ),
                availability_zones=azs,
                vpc_id=network.vpc.id,
                subnet_ids=network.data_subnet_ids,
                clients=data_clients,
                endpoint_security_group_id=network.endpoint_security_group_id,
                storage_key_arn=keys.arn(KeyClass.DATABASES),
                secrets_key_arn=keys.arn(KeyClass.SECRETS),
                region=region,
                account_id=account_id,
                partition=partition,
                backup_retention_days=data.aurora.backup_retention_days,
                monitoring_interval_seconds=data.aurora.monitoring_interval_seconds,
                performance_insights_retention_days=data.aurora.performance_insights_retention_days,
                proxy=data.aurora.proxy,
                master_rotation=MasterRotation(  # BASELINE: the master secret rotates
                    application=AURORA_ROTATION_APPLICATION,
                    semantic_version=AURORA_ROTATION_VERSIONS[partition],
                    days=data.aurora.master_rotation_days,
                    logs_key_arn=keys.arn(KeyClass.LOGS),
                    log_retention_days=cloudwatch_retention_days(logs.hot_days),
                    alert_topic_arn=alerts.arns["P3"],
                ),
            ),
            opts=in_region,
        )
    keyspace_name, cassandra_table_specs = cassandra_tables()
    cassandra = None
    if stores.cassandra_engines[region] == "keyspaces":
        cassandra = CassandraKeyspace(
            "cassandra",
            CassandraKeyspaceArgs(
                names=names,
                keyspace=keyspace_name,
                regions=stores.keyspaces_regions,
                owner=region == stores.keyspaces_regions[0],
                tables=cassandra_table_specs,
                kms_key_arn=keys.arn(KeyClass.DATABASES),
                region=region,
                account_id=account_id,
                partition=partition,
            ),
            opts=in_region,
        )
    else:
        K8ssandra(
            "cassandra",
            K8ssandraArgs(
                names=names,
                cluster=cluster,
                region=region,
                datacenters=stores.k8ssandra_regions,
                keyspace=keyspace_name,
                tables=cassandra_table_specs,
                chart=HELM_CHARTS["k8ssandra-operator"],
                cassandra_version=CASSANDRA_VERSION,
                volume_key_arn=keys.arn(KeyClass.COMPUTE),
                backup_bucket=names.physical("cassandra-backups", account_id),
                backup_key_arn=keys.arn(KeyClass.BACKUPS),
                account_id=account_id,
                partition=partition,
                clients=data.access.get("cassandra", []),
                after=[*addons.ready, *mesh.ready],
            ),
            opts=in_region,
        )
    cache_size = plan.settings.sizing.cache
    cache_role = stores.cache_role(region)
    cache = Cache(
        "cache",
        CacheArgs(
            names=names,
            role=cache_role,
            engine=data.cache.engine,
            engine_version=CACHE_ENGINE_VERSIONS[data.cache.engine],
            node_type=cache_size.node_type,
            shards=cache_size.shards,
            replicas=cache_size.replicas_per_shard,
            vpc_id=network.vpc.id,
            subnet_ids=network.data_subnet_ids,
            clients=data_clients,
            kms_key_arn=keys.arn(KeyClass.DATABASES),
            users=data.access.get("cache", []),
            snapshot_retention_days=data.cache.snapshot_retention_days,
            region=region,
            account_id=account_id,
            partition=partition,
            global_datastore_id=(
                primary.require("cacheGlobalDatastoreId")
                if primary is not None and cache_role == "secondary"
                else None
            ),
        ),
        opts=in_region,
    )
    table_specs = dynamodb_tables()
    tables = GlobalTables(
        "dynamodb",
        GlobalTablesArgs(
            names=names,
            tables=table_specs,
            owner=primary is None,
            kms_key_arn=keys.arn(KeyClass.DATABASES),
            region=region,
            account_id=account_id,
            partition=partition,
            global_table_arns=(
                {t.name: primary.require_item("globalTableArns", t.name) for t in table_specs}
                if primary is not None
                else {}
            ),
        ),
        opts=in_region,
    )
    BackupVault(
        "backup",
        BackupVaultArgs(
            names=names,
            kms_key_arn=keys.arn(KeyClass.BACKUPS),
            **backup_placement(region, stores, plan.settings.retention.backups),
            vault_lock=data.backup.vault_lock,
            restore_testing=data.backup.restore_testing,
            resources={
                "Aurora": [aurora.cluster.arn] if aurora is not None else [],
                "DynamoDB": [
                    *(t.arn for t in tables.tables.values()),
                    *(r.arn for r in tables.replicas.values()),
                ],
            },
            partition=partition,
            region=region,
            account_id=account_id,
            key_deletion_window_days=plan.settings.keys.deletion_window_days,
        ),
        opts=in_region,
    )
    grant_tenants(
        tenants.identities,
        data.access,
        aurora=aurora,
        cassandra=cassandra,
        cache=cache,
        tables=tables,
    )
    export_data_outputs(
        aurora,
        cache,
        tables,
        dr_summary(region, stores, data, settings.manifest, plan.settings.retention.backups),
    )
    wire_dependencies(  # stacks/data/service_dependencies.json: buckets, event grants, alarms
        names, account_id, tenants.identities, kafka, keys.arn(KeyClass.STORAGE),
        lake.buckets["access-logs"].id, alerts.arns, in_region,
    )  # fmt: skip

    # --- Platform alarms (issue 14, BASELINE): the stores this region runs -> alert topics -----
    PlatformAlarms(
        "alarms",
        PlatformAlarmsArgs(
            names=names,
            topic_arns=alerts.arns,
            kafka_cluster_names=[kafka.cluster.cluster_name],
            aurora_cluster_ids=[aurora.cluster.cluster_identifier] if aurora else [],
            aurora_secondary_cluster_ids=(
                [aurora.cluster.cluster_identifier]
                if aurora and aurora_role == "secondary" and stores.aurora_global
                else []
            ),
            # every region serving the multi-region keyspace (its owner declares the keyspace)
            keyspaces=[keyspace_name] if stores.cassandra_engines[region] == "keyspaces" else [],
            dynamodb_tables=[tables.table_name(t) for t in table_specs],
            cache_shards=cache_shard_node_ids(
                names.physical("cache", max_length=CACHE_ID_MAX),
                cache_size.shards,
                cache_size.replicas_per_shard,
            ),
            nat_gateway_ids=network.nat_gateway_ids,
        ),
        opts=in_region,
    )

    pulumi.export("region", region)
    pulumi.export("accountId", account_id)
    pulumi.export("availabilityZones", azs)
    pulumi.export("vpcId", network.vpc.id)
    pulumi.export("vpcCidr", str(plan.vpc_cidr))
    pulumi.export("publicSubnetIds", network.public_subnet_ids)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
    pulumi.export("dataSubnetIds", network.data_subnet_ids)
    pulumi.export("natPublicIps", network.nat_public_ips)
    pulumi.export("endpointSecurityGroupId", network.endpoint_security_group_id)
    pulumi.export("keyArns", keys.key_arns)
    pulumi.export("logArchiveBucketArn", archive.bucket_arn)
    pulumi.export("sizing", plan.settings.sizing.model_dump(by_alias=True))
    pulumi.export("gpuEnabled", plan.gpu_enabled)
    pulumi.export("ingressHostname", mesh.ingress_hostname)  # MESH: the edge's origin
    # K8S-NODES
    pulumi.export("nodePools", nodes.summary)
    pulumi.export("gpuInstanceTypes", nodes.gpu_instance_types)
    # K8S-CORE
    pulumi.export("clusterName", cluster.name)
    pulumi.export("clusterEndpoint", cluster.endpoint)
    pulumi.export("podCidr", str(pods))
    pulumi.export("podIpCapacity", pod_ip_capacity(network.pod_subnet_cidrs))
    pulumi.export("clusterAddons", sorted([*cluster.addons, *addons.addons]))
    pulumi.export("telemetryLogGroups", telemetry.log_group_names)
    # BASELINE: the edge stack's Grafana reads every region's workspace
    pulumi.export("prometheusWorkspaceArn", prometheus.arn)
    pulumi.export("prometheusEndpoint", prometheus.endpoint)
    pulumi.export("alertTopicArns", alerts.arns)
    # STREAMING: what the paired regions' stacks read (stacks/streaming_links.py)
    pulumi.export("kafkaClusterArn", kafka.arn)
    pulumi.export("kafkaBootstrapBrokersIam", kafka.bootstrap_brokers_iam)
    pulumi.export("kafkaSubnetIds", kafka.subnet_ids)
    pulumi.export("kafkaSecurityGroupId", kafka.security_group.id)
    pulumi.export("kafkaTopics", [t.name for t in topics])
    pulumi.export("lakeBucketArns", lake.bucket_arns)
    pulumi.export("lakeReplicaRegion", lake.args.replica_region)
    pulumi.export("athenaWorkgroup", lake.workgroup.name)
    pulumi.export("replicationPeer", pair.primary if pair and pair.kafka else None)
    pulumi.export("deployRunnerProject", runner.project_name)  # runs-on: codebuild-<it>-<run>
