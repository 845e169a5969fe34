"""Encryption policies of the Meridian CrossGuard pack (issue 3, part 2).

Every policy here checks that data is encrypted at rest with a customer-managed KMS key (CMK) or
in transit with a modern TLS configuration. Resource policies read the engine's camelCase input
names (``storageEncrypted``, ``kmsKeyId``, ...) exactly as pulumi-aws 7 / pulumi-cloudflare 6
send them.

Unknown values (preview): resource policies read properties through pulumi_policy's proxy, which
raises ``UnknownValueError`` for a value that is unknown during preview; the analyzer then skips
the policy for that resource with an advisory diagnostic. This module never catches that error.
Checks whose inputs are usually known (booleans, enums) are read before key ARNs, which are often
outputs of a KMS key created in the same update, so a definite violation is still reported before
an unknown key ARN ends the check.

Stack policies see every resource at once; one unknown value must not silence the policy for the
whole stack, so they unwrap the proxy with :func:`policies.support.plain` and treat unknown values
explicitly as "cannot tell yet" (never as a violation).

Shared helpers live in ``policies.support`` (property readers, config readers, KMS key checks)
and ``policies.s3_matching`` (S3 bucket <-> configuration-resource matching). The pack imports
only ``pulumi_policy``; nothing from pulumi_aws or Meridian's components.
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .s3_matching import check_bucket_coverage, exempt_bucket_filter
from .support import (
    Finding,
    as_list,
    cfg_bool,
    cfg_number,
    cfg_strings,
    dig,
    dispatching_policy,
    is_unknown,
    kms_key_problem,
    merge_findings,
    number,
    pget,
    requires_cmk,
    short_type,
    truthy,
)

SSE_CONFIG_TYPES: Final = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)


# --------------------------------------------------------------------------------------------
# S3: SSE-KMS with a customer-managed key and S3 Bucket Keys
# --------------------------------------------------------------------------------------------

_KMS_ALGORITHMS: Final = ("aws:kms", "aws:kms:dsse")


def _sse_rule_finding(rule: Any, require_bucket_key: bool) -> Finding:
    if is_unknown(rule):
        return "unknown", []
    by_default = pget(rule, "applyServerSideEncryptionByDefault")
    algorithm = pget(by_default, "sseAlgorithm")
    key = pget(by_default, "kmsMasterKeyId")
    bucket_key = pget(rule, "bucketKeyEnabled")
    problems: list[str] = []
    unknown = False
    if by_default is None:
        problems.append("rule.applyServerSideEncryptionByDefault is not set")
    elif is_unknown(algorithm):
        unknown = True
    elif algorithm not in _KMS_ALGORITHMS:
        problems.append(
            f"applyServerSideEncryptionByDefault.sseAlgorithm is '{algorithm}', not 'aws:kms'"
        )
    if by_default is not None:
        if is_unknown(key):
            unknown = True
        else:
            key_problem = kms_key_problem(key)
            if key_problem:
                problems.append(f"applyServerSideEncryptionByDefault.kmsMasterKeyId {key_problem}")
    if require_bucket_key and algorithm != "aws:kms:dsse":
        if is_unknown(bucket_key):
            unknown = True
        elif bucket_key is not True:
            problems.append("bucketKeyEnabled is not true")
    if problems:
        return "bad", problems
    return ("unknown", []) if unknown else ("ok", [])


def _sse_config_finding(props: dict[str, Any], require_bucket_key: bool) -> Finding:
    rules = pget(props, "rules")
    if is_unknown(rules):
        return "unknown", []
    rule_list = as_list(rules)
    if not rule_list:
        return "bad", ["rules is empty"]
    return merge_findings(_sse_rule_finding(r, require_bucket_key) for r in rule_list)


def _sse_inline_finding(props: dict[str, Any], require_bucket_key: bool) -> Finding:
    block = pget(props, "serverSideEncryptionConfiguration")
    if block is None:
        return "bad", ["no serverSideEncryptionConfiguration"]
    if is_unknown(block):
        return "unknown", []
    return _sse_rule_finding(pget(block, "rule"), require_bucket_key)


def _validate_s3_sse(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    require_bucket_key = cfg_bool(config, "requireBucketKey", True)
    check_bucket_coverage(
        args,
        report,
        config_types=SSE_CONFIG_TYPES,
        applies_to=exempt_bucket_filter(cfg_strings(config, "exemptBuckets", [])),
        evaluate_config=lambda _r, p: _sse_config_finding(p, require_bucket_key),
        evaluate_inline=lambda p: _sse_inline_finding(p, require_bucket_key),
        config_message=lambda r, problems: (
            f"S3 server-side encryption configuration '{r.name}': {'; '.join(problems)}. Fix: set "
            "rules[0].applyServerSideEncryptionByDefault to sseAlgorithm 'aws:kms' with "
            "kmsMasterKeyId = the ARN of a customer-managed KMS key, and bucketKeyEnabled = true."
        ),
        missing_message=lambda b: (
            f"S3 bucket '{b.name}' has no s3.BucketServerSideEncryptionConfiguration with SSE-KMS "
            "and a customer-managed key (it falls back to SSE-S3). Fix: add an "
            "s3.BucketServerSideEncryptionConfiguration whose bucket is this bucket, with "
            "sseAlgorithm 'aws:kms', kmsMasterKeyId = a CMK ARN and bucketKeyEnabled = true."
        ),
    )


s3_bucket_sse_kms_cmk = StackValidationPolicy(
    name="s3-bucket-sse-kms-cmk",
    description=(
        "Every S3 bucket has default server-side encryption SSE-KMS with a customer-managed KMS "
        "key (kmsMasterKeyId is a key ARN/id, not alias/aws/s3) and S3 Bucket Keys enabled, set "
        "by an s3.BucketServerSideEncryptionConfiguration resource for that bucket."
    ),
    validate=_validate_s3_sse,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "requireBucketKey": {
                "type": "boolean",
                "default": True,
                "description": "Require bucketKeyEnabled = true for SSE-KMS (not for DSSE-KMS).",
            },
            "exemptBuckets": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Regular expressions (full match on the logical resource name or "
                "the bucket name) of buckets that must use SSE-S3 instead, e.g. targets of S3 "
                "server access logs or ALB/NLB access logs, which do not support SSE-KMS.",
            },
        }
    ),
    remediation_steps=(
        "Create s3.BucketServerSideEncryptionConfiguration(bucket=bucket.id, rules=[{"
        "apply_server_side_encryption_by_default: {sse_algorithm: 'aws:kms', "
        "kms_master_key_id: key.arn}, bucket_key_enabled: True}])."
    ),
    tags=["encryption", "s3"],
)


# --------------------------------------------------------------------------------------------
# RDS / Aurora
# --------------------------------------------------------------------------------------------


def _rds_storage(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    kind = short_type(args.resource_type)
    if dig(props, "storageEncrypted") is not True:
        report(
            f"{kind} '{args.name}': storageEncrypted is not true, so the database storage, "
            "backups and snapshots are unencrypted. Fix: set storageEncrypted = true and "
            "kmsKeyId = the ARN of a customer-managed KMS key (this replaces the database; "
            "migrate through an encrypted snapshot copy).",
            None,
        )
        return
    problem = kms_key_problem(dig(props, "kmsKeyId"))
    if problem:
        report(
            f"{kind} '{args.name}': kmsKeyId {problem}; storage would use the AWS-managed "
            "aws/rds key. Fix: set kmsKeyId to the ARN of a customer-managed KMS key in the "
            "database's region.",
            None,
        )


def _rds_global_storage(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if dig(props, "sourceDbClusterIdentifier"):
        return  # encryption is inherited from the source cluster, checked on that cluster
    if dig(props, "storageEncrypted") is not True:
        report(
            f"rds.GlobalCluster '{args.name}': storageEncrypted is not true. Fix: set "
            "storageEncrypted = true (every member cluster then needs its own regional CMK in "
            "kmsKeyId).",
            None,
        )


rds_storage_encrypted_cmk = dispatching_policy(
    name="rds-storage-encrypted-cmk",
    description=(
        "RDS/Aurora storage is encrypted with a customer-managed KMS key: rds.Cluster and "
        "rds.Instance have storageEncrypted = true and a CMK in kmsKeyId; rds.GlobalCluster has "
        "storageEncrypted = true."
    ),
    validators={
        "aws:rds/cluster:Cluster": _rds_storage,
        "aws:rds/instance:Instance": _rds_storage,
        "aws:rds/globalCluster:GlobalCluster": _rds_global_storage,
    },
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Set storage_encrypted=True and kms_key_id=<CMK ARN> on the cluster.",
    tags=["encryption", "rds"],
)


def _rds_performance_insights(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if dig(props, "performanceInsightsEnabled") is not True:
        return
    problem = kms_key_problem(dig(props, "performanceInsightsKmsKeyId"))
    if problem:
        report(
            f"{short_type(args.resource_type)} '{args.name}': Performance Insights is enabled but "
            f"performanceInsightsKmsKeyId {problem}; Performance Insights stores SQL text. Fix: "
            "set performanceInsightsKmsKeyId to the ARN of a customer-managed KMS key.",
            None,
        )


rds_performance_insights_cmk = dispatching_policy(
    name="rds-performance-insights-cmk",
    description=(
        "When Performance Insights is enabled on an rds.Cluster, rds.ClusterInstance or "
        "rds.Instance, its data (which includes SQL text) is encrypted with a customer-managed "
        "KMS key in performanceInsightsKmsKeyId."
    ),
    validators={
        "aws:rds/cluster:Cluster": _rds_performance_insights,
        "aws:rds/clusterInstance:ClusterInstance": _rds_performance_insights,
        "aws:rds/instance:Instance": _rds_performance_insights,
    },
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "rds"],
)


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


eks_secrets_envelope_encryption = dispatching_policy(
    name="eks-secrets-envelope-encryption",
    description=(
        "Every EKS cluster envelope-encrypts Kubernetes Secrets with a customer-managed KMS key "
        "(encryptionConfig.resources contains 'secrets' and encryptionConfig.provider.keyArn is "
        "set)."
    ),
    validators={"aws:eks/cluster:Cluster": _eks_secrets},
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "eks"],
)


# --------------------------------------------------------------------------------------------
# MSK
# --------------------------------------------------------------------------------------------


def _msk_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    in_transit = dig(props, "encryptionInfo", "encryptionInTransit")
    client_broker = dig(in_transit, "clientBroker")
    if client_broker is not None and client_broker != "TLS":
        report(
            f"msk.Cluster '{args.name}': encryptionInfo.encryptionInTransit.clientBroker is "
            f"'{client_broker}', which allows plaintext client traffic. Fix: set clientBroker "
            "= 'TLS'.",
            None,
        )
    in_cluster = dig(in_transit, "inCluster")
    if in_cluster is not None and in_cluster is not True:
        report(
            f"msk.Cluster '{args.name}': encryptionInfo.encryptionInTransit.inCluster is false, "
            "so broker-to-broker traffic is plaintext. Fix: set inCluster = true.",
            None,
        )
    problem = kms_key_problem(dig(props, "encryptionInfo", "encryptionAtRestKmsKeyArn"))
    if problem:
        report(
            f"msk.Cluster '{args.name}': encryptionInfo.encryptionAtRestKmsKeyArn {problem}; "
            "broker storage would use the AWS-managed aws/kafka key. Fix: set it to the ARN of "
            "a customer-managed KMS key.",
            None,
        )


msk_encryption = dispatching_policy(
    name="msk-encryption",
    description=(
        "MSK clusters encrypt data at rest with a customer-managed KMS key "
        "(encryptionInfo.encryptionAtRestKmsKeyArn) and in transit with TLS only "
        "(encryptionInTransit.clientBroker = 'TLS', inCluster = true; unset means the AWS "
        "defaults TLS/true)."
    ),
    validators={"aws:msk/cluster:Cluster": _msk_encryption},
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "msk"],
)


# --------------------------------------------------------------------------------------------
# Keyspaces
# --------------------------------------------------------------------------------------------


def _keyspaces_table(args: ResourceValidationArgs, report: ReportViolation) -> None:
    spec = dig(args.props, "encryptionSpecification")
    spec_type = dig(spec, "type")
    if spec_type != "CUSTOMER_MANAGED_KMS_KEY":
        report(
            f"keyspaces.Table '{args.name}': encryptionSpecification.type is "
            f"'{spec_type or 'AWS_OWNED_KMS_KEY (default)'}'. Fix: set encryptionSpecification "
            "= {type: 'CUSTOMER_MANAGED_KMS_KEY', kmsKeyIdentifier: <CMK ARN>}.",
            None,
        )
        return
    problem = kms_key_problem(dig(spec, "kmsKeyIdentifier"))
    if problem:
        report(
            f"keyspaces.Table '{args.name}': encryptionSpecification.kmsKeyIdentifier {problem}. "
            "Fix: set it to the ARN of a customer-managed KMS key.",
            None,
        )


keyspaces_table_cmk = dispatching_policy(
    name="keyspaces-table-cmk",
    description=(
        "Amazon Keyspaces tables are encrypted with a customer-managed KMS key "
        "(encryptionSpecification.type = CUSTOMER_MANAGED_KMS_KEY with kmsKeyIdentifier)."
    ),
    validators={"aws:keyspaces/table:Table": _keyspaces_table},
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "keyspaces"],
)


# --------------------------------------------------------------------------------------------
# ElastiCache
# --------------------------------------------------------------------------------------------


def _elasticache_replication_group(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if dig(props, "atRestEncryptionEnabled") is not True:
        report(
            f"elasticache.ReplicationGroup '{args.name}': atRestEncryptionEnabled is not true. "
            "Fix: set atRestEncryptionEnabled = true with kmsKeyId = a customer-managed KMS key "
            "(replaces the group).",
            None,
        )
    if dig(props, "transitEncryptionEnabled") is not True:
        report(
            f"elasticache.ReplicationGroup '{args.name}': transitEncryptionEnabled is not true, "
            "clients can connect without TLS. Fix: set transitEncryptionEnabled = true.",
            None,
        )
    mode = dig(props, "transitEncryptionMode")
    if mode is not None and mode != "required":
        report(
            f"elasticache.ReplicationGroup '{args.name}': transitEncryptionMode is '{mode}', "
            "which still accepts plaintext connections. Fix: set transitEncryptionMode = "
            "'required' once clients use TLS.",
            None,
        )
    problem = kms_key_problem(dig(props, "kmsKeyId"))
    if problem:
        report(
            f"elasticache.ReplicationGroup '{args.name}': kmsKeyId {problem}. Fix: set kmsKeyId "
            "to the ARN of a customer-managed KMS key.",
            None,
        )


def _elasticache_serverless(args: ResourceValidationArgs, report: ReportViolation) -> None:
    problem = kms_key_problem(dig(args.props, "kmsKeyId"))
    if problem:
        report(
            f"elasticache.ServerlessCache '{args.name}': kmsKeyId {problem}; data would be "
            "encrypted with an AWS-owned key. Fix: set kmsKeyId to the ARN of a customer-managed "
            "KMS key.",
            None,
        )


def _elasticache_cluster(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if dig(props, "replicationGroupId"):
        return  # a member of a replication group: encryption is set on the group
    engine = dig(props, "engine")
    if engine == "memcached":
        report(
            f"elasticache.Cluster '{args.name}': engine 'memcached' has no at-rest encryption "
            "with a customer-managed key. Fix: use an elasticache.ReplicationGroup (Redis OSS or "
            "Valkey) with atRestEncryptionEnabled, transitEncryptionEnabled and kmsKeyId, or an "
            "elasticache.ServerlessCache with kmsKeyId.",
            None,
        )
        return
    report(
        f"elasticache.Cluster '{args.name}': a standalone {engine or 'cache'} cluster cannot "
        "enable at-rest encryption with a customer-managed key. Fix: create an "
        "elasticache.ReplicationGroup with atRestEncryptionEnabled, transitEncryptionEnabled and "
        "kmsKeyId (and set replicationGroupId here if you need explicit members).",
        None,
    )


elasticache_encryption = dispatching_policy(
    name="elasticache-encryption",
    description=(
        "ElastiCache data is encrypted at rest with a customer-managed KMS key and in transit: "
        "replication groups set atRestEncryptionEnabled, transitEncryptionEnabled and kmsKeyId; "
        "serverless caches set kmsKeyId; standalone cache clusters (memcached, or Redis without "
        "a replication group) are not allowed because they cannot encrypt at rest with a CMK."
    ),
    validators={
        "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache_replication_group,
        "aws:elasticache/serverlessCache:ServerlessCache": _elasticache_serverless,
        "aws:elasticache/cluster:Cluster": _elasticache_cluster,
    },
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "elasticache"],
)


# --------------------------------------------------------------------------------------------
# DynamoDB
# --------------------------------------------------------------------------------------------


def _dynamodb_sse(args: ResourceValidationArgs, report: ReportViolation) -> None:
    sse = dig(args.props, "serverSideEncryption")
    if dig(sse, "enabled") is not True:
        report(
            f"dynamodb.Table '{args.name}': serverSideEncryption.enabled is not true, the table "
            "uses an AWS-owned key. Fix: set serverSideEncryption = {enabled: true, kmsKeyArn: "
            "<CMK ARN>}.",
            None,
        )
        return
    problem = kms_key_problem(dig(sse, "kmsKeyArn"))
    if problem:
        report(
            f"dynamodb.Table '{args.name}': serverSideEncryption.kmsKeyArn {problem}; without it "
            "the AWS-managed aws/dynamodb key is used. Fix: set kmsKeyArn to the ARN of a "
            "customer-managed KMS key (for global tables, one per replica region).",
            None,
        )


dynamodb_sse_cmk = dispatching_policy(
    name="dynamodb-sse-cmk",
    description=(
        "DynamoDB tables use server-side encryption with a customer-managed KMS key "
        "(serverSideEncryption.enabled = true and serverSideEncryption.kmsKeyArn set)."
    ),
    validators={"aws:dynamodb/table:Table": _dynamodb_sse},
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "dynamodb"],
)


# --------------------------------------------------------------------------------------------
# EBS
# --------------------------------------------------------------------------------------------


def _ebs_volume(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if dig(props, "encrypted") is not True:
        report(
            f"ebs.Volume '{args.name}': encrypted is not true. Fix: set encrypted = true and "
            "kmsKeyId = the ARN of a customer-managed KMS key (replaces the volume).",
            None,
        )
    problem = kms_key_problem(dig(props, "kmsKeyId"))
    if problem:
        report(
            f"ebs.Volume '{args.name}': kmsKeyId {problem}; the volume would use the "
            "AWS-managed aws/ebs key. Fix: set kmsKeyId to a customer-managed KMS key ARN.",
            None,
        )


def _block_device_problems(label: str, ebs: Any) -> list[str]:
    problems: list[str] = []
    if not truthy(dig(ebs, "encrypted")):
        problems.append(f"{label}.encrypted is not true")
    problem = kms_key_problem(dig(ebs, "kmsKeyId"))
    if problem:
        problems.append(f"{label}.kmsKeyId {problem}")
    return problems


def _launch_template(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for index, mapping in enumerate(as_list(dig(args.props, "blockDeviceMappings"))):
        if dig(mapping, "noDevice") or dig(mapping, "virtualName"):
            continue  # suppressed device or instance store
        ebs = dig(mapping, "ebs")
        if ebs is None:
            continue
        problems = _block_device_problems(f"blockDeviceMappings[{index}].ebs", ebs)
        if problems:
            device = dig(mapping, "deviceName") or f"#{index}"
            report(
                f"ec2.LaunchTemplate '{args.name}' device {device}: {'; '.join(problems)}. Fix: "
                "set ebs.encrypted = 'true' and ebs.kmsKeyId = the ARN of a customer-managed KMS "
                "key on every EBS block device mapping.",
                None,
            )


def _ec2_instance(args: ResourceValidationArgs, report: ReportViolation) -> None:
    devices: list[tuple[str, Any]] = []
    root = dig(args.props, "rootBlockDevice")
    if root is not None:
        devices.append(("rootBlockDevice", root))
    for index, device in enumerate(as_list(dig(args.props, "ebsBlockDevices"))):
        devices.append((f"ebsBlockDevices[{index}]", device))
    for label, device in devices:
        problems = _block_device_problems(label, device)
        if problems:
            report(
                f"ec2.Instance '{args.name}': {'; '.join(problems)}. Fix: set encrypted = true and "
                "kmsKeyId = the ARN of a customer-managed KMS key on every EBS device.",
                None,
            )


def _encryption_by_default(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if dig(args.props, "enabled") is False:
        report(
            f"ebs.EncryptionByDefault '{args.name}': enabled is false, new EBS volumes in this "
            "region would be unencrypted. Fix: set enabled = true (the default).",
            None,
        )


ebs_encryption_cmk = dispatching_policy(
    name="ebs-encryption-cmk",
    description=(
        "EBS storage is encrypted with a customer-managed KMS key: ebs.Volume and the EBS block "
        "devices of ec2.LaunchTemplate / ec2.Instance set encrypted = true and kmsKeyId; "
        "ebs.EncryptionByDefault, when declared, is enabled."
    ),
    validators={
        "aws:ebs/volume:Volume": _ebs_volume,
        "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
        "aws:ec2/instance:Instance": _ec2_instance,
        "aws:ebs/encryptionByDefault:EncryptionByDefault": _encryption_by_default,
    },
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "ebs"],
)


# --------------------------------------------------------------------------------------------
# Single-key services: CloudWatch Logs, SNS, SQS, Backup, Secrets Manager
# --------------------------------------------------------------------------------------------


cloudwatch_log_group_cmk = dispatching_policy(
    name="cloudwatch-log-group-cmk",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key (kmsKeyId).",
    validators={
        "aws:cloudwatch/logGroup:LogGroup": requires_cmk(
            "cloudwatch.LogGroup",
            "kmsKeyId",
            "log events are encrypted with a service key only",
        )
    },
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.ADVISORY,
    tags=["encryption", "logging"],
)


sns_topic_cmk = dispatching_policy(
    name="sns-topic-cmk",
    description=(
        "SNS topics use server-side encryption with a customer-managed KMS key "
        "(kmsMasterKeyId, not alias/aws/sns)."
    ),
    validators={
        "aws:sns/topic:Topic": requires_cmk(
            "sns.Topic", "kmsMasterKeyId", "messages are stored without CMK encryption"
        )
    },
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.ADVISORY,
    tags=["encryption", "messaging"],
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


sqs_queue_cmk = dispatching_policy(
    name="sqs-queue-cmk",
    description=(
        "SQS queues use SSE-KMS with a customer-managed key (kmsMasterKeyId); SQS-managed SSE "
        "(sqsManagedSseEnabled) alone is not enough."
    ),
    validators={"aws:sqs/queue:Queue": _sqs_queue},
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.ADVISORY,
    tags=["encryption", "messaging"],
)


backup_vault_cmk = dispatching_policy(
    name="backup-vault-cmk",
    description=(
        "AWS Backup vaults encrypt recovery points with a customer-managed KMS key (kmsKeyArn)."
    ),
    validators={
        "aws:backup/vault:Vault": requires_cmk(
            "backup.Vault",
            "kmsKeyArn",
            "recovery points would use the AWS-managed aws/backup key",
        )
    },
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "backup"],
)


secretsmanager_secret_cmk = dispatching_policy(
    name="secretsmanager-secret-cmk",
    description=(
        "Secrets Manager secrets are encrypted with a customer-managed KMS key (kmsKeyId, not "
        "alias/aws/secretsmanager)."
    ),
    validators={
        "aws:secretsmanager/secret:Secret": requires_cmk(
            "secretsmanager.Secret",
            "kmsKeyId",
            "the secret would use the AWS-managed aws/secretsmanager key, which cannot be shared "
            "across accounts or audited separately",
        )
    },
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "secrets"],
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


kms_key_rotation = dispatching_policy(
    name="kms-key-rotation",
    description=(
        "Symmetric customer-managed KMS keys have automatic rotation enabled "
        "(enableKeyRotation = true)."
    ),
    validators={"aws:kms/key:Key": _kms_rotation},
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    tags=["encryption", "kms"],
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


kms_key_deletion_window = dispatching_policy(
    name="kms-key-deletion-window",
    description=(
        "KMS keys keep a deletion waiting period of at least N days (deletionWindowInDays, "
        "default N = 7; unset means the AWS default of 30)."
    ),
    validators={"aws:kms/key:Key": _kms_deletion_window},
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
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
    tags=["encryption", "kms"],
)


# --------------------------------------------------------------------------------------------
# CloudFront
# --------------------------------------------------------------------------------------------

CLOUDFRONT_PROTOCOL_ORDER: Final = (
    "SSLv3",
    "TLSv1",
    "TLSv1_2016",
    "TLSv1.1_2016",
    "TLSv1.2_2018",
    "TLSv1.2_2019",
    "TLSv1.2_2021",
    "TLSv1.2_2025",
    "TLSv1.3_2025",
)
_HTTPS_VIEWER_POLICIES: Final = ("redirect-to-https", "https-only")
_WEAK_ORIGIN_PROTOCOLS: Final = ("SSLv3", "TLSv1", "TLSv1.1")


def _protocol_rank(version: Any) -> int:
    return CLOUDFRONT_PROTOCOL_ORDER.index(version) if version in CLOUDFRONT_PROTOCOL_ORDER else -1


def _cloudfront(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    config = args.get_config()
    minimum = str(config.get("minimumProtocolVersion") or "TLSv1.2_2021")
    allow_default_cert = cfg_bool(config, "allowDefaultCertificate", False)
    name = args.name

    behaviors: list[tuple[str, Any]] = [
        ("defaultCacheBehavior", dig(props, "defaultCacheBehavior"))
    ]
    for index, behavior in enumerate(as_list(dig(props, "orderedCacheBehaviors"))):
        behaviors.append((f"orderedCacheBehaviors[{index}]", behavior))
    for label, behavior in behaviors:
        policy = dig(behavior, "viewerProtocolPolicy")
        if behavior is not None and policy not in _HTTPS_VIEWER_POLICIES:
            report(
                f"cloudfront.Distribution '{name}': {label}.viewerProtocolPolicy is '{policy}', "
                "viewers can use plain HTTP. Fix: set viewerProtocolPolicy = 'redirect-to-https' "
                "(or 'https-only').",
                None,
            )

    for index, origin in enumerate(as_list(dig(props, "origins"))):
        custom = dig(origin, "customOriginConfig")
        if custom is None:
            continue  # S3 (OAC/OAI) and VPC origins are reached over HTTPS
        origin_policy = dig(custom, "originProtocolPolicy")
        if origin_policy != "https-only":
            report(
                f"cloudfront.Distribution '{name}': origins[{index}].customOriginConfig."
                f"originProtocolPolicy is '{origin_policy}'. Fix: set originProtocolPolicy = "
                "'https-only' so CloudFront never talks to the origin over HTTP.",
                None,
            )
        weak = [str(p) for p in as_list(dig(custom, "originSslProtocols"))]
        weak = [p for p in weak if p in _WEAK_ORIGIN_PROTOCOLS]
        if weak:
            report(
                f"cloudfront.Distribution '{name}': origins[{index}].customOriginConfig."
                f"originSslProtocols allows {weak}. Fix: set originSslProtocols = ['TLSv1.2'].",
                None,
            )

    certificate = dig(props, "viewerCertificate")
    if dig(certificate, "cloudfrontDefaultCertificate") is True:
        if not allow_default_cert:
            report(
                f"cloudfront.Distribution '{name}': viewerCertificate.cloudfrontDefaultCertificate "
                "is true; the *.cloudfront.net certificate accepts TLSv1 and cannot enforce a "
                "minimum protocol version. Fix: use an ACM certificate (acmCertificateArn, "
                f"sslSupportMethod 'sni-only') with minimumProtocolVersion >= '{minimum}'.",
                None,
            )
        return
    version = dig(certificate, "minimumProtocolVersion")
    if _protocol_rank(version) < _protocol_rank(minimum):
        report(
            f"cloudfront.Distribution '{name}': viewerCertificate.minimumProtocolVersion is "
            f"'{version}', older than '{minimum}'. Fix: set minimumProtocolVersion = '{minimum}' "
            "or newer.",
            None,
        )


cloudfront_tls = dispatching_policy(
    name="cloudfront-tls",
    description=(
        "CloudFront distributions use HTTPS end to end: viewerCertificate.minimumProtocolVersion "
        ">= TLSv1.2_2021 with a custom certificate (the default *.cloudfront.net certificate only "
        "where allowDefaultCertificate is configured), every cache behavior redirects to or "
        "requires HTTPS, and custom origins are reached with originProtocolPolicy 'https-only' "
        "over TLSv1.2."
    ),
    validators={"aws:cloudfront/distribution:Distribution": _cloudfront},
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumProtocolVersion": {
                "type": "string",
                "enum": list(CLOUDFRONT_PROTOCOL_ORDER[4:]),
                "default": "TLSv1.2_2021",
                "description": "Oldest acceptable viewerCertificate.minimumProtocolVersion.",
            },
            "allowDefaultCertificate": {
                "type": "boolean",
                "default": False,
                "description": "Allow the default *.cloudfront.net certificate (dev only).",
            },
        }
    ),
    tags=["encryption", "edge"],
)


# --------------------------------------------------------------------------------------------
# Cloudflare zone TLS settings
# --------------------------------------------------------------------------------------------


def _cloudflare_zone_setting(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    setting = dig(props, "settingId")
    if setting not in ("min_tls_version", "ssl", "always_use_https"):
        return
    value = dig(props, "value")
    config = args.get_config()
    if setting == "min_tls_version":
        minimum = str(config.get("minimumTlsVersion") or "1.2")
        current = number(value)
        if current is None or current < (number(minimum) or 1.2):
            report(
                f"cloudflare.ZoneSetting '{args.name}': min_tls_version value is '{value}'. Fix: "
                f"set value = '{minimum}' (or '1.3').",
                None,
            )
    elif setting == "ssl":
        allowed = cfg_strings(config, "allowedSslModes", ["strict"])
        if value not in allowed:
            report(
                f"cloudflare.ZoneSetting '{args.name}': ssl value is '{value}', so Cloudflare "
                "talks to the origin without (validated) TLS. Fix: set value = 'strict' (Full "
                "(strict)) with a trusted origin certificate.",
                None,
            )
    elif value != "on":
        report(
            f"cloudflare.ZoneSetting '{args.name}': always_use_https value is '{value}'. Fix: "
            "set value = 'on' so HTTP requests are redirected to HTTPS.",
            None,
        )


cloudflare_zone_tls = dispatching_policy(
    name="cloudflare-zone-tls",
    description=(
        "Cloudflare zone TLS settings (cloudflare.ZoneSetting) are strict: min_tls_version >= "
        "1.2, ssl = 'strict' (Full (strict)) and always_use_https = 'on'."
    ),
    validators={"cloudflare:index/zoneSetting:ZoneSetting": _cloudflare_zone_setting},
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumTlsVersion": {
                "type": "string",
                "enum": ["1.2", "1.3"],
                "default": "1.2",
            },
            "allowedSslModes": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["strict"],
            },
        }
    ),
    tags=["encryption", "edge"],
)


# --------------------------------------------------------------------------------------------
# Load balancer listeners
# --------------------------------------------------------------------------------------------

DEFAULT_ALLOWED_SSL_POLICIES: Final = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
)
_PASSTHROUGH_PROTOCOLS: Final = ("TCP", "UDP", "TCP_UDP", "GENEVE")


def _lb_listener(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    config = args.get_config()
    protocol = dig(props, "protocol")
    name = args.name
    if protocol in ("HTTPS", "TLS"):
        allowed = cfg_strings(config, "allowedSslPolicies", DEFAULT_ALLOWED_SSL_POLICIES)
        policy = dig(props, "sslPolicy")
        if policy not in allowed:
            report(
                f"lb.Listener '{name}': {protocol} listener sslPolicy is "
                f"{repr(policy) if policy else 'not set (AWS default ELBSecurityPolicy-2016-08)'}, "
                "not a TLS 1.2+/1.3 policy. Fix: set sslPolicy = "
                "'ELBSecurityPolicy-TLS13-1-2-2021-06' (or a stricter TLS13 policy).",
                None,
            )
        return
    if protocol in _PASSTHROUGH_PROTOCOLS:
        if not cfg_bool(config, "allowTcpPassthrough", True):
            report(
                f"lb.Listener '{name}': protocol '{protocol}' does not terminate TLS. Fix: use "
                "protocol 'TLS' with a certificateArn and a TLS13 sslPolicy.",
                None,
            )
        return
    # HTTP (or unset, which defaults to HTTP on an ALB): only an HTTPS redirect is allowed.
    actions = as_list(dig(props, "defaultActions"))
    redirect_only = bool(actions) and all(
        dig(a, "type") == "redirect" and dig(a, "redirect", "protocol") == "HTTPS" for a in actions
    )
    if not redirect_only:
        report(
            f"lb.Listener '{name}': plaintext {protocol or 'HTTP'} listener serves traffic. Fix: "
            "make every defaultActions entry type 'redirect' with redirect.protocol = 'HTTPS' "
            "and statusCode 'HTTP_301', and serve content on an HTTPS listener.",
            None,
        )


lb_listener_tls = dispatching_policy(
    name="lb-listener-tls",
    description=(
        "ALB/NLB listeners terminate TLS with a modern policy (HTTPS/TLS listeners use "
        "ELBSecurityPolicy-TLS13-1-2-2021-06 or stricter) and HTTP listeners only redirect to "
        "HTTPS. TCP/UDP pass-through (TLS terminated by the Istio gateway) is allowed unless "
        "allowTcpPassthrough is false."
    ),
    validators={
        "aws:lb/listener:Listener": _lb_listener,
        "aws:alb/listener:Listener": _lb_listener,
    },
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedSslPolicies": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DEFAULT_ALLOWED_SSL_POLICIES),
            },
            "allowTcpPassthrough": {"type": "boolean", "default": True},
        }
    ),
    tags=["encryption", "network"],
)


POLICIES: list[Policy] = [
    s3_bucket_sse_kms_cmk,
    rds_storage_encrypted_cmk,
    rds_performance_insights_cmk,
    eks_secrets_envelope_encryption,
    msk_encryption,
    keyspaces_table_cmk,
    elasticache_encryption,
    dynamodb_sse_cmk,
    ebs_encryption_cmk,
    cloudwatch_log_group_cmk,
    sns_topic_cmk,
    sqs_queue_cmk,
    backup_vault_cmk,
    secretsmanager_secret_cmk,
    kms_key_rotation,
    kms_key_deletion_window,
    cloudfront_tls,
    cloudflare_zone_tls,
    lb_listener_tls,
]
