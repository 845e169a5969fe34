"""DebeziumPostgresSource: change data capture from the Aurora PostgreSQL writer into the
`cdc.postgres.*` Kafka topics, as a Debezium PostgreSQL source connector on MSK Connect.

- The plugin: Debezium's PostgreSQL connector archive (Maven Central) and AWS's Kafka config
  providers (aws-samples/msk-config-providers), packed by Pulumi into one ZIP object (MSK Connect
  takes one ZIP or JAR per connector) in a bucket of its own: customer-managed key, versioned,
  TLS-only (components/common/buckets.py). The custom plugin is created from that exact object
  version; MSK Connect copies it at creation and never reads the bucket again.
- Credentials: the database user and password live in a protected Secrets Manager secret under
  the secrets key. The connector's configuration holds only `${secretsmanager:<secret>:<key>}`
  tokens, which the workers resolve at runtime through the config provider the worker
  configuration declares (MSK developer guide, "Externalizing sensitive information using config
  providers"). The secret rotates on a schedule (AWS's single-user PostgreSQL rotation function,
  components/data/secret_rotation.py); the connector keeps Kafka Connect's default
  `config.action.reload=restart`, so it restarts on the new password.
- Kafka: IAM client authentication over TLS (port 9098). The service execution role may connect,
  write exactly the CDC topics (no wildcard), and use MSK Connect's own internal topics and groups
  (`__amazon_msk_connect_*` of this cluster only, MSK developer guide "Understand service execution
  role"); read the one secret and decrypt it only through Secrets Manager. Debezium's topic name
  `<topic.prefix>.<schema>.<table>` is routed to the table's topic by Kafka's RegexRouter.
- PostgreSQL: `pgoutput` (built into PostgreSQL), a replication slot and a publication Debezium
  creates for the included tables only (`publication.autocreate.mode=filtered`); TLS required.
  Logical decoding must be on at the writer (`rds.logical_replication`, components/data/aurora.py).
- Network: the workers run in the given private subnets with their own security group: out only to
  the database's group on 5432, the brokers' group on 9098 and the VPC's interface endpoints on 443
  (Secrets Manager); the database's and the brokers' groups admit it. Nothing else, in or out.
- Worker logs go to a KMS-encrypted CloudWatch log group with a retention period.

Example::

    cdc = DebeziumPostgresSource("cdc", DebeziumPostgresSourceArgs(
        names=names, scope=AwsScope(account_id=account, region="us-east-1"),
        vpc_id=network.vpc.id, subnet_ids=network.private_subnet_ids,
        kafka_cluster_arn=kafka.arn, bootstrap_brokers_iam=kafka.bootstrap_brokers_iam,
        kafka_security_group_id=kafka.security_group.id, topic_prefix="cdc.postgres",
        tables=[CdcTable("cdc.postgres.orders", "public.orders")],
        database_host=aurora.cluster.endpoint, database_name="meridian",
        database_security_group_id=aurora.security_group.id,
        endpoint_security_group_id=network.endpoint_security_group_id,
        storage_key_arn=..., secrets_key_arn=..., logs_key_arn=..., log_retention_days=30,
        plugin=CdcPlugin(debezium_version="3.2.7.Final", config_providers_version="0.1.0"),
        kafkaconnect_version="3.7.x", rotation=CdcRotation(application=..., semantic_version=...,
        days=30, database_subnet_ids=network.data_subnet_ids)), opts=in_region)
    cdc.connector.arn
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.buckets import SecureBucketSpec, secure_bucket
from components.common.iam import policy_document, service_trust_policy, statement
from components.common.naming import Names
from components.common.scope import AwsScope
from components.common.security_groups import peer_group_rules
from components.data.access import database_client_rules, secret_read_statements
from components.data.secret_rotation import DatabaseSecretRotation, DatabaseSecretRotationArgs
from components.streaming.kafka import IAM_TLS_PORT, kafka_resource_arn

POSTGRES_PORT = 5432
CONNECTOR_CLASS = "io.debezium.connector.postgresql.PostgresConnector"
DECODING_PLUGIN = "pgoutput"
"""PostgreSQL's built-in logical decoding output plugin (no extension to install on Aurora)."""
SLOT_AND_PUBLICATION = "meridian_cdc"
CDC_USER = "meridian_cdc"
"""The database role the connector logs in as (created by operations, README "Known limits")."""
INTERNAL = "__amazon_msk_connect_*"
"""MSK Connect's internal topics and consumer groups (offsets, configs, status)."""
CONNECT_CLUSTER_ACTIONS = (
    "kafka-cluster:Connect",
    "kafka-cluster:DescribeCluster",
    "kafka-cluster:WriteDataIdempotently",
)
"""On the cluster: connect, describe, and produce idempotently (Kafka Connect 3.x producers)."""
CDC_TOPIC_ACTIONS = ("kafka-cluster:DescribeTopic", "kafka-cluster:WriteData")
INTERNAL_TOPIC_ACTIONS = (
    "kafka-cluster:CreateTopic",
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:ReadData",
    "kafka-cluster:WriteData",
)
INTERNAL_GROUP_ACTIONS = ("kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup")
SECRETS_PROVIDER_CLASS = "com.amazonaws.kafka.config.providers.SecretsManagerConfigProvider"
MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
CONFIG_PROVIDERS_RELEASES = "https://github.com/aws-samples/msk-config-providers/releases/download"


