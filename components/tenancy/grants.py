"""Grant helpers for workload identities: each builds exactly the narrow statements one need takes.

Example::

    identity.grant("access", [
        read_secrets_statement(secrets_prefix(scope, names, "user")),
        key_use_statement([keys.arn(KeyClass.SECRETS)], [KeyClass.SECRETS], scope),
    ])

Keys are granted through IAM with `kms:ViaService`, not with KMS grants: a pod never calls KMS
itself, it reads a secret (Secrets Manager decrypts) or an object (S3 decrypts), so the key is
usable only through the services that store its class of data, the same scope the KeyRing's key
policies set (`SERVICE_SCOPES`). `KeyRing.grant_use` stays for principals that call KMS directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from components.common.iam import statement
from components.common.naming import Names
from components.common.scope import AwsScope
from components.foundation.keyring import KEY_USE_ACTIONS, SERVICE_SCOPES, KeyClass

SECRETS_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")


def secrets_path(names: Names, service: str) -> str:
    """The Secrets Manager name prefix a service owns: meridian/<env>/<region>/<service>/."""
    return f"meridian/{names.environment}/{names.region or 'global'}/{service}/"


def secrets_prefix(scope: AwsScope, names: Names, service: str) -> str:
    """ARN pattern of every secret under the service's path (the random suffix included)."""
    return scope.arn("secretsmanager", f"secret:{secrets_path(names, service)}*")


def read_secrets_statement(secret_arn_pattern: str) -> dict[str, Any]:
    """Read (never list, write or rotate) the secrets matching one ARN pattern."""
    return statement(SECRETS_READ_ACTIONS, secret_arn_pattern, sid="ReadOwnSecrets")


def key_use_statement(
    key_arns: Sequence[pulumi.Input[str]], key_classes: Sequence[KeyClass], scope: AwsScope
) -> dict[str, Any]:
    """Use these keys only through the AWS services that store their classes of data."""
    services = sorted({s for k in key_classes for s in SERVICE_SCOPES[k]})
    return statement(
        KEY_USE_ACTIONS,
        list(key_arns),
        sid="UseKeysThroughTheirServices",
        condition={
            "StringEquals": {"kms:ViaService": [scope.service_endpoint(s) for s in services]}
        },
    )
