"""AuroraGlobalPostgres: one region's member of an Aurora PostgreSQL global database.

The primary region's stack owns the global cluster and the writer cluster; every secondary region's
stack creates a read-only cluster that joins the global cluster by the identifier the primary's
stack exports (stacks deploy in waves: global, primary, the other regions, edge). With no
secondary regions there is no global cluster and the cluster stands alone.

Example::

    db = AuroraGlobalPostgres("aurora", AuroraArgs(
        names=names, role="primary", global_identifier="meridian-prod-aurora",
        engine_version="17.7", instance_class="db.r7g.4xlarge", instances=4,
        availability_zones=azs, vpc_id=vpc_id, subnet_ids=data_subnets,
        clients=[cluster.node_security_group_id], storage_key_arn=keys.arn(KeyClass.DATABASES),
        secrets_key_arn=keys.arn(KeyClass.SECRETS),
        scope=AwsScope(account_id=account, region="us-east-1"), backup_retention_days=35, ...),
        opts=in_region)
    db.grant_connect(tenants.identities["order"], "order")

What stays out of `pulumi up` (the operations layer runs it, see docs/data.md):
- engine upgrades: the global database upgrades secondaries first, then the primary, which a
  declarative diff cannot order, so `engineVersion` is ignored once the cluster exists (the pin in
  stacks/versions.py is what a new cluster starts on and what operations upgrades to);
- failover and switchover: the service then rewrites `globalClusterIdentifier` /
  `replicationSourceIdentifier` of the members, which `ignore_changes` keeps out of the diff so the
  next `up` neither detaches nor promotes a cluster.

The master password: Aurora cannot manage it in Secrets Manager for a cluster in a global database
(Aurora User Guide, "Limitations for Secrets Manager integration"), so a global primary gets a
Secrets Manager-generated password, written once into the cluster and into a protected secret under
the secrets key through write-only arguments, with the connection fields AWS's rotation function
reads; `DatabaseSecretRotation` then rotates it on a schedule (components/data/secret_rotation.py).
The version Pulumi wrote carries its own staging label (`TRACKED_STAGE`): after two rotations it
would otherwise have no label left, Secrets Manager deletes such deprecated versions, the provider
would read it as gone, and the next `up` would write a fresh password over the rotated one.
A stand-alone cluster uses the password RDS manages and rotates itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.common.iam import statement
from components.common.naming import Names
from components.common.scope import AwsScope
from components.data.access import (
    database_client_rules,
    grant,
    secret_read_statements,
    service_role,
    store_security_group,
)
from components.data.secret_rotation import DatabaseSecretRotation, DatabaseSecretRotationArgs
from components.kubernetes.workload_identity import WorkloadIdentity

PORT = 5432
ENGINE = "aurora-postgresql"
MASTER_USERNAME = "meridian_admin"
DATABASE_NAME = "meridian"
LOG_EXPORTS = ("postgresql",)
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
ENHANCED_MONITORING_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole"

SLOW_QUERY_MS = 100
"""Statements slower than this are logged (architecture: "slow query log >100ms"); Aurora
PostgreSQL's `log_min_duration_statement` takes milliseconds (PostgreSQL docs, "Error Reporting
and Logging")."""
LOGICAL_REPLICATION: tuple[aws.rds.ClusterParameterGroupParameterArgsDict, ...] = (
    {"name": "rds.logical_replication", "value": "1", "apply_method": "pending-reboot"},
)
"""Logical decoding on (wal_level `logical`), so the CDC connector (components/streaming/cdc.py)
reads the writer's WAL through a pgoutput replication slot. `rds.logical_replication` is a static
cluster parameter (default 0; Aurora User Guide, "Setting up logical replication for your Aurora
PostgreSQL DB cluster"): it takes effect at the writer's next reboot, hence `pending-reboot`. Every
member of the global database carries it, so a promoted secondary can serve CDC after a failover."""
SECONDARY_IGNORED = ("globalClusterIdentifier", "replicationSourceIdentifier", "engineVersion")
"""Fields the service rewrites on a member of a global database (failover, switchover, upgrades
run by operations)."""
PRIMARY_IGNORED = (*SECONDARY_IGNORED, "masterPasswordWo")
"""A primary becomes a secondary after a switchover; its write-only password is set once."""
SECRET_VERSION_IGNORED = ("secretStringWo", "versionStages")
"""Written once; rotation then moves the AWSCURRENT label to the versions it creates."""
TRACKED_STAGE = "MERIDIAN_INITIAL"
"""A staging label of the version Pulumi wrote: a labelled version is never deleted."""
SECRET_ENGINE = "postgres"
"""The `engine` the PostgreSQL rotation function expects in the secret."""
GLOBAL_IGNORED = ("engineVersion",)
"""Operations upgrades the global database (secondaries first); Pulumi must not."""


