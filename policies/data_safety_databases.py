"""Data-safety policies, databases and brokers: they survive mistakes and broker loss.

Deletion protection (databases, load balancers), backup retention and point-in-time recovery,
final snapshots, snapshot tags, Kafka durability settings and the Secrets Manager recovery
window; and what the transactional data layer promises beyond encryption and backups: TLS
enforced by the database (``rds.force_ssl``) and the RDS Proxy (``requireTls``) with IAM
authentication, global-database members that ignore the fields a failover rewrites, replicas
(DynamoDB table replicas, ElastiCache global datastores, K8ssandra clusters) protected like their
primaries, caches that authenticate clients, and observable database instances. Storage-level
safety (S3, ``protect``, AWS Backup copies and vault locks) is in ``data_safety_storage``.


Unknown values are handled as in :mod:`policies.support`: resource policies read through the
SDK proxy (an unknown value skips the policy for that resource during preview, it is never
caught here), stack policies unwrap the props and treat unknown values as "cannot tell yet".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from .compliance import (
    ASSET_INVENTORY,
    AUTHENTICATION,
    BACKUP,
    CHANGE_MANAGEMENT,
    CREDENTIAL_PROTECTION,
    DATA_CLASSIFICATION,
    DELETION_PROTECTION,
    ENCRYPTION_IN_TRANSIT,
    LOGGING,
    OBSERVABILITY,
    PATCHING,
    RESILIENCE,
)
from .declare import resource_policy
from .support import (
    as_list,
    cfg_number,
    dig,
    is_unknown,
    number,
    pget,
    requires_true,
    short_type,
)

CONCERN = "data-safety"

# --------------------------------------------------------------------------------------------
# Deletion protection
# --------------------------------------------------------------------------------------------


_DB_DELETION_FIX: Final = (
    "Fix: set {prop} = true; turn it off deliberately (separate change) before a planned delete."
)

database_deletion_protection = resource_policy(
    "database-deletion-protection",
    "Databases cannot be deleted by accident: rds.Cluster, rds.Instance and "
    "rds.GlobalCluster set deletionProtection = true; dynamodb.Table sets "
    "deletionProtectionEnabled = true. (Amazon Keyspaces has no deletion-protection "
    "setting; keyspaces are covered by stateful-resources-protected.)",
    concern=CONCERN,
    service=("rds", "dynamodb", "keyspaces"),
    severity=Severity.HIGH,
    controls=DELETION_PROTECTION,
    validators={
        "aws:rds/cluster:Cluster": requires_true(
            "deletionProtection", _DB_DELETION_FIX.format(prop="deletionProtection")
        ),
        "aws:rds/instance:Instance": requires_true(
            "deletionProtection", _DB_DELETION_FIX.format(prop="deletionProtection")
        ),
        "aws:rds/globalCluster:GlobalCluster": requires_true(
            "deletionProtection", _DB_DELETION_FIX.format(prop="deletionProtection")
        ),
        "aws:dynamodb/table:Table": requires_true(
            "deletionProtectionEnabled",
            _DB_DELETION_FIX.format(prop="deletionProtectionEnabled"),
        ),
    },
)


lb_deletion_protection = resource_policy(
    "lb-deletion-protection",
    "Load balancers have enableDeletionProtection = true, so a production entry point "
    "(and its DNS name) is not lost by an accidental delete. Meant for prod.",
    concern=CONCERN,
    service="elb",
    severity=Severity.LOW,
    controls=DELETION_PROTECTION,
    enforcement=EnforcementLevel.ADVISORY,
    validators={
        t: requires_true(
            "enableDeletionProtection",
            "Fix: set enableDeletionProtection = true on production load balancers.",
        )
        for t in (
            "aws:lb/loadBalancer:LoadBalancer",
            "aws:alb/loadBalancer:LoadBalancer",
        )
    },
)


# --------------------------------------------------------------------------------------------
# Backups: retention, point-in-time recovery
# --------------------------------------------------------------------------------------------


def _rds_backup_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if dig(props, "replicateSourceDb"):
        return  # read replicas do not need their own automated backups
    minimum = cfg_number(args.get_config(), "minimumDays", 7)
    days = number(dig(props, "backupRetentionPeriod"))
    if days is None or days < minimum:
        shown = "unset (AWS default: 1 day)" if days is None else f"{days:g} days"
        report(
            f"{short_type(args.resource_type)} '{args.name}': backupRetentionPeriod is {shown}, "
            f"below the required {minimum:g} days. Fix: set backupRetentionPeriod = "
            f"{minimum:g} or more (maximum 35).",
            None,
        )


rds_backup_retention = resource_policy(
    "rds-backup-retention",
    "RDS/Aurora automated backups are kept at least N days (backupRetentionPeriod >= "
    "minimumDays; default 7, prod 35) on rds.Cluster and rds.Instance (read replicas "
    "excepted).",
    concern=CONCERN,
    service="rds",
    severity=Severity.HIGH,
    controls=BACKUP,
    validators={
        "aws:rds/cluster:Cluster": _rds_backup_retention,
        "aws:rds/instance:Instance": _rds_backup_retention,
    },
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": 7,
                "description": "Minimum backupRetentionPeriod in days (prod: 35).",
            }
        }
    ),
)


def _elasticache_snapshot_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "aws:elasticache/cluster:Cluster" and (
        dig(props, "replicationGroupId") or dig(props, "engine") == "memcached"
    ):
        return  # members inherit the group's setting; memcached has no snapshots
    minimum = cfg_number(args.get_config(), "minimumDays", 1)
    days = number(dig(props, "snapshotRetentionLimit"))
    if days is None or days < minimum:
        shown = "unset (0: no automatic snapshots)" if days is None else f"{days:g}"
        report(
            f"{short_type(args.resource_type)} '{args.name}': snapshotRetentionLimit is {shown}, "
            f"below {minimum:g} day(s). Fix: set snapshotRetentionLimit = {minimum:g} or more "
            "(and a snapshotWindow).",
            None,
        )


elasticache_snapshot_retention = resource_policy(
    "elasticache-snapshot-retention",
    "ElastiCache replication groups, serverless caches and standalone Redis/Valkey clusters "
    "take daily automatic snapshots kept at least N days (snapshotRetentionLimit >= "
    "minimumDays, default 1).",
    concern=CONCERN,
    service="elasticache",
    severity=Severity.MEDIUM,
    controls=BACKUP,
    validators={
        "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache_snapshot_retention,
        "aws:elasticache/serverlessCache:ServerlessCache": _elasticache_snapshot_retention,
        "aws:elasticache/cluster:Cluster": _elasticache_snapshot_retention,
    },
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": 1,
                "description": "Minimum snapshotRetentionLimit in days.",
            }
        }
    ),
)


def _dynamodb_pitr(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if dig(args.props, "pointInTimeRecovery", "enabled") is not True:
        report(
            f"dynamodb.Table '{args.name}': pointInTimeRecovery.enabled is not true, the table "
            "cannot be restored to a point in time. Fix: set pointInTimeRecovery = {enabled: "
            "true}.",
            None,
        )


dynamodb_point_in_time_recovery = resource_policy(
    "dynamodb-point-in-time-recovery",
    "DynamoDB tables have point-in-time recovery enabled (pointInTimeRecovery.enabled = true).",
    concern=CONCERN,
    service="dynamodb",
    severity=Severity.HIGH,
    controls=BACKUP,
    validators={"aws:dynamodb/table:Table": _dynamodb_pitr},
)


def _keyspaces_pitr(args: ResourceValidationArgs, report: ReportViolation) -> None:
    status = dig(args.props, "pointInTimeRecovery", "status")
    if status != "ENABLED":
        report(
            f"keyspaces.Table '{args.name}': pointInTimeRecovery.status is "
            f"'{status or 'DISABLED (default)'}'. Fix: set pointInTimeRecovery = {{status: "
            "'ENABLED'}.",
            None,
        )


keyspaces_point_in_time_recovery = resource_policy(
    "keyspaces-point-in-time-recovery",
    "Amazon Keyspaces tables have point-in-time recovery enabled "
    "(pointInTimeRecovery.status = ENABLED).",
    concern=CONCERN,
    service="keyspaces",
    severity=Severity.HIGH,
    controls=BACKUP,
    validators={"aws:keyspaces/table:Table": _keyspaces_pitr},
)


# --------------------------------------------------------------------------------------------
# Final snapshots
# --------------------------------------------------------------------------------------------


def _rds_final_snapshot(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    kind = short_type(args.resource_type)
    if dig(props, "replicateSourceDb"):
        return  # RDS cannot take a final snapshot of a read replica
    if dig(props, "skipFinalSnapshot") is True:
        report(
            f"{kind} '{args.name}': skipFinalSnapshot is true, deleting it discards the data. "
            "Fix: set skipFinalSnapshot = false and finalSnapshotIdentifier = a unique name.",
            None,
        )
        return
    if not dig(props, "finalSnapshotIdentifier"):
        report(
            f"{kind} '{args.name}': finalSnapshotIdentifier is not set, so a delete either "
            "fails or (with skipFinalSnapshot) loses the data. Fix: set "
            "finalSnapshotIdentifier = a unique snapshot name.",
            None,
        )


rds_final_snapshot = resource_policy(
    "rds-final-snapshot",
    "Deleting an rds.Cluster or rds.Instance leaves a final snapshot: skipFinalSnapshot is "
    "false and finalSnapshotIdentifier is set.",
    concern=CONCERN,
    service="rds",
    severity=Severity.HIGH,
    controls=BACKUP | DELETION_PROTECTION,
    validators={
        "aws:rds/cluster:Cluster": _rds_final_snapshot,
        "aws:rds/instance:Instance": _rds_final_snapshot,
    },
)


def _elasticache_final_snapshot(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "aws:elasticache/cluster:Cluster" and (
        dig(props, "replicationGroupId") or dig(props, "engine") == "memcached"
    ):
        return
    if not dig(props, "finalSnapshotIdentifier"):
        report(
            f"{short_type(args.resource_type)} '{args.name}': finalSnapshotIdentifier is not "
            "set, deleting it discards the cached data set. Fix: set finalSnapshotIdentifier = "
            "a unique snapshot name.",
            None,
        )


elasticache_final_snapshot = resource_policy(
    "elasticache-final-snapshot",
    "Deleting an ElastiCache replication group (or standalone Redis/Valkey cluster) leaves a "
    "final snapshot (finalSnapshotIdentifier is set).",
    concern=CONCERN,
    service="elasticache",
    severity=Severity.MEDIUM,
    controls=BACKUP,
    enforcement=EnforcementLevel.ADVISORY,
    validators={
        "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache_final_snapshot,
        "aws:elasticache/cluster:Cluster": _elasticache_final_snapshot,
    },
)


# --------------------------------------------------------------------------------------------
# MSK / Kafka durability
# --------------------------------------------------------------------------------------------


def parse_server_properties(text: str) -> dict[str, str]:
    """Parse a Kafka server.properties document (``key=value`` or ``key: value`` lines)."""
    result: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        match = re.match(r"([^=:\s]+)\s*[=:]\s*(.*)", line)
        if match:
            result[match.group(1).strip()] = match.group(2).strip()
    return result


def _durability_settings(config: Mapping[str, Any]) -> tuple[float, float]:
    return (
        cfg_number(config, "minReplicationFactor", 3),
        cfg_number(config, "minInsyncReplicas", 2),
    )


def _kafka_problems(
    settings: Mapping[str, str], rf_min: float, isr_min: float, *, require_all: bool
) -> list[str]:
    problems: list[str] = []
    rf_text = settings.get("default.replication.factor")
    rf = number(rf_text)
    if rf_text is None and require_all:
        problems.append(f"default.replication.factor is not set (required: {rf_min:g})")
    elif rf_text is not None and (rf is None or rf < rf_min):
        problems.append(f"default.replication.factor is {rf_text} (required: >= {rf_min:g})")
    isr_text = settings.get("min.insync.replicas")
    isr = number(isr_text)
    if isr_text is None and require_all:
        problems.append(f"min.insync.replicas is not set (required: {isr_min:g})")
    elif isr_text is not None and (isr is None or isr < isr_min):
        problems.append(f"min.insync.replicas is {isr_text} (required: >= {isr_min:g})")
    elif isr is not None and rf is not None and isr >= rf:
        problems.append(
            f"min.insync.replicas ({isr_text}) must be lower than default.replication.factor "
            f"({rf_text}) so one broker can be down"
        )
    unclean = settings.get("unclean.leader.election.enable")
    if unclean is None and require_all:
        problems.append("unclean.leader.election.enable is not set (required: false)")
    elif unclean is not None and unclean.strip().lower() != "false":
        problems.append(f"unclean.leader.election.enable is {unclean} (required: false)")
    return problems


def _msk_configuration(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rf_min, isr_min = _durability_settings(args.get_config())
    text = dig(args.props, "serverProperties")
    settings = parse_server_properties(text if isinstance(text, str) else "")
    problems = _kafka_problems(settings, rf_min, isr_min, require_all=True)
    if problems:
        report(
            f"msk.Configuration '{args.name}': serverProperties: {'; '.join(problems)}. Fix: "
            f"set default.replication.factor={rf_min:g}, min.insync.replicas={isr_min:g} and "
            "unclean.leader.election.enable=false in serverProperties.",
            None,
        )


def _msk_cluster(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rf_min, isr_min = _durability_settings(args.get_config())
    brokers = number(dig(args.props, "numberOfBrokerNodes"))
    if brokers is not None and brokers < rf_min:
        report(
            f"msk.Cluster '{args.name}': numberOfBrokerNodes is {brokers:g}, a replication factor "
            f"of {rf_min:g} needs at least {rf_min:g} brokers. Fix: use {rf_min:g} or more "
            "brokers spread over three AZs.",
            None,
        )
    if dig(args.props, "configurationInfo") is None:
        report(
            f"msk.Cluster '{args.name}': configurationInfo is not set, the cluster runs the MSK "
            "default configuration, which does not pin the platform's durability settings. Fix: "
            "attach an msk.Configuration (configurationInfo = {arn, revision}) with "
            f"default.replication.factor={rf_min:g}, min.insync.replicas={isr_min:g} and "
            "unclean.leader.election.enable=false.",
            None,
        )


def _msk_topic(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rf_min, isr_min = _durability_settings(args.get_config())
    problems: list[str] = []
    rf = number(dig(args.props, "replicationFactor"))
    if rf is not None and rf < rf_min:
        problems.append(f"replicationFactor is {rf:g} (required: >= {rf_min:g})")
    configs = dig(args.props, "configs")
    if isinstance(configs, str) and configs.strip():
        try:
            parsed = json.loads(configs)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            settings = {str(k): str(v) for k, v in parsed.items()}  # pyright: ignore[reportUnknownVariableType]
            problems.extend(_kafka_problems(settings, rf_min, isr_min, require_all=False))
    if problems:
        report(
            f"msk.Topic '{args.name}': {'; '.join(problems)}. Fix: create the topic with "
            f"replicationFactor >= {rf_min:g}, min.insync.replicas >= {isr_min:g} and unclean "
            "leader election disabled.",
            None,
        )


msk_kafka_durability = resource_policy(
    "msk-kafka-durability",
    "Kafka on MSK keeps acknowledged writes through a broker loss: msk.Configuration "
    "serverProperties set default.replication.factor=3, min.insync.replicas=2 and "
    "unclean.leader.election.enable=false; msk.Cluster uses such a configuration and at "
    "least 3 brokers; msk.Topic does not lower these.",
    concern=CONCERN,
    service="msk",
    severity=Severity.HIGH,
    controls=RESILIENCE,
    validators={
        "aws:msk/configuration:Configuration": _msk_configuration,
        "aws:msk/cluster:Cluster": _msk_cluster,
        "aws:msk/topic:Topic": _msk_topic,
    },
    config_schema=PolicyConfigSchema(
        properties={
            "minReplicationFactor": {"type": "integer", "minimum": 1, "default": 3},
            "minInsyncReplicas": {"type": "integer", "minimum": 1, "default": 2},
        }
    ),
)


# --------------------------------------------------------------------------------------------
# Snapshot tags, secret recovery window
# --------------------------------------------------------------------------------------------

rds_copy_tags_to_snapshot = resource_policy(
    "rds-copy-tags-to-snapshot",
    "rds.Cluster and rds.Instance copy their tags to snapshots (copyTagsToSnapshot = true), "
    "so snapshots keep owner/data-classification tags for retention and access control.",
    concern=CONCERN,
    service="rds",
    severity=Severity.LOW,
    controls=DATA_CLASSIFICATION,
    enforcement=EnforcementLevel.ADVISORY,
    validators={
        t: requires_true(
            "copyTagsToSnapshot",
            "Fix: set copyTagsToSnapshot = true so snapshots carry the data-classification tags.",
        )
        for t in ("aws:rds/cluster:Cluster", "aws:rds/instance:Instance")
    },
)


def _secret_recovery_window(args: ResourceValidationArgs, report: ReportViolation) -> None:
    minimum = cfg_number(args.get_config(), "minimumDays", 7)
    days = number(dig(args.props, "recoveryWindowInDays"))
    if days is not None and days < minimum:
        report(
            f"secretsmanager.Secret '{args.name}': recoveryWindowInDays is {days:g}"
            f"{' (deleted immediately, unrecoverable)' if days == 0 else ''}, below {minimum:g}. "
            f"Fix: set recoveryWindowInDays >= {minimum:g} (default 30).",
            None,
        )


secretsmanager_recovery_window = resource_policy(
    "secretsmanager-recovery-window",
    "Deleted Secrets Manager secrets stay recoverable for at least N days "
    "(recoveryWindowInDays >= minimumDays, default 7; 0 = immediate deletion is not allowed).",
    concern=CONCERN,
    service="secretsmanager",
    severity=Severity.MEDIUM,
    controls=DELETION_PROTECTION,
    validators={"aws:secretsmanager/secret:Secret": _secret_recovery_window},
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {
                "type": "integer",
                "minimum": 7,
                "maximum": 30,
                "default": 7,
            }
        }
    ),
)


POSTGRES_ENGINES: Final = ("aurora-postgresql", "postgres")
GLOBAL_MEMBER_IGNORED: Final = ("globalClusterIdentifier", "replicationSourceIdentifier")


def _subject(args: ResourceValidationArgs) -> str:
    return f"{short_type(args.resource_type)} '{args.name}'"


def _secret_description(args: ResourceValidationArgs, report: ReportViolation) -> None:
    description = dig(args.props, "description")
    if not isinstance(description, str) or not description.strip():
        report(
            f"{_subject(args)} has no description, so whoever reviews or rotates it cannot tell "
            "what it unlocks. Fix: set description to what the secret is for and who uses it.",
            None,
        )


secretsmanager_secret_description = resource_policy(
    "secretsmanager-secret-description",
    "Secrets Manager secrets say what they are for (description), so access reviews and "
    "rotation can tell what each one unlocks.",
    concern=CONCERN,
    service="secretsmanager",
    severity=Severity.LOW,
    controls=ASSET_INVENTORY | CREDENTIAL_PROTECTION,
    enforcement=EnforcementLevel.ADVISORY,
    validators={"aws:secretsmanager/secret:Secret": _secret_description},
)


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


def _minor_upgrades(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if dig(args.props, "autoMinorVersionUpgrade") is False:
        report(
            f"{_subject(args)}: autoMinorVersionUpgrade is false, so the engine's minor "
            "versions (security fixes) are never applied in the maintenance window. Fix: leave "
            "autoMinorVersionUpgrade unset or true (ignore engineVersion changes so Pulumi does "
            "not undo the upgrade).",
            None,
        )


rds_auto_minor_version_upgrade = resource_policy(
    "rds-auto-minor-version-upgrade",
    "Aurora and RDS clusters and instances take minor engine versions automatically "
    "(autoMinorVersionUpgrade is not false), so engine security fixes are applied in the "
    "maintenance window.",
    concern=CONCERN,
    service="rds",
    severity=Severity.MEDIUM,
    controls=PATCHING,
    validators={
        "aws:rds/cluster:Cluster": _minor_upgrades,
        "aws:rds/clusterInstance:ClusterInstance": _minor_upgrades,
        "aws:rds/instance:Instance": _minor_upgrades,
    },
)

SLOW_QUERY_MS: Final = 100
"""The design's slow-query threshold (architecture.txt, "Observability": "PG: pg_stat_statements,
slow query log >100ms"); ``log_min_duration_statement`` takes milliseconds (-1 turns it off)."""
LOGGED_STATEMENT_CLASSES: Final = ("ddl", "mod", "all")
"""``log_statement`` values that log schema changes at least (PostgreSQL docs, "Error Reporting
and Logging": none, ddl, mod, all; Aurora User Guide, "Turning on query logging for your Aurora
PostgreSQL DB cluster")."""


