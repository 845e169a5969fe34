"""KafkaCluster: one region's MSK cluster (KRaft), its broker configuration, storage autoscaling,
its topics, the Glue Schema Registry and the dead-letter / fan-out queues.

- Brokers in the data subnets (one per AZ, at most three: MSK's limit), a broker count that is a
  multiple of them; TLS only in transit (client-broker and in-cluster); at rest with the region's
  streaming key; IAM client authentication, unauthenticated access off; multi-VPC private
  connectivity with IAM (the Firehose feed to the lake connects through it); broker logs to a
  KMS-encrypted log group; enhanced monitoring and the Prometheus exporters (open monitoring: JMX
  on 11001, node on 11002, admitted from the listed monitoring groups only; `broker_endpoints`
  names every broker they are scraped at).
- The cluster's security group is the component's own and never changes: who may connect is a set
  of separate ingress rules (port 9098, IAM over TLS), so granting a new client never replaces the
  cluster (`broker_node_group_info.security_groups` forces replacement in the provider).
- The MSK configuration's name carries the Kafka version: a version bump creates the new
  configuration first, moves the cluster to it, then deletes the old one (a fixed name would make
  create-before-delete collide). The cluster always points at the configuration's
  `latest_revision`, so an edited property set creates a revision that is applied.
- Storage autoscaling grows broker volumes; the cluster ignores `volumeSize` afterwards, which is
  exactly the field the autoscaler changes.
- Topics through MSK's topic API (`aws.msk.Topic`, Kafka >= 3.6): no Kafka admin client, no network
  path from the deployer to the brokers.

Example::

    kafka = KafkaCluster("kafka", KafkaClusterArgs(
        names=names, kafka_version=KAFKA_VERSION, instance_type="kafka.m7g.4xlarge",
        broker_count=9, volume_gb=4000, vpc_id=network.vpc.id,
        subnet_ids=network.data_subnet_ids, client_security_group_ids=[node_sg_id],
        kms_key_arn=keys.arn(KeyClass.STREAMING), logs_kms_key_arn=keys.arn(KeyClass.LOGS),
        scope=AwsScope(account_id=account, region="us-east-1"),
        topics=[TopicSpec("user-events", 64, 3)], ...), opts=in_region)
    kafka.arn, kafka.bootstrap_brokers_iam
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.iam import deny_insecure_transport, policy_document, statement
from components.common.naming import Names
from components.common.scope import AwsScope
from components.common.security_groups import peer_group_rules
from components.kubernetes.workload_identity import WorkloadIdentity

IAM_TLS_PORT = 9098
"""Brokers' port for IAM-authenticated clients over TLS (inside the VPC)."""
JMX_EXPORTER_PORT = 11001
NODE_EXPORTER_PORT = 11002
"""Open monitoring's Prometheus exporters on every broker, plain HTTP: "Amazon MSK uses port
11001 for the JMX Exporter and port 11002 for the Node Exporter" (MSK developer guide, "Set up
a Prometheus host on an Amazon EC2 instance",
https://docs.aws.amazon.com/msk/latest/developerguide/set-up-prometheus-host.html)."""
OPEN_MONITORING_PORTS: dict[str, int] = {"jmx": JMX_EXPORTER_PORT, "node": NODE_EXPORTER_PORT}

MAX_CLIENT_SUBNETS = 3

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

ENVELOPE_SCHEMA = {
    "type": "record",
    "name": "Envelope",
    "namespace": "io.meridian.events",
    "doc": "First version of every Meridian event value; producers register later versions.",
    "fields": [
        {"name": "event_id", "type": "string"},
        {"name": "event_type", "type": "string"},
        {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "trace_id", "type": ["null", "string"], "default": None},
        {"name": "payload", "type": "bytes"},
    ],
}


# Kafka actions of MSK IAM access control, each with the actions the MSK developer guide lists as
# required with it ("Semantics of IAM authorization policy actions and resources",
# https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html): Connect on the
# cluster; WriteData needs DescribeTopic, WriteDataIdempotently (cluster) needs WriteData; ReadData
# needs DescribeTopic and AlterGroup (group), AlterGroup needs DescribeGroup.
PRODUCE_CLUSTER_ACTIONS = ("kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently")
"""On the cluster ARN: idempotent producers (architecture section 06: exactly-once)."""
PRODUCE_TOPIC_ACTIONS = ("kafka-cluster:DescribeTopic", "kafka-cluster:WriteData")
CONSUME_CLUSTER_ACTIONS = ("kafka-cluster:Connect",)
CONSUME_TOPIC_ACTIONS = ("kafka-cluster:DescribeTopic", "kafka-cluster:ReadData")
CONSUME_GROUP_ACTIONS = ("kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup")
QUEUE_CONSUME_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
)
"""What a worker of an SQS queue calls (SQS API reference: ReceiveMessage, DeleteMessage,
ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl)."""
PUBLISH_ACTIONS = ("sns:Publish",)


