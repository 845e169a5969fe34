"""GlobalTables: DynamoDB global tables (version 2019.11.21) for sessions and idempotency keys.

The primary region's stack owns each table (`owner=True`): on-demand, streams on (global tables
replicate through them), TTL, PITR, deletion protection, encrypted with the primary's databases
key, `protect`. Every other region's stack adds its own replica with `aws.dynamodb.TableReplica`,
reading the table's ARN from the primary's stack and encrypting the replica with ITS OWN region's
databases key: a replica's key must live in the replica's region, and the primary's stack deploys
before those keys exist, so each region brings its own. The owner's table therefore ignores
`replicas` (the replicas are other stacks' resources).

Example::

    tables = GlobalTables("dynamodb", GlobalTablesArgs(names=names, tables=specs, owner=True,
                          kms_key_arn=keys.arn(KeyClass.DATABASES),
                          scope=AwsScope(account_id=account, region="us-east-1")),
                          opts=in_region)
    tables.grant_read_write(tenants.identities["payment"], "idempotency-keys")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.common.iam import statement
from components.common.naming import Names
from components.common.scope import AwsScope
from components.data.access import grant
from components.data.tables import KeyValueTable
from components.kubernetes.workload_identity import WorkloadIdentity

READ_WRITE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
"""Item reads and writes; no Scan (a tenant reads its keys), no table administration."""


@dataclass(frozen=True)
class GlobalTablesArgs:
    names: Names
    tables: Sequence[KeyValueTable]
    owner: bool
    kms_key_arn: pulumi.Input[str]
    scope: AwsScope
    """The account, partition and region of this stack's table or replica."""
    global_table_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Replica regions: table name -> the owner's table ARN (from the primary's stack)."""


class GlobalTables(pulumi.ComponentResource):
    """The tables (owner) or this region's replicas of them; see the module docstring."""

    tables: dict[str, aws.dynamodb.Table]
    replicas: dict[str, aws.dynamodb.TableReplica]

    def __init__(
        self, name: str, args: GlobalTablesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:data:GlobalTables", name, None, opts)
        self.args = args
        self.tables = {}
        self.replicas = {}
        stateful = pulumi.ResourceOptions(parent=self, protect=True)
        for spec in args.tables:
            physical = self.table_name(spec)
            if args.owner:
                attributes: list[aws.dynamodb.TableAttributeArgsDict] = [
                    {"name": spec.hash_key[0], "type": spec.hash_key[1]}
                ]
                if spec.range_key:
                    attributes.append({"name": spec.range_key[0], "type": spec.range_key[1]})
                self.tables[spec.name] = aws.dynamodb.Table(
                    f"{name}-{spec.name}",
                    name=physical,
                    billing_mode="PAY_PER_REQUEST",
                    hash_key=spec.hash_key[0],
                    range_key=spec.range_key[0] if spec.range_key else None,
                    attributes=attributes,
                    ttl={"enabled": True, "attribute_name": spec.ttl_attribute},
                    stream_enabled=True,
                    stream_view_type="NEW_AND_OLD_IMAGES",
                    server_side_encryption={"enabled": True, "kms_key_arn": args.kms_key_arn},
                    point_in_time_recovery={"enabled": True},
                    deletion_protection_enabled=True,
                    opts=stateful.merge(pulumi.ResourceOptions(ignore_changes=["replicas"])),
                )
            else:
                arn = args.global_table_arns.get(spec.name)
                if arn is None:
                    raise ValueError(f"replica of {spec.name} needs the owner's table ARN")
                self.replicas[spec.name] = aws.dynamodb.TableReplica(
                    f"{name}-{spec.name}-replica",
                    global_table_arn=arn,
                    kms_key_arn=args.kms_key_arn,
                    point_in_time_recovery=True,
                    deletion_protection_enabled=True,
                    opts=stateful,
                )
        self.arns: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{k: v.arn for k, v in self.tables.items()}
        )
        self.register_outputs({"tables": [self.table_name(t) for t in args.tables]})

    def table_name(self, spec: KeyValueTable) -> str:
        """Global tables keep one name in every region: environment-wide, not regional."""
        return f"meridian-{self.args.names.environment}-{spec.name}"

    def grant_read_write(self, identity: WorkloadIdentity, table: str) -> aws.iam.RolePolicy:
        """Item reads and writes on one table's local replica (and its indexes)."""
        specs = {t.name: t for t in self.args.tables}
        if table not in specs:
            raise KeyError(f"no global table {table!r}")
        arn = self.args.scope.arn("dynamodb", f"table/{self.table_name(specs[table])}")
        return grant(
            identity,
            f"dynamodb-{table}",
            [statement(READ_WRITE_ACTIONS, [arn, f"{arn}/index/*"], sid="ReadWriteItems")],
        )
