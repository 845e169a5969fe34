"""CassandraKeyspace: Meridian's Cassandra keyspace on Amazon Keyspaces, replicated to every region
that runs Keyspaces (a multi-region keyspace), with the architecture's tables.

The keyspace is created once, by the primary region's stack (`owner=True`), with the
MULTI_REGION replication strategy over the Keyspaces regions; Keyspaces creates the replicas and
replicates the tables itself. Every other Keyspaces region's stack declares the same component
with `owner=False`: it creates nothing and gives its tenants access to the local replica
(`grant_read_write`), whose ARN names the local region.

Encryption at rest: a single-region keyspace's tables use the region's databases key; the tables
of a multi-region keyspace use the AWS-owned key, the only option Keyspaces offers for
multi-Region tables (Keyspaces Developer Guide, "Create a multi-Region table with default
settings": "Encryption key management - Only the AWS owned key option is supported"; and
"multi-Region replication usage notes"). TTL is set at creation: a multi-Region table cannot
turn TTL on later.

Example::

    ks = CassandraKeyspace("cassandra", CassandraKeyspaceArgs(
        keyspace="meridian", regions=["us-east-1", "eu-west-1"], owner=True,
        tables=tables, kms_key_arn=keys.arn(KeyClass.DATABASES),
        scope=AwsScope(account_id=account, region="us-east-1")), opts=in_region)
    ks.grant_read_write(tenants.identities["messaging"])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.iam import statement
from components.common.scope import AwsScope
from components.data.access import grant
from components.data.tables import CassandraTable
from components.kubernetes.workload_identity import WorkloadIdentity

READ_ACTIONS = ("cassandra:Select",)
WRITE_ACTIONS = ("cassandra:Modify",)


@dataclass(frozen=True)
class CassandraKeyspaceArgs:
    keyspace: str
    regions: Sequence[str]
    """Every region of the keyspace (the owner's first); one region = SINGLE_REGION."""
    owner: bool
    tables: Sequence[CassandraTable]
    kms_key_arn: pulumi.Input[str]
    scope: AwsScope
    """The account, partition and region this stack's side of the keyspace lives in."""


class CassandraKeyspace(pulumi.ComponentResource):
    """The keyspace and its tables (owner), or access to the local replica; see the module doc."""

    keyspace: aws.keyspaces.Keyspace | None
    tables: dict[str, aws.keyspaces.Table]

    def __init__(
        self, name: str, args: CassandraKeyspaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:data:CassandraKeyspace", name, None, opts)
        self.args = args
        self.keyspace = None
        self.tables = {}
        if args.owner:
            if args.scope.region not in args.regions:
                raise ValueError("the owner's region must be one of the keyspace's regions")
            multi = len(args.regions) > 1
            stateful = pulumi.ResourceOptions(parent=self, protect=True)
            self.keyspace = aws.keyspaces.Keyspace(
                f"{name}-keyspace",
                name=args.keyspace,
                replication_specification=(
                    {"replication_strategy": "MULTI_REGION", "region_lists": list(args.regions)}
                    if multi
                    else {"replication_strategy": "SINGLE_REGION"}
                ),
                opts=stateful,
            )
            for table in args.tables:
                self.tables[table.name] = aws.keyspaces.Table(
                    f"{name}-{table.name}",
                    keyspace_name=self.keyspace.name,
                    table_name=table.name,
                    schema_definition={
                        "columns": [{"name": n, "type": t} for n, t in table.columns],
                        "partition_keys": [{"name": k} for k in table.partition_key],
                        "clustering_keys": [
                            {"name": c, "order_by": o} for c, o in table.clustering
                        ],
                    },
                    capacity_specification={"throughput_mode": "PAY_PER_REQUEST"},
                    encryption_specification=(
                        {"type": "AWS_OWNED_KMS_KEY"}
                        if multi
                        else {
                            "type": "CUSTOMER_MANAGED_KMS_KEY",
                            "kms_key_identifier": args.kms_key_arn,
                        }
                    ),
                    point_in_time_recovery={"status": "ENABLED"},
                    ttl={"status": "ENABLED"},
                    default_time_to_live=table.ttl_seconds,
                    comment={"message": table.comment},
                    client_side_timestamps={"status": "ENABLED"} if multi else None,
                    opts=stateful,
                )
        self.register_outputs({"keyspace": args.keyspace, "regions": list(args.regions)})

    def table_arns(self) -> list[str]:
        """The local region's ARNs of the keyspace and its tables."""
        a = self.args
        base = a.scope.arn("cassandra", f"/keyspace/{a.keyspace}")
        return [f"{base}/", *(f"{base}/table/{t.name}" for t in a.tables)]

    def grant_read_write(
        self, identity: WorkloadIdentity, tables: Sequence[str] | None = None
    ) -> aws.iam.RolePolicy:
        """Select and modify rows of `tables` (default: every table of the keyspace), no schema
        changes."""
        arns = self.table_arns()
        if tables is not None:
            unknown = set(tables) - {t.name for t in self.args.tables}
            if unknown:
                raise ValueError(f"not tables of keyspace {self.args.keyspace}: {sorted(unknown)}")
            arns = [arns[0], *(a for a in arns[1:] if a.rsplit("/", 1)[-1] in tables)]
        return grant(
            identity,
            "cassandra-read-write",
            [statement([*READ_ACTIONS, *WRITE_ACTIONS], arns, sid="ReadWriteTheTables")],
        )