def kafka_resource_arn(cluster_arn: str, kind: str, name: str) -> str:
    """The ARN of a topic or group of a cluster: MSK's resource ARNs are the cluster's with the
    resource type in place of `cluster` and the name appended,
    `arn:aws:kafka:<region>:<account>:topic/<cluster-name>/<cluster-uuid>/<topic>` (same page,
    "Authorization policy resources")."""
    prefix, sep, rest = cluster_arn.partition(":cluster/")
    if not sep:
        raise ValueError(f"not an MSK cluster ARN: {cluster_arn}")
    return f"{prefix}:{kind}/{rest}/{name}"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    tiered: bool = True
    schema: bool = False


def broker_properties(
    *, hot_retention_hours: int, default_partitions: int = 24, max_message_bytes: int = 10_485_760
) -> dict[str, str]:
    """The seed's broker settings (architecture section 06, 'Cluster Configuration')."""
    return {
        "auto.create.topics.enable": "false",
        "default.replication.factor": "3",
        "min.insync.replicas": "2",
        "num.partitions": str(default_partitions),
        "compression.type": "zstd",
        "log.retention.hours": str(hot_retention_hours),
        "message.max.bytes": str(max_message_bytes),
        "replica.fetch.max.bytes": str(max_message_bytes),
        "unclean.leader.election.enable": "false",
        "delete.topic.enable": "true",
    }


def render_properties(properties: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in sorted(properties.items()))


def topic_configs(
    spec: TopicSpec, *, tiered: bool, hot_retention_hours: int, total_retention_days: int
) -> dict[str, str]:
    """Per-topic settings: hot on broker disks, the rest in the tiered storage when on."""
    configs = {"min.insync.replicas": "2", "cleanup.policy": "delete", "compression.type": "zstd"}
    if tiered and spec.tiered:
        configs |= {
            "remote.storage.enable": "true",
            "local.retention.ms": str(hot_retention_hours * HOUR_MS),
            "retention.ms": str(total_retention_days * DAY_MS),
        }
    else:
        configs["retention.ms"] = str(hot_retention_hours * HOUR_MS)
    return configs


@dataclass(frozen=True)
class KafkaClusterArgs:
    names: Names
    kafka_version: str
    instance_type: str
    broker_count: int
    volume_gb: int
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    """The data subnets, one per AZ; the first three are used (MSK's limit)."""
    availability_zone_count: int
    kms_key_arn: pulumi.Input[str]
    logs_kms_key_arn: pulumi.Input[str]
    scope: AwsScope
    """The account, partition and region the cluster lives in."""
    topics: Sequence[TopicSpec]
    client_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """Security groups whose members may connect on 9098 (e.g. the EKS node SG)."""
    monitoring_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """Security groups whose members may scrape the brokers' exporters (11001 and 11002): the
    group the metrics scraper's pods run in."""
    tiered_storage: bool = True
    hot_retention_hours: int = 168
    total_retention_days: int = 30
    max_volume_gb: int = 16384
    storage_target_utilization: int = 60
    log_retention_days: int = 30
    schema_compatibility: str = "BACKWARD"
    fanout_queues: Sequence[str] = ("push", "email")
    dlq_max_receives: int = 5
    enhanced_monitoring: str = "PER_TOPIC_PER_BROKER"
    replicator_source: bool = False
    """An MSK Replicator in another region reads this cluster (its cluster policy admits MSK)."""
    protect: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        zones = min(self.availability_zone_count, MAX_CLIENT_SUBNETS)
        if self.broker_count % zones:
            raise ValueError(f"broker_count {self.broker_count} is not a multiple of {zones} AZs")
        if self.max_volume_gb < self.volume_gb:
            raise ValueError("max_volume_gb must be at least volume_gb")


