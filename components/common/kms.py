"""The KMS key policy every Meridian key has: the account administers the key, the account uses
it only through named AWS services (kms:ViaService), and named service principals use it for
the account's own resources only (aws:SourceAccount / aws:SourceArn / encryption context).

Example::

    key_policy("aws", "123456789012", [
        account_use_statement("aws", "123456789012", "UseThroughS3", ["s3.us-east-1.amazonaws.com"],
                              KEY_USE_ACTIONS),
        service_use_statement("CloudTrailDescribesKey", "cloudtrail.amazonaws.com",
                              "kms:DescribeKey", {"StringEquals": {"aws:SourceArn": trail_arn}}),
    ])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.common.iam import POLICY_VERSION

KEY_ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)
KEY_USE_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)
KEY_GRANT_ACTIONS: tuple[str, ...] = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")


def account_root(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def key_admin_statement(partition: str, account_id: str) -> dict[str, Any]:
    """The account administers the key (and nothing else may): the first statement of every
    Meridian key policy, so the key can never become unmanageable."""
    return {
        "Sid": "KeyAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(partition, account_id)},
        "Action": list(KEY_ADMIN_ACTIONS),
        "Resource": "*",
    }


def account_use_statement(
    partition: str,
    account_id: str,
    sid: str,
    via: str | Sequence[str],
    actions: Sequence[str],
) -> dict[str, Any]:
    """The account's principals use the key only through the AWS service endpoints `via`
    (kms:ViaService values, `<service>.<region>.amazonaws.com`)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": account_root(partition, account_id)},
        "Action": list(actions),
        "Resource": "*",
        "Condition": {
            "StringEquals": {
                "kms:CallerAccount": account_id,
                "kms:ViaService": via if isinstance(via, str) else list(via),
            }
        },
    }


def service_use_statement(
    sid: str, service: str, actions: str | Sequence[str], condition: dict[str, Any]
) -> dict[str, Any]:
    """A service principal (which no grant can name) uses the key, for the account's own
    resources only: `condition` pins the source account, ARN or encryption context."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": actions if isinstance(actions, str) else list(actions),
        "Resource": "*",
        "Condition": condition,
    }


def key_policy(
    partition: str, account_id: str, statements: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """A key policy: the account's administration first, then `statements`."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [key_admin_statement(partition, account_id), *statements],
    }