@dataclass(frozen=True)
class CdcTable:
    """One captured table and the topic its changes go to."""

    topic: str
    table: str
    """`<schema>.<table>` in the database."""


@dataclass(frozen=True)
class CdcPlugin:
    debezium_version: str
    config_providers_version: str

    @property
    def debezium_url(self) -> str:
        """Debezium's plugin archive of the PostgreSQL connector on Maven Central (the file
        debezium/container-images downloads and checks by MD5)."""
        v = self.debezium_version
        artifact = "debezium-connector-postgres"
        return f"{MAVEN_CENTRAL}/io/debezium/{artifact}/{v}/{artifact}-{v}-plugin.tar.gz"

    @property
    def config_providers_url(self) -> str:
        v = self.config_providers_version
        return f"{CONFIG_PROVIDERS_RELEASES}/r{v}/msk-config-providers-{v}-with-dependencies.zip"

    @property
    def key(self) -> str:
        return (
            f"debezium-connector-postgres/{self.debezium_version}"
            f"-msk-config-providers-{self.config_providers_version}.zip"
        )


@dataclass(frozen=True)
class CdcRotation:
    """How the CDC user's secret rotates (`DatabaseSecretRotation`)."""

    application: str
    semantic_version: str
    days: int
    database_subnet_ids: Sequence[pulumi.Input[str]]
    alert_topic_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class DebeziumPostgresSourceArgs:
    names: Names
    scope: AwsScope
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets (one per AZ) the workers' network interfaces go in."""
    kafka_cluster_arn: pulumi.Input[str]
    bootstrap_brokers_iam: pulumi.Input[str]
    kafka_security_group_id: pulumi.Input[str]
    topic_prefix: str
    tables: Sequence[CdcTable]
    database_host: pulumi.Input[str]
    """The writer endpoint of the Aurora cluster (logical replication reads the writer)."""
    database_name: str
    database_security_group_id: pulumi.Input[str]
    endpoint_security_group_id: pulumi.Input[str]
    storage_key_arn: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    plugin: CdcPlugin
    kafkaconnect_version: str
    rotation: CdcRotation
    access_log_bucket: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        prefix = f"{self.topic_prefix}."
        for row in self.tables:
            if not row.topic.startswith(prefix) or row.table.count(".") != 1:
                raise ValueError(
                    f"CDC table {row.table} -> {row.topic}: the topic must start with {prefix} "
                    "and the table be <schema>.<table>"
                )


def topic_routes(prefix: str, tables: Sequence[CdcTable]) -> dict[str, str]:
    """Debezium's topic for each table (`<prefix>.<schema>.<table>`) -> the table's topic."""
    return {f"{prefix}.{t.table}": t.topic for t in tables}