def cluster_policy_statements(
    cluster_arn: pulumi.Input[str], *, replicator_source: bool
) -> list[dict[str, Any]]:
    """The statements of a cluster's policy (MSK allows one policy per cluster, so every service
    that reaches the cluster through multi-VPC private connectivity is in this one document).

    - Firehose: reads topics into the lake through its own VPC connection.
    - MSK Replicator, when another region replicates from this cluster: "for a cross-region MSK
      Replicator, you must attach a resource-based permissions policy to your source cluster"
      allowing the `kafka.amazonaws.com` service principal kafka:CreateVpcConnection,
      kafka:GetBootstrapBrokers and kafka:DescribeClusterV2 on the source cluster (MSK developer
      guide, "Prepare the Amazon MSK source cluster",
      https://docs.aws.amazon.com/msk/latest/developerguide/msk-replicator-prepare-cluster.html).
      The documented policy carries no condition; none is added, since MSK does not document
      which context keys (aws:SourceAccount, aws:SourceArn) it sends with these calls.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "FirehoseReadsThroughPrivateConnectivity",
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
            "Action": [
                "kafka:CreateVpcConnection",
                "kafka:GetBootstrapBrokers",
                "kafka:DescribeCluster",
                "kafka:DescribeClusterV2",
            ],
            "Resource": cluster_arn,
        }
    ]
    if replicator_source:
        statements.append(
            {
                "Sid": "MskReplicatorReadsCrossRegion",
                "Effect": "Allow",
                "Principal": {"Service": "kafka.amazonaws.com"},
                "Action": [
                    "kafka:CreateVpcConnection",
                    "kafka:GetBootstrapBrokers",
                    "kafka:DescribeClusterV2",
                ],
                "Resource": cluster_arn,
            }
        )
    return statements


def configuration_name(names: Names, kafka_version: str) -> str:
    """One configuration per Kafka version: a bump creates the new one before deleting the old."""
    return names.physical("kafka", kafka_version.replace(".", "-"))


class KafkaCluster(pulumi.ComponentResource):
    cluster: aws.msk.Cluster
    security_group: aws.ec2.SecurityGroup
    arn: pulumi.Output[str]
    bootstrap_brokers_iam: pulumi.Output[str]
    topics: dict[str, aws.msk.Topic]
    cluster_policy: aws.msk.ClusterPolicy
    """What lets Firehose create its private VPC connection (AWS checks it at stream creation)."""
    subnet_ids: pulumi.Output[list[str]]
    broker_endpoints: pulumi.Output[list[str]]
    """Every broker's DNS name (no port), sorted: what open monitoring is scraped at."""

    def __init__(
        self, name: str, args: KafkaClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:streaming:KafkaCluster", name, None, opts)
        self.args = args
        self.subnet_ids = pulumi.Output.from_input(args.subnet_ids).apply(
            lambda ids: list(ids)[:MAX_CLIENT_SUBNETS]
        )
        self.security_group = self._security_group(name, args)
        self.cluster = self._cluster(name, args)
        self.arn = self.cluster.arn
        self.bootstrap_brokers_iam = self.cluster.bootstrap_brokers_sasl_iam
        self.broker_endpoints = self._broker_endpoints()
        self.cluster_policy = self._cluster_policy(name, args)
        self._storage_scaling(name, args)
        self.topics = self._topics(name, args)
        self.registry = self._schemas(name, args)
        self.fanout_topic, self.queues, self.dead_letter_queues = self._fanout(name, args)
        self.register_outputs(
            {
                "clusterArn": self.cluster.arn,
                "bootstrapBrokersIam": self.bootstrap_brokers_iam,
                "securityGroupId": self.security_group.id,
                "topics": sorted(self.topics),
            }
        )

    def _security_group(self, name: str, args: KafkaClusterArgs) -> aws.ec2.SecurityGroup:
        """The brokers' group: IAM over TLS from itself and from the listed clients only."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        security_group = aws.ec2.SecurityGroup(
            f"{name}-brokers",
            name=names.physical("kafka", "brokers"),
            description="MSK brokers: IAM over TLS (9098) from the listed clients only",
            vpc_id=args.vpc_id,
            tags={"Name": names.display("kafka", "brokers")},
            opts=child,
        )
        sg_id = security_group.id
        # Brokers, MSK Replicator and the Firehose VPC connection reach the brokers through this
        # same group; everything else through the client groups' rules below.
        peer_group_rules(
            client_group_id=sg_id,
            server_group_id=sg_id,
            port=IAM_TLS_PORT,
            egress_name=f"{name}-egress-self",
            ingress_name=f"{name}-ingress-self",
            egress_description="IAM/TLS to the brokers (MSK Replicator ENIs use this group)",
            ingress_description="IAM/TLS between members of the broker group (replicator, brokers)",
            opts=child,
        )
        for i, client in enumerate(args.client_security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ingress-client-{i}",
                security_group_id=sg_id,
                referenced_security_group_id=client,
                ip_protocol="tcp",
                from_port=IAM_TLS_PORT,
                to_port=IAM_TLS_PORT,
                description="Kafka clients: IAM over TLS",
                opts=child,
            )
        for i, scraper in enumerate(args.monitoring_security_group_ids):
            for exporter, port in OPEN_MONITORING_PORTS.items():
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-ingress-scrape-{exporter}-{i}",
                    security_group_id=sg_id,
                    referenced_security_group_id=scraper,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"Prometheus scraper: open monitoring's {exporter} exporter",
                    opts=child,
                )
        return security_group

    def _cluster(self, name: str, args: KafkaClusterArgs) -> aws.msk.Cluster:
        """The broker log group, the broker configuration and the cluster (protected)."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        cluster_name = names.physical("kafka")
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-broker-logs",
            name=f"/meridian/{names.environment}/{args.scope.region}/msk/{cluster_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_kms_key_arn,
            opts=child,
        )
        self.configuration = aws.msk.Configuration(
            f"{name}-configuration",
            name=configuration_name(names, args.kafka_version),
            kafka_versions=[args.kafka_version],
            description="Meridian broker settings (RF 3, min ISR 2, zstd, 7 d hot, 10 MB)",
            server_properties=render_properties(
                broker_properties(hot_retention_hours=args.hot_retention_hours)
            ),
            opts=child,
        )
        return aws.msk.Cluster(
            f"{name}-cluster",
            cluster_name=cluster_name,
            kafka_version=args.kafka_version,
            number_of_broker_nodes=args.broker_count,
            broker_node_group_info={
                "instance_type": args.instance_type,
                "client_subnets": self.subnet_ids,
                "security_groups": [self.security_group.id],
                "storage_info": {"ebs_storage_info": {"volume_size": args.volume_gb}},
                "connectivity_info": {
                    "vpc_connectivity": {"client_authentication": {"sasl": {"iam": True}}}
                },
            },
            client_authentication={"sasl": {"iam": True}, "unauthenticated": False},
            encryption_info={
                "encryption_at_rest_kms_key_arn": args.kms_key_arn,
                "encryption_in_transit": {"client_broker": "TLS", "in_cluster": True},
            },
            configuration_info={
                "arn": self.configuration.arn,
                "revision": self.configuration.latest_revision,
            },
            enhanced_monitoring=args.enhanced_monitoring,
            open_monitoring={
                "prometheus": {
                    "jmx_exporter": {"enabled_in_broker": True},
                    "node_exporter": {"enabled_in_broker": True},
                }
            },
            logging_info={
                "broker_logs": {
                    "cloudwatch_logs": {"enabled": True, "log_group": self.log_group.name}
                }
            },
            storage_mode="TIERED" if args.tiered_storage else "LOCAL",
            tags={"Name": cluster_name, **args.tags},
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                # storage autoscaling grows the volumes; the program must not shrink them back
                ignore_changes=["brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"],
            ),
        )

    def _broker_endpoints(self) -> pulumi.Output[list[str]]:
        """Every broker's DNS name, from MSK's ListNodes (the provider's `getBrokerNodes`), which
        is where the developer guide takes a Prometheus host's targets from: each broker answers
        for itself only. Read at every update; unknown in a preview of a new cluster."""
        nodes = aws.msk.get_broker_nodes_output(
            cluster_arn=self.cluster.arn, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        return nodes.node_info_lists.apply(
            lambda infos: sorted(host for info in infos for host in info.endpoints)
        )

    def _cluster_policy(self, name: str, args: KafkaClusterArgs) -> aws.msk.ClusterPolicy:
        """The cluster's one resource policy: Firehose reads topics over the multi-VPC private
        connectivity, and a cross-region MSK Replicator reading this cluster needs the same."""
        return aws.msk.ClusterPolicy(
            f"{name}-cluster-policy",
            cluster_arn=self.cluster.arn,
            policy=policy_document(
                cluster_policy_statements(
                    self.cluster.arn, replicator_source=args.replicator_source
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _storage_scaling(self, name: str, args: KafkaClusterArgs) -> None:
        """Broker storage grows with target tracking, up to `max_volume_gb`, never shrinks."""
        child = pulumi.ResourceOptions(parent=self)
        scaling = aws.appautoscaling.Target(
            f"{name}-storage-scaling",
            service_namespace="kafka",
            scalable_dimension="kafka:broker-storage:VolumeSize",
            resource_id=self.cluster.arn,
            min_capacity=1,
            max_capacity=args.max_volume_gb,
            opts=child,
        )
        aws.appautoscaling.Policy(
            f"{name}-storage-scaling-policy",
            name=args.names.physical("kafka", "storage"),
            policy_type="TargetTrackingScaling",
            service_namespace=scaling.service_namespace,
            scalable_dimension=scaling.scalable_dimension,
            resource_id=scaling.resource_id,
            target_tracking_scaling_policy_configuration={
                "predefined_metric_specification": {
                    "predefined_metric_type": "KafkaBrokerStorageUtilization"
                },
                "target_value": args.storage_target_utilization,
                # EBS volumes of MSK brokers only grow
                "disable_scale_in": True,
            },
            opts=child,
        )

    def _topics(self, name: str, args: KafkaClusterArgs) -> dict[str, aws.msk.Topic]:
        """The table's topics with their partitions, replication and retention."""
        topics: dict[str, aws.msk.Topic] = {}
        for spec in args.topics:
            topics[spec.name] = aws.msk.Topic(
                f"{name}-topic-{spec.name}",
                cluster_arn=self.cluster.arn,
                name=spec.name,
                partition_count=spec.partitions,
                replication_factor=spec.replication_factor,
                configs=json.dumps(
                    topic_configs(
                        spec,
                        tiered=args.tiered_storage,
                        hot_retention_hours=args.hot_retention_hours,
                        total_retention_days=args.total_retention_days,
                    ),
                    sort_keys=True,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return topics

    def _schemas(self, name: str, args: KafkaClusterArgs) -> aws.glue.Registry:
        """The Glue schema registry and the first schema version of each schema'd topic."""
        registry = aws.glue.Registry(
            f"{name}-schema-registry",
            registry_name=args.names.physical("events"),
            description="Schemas of Meridian's Kafka topics (Avro, backward compatible by default)",
            opts=pulumi.ResourceOptions(parent=self),
        )
        for spec in args.topics:
            if not spec.schema:
                continue
            aws.glue.Schema(
                f"{name}-schema-{spec.name}",
                schema_name=f"{spec.name}-value",
                registry_arn=registry.arn,
                data_format="AVRO",
                compatibility=args.schema_compatibility,
                schema_definition=json.dumps(ENVELOPE_SCHEMA),
                description=f"Values of topic {spec.name}",
                # producers register later versions; this is only the first one
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["schemaDefinition"]),
            )
        return registry

    def topic_arn(self, topic: str) -> pulumi.Output[str]:
        """The exact ARN of one of this cluster's topics (no wildcard)."""
        if topic not in self.topics:
            raise ValueError(f"{topic} is not a topic of this cluster ({sorted(self.topics)})")
        return self.cluster.arn.apply(lambda arn: kafka_resource_arn(arn, "topic", topic))

    def group_arn(self, group: str) -> pulumi.Output[str]:
        """The exact ARN of one consumer group of this cluster."""
        return self.cluster.arn.apply(lambda arn: kafka_resource_arn(arn, "group", group))

    def grant_produce(
        self, identity: WorkloadIdentity, topics: Sequence[str]
    ) -> aws.iam.RolePolicy:
        """Connect and write (idempotently) to exactly these topics."""
        return identity.grant(
            "kafka-produce",
            [
                statement(PRODUCE_CLUSTER_ACTIONS, self.cluster.arn, sid="ConnectToTheCluster"),
                statement(
                    PRODUCE_TOPIC_ACTIONS,
                    [self.topic_arn(t) for t in topics],
                    sid="WriteTheTopics",
                ),
            ],
        )

    def grant_consume(
        self, identity: WorkloadIdentity, topics: Sequence[str], group: str
    ) -> aws.iam.RolePolicy:
        """Connect, read exactly these topics, and commit offsets as consumer group `group`."""
        return identity.grant(
            f"kafka-consume-{group}",
            [
                statement(CONSUME_CLUSTER_ACTIONS, self.cluster.arn, sid="ConnectToTheCluster"),
                statement(
                    CONSUME_TOPIC_ACTIONS, [self.topic_arn(t) for t in topics], sid="ReadTheTopics"
                ),
                statement(CONSUME_GROUP_ACTIONS, self.group_arn(group), sid="CommitAsTheGroup"),
            ],
        )

    def grant_queue_consume(self, identity: WorkloadIdentity, queue: str) -> aws.iam.RolePolicy:
        """Work one fan-out queue (receive, delete, extend visibility); never its dead letters."""
        return identity.grant(
            f"queue-consume-{queue}",
            [statement(QUEUE_CONSUME_ACTIONS, self.queues[queue].arn, sid="WorkTheQueue")],
        )

    def grant_publish(self, identity: WorkloadIdentity) -> aws.iam.RolePolicy:
        """Publish to the notification fan-out topic only."""
        return identity.grant(
            "fanout-publish",
            [statement(PUBLISH_ACTIONS, self.fanout_topic.arn, sid="PublishToTheFanout")],
        )

    def _fanout(
        self, name: str, args: KafkaClusterArgs
    ) -> tuple[aws.sns.Topic, dict[str, aws.sqs.Queue], dict[str, aws.sqs.Queue]]:
        """SNS fan-out to SQS work queues, each with its dead-letter queue, all under the
        streaming key."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(
            f"{name}-notification-fanout",
            name=names.physical("notification-fanout"),
            kms_master_key_id=args.kms_key_arn,
            opts=child,
        )
        queues: dict[str, aws.sqs.Queue] = {}
        dlqs: dict[str, aws.sqs.Queue] = {}
        for queue_name in args.fanout_queues:
            work_name = names.physical("notifications", queue_name, max_length=80)
            work_arn = args.scope.arn("sqs", work_name)
            dlq = aws.sqs.Queue(
                f"{name}-{queue_name}-dlq",
                name=names.physical("notifications", queue_name, "dlq", max_length=80),
                kms_master_key_id=args.kms_key_arn,
                kms_data_key_reuse_period_seconds=300,
                message_retention_seconds=14 * 24 * 3600,
                # only its own work queue may move messages here (ARN known from the name, so no
                # dependency cycle between the two queues)
                redrive_allow_policy=json.dumps(
                    {"redrivePermission": "byQueue", "sourceQueueArns": [work_arn]}
                ),
                opts=child,
            )
            queue = aws.sqs.Queue(
                f"{name}-{queue_name}",
                name=work_name,
                kms_master_key_id=args.kms_key_arn,
                kms_data_key_reuse_period_seconds=300,
                visibility_timeout_seconds=60,
                message_retention_seconds=4 * 24 * 3600,
                redrive_policy=dlq.arn.apply(
                    lambda arn: json.dumps(
                        {"deadLetterTargetArn": arn, "maxReceiveCount": args.dlq_max_receives}
                    )
                ),
                opts=child,
            )
            aws.sqs.QueuePolicy(
                f"{name}-{queue_name}-policy",
                queue_url=queue.url,
                policy=policy_document(
                    [
                        _sns_to_sqs(queue.arn, topic.arn),
                        _deny_insecure_sqs(queue.arn),
                    ]
                ),
                opts=child,
            )
            aws.sns.TopicSubscription(
                f"{name}-{queue_name}-subscription",
                topic=topic.arn,
                protocol="sqs",
                endpoint=queue.arn,
                raw_message_delivery=True,
                # a message SNS cannot deliver lands in the same dead-letter queue
                redrive_policy=dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn})),
                opts=child,
            )
            queues[queue_name] = queue
            dlqs[queue_name] = dlq
        return topic, queues, dlqs


def _sns_to_sqs(queue_arn: pulumi.Output[str], topic_arn: pulumi.Output[str]) -> dict[str, Any]:
    body = statement(
        ["sqs:SendMessage"],
        queue_arn,
        sid="FanoutTopicDelivers",
        condition={"ArnEquals": {"aws:SourceArn": topic_arn}},
    )
    body["Principal"] = {"Service": "sns.amazonaws.com"}
    return body


def _deny_insecure_sqs(queue_arn: pulumi.Output[str]) -> dict[str, Any]:
    return deny_insecure_transport("sqs:*", queue_arn)
