"""Lakehouse: one region's medallion data lake on S3 with its catalog, query engine, access control
and the Kafka -> bronze feed.

- Buckets: landing, bronze, silver, gold, compliance (Object Lock, WORM), athena-results and
  access-logs. Every one versioned, owner-enforced, public access blocked, TLS-only, logged to the
  access-log bucket, SSE-KMS with the storage key and a bucket key; the access-log bucket alone is
  SSE-S3 because S3 server access logging refuses a KMS-encrypted target.
- Lifecycle (architecture section 07/08): Standard -> Standard-IA at `ia_days` -> Glacier at
  `glacier_days` for bronze, landing, compliance and access logs; bronze deleted after two years.
  Silver and gold stop at Standard-IA: Athena and Iceberg cannot read objects in Glacier.
- Glue Data Catalog: a database per zone; the gold zone's order-analytics Iceberg tables.
- Athena: one workgroup that enforces its settings, results SSE-KMS encrypted.
- Lake Formation: the gold bucket is registered; IAM-only default permissions are off; only the
  `gold_readers` roles get SELECT on gold.
- Kafka -> bronze: a Firehose stream per bronze topic reads the MSK cluster over its IAM private
  connectivity and writes GZIP objects partitioned by ingest date.

Example::

    lake = Lakehouse("lakehouse", LakehouseArgs(
        names=names, scope=AwsScope(account_id=account_id, region=region),
        storage_key_arn=storage_key, logs_key_arn=logs_key, kafka_cluster_arn=kafka.arn,
        bronze_topics=["user-events"],
        gold_readers=["meridian-bi-reader"], lake_admins=["MeridianDeployer"]), opts=in_region)
    lake.bucket_arns["gold"]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.buckets import (
    SecureBucket,
    SecureBucketSpec,
    access_log_delivery_statement,
    bucket_arn,
    secure_bucket,
)
from components.common.iam import key_use_through, policy_document, service_trust_policy, statement
from components.common.naming import Names
from components.common.scope import AwsScope
from components.data.lakehouse.replication import LakeReplica, LakeReplicaArgs
from components.data.lakehouse.tables import GOLD_TABLES, IcebergTable

ZONES: tuple[str, ...] = ("landing", "bronze", "silver", "gold")
"""The data zones; each has a bucket and (except landing) a Glue database."""
CATALOG_ZONES: tuple[str, ...] = ("bronze", "silver", "gold")
REPLICATED: tuple[str, ...] = ("bronze", "silver", "gold", "compliance")
"""Buckets replicated to the paired region. Landing, Athena results and access logs are transient
or operational (tagged data-classification internal) and stay in their region."""
OPERATIONAL: tuple[str, ...] = ("landing", "athena-results", "access-logs")


@dataclass(frozen=True)
class LakeLifecycleArgs:
    ia_days: int = 30
    glacier_days: int = 90
    bronze_expire_days: int = 730
    noncurrent_days: int = 30

    def __post_init__(self) -> None:
        if not 30 <= self.ia_days < self.glacier_days < self.bronze_expire_days:
            raise ValueError("lifecycle must go Standard -> IA (>= 30 d) -> Glacier -> expiry")


@dataclass(frozen=True)
class LakehouseArgs:
    names: Names
    scope: AwsScope
    """The account, partition and region of the lake (the replicas' region is `replica_region`)."""
    storage_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    kafka_cluster_arn: pulumi.Input[str]
    bronze_topics: Sequence[str]
    gold_readers: Sequence[str]
    lake_admins: Sequence[str]
    lifecycle: LakeLifecycleArgs = LakeLifecycleArgs()
    compliance_retention_years: int = 7
    object_lock_mode: str = "COMPLIANCE"
    log_retention_days: int = 30
    replica_region: str | None = None
    """The paired region the lake replicates to (None: no replica)."""
    replication_time_control: bool = True
    key_deletion_window_days: int = 30
    protect: bool = True
    other_log_sources: Sequence[str] = ()
    """ARNs of the buckets outside the lake (same account and region) that log into the lake's
    access-log bucket; its policy admits S3's log delivery for these and the lake's own only."""
    kafka_ready: Sequence[pulumi.Resource] = ()
    """What AWS checks when a bronze Firehose stream is created: the MSK cluster policy (its
    private VPC connection) and the bronze topics. The streams wait for them (and for their
    role's policy), or the first deploy races them."""


def bucket_name(names: Names, zone: str, account_id: str) -> str:
    """Physical name of a lake bucket; deterministic, so the paired region can name it."""
    return names.physical("lake", zone, account_id)


def glue_name(names: Names, zone: str) -> str:
    return f"meridian_{names.environment}_{zone}"


def _transitions(life: LakeLifecycleArgs, glacier: bool) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [{"days": life.ia_days, "storage_class": "STANDARD_IA"}]
    if glacier:
        steps.append({"days": life.glacier_days, "storage_class": "GLACIER"})
    return steps


def lifecycle_rules(
    zone: str, life: LakeLifecycleArgs, compliance_days: int
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    """The rules of one bucket (see the module docstring)."""
    glacier = zone in ("landing", "bronze", "compliance", "access-logs")
    expire = {
        "bronze": life.bronze_expire_days,
        "landing": life.bronze_expire_days,
        "compliance": compliance_days,
        "access-logs": compliance_days,
        "athena-results": life.ia_days,
    }.get(zone)
    rule: dict[str, Any] = {
        "id": f"{zone}-tiers",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "noncurrent_version_expiration": {"noncurrent_days": life.noncurrent_days},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
    }
    if zone != "athena-results":
        rule["transitions"] = _transitions(life, glacier)
    if expire is not None:
        rule["expiration"] = {"days": expire}
    return [rule]  # type: ignore[list-item]


def _iceberg_input(
    table: IcebergTable, location: pulumi.Input[str]
) -> aws.glue.CatalogTableOpenTableFormatInputArgsDict:
    ids = {c.name: i + 1 for i, c in enumerate(table.columns)}
    column, transform = table.partition
    return {
        "iceberg_input": {
            "metadata_operation": "CREATE",
            "version": "2",
            "iceberg_table_input": {
                "location": location,
                "schema": {
                    "schema_id": 0,
                    "type": "struct",
                    "fields": [
                        {
                            "id": ids[c.name],
                            "name": c.name,
                            "required": c.required,
                            # Glue takes each Iceberg type as JSON
                            "type": json.dumps(c.type),
                            "doc": c.doc or None,
                        }
                        for c in table.columns
                    ],
                },
                "partition_spec": {
                    "spec_id": 0,
                    "fields": [
                        {
                            "name": f"{column}_{transform}",
                            "source_id": ids[column],
                            "transform": transform,
                            "field_id": 1000,
                        }
                    ],
                },
                "properties": {"write.format.default": "parquet"},
            },
        }
    }


class Lakehouse(pulumi.ComponentResource):
    buckets: dict[str, SecureBucket]
    bucket_arns: dict[str, pulumi.Output[str]]
    databases: dict[str, aws.glue.CatalogDatabase]
    bronze_feed_log_group: aws.cloudwatch.LogGroup | None
    """The bronze feed's delivery-error group (None without bronze topics)."""

    def __init__(
        self, name: str, args: LakehouseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:data:Lakehouse", name, None, opts)
        self.args = args
        self.buckets = self._buckets(name, args)
        self.bucket_arns = {zone: b.arn for zone, b in self.buckets.items()}
        self._compliance_lock(name, args)
        self.databases = self._catalog(name, args)
        self.workgroup = self._workgroup(name, args)
        self._lake_formation(name, args)
        self.bronze_feed_log_group = None
        self._bronze_feed(name, args)
        self.replica = self._replica(name, args)
        self.register_outputs(
            {
                "bucketArns": self.bucket_arns,
                "workgroup": self.workgroup.name,
                "databases": [d.name for d in self.databases.values()],
            }
        )

    @staticmethod
    def _compliance_days(args: LakehouseArgs) -> int:
        return args.compliance_retention_years * 365 + 1

    def _buckets(self, name: str, args: LakehouseArgs) -> dict[str, SecureBucket]:
        """The access-log bucket (SSE-S3), then every zone's bucket, logged to it; S3's logging
        service may write into the access-log bucket for those buckets only."""
        names = args.names
        life = args.lifecycle
        compliance_days = self._compliance_days(args)
        buckets: dict[str, SecureBucket] = {}
        logged = (*ZONES, "compliance", "athena-results")
        sources = [
            bucket_arn(args.scope.partition, bucket_name(names, zone, args.scope.account_id))
            for zone in logged
        ] + list(args.other_log_sources)
        access_logs = secure_bucket(
            self,
            f"{name}-access-logs",
            SecureBucketSpec(
                bucket_name=bucket_name(names, "access-logs", args.scope.account_id),
                partition=args.scope.partition,
                kms_key_arn=None,  # S3 server access logging refuses SSE-KMS targets
                lifecycle=lifecycle_rules("access-logs", life, compliance_days),
                extra_statements=lambda arn: [
                    access_log_delivery_statement(arn, args.scope.account_id, sources)
                ],
                protect=args.protect,
                tags={"meridian:zone": "access-logs", "data-classification": "internal"},
            ),
        )
        buckets["access-logs"] = access_logs
        for zone in logged:
            buckets[zone] = secure_bucket(
                self,
                f"{name}-{zone}",
                SecureBucketSpec(
                    bucket_name=bucket_name(names, zone, args.scope.account_id),
                    partition=args.scope.partition,
                    kms_key_arn=args.storage_key_arn,
                    lifecycle=lifecycle_rules(zone, life, compliance_days),
                    access_log_bucket=access_logs.id,
                    object_lock=zone == "compliance",
                    protect=args.protect,
                    tags={"meridian:zone": zone}
                    | ({"data-classification": "internal"} if zone in OPERATIONAL else {}),
                ),
            )
        return buckets

    def _compliance_lock(self, name: str, args: LakehouseArgs) -> None:
        """The compliance bucket's default retention (WORM)."""
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-compliance-object-lock",
            bucket=self.buckets["compliance"].id,
            object_lock_enabled="Enabled",
            rule={
                "default_retention": {
                    "mode": args.object_lock_mode,
                    "years": args.compliance_retention_years,
                }
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.buckets["compliance"].versioning]
            ),
        )

    def _catalog(self, name: str, args: LakehouseArgs) -> dict[str, aws.glue.CatalogDatabase]:
        """A Glue database per catalogued zone and the gold zone's Iceberg tables."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        databases: dict[str, aws.glue.CatalogDatabase] = {}
        for zone in CATALOG_ZONES:
            databases[zone] = aws.glue.CatalogDatabase(
                f"{name}-{zone}-db",
                name=glue_name(names, zone),
                description=f"Meridian {zone} zone",
                location_uri=self.buckets[zone].bucket.bucket.apply(lambda b: f"s3://{b}/"),
                opts=child,
            )
        gold_bucket = self.buckets["gold"].bucket.bucket
        self.tables = {
            table.name: aws.glue.CatalogTable(
                f"{name}-{table.name}",
                name=table.name,
                database_name=databases["gold"].name,
                description=table.description,
                open_table_format_input=_iceberg_input(
                    table, gold_bucket.apply(lambda b, t=table: f"s3://{b}/{t.name}/")
                ),
                # Iceberg commits move the metadata pointer; Glue owns it after creation
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["parameters"]),
            )
            for table in GOLD_TABLES
        }
        return databases

    def _workgroup(self, name: str, args: LakehouseArgs) -> aws.athena.Workgroup:
        """Athena's workgroup: settings enforced, results SSE-KMS encrypted."""
        names = args.names
        results = self.buckets["athena-results"].bucket.bucket
        return aws.athena.Workgroup(
            f"{name}-athena",
            name=names.physical("analytics"),
            description="Meridian lakehouse queries (settings enforced, results encrypted)",
            state="ENABLED",
            force_destroy=False,
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": 1024**4,  # 1 TiB per query
                "engine_version": {"selected_engine_version": "Athena engine version 3"},
                "result_configuration": {
                    "output_location": results.apply(lambda b: f"s3://{b}/results/"),
                    "encryption_configuration": {
                        "encryption_option": "SSE_KMS",
                        "kms_key_arn": args.storage_key_arn,
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _replica(self, name: str, args: LakehouseArgs) -> LakeReplica | None:
        """The replicated buckets' replicas in the paired region, if there is one."""
        if args.replica_region is None:
            return None
        life = args.lifecycle
        compliance_days = self._compliance_days(args)
        return LakeReplica(
            f"{name}-replica",
            LakeReplicaArgs(
                names=args.names,
                scope=args.scope,
                target_region=args.replica_region,
                sources={z: self.buckets[z].bucket for z in REPLICATED},
                source_key_arn=args.storage_key_arn,
                lifecycle={z: lifecycle_rules(z, life, compliance_days) for z in REPLICATED},
                object_lock={
                    "compliance": (args.object_lock_mode, args.compliance_retention_years)
                },
                source_versioning=[self.buckets[z].versioning for z in REPLICATED],
                replication_time_control=args.replication_time_control,
                key_deletion_window_days=args.key_deletion_window_days,
                protect=args.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _role_arn(self, args: LakehouseArgs, role: str) -> str:
        return args.scope.arn("iam", f"role/{role}", region="")

    def _lake_formation(self, name: str, args: LakehouseArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        settings = aws.lakeformation.DataLakeSettings(
            f"{name}-lake-settings",
            admins=[self._role_arn(args, r) for r in args.lake_admins],
            # no IAMAllowedPrincipals defaults: catalog access goes through Lake Formation grants
            create_database_default_permissions=[],
            create_table_default_permissions=[],
            opts=child,
        )
        access = aws.iam.Role(
            f"{name}-lake-access",
            name=names.physical("lake-access", max_length=64),
            description="Lake Formation's access to the gold zone",
            assume_role_policy=service_trust_policy(
                "lakeformation.amazonaws.com",
                condition={"StringEquals": {"aws:SourceAccount": args.scope.account_id}},
            ),
            opts=child,
        )
        gold = self.buckets["gold"].arn
        aws.iam.RolePolicy(
            f"{name}-lake-access-policy",
            role=access.id,
            policy=policy_document(
                [
                    statement(
                        ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                        gold.apply(lambda a: f"{a}/*"),
                        sid="GoldObjects",
                    ),
                    statement(["s3:ListBucket"], gold, sid="GoldListing"),
                    key_use_through(
                        ["kms:Decrypt", "kms:GenerateDataKey"],
                        args.storage_key_arn,
                        args.scope.service_endpoint("s3"),
                        sid="StorageKeyThroughS3",
                    ),
                ]
            ),
            opts=child,
        )
        location = aws.lakeformation.Resource(
            f"{name}-gold-location",
            arn=gold,
            role_arn=access.arn,
            hybrid_access_enabled=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[settings]),
        )
        gold_db = self.databases["gold"].name
        for reader in args.gold_readers:
            principal = self._role_arn(args, reader)
            aws.lakeformation.Permissions(
                f"{name}-gold-db-{reader}",
                principal=principal,
                permissions=["DESCRIBE"],
                database={"name": gold_db},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[settings, location]),
            )
            aws.lakeformation.Permissions(
                f"{name}-gold-tables-{reader}",
                principal=principal,
                permissions=["SELECT", "DESCRIBE"],
                table={"database_name": gold_db, "wildcard": True},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[settings, location]),
            )

    def _bronze_feed(self, name: str, args: LakehouseArgs) -> None:
        """Firehose from MSK (IAM, private connectivity) into the bronze bucket, per topic."""
        if not args.bronze_topics:
            return
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        self.bronze_feed_log_group = log_group = aws.cloudwatch.LogGroup(
            f"{name}-bronze-feed-logs",
            name=f"/meridian/{names.environment}/{args.scope.region}/firehose/bronze",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        log_stream = aws.cloudwatch.LogStream(
            f"{name}-bronze-feed-log-stream",
            name="delivery",
            log_group_name=log_group.name,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-bronze-feed",
            name=names.physical("bronze-feed", max_length=64),
            description="Firehose: MSK topics -> bronze zone",
            assume_role_policy=service_trust_policy(
                "firehose.amazonaws.com",
                condition={"StringEquals": {"sts:ExternalId": args.scope.account_id}},
            ),
            opts=child,
        )
        cluster = pulumi.Output.from_input(args.kafka_cluster_arn)
        bronze = self.buckets["bronze"].arn
        topic_arns = [
            cluster.apply(lambda a, t=t: a.replace(":cluster/", ":topic/", 1) + f"/{t}")
            for t in args.bronze_topics
        ]
        role_policy = aws.iam.RolePolicy(
            f"{name}-bronze-feed-policy",
            role=role.id,
            policy=policy_document(
                [
                    statement(
                        [
                            "kafka:GetBootstrapBrokers",
                            "kafka:DescribeCluster",
                            "kafka:DescribeClusterV2",
                            "kafka-cluster:Connect",
                        ],
                        cluster,
                        sid="Cluster",
                    ),
                    statement(
                        ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
                        topic_arns,
                        sid="BronzeTopics",
                    ),
                    statement(
                        ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
                        cluster.apply(lambda a: a.replace(":cluster/", ":group/", 1) + "/*"),
                        sid="FirehoseConsumerGroups",
                    ),
                    statement(
                        ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetBucketLocation"],
                        [bronze, bronze.apply(lambda a: f"{a}/*")],
                        sid="BronzeWrites",
                    ),
                    key_use_through(
                        ["kms:GenerateDataKey", "kms:Decrypt"],
                        args.storage_key_arn,
                        args.scope.service_endpoint("s3"),
                        sid="StorageKeyThroughS3",
                    ),
                    statement(
                        ["logs:PutLogEvents"],
                        log_group.arn.apply(lambda a: f"{a.removesuffix(':*')}:*"),
                        sid="DeliveryErrors",
                    ),
                ]
            ),
            opts=child,
        )
        for topic in args.bronze_topics:
            slug = topic.replace(".", "-")
            aws.kinesis.FirehoseDeliveryStream(
                f"{name}-bronze-{slug}",
                name=names.physical("bronze", slug, max_length=64),
                destination="extended_s3",
                msk_source_configuration={
                    "msk_cluster_arn": cluster,
                    "topic_name": topic,
                    "authentication_configuration": {
                        "connectivity": "PRIVATE",
                        "role_arn": role.arn,
                    },
                },
                extended_s3_configuration={
                    "role_arn": role.arn,
                    "bucket_arn": bronze,
                    "prefix": f"kafka/{topic}/ingest_date=!{{timestamp:yyyy-MM-dd}}/",
                    "error_output_prefix": (
                        f"errors/{topic}/!{{firehose:error-output-type}}/"
                        "ingest_date=!{timestamp:yyyy-MM-dd}/"
                    ),
                    "buffering_size": 64,
                    "buffering_interval": 300,
                    "compression_format": "GZIP",
                    "kms_key_arn": args.storage_key_arn,
                    "cloudwatch_logging_options": {
                        "enabled": True,
                        "log_group_name": log_group.name,
                        "log_stream_name": "delivery",
                    },
                },
                # Firehose assumes the role and connects to the cluster when the stream is
                # created: its permissions, the cluster policy and the topic must exist first
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[role_policy, log_stream, *args.kafka_ready]
                ),
            )
