"""Table cases for ``policies/data_safety_storage.py``.

Props are the engine's camelCase inputs as pulumi-aws 7 sends them; ``UNKNOWN`` marks a value
that is unknown during preview. Stack cases list whole (small) stacks.
"""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase
from tests.policies.cases_encryption_data import (
    AURORA_CLUSTER,
    KEY_ARN,
    TAGS,
)

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
USE1 = {"region": "us-east-1"}
USW2 = {"region": "us-west-2"}
DR_VAULT_ARN = "arn:aws:backup:us-west-2:123456789012:backup-vault:meridian-prod-dr"
LOCAL_VAULT_ARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:meridian-prod"
REPLICATION_ROLE = "arn:aws:iam::123456789012:role/meridian-s3-replication"
INTERNAL_TAGS = dict(TAGS, **{"data-classification": "internal"})


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = dict(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _stack(policy: str, stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase(policy, "", {}, violates, stack=stack, note=note)


def _bucket(name: str, tags: dict[str, str] | None = None, bucket: str = "") -> dict[str, Any]:
    return {
        "type": BUCKET,
        "name": name,
        "props": {"bucket": bucket or f"meridian-{name}", "tags": tags or TAGS},
        "provider_props": USE1,
    }


def _versioning(
    name: str, bucket: str, status: str = "Enabled", parent: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": VERSIONING,
        "name": name,
        "props": {"bucket": bucket, "versioningConfiguration": {"status": status}},
    }
    if parent is not None:
        entry["parent"] = parent
    return entry


def _replication(
    name: str, bucket: str, destination: str, status: str = "Enabled"
) -> dict[str, Any]:
    return {
        "type": REPLICATION,
        "name": name,
        "props": {
            "bucket": bucket,
            "role": REPLICATION_ROLE,
            "rules": [
                {
                    "id": "dr",
                    "status": status,
                    "filter": {},
                    "deleteMarkerReplication": {"status": "Enabled"},
                    "destination": {
                        "bucket": destination,
                        "storageClass": "STANDARD",
                        "encryptionConfiguration": {"replicaKmsKeyId": KEY_ARN},
                    },
                    "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
                }
            ],
        },
        "provider_props": USE1,
    }


def _lifecycle(name: str, bucket: str, *, expire: bool = True) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": "retention", "status": "Enabled", "filter": {}}
    if expire:
        rule["expiration"] = {"days": 400}
        rule["transitions"] = [{"days": 30, "storageClass": "STANDARD_IA"}]
    else:
        rule["abortIncompleteMultipartUpload"] = {"daysAfterInitiation": 7}
    return {"type": LIFECYCLE, "name": name, "props": {"bucket": bucket, "rules": [rule]}}


def _plan(name: str, copy_to: list[str], provider: dict[str, str] = USE1) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "ruleName": "daily",
        "targetVaultName": "meridian-prod",
        "schedule": "cron(0 5 ? * * *)",
        "lifecycle": {"deleteAfter": 35},
    }
    if copy_to:
        rule["copyActions"] = [
            {"destinationVaultArn": arn, "lifecycle": {"deleteAfter": 35}} for arn in copy_to
        ]
    return {
        "type": PLAN,
        "name": name,
        "props": {"name": "meridian-prod", "rules": [rule], "tags": TAGS},
        "provider_props": provider,
    }


MSK_SERVER_PROPERTIES = "\n".join(
    [
        "auto.create.topics.enable=false",
        "default.replication.factor=3",
        "min.insync.replicas=2",
        "num.partitions=6",
        "unclean.leader.election.enable=false",
    ]
)

DYNAMODB_TABLE: dict[str, Any] = {
    "name": "meridian-idempotency",
    "billingMode": "PAY_PER_REQUEST",
    "hashKey": "pk",
    "attributes": [{"name": "pk", "type": "S"}],
    "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN},
    "pointInTimeRecovery": {"enabled": True},
    "deletionProtectionEnabled": True,
    "tags": TAGS,
}

KEYSPACES_TABLE: dict[str, Any] = {
    "keyspaceName": "meridian",
    "tableName": "events",
    "schemaDefinition": {
        "columns": [{"name": "id", "type": "uuid"}],
        "partitionKeys": [{"name": "id"}],
    },
    "encryptionSpecification": {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyIdentifier": KEY_ARN},
    "pointInTimeRecovery": {"status": "ENABLED"},
}


CASES: list[PolicyCase] = [
    # --- s3-bucket-versioning (stack) ----------------------------------------------------------
    _stack(
        "s3-bucket-versioning",
        [_bucket("data"), _versioning("data-versioning", "meridian-data")],
        False,
        "enabled",
    ),
    _stack(
        "s3-bucket-versioning",
        [_bucket("data"), _versioning("data-versioning", UNKNOWN, parent="data")],
        False,
        "bucket-unknown-matched-by-parent",
    ),
    _stack(
        "s3-bucket-versioning",
        [_bucket("data"), _versioning("data-versioning", "meridian-data", status=UNKNOWN)],
        False,
        "status-unknown",
    ),
    _stack("s3-bucket-versioning", [_bucket("data")], True, "no-versioning"),
    _stack(
        "s3-bucket-versioning",
        [_bucket("data"), _versioning("data-versioning", "meridian-data", status="Suspended")],
        True,
        "suspended",
    ),
    # --- s3-sensitive-bucket-replication (stack) -----------------------------------------------
    _stack(
        "s3-sensitive-bucket-replication",
        [
            _bucket("data"),
            _replication("data-replication", "meridian-data", "arn:aws:s3:::meridian-data-usw2"),
        ],
        False,
        "replicated",
    ),
    _stack(
        "s3-sensitive-bucket-replication",
        [_bucket("scratch", tags=INTERNAL_TAGS)],
        False,
        "internal-bucket-not-in-scope",
    ),
    _stack(
        "s3-sensitive-bucket-replication",
        [{"type": BUCKET, "name": "data", "props": {"bucket": "meridian-data", "tags": UNKNOWN}}],
        False,
        "tags-unknown-in-preview",
    ),
    _stack("s3-sensitive-bucket-replication", [_bucket("data")], True, "confidential-unreplicated"),
    _stack(
        "s3-sensitive-bucket-replication",
        [
            _bucket("data"),
            _bucket("data-copy", tags=INTERNAL_TAGS),
            _replication("data-replication", "meridian-data", "arn:aws:s3:::meridian-data-copy"),
        ],
        True,
        "replica-in-same-region",
    ),
    # --- s3-log-bucket-lifecycle (stack) -------------------------------------------------------
    _stack(
        "s3-log-bucket-lifecycle",
        [
            _bucket("access-logs", tags=INTERNAL_TAGS),
            _lifecycle("access-logs-lifecycle", "meridian-access-logs"),
        ],
        False,
        "log-bucket-with-expiration",
    ),
    _stack(
        "s3-log-bucket-lifecycle",
        [_bucket("data")],
        False,
        "data-bucket-not-in-scope",
    ),
    _stack(
        "s3-log-bucket-lifecycle",
        [_bucket("data"), _lifecycle("data-lifecycle", "meridian-data", expire=False)],
        False,
        "data-bucket-lifecycle-not-judged",
    ),
    _stack(
        "s3-log-bucket-lifecycle",
        [_bucket("access-logs", tags=INTERNAL_TAGS)],
        True,
        "log-bucket-without-lifecycle",
    ),
    _stack(
        "s3-log-bucket-lifecycle",
        [
            _bucket("access-logs", tags=INTERNAL_TAGS),
            _lifecycle("access-logs-lifecycle", "meridian-access-logs", expire=False),
        ],
        True,
        "lifecycle-without-expiration",
    ),
    # --- stateful-resources-protected ----------------------------------------------------------
    PolicyCase(
        "stateful-resources-protected",
        "aws:rds/cluster:Cluster",
        AURORA_CLUSTER,
        False,
        options={"protect": True},
    ),
    PolicyCase(
        "stateful-resources-protected",
        "aws:rds/cluster:Cluster",
        AURORA_CLUSTER,
        True,
        options={"protect": False},
        note="cluster-unprotected",
    ),
    PolicyCase(
        "stateful-resources-protected",
        "aws:kms/key:Key",
        {"description": "meridian data", "enableKeyRotation": True},
        True,
        note="kms-key-unprotected",
    ),
    PolicyCase(
        "stateful-resources-protected",
        "aws:sqs/queue:Queue",
        {"name": "meridian-jobs", "kmsMasterKeyId": KEY_ARN},
        False,
        note="stateless-type-not-in-scope",
    ),
    # --- backup-plan-cross-region-copy (stack) -------------------------------------------------
    _stack(
        "backup-plan-cross-region-copy",
        [_plan("plan", [DR_VAULT_ARN])],
        False,
        "copies-to-us-west-2",
    ),
    _stack("backup-plan-cross-region-copy", [_plan("plan", [])], True, "no-copy-action"),
    _stack(
        "backup-plan-cross-region-copy",
        [_plan("plan", [LOCAL_VAULT_ARN])],
        True,
        "copy-in-same-region",
    ),
    _stack(
        "backup-plan-cross-region-copy",
        [_plan("plan", [UNKNOWN])],
        False,
        "destination-unknown-in-preview",
    ),
    _stack(
        "backup-plan-cross-region-copy",
        [
            {
                "type": VAULT,
                "name": "dr-vault",
                "props": {"name": "meridian-prod-dr", "kmsKeyArn": KEY_ARN},
                "provider_props": USW2,
            },
            dict(_plan("plan", [UNKNOWN]), propertyDependencies={"rules": ["dr-vault"]}),
        ],
        False,
        "destination-vault-in-this-program",
    ),
    _stack(
        "backup-plan-cross-region-copy",
        [
            {
                "type": VAULT,
                "name": "dr-vault",
                "props": {"name": "meridian-prod-dr", "kmsKeyArn": KEY_ARN},
                "provider_props": USW2,
            },
            _plan("plan", [DR_VAULT_ARN], provider=USW2),
        ],
        True,
        "plan-in-dr-region-copies-to-itself",
    ),
]
