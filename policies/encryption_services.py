"""Encryption policies, services and keys: a customer-managed KMS key per service; keys rotate.

EKS Secrets envelope encryption, CloudWatch Logs, SNS, SQS, AWS Backup vaults, Secrets Manager,
and the KMS keys themselves (rotation, deletion window).


Unknown values (preview): resource policies read properties through pulumi_policy's proxy, which
raises ``UnknownValueError`` for a value that is unknown during preview; the analyzer then skips
the policy for that resource with an advisory diagnostic. This module never catches that error.
Checks whose inputs are usually known (booleans, enums) are read before key ARNs, which are often
outputs of a KMS key created in the same update, so a definite violation is still reported before
an unknown key ARN ends the check.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from . import type_tokens
from .compliance import (
    ASSET_INVENTORY,
    CREDENTIAL_PROTECTION,
    DELETION_PROTECTION,
    ENCRYPTION_AT_REST,
    KEY_MANAGEMENT,
)
from .declare import resource_policy
from .support import (
    as_bool,
    as_list,
    cfg_number,
    cfg_strings,
    dig,
    is_unknown,
    kms_key_problem,
    label,
    number,
    pget,
    plain,
    requires_cmk,
)

CONCERN = "encryption"

# --------------------------------------------------------------------------------------------
# EKS
# --------------------------------------------------------------------------------------------


def _eks_secrets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = dig(args.props, "encryptionConfig")
    if config is None:
        report(
            f"eks.Cluster '{args.name}': encryptionConfig is not set, so Kubernetes Secrets are "
            "not envelope-encrypted with a KMS key. Fix: set encryptionConfig = {resources: "
            "['secrets'], provider: {keyArn: <customer-managed KMS key ARN>}}.",
            None,
        )
        return
    resources = [str(r) for r in as_list(dig(config, "resources"))]
    if "secrets" not in resources:
        report(
            f"eks.Cluster '{args.name}': encryptionConfig.resources is {resources}, it must "
            "include 'secrets'. Fix: set encryptionConfig.resources = ['secrets'].",
            None,
        )
    problem = kms_key_problem(dig(config, "provider", "keyArn"))
    if problem:
        report(
            f"eks.Cluster '{args.name}': encryptionConfig.provider.keyArn {problem}. Fix: set it "
            "to the ARN of a symmetric customer-managed KMS key in the cluster's region.",
            None,
        )


eks_secrets_envelope_encryption = resource_policy(
    "eks-secrets-envelope-encryption",
    "Every EKS cluster envelope-encrypts Kubernetes Secrets with a customer-managed KMS key "
    "(encryptionConfig.resources contains 'secrets' and encryptionConfig.provider.keyArn is "
    "set).",
    concern=CONCERN,
    service="eks",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST | CREDENTIAL_PROTECTION,
    validators={"aws:eks/cluster:Cluster": _eks_secrets},
)


# --------------------------------------------------------------------------------------------
# Single-key services: CloudWatch Logs, SNS, SQS, Backup, Secrets Manager
# --------------------------------------------------------------------------------------------


cloudwatch_log_group_cmk = resource_policy(
    "cloudwatch-log-group-cmk",
    "CloudWatch log groups are encrypted with a customer-managed KMS key (kmsKeyId).",
    concern=CONCERN,
    service="cloudwatch",
    severity=Severity.MEDIUM,
    controls=ENCRYPTION_AT_REST,
    enforcement=EnforcementLevel.ADVISORY,
    validators={
        "aws:cloudwatch/logGroup:LogGroup": requires_cmk(
            "cloudwatch.LogGroup",
            "kmsKeyId",
            "log events are encrypted with a service key only",
        )
    },
)


sns_topic_cmk = resource_policy(
    "sns-topic-cmk",
    "SNS topics use server-side encryption with a customer-managed KMS key "
    "(kmsMasterKeyId, not alias/aws/sns).",
    concern=CONCERN,
    service="sns",
    severity=Severity.MEDIUM,
    controls=ENCRYPTION_AT_REST,
    enforcement=EnforcementLevel.ADVISORY,
    validators={
        "aws:sns/topic:Topic": requires_cmk(
            "sns.Topic", "kmsMasterKeyId", "messages are stored without CMK encryption"
        )
    },
)


def _sqs_queue(args: ResourceValidationArgs, report: ReportViolation) -> None:
    problem = kms_key_problem(dig(args.props, "kmsMasterKeyId"))
    if problem:
        managed = " (sqsManagedSseEnabled alone uses an SQS-owned key)"
        report(
            f"sqs.Queue '{args.name}': kmsMasterKeyId {problem}{managed}. Fix: set "
            "kmsMasterKeyId to the ARN of a customer-managed KMS key (SSE-KMS) and drop "
            "sqsManagedSseEnabled.",
            None,
        )


sqs_queue_cmk = resource_policy(
    "sqs-queue-cmk",
    "SQS queues use SSE-KMS with a customer-managed key (kmsMasterKeyId); SQS-managed SSE "
    "(sqsManagedSseEnabled) alone is not enough.",
    concern=CONCERN,
    service="sqs",
    severity=Severity.MEDIUM,
    controls=ENCRYPTION_AT_REST,
    enforcement=EnforcementLevel.ADVISORY,
    validators={"aws:sqs/queue:Queue": _sqs_queue},
)


backup_vault_cmk = resource_policy(
    "backup-vault-cmk",
    "AWS Backup vaults encrypt recovery points with a customer-managed KMS key (kmsKeyArn).",
    concern=CONCERN,
    service="backup",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST,
    validators={
        "aws:backup/vault:Vault": requires_cmk(
            "backup.Vault",
            "kmsKeyArn",
            "recovery points would use the AWS-managed aws/backup key",
        )
    },
)


secretsmanager_secret_cmk = resource_policy(
    "secretsmanager-secret-cmk",
    "Secrets Manager secrets are encrypted with a customer-managed KMS key (kmsKeyId, not "
    "alias/aws/secretsmanager).",
    concern=CONCERN,
    service="secretsmanager",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST | CREDENTIAL_PROTECTION,
    validators={
        "aws:secretsmanager/secret:Secret": requires_cmk(
            "secretsmanager.Secret",
            "kmsKeyId",
            "the secret would use the AWS-managed aws/secretsmanager key, which cannot be shared "
            "across accounts or audited separately",
        )
    },
)


# --------------------------------------------------------------------------------------------
# KMS keys
# --------------------------------------------------------------------------------------------


def _kms_rotation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    spec = dig(props, "customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = dig(props, "keyUsage") or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return  # rotation is only supported for symmetric encryption keys
    if dig(props, "customKeyStoreId") or dig(props, "xksKeyId"):
        return  # keys in custom key stores cannot rotate automatically
    if dig(props, "enableKeyRotation") is not True:
        report(
            f"kms.Key '{args.name}': enableKeyRotation is not true for a symmetric encryption "
            "key. Fix: set enableKeyRotation = true (optionally rotationPeriodInDays).",
            None,
        )


kms_key_rotation = resource_policy(
    "kms-key-rotation",
    "Symmetric customer-managed KMS keys have automatic rotation enabled "
    "(enableKeyRotation = true).",
    concern=CONCERN,
    service="kms",
    severity=Severity.HIGH,
    controls=KEY_MANAGEMENT,
    validators={"aws:kms/key:Key": _kms_rotation},
)


def _kms_deletion_window(args: ResourceValidationArgs, report: ReportViolation) -> None:
    minimum = cfg_number(args.get_config(), "minimumDays", 7)
    days = number(dig(args.props, "deletionWindowInDays"))
    if days is not None and days < minimum:
        report(
            f"kms.Key '{args.name}': deletionWindowInDays is {days:g}, below the required "
            f"{minimum:g} days to recover from an accidental key deletion. Fix: set "
            f"deletionWindowInDays >= {minimum:g} (AWS default and recommended: 30).",
            None,
        )


kms_key_deletion_window = resource_policy(
    "kms-key-deletion-window",
    "KMS keys keep a deletion waiting period of at least N days (deletionWindowInDays, "
    "default N = 7; unset means the AWS default of 30).",
    concern=CONCERN,
    service="kms",
    severity=Severity.MEDIUM,
    controls=KEY_MANAGEMENT | DELETION_PROTECTION,
    validators={"aws:kms/key:Key": _kms_deletion_window},
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {
                "type": "integer",
                "minimum": 7,
                "maximum": 30,
                "default": 7,
                "description": "Minimum deletionWindowInDays.",
            }
        }
    ),
)


def _kms_lockout_bypass(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if as_bool(dig(args.props, "bypassPolicyLockoutSafetyCheck")):
        report(
            f"kms.Key '{args.name}': bypassPolicyLockoutSafetyCheck is true, so KMS accepts a key "
            "policy that no principal (not even the account) can change any more, and the key "
            "and all data under it can become unmanageable. Fix: drop "
            "bypassPolicyLockoutSafetyCheck (default false) and keep the account root in the "
            "key policy.",
            None,
        )


kms_key_no_lockout_bypass = resource_policy(
    "kms-key-no-lockout-bypass",
    "KMS keys keep the policy lockout safety check (bypassPolicyLockoutSafetyCheck is not "
    "true), so a key policy that locks every principal out is refused by KMS.",
    concern=CONCERN,
    service="kms",
    severity=Severity.HIGH,
    controls=KEY_MANAGEMENT,
    validators={"aws:kms/key:Key": _kms_lockout_bypass},
)


def _kms_description(args: ResourceValidationArgs, report: ReportViolation) -> None:
    description = dig(args.props, "description")
    if not isinstance(description, str) or not description.strip():
        report(
            f"kms.Key '{args.name}': description is empty, so the key inventory does not say "
            "what data the key protects. Fix: set description to the data class or service "
            "the key encrypts.",
            None,
        )


kms_key_description = resource_policy(
    "kms-key-description",
    "KMS keys carry a description saying what they protect (the key inventory the key "
    "management controls ask for). Advisory by default: a missing description weakens the "
    "inventory, not the encryption; the prod config makes it mandatory.",
    concern=CONCERN,
    service="kms",
    severity=Severity.LOW,
    controls=KEY_MANAGEMENT | ASSET_INVENTORY,
    enforcement=EnforcementLevel.ADVISORY,
    validators={"aws:kms/key:Key": _kms_description},
)


amp_workspace_cmk = resource_policy(
    "amp-workspace-cmk",
    "Amazon Managed Service for Prometheus workspaces encrypt metrics with a customer-managed "
    "KMS key (kmsKeyArn).",
    concern=CONCERN,
    service="amp",
    severity=Severity.MEDIUM,
    controls=ENCRYPTION_AT_REST,
    validators={
        "aws:amp/workspace:Workspace": requires_cmk(
            "amp.Workspace", "kmsKeyArn", "metrics would be encrypted with an AWS-owned key"
        )
    },
)


ebs_default_kms_key_cmk = resource_policy(
    "ebs-default-kms-key-cmk",
    "The region's default EBS encryption key is a customer-managed KMS key (keyArn), so volumes "
    "created without a key still use it.",
    concern=CONCERN,
    service="ebs",
    severity=Severity.MEDIUM,
    controls=ENCRYPTION_AT_REST | KEY_MANAGEMENT,
    validators={
        "aws:ebs/defaultKmsKey:DefaultKmsKey": requires_cmk(
            "ebs.DefaultKmsKey", "keyArn", "volumes would default to the AWS-managed aws/ebs key"
        )
    },
)


# --------------------------------------------------------------------------------------------
# AWS Private CA
# --------------------------------------------------------------------------------------------

PCA_KEY_ALGORITHMS: Final = (
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
)
"""CA key algorithms the pack accepts: RSA 2048 bits or more, the NIST EC curves and ML-DSA
(https://docs.aws.amazon.com/privateca/latest/APIReference/API_CertificateAuthorityConfiguration.html,
KeyAlgorithm); SM2 is refused outside China regions' requirements."""
PCA_USAGE_MODES: Final = ("GENERAL_PURPOSE", "SHORT_LIVED_CERTIFICATE")
"""AWS Private CA usage modes (CreateCertificateAuthority, UsageMode); a short-lived CA's
certificates (at most seven days) may omit revocation."""
WEAK_SIGNING: Final = ("SHA1", "MD5")


