"""Table cases for ``policies/encryption_services.py`` (engine camelCase inputs, pulumi-aws 7)."""

from __future__ import annotations

from tests.policies.cases_common import PolicyCase
from tests.policies.cases_encryption_data import (
    KEY_ARN,
    MRK_ARN,
)

CASES: list[PolicyCase] = [
    # --- eks-secrets-envelope-encryption -------------------------------------------------------
    PolicyCase(
        "eks-secrets-envelope-encryption",
        "aws:eks/cluster:Cluster",
        {
            "name": "meridian-prod-use1",
            "roleArn": "arn:aws:iam::123456789012:role/meridian-eks",
            "version": "1.31",
            "vpcConfig": {"subnetIds": ["subnet-0a", "subnet-0b"], "endpointPublicAccess": False},
            "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}},
        },
        False,
    ),
    PolicyCase(
        "eks-secrets-envelope-encryption",
        "aws:eks/cluster:Cluster",
        {
            "name": "meridian-prod-use1",
            "roleArn": "arn:aws:iam::123456789012:role/meridian-eks",
            "vpcConfig": {"subnetIds": ["subnet-0a", "subnet-0b"]},
        },
        True,
        note="no-encryption-config",
    ),
    PolicyCase(
        "eks-secrets-envelope-encryption",
        "aws:eks/cluster:Cluster",
        {
            "roleArn": "arn:aws:iam::123456789012:role/meridian-eks",
            "vpcConfig": {"subnetIds": ["subnet-0a", "subnet-0b"]},
            "encryptionConfig": {"resources": [], "provider": {"keyArn": KEY_ARN}},
        },
        True,
        note="secrets-not-listed",
    ),
    # --- cloudwatch-log-group-cmk --------------------------------------------------------------
    PolicyCase(
        "cloudwatch-log-group-cmk",
        "aws:cloudwatch/logGroup:LogGroup",
        {"name": "/aws/eks/meridian/cluster", "retentionInDays": 365, "kmsKeyId": KEY_ARN},
        False,
    ),
    PolicyCase(
        "cloudwatch-log-group-cmk",
        "aws:cloudwatch/logGroup:LogGroup",
        {"name": "/aws/eks/meridian/cluster", "retentionInDays": 365},
        True,
    ),
    # --- sns-topic-cmk / sqs-queue-cmk ---------------------------------------------------------
    PolicyCase(
        "sns-topic-cmk",
        "aws:sns/topic:Topic",
        {"name": "meridian-alerts", "kmsMasterKeyId": KEY_ARN},
        False,
    ),
    PolicyCase(
        "sns-topic-cmk",
        "aws:sns/topic:Topic",
        {"name": "meridian-alerts", "kmsMasterKeyId": "alias/aws/sns"},
        True,
        note="aws-managed-key",
    ),
    PolicyCase(
        "sqs-queue-cmk",
        "aws:sqs/queue:Queue",
        {"name": "meridian-jobs", "kmsMasterKeyId": KEY_ARN, "kmsDataKeyReusePeriodSeconds": 300},
        False,
    ),
    PolicyCase(
        "sqs-queue-cmk",
        "aws:sqs/queue:Queue",
        {"name": "meridian-jobs", "sqsManagedSseEnabled": True},
        True,
        note="sqs-managed-sse-only",
    ),
    # --- backup-vault-cmk / secretsmanager-secret-cmk ------------------------------------------
    PolicyCase(
        "backup-vault-cmk",
        "aws:backup/vault:Vault",
        {"name": "meridian-prod", "kmsKeyArn": KEY_ARN},
        False,
    ),
    PolicyCase("backup-vault-cmk", "aws:backup/vault:Vault", {"name": "meridian-prod"}, True),
    PolicyCase(
        "secretsmanager-secret-cmk",
        "aws:secretsmanager/secret:Secret",
        {"name": "meridian/db/app", "kmsKeyId": MRK_ARN, "recoveryWindowInDays": 30},
        False,
    ),
    PolicyCase(
        "secretsmanager-secret-cmk",
        "aws:secretsmanager/secret:Secret",
        {"name": "meridian/db/app"},
        True,
    ),
    # --- kms-key-rotation / kms-key-deletion-window --------------------------------------------
    PolicyCase(
        "kms-key-rotation",
        "aws:kms/key:Key",
        {"description": "meridian data", "enableKeyRotation": True, "deletionWindowInDays": 30},
        False,
    ),
    PolicyCase(
        "kms-key-rotation",
        "aws:kms/key:Key",
        {"description": "meridian data", "deletionWindowInDays": 30},
        True,
        note="rotation-off",
    ),
    PolicyCase(
        "kms-key-rotation",
        "aws:kms/key:Key",
        {
            "description": "meridian signing",
            "customerMasterKeySpec": "ECC_NIST_P256",
            "keyUsage": "SIGN_VERIFY",
        },
        False,
        note="asymmetric-key-cannot-rotate",
    ),
    PolicyCase(
        "kms-key-deletion-window",
        "aws:kms/key:Key",
        {"description": "meridian data", "enableKeyRotation": True, "deletionWindowInDays": 30},
        False,
    ),
    PolicyCase(
        "kms-key-deletion-window",
        "aws:kms/key:Key",
        {"description": "meridian data", "enableKeyRotation": True},
        False,
        note="default-30-days",
    ),
    PolicyCase(
        "kms-key-deletion-window",
        "aws:kms/key:Key",
        {"description": "meridian data", "enableKeyRotation": True, "deletionWindowInDays": 5},
        True,
    ),
    # --- kms-key-no-lockout-bypass / kms-key-description ----------------------------------------
    PolicyCase(
        "kms-key-no-lockout-bypass",
        "aws:kms/key:Key",
        {"description": "meridian data", "enableKeyRotation": True},
        False,
        note="check-kept",
    ),
    PolicyCase(
        "kms-key-no-lockout-bypass",
        "aws:kms/key:Key",
        {
            "description": "meridian data",
            "enableKeyRotation": True,
            "bypassPolicyLockoutSafetyCheck": False,
        },
        False,
        note="explicit-false",
    ),
    PolicyCase(
        "kms-key-no-lockout-bypass",
        "aws:kms/key:Key",
        {
            "description": "meridian data",
            "enableKeyRotation": True,
            "bypassPolicyLockoutSafetyCheck": True,
        },
        True,
    ),
    PolicyCase(
        "kms-key-description",
        "aws:kms/key:Key",
        {"description": "meridian data", "enableKeyRotation": True},
        False,
    ),
    PolicyCase(
        "kms-key-description",
        "aws:kms/key:Key",
        {"enableKeyRotation": True},
        True,
        note="unset",
    ),
    PolicyCase(
        "kms-key-description",
        "aws:kms/key:Key",
        {"description": "  ", "enableKeyRotation": True},
        True,
        note="blank",
    ),
]
