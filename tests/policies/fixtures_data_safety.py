"""Shared fixtures of the data-safety policy cases (databases and storage): resource types,
property sets and small builders, in the engine's camelCase inputs as pulumi-aws 7 sends them."""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import PolicyCase
from tests.policies.cases_encryption_data import KEY_ARN, TAGS

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