@dataclass(frozen=True)
class MasterRotation:
    """How the global primary's master secret is rotated (`DatabaseSecretRotation`)."""

    application: str
    semantic_version: str
    days: int
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    alert_topic_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class AuroraArgs:
    names: Names
    role: Literal["primary", "secondary", "standalone"]
    global_identifier: pulumi.Input[str] | None
    """Primary: the identifier to create the global cluster with; secondary: the one to join
    (read from the primary region's stack); standalone: None."""
    engine_version: str
    parameter_family: str
    instance_class: str
    instances: int
    """Writer plus readers (primary or standalone); readers only (secondary; 0 = headless)."""
    availability_zones: Sequence[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    clients: Sequence[pulumi.Input[str]]
    """Security groups allowed to connect (the EKS node security group)."""
    endpoint_security_group_id: pulumi.Input[str]
    """The VPC's interface endpoints (RDS Proxy reads its secret through Secrets Manager's)."""
    storage_key_arn: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]
    scope: AwsScope
    """The account, partition and region of this member of the global database."""
    backup_retention_days: int
    monitoring_interval_seconds: int
    performance_insights_retention_days: int
    proxy: bool
    master_rotation: MasterRotation | None = None
    """Required for a global primary (whose master secret Meridian owns); unused otherwise."""