def _query_logging_group(args: ResourceValidationArgs, report: ReportViolation) -> None:
    family = dig(args.props, "family")
    if not isinstance(family, str) or "postgres" not in family:
        return
    params = dig(args.props, "parameters")
    duration = number(_parameter(params, "log_min_duration_statement"))
    if duration is None or not 0 <= duration <= SLOW_QUERY_MS:
        report(
            f"{_subject(args)} (family {family}): log_min_duration_statement is "
            f"{_parameter(params, 'log_min_duration_statement')!r}, so statements slower than "
            f"the {SLOW_QUERY_MS} ms slow-query threshold are not logged. Fix: add the parameter "
            f"{{name: 'log_min_duration_statement', value: '{SLOW_QUERY_MS}'}}.",
            None,
        )
    statements = _parameter(params, "log_statement")
    if str(statements).lower() not in LOGGED_STATEMENT_CLASSES:
        report(
            f"{_subject(args)} (family {family}): log_statement is {statements!r}, so schema "
            "changes leave no trace in the database log. Fix: add the parameter "
            "{name: 'log_statement', value: 'ddl'} (or 'mod').",
            None,
        )


def _query_logging_instance(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if dig(args.props, "engine") != "postgres":
        return
    group = dig(args.props, "parameterGroupName")
    if not isinstance(group, str) or not group or group.startswith("default."):
        report(
            f"{_subject(args)} uses the engine's default parameter group, which logs no slow "
            "queries. Fix: set parameterGroupName to a group that sets "
            "log_min_duration_statement and log_statement.",
            None,
        )


database_query_logging = resource_policy(
    "database-query-logging",
    "PostgreSQL databases log slow queries and schema changes: every PostgreSQL (cluster) "
    f"parameter group sets log_min_duration_statement between 0 and {SLOW_QUERY_MS} ms and "
    "log_statement to ddl, mod or all; RDS PostgreSQL instances use a parameter group of their "
    "own (Aurora clusters already must, see database-tls-enforced).",
    concern=CONCERN,
    service="rds",
    severity=Severity.MEDIUM,
    controls=LOGGING | OBSERVABILITY,
    validators={
        "aws:rds/clusterParameterGroup:ClusterParameterGroup": _query_logging_group,
        "aws:rds/parameterGroup:ParameterGroup": _query_logging_group,
        "aws:rds/instance:Instance": _query_logging_instance,
    },
)


def _proxy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if dig(args.props, "requireTls") is not True:
        report(
            f"{_subject(args)}: requireTls is not true, clients may reach the proxy in clear "
            "text. Fix: set requireTls = true.",
            None,
        )
    scheme = dig(args.props, "defaultAuthScheme")
    auths = as_list(dig(args.props, "auths"))
    if not auths and not is_unknown(scheme) and scheme != "IAM_AUTH":
        report(
            f"{_subject(args)}: no auth entry and defaultAuthScheme is {scheme!r}, so the proxy "
            "has no IAM authentication. Fix: set defaultAuthScheme = 'IAM_AUTH' (end-to-end IAM) "
            "or add an auth entry with iamAuth = 'REQUIRED'.",
            None,
        )
    for index, auth in enumerate(auths):
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
    "RDS Proxies require TLS from clients (requireTls) and IAM authentication: every auth "
    "entry iamAuth REQUIRED, or end-to-end IAM (defaultAuthScheme IAM_AUTH) without entries.",
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


POLICIES: list[Policy] = [
    # rds
    database_deletion_protection,
    rds_backup_retention,
    rds_final_snapshot,
    rds_copy_tags_to_snapshot,
    database_tls_enforced,
    rds_iam_authentication,
    rds_auto_minor_version_upgrade,
    database_query_logging,
    rds_proxy_tls_iam,
    global_database_ignores_failover,
    database_instances_observable,
    # elb
    lb_deletion_protection,
    # elasticache
    elasticache_snapshot_retention,
    elasticache_final_snapshot,
    elasticache_authenticated,
    # dynamodb
    dynamodb_point_in_time_recovery,
    data_replicas_safe,
    # keyspaces
    keyspaces_point_in_time_recovery,
    # msk
    msk_kafka_durability,
    # secretsmanager
    secretsmanager_recovery_window,
    secretsmanager_secret_description,
]