def _private_ca(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    problems = []
    algorithm = dig(props, "certificateAuthorityConfiguration", "keyAlgorithm")
    if algorithm not in PCA_KEY_ALGORITHMS:
        problems.append(
            f"certificateAuthorityConfiguration.keyAlgorithm is {algorithm!r}, not one of "
            f"{list(PCA_KEY_ALGORITHMS)}"
        )
    signing = str(dig(props, "certificateAuthorityConfiguration", "signingAlgorithm") or "")
    if any(signing.upper().startswith(weak) for weak in WEAK_SIGNING):
        problems.append(f"signingAlgorithm {signing!r} is a broken hash")
    mode = dig(props, "usageMode") or "GENERAL_PURPOSE"
    if mode not in PCA_USAGE_MODES:
        problems.append(f"usageMode is {mode!r}")
    revocation = dig(props, "revocationConfiguration")
    ocsp = dig(revocation, "ocspConfiguration", "enabled") is True
    crl = dig(revocation, "crlConfiguration", "enabled") is True
    if mode == "GENERAL_PURPOSE" and not (ocsp or crl):
        problems.append(
            "a GENERAL_PURPOSE CA has no revocation (neither revocationConfiguration."
            "ocspConfiguration nor crlConfiguration is enabled), so a leaked certificate stays "
            "valid until it expires"
        )
    if problems:
        report(
            f"acmpca.CertificateAuthority '{args.name}': {'; '.join(problems)}. Fix: "
            "key_algorithm RSA_2048 or stronger (or an EC curve), "
            "revocation_configuration={ocsp_configuration: {enabled: True}} (or a CRL), or "
            "usage_mode='SHORT_LIVED_CERTIFICATE' for certificates of seven days at most.",
            None,
        )


def _private_ca_certificate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    signing = str(dig(args.props, "signingAlgorithm") or "")
    if any(signing.upper().startswith(weak) for weak in WEAK_SIGNING):
        report(
            f"acmpca.Certificate '{args.name}': signingAlgorithm {signing!r} is a broken hash. "
            "Fix: sign with SHA256 or stronger (SHA256WITHRSA, SHA384WITHECDSA).",
            None,
        )


acmpca_certificate_authority = resource_policy(
    "acmpca-certificate-authority",
    "AWS Private CAs use an RSA 2048+ or elliptic-curve key, sign with SHA-256 or stronger, "
    "run in a known usage mode and, when GENERAL_PURPOSE, publish revocation (OCSP or a CRL); "
    "certificates they issue are not signed with SHA-1 or MD5.",
    concern=CONCERN,
    service="acmpca",
    severity=Severity.HIGH,
    controls=KEY_MANAGEMENT | CREDENTIAL_PROTECTION,
    validators={
        "aws:acmpca/certificateAuthority:CertificateAuthority": _private_ca,
        "aws:acmpca/certificate:Certificate": _private_ca_certificate,
    },
)


# --------------------------------------------------------------------------------------------
# KMS grants
# --------------------------------------------------------------------------------------------
# Grant operations that let the grantee hand the key on (or end other grants).
_DELEGATING_OPERATIONS: Final = ("CreateGrant", "RetireGrant")
# EC2 Auto Scaling's service-linked role must create a grant for EC2 on every encrypted volume
# it launches ("Required AWS KMS key policy for use with encrypted volumes", EC2 Auto Scaling
# user guide).
DELEGATING_GRANTEES: Final = (
    "arn:aws*:iam::*:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling*",
)


def _kms_grant(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    props = plain(args.props)
    operations = props.get("operations")
    grantee = props.get("granteePrincipal")
    if not is_unknown(operations) and not is_unknown(grantee):
        delegating = [o for o in as_list(operations) if o in _DELEGATING_OPERATIONS]
        allowed = cfg_strings(args.get_config(), "delegatingGrantees", DELEGATING_GRANTEES)
        if delegating and not any(fnmatchcase(str(grantee), p) for p in allowed):
            report(
                f"{where} lets {grantee} {' and '.join(delegating)}, so it can pass the key on "
                "to principals the key policy never named (or end other grants). Fix: drop "
                "those operations, or list the grantee in delegatingGrantees.",
                None,
            )
    constraints = props.get("constraints")
    if is_unknown(constraints):
        return
    for i, constraint in enumerate(as_list(constraints)):
        context = [
            pget(constraint, k) for k in ("encryptionContextEquals", "encryptionContextSubset")
        ]
        if not any(is_unknown(c) or c for c in context):
            report(
                f"{where} constraints[{i}] names no encryption context, so it constrains "
                "nothing. Fix: set encryption_context_equals or encryption_context_subset.",
                None,
            )


kms_grant_scoped = resource_policy(
    "kms-grant-scoped",
    "KMS grants do not re-delegate: CreateGrant and RetireGrant only for the grantees in "
    "delegatingGrantees (default: EC2 Auto Scaling's service-linked role, which grants EC2 use "
    "of encrypted volumes); a grant constraint names an encryption context.",
    concern=CONCERN,
    service="kms",
    severity=Severity.HIGH,
    controls=KEY_MANAGEMENT,
    validators={type_tokens.KMS_GRANT: _kms_grant},
    config_schema=PolicyConfigSchema(
        properties={
            "delegatingGrantees": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DELEGATING_GRANTEES),
                "description": "Grantee ARN patterns (fnmatch) that may hold CreateGrant or "
                "RetireGrant.",
            }
        }
    ),
)


POLICIES: list[Policy] = [
    # eks
    eks_secrets_envelope_encryption,
    # cloudwatch
    cloudwatch_log_group_cmk,
    # sns
    sns_topic_cmk,
    # sqs
    sqs_queue_cmk,
    # backup
    backup_vault_cmk,
    # secretsmanager
    secretsmanager_secret_cmk,
    # kms
    kms_key_rotation,
    kms_key_deletion_window,
    kms_key_no_lockout_bypass,
    kms_key_description,
    kms_grant_scoped,
    # amp
    amp_workspace_cmk,
    # ebs
    ebs_default_kms_key_cmk,
    # acmpca
    acmpca_certificate_authority,
]
