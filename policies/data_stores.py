"""Data-store policies of the Meridian CrossGuard pack (issue 10, the transactional data layer).

What the data layer promises that its inputs show, beyond what the other modules already check
(reused, not repeated here: encryption with a CMK `rds-storage-encrypted-cmk`,
`rds-performance-insights-cmk`, `keyspaces-table-cmk`, `elasticache-encryption`,
`dynamodb-sse-cmk`, `backup-vault-cmk`, `secretsmanager-secret-cmk`; deletion protection
`database-deletion-protection`; backups `rds-backup-retention`, `rds-final-snapshot`,
`elasticache-snapshot-retention`, `elasticache-final-snapshot`, `dynamodb-point-in-time-recovery`,
`keyspaces-point-in-time-recovery`, `backup-plan-cross-region-copy`; `protect` on the classic
stateful types `stateful-resources-protected`; no public databases `no-public-database`):

- TLS is enforced by the database (`rds.force_ssl`) and the proxy (`requireTls`), clients use IAM;
- members of a global database ignore the fields failover rewrites (no detach/promote on `up`);
- the data layer's replicas (DynamoDB table replicas, ElastiCache global datastores, K8ssandra
  clusters) are protected and safe like their primaries;
- caches authenticate users (RBAC user groups) and require TLS;
- backup vaults are locked (prod);
- database instances are observable (enhanced monitoring and Performance Insights).

Unknown values: resource policies read through the SDK proxy (an unknown value skips the check
during preview); the stack policy unwraps props and treats unknown as "cannot tell yet".
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from . import types
from .compliance import (
    AUTHENTICATION,
    BACKUP,
    CHANGE_MANAGEMENT,
    CREDENTIAL_PROTECTION,
    DELETION_PROTECTION,
    ENCRYPTION_IN_TRANSIT,
    OBSERVABILITY,
    RESILIENCE,
)
from .declare import resource_policy, stack_policy
from .support import (
    as_list,
    dig,
    is_unknown,
    pget,
    plain,
    short_type,
)

CONCERN = "data-safety"

POSTGRES_ENGINES: Final = ("aurora-postgresql", "postgres")
GLOBAL_MEMBER_IGNORED: Final = ("globalClusterIdentifier", "replicationSourceIdentifier")


def _subject(args: ResourceValidationArgs) -> str:
    return f"{short_type(args.resource_type)} '{args.name}'"


# --------------------------------------------------------------------------------------------
# TLS and IAM to the databases
# --------------------------------------------------------------------------------------------


def _parameter(params: Any, name: str) -> Any:
    for entry in as_list(params):
        if pget(entry, "name") == name:
            return pget(entry, "value")
    return None


def _force_ssl_group(args: ResourceValidationArgs, report: ReportViolation) -> None:
    family = dig(args.props, "family")
    if not isinstance(family, str) or "postgres" not in family:
        return
    value = _parameter(dig(args.props, "parameters"), "rds.force_ssl")
    if str(value) != "1":
        report(
            f"{_subject(args)} (family {family}) does not set rds.force_ssl = 1, so clients may "
            "connect without TLS. Fix: add the parameter {name: 'rds.force_ssl', value: '1'}.",
            None,
        )


def _force_ssl_cluster(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if dig(args.props, "engine") not in POSTGRES_ENGINES:
        return
    group = dig(args.props, "dbClusterParameterGroupName")
    if not isinstance(group, str) or not group or group.startswith("default."):
        report(
            f"{_subject(args)} uses the engine's default cluster parameter group, which lets "
            "clients connect without TLS. Fix: set dbClusterParameterGroupName to a group that "
            "sets rds.force_ssl = 1.",
            None,
        )


database_tls_enforced = resource_policy(
    "database-tls-enforced",
    "PostgreSQL databases refuse connections without TLS: Aurora PostgreSQL clusters use a "
    "cluster parameter group of their own, and every PostgreSQL (cluster) parameter group "
    "sets rds.force_ssl = 1.",
    concern=CONCERN,
    service="rds",
    severity=Severity.HIGH,
    controls=ENCRYPTION_IN_TRANSIT,
    validators={
        "aws:rds/clusterParameterGroup:ClusterParameterGroup": _force_ssl_group,
        "aws:rds/parameterGroup:ParameterGroup": _force_ssl_group,
        "aws:rds/cluster:Cluster": _force_ssl_cluster,
    },
)


def _iam_auth(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if dig(args.props, "engine") not in (*POSTGRES_ENGINES, "aurora-mysql", "mysql"):
        return
    if dig(args.props, "iamDatabaseAuthenticationEnabled") is not True:
        report(
            f"{_subject(args)}: iamDatabaseAuthenticationEnabled is not true, so workloads need "
            "long-lived database passwords. Fix: set iamDatabaseAuthenticationEnabled = true and "
            "grant rds-db:connect to the workload roles.",
            None,
        )


rds_iam_authentication = resource_policy(
    "rds-iam-authentication",
    "Aurora and RDS databases accept IAM authentication (iamDatabaseAuthenticationEnabled), "
    "so workloads connect with short-lived tokens instead of stored passwords.",
    concern=CONCERN,
    service="rds",
    severity=Severity.MEDIUM,
    controls=AUTHENTICATION | CREDENTIAL_PROTECTION,
    validators={"aws:rds/cluster:Cluster": _iam_auth, "aws:rds/instance:Instance": _iam_auth},
)


def _proxy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if dig(args.props, "requireTls") is not True:
        report(
            f"{_subject(args)}: requireTls is not true, clients may reach the proxy in clear "
            "text. Fix: set requireTls = true.",
            None,
        )
    for index, auth in enumerate(as_list(dig(args.props, "auths"))):
        mode = pget(auth, "iamAuth")
        if is_unknown(mode):
            continue
        if mode != "REQUIRED":
            report(
                f"{_subject(args)}: auths[{index}].iamAuth is {mode!r}, so clients may log in "
                "with the database password. Fix: set iamAuth = 'REQUIRED'.",
                None,
            )


rds_proxy_tls_iam = resource_policy(
    "rds-proxy-tls-iam",
    "RDS Proxies require TLS from clients (requireTls) and IAM authentication for every "
    "auth entry (iamAuth REQUIRED).",
    concern=CONCERN,
    service="rds",
    severity=Severity.HIGH,
    controls=ENCRYPTION_IN_TRANSIT | AUTHENTICATION,
    validators={"aws:rds/proxy:Proxy": _proxy},
)


# --------------------------------------------------------------------------------------------
# Global database members
# --------------------------------------------------------------------------------------------


def _global_member(args: ResourceValidationArgs, report: ReportViolation) -> None:
    joined = dig(args.props, "globalClusterIdentifier")
    replica = dig(args.props, "replicationSourceIdentifier")
    if not joined and not replica:
        return
    ignored = set(args.opts.ignore_changes or [])
    missing = [f for f in GLOBAL_MEMBER_IGNORED if f not in ignored]
    if missing:
        report(
            f"{_subject(args)} is a member of a global database (or a replica) but does not "
            f"ignore {', '.join(missing)}: after a failover or switchover the service rewrites "
            "them and the next `pulumi up` would detach or promote the cluster. Fix: "
            f"opts=ResourceOptions(ignore_changes={list(GLOBAL_MEMBER_IGNORED)!r}).",
            None,
        )


global_database_ignores_failover = resource_policy(
    "global-database-ignores-failover",
    "Aurora clusters in a global database (globalClusterIdentifier or "
    "replicationSourceIdentifier set) ignore both fields (ignore_changes), so failover and "
    "switchover stay operations and never turn into a diff.",
    concern=CONCERN,
    service="rds",
    severity=Severity.HIGH,
    controls=RESILIENCE | CHANGE_MANAGEMENT,
    validators={"aws:rds/cluster:Cluster": _global_member},
)


# --------------------------------------------------------------------------------------------
# Replicas of the data layer: protected and as safe as their primaries
# --------------------------------------------------------------------------------------------

REPLICA_TYPES: Final = (
    "aws:dynamodb/tableReplica:TableReplica",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    "kubernetes:k8ssandra.io/v1alpha1:K8ssandraCluster",
)


def _replica(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.opts.protect:
        report(
            f"{_subject(args)} holds data but is not protected; `pulumi destroy` or a replacing "
            "change would delete it. Fix: opts=ResourceOptions(protect=True).",
            None,
        )
    if args.resource_type != "aws:dynamodb/tableReplica:TableReplica":
        return
    for prop in ("pointInTimeRecovery", "deletionProtectionEnabled"):
        if dig(args.props, prop) is not True:
            report(f"{_subject(args)}: {prop} is not true. Fix: set {prop} = true.", None)
    key = dig(args.props, "kmsKeyArn")
    if not isinstance(key, str) or not key.startswith("arn:"):
        report(
            f"{_subject(args)}: kmsKeyArn is not set, the replica is encrypted with an "
            "AWS-owned key. Fix: set kmsKeyArn to the replica region's customer-managed key.",
            None,
        )


data_replicas_safe = resource_policy(
    "data-replicas-safe",
    "Replicas of the data layer are protected (the protect option): DynamoDB table replicas "
    "(also PITR, deletion protection and a customer-managed key of their region), "
    "ElastiCache global datastores and K8ssandra clusters.",
    concern=CONCERN,
    service=("dynamodb", "elasticache", "k8ssandra"),
    severity=Severity.HIGH,
    controls=RESILIENCE | DELETION_PROTECTION,
    validators={t: _replica for t in REPLICA_TYPES},
)


# --------------------------------------------------------------------------------------------
# Caches: authenticated users, TLS required
# --------------------------------------------------------------------------------------------


def _cache_auth(args: ResourceValidationArgs, report: ReportViolation) -> None:
    groups = dig(args.props, "userGroupIds")
    token = dig(args.props, "authToken")
    if not as_list(groups) and not token:
        report(
            f"{_subject(args)} has neither RBAC user groups (userGroupIds) nor an AUTH token: "
            "any client that reaches the port can read and write. Fix: set userGroupIds to a "
            "user group whose default user is disabled.",
            None,
        )
    mode = dig(args.props, "transitEncryptionMode")
    if mode == "preferred":
        report(
            f"{_subject(args)}: transitEncryptionMode is 'preferred', clients may still connect "
            "without TLS. Fix: set transitEncryptionMode = 'required'.",
            None,
        )


elasticache_authenticated = resource_policy(
    "elasticache-authenticated",
    "ElastiCache replication groups authenticate clients (RBAC user groups or AUTH) and, "
    "when transit encryption is on, require it (transitEncryptionMode not 'preferred').",
    concern=CONCERN,
    service="elasticache",
    severity=Severity.HIGH,
    controls=AUTHENTICATION | ENCRYPTION_IN_TRANSIT,
    validators={"aws:elasticache/replicationGroup:ReplicationGroup": _cache_auth},
)


# --------------------------------------------------------------------------------------------
# Observability of database instances
# --------------------------------------------------------------------------------------------


def _instance_observable(args: ResourceValidationArgs, report: ReportViolation) -> None:
    interval = dig(args.props, "monitoringInterval")
    if not isinstance(interval, int | float) or interval <= 0:
        report(
            f"{_subject(args)}: enhanced monitoring is off (monitoringInterval {interval!r}). "
            "Fix: set monitoringInterval (1-60 s) and monitoringRoleArn.",
            None,
        )
    if dig(args.props, "performanceInsightsEnabled") is not True:
        report(
            f"{_subject(args)}: performanceInsightsEnabled is not true. Fix: enable "
            "Performance Insights with a customer-managed key.",
            None,
        )


database_instances_observable = resource_policy(
    "database-instances-observable",
    "Aurora and RDS instances run enhanced monitoring (monitoringInterval > 0) and "
    "Performance Insights, so a failover or a slow query can be diagnosed.",
    concern=CONCERN,
    service="rds",
    severity=Severity.LOW,
    controls=OBSERVABILITY,
    enforcement=EnforcementLevel.ADVISORY,
    validators={
        "aws:rds/clusterInstance:ClusterInstance": _instance_observable,
        "aws:rds/instance:Instance": _instance_observable,
    },
)


# --------------------------------------------------------------------------------------------
# Backup vaults are locked (prod)
# --------------------------------------------------------------------------------------------


def _vault_locks(args: StackValidationArgs, report: ReportViolation) -> None:
    locked_names: set[str] = set()
    locked_urns: set[str] = set()
    unknown = False
    for resource in args.resources:
        if resource.resource_type != "aws:backup/vaultLockConfiguration:VaultLockConfiguration":
            continue
        name = pget(plain(resource.props), "backupVaultName")
        if is_unknown(name):
            unknown = True
        elif isinstance(name, str):
            locked_names.add(name)
        locked_urns |= {d.urn for d in resource.property_dependencies.get("backupVaultName", [])}
    for vault in args.resources:
        if vault.resource_type != "aws:backup/vault:Vault":
            continue
        name = pget(plain(vault.props), "name")
        if vault.urn in locked_urns or (isinstance(name, str) and name in locked_names):
            continue
        if unknown or is_unknown(name):
            continue  # cannot tell during preview
        report(
            f"backup.Vault '{vault.name}' has no Vault Lock: anyone with backup:Delete* can "
            "delete its recovery points, ransomware included. Fix: add an "
            "aws.backup.VaultLockConfiguration for it (minRetentionDays, maxRetentionDays, "
            "changeableForDays for compliance mode).",
            vault.urn,
        )


backup_vault_locked = stack_policy(
    "backup-vault-locked",
    "Every AWS Backup vault has a Vault Lock configuration, so recovery points cannot be "
    "deleted or their retention shortened before it ends. Meant for prod.",
    concern=CONCERN,
    service="backup",
    severity=Severity.HIGH,
    controls=BACKUP | DELETION_PROTECTION,
    enforcement=EnforcementLevel.ADVISORY,
    types=(types.BACKUP_VAULT,),
    validate=_vault_locks,
)


POLICIES: list[Policy] = [
    # rds
    database_tls_enforced,
    rds_iam_authentication,
    rds_proxy_tls_iam,
    global_database_ignores_failover,
    database_instances_observable,
    # dynamodb
    data_replicas_safe,
    # elasticache
    elasticache_authenticated,
    # backup
    backup_vault_locked,
]
