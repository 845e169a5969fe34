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
)
from tests.policies.fixtures_data_layer import DATABASE_CASES
from tests.policies.fixtures_data_safety import (
    DYNAMODB_TABLE,
    KEYSPACES_TABLE,
    MSK_SERVER_PROPERTIES,
    _with,
)

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

CASES += DATABASE_CASES

# --- rds-auto-minor-version-upgrade, database-query-logging ------------------------------------
_INSTANCE_TYPE = "aws:rds/clusterInstance:ClusterInstance"
_CLUSTER_PARAMS_TYPE = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
_PG_CLUSTER_PARAMS: dict[str, Any] = {
    "name": "meridian-prod-use1-aurora-aurora-postgresql17",
    "family": "aurora-postgresql17",
    "parameters": [
        {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"},
        {"name": "log_min_duration_statement", "value": "100"},
        {"name": "log_statement", "value": "ddl"},
    ],
}


def _params(**values: str | None) -> dict[str, Any]:
    entries = [p for p in _PG_CLUSTER_PARAMS["parameters"] if p["name"] not in values]
    entries += [{"name": k, "value": v} for k, v in values.items() if v is not None]
    return {**_PG_CLUSTER_PARAMS, "parameters": entries}


CASES += [
    PolicyCase(
        "rds-auto-minor-version-upgrade",
        _INSTANCE_TYPE,
        {
            "clusterIdentifier": "meridian-prod-use1",
            "engine": "aurora-postgresql",
            "instanceClass": "db.r7g.4xlarge",
            "autoMinorVersionUpgrade": True,
        },
        False,
    ),
    PolicyCase(
        "rds-auto-minor-version-upgrade",
        _INSTANCE_TYPE,
        {
            "clusterIdentifier": "meridian-prod-use1",
            "engine": "aurora-postgresql",
            "instanceClass": "db.r7g.4xlarge",
        },
        False,
        note="default-true",
    ),
    PolicyCase(
        "rds-auto-minor-version-upgrade",
        _INSTANCE_TYPE,
        {
            "clusterIdentifier": "meridian-prod-use1",
            "engine": "aurora-postgresql",
            "instanceClass": "db.r7g.4xlarge",
            "autoMinorVersionUpgrade": False,
        },
        True,
        note="cluster-instance-off",
    ),
    PolicyCase(
        "rds-auto-minor-version-upgrade",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, autoMinorVersionUpgrade=False),
        True,
        note="cluster-off",
    ),
    PolicyCase(
        "rds-auto-minor-version-upgrade",
        "aws:rds/instance:Instance",
        _with(RDS_INSTANCE, autoMinorVersionUpgrade=False),
        True,
        note="instance-off",
    ),
    PolicyCase("database-query-logging", _CLUSTER_PARAMS_TYPE, _PG_CLUSTER_PARAMS, False),
    PolicyCase(
        "database-query-logging",
        "aws:rds/parameterGroup:ParameterGroup",
        {**_params(log_min_duration_statement="0", log_statement="mod"), "family": "postgres17"},
        False,
        note="instance-group-all-statements",
    ),
    PolicyCase(
        "database-query-logging",
        _CLUSTER_PARAMS_TYPE,
        _params(log_min_duration_statement=None),
        True,
        note="no-slow-query-threshold",
    ),
    PolicyCase(
        "database-query-logging",
        _CLUSTER_PARAMS_TYPE,
        _params(log_min_duration_statement="-1"),
        True,
        note="slow-query-log-off",
    ),
    PolicyCase(
        "database-query-logging",
        _CLUSTER_PARAMS_TYPE,
        _params(log_min_duration_statement="1000"),
        True,
        note="threshold-above-design",
    ),
    PolicyCase(
        "database-query-logging",
        _CLUSTER_PARAMS_TYPE,
        _params(log_statement="none"),
        True,
        note="no-statement-log",
    ),
    PolicyCase(
        "database-query-logging",
        _CLUSTER_PARAMS_TYPE,
        {"name": "meridian-mysql", "family": "aurora-mysql8.0", "parameters": []},
        False,
        note="not-postgres",
    ),
    PolicyCase(
        "database-query-logging",
        "aws:rds/instance:Instance",
        _with(RDS_INSTANCE, parameterGroupName="default.postgres16"),
        True,
        note="instance-default-group",
    ),
    PolicyCase(
        "database-query-logging",
        "aws:rds/instance:Instance",
        _with(RDS_INSTANCE, parameterGroupName="meridian-reporting-postgres16"),
        False,
        note="instance-own-group",
    ),
    # --- secretsmanager-secret-description -----------------------------------------------------
    PolicyCase(
        "secretsmanager-secret-description",
        "aws:secretsmanager/secret:Secret",
        {
            "name": "meridian/prod/aurora",
            "kmsKeyId": KEY_ARN,
            "description": "Aurora global database master user",
        },
        False,
    ),
    PolicyCase(
        "secretsmanager-secret-description",
        "aws:secretsmanager/secret:Secret",
        {"name": "meridian/prod/aurora", "kmsKeyId": KEY_ARN},
        True,
        note="none",
    ),
    PolicyCase(
        "secretsmanager-secret-description",
        "aws:secretsmanager/secret:Secret",
        {"name": "meridian/prod/aurora", "kmsKeyId": KEY_ARN, "description": "  "},
        True,
        note="blank",
    ),
]
