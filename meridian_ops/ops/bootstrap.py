"""State bootstrap: what a self-managed Pulumi backend needs in the user's account, made once.

    make bootstrap ENV=prod REGION=us-east-1 [PROFILE=deployer]
    python -m meridian_ops.ops.bootstrap --env prod --region us-east-1 \
        [--profile deployer] [--dry-run]

It makes, or brings back to the intended state:
- a KMS key (rotation on) with alias `alias/meridian-<env>-pulumi`, for the `awskms://` secrets
  provider and for the state bucket's encryption;
- an S3 state bucket `meridian-<env>-pulumi-state-<account>-<region>`: versioning on, SSE-KMS with
  that key and a bucket key, every public access block on, object ownership enforced (no ACLs), a
  bucket policy that refuses anything but TLS, and a lifecycle rule that expires noncurrent state
  versions after 90 days (keeping the last 10) and aborts stale multipart uploads.

Idempotent: every property is read first and written only if it differs; a second run reports
"nothing to change". It prints the `pulumi login` and `--secrets-provider` values to use.

It also checks, without changing anything, the prerequisite the stacks cannot make: the AWS
Secrets Manager secrets that hold the alert receivers' endpoints, which the environment manifest
names in `meridian:alerting` (stacks/alerting_settings.py). Each must exist in every region of
the environment; a missing one is printed with the command that creates it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
NONCURRENT_DAYS = 90
NONCURRENT_KEEP = 10


@dataclass(frozen=True)
class BackendNames:
    environment: str
    account_id: str
    region: str

    @property
    def bucket(self) -> str:
        return f"meridian-{self.environment}-pulumi-state-{self.account_id}-{self.region}"

    @property
    def key_alias(self) -> str:
        return f"alias/meridian-{self.environment}-pulumi"

    def login_url(self) -> str:
        return f"s3://{self.bucket}?region={self.region}"

    def secrets_provider(self) -> str:
        return f"awskms://{self.key_alias}?region={self.region}"


@dataclass
class BootstrapReport:
    changes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def change(self, what: str) -> None:
        self.changes.append(what)

    def keep(self, what: str) -> None:
        self.unchanged.append(what)


def tls_only_policy(bucket: str, partition: str = "aws") -> dict[str, Any]:
    arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def lifecycle_rules() -> list[dict[str, Any]]:
    return [
        {
            "ID": "expire-old-state-versions",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {
                "NoncurrentDays": NONCURRENT_DAYS,
                "NewerNoncurrentVersions": NONCURRENT_KEEP,
            },
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]


class Bootstrap:
    """Brings the backend to its intended state through boto3 clients (moto in tests)."""

    def __init__(self, session: Any, names: BackendNames, *, dry_run: bool = False) -> None:
        self.names = names
        self.dry_run = dry_run
        self.s3 = session.client("s3", region_name=names.region)
        self.kms = session.client("kms", region_name=names.region)
        self.report = BootstrapReport()

    def _do(self, what: str, action: Callable[[], Any]) -> Any:
        self.report.change(what)
        return None if self.dry_run else action()

    def run(self) -> BootstrapReport:
        key_arn = self.ensure_key()
        self.ensure_bucket(key_arn)
        return self.report

    # -- KMS ------------------------------------------------------------------------------------
    def _alias_target(self) -> str | None:
        paginator = self.kms.get_paginator("list_aliases")
        for page in paginator.paginate():
            for alias in page["Aliases"]:
                if alias["AliasName"] == self.names.key_alias:
                    return alias.get("TargetKeyId")
        return None

    def ensure_key(self) -> str:
        key_id = self._alias_target()
        if key_id is None:
            if self.dry_run:
                self.report.change(f"create KMS key {self.names.key_alias} with rotation on")
                return f"<new key {self.names.key_alias}>"
            created = self.kms.create_key(
                Description=f"Meridian {self.names.environment}: Pulumi state and secrets",
                KeyUsage="ENCRYPT_DECRYPT",
                KeySpec="SYMMETRIC_DEFAULT",
                Tags=[
                    {"TagKey": "managed-by", "TagValue": "meridian-bootstrap"},
                    {"TagKey": "environment", "TagValue": self.names.environment},
                ],
            )["KeyMetadata"]
            key_id = created["KeyId"]
            self.kms.create_alias(AliasName=self.names.key_alias, TargetKeyId=key_id)
            self.report.change(f"created KMS key {self.names.key_alias} ({key_id})")
        else:
            self.report.keep(f"KMS key {self.names.key_alias} exists")
        metadata = self.kms.describe_key(KeyId=key_id)["KeyMetadata"]
        if not self.kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]:
            self._do(
                "enable rotation of the state key",
                lambda: self.kms.enable_key_rotation(KeyId=key_id),
            )
        else:
            self.report.keep("key rotation on")
        return str(metadata["Arn"])

    # -- S3 -------------------------------------------------------------------------------------
    def _bucket_exists(self) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.s3.head_bucket(Bucket=self.names.bucket)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise

    def ensure_bucket(self, key_arn: str) -> None:
        bucket = self.names.bucket
        if not self._bucket_exists():
            config: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
            if self.names.region != "us-east-1":
                config["CreateBucketConfiguration"] = {"LocationConstraint": self.names.region}
            self._do(f"create bucket {bucket}", lambda: self.s3.create_bucket(**config))
            if self.dry_run:
                for what in ("versioning", "encryption", "public access block", "policy"):
                    self.report.change(f"set {what} on {bucket}")
                return
        else:
            self.report.keep(f"bucket {bucket} exists")
        self._ensure_versioning()
        self._ensure_encryption(key_arn)
        self._ensure_public_access_block()
        self._ensure_ownership()
        self._ensure_policy()
        self._ensure_lifecycle()

    def _ensure_versioning(self) -> None:
        bucket = self.names.bucket
        if self.s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled":
            self.report.keep("versioning on")
            return
        self._do(
            "turn versioning on",
            lambda: self.s3.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
            ),
        )

    def _ensure_encryption(self, key_arn: str) -> None:
        from botocore.exceptions import ClientError

        bucket = self.names.bucket
        wanted = {
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": key_arn,
            },
            "BucketKeyEnabled": True,
        }
        try:
            rules = self.s3.get_bucket_encryption(Bucket=bucket)[
                "ServerSideEncryptionConfiguration"
            ]["Rules"]
        except ClientError:
            rules = []
        current = rules[0] if rules else {}
        default = current.get("ApplyServerSideEncryptionByDefault", {})
        if (
            default.get("SSEAlgorithm") == "aws:kms"
            and default.get("KMSMasterKeyID") == key_arn
            and current.get("BucketKeyEnabled")
        ):
            self.report.keep("SSE-KMS with the state key and a bucket key")
            return
        self._do(
            "set SSE-KMS with the state key",
            lambda: self.s3.put_bucket_encryption(
                Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [wanted]}
            ),
        )

    def _ensure_public_access_block(self) -> None:
        from botocore.exceptions import ClientError

        bucket = self.names.bucket
        wanted = {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        try:
            current = self.s3.get_public_access_block(Bucket=bucket)[
                "PublicAccessBlockConfiguration"
            ]
        except ClientError:
            current = {}
        if all(current.get(k) for k in wanted):
            self.report.keep("public access blocked")
            return
        self._do(
            "block all public access",
            lambda: self.s3.put_public_access_block(
                Bucket=bucket, PublicAccessBlockConfiguration=wanted
            ),
        )

    def _ensure_ownership(self) -> None:
        from botocore.exceptions import ClientError

        bucket = self.names.bucket
        try:
            rules = self.s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"][
                "Rules"
            ]
        except ClientError:
            rules = []
        if rules and rules[0].get("ObjectOwnership") == "BucketOwnerEnforced":
            self.report.keep("object ownership enforced")
            return
        self._do(
            "enforce object ownership (ACLs off)",
            lambda: self.s3.put_bucket_ownership_controls(
                Bucket=bucket,
                OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            ),
        )

    def _ensure_policy(self) -> None:
        from botocore.exceptions import ClientError

        bucket = self.names.bucket
        wanted = tls_only_policy(bucket)
        try:
            current = json.loads(self.s3.get_bucket_policy(Bucket=bucket)["Policy"])
        except ClientError:
            current = None
        if current == wanted:
            self.report.keep("TLS-only bucket policy")
            return
        self._do(
            "set the TLS-only bucket policy",
            lambda: self.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(wanted)),
        )

    def _ensure_lifecycle(self) -> None:
        from botocore.exceptions import ClientError

        bucket = self.names.bucket
        wanted = lifecycle_rules()
        try:
            current = self.s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        except ClientError:
            current = []
        if _same_lifecycle(current, wanted):
            self.report.keep("lifecycle for old state versions")
            return
        self._do(
            f"expire state versions older than {NONCURRENT_DAYS} days (keeping {NONCURRENT_KEEP})",
            lambda: self.s3.put_bucket_lifecycle_configuration(
                Bucket=bucket, LifecycleConfiguration={"Rules": wanted}
            ),
        )


def _same_lifecycle(current: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> bool:
    # Compared by what decides when state versions go; NewerNoncurrentVersions is not compared
    # because not every S3 implementation echoes it back.
    def norm(rule: dict[str, Any]) -> tuple[Any, ...]:
        expiration = rule.get("NoncurrentVersionExpiration") or {}
        abort = rule.get("AbortIncompleteMultipartUpload") or {}
        return (
            rule.get("ID"),
            rule.get("Status"),
            expiration.get("NoncurrentDays"),
            abort.get("DaysAfterInitiation"),
        )

    return sorted(map(norm, current)) == sorted(map(norm, wanted))


def receiver_secrets(manifest: Path) -> list[str]:
    """The Secrets Manager secrets (names or ARNs) `meridian:alerting` in `manifest` names."""
    from stacks.alerting_settings import SECRET_ENDPOINTS, secret_reference
    from stacks.config.source import read_stack_file

    alerting = read_stack_file(manifest).get("meridian:alerting") or {}
    fields = [*SECRET_ENDPOINTS, "email"]
    found = (
        [secret_reference(alerting.get(f)) for f in fields] if isinstance(alerting, dict) else []
    )
    return [r for r in found if r is not None]


def missing_receiver_secrets(session: Any, region: str, secret_ids: list[str]) -> list[str]:
    """The secrets of `secret_ids` that `region` does not hold (DescribeSecret, read only)."""
    client = session.client("secretsmanager", region_name=region)
    missing: list[str] = []
    for secret_id in secret_ids:
        try:
            client.describe_secret(SecretId=secret_id)
        except client.exceptions.ResourceNotFoundException:
            missing.append(secret_id)
    return missing


def main(argv: list[str] | None = None, session: Any = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make bootstrap",
        description="Create or repair the S3 state bucket and KMS key of a self-managed backend.",
    )
    parser.add_argument("--env", required=True, help="environment: dev, staging or prod")
    parser.add_argument("--region", required=True, help="region of the bucket and key")
    parser.add_argument("--profile", help="AWS profile (default: the usual credential chain)")
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would change, change nothing"
    )
    args = parser.parse_args(argv)
    if session is None:
        import boto3

        session = boto3.Session(profile_name=args.profile)
    account = session.client("sts", region_name=args.region).get_caller_identity()["Account"]
    names = BackendNames(args.env, account, args.region)
    report = Bootstrap(session, names, dry_run=args.dry_run).run()
    for line in report.changes:
        print(("would: " if args.dry_run else "changed: ") + line)
    if not report.changes:
        print(f"nothing to change: {names.bucket} and {names.key_alias} are as intended")
    print(f"pulumi login '{names.login_url()}'")
    print(f"pulumi stack init <stack> --secrets-provider '{names.secrets_provider()}'")
    manifest = PROJECT_DIR / f"Pulumi.{args.env}-global.yaml"
    if manifest.exists():
        secrets = receiver_secrets(manifest)
        for secret_id in missing_receiver_secrets(session, args.region, secrets):
            print(
                f"missing alert receiver secret {secret_id} in {args.region}: "
                f"aws secretsmanager create-secret --region {args.region} --name {secret_id} "
                "--secret-string <endpoint> --add-replica-regions Region=<each other region>"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
