"""What a regional stack exports (the contract: stacks/outputs.py `RegionalOutputs`)."""

from __future__ import annotations

from components.kubernetes.pod_network import pod_ip_capacity
from stacks.outputs import RegionalOutputs
from stacks.regional.baseline import Baseline
from stacks.regional.context import RegionContext
from stacks.regional.data import Data
from stacks.regional.foundation import Foundation
from stacks.regional.kubernetes import Kubernetes
from stacks.regional.streaming import Streaming


def build(
    ctx: RegionContext,
    foundation: Foundation,
    baseline: Baseline,
    kubernetes: Kubernetes,
    streaming: Streaming,
    data: Data,
) -> RegionalOutputs:
    network, keys = foundation.network, foundation.keys
    cluster, nodes = kubernetes.cluster, kubernetes.nodes
    kafka, lake = streaming.kafka, streaming.lake
    aurora = data.aurora
    global_cluster = aurora.global_cluster if aurora is not None else None
    datastore = data.cache.global_datastore
    return RegionalOutputs(
        aurora=aurora.summary if aurora is not None else None,
        aurora_global_cluster_identifier=global_cluster.id if global_cluster else None,
        cache_global_datastore_id=(
            datastore.global_replication_group_id if datastore is not None else None
        ),
        global_table_arns=data.tables.arns if data.tables.tables else None,
        dr_summary=data.dr_summary,
        region=ctx.region,
        account_id=ctx.account_id,
        availability_zones=ctx.azs,
        vpc_id=network.vpc.id,
        vpc_cidr=str(ctx.plan.vpc_cidr),
        public_subnet_ids=network.public_subnet_ids,
        private_subnet_ids=network.private_subnet_ids,
        data_subnet_ids=network.data_subnet_ids,
        nat_public_ips=network.nat_public_ips,
        endpoint_security_group_id=network.endpoint_security_group_id,
        key_arns=keys.key_arns,
        log_archive_bucket_arn=foundation.archive.bucket_arn,
        sizing=ctx.plan.settings.sizing.model_dump(by_alias=True),
        gpu_enabled=ctx.plan.gpu_enabled,
        ingress_hostname=kubernetes.mesh.ingress_hostname,  # the edge's origin
        node_pools=nodes.summary,
        gpu_instance_types=nodes.gpu_instance_types,
        cluster_name=cluster.name,
        cluster_endpoint=cluster.endpoint,
        pod_cidr=str(ctx.pod_cidr),
        pod_ip_capacity=pod_ip_capacity(network.pod_subnet_cidrs),
        cluster_addons=sorted([*cluster.addons, *kubernetes.addons.addons]),
        telemetry_log_groups=kubernetes.telemetry.log_group_names,
        # the edge stack's Grafana reads every region's workspace
        prometheus_workspace_arn=baseline.prometheus.arn,
        prometheus_endpoint=baseline.prometheus.endpoint,
        alert_topic_arns=baseline.alerts.arns,
        # what the paired regions' stacks read (stacks/regional/streaming.py)
        kafka_cluster_arn=kafka.arn,
        kafka_bootstrap_brokers_iam=kafka.bootstrap_brokers_iam,
        kafka_subnet_ids=kafka.subnet_ids,
        kafka_security_group_id=kafka.security_group.id,
        kafka_topics=streaming.topic_names,
        lake_bucket_arns=lake.bucket_arns,
        lake_replica_region=streaming.lake_replica_region,
        athena_workgroup=lake.workgroup.name,
        replication_peer=streaming.replication_peer,
        deploy_runner_project=kubernetes.runner.project_name,  # runs-on: codebuild-<it>-<run>
    )
