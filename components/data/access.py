"""Who may reach a data store: its security group (data port only, only from the listed client
security groups of the same VPC) and the grant helpers every store's `grant_*` methods build on.

Example::

    sg = store_security_group("orders-db", names, vpc_id, port=5432,
                              clients=[cluster.node_security_group_id], what="aurora",
                              opts=pulumi.ResourceOptions(parent=self))
    grant(identity, "aurora-connect", [statement(["rds-db:connect"], db_user_arn)])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.iam import key_use_through, service_trust_policy, statement
from components.common.naming import Names
from components.common.security_groups import peer_group_rules
from components.kubernetes.workload_identity import WorkloadIdentity


def store_security_group(
    name: str,
    names: Names,
    vpc_id: pulumi.Input[str],
    *,
    port: int,
    clients: Sequence[pulumi.Input[str]],
    what: str,
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """A security group admitting TCP `port` only from `clients` (security group ids), with no
    egress at all (a data store answers; it never opens connections of its own)."""
    group = aws.ec2.SecurityGroup(
        name,
        name=names.physical(what),
        description=f"{what}: TCP {port} from the EKS nodes and pods of this region only",
        vpc_id=vpc_id,
        tags={"Name": names.display(what)},
        opts=opts,
    )
    child = pulumi.ResourceOptions(parent=opts.parent) if opts.parent else opts
    for i, client in enumerate(clients):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-{i}",
            security_group_id=group.id,
            referenced_security_group_id=client,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{what} clients (TLS)",
            opts=child,
        )
    return group


def database_client_rules(
    prefix: str,
    *,
    client_group_id: pulumi.Input[str],
    database_group_id: pulumi.Input[str],
    port: int,
    endpoint_group_id: pulumi.Input[str],
    admitted_as: str,
    purpose: str,
    opts: pulumi.ResourceOptions,
) -> list[pulumi.CustomResource]:
    """The rules of a client inside the VPC that holds the database's credential (RDS Proxy, the
    rotation function): out only to the database's port and to the interface endpoints (Secrets
    Manager, KMS), and the database's group admitting it. Rule names: `<prefix>-to-db`,
    `<prefix>-to-endpoints`, `admitted_as`."""
    database = peer_group_rules(
        client_group_id=client_group_id,
        server_group_id=database_group_id,
        port=port,
        egress_name=f"{prefix}-to-db",
        ingress_name=admitted_as,
        egress_description=f"{purpose} (TLS)",
        ingress_description=purpose,
        opts=opts,
    )
    endpoints = aws.vpc.SecurityGroupEgressRule(
        f"{prefix}-to-endpoints",
        security_group_id=client_group_id,
        referenced_security_group_id=endpoint_group_id,
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        description="Secrets Manager and KMS through the VPC's interface endpoints",
        opts=opts,
    )
    return [database.egress, endpoints, database.ingress]


def grant(
    identity: WorkloadIdentity, what: str, statements: Sequence[dict[str, Any]]
) -> aws.iam.RolePolicy:
    """Exactly `statements` for one tenant's role, as one inline policy named `what`."""
    return identity.grant(what, statements)


def secret_read_statements(
    secret_arn: pulumi.Input[str], key_arn: pulumi.Input[str], region: str
) -> list[dict[str, Any]]:
    """Read one secret and decrypt it with its key, only through Secrets Manager."""
    return [
        statement(
            ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            secret_arn,
            sid="ReadTheSecret",
        ),
        key_use_through(
            ["kms:Decrypt"],
            key_arn,
            f"secretsmanager.{region}.amazonaws.com",
            sid="DecryptTheSecret",
        ),
    ]


def service_role(
    name: str, names: Names, service: str, what: str, opts: pulumi.ResourceOptions
) -> aws.iam.Role:
    """An IAM role one AWS service assumes (RDS Proxy, AWS Backup, enhanced monitoring)."""
    return aws.iam.Role(
        name,
        name=names.physical(what, max_length=64),
        description=f"{what}: assumed by {service}",
        assume_role_policy=service_trust_policy(service),
        max_session_duration=3600,
        opts=opts,
    )