def connector_configuration(
    args: DebeziumPostgresSourceArgs, secret_name: str, host: str
) -> dict[str, str]:
    """The connector's properties (Debezium 3.2 PostgresConnectorConfig and CommonConnectorConfig
    field names; Kafka's RegexRouter). No credential: only config-provider tokens."""
    routes = topic_routes(args.topic_prefix, args.tables)
    schemas = sorted({t.table.split(".")[0] for t in args.tables})
    if len(schemas) != 1 or len(set(routes.values())) != len(routes):
        raise ValueError("the CDC tables must share one schema and have distinct topics")
    escaped = args.topic_prefix.replace(".", "\\.")
    return {
        "connector.class": CONNECTOR_CLASS,
        "tasks.max": "1",  # one replication slot: the PostgreSQL connector runs one task
        "database.hostname": host,
        "database.port": str(POSTGRES_PORT),
        "database.dbname": args.database_name,
        "database.user": f"${{secretsmanager:{secret_name}:username}}",
        "database.password": f"${{secretsmanager:{secret_name}:password}}",
        "database.sslmode": "require",
        "plugin.name": DECODING_PLUGIN,
        "slot.name": SLOT_AND_PUBLICATION,
        "publication.name": SLOT_AND_PUBLICATION,
        "publication.autocreate.mode": "filtered",
        "topic.prefix": args.topic_prefix,
        "table.include.list": ",".join(t.table for t in args.tables),
        "transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": f"{escaped}\\.{schemas[0]}\\.(.+)",
        "transforms.route.replacement": f"{args.topic_prefix}.$1",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    }


def worker_properties(region: str) -> str:
    """The worker configuration: the Secrets Manager config provider, in the connector's region."""
    return (
        "config.providers=secretsmanager\n"
        f"config.providers.secretsmanager.class={SECRETS_PROVIDER_CLASS}\n"
        f"config.providers.secretsmanager.param.region={region}\n"
    )


def plugin_bucket_name(names: Names, account_id: str) -> str:
    """The plugin bucket's physical name (deterministic: the access-log target names it)."""
    return names.physical("cdc-plugins", account_id)


