"""Table cases for ``policies/encryption_services.py`` (engine camelCase inputs, pulumi-aws 7)."""

from __future__ import annotations

from typing import Any

from policies.type_tokens import KMS_GRANT
from tests.policies.cases_common import UNKNOWN, PolicyCase
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

# --- amp-workspace-cmk, ebs-default-kms-key-cmk, acmpca-certificate-authority -------------------
PCA = "aws:acmpca/certificateAuthority:CertificateAuthority"
PCA_CERTIFICATE = "aws:acmpca/certificate:Certificate"
PCA_ARN = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/partner"
PCA_PROPS = {
    "type": "ROOT",
    "usageMode": "GENERAL_PURPOSE",
    "keyStorageSecurityStandard": "FIPS_140_2_LEVEL_3_OR_HIGHER",
    "certificateAuthorityConfiguration": {
        "keyAlgorithm": "EC_secp384r1",
        "signingAlgorithm": "SHA384WITHECDSA",
        "subject": {"commonName": "meridian partner client CA", "organization": "Meridian"},
    },
    "revocationConfiguration": {"ocspConfiguration": {"enabled": True}},
}


def _pca(**changes: object) -> dict[str, object]:
    props = dict(PCA_PROPS)
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


CASES += [
    PolicyCase(
        "amp-workspace-cmk",
        "aws:amp/workspace:Workspace",
        {"alias": "meridian-metrics", "kmsKeyArn": KEY_ARN},
        False,
    ),
    PolicyCase(
        "amp-workspace-cmk",
        "aws:amp/workspace:Workspace",
        {"alias": "meridian-metrics"},
        True,
        note="aws-owned-key",
    ),
    PolicyCase(
        "ebs-default-kms-key-cmk", "aws:ebs/defaultKmsKey:DefaultKmsKey", {"keyArn": KEY_ARN}, False
    ),
    PolicyCase(
        "ebs-default-kms-key-cmk",
        "aws:ebs/defaultKmsKey:DefaultKmsKey",
        {"keyArn": "arn:aws:kms:us-east-1:123456789012:alias/aws/ebs"},
        True,
        note="aws-managed",
    ),
    PolicyCase("acmpca-certificate-authority", PCA, PCA_PROPS, False),
    PolicyCase(
        "acmpca-certificate-authority",
        PCA,
        _pca(
            revocationConfiguration={"crlConfiguration": {"enabled": True, "s3BucketName": "crl"}}
        ),
        False,
        note="crl",
    ),
    PolicyCase(
        "acmpca-certificate-authority",
        PCA,
        _pca(usageMode="SHORT_LIVED_CERTIFICATE", revocationConfiguration=None),
        False,
        note="short-lived-without-revocation",
    ),
    PolicyCase(
        "acmpca-certificate-authority",
        PCA,
        _pca(revocationConfiguration=None),
        True,
        note="no-revocation",
    ),
    PolicyCase(
        "acmpca-certificate-authority",
        PCA,
        _pca(revocationConfiguration={"ocspConfiguration": {"enabled": False}}),
        True,
        note="ocsp-off",
    ),
    PolicyCase(
        "acmpca-certificate-authority",
        PCA,
        _pca(
            certificateAuthorityConfiguration={
                "keyAlgorithm": "SM2",
                "signingAlgorithm": "SM3WITHSM2",
                "subject": {"commonName": "ca"},
            }
        ),
        True,
        note="key-algorithm",
    ),
    PolicyCase(
        "acmpca-certificate-authority",
        PCA,
        _pca(usageMode="EVERYTHING"),
        True,
        note="usage-mode",
    ),
    PolicyCase(
        "acmpca-certificate-authority",
        PCA_CERTIFICATE,
        {
            "certificateAuthorityArn": PCA_ARN,
            "signingAlgorithm": "SHA384WITHECDSA",
            "validity": {"type": "YEARS", "value": "10"},
        },
        False,
        note="certificate",
    ),
    PolicyCase(
        "acmpca-certificate-authority",
        PCA_CERTIFICATE,
        {
            "certificateAuthorityArn": PCA_ARN,
            "signingAlgorithm": "SHA1WITHRSA",
            "validity": {"type": "YEARS", "value": "1"},
        },
        True,
        note="certificate-sha1",
    ),
]

# ---- kms-grant-scoped ----
_ASG_ROLE = (
    "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/"
    "AWSServiceRoleForAutoScaling"
)
_NODE_GRANT: dict[str, Any] = {
    "keyId": "47070ddf-2556-3e26-95e3-901640353c96",
    "granteePrincipal": _ASG_ROLE,
    "operations": [
        "Encrypt",
        "Decrypt",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "DescribeKey",
        "CreateGrant",
    ],
}
_APP_ROLE = "arn:aws:iam::123456789012:role/meridian-prod-euw1-pod-tenants-order"

CASES += [
    PolicyCase("kms-grant-scoped", KMS_GRANT, _NODE_GRANT, False, note="autoscaling-role"),
    PolicyCase(
        "kms-grant-scoped",
        KMS_GRANT,
        {**_NODE_GRANT, "granteePrincipal": _APP_ROLE},
        True,
        note="app-role-may-create-grants",
    ),
    PolicyCase(
        "kms-grant-scoped",
        KMS_GRANT,
        {**_NODE_GRANT, "granteePrincipal": _APP_ROLE, "operations": ["Decrypt", "RetireGrant"]},
        True,
        note="app-role-may-retire-grants",
    ),
    PolicyCase(
        "kms-grant-scoped",
        KMS_GRANT,
        {**_NODE_GRANT, "granteePrincipal": _APP_ROLE, "operations": ["Encrypt", "Decrypt"]},
        False,
        note="app-role-use-only",
    ),
    PolicyCase(
        "kms-grant-scoped",
        KMS_GRANT,
        {**_NODE_GRANT, "granteePrincipal": UNKNOWN},
        False,
        note="preview-unknown-grantee",
    ),
    PolicyCase(
        "kms-grant-scoped",
        KMS_GRANT,
        {**_NODE_GRANT, "constraints": [{}]},
        True,
        note="empty-constraint",
    ),
    PolicyCase(
        "kms-grant-scoped",
        KMS_GRANT,
        {**_NODE_GRANT, "constraints": [{"encryptionContextSubset": {"service": "order"}}]},
        False,
        note="context-constraint",
    ),
]
