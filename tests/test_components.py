"""Component contracts: argument validation, names, key policies, retention tiers."""

from __future__ import annotations

import ipaddress

import pytest

from components.common.naming import Names, region_code
from components.common.scope import AwsScope
from components.common.tagging import required_tags_transform
from components.foundation.keyring import SERVICE_SCOPES, KeyClass, KeyRingArgs, key_policy
from components.foundation.log_archive import LogArchiveArgs, lifecycle_transitions
from components.foundation.network import NetworkArgs


def test_region_codes() -> None:
    assert [
        region_code(r) for r in ("us-east-1", "ap-southeast-1", "eu-central-2", "me-south-1")
    ] == ["use1", "apse1", "euc2", "mes1"]


def test_physical_names_are_dns_safe_and_bounded() -> None:
    names = Names("prod", "ap-southeast-1")
    assert names.physical("logs", "123456789012") == "meridian-prod-apse1-logs-123456789012"
    long = names.physical("x" * 80)
    assert len(long) == 63 and long == names.physical("x" * 80)
    assert Names("dev").kms_alias("logs") == "alias/meridian/dev/global/logs"


def test_network_args_validate() -> None:
    ok = dict(
        names=Names("dev", "us-east-1"),
        cidr=ipaddress.IPv4Network("10.0.0.0/20"),
        flow_log_destination_arn="arn:aws:s3:::b",
    )
    with pytest.raises(ValueError, match="3-4 availability zones"):
        NetworkArgs(availability_zones=["a", "b"], **ok)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="distinct"):
        NetworkArgs(availability_zones=["a", "a", "b"], **ok)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a private range"):
        NetworkArgs(
            names=Names("dev", "us-east-1"),
            cidr=ipaddress.IPv4Network("8.8.0.0/16"),
            availability_zones=["a", "b", "c"],
            flow_log_destination_arn="x",
        )


def test_every_key_class_is_scoped_to_its_services() -> None:
    args = KeyRingArgs(
        names=Names("prod", "eu-west-1"),
        scope=AwsScope(account_id="111122223333", region="eu-west-1"),
    )
    for key_class in KeyClass:
        policy = key_policy(args, key_class)
        use = next(s for s in policy["Statement"] if s["Sid"] == "UseThroughScopedServices")
        assert use["Condition"]["StringEquals"]["kms:CallerAccount"] == "111122223333"
        assert use["Condition"]["StringEquals"]["kms:ViaService"] == [
            f"{svc}.eu-west-1.amazonaws.com" for svc in SERVICE_SCOPES[key_class]
        ]
    logs = key_policy(args, KeyClass.LOGS)
    assert any(
        s["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"} for s in logs["Statement"]
    )
    with pytest.raises(ValueError):
        KeyRingArgs(
            names=Names("prod"),
            scope=AwsScope(account_id="1", region="eu-west-1"),
            deletion_window_days=3,
        )


def test_retention_tiers_respect_s3_minimums() -> None:
    assert lifecycle_transitions(30, 365) == [
        {"days": 30, "storage_class": "STANDARD_IA"},
        {"days": 365, "storage_class": "GLACIER"},
    ]
    # Standard-IA needs objects 30 days old: a shorter hot tier goes to Glacier Instant Retrieval
    assert lifecycle_transitions(7, 30)[0] == {"days": 7, "storage_class": "GLACIER_IR"}
    assert lifecycle_transitions(30, 30) == [{"days": 30, "storage_class": "STANDARD_IA"}]
    with pytest.raises(ValueError, match="retention tiers"):
        LogArchiveArgs(
            names=Names("dev", "us-east-1"),
            bucket_name="meridian-x",
            kms_key_arn="k",
            scope=AwsScope(account_id="1", region="us-east-1"),
            hot_days=40,
            warm_days=30,
            cold_days=90,
        )


def test_tag_transform_needs_every_required_tag() -> None:
    with pytest.raises(ValueError, match="cost-center"):
        required_tags_transform(
            {
                "owner": "x",
                "environment": "dev",
                "data-classification": "internal",
                "managed-by": "pulumi",
                "stack": "dev-global",
            }
        )
