"""Grant helpers for workload identities: each adds exactly one narrow inline policy.

Example::

    grant_secrets_read(identity, secrets_prefix("aws", "us-east-1", "123456789012", names, "user"))
"""

from __future__ import annotations

import pulumi_aws as aws

from components.eks.workload_identity import WorkloadIdentity, statement
from components.naming import Names

SECRETS_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")


def secrets_path(names: Names, service: str) -> str:
    """The Secrets Manager name prefix a service owns: meridian/<env>/<region>/<service>/."""
    return f"meridian/{names.environment}/{names.region or 'global'}/{service}/"


def secrets_prefix(partition: str, region: str, account_id: str, names: Names, service: str) -> str:
    """ARN pattern of every secret under the service's path (the random suffix included)."""
    return (
        f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:"
        f"{secrets_path(names, service)}*"
    )


def grant_secrets_read(identity: WorkloadIdentity, secret_arn_pattern: str) -> aws.iam.RolePolicy:
    """Read (never list, write or rotate) the secrets matching one ARN pattern."""
    return identity.grant(
        "secrets-read",
        [statement(SECRETS_READ_ACTIONS, secret_arn_pattern, sid="ReadOwnSecrets")],
    )
