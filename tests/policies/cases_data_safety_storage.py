"""Table cases for ``policies/data_safety_storage.py``.

Props are the engine's camelCase inputs as pulumi-aws 7 sends them; ``UNKNOWN`` marks a value
that is unknown during preview. Stack cases list whole (small) stacks.
"""

from __future__ import annotations

from tests.policies.cases_common import UNKNOWN, PolicyCase
from tests.policies.cases_encryption_data import (
    AURORA_CLUSTER,
    KEY_ARN,
)
from tests.policies.fixtures_data_layer import VAULT_LOCK_CASES
from tests.policies.fixtures_data_safety import (
    BUCKET,
    DR_VAULT_ARN,
    INTERNAL_TAGS,
    LOCAL_VAULT_ARN,
    USW2,
    VAULT,
    _bucket,
    _lifecycle,
    _plan,
    _replication,
    _stack,
    _versioning,
)

APSE1 = {"region": "ap-southeast-1"}
"""A region the prod pack config pins by residency (residencyPinnedRegions)."""

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
    # prod config residencyPinnedRegions: Singapore's confidential data has no peer it may go to
    _stack(
        "s3-sensitive-bucket-replication",
        [dict(_bucket("data"), provider_props=APSE1)],
        False,
        "residency-pinned-region",
    ),
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
    _stack(
        "s3-sensitive-bucket-replication",
        [
            _bucket("data"),
            _replication(
                "data-replication", "meridian-data", "arn:aws:s3:::meridian-data-usw2", "Disabled"
            ),
        ],
        True,
        "only-rule-disabled",
    ),
    _stack(
        "s3-sensitive-bucket-replication",
        [
            _bucket("data"),
            {
                **_replication(
                    "data-replication", "meridian-data", "arn:aws:s3:::meridian-data-usw2"
                ),
                "props": {
                    **_replication(
                        "data-replication", "meridian-data", "arn:aws:s3:::meridian-data-usw2"
                    )["props"],
                    "rules": [
                        *_replication("r", "meridian-data", "arn:aws:s3:::meridian-data-usw2")[
                            "props"
                        ]["rules"],
                        {
                            **_replication(
                                "r", "meridian-data", "arn:aws:s3:::meridian-data-usw2", "Disabled"
                            )["props"]["rules"][0],
                            "id": "audit-prefix",
                            "priority": 2,
                        },
                    ],
                },
            },
        ],
        True,
        "one-rule-of-two-disabled",
    ),
    # --- s3-no-inline-replication ---------------------------------------------------------------
    PolicyCase(
        "s3-no-inline-replication",
        BUCKET,
        {"bucket": "meridian-data", "tags": {"data-classification": "confidential"}},
        False,
    ),
    PolicyCase(
        "s3-no-inline-replication",
        BUCKET,
        {
            "bucket": "meridian-data",
            "replicationConfiguration": {
                "role": "arn:aws:iam::123456789012:role/meridian-replication",
                "rules": [
                    {
                        "status": "Enabled",
                        "destination": {"bucket": "arn:aws:s3:::meridian-data-usw2"},
                    }
                ],
            },
        },
        True,
        note="inline-block",
    ),
    PolicyCase(
        "s3-no-inline-replication",
        "aws:s3/bucketV2:BucketV2",
        {
            "bucket": "meridian-data",
            "replicationConfiguration": {
                "role": "arn:aws:iam::123456789012:role/meridian-replication",
                "rules": [
                    {
                        "status": "Disabled",
                        "destination": {"bucket": "arn:aws:s3:::meridian-data-usw2"},
                    }
                ],
            },
        },
        True,
        note="bucket-v2-inline-block",
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
        "aws:secretsmanager/secret:Secret",
        {"name": "meridian/prod/us-east-1/aurora/master", "kmsKeyId": "alias/meridian-secrets"},
        True,
        note="secret-unprotected",
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
        [_plan("plan", [], provider=APSE1)],
        False,
        "residency-pinned-region-keeps-its-copies",
    ),
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

CASES += VAULT_LOCK_CASES

# --- efs-regional ---
CASES += [
    PolicyCase(
        "efs-regional",
        "aws:efs/fileSystem:FileSystem",
        {"creationToken": "meridian-shared", "encrypted": True},
        False,
    ),
    PolicyCase(
        "efs-regional",
        "aws:efs/fileSystem:FileSystem",
        {
            "creationToken": "meridian-shared",
            "encrypted": True,
            "availabilityZoneName": "us-east-1a",
        },
        True,
        note="one-zone",
    ),
]
