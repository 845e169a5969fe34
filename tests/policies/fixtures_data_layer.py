"""Cases of the transactional data layer's policies (TLS and IAM to the databases, global
database members, replicas, cache authentication, observable instances: in
``policies/data_safety_databases.py``; locked backup vaults: in ``data_safety_storage.py``).
``cases_data_safety_databases`` and ``cases_data_safety_storage`` include them.

Props are the engine's camelCase inputs as pulumi-aws 7 sends them (the shapes
components/data/*.py produce); ``UNKNOWN`` marks a value unknown during preview.
"""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase
from tests.policies.cases_encryption_data import AURORA_CLUSTER, KEY_ARN, REPLICATION_GROUP

CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PROXY = "aws:rds/proxy:Proxy"
TABLE_REPLICA = "aws:dynamodb/tableReplica:TableReplica"
GLOBAL_DATASTORE = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
K8SSANDRA = "kubernetes:k8ssandra.io/v1alpha1:K8ssandraCluster"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:meridian/prod/aurora-AbCdEf"
ROLE_ARN = "arn:aws:iam::123456789012:role/meridian-prod-use1-aurora-proxy"
GLOBAL_IGNORED = {"ignoreChanges": ["globalClusterIdentifier", "replicationSourceIdentifier"]}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = dict(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


MERIDIAN_CLUSTER = _with(
    AURORA_CLUSTER,
    dbClusterParameterGroupName="meridian-prod-use1-aurora-aurora-postgresql17",
    iamDatabaseAuthenticationEnabled=True,
)
PARAMETER_GROUP: dict[str, Any] = {
    "name": "meridian-prod-use1-aurora-aurora-postgresql17",
    "family": "aurora-postgresql17",
    "parameters": [
        {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"},
        {"name": "log_connections", "value": "1"},
    ],
}
CLUSTER_INSTANCE: dict[str, Any] = {
    "identifier": "meridian-prod-use1-aurora-0",
    "clusterIdentifier": "meridian-prod-use1-aurora",
    "engine": "aurora-postgresql",
    "instanceClass": "db.r7g.4xlarge",
    "publiclyAccessible": False,
    "monitoringInterval": 30,
    "monitoringRoleArn": ROLE_ARN,
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": KEY_ARN,
}
PROXY_PROPS: dict[str, Any] = {
    "name": "meridian-prod-use1-aurora-proxy",
    "engineFamily": "POSTGRESQL",
    "roleArn": ROLE_ARN,
    "vpcSubnetIds": ["subnet-0a", "subnet-0b", "subnet-0c"],
    "requireTls": True,
    "auths": [
        {
            "authScheme": "SECRETS",
            "secretArn": SECRET_ARN,
            "iamAuth": "REQUIRED",
            "clientPasswordAuthType": "POSTGRES_SCRAM_SHA_256",
        }
    ],
}
REPLICA_PROPS: dict[str, Any] = {
    "globalTableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/meridian-prod-sessions",
    "kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "pointInTimeRecovery": True,
    "deletionProtectionEnabled": True,
}
CACHE_PROPS = _with(
    REPLICATION_GROUP,
    userGroupIds=["meridian-prod-use1-cache"],
    transitEncryptionMode="required",
)
PROTECTED = {"protect": True}


def _stack(stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase("backup-vault-locked", "", {}, violates, stack=stack, note=note)


def _vault(name: str) -> dict[str, Any]:
    return {
        "type": VAULT,
        "name": name,
        "props": {"name": f"meridian-{name}", "kmsKeyArn": KEY_ARN},
    }


def _lock(name: str, vault: str) -> dict[str, Any]:
    return {
        "type": LOCK,
        "name": name,
        "props": {
            "backupVaultName": vault,
            "minRetentionDays": 7,
            "maxRetentionDays": 35,
            "changeableForDays": 3,
        },
    }


_CASES: list[PolicyCase] = [
    # -- database-tls-enforced --
    PolicyCase("database-tls-enforced", CLUSTER_PARAMS, PARAMETER_GROUP, False, note="force-ssl"),
    PolicyCase(
        "database-tls-enforced",
        CLUSTER_PARAMS,
        _with(PARAMETER_GROUP, parameters=[{"name": "log_connections", "value": "1"}]),
        True,
        note="no-force-ssl",
    ),
    PolicyCase(
        "database-tls-enforced",
        CLUSTER_PARAMS,
        _with(PARAMETER_GROUP, parameters=[{"name": "rds.force_ssl", "value": "0"}]),
        True,
        note="force-ssl-off",
    ),
    PolicyCase("database-tls-enforced", CLUSTER, MERIDIAN_CLUSTER, False, note="own-group"),
    PolicyCase(
        "database-tls-enforced",
        CLUSTER,
        _with(MERIDIAN_CLUSTER, dbClusterParameterGroupName=None),
        True,
        note="default-group",
    ),
    PolicyCase(
        "database-tls-enforced",
        CLUSTER,
        _with(MERIDIAN_CLUSTER, dbClusterParameterGroupName="default.aurora-postgresql17"),
        True,
        note="named-default-group",
    ),
    # -- rds-iam-authentication --
    PolicyCase("rds-iam-authentication", CLUSTER, MERIDIAN_CLUSTER, False, note="on"),
    PolicyCase(
        "rds-iam-authentication",
        CLUSTER,
        _with(MERIDIAN_CLUSTER, iamDatabaseAuthenticationEnabled=False),
        True,
        note="off",
    ),
    # -- rds-proxy-tls-iam --
    PolicyCase("rds-proxy-tls-iam", PROXY, PROXY_PROPS, False, note="tls-and-iam"),
    PolicyCase(
        "rds-proxy-tls-iam", PROXY, _with(PROXY_PROPS, requireTls=False), True, note="no-tls"
    ),
    PolicyCase(
        "rds-proxy-tls-iam",
        PROXY,
        _with(
            PROXY_PROPS,
            auths=[{"authScheme": "SECRETS", "secretArn": SECRET_ARN, "iamAuth": "DISABLED"}],
        ),
        True,
        note="password-logins",
    ),
    PolicyCase(
        "rds-proxy-tls-iam",
        PROXY,
        _with(
            PROXY_PROPS,
            auths=[{"authScheme": "SECRETS", "secretArn": UNKNOWN, "iamAuth": "REQUIRED"}],
        ),
        False,
        note="secret-unknown",
    ),
    PolicyCase(
        "rds-proxy-tls-iam",
        PROXY,
        {**{k: v for k, v in PROXY_PROPS.items() if k != "auths"}, "defaultAuthScheme": "IAM_AUTH"},
        False,
        note="end-to-end-iam",
    ),
    PolicyCase(
        "rds-proxy-tls-iam",
        PROXY,
        {k: v for k, v in PROXY_PROPS.items() if k != "auths"},
        True,
        note="no-auth-at-all",
    ),
    # -- global-database-ignores-failover --
    PolicyCase(
        "global-database-ignores-failover",
        CLUSTER,
        MERIDIAN_CLUSTER,
        False,
        options=GLOBAL_IGNORED,
        note="member-ignores",
    ),
    PolicyCase(
        "global-database-ignores-failover",
        CLUSTER,
        MERIDIAN_CLUSTER,
        True,
        note="member-diffs",
    ),
    PolicyCase(
        "global-database-ignores-failover",
        CLUSTER,
        MERIDIAN_CLUSTER,
        True,
        options={"ignoreChanges": ["globalClusterIdentifier"]},
        note="half-ignored",
    ),
    PolicyCase(
        "global-database-ignores-failover",
        CLUSTER,
        _with(MERIDIAN_CLUSTER, globalClusterIdentifier=None),
        False,
        note="standalone",
    ),
    # -- data-replicas-safe --
    PolicyCase(
        "data-replicas-safe", TABLE_REPLICA, REPLICA_PROPS, False, options=PROTECTED, note="replica"
    ),
    PolicyCase("data-replicas-safe", TABLE_REPLICA, REPLICA_PROPS, True, note="unprotected"),
    PolicyCase(
        "data-replicas-safe",
        TABLE_REPLICA,
        _with(REPLICA_PROPS, pointInTimeRecovery=False),
        True,
        options=PROTECTED,
        note="no-pitr",
    ),
    PolicyCase(
        "data-replicas-safe",
        TABLE_REPLICA,
        _with(REPLICA_PROPS, kmsKeyArn=None),
        True,
        options=PROTECTED,
        note="aws-owned-key",
    ),
    PolicyCase(
        "data-replicas-safe",
        GLOBAL_DATASTORE,
        {"globalReplicationGroupIdSuffix": "cache", "primaryReplicationGroupId": "meridian-c"},
        False,
        options=PROTECTED,
        note="global-datastore",
    ),
    PolicyCase(
        "data-replicas-safe",
        GLOBAL_DATASTORE,
        {"globalReplicationGroupIdSuffix": "cache", "primaryReplicationGroupId": "meridian-c"},
        True,
        note="global-datastore-unprotected",
    ),
    PolicyCase(
        "data-replicas-safe",
        K8SSANDRA,
        {"apiVersion": "k8ssandra.io/v1alpha1", "kind": "K8ssandraCluster", "spec": {}},
        True,
        note="k8ssandra-unprotected",
    ),
    # -- elasticache-authenticated --
    PolicyCase("elasticache-authenticated", CACHE, CACHE_PROPS, False, note="rbac"),
    PolicyCase(
        "elasticache-authenticated",
        CACHE,
        _with(CACHE_PROPS, userGroupIds=None, authToken=None),
        True,
        note="anonymous",
    ),
    PolicyCase(
        "elasticache-authenticated",
        CACHE,
        _with(CACHE_PROPS, transitEncryptionMode="preferred"),
        True,
        note="tls-preferred",
    ),
    # -- database-instances-observable --
    PolicyCase("database-instances-observable", INSTANCE, CLUSTER_INSTANCE, False, note="on"),
    PolicyCase(
        "database-instances-observable",
        INSTANCE,
        _with(CLUSTER_INSTANCE, monitoringInterval=0),
        True,
        note="no-enhanced-monitoring",
    ),
    PolicyCase(
        "database-instances-observable",
        INSTANCE,
        _with(CLUSTER_INSTANCE, performanceInsightsEnabled=False),
        True,
        note="no-performance-insights",
    ),
    # -- backup-vault-locked (stack) --
    _stack([_vault("vault"), _lock("lock", "meridian-vault")], False, "locked"),
    _stack([_vault("vault")], True, "unlocked"),
    _stack([_vault("vault"), _lock("lock", "meridian-other")], True, "other-vault-locked"),
    _stack(
        [_vault("vault"), _lock("lock", UNKNOWN)],
        False,
        "lock-target-unknown",
    ),
]


VAULT_LOCK_CASES: list[PolicyCase] = [c for c in _CASES if c.policy == "backup-vault-locked"]
DATABASE_CASES: list[PolicyCase] = [c for c in _CASES if c.policy != "backup-vault-locked"]