class AuroraGlobalPostgres(pulumi.ComponentResource):
    """One region's Aurora PostgreSQL cluster of the global database; see the module docstring."""

    global_cluster: aws.rds.GlobalCluster | None
    cluster: aws.rds.Cluster
    instances: list[aws.rds.ClusterInstance]
    proxy: aws.rds.Proxy | None
    rotation: DatabaseSecretRotation | None
    secret_arn: pulumi.Output[str] | None
    security_group: aws.ec2.SecurityGroup

    def __init__(
        self, name: str, args: AuroraArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:data:AuroraGlobalPostgres", name, None, opts)
        self._name = name
        self.args = args
        primary = args.role != "secondary"
        if args.role != "standalone" and args.global_identifier is None:
            raise ValueError("a member of a global database needs global_identifier")
        if args.role == "primary" and args.master_rotation is None:
            raise ValueError("a global primary's master secret needs master_rotation")
        if primary and args.instances < 2:
            raise ValueError("a writer cluster needs at least two instances (writer + reader)")
        subnets = self._network(name, args)
        parameters = self._parameters(name, args)
        monitoring = self._monitoring_role(name, args)
        self.global_cluster = None
        self.secret_arn = None
        common = self._cluster_settings(args, subnets, parameters)
        initial: aws.secretsmanager.SecretVersion | None = None
        if args.role == "primary":
            initial = self._global_primary(name, args, common)
        elif args.role == "standalone":
            self.cluster = self._standalone(name, args, common)
        else:
            self.cluster = self._secondary(name, args, common)
        self.instances = self._instances(name, args, subnets, monitoring)
        self.rotation = self._rotation(name, args, initial)
        self.proxy = None
        self.proxy_role: aws.iam.Role | None = None
        self.proxy_reader: aws.rds.ProxyEndpoint | None = None
        if args.proxy and (self.secret_arn is not None or args.instances > 0):
            self.proxy = self._proxy(name, self.secret_arn, subnets)
        self.summary = pulumi.Output.all(
            global_id=args.global_identifier or "",
            cluster_id=self.cluster.cluster_identifier,
            cluster_arn=self.cluster.arn,
        ).apply(
            lambda o: {
                "globalClusterIdentifier": o["global_id"] or None,
                "clusterIdentifier": o["cluster_id"],
                "clusterArn": o["cluster_arn"],
                "role": "secondary" if args.role == "secondary" else "primary",
            }
        )
        self.register_outputs(
            {
                "clusterArn": self.cluster.arn,
                "endpoint": self.cluster.endpoint,
                "readerEndpoint": self.cluster.reader_endpoint,
            }
        )

    def _network(self, name: str, args: AuroraArgs) -> aws.rds.SubnetGroup:
        """The cluster's security group (its clients only) and its subnet group."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        self.security_group = store_security_group(
            f"{name}-sg",
            names,
            args.vpc_id,
            port=PORT,
            clients=args.clients,
            what="aurora",
            opts=child,
        )
        return aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=names.physical("aurora"),
            description="Aurora: the data subnets of every AZ",
            subnet_ids=args.subnet_ids,
            opts=child,
        )

    def _parameters(self, name: str, args: AuroraArgs) -> aws.rds.ClusterParameterGroup:
        """TLS only, DDL audit, slow queries, connections logged."""
        return aws.rds.ClusterParameterGroup(
            f"{name}-parameters",
            name=args.names.physical("aurora", args.parameter_family),
            family=args.parameter_family,
            description="Meridian Aurora PostgreSQL: TLS only, IAM auth audit, slow queries",
            parameters=[
                {"name": "rds.force_ssl", "value": "1", "apply_method": "immediate"},
                {"name": "ssl_min_protocol_version", "value": "TLSv1.2"},
                # Architecture section 07 / 09: "slow query log >100ms" (milliseconds here).
                {"name": "log_min_duration_statement", "value": str(SLOW_QUERY_MS)},
                # Schema changes are audited ("who did what, when"); `mod`/`all` would write
                # every statement's parameters (customer data) into the logs.
                {"name": "log_statement", "value": "ddl"},
                {"name": "log_connections", "value": "1"},
                *LOGICAL_REPLICATION,
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _monitoring_role(self, name: str, args: AuroraArgs) -> aws.iam.Role:
        """Enhanced Monitoring's role."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        monitoring = service_role(
            f"{name}-monitoring", names, "monitoring.rds.amazonaws.com", "aurora-monitoring", child
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=monitoring.name,
            policy_arn=f"arn:{args.scope.partition}:iam::aws:policy/{ENHANCED_MONITORING_POLICY}",
            opts=child,
        )
        return monitoring

    def _cluster_settings(
        self,
        args: AuroraArgs,
        subnets: aws.rds.SubnetGroup,
        parameters: aws.rds.ClusterParameterGroup,
    ) -> dict[str, Any]:
        """What every role's cluster is given."""
        names = args.names
        return {
            "cluster_identifier": names.physical("aurora"),
            "engine": ENGINE,
            "engine_mode": "provisioned",
            "engine_version": args.engine_version,
            "db_subnet_group_name": subnets.name,
            "vpc_security_group_ids": [self.security_group.id],
            "db_cluster_parameter_group_name": parameters.name,
            "storage_encrypted": True,
            "kms_key_id": args.storage_key_arn,
            "iam_database_authentication_enabled": True,
            "deletion_protection": True,
            "backup_retention_period": args.backup_retention_days,
            "preferred_backup_window": "03:00-04:00",
            "preferred_maintenance_window": "sun:05:00-sun:06:00",
            "copy_tags_to_snapshot": True,
            "skip_final_snapshot": False,
            "final_snapshot_identifier": names.physical("aurora", "final"),
            "enabled_cloudwatch_logs_exports": list(LOG_EXPORTS),
            "allow_major_version_upgrade": False,
            "apply_immediately": False,
            "port": PORT,
            "network_type": "IPV4",
        }

    def _global_primary(
        self, name: str, args: AuroraArgs, common: dict[str, Any]
    ) -> aws.secretsmanager.SecretVersion:
        """The global cluster, the master secret, the primary cluster in it and the secret's
        first value (returned: the rotation waits for it)."""
        names = args.names
        stateful = pulumi.ResourceOptions(parent=self, protect=True)
        self.global_cluster = aws.rds.GlobalCluster(
            f"{name}-global",
            global_cluster_identifier=args.global_identifier,
            engine=ENGINE,
            engine_version=args.engine_version,
            storage_encrypted=True,
            deletion_protection=True,
            database_name=DATABASE_NAME,
            opts=stateful.merge(pulumi.ResourceOptions(ignore_changes=list(GLOBAL_IGNORED))),
        )
        password = aws.secretsmanager.get_random_password_output(
            password_length=40,
            exclude_punctuation=True,
            include_space=False,
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).random_password
        secret = aws.secretsmanager.Secret(
            f"{name}-master",
            name=f"meridian/{names.environment}/{args.scope.region}/aurora/master",
            description="Aurora global database master user (rotated on a schedule)",
            kms_key_id=args.secrets_key_arn,
            recovery_window_in_days=30,
            opts=stateful,
        )
        self.secret_arn = secret.arn
        self.cluster = aws.rds.Cluster(
            f"{name}-cluster",
            **common,
            global_cluster_identifier=self.global_cluster.id,
            database_name=DATABASE_NAME,
            master_username=MASTER_USERNAME,
            master_password_wo=pulumi.Output.secret(password),
            master_password_wo_version=1,
            opts=stateful.merge(pulumi.ResourceOptions(ignore_changes=list(PRIMARY_IGNORED))),
        )
        initial = aws.secretsmanager.SecretVersion(
            f"{name}-master-value",
            secret_id=secret.id,
            secret_string_wo=pulumi.Output.secret(
                pulumi.Output.all(password, self.cluster.endpoint, self.cluster.id)
            ).apply(
                lambda v: json.dumps(
                    {
                        "engine": SECRET_ENGINE,
                        "host": v[1],
                        "port": PORT,
                        "dbname": DATABASE_NAME,
                        "username": MASTER_USERNAME,
                        "password": v[0],
                        "dbClusterIdentifier": v[2],
                    }
                )
            ),
            secret_string_wo_version=1,
            version_stages=["AWSCURRENT", TRACKED_STAGE],
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=list(SECRET_VERSION_IGNORED)),
        )
        return initial

    def _standalone(self, name: str, args: AuroraArgs, common: dict[str, Any]) -> aws.rds.Cluster:
        """A cluster of no global database; RDS manages its master secret."""
        stateful = pulumi.ResourceOptions(parent=self, protect=True)
        cluster = aws.rds.Cluster(
            f"{name}-cluster",
            **common,
            database_name=DATABASE_NAME,
            master_username=MASTER_USERNAME,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.secrets_key_arn,
            opts=stateful.merge(pulumi.ResourceOptions(ignore_changes=["engineVersion"])),
        )
        self.secret_arn = cluster.master_user_secrets.apply(
            lambda secrets: str(secrets[0].secret_arn) if secrets else ""
        )
        return cluster

    def _secondary(self, name: str, args: AuroraArgs, common: dict[str, Any]) -> aws.rds.Cluster:
        """A secondary cluster of the global database."""
        stateful = pulumi.ResourceOptions(parent=self, protect=True)
        return aws.rds.Cluster(
            f"{name}-cluster",
            **common,
            global_cluster_identifier=args.global_identifier,
            # A secondary's readers forward writes to the primary (Aurora User Guide, "Using
            # write forwarding in an Aurora PostgreSQL global database": every minor version
            # of 16 and later); a headless secondary has no instance to accept them.
            enable_global_write_forwarding=args.instances > 0,
            opts=stateful.merge(pulumi.ResourceOptions(ignore_changes=list(SECONDARY_IGNORED))),
        )

    def _instances(
        self,
        name: str,
        args: AuroraArgs,
        subnets: aws.rds.SubnetGroup,
        monitoring: aws.iam.Role,
    ) -> list[aws.rds.ClusterInstance]:
        """The cluster's instances, spread over the AZs (the first two in promotion tier 0)."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        instances: list[aws.rds.ClusterInstance] = []
        for i in range(args.instances):
            zone = args.availability_zones[i % len(args.availability_zones)]
            instances.append(
                aws.rds.ClusterInstance(
                    f"{name}-{i}",
                    identifier=names.physical("aurora", str(i)),
                    cluster_identifier=self.cluster.id,
                    engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                    instance_class=args.instance_class,
                    availability_zone=zone,
                    db_subnet_group_name=subnets.name,
                    publicly_accessible=False,
                    ca_cert_identifier=CA_CERTIFICATE,
                    # Minor versions carry the engine's security fixes; the service applies
                    # them in the maintenance window, and engineVersion is in the cluster's
                    # ignore_changes so Pulumi does not undo them.
                    auto_minor_version_upgrade=True,
                    promotion_tier=0 if i < 2 else 1,
                    performance_insights_enabled=True,
                    performance_insights_kms_key_id=args.storage_key_arn,
                    performance_insights_retention_period=args.performance_insights_retention_days,
                    monitoring_interval=args.monitoring_interval_seconds,
                    monitoring_role_arn=monitoring.arn,
                    copy_tags_to_snapshot=True,
                    apply_immediately=False,
                    opts=child,
                )
            )
        return instances

    def _rotation(
        self,
        name: str,
        args: AuroraArgs,
        initial: aws.secretsmanager.SecretVersion | None,
    ) -> DatabaseSecretRotation | None:
        """The master secret's rotation, where Meridian owns that secret (a global primary)."""
        if args.master_rotation is None or initial is None or self.secret_arn is None:
            return None
        return DatabaseSecretRotation(
            f"{name}-rotation",
            DatabaseSecretRotationArgs(
                names=args.names,
                what="aurora-rotation",
                application=args.master_rotation.application,
                semantic_version=args.master_rotation.semantic_version,
                secret_arn=self.secret_arn,
                secret_key_arn=args.secrets_key_arn,
                vpc_id=args.vpc_id,
                subnet_ids=args.subnet_ids,
                database_security_group_id=self.security_group.id,
                port=PORT,
                endpoint_security_group_id=args.endpoint_security_group_id,
                logs_key_arn=args.master_rotation.logs_key_arn,
                log_retention_days=args.master_rotation.log_retention_days,
                rotation_days=args.master_rotation.days,
                region=args.scope.region,
                partition=args.scope.partition,
                alert_topic_arn=args.master_rotation.alert_topic_arn,
                ready=[initial, *self.instances],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _proxy(
        self, name: str, secret_arn: pulumi.Input[str] | None, subnets: aws.rds.SubnetGroup
    ) -> aws.rds.Proxy:
        """RDS Proxy: TLS required, IAM auth required for clients. In front of the writer (primary
        or stand-alone cluster) its role reads the master secret through
        `secret_read_statements`. A secondary of the global database has no secret in its region:
        its proxy authenticates end to end with IAM (`default_auth_scheme = IAM_AUTH`; its role
        gets `rds-db:connect` per database user in `grant_connect`), and serves reads through a
        READ_ONLY endpoint, since a secondary cluster has no writer for the default read/write
        endpoint (Aurora User Guide, "Using RDS Proxy with Aurora global databases")."""
        args = self.args
        child = pulumi.ResourceOptions(parent=self)
        group = store_security_group(
            f"{name}-proxy-sg",
            args.names,
            args.vpc_id,
            port=PORT,
            clients=args.clients,
            what="aurora-proxy",
            opts=child,
        )
        database_client_rules(
            f"{name}-proxy",
            client_group_id=group.id,
            database_group_id=self.security_group.id,
            port=PORT,
            endpoint_group_id=args.endpoint_security_group_id,
            admitted_as=f"{name}-db-from-proxy",
            purpose="RDS Proxy: pooled connections to the cluster",
            opts=child,
        )
        role = service_role(
            f"{name}-proxy-role", args.names, "rds.amazonaws.com", "aurora-proxy", child
        )
        if secret_arn is None:
            return self._iam_proxy(name, role, group.id)
        proxy_secret = aws.iam.RolePolicy(
            f"{name}-proxy-secret",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": secret_read_statements(
                        secret_arn, args.secrets_key_arn, args.scope.region
                    ),
                }
            ),
            opts=child,
        )
        proxy = aws.rds.Proxy(
            f"{name}-proxy",
            name=args.names.physical("aurora-proxy"),
            engine_family="POSTGRESQL",
            role_arn=role.arn,
            vpc_subnet_ids=args.subnet_ids,
            vpc_security_group_ids=[group.id],
            require_tls=True,
            idle_client_timeout=1800,
            debug_logging=False,
            auths=[
                {
                    "auth_scheme": "SECRETS",
                    "secret_arn": secret_arn,
                    "iam_auth": "REQUIRED",
                    "client_password_auth_type": "POSTGRES_SCRAM_SHA_256",
                    "description": "master secret; clients authenticate with IAM",
                }
            ],
            # RDS Proxy reads the secret with its role when it is created
            opts=pulumi.ResourceOptions(parent=self, depends_on=[proxy_secret]),
        )
        self._proxy_pool(name, proxy)
        return proxy

    def _proxy_pool(self, name: str, proxy: aws.rds.Proxy) -> None:
        """The proxy's pool (90 % of the cluster's connections at most, half of them kept idle)
        and the cluster registered as its target once the instances exist."""
        target_group = aws.rds.ProxyDefaultTargetGroup(
            f"{name}-proxy-pool",
            db_proxy_name=proxy.name,
            connection_pool_config={
                "max_connections_percent": 90,
                "max_idle_connections_percent": 50,
                "connection_borrow_timeout": 120,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.rds.ProxyTarget(
            f"{name}-proxy-target",
            db_proxy_name=proxy.name,
            target_group_name=target_group.name,
            db_cluster_identifier=self.cluster.cluster_identifier,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.instances)),
        )

    def _iam_proxy(
        self, name: str, role: aws.iam.Role, group_id: pulumi.Input[str]
    ) -> aws.rds.Proxy:
        """The secondary's proxy: end-to-end IAM authentication, a READ_ONLY endpoint over the
        readers, the cluster registered as its target."""
        args = self.args
        child = pulumi.ResourceOptions(parent=self)
        self.proxy_role = role
        proxy = aws.rds.Proxy(
            f"{name}-proxy",
            name=args.names.physical("aurora-proxy"),
            engine_family="POSTGRESQL",
            role_arn=role.arn,
            vpc_subnet_ids=args.subnet_ids,
            vpc_security_group_ids=[group_id],
            require_tls=True,
            idle_client_timeout=1800,
            debug_logging=False,
            default_auth_scheme="IAM_AUTH",
            opts=child,
        )
        self._proxy_pool(name, proxy)
        self.proxy_reader = aws.rds.ProxyEndpoint(
            f"{name}-proxy-reader",
            db_proxy_name=proxy.name,
            db_proxy_endpoint_name=args.names.physical("aurora-proxy-ro"),
            vpc_subnet_ids=args.subnet_ids,
            vpc_security_group_ids=[group_id],
            target_role="READ_ONLY",
            opts=child,
        )
        return proxy

    def db_user_arns(self, db_user: str) -> list[pulumi.Output[str]]:
        """The `rds-db:connect` resources of one database user: the cluster and the proxy."""
        args = self.args
        base = args.scope.arn("rds-db", "dbuser")
        arns = [self.cluster.cluster_resource_id.apply(lambda rid: f"{base}:{rid}/{db_user}")]
        if self.proxy is not None:
            arns.append(
                self.proxy.arn.apply(lambda arn: f"{base}:{arn.rsplit(':', 1)[-1]}/{db_user}")
            )
        return arns

    def grant_connect(self, identity: WorkloadIdentity, db_user: str) -> aws.iam.RolePolicy:
        """Let one tenant role connect as `db_user` with IAM authentication (token over TLS); a
        proxy authenticating end to end with IAM gets the same user on the cluster."""
        if self.proxy_role is not None:
            base = self.args.scope.arn("rds-db", "dbuser")
            aws.iam.RolePolicy(
                f"{self._name}-proxy-connect-{db_user}",
                role=self.proxy_role.id,
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            statement(
                                ["rds-db:connect"],
                                [
                                    self.cluster.cluster_resource_id.apply(
                                        lambda rid: f"{base}:{rid}/{db_user}"
                                    )
                                ],
                                sid="ConnectToTheClusterAsTheClient",
                            )
                        ],
                    }
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return grant(
            identity,
            "aurora-connect",
            [statement(["rds-db:connect"], self.db_user_arns(db_user), sid="ConnectAsItsUser")],
        )
