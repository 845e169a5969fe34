"""State bootstrap against moto: creates everything once, changes nothing the second time, and
repairs what someone changed by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from meridian_ops.ops.bootstrap import (
    NONCURRENT_DAYS,
    PROJECT_DIR,
    BackendNames,
    Bootstrap,
    main,
    missing_receiver_secrets,
    receiver_secrets,
    tls_only_policy,
)

REGION = "eu-west-1"


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def names(session: boto3.Session) -> BackendNames:
    account = session.client("sts").get_caller_identity()["Account"]
    return BackendNames("prod", account, REGION)


def test_first_run_creates_a_secure_backend(session: boto3.Session) -> None:
    n = names(session)
    report = Bootstrap(session, n).run()
    assert report.changes
    s3 = session.client("s3")
    bucket = n.bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["BucketKeyEnabled"] is True
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == tls_only_policy(bucket)
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == NONCURRENT_DAYS
    kms = session.client("kms")
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    key_id = aliases[n.key_alias]["TargetKeyId"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    key_arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key_arn


def test_second_run_changes_nothing_and_says_so(
    session: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    Bootstrap(session, names(session)).run()
    again = Bootstrap(session, names(session)).run()
    assert again.changes == []
    assert main(["--env", "prod", "--region", REGION], session=session) == 0
    out = capsys.readouterr().out
    assert "nothing to change" in out
    assert f"pulumi login 's3://{names(session).bucket}?region={REGION}'" in out
    assert f"awskms://alias/meridian-prod-pulumi?region={REGION}" in out


def test_a_hand_made_change_is_repaired(session: boto3.Session) -> None:
    n = names(session)
    Bootstrap(session, n).run()
    s3 = session.client("s3")
    s3.delete_bucket_policy(Bucket=n.bucket)
    s3.put_bucket_versioning(Bucket=n.bucket, VersioningConfiguration={"Status": "Suspended"})
    report = Bootstrap(session, n).run()
    assert report.changes == ["turn versioning on", "set the TLS-only bucket policy"]
    assert s3.get_bucket_versioning(Bucket=n.bucket)["Status"] == "Enabled"


def test_dry_run_changes_nothing(session: boto3.Session) -> None:
    n = names(session)
    report = Bootstrap(session, n, dry_run=True).run()
    assert any("create bucket" in c for c in report.changes)
    assert session.client("s3").list_buckets()["Buckets"] == []
    assert session.client("kms").list_keys()["Keys"] == []


def test_missing_alert_receiver_secrets_are_named_with_their_fix(
    session: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped prod manifest names its receivers' Secrets Manager secrets; bootstrap reports
    each one the region lacks, with the command that creates it, and stops reporting it once it
    exists."""
    expected = [f"meridian/prod/alerting/{f}" for f in ("pager", "ticket", "email")]
    assert receiver_secrets(PROJECT_DIR / "Pulumi.prod-global.yaml") == expected
    assert main(["--env", "prod", "--region", REGION], session=session) == 0
    out = capsys.readouterr().out
    for secret in expected:
        assert f"missing alert receiver secret {secret} in {REGION}" in out
        assert f"create-secret --region {REGION} --name {secret} " in out
    client = session.client("secretsmanager", region_name=REGION)
    client.create_secret(Name=expected[0], SecretString="https://example.invalid/x")
    assert missing_receiver_secrets(session, REGION, expected) == expected[1:]
