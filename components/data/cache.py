"""Cache: one region's ElastiCache (Valkey or Redis OSS) replication group in cluster mode, member
of a global datastore where configured.

- Cluster mode, `shards` node groups with `replicas` each, Multi-AZ with automatic failover;
- TLS required in transit, encryption at rest with the region's databases key;
- RBAC: a user group whose `default` user is disabled, and one IAM-authenticated user per tenant
  service that config names, allowed only its own key prefix (`~<service>:*`);
- daily snapshots kept `snapshot_retention_days`, a final snapshot on deletion, `protect`.

Global datastore: the primary region's stack creates its replication group and the global
replication group over it; a secondary region's stack creates a replication group that joins the
global datastore by the id the primary's stack exports (engine, version, node type and shard count
then come from the global datastore and must not be set). Engine upgrades go secondaries first
and are run by operations: `engineVersion` is ignored once created.

Example::

    cache = Cache("cache", CacheArgs(names=names, role="primary", engine="valkey",
                  engine_version="8.2", node_type="cache.r7g.xlarge", shards=3, replicas=2,
                  vpc_id=vpc, subnet_ids=data_subnets, clients=[node_sg],
                  kms_key_arn=keys.arn(KeyClass.DATABASES), users=["order", "user"],
                  snapshot_retention_days=7, region="us-east-1"),
                  opts=in_region)
    cache.grant_connect(tenants.identities["order"], "order")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.common.iam import statement
from components.common.naming import Names
from components.data.access import grant, store_security_group
from components.kubernetes.workload_identity import WorkloadIdentity

PORT = 6379
ID_MAX = 40
"""ElastiCache replication group and user ids: at most 40 characters."""


@dataclass(frozen=True)
class CacheArgs:
    names: Names
    role: Literal["primary", "secondary", "regional"]
    engine: Literal["valkey", "redis"]
    engine_version: str
    node_type: str
    shards: int
    replicas: int
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    clients: Sequence[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    users: Sequence[str]
    """Tenant services that get a cache user (IAM authentication, own key prefix)."""
    snapshot_retention_days: int
    region: str
    global_datastore_id: pulumi.Input[str] | None = None
    """Secondary: the global datastore to join (read from the primary region's stack)."""
    global_suffix: str = "cache"
    """The global datastore's id is `<AWS prefix>-meridian-<env>-<suffix>`: unique per account."""


class Cache(pulumi.ComponentResource):
    """One region's cache; see the module docstring."""

    group: aws.elasticache.ReplicationGroup
    global_datastore: aws.elasticache.GlobalReplicationGroup | None
    users: dict[str, aws.elasticache.User]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("meridian:data:Cache", name, None, opts)
        self.args = args
        if args.role == "secondary" and args.global_datastore_id is None:
            raise ValueError("a secondary cache needs global_datastore_id")
        if args.replicas < 1:
            raise ValueError("automatic failover needs at least one replica per shard")
        sg, subnets = self._network(name, args)
        user_group = self._users(name, args)
        self.group = self._group(name, args, sg, subnets, user_group)
        self.global_datastore = self._global_datastore(name, args)
        self.register_outputs(
            {
                "configurationEndpoint": self.group.configuration_endpoint_address,
                "arn": self.group.arn,
            }
        )

    def _network(
        self, name: str, args: CacheArgs
    ) -> tuple[aws.ec2.SecurityGroup, aws.elasticache.SubnetGroup]:
        """The cache's security group (its clients only) and its subnet group."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        sg = store_security_group(
            f"{name}-sg",
            names,
            args.vpc_id,
            port=PORT,
            clients=args.clients,
            what="cache",
            opts=child,
        )
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=names.physical("cache"),
            description="cache: the data subnets of every AZ",
            subnet_ids=args.subnet_ids,
            opts=child,
        )
        return sg, subnets

    def _users(self, name: str, args: CacheArgs) -> aws.elasticache.UserGroup:
        """The default user (off), one IAM-authenticated user per service, and their group."""
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        default_user = aws.elasticache.User(
            f"{name}-default-user",
            user_id=names.physical("cache", "default", max_length=ID_MAX),
            user_name="default",
            engine=args.engine,
            access_string="off -@all",
            authentication_mode={"type": "no-password-required"},
            opts=child,
        )
        self.users = {}
        for service in args.users:
            user_id = names.physical("cache", service, max_length=ID_MAX)
            self.users[service] = aws.elasticache.User(
                f"{name}-user-{service}",
                user_id=user_id,
                user_name=user_id,  # IAM authentication: the user name is the user id
                engine=args.engine,
                access_string=f"on ~{service}:* &{service}:* +@all -@dangerous",
                authentication_mode={"type": "iam"},
                opts=child,
            )
        return aws.elasticache.UserGroup(
            f"{name}-users",
            user_group_id=names.physical("cache", max_length=ID_MAX),
            engine=args.engine,
            user_ids=[default_user.user_id, *(u.user_id for u in self.users.values())],
            opts=child,
        )

    def _group(
        self,
        name: str,
        args: CacheArgs,
        sg: aws.ec2.SecurityGroup,
        subnets: aws.elasticache.SubnetGroup,
        user_group: aws.elasticache.UserGroup,
    ) -> aws.elasticache.ReplicationGroup:
        """The replication group (protected): the global datastore's primary, its secondary, or
        a regional group."""
        names = args.names
        stateful = pulumi.ResourceOptions(parent=self, protect=True)
        common = {
            "replication_group_id": names.physical("cache", max_length=ID_MAX),
            "description": f"Meridian cache ({names.environment} {args.region})",
            "port": PORT,
            "subnet_group_name": subnets.name,
            "security_group_ids": [sg.id],
            "replicas_per_node_group": args.replicas,
            "automatic_failover_enabled": True,
            "multi_az_enabled": True,
            "kms_key_id": args.kms_key_arn,
            "user_group_ids": [user_group.user_group_id],
            "snapshot_retention_limit": args.snapshot_retention_days,
            "snapshot_window": "02:00-03:00",
            "maintenance_window": "sun:05:00-sun:06:00",
            "final_snapshot_identifier": names.physical("cache", "final"),
            "auto_minor_version_upgrade": True,
            "apply_immediately": False,
        }
        if args.role == "secondary":
            # version, node type and shards come from the global datastore (and must not be set);
            # engine and encryption are stated as they are there, so the group reads as encrypted
            return aws.elasticache.ReplicationGroup(
                f"{name}-group",
                **common,
                engine=args.engine,
                at_rest_encryption_enabled=True,
                transit_encryption_enabled=True,
                global_replication_group_id=args.global_datastore_id,
                opts=stateful.merge(
                    pulumi.ResourceOptions(
                        ignore_changes=["engineVersion", "numNodeGroups", "nodeType"]
                    )
                ),
            )
        return aws.elasticache.ReplicationGroup(
            f"{name}-group",
            **common,
            engine=args.engine,
            engine_version=args.engine_version,
            node_type=args.node_type,
            cluster_mode="enabled",
            num_node_groups=args.shards,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            opts=stateful.merge(pulumi.ResourceOptions(ignore_changes=["engineVersion"])),
        )

    def _global_datastore(
        self, name: str, args: CacheArgs
    ) -> aws.elasticache.GlobalReplicationGroup | None:
        """The global datastore, owned by the primary region's cache."""
        if args.role != "primary":
            return None
        names = args.names
        stateful = pulumi.ResourceOptions(parent=self, protect=True)
        return aws.elasticache.GlobalReplicationGroup(
            f"{name}-global",
            global_replication_group_id_suffix=f"meridian-{names.environment}-{args.global_suffix}",
            primary_replication_group_id=self.group.id,
            global_replication_group_description=(
                f"Meridian {names.environment}: cache replicated from {args.region}"
            ),
            opts=stateful.merge(pulumi.ResourceOptions(ignore_changes=["engineVersion"])),
        )

    def grant_connect(self, identity: WorkloadIdentity, service: str) -> aws.iam.RolePolicy:
        """Let one tenant role connect (IAM authentication) as its own cache user."""
        if service not in self.users:
            raise KeyError(f"the cache has no user for {service}; add it to CacheArgs.users")
        return grant(
            identity,
            "cache-connect",
            [
                statement(
                    ["elasticache:Connect"],
                    [self.group.arn, self.users[service].arn],
                    sid="ConnectAsItsUser",
                )
            ],
        )