class DebeziumPostgresSource(pulumi.ComponentResource):
    """The CDC connector of one region; see the module docstring."""

    bucket_arn: pulumi.Output[str]
    plugin: aws.mskconnect.CustomPlugin
    connector: aws.mskconnect.Connector
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    security_group: aws.ec2.SecurityGroup
    secret: aws.secretsmanager.Secret
    log_group: aws.cloudwatch.LogGroup
    rotation: DatabaseSecretRotation

    def __init__(
        self,
        name: str,
        args: DebeziumPostgresSourceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("meridian:streaming:DebeziumPostgresSource", name, None, opts)
        self._name = name
        self.args = args
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        self.plugin = self._plugin(name)
        self.secret = self._secret(name)
        self.security_group = self._network(name)
        self.role, self.role_policy = self._role(name)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/meridian/{names.environment}/{args.scope.region}/msk-connect/cdc",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        properties = worker_properties(args.scope.region)
        digest = hashlib.sha256(properties.encode()).hexdigest()[:8]
        worker = aws.mskconnect.WorkerConfiguration(
            f"{name}-worker",
            # a worker configuration cannot be edited: a new content is a new name
            name=names.physical("cdc", "worker", digest),
            description="Secrets Manager config provider for the CDC connector",
            properties_file_content=properties,
            opts=child,
        )
        secret_name = self.secret.name
        self.connector = aws.mskconnect.Connector(
            f"{name}-connector",
            name=names.physical("cdc", "postgres"),
            description="Debezium PostgreSQL source: Aurora writer WAL -> cdc topics",
            kafkaconnect_version=args.kafkaconnect_version,
            capacity={"provisioned_capacity": {"worker_count": 1, "mcu_count": 1}},
            connector_configuration=pulumi.Output.all(secret_name, args.database_host).apply(
                lambda v: connector_configuration(args, str(v[0]), str(v[1]))
            ),
            kafka_cluster={
                "apache_kafka_cluster": {
                    "bootstrap_servers": args.bootstrap_brokers_iam,
                    "vpc": {
                        "security_groups": [self.security_group.id],
                        "subnets": list(args.subnet_ids),
                    },
                }
            },
            kafka_cluster_client_authentication={"authentication_type": "IAM"},
            kafka_cluster_encryption_in_transit={"encryption_type": "TLS"},
            plugins=[
                {
                    "custom_plugin": {
                        "arn": self.plugin.arn,
                        "revision": self.plugin.latest_revision,
                    }
                }
            ],
            service_execution_role_arn=self.role.arn,
            worker_configuration={"arn": worker.arn, "revision": worker.latest_revision},
            log_delivery={
                "worker_log_delivery": {
                    "cloudwatch_logs": {"enabled": True, "log_group": self.log_group.name}
                }
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]),
        )
        self.register_outputs(
            {
                "connectorArn": self.connector.arn,
                "pluginArn": self.plugin.arn,
                "securityGroupId": self.security_group.id,
                "secretArn": self.secret.arn,
            }
        )

    def _plugin(self, name: str) -> aws.mskconnect.CustomPlugin:
        """The plugin bucket, the ZIP object Pulumi packs from the two published archives, and the
        custom plugin made from that object's version."""
        args = self.args
        bucket = secure_bucket(
            self,
            f"{name}-plugins",
            SecureBucketSpec(
                bucket_name=plugin_bucket_name(args.names, args.scope.account_id),
                partition=args.scope.partition,
                kms_key_arn=args.storage_key_arn,
                access_log_bucket=args.access_log_bucket,
                # Published open-source archives, rebuilt from their public URLs at any `up`:
                # no customer data, so no cross-region copy (confidential data needs one).
                tags={"data-classification": "internal"},
            ),
        )
        self.bucket_arn = bucket.arn
        archive = aws.s3.BucketObjectv2(
            f"{name}-plugin-archive",
            bucket=bucket.id,
            key=args.plugin.key,
            source=pulumi.AssetArchive(
                {
                    "debezium-connector-postgres": pulumi.RemoteArchive(args.plugin.debezium_url),
                    "msk-config-providers": pulumi.RemoteArchive(args.plugin.config_providers_url),
                }
            ),
            content_type="application/zip",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket.versioning]),
        )
        return aws.mskconnect.CustomPlugin(
            f"{name}-plugin",
            name=args.names.physical("cdc", "debezium", args.plugin.debezium_version.lower()),
            description=(
                f"Debezium PostgreSQL {args.plugin.debezium_version} with msk-config-providers "
                f"{args.plugin.config_providers_version}"
            ),
            content_type="ZIP",
            location={
                "s3": {
                    "bucket_arn": bucket.arn,
                    "file_key": archive.key,
                    "object_version": archive.version_id,
                }
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _secret(self, name: str) -> aws.secretsmanager.Secret:
        """The CDC user's credentials: a generated password, written once (write-only), under the
        secrets key. Operations creates the database role with this password."""
        args = self.args
        secret = aws.secretsmanager.Secret(
            f"{name}-credentials",
            name=f"meridian/{args.names.environment}/{args.scope.region}/aurora/cdc",
            description="Aurora login of the Debezium CDC connector (replication role)",
            kms_key_id=args.secrets_key_arn,
            recovery_window_in_days=30,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        password = aws.secretsmanager.get_random_password_output(
            password_length=40,
            exclude_punctuation=True,
            include_space=False,
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).random_password
        value = aws.secretsmanager.SecretVersion(
            f"{name}-credentials-value",
            secret_id=secret.id,
            # the fields AWS's PostgreSQL rotation function reads
            secret_string_wo=pulumi.Output.secret(
                pulumi.Output.all(password, args.database_host)
            ).apply(
                lambda v: json.dumps(
                    {
                        "engine": "postgres",
                        "host": v[1],
                        "port": POSTGRES_PORT,
                        "dbname": args.database_name,
                        "username": CDC_USER,
                        "password": v[0],
                    }
                )
            ),
            secret_string_wo_version=1,
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=["secretStringWo", "versionStages"]
            ),
        )
        rotation = args.rotation
        self.rotation = DatabaseSecretRotation(
            f"{name}-rotation",
            DatabaseSecretRotationArgs(
                names=args.names,
                what="cdc-rotation",
                application=rotation.application,
                semantic_version=rotation.semantic_version,
                secret_arn=secret.arn,
                secret_key_arn=args.secrets_key_arn,
                vpc_id=args.vpc_id,
                subnet_ids=list(rotation.database_subnet_ids),
                database_security_group_id=args.database_security_group_id,
                port=POSTGRES_PORT,
                endpoint_security_group_id=args.endpoint_security_group_id,
                logs_key_arn=args.logs_key_arn,
                log_retention_days=args.log_retention_days,
                rotation_days=rotation.days,
                region=args.scope.region,
                partition=args.scope.partition,
                alert_topic_arn=rotation.alert_topic_arn,
                ready=[value],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return secret

    def _network(self, name: str) -> aws.ec2.SecurityGroup:
        """The workers' group: out to the database, the brokers and the interface endpoints only;
        the database's and the brokers' groups admit it."""
        args = self.args
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=args.names.physical("cdc-connector"),
            description="MSK Connect CDC workers: Aurora 5432, MSK 9098, endpoints 443 only",
            vpc_id=args.vpc_id,
            tags={"Name": args.names.display("cdc-connector")},
            opts=child,
        )
        database_client_rules(
            f"{name}-sg",
            client_group_id=group.id,
            database_group_id=args.database_security_group_id,
            port=POSTGRES_PORT,
            endpoint_group_id=args.endpoint_security_group_id,
            admitted_as=f"{name}-admitted-by-aurora",
            purpose="CDC connector reads the writer's WAL",
            opts=child,
        )
        peer_group_rules(
            client_group_id=group.id,
            server_group_id=args.kafka_security_group_id,
            port=IAM_TLS_PORT,
            egress_name=f"{name}-sg-to-kafka",
            ingress_name=f"{name}-admitted-by-kafka",
            egress_description="MSK brokers, IAM over TLS",
            ingress_description="CDC connector (IAM over TLS)",
            opts=child,
        )
        return group

    def _role(self, name: str) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The service execution role MSK Connect assumes for this connector only."""
        args = self.args
        scope = args.scope
        connector_name = args.names.physical("cdc", "postgres")
        role = aws.iam.Role(
            f"{name}-role",
            name=args.names.physical("cdc-connector", max_length=64),
            description="MSK Connect service execution role of the CDC connector",
            assume_role_policy=service_trust_policy(
                "kafkaconnect.amazonaws.com",
                condition={
                    "StringEquals": {"aws:SourceAccount": scope.account_id},
                    "ArnLike": {
                        "aws:SourceArn": scope.arn("kafkaconnect", f"connector/{connector_name}/*")
                    },
                },
            ),
            max_session_duration=3600,
            opts=pulumi.ResourceOptions(parent=self),
        )
        cluster = pulumi.Output.from_input(args.kafka_cluster_arn)
        topics = [
            cluster.apply(lambda arn, t=t: kafka_resource_arn(arn, "topic", t.topic))
            for t in args.tables
        ]
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            name="cdc-connector",
            role=role.id,
            policy=policy_document(
                [
                    statement(CONNECT_CLUSTER_ACTIONS, cluster, sid="ConnectToTheCluster"),
                    statement(CDC_TOPIC_ACTIONS, topics, sid="WriteTheCdcTopics"),
                    statement(
                        INTERNAL_TOPIC_ACTIONS,
                        cluster.apply(lambda arn: kafka_resource_arn(arn, "topic", INTERNAL)),
                        sid="ConnectInternalTopics",
                    ),
                    statement(
                        INTERNAL_GROUP_ACTIONS,
                        cluster.apply(lambda arn: kafka_resource_arn(arn, "group", INTERNAL)),
                        sid="ConnectInternalGroups",
                    ),
                    *secret_read_statements(self.secret.arn, args.secrets_key_arn, scope.region),
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role, policy
