"""Encryption policies, data at rest: stores and volumes encrypted with a customer-managed KMS key.

S3 (SSE-KMS with Bucket Keys, a stack policy matching buckets to their configuration resources),
RDS/Aurora and Performance Insights, MSK (at rest and in transit), Keyspaces, ElastiCache, DynamoDB
and EBS (volumes and the block devices of instances, launch templates and Karpenter node classes,
whose root volume must be declared to be known encrypted). The other encryption modules:
``encryption_services`` (single-key services and KMS keys) and ``encryption_transit`` (TLS).


Unknown values (preview): resource policies read properties through pulumi_policy's proxy, which
raises ``UnknownValueError`` for a value that is unknown during preview; the analyzer then skips
the policy for that resource with an advisory diagnostic. This module never catches that error.
Checks whose inputs are usually known (booleans, enums) are read before key ARNs, which are often
outputs of a KMS key created in the same update, so a definite violation is still reported before
an unknown key ARN ends the check.
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from . import type_tokens
from .compliance import (
    ENCRYPTION_AT_REST,
    ENCRYPTION_IN_TRANSIT,
    KEY_MANAGEMENT,
)
from .declare import resource_policy, stack_policy
from .s3_matching import check_bucket_coverage, exempt_bucket_filter
from .support import (
    Finding,
    as_list,
    cfg_bool,
    cfg_strings,
    dig,
    is_unknown,
    kms_key_problem,
    merge_findings,
    pget,
    short_type,
    truthy,
)

CONCERN = "encryption"

EC2_NODE_CLASS_TYPES: Final = (
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
    "kubernetes:karpenter.k8s.aws/v1beta1:EC2NodeClass",
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


s3_bucket_sse_kms_cmk = stack_policy(
    "s3-bucket-sse-kms-cmk",
    "Every S3 bucket has default server-side encryption SSE-KMS with a customer-managed KMS "
    "key (kmsMasterKeyId is a key ARN/id, not alias/aws/s3) and S3 Bucket Keys enabled, set "
    "by an s3.BucketServerSideEncryptionConfiguration resource for that bucket.",
    concern=CONCERN,
    service="s3",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST,
    types=type_tokens.S3_BUCKET_TYPES,
    validate=_validate_s3_sse,
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
    remediation="Create s3.BucketServerSideEncryptionConfiguration(bucket=bucket.id, rules=[{"
    "apply_server_side_encryption_by_default: {sse_algorithm: 'aws:kms', "
    "kms_master_key_id: key.arn}, bucket_key_enabled: True}]).",
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


rds_storage_encrypted_cmk = resource_policy(
    "rds-storage-encrypted-cmk",
    "RDS/Aurora storage is encrypted with a customer-managed KMS key: rds.Cluster and "
    "rds.Instance have storageEncrypted = true and a CMK in kmsKeyId; rds.GlobalCluster has "
    "storageEncrypted = true.",
    concern=CONCERN,
    service="rds",
    severity=Severity.CRITICAL,
    controls=ENCRYPTION_AT_REST,
    validators={
        "aws:rds/cluster:Cluster": _rds_storage,
        "aws:rds/instance:Instance": _rds_storage,
        "aws:rds/globalCluster:GlobalCluster": _rds_global_storage,
    },
    remediation="Set storage_encrypted=True and kms_key_id=<CMK ARN> on the cluster.",
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


rds_performance_insights_cmk = resource_policy(
    "rds-performance-insights-cmk",
    "When Performance Insights is enabled on an rds.Cluster, rds.ClusterInstance or "
    "rds.Instance, its data (which includes SQL text) is encrypted with a customer-managed "
    "KMS key in performanceInsightsKmsKeyId.",
    concern=CONCERN,
    service="rds",
    severity=Severity.MEDIUM,
    controls=ENCRYPTION_AT_REST,
    validators={
        "aws:rds/cluster:Cluster": _rds_performance_insights,
        "aws:rds/clusterInstance:ClusterInstance": _rds_performance_insights,
        "aws:rds/instance:Instance": _rds_performance_insights,
    },
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


msk_encryption = resource_policy(
    "msk-encryption",
    "MSK clusters encrypt data at rest with a customer-managed KMS key "
    "(encryptionInfo.encryptionAtRestKmsKeyArn) and in transit with TLS only "
    "(encryptionInTransit.clientBroker = 'TLS', inCluster = true; unset means the AWS "
    "defaults TLS/true).",
    concern=CONCERN,
    service="msk",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST | ENCRYPTION_IN_TRANSIT,
    validators={"aws:msk/cluster:Cluster": _msk_encryption},
)


# --------------------------------------------------------------------------------------------
# Keyspaces
# --------------------------------------------------------------------------------------------


KEYSPACES_TABLE: Final = "aws:keyspaces/table:Table"
KEYSPACES_KEYSPACE: Final = "aws:keyspaces/keyspace:Keyspace"


def _multi_region_keyspaces(args: StackValidationArgs) -> set[str]:
    """Names of the stack's multi-Region keyspaces: AWS encrypts their tables only with an
    AWS-owned key ("customer managed keys are not supported for multi-Region tables", Amazon
    Keyspaces Developer Guide, multi-Region replication usage notes)."""
    names: set[str] = set()
    for resource in args.resources:
        if resource.resource_type != KEYSPACES_KEYSPACE:
            continue
        strategy = dig(resource.props, "replicationSpecification", "replicationStrategy")
        name = dig(resource.props, "name")
        if strategy == "MULTI_REGION" and isinstance(name, str):
            names.add(name)
    return names


def _validate_keyspaces_tables(args: StackValidationArgs, report: ReportViolation) -> None:
    multi_region = _multi_region_keyspaces(args)
    for resource in args.resources:
        if resource.resource_type != KEYSPACES_TABLE:
            continue
        keyspace = dig(resource.props, "keyspaceName")
        if is_unknown(keyspace) or keyspace in multi_region:
            continue  # multi-Region tables: AWS allows only its own key
        spec = dig(resource.props, "encryptionSpecification")
        spec_type = dig(spec, "type")
        if is_unknown(spec_type):
            continue
        if spec_type != "CUSTOMER_MANAGED_KMS_KEY":
            report(
                f"keyspaces.Table '{resource.name}': encryptionSpecification.type is "
                f"'{spec_type or 'AWS_OWNED_KMS_KEY (default)'}' in single-Region keyspace "
                f"'{keyspace}'. Fix: set encryptionSpecification = {{type: "
                "'CUSTOMER_MANAGED_KMS_KEY', kmsKeyIdentifier: <CMK ARN>}.",
                resource.urn,
            )
            continue
        problem = kms_key_problem(dig(spec, "kmsKeyIdentifier"))
        if problem:
            report(
                f"keyspaces.Table '{resource.name}': encryptionSpecification.kmsKeyIdentifier "
                f"{problem}. Fix: set it to the ARN of a customer-managed KMS key.",
                resource.urn,
            )


keyspaces_table_cmk = stack_policy(
    "keyspaces-table-cmk",
    "Amazon Keyspaces tables in a single-Region keyspace are encrypted with a customer-managed "
    "KMS key (encryptionSpecification.type = CUSTOMER_MANAGED_KMS_KEY with kmsKeyIdentifier). "
    "Tables of a multi-Region keyspace are exempt: AWS encrypts them only with its own key.",
    concern=CONCERN,
    service="keyspaces",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST,
    types=(type_tokens.KEYSPACES_TABLE,),
    validate=_validate_keyspaces_tables,
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


elasticache_encryption = resource_policy(
    "elasticache-encryption",
    "ElastiCache data is encrypted at rest with a customer-managed KMS key and in transit: "
    "replication groups set atRestEncryptionEnabled, transitEncryptionEnabled and kmsKeyId; "
    "serverless caches set kmsKeyId; standalone cache clusters (memcached, or Redis without "
    "a replication group) are not allowed because they cannot encrypt at rest with a CMK.",
    concern=CONCERN,
    service="elasticache",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST | ENCRYPTION_IN_TRANSIT,
    validators={
        "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache_replication_group,
        "aws:elasticache/serverlessCache:ServerlessCache": _elasticache_serverless,
        "aws:elasticache/cluster:Cluster": _elasticache_cluster,
    },
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


dynamodb_sse_cmk = resource_policy(
    "dynamodb-sse-cmk",
    "DynamoDB tables use server-side encryption with a customer-managed KMS key "
    "(serverSideEncryption.enabled = true and serverSideEncryption.kmsKeyArn set).",
    concern=CONCERN,
    service="dynamodb",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST,
    validators={"aws:dynamodb/table:Table": _dynamodb_sse},
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


def _node_class(args: ResourceValidationArgs, report: ReportViolation) -> None:
    mappings = as_list(dig(args.props, "spec", "blockDeviceMappings"))
    for index, mapping in enumerate(mappings):
        ebs = dig(mapping, "ebs")
        problems: list[str] = []
        if dig(ebs, "encrypted") is not True:
            problems.append(f"spec.blockDeviceMappings[{index}].ebs.encrypted is not true")
        problem = kms_key_problem(dig(ebs, "kmsKeyID"))
        if problem:
            problems.append(f"spec.blockDeviceMappings[{index}].ebs.kmsKeyID {problem}")
        if problems:
            device = dig(mapping, "deviceName") or f"#{index}"
            report(
                f"karpenter.EC2NodeClass '{args.name}' device {device}: {'; '.join(problems)}. "
                "Fix: set ebs.encrypted = true and ebs.kmsKeyID = the ARN of a customer-managed "
                "KMS key (the node role needs kms:CreateGrant on it).",
                None,
            )


ebs_encryption_cmk = resource_policy(
    "ebs-encryption-cmk",
    "EBS storage is encrypted with a customer-managed KMS key: ebs.Volume and the EBS block "
    "devices of ec2.LaunchTemplate / ec2.Instance (and karpenter EC2NodeClass) set "
    "encrypted = true and kmsKeyId; "
    "ebs.EncryptionByDefault, when declared, is enabled.",
    concern=CONCERN,
    service=("ebs", "ec2", "karpenter"),
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST,
    validators={
        "aws:ebs/volume:Volume": _ebs_volume,
        "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
        "aws:ec2/instance:Instance": _ec2_instance,
        "aws:ebs/encryptionByDefault:EncryptionByDefault": _encryption_by_default,
        **dict.fromkeys(EC2_NODE_CLASS_TYPES, _node_class),
    },
)


# The root device of the AMIs Meridian's nodes use (Amazon Linux, Bottlerocket: /dev/xvda;
# Ubuntu and other Debian-family AMIs: /dev/sda1). Config: rootDeviceNames.
DEFAULT_ROOT_DEVICE_NAMES: Final = ("/dev/xvda", "/dev/sda1")
_ROOT_FIX: Final = (
    "Without it the root volume comes from the AMI's snapshot with the account default "
    "encryption (if any), so nothing in the plan shows it is encrypted with the right key."
)


def _declares_root(mapping: Any, root_names: list[str], node_class: bool) -> bool:
    if dig(mapping, "noDevice") or dig(mapping, "virtualName") or dig(mapping, "ebs") is None:
        return False
    if node_class and dig(mapping, "rootVolume") is True:
        return True
    return dig(mapping, "deviceName") in root_names


def _root_volume_declared(args: ResourceValidationArgs, report: ReportViolation) -> None:
    root_names = cfg_strings(args.get_config(), "rootDeviceNames", DEFAULT_ROOT_DEVICE_NAMES)
    kind = short_type(args.resource_type)
    if args.resource_type == "aws:ec2/instance:Instance":
        if dig(args.props, "rootBlockDevice") is not None:
            return
        if dig(args.props, "launchTemplate") is not None:
            return  # the launch template declares the root volume (checked on the template)
        report(
            f"{kind} '{args.name}' does not declare rootBlockDevice. {_ROOT_FIX} Fix: set "
            "rootBlockDevice {encrypted: true, kmsKeyId: <customer-managed key ARN>, "
            "volumeType: 'gp3', volumeSize}.",
            None,
        )
        return
    node_class = args.resource_type in EC2_NODE_CLASS_TYPES
    path = "spec.blockDeviceMappings" if node_class else "blockDeviceMappings"
    mappings = as_list(
        dig(args.props, "spec", "blockDeviceMappings")
        if node_class
        else dig(args.props, "blockDeviceMappings")
    )
    if any(_declares_root(m, root_names, node_class) for m in mappings):
        return
    key = "kmsKeyID" if node_class else "kmsKeyId"
    encrypted = "true" if node_class else "'true'"
    root = "rootVolume: true" if node_class else f"deviceName: '{root_names[0]}'"
    report(
        f"{kind} '{args.name}' does not declare its root volume ({path} has no EBS entry for "
        f"{' or '.join(root_names)}{' or with rootVolume: true' if node_class else ''}). "
        f"{_ROOT_FIX} Fix: add {{{root}, ebs: {{encrypted: {encrypted}, {key}: "
        "<customer-managed key ARN>, volumeType: 'gp3', volumeSize}} to it.",
        None,
    )


root_volume_declared = resource_policy(
    "root-volume-declared",
    "EC2 instances, launch templates and Karpenter EC2NodeClasses declare their root EBS "
    "volume (rootBlockDevice; a block device mapping for the AMI's root device, config "
    "rootDeviceNames; rootVolume: true), so ebs-encryption-cmk can prove it is encrypted "
    "with a customer-managed key. An undeclared root volume is not known to be encrypted.",
    concern=CONCERN,
    service=("ec2", "karpenter"),
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST,
    validators={
        "aws:ec2/launchTemplate:LaunchTemplate": _root_volume_declared,
        "aws:ec2/instance:Instance": _root_volume_declared,
        **dict.fromkeys(EC2_NODE_CLASS_TYPES, _root_volume_declared),
    },
    config_schema=PolicyConfigSchema(
        properties={
            "rootDeviceNames": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DEFAULT_ROOT_DEVICE_NAMES),
                "description": "Device names that are the root device of the AMIs in use.",
            }
        }
    ),
)


# --------------------------------------------------------------------------------------------
# ECR, EFS, OpenSearch, Redshift
# --------------------------------------------------------------------------------------------

ECR_KMS_TYPES: Final = ("KMS", "KMS_DSSE")
"""ECR encryption types that use a KMS key (ECR API, EncryptionConfiguration: AES256, KMS,
KMS_DSSE); AES256 is S3-managed encryption, never a customer-managed key."""
OPENSEARCH_TLS12_POLICIES: Final = (
    "Policy-Min-TLS-1-2-2019-07",
    "Policy-Min-TLS-1-2-PFS-2023-10",
)
"""OpenSearch Service TLS security policies whose minimum is TLS 1.2 (OpenSearch Service API,
DomainEndpointOptions.TLSSecurityPolicy; Policy-Min-TLS-1-0-2019-07 still admits TLS 1.0)."""


def _cmk_problem(args: ResourceValidationArgs, prop: str, value: Any) -> str | None:
    problem = kms_key_problem(value)
    return f"{prop} {problem}" if problem else None


def _report_all(
    args: ResourceValidationArgs, report: ReportViolation, problems: list[str], fix: str
) -> None:
    if problems:
        report(
            f"{short_type(args.resource_type)} '{args.name}': {'; '.join(problems)}. {fix}", None
        )


def _ecr_repository(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = dig(args.props, "encryptionConfigurations")
    kind = dig(config, "encryptionType")
    problems = []
    if kind not in ECR_KMS_TYPES:
        problems.append(f"encryptionConfigurations.encryptionType is {kind!r} (default AES256)")
    else:
        problem = _cmk_problem(args, "encryptionConfigurations.kmsKey", dig(config, "kmsKey"))
        if problem:
            problems.append(f"{problem} (the AWS-managed aws/ecr key is used)")
    _report_all(
        args,
        report,
        problems,
        "Fix: set encryption_configurations=[{encryption_type: 'KMS', kms_key: <CMK ARN>}] "
        "(a repository's encryption cannot change after creation).",
    )


def _efs_file_system(args: ResourceValidationArgs, report: ReportViolation) -> None:
    problems = []
    if dig(args.props, "encrypted") is not True:
        problems.append("encrypted is not true")
    problem = _cmk_problem(args, "kmsKeyId", dig(args.props, "kmsKeyId"))
    if problem:
        problems.append(problem)
    _report_all(
        args,
        report,
        problems,
        "Fix: set encrypted=True and kms_key_id to a customer-managed key (EFS encryption at "
        "rest is chosen at creation).",
    )


def _opensearch_domain(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    problems = []
    if dig(props, "encryptAtRest", "enabled") is not True:
        problems.append("encryptAtRest.enabled is not true")
    else:
        problem = _cmk_problem(
            args, "encryptAtRest.kmsKeyId", dig(props, "encryptAtRest", "kmsKeyId")
        )
        if problem:
            problems.append(problem)
    if dig(props, "nodeToNodeEncryption", "enabled") is not True:
        problems.append("nodeToNodeEncryption.enabled is not true")
    if dig(props, "domainEndpointOptions", "enforceHttps") is not True:
        problems.append("domainEndpointOptions.enforceHttps is not true")
    policy = dig(props, "domainEndpointOptions", "tlsSecurityPolicy")
    if policy not in OPENSEARCH_TLS12_POLICIES:
        problems.append(
            f"domainEndpointOptions.tlsSecurityPolicy is {policy!r}, not a TLS 1.2 policy"
        )
    _report_all(
        args,
        report,
        problems,
        "Fix: encrypt_at_rest={enabled: True, kms_key_id: <CMK ARN>}, "
        "node_to_node_encryption={enabled: True}, domain_endpoint_options={enforce_https: True, "
        f"tls_security_policy: '{OPENSEARCH_TLS12_POLICIES[-1]}'}}.",
    )


def _redshift_cluster(args: ResourceValidationArgs, report: ReportViolation) -> None:
    problems = []
    if dig(args.props, "encrypted") is not True:
        problems.append("encrypted is not true")
    problem = _cmk_problem(args, "kmsKeyId", dig(args.props, "kmsKeyId"))
    if problem:
        problems.append(problem)
    _report_all(
        args,
        report,
        problems,
        "Fix: set encrypted=True and kms_key_id to a customer-managed key.",
    )


def _redshift_namespace(args: ResourceValidationArgs, report: ReportViolation) -> None:
    problem = _cmk_problem(args, "kmsKeyId", dig(args.props, "kmsKeyId"))
    _report_all(
        args,
        report,
        [f"{problem} (an AWS-owned key is used)"] if problem else [],
        "Fix: set kms_key_id to a customer-managed key.",
    )


ecr_repository_cmk = resource_policy(
    "ecr-repository-cmk",
    "ECR repositories encrypt images with a customer-managed KMS key "
    "(encryptionConfigurations: encryptionType KMS or KMS_DSSE with kmsKey).",
    concern=CONCERN,
    service="ecr",
    severity=Severity.MEDIUM,
    controls=ENCRYPTION_AT_REST | KEY_MANAGEMENT,
    validators={"aws:ecr/repository:Repository": _ecr_repository},
)

efs_encrypted_cmk = resource_policy(
    "efs-encrypted-cmk",
    "EFS file systems are encrypted at rest with a customer-managed KMS key (encrypted, kmsKeyId).",
    concern=CONCERN,
    service="efs",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST | KEY_MANAGEMENT,
    validators={"aws:efs/fileSystem:FileSystem": _efs_file_system},
)

opensearch_encryption = resource_policy(
    "opensearch-encryption",
    "OpenSearch domains encrypt at rest with a customer-managed key, encrypt node-to-node "
    "traffic, and accept HTTPS only with a TLS 1.2 minimum policy.",
    concern=CONCERN,
    service="opensearch",
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST | ENCRYPTION_IN_TRANSIT | KEY_MANAGEMENT,
    validators={"aws:opensearch/domain:Domain": _opensearch_domain},
)

redshift_encrypted_cmk = resource_policy(
    "redshift-encrypted-cmk",
    "Redshift clusters are encrypted with a customer-managed key (encrypted, kmsKeyId); "
    "Redshift Serverless namespaces set kmsKeyId.",
    concern=CONCERN,
    service=("redshift", "redshiftserverless"),
    severity=Severity.HIGH,
    controls=ENCRYPTION_AT_REST | KEY_MANAGEMENT,
    validators={
        "aws:redshift/cluster:Cluster": _redshift_cluster,
        "aws:redshiftserverless/namespace:Namespace": _redshift_namespace,
    },
)


POLICIES: list[Policy] = [
    # s3
    s3_bucket_sse_kms_cmk,
    # rds
    rds_storage_encrypted_cmk,
    rds_performance_insights_cmk,
    # msk
    msk_encryption,
    # keyspaces
    keyspaces_table_cmk,
    # elasticache
    elasticache_encryption,
    # dynamodb
    dynamodb_sse_cmk,
    # ebs
    ebs_encryption_cmk,
    # ec2
    root_volume_declared,
    # ecr
    ecr_repository_cmk,
    # efs
    efs_encrypted_cmk,
    # opensearch
    opensearch_encryption,
    # redshift
    redshift_encrypted_cmk,
]
