"""Table cases for ``policies/data_safety_databases.py``.

Props are the engine's camelCase inputs as pulumi-aws 7 sends them; ``UNKNOWN`` marks a value
that is unknown during preview. Stack cases list whole (small) stacks.
"""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase
from tests.policies.cases_encryption_data import (
    AURORA_CLUSTER,
    KEY_ARN,
    MSK_CLUSTER,
    RDS_INSTANCE,
    REPLICATION_GROUP,
    TAGS,
)

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
USE1 = {"region": "us-east-1"}
USW2 = {"region": "us-west-2"}
DR_VAULT_ARN = "arn:aws:backup:us-west-2:123456789012:backup-vault:meridian-prod-dr"
LOCAL_VAULT_ARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:meridian-prod"
REPLICATION_ROLE = "arn:aws:iam::123456789012:role/meridian-s3-replication"
INTERNAL_TAGS = dict(TAGS, **{"data-classification": "internal"})


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = dict(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _stack(policy: str, stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase(policy, "", {}, violates, stack=stack, note=note)


def _bucket(name: str, tags: dict[str, str] | None = None, bucket: str = "") -> dict[str, Any]:
    return {
        "type": BUCKET,
        "name": name,
        "props": {"bucket": bucket or f"meridian-{name}", "tags": tags or TAGS},
        "provider_props": USE1,
    }


def _versioning(
    name: str, bucket: str, status: str = "Enabled", parent: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": VERSIONING,
        "name": name,
        "props": {"bucket": bucket, "versioningConfiguration": {"status": status}},
    }
    if parent is not None:
        entry["parent"] = parent
    return entry


def _replication(
    name: str, bucket: str, destination: str, status: str = "Enabled"
) -> dict[str, Any]:
    return {
        "type": REPLICATION,
        "name": name,
        "props": {
            "bucket": bucket,
            "role": REPLICATION_ROLE,
            "rules": [
                {
                    "id": "dr",
                    "status": status,
                    "filter": {},
                    "deleteMarkerReplication": {"status": "Enabled"},
                    "destination": {
                        "bucket": destination,
                        "storageClass": "STANDARD",
                        "encryptionConfiguration": {"replicaKmsKeyId": KEY_ARN},
                    },
                    "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
                }
            ],
        },
        "provider_props": USE1,
    }


def _lifecycle(name: str, bucket: str, *, expire: bool = True) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": "retention", "status": "Enabled", "filter": {}}
    if expire:
        rule["expiration"] = {"days": 400}
        rule["transitions"] = [{"days": 30, "storageClass": "STANDARD_IA"}]
    else:
        rule["abortIncompleteMultipartUpload"] = {"daysAfterInitiation": 7}
    return {"type": LIFECYCLE, "name": name, "props": {"bucket": bucket, "rules": [rule]}}


def _plan(name: str, copy_to: list[str], provider: dict[str, str] = USE1) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "ruleName": "daily",
        "targetVaultName": "meridian-prod",
        "schedule": "cron(0 5 ? * * *)",
        "lifecycle": {"deleteAfter": 35},
    }
    if copy_to:
        rule["copyActions"] = [
            {"destinationVaultArn": arn, "lifecycle": {"deleteAfter": 35}} for arn in copy_to
        ]
    return {
        "type": PLAN,
        "name": name,
        "props": {"name": "meridian-prod", "rules": [rule], "tags": TAGS},
        "provider_props": provider,
    }


MSK_SERVER_PROPERTIES = "\n".join(
    [
        "auto.create.topics.enable=false",
        "default.replication.factor=3",
        "min.insync.replicas=2",
        "num.partitions=6",
        "unclean.leader.election.enable=false",
    ]
)

DYNAMODB_TABLE: dict[str, Any] = {
    "name": "meridian-idempotency",
    "billingMode": "PAY_PER_REQUEST",
    "hashKey": "pk",
    "attributes": [{"name": "pk", "type": "S"}],
    "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN},
    "pointInTimeRecovery": {"enabled": True},
    "deletionProtectionEnabled": True,
    "tags": TAGS,
}

KEYSPACES_TABLE: dict[str, Any] = {
    "keyspaceName": "meridian",
    "tableName": "events",
    "schemaDefinition": {
        "columns": [{"name": "id", "type": "uuid"}],
        "partitionKeys": [{"name": "id"}],
    },
    "encryptionSpecification": {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyIdentifier": KEY_ARN},
    "pointInTimeRecovery": {"status": "ENABLED"},
}


CASES: list[PolicyCase] = [
    # --- database-deletion-protection ----------------------------------------------------------
    PolicyCase("database-deletion-protection", "aws:rds/cluster:Cluster", AURORA_CLUSTER, False),
    PolicyCase(
        "database-deletion-protection",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, deletionProtection=None),
        True,
        note="cluster-unprotected",
    ),
    PolicyCase(
        "database-deletion-protection",
        "aws:rds/instance:Instance",
        _with(RDS_INSTANCE, deletionProtection=False),
        True,
        note="instance-unprotected",
    ),
    PolicyCase(
        "database-deletion-protection",
        "aws:rds/globalCluster:GlobalCluster",
        {"globalClusterIdentifier": "meridian-prod", "engine": "aurora-postgresql"},
        True,
        note="global-cluster-unprotected",
    ),
    PolicyCase(
        "database-deletion-protection",
        "aws:dynamodb/table:Table",
        DYNAMODB_TABLE,
        False,
        note="dynamodb",
    ),
    PolicyCase(
        "database-deletion-protection",
        "aws:dynamodb/table:Table",
        _with(DYNAMODB_TABLE, deletionProtectionEnabled=None),
        True,
        note="dynamodb-unprotected",
    ),
    # --- lb-deletion-protection ----------------------------------------------------------------
    PolicyCase(
        "lb-deletion-protection",
        "aws:lb/loadBalancer:LoadBalancer",
        {
            "name": "meridian-edge",
            "loadBalancerType": "application",
            "internal": False,
            "subnets": ["subnet-0a", "subnet-0b"],
            "enableDeletionProtection": True,
            "dropInvalidHeaderFields": True,
        },
        False,
    ),
    PolicyCase(
        "lb-deletion-protection",
        "aws:lb/loadBalancer:LoadBalancer",
        {"name": "meridian-edge", "loadBalancerType": "network", "subnets": ["subnet-0a"]},
        True,
    ),
    # --- rds-backup-retention ------------------------------------------------------------------
    PolicyCase("rds-backup-retention", "aws:rds/cluster:Cluster", AURORA_CLUSTER, False),
    PolicyCase(
        "rds-backup-retention",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, backupRetentionPeriod=None),
        True,
        note="default-1-day",
    ),
    PolicyCase(
        "rds-backup-retention",
        "aws:rds/instance:Instance",
        _with(RDS_INSTANCE, backupRetentionPeriod=3),
        True,
        note="instance-3-days",
    ),
    PolicyCase(
        "rds-backup-retention",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, backupRetentionPeriod=UNKNOWN),
        False,
        note="unknown-in-preview",
    ),
    # --- elasticache-snapshot-retention --------------------------------------------------------
    PolicyCase(
        "elasticache-snapshot-retention",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        REPLICATION_GROUP,
        False,
    ),
    PolicyCase(
        "elasticache-snapshot-retention",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        _with(REPLICATION_GROUP, snapshotRetentionLimit=0),
        True,
        note="no-snapshots",
    ),
    PolicyCase(
        "elasticache-snapshot-retention",
        "aws:elasticache/serverlessCache:ServerlessCache",
        {"engine": "valkey", "name": "meridian-flags", "kmsKeyId": KEY_ARN},
        True,
        note="serverless-default",
    ),
    # --- dynamodb / keyspaces point-in-time recovery -------------------------------------------
    PolicyCase(
        "dynamodb-point-in-time-recovery", "aws:dynamodb/table:Table", DYNAMODB_TABLE, False
    ),
    PolicyCase(
        "dynamodb-point-in-time-recovery",
        "aws:dynamodb/table:Table",
        _with(DYNAMODB_TABLE, pointInTimeRecovery=None),
        True,
    ),
    PolicyCase(
        "keyspaces-point-in-time-recovery", "aws:keyspaces/table:Table", KEYSPACES_TABLE, False
    ),
    PolicyCase(
        "keyspaces-point-in-time-recovery",
        "aws:keyspaces/table:Table",
        _with(KEYSPACES_TABLE, pointInTimeRecovery={"status": "DISABLED"}),
        True,
    ),
    # --- rds-final-snapshot --------------------------------------------------------------------
    PolicyCase("rds-final-snapshot", "aws:rds/cluster:Cluster", AURORA_CLUSTER, False),
    PolicyCase(
        "rds-final-snapshot",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, skipFinalSnapshot=True, finalSnapshotIdentifier=None),
        True,
        note="skip-final-snapshot",
    ),
    PolicyCase(
        "rds-final-snapshot",
        "aws:rds/instance:Instance",
        RDS_INSTANCE,
        True,
        note="no-final-snapshot-identifier",
    ),
    PolicyCase(
        "rds-final-snapshot",
        "aws:rds/instance:Instance",
        _with(RDS_INSTANCE, replicateSourceDb="meridian-reporting", skipFinalSnapshot=True),
        False,
        note="read-replica",
    ),
    # --- elasticache-final-snapshot ------------------------------------------------------------
    PolicyCase(
        "elasticache-final-snapshot",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        REPLICATION_GROUP,
        False,
    ),
    PolicyCase(
        "elasticache-final-snapshot",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        _with(REPLICATION_GROUP, finalSnapshotIdentifier=None),
        True,
    ),
    # --- msk-kafka-durability ------------------------------------------------------------------
    PolicyCase(
        "msk-kafka-durability",
        "aws:msk/configuration:Configuration",
        {"name": "meridian", "kafkaVersions": ["3.6.0"], "serverProperties": MSK_SERVER_PROPERTIES},
        False,
    ),
    PolicyCase(
        "msk-kafka-durability",
        "aws:msk/configuration:Configuration",
        {
            "name": "meridian",
            "kafkaVersions": ["3.6.0"],
            "serverProperties": "auto.create.topics.enable=true\ndefault.replication.factor=2\n",
        },
        True,
        note="rf-2-and-missing-settings",
    ),
    PolicyCase(
        "msk-kafka-durability",
        "aws:msk/configuration:Configuration",
        {
            "name": "meridian",
            "serverProperties": MSK_SERVER_PROPERTIES.replace(
                "unclean.leader.election.enable=false", "unclean.leader.election.enable=true"
            ),
        },
        True,
        note="unclean-leader-election",
    ),
    PolicyCase(
        "msk-kafka-durability", "aws:msk/cluster:Cluster", MSK_CLUSTER, False, note="cluster"
    ),
    PolicyCase(
        "msk-kafka-durability",
        "aws:msk/cluster:Cluster",
        _with(MSK_CLUSTER, configurationInfo=None),
        True,
        note="cluster-default-configuration",
    ),
    PolicyCase(
        "msk-kafka-durability",
        "aws:msk/topic:Topic",
        {
            "clusterArn": "arn:aws:kafka:us-east-1:123456789012:cluster/meridian-events/abc",
            "name": "orders",
            "partitionCount": 12,
            "replicationFactor": 3,
            "configs": '{"min.insync.replicas": "2", "retention.ms": "604800000"}',
        },
        False,
        note="topic",
    ),
    PolicyCase(
        "msk-kafka-durability",
        "aws:msk/topic:Topic",
        {
            "clusterArn": "arn:aws:kafka:us-east-1:123456789012:cluster/meridian-events/abc",
            "name": "orders",
            "partitionCount": 12,
            "replicationFactor": 1,
        },
        True,
        note="topic-rf-1",
    ),
    # --- rds-copy-tags-to-snapshot -------------------------------------------------------------
    PolicyCase("rds-copy-tags-to-snapshot", "aws:rds/cluster:Cluster", AURORA_CLUSTER, False),
    PolicyCase(
        "rds-copy-tags-to-snapshot",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, copyTagsToSnapshot=None),
        True,
    ),
    # --- secretsmanager-recovery-window --------------------------------------------------------
    PolicyCase(
        "secretsmanager-recovery-window",
        "aws:secretsmanager/secret:Secret",
        {"name": "meridian/db/app", "kmsKeyId": KEY_ARN},
        False,
        note="default-30-days",
    ),
    PolicyCase(
        "secretsmanager-recovery-window",
        "aws:secretsmanager/secret:Secret",
        {"name": "meridian/db/app", "kmsKeyId": KEY_ARN, "recoveryWindowInDays": 0},
        True,
        note="force-delete",
    ),
]
