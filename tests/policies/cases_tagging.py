"""Table cases for ``policies/tagging.py`` (engine camelCase inputs, pulumi-aws 7)."""

from __future__ import annotations

import json
from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase

TAGS: dict[str, str] = {
    "owner": "platform",
    "cost-center": "cc-1234",
    "environment": "prod",
    "data-classification": "internal",
    "managed-by": "pulumi",
    "stack": "prod-us-east-1",
}
VPC = "aws:ec2/vpc:Vpc"
BUCKET = "aws:s3/bucket:Bucket"


def tags(**changes: str | None) -> dict[str, Any]:
    """TAGS with keys changed (``None`` removes a key; ``_`` in names becomes ``-``)."""
    result: dict[str, Any] = dict(TAGS)
    for key, value in changes.items():
        key = key.replace("_", "-")
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def vpc(tag_map: Any) -> dict[str, Any]:
    return {"cidrBlock": "10.128.0.0/16", "tags": tag_map}


CASES: list[PolicyCase] = [
    # required-tags
    PolicyCase("required-tags", VPC, vpc(TAGS), False, note="all-six"),
    PolicyCase("required-tags", VPC, vpc(tags(owner=None)), True, note="missing-owner"),
    PolicyCase("required-tags", VPC, {"cidrBlock": "10.0.0.0/16"}, True, note="no-tags"),
    PolicyCase(
        "required-tags",
        VPC,
        vpc(tags(managed_by=None, cost_center=None)),
        False,
        provider_props={
            "region": "us-east-1",
            "defaultTags": json.dumps({"tags": {"managed-by": "pulumi", "cost-center": "cc-1"}}),
        },
        note="completed-by-provider-default-tags",
    ),
    PolicyCase(
        "required-tags",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        {"type": "ingress", "fromPort": 443, "toPort": 443, "protocol": "tcp"},
        False,
        note="type-without-tags-input",
    ),
    PolicyCase(
        "required-tags",
        "kubernetes:core/v1:Namespace",
        {"metadata": {"name": "payments"}},
        False,
        note="not-aws",
    ),
    PolicyCase(
        "required-tags",
        VPC,
        vpc(tags(owner=None)),
        False,
        options={"protect": True},
        provider_props={"region": "us-east-1", "defaultTags": json.dumps({"tags": {"owner": "x"}})},
        note="owner-from-provider",
    ),
    PolicyCase("required-tags", BUCKET, {"bucket": "b", "tags": UNKNOWN}, False, note="unknown"),
    # allowed values
    PolicyCase("tag-environment-value", VPC, vpc(TAGS), False, note="prod"),
    PolicyCase("tag-environment-value", VPC, vpc(tags(environment="qa")), True, note="qa"),
    PolicyCase("tag-environment-value", VPC, vpc(tags(environment=None)), False, note="absent"),
    PolicyCase(
        "tag-environment-value",
        VPC,
        vpc(tags(environment=UNKNOWN)),
        False,
        note="unknown-value",
    ),
    PolicyCase("tag-data-classification-value", VPC, vpc(TAGS), False, note="internal"),
    PolicyCase(
        "tag-data-classification-value",
        VPC,
        vpc(tags(data_classification="secret")),
        True,
        note="secret",
    ),
    PolicyCase("tag-managed-by-value", VPC, vpc(TAGS), False, note="pulumi"),
    PolicyCase(
        "tag-managed-by-value", VPC, vpc(tags(managed_by="terraform")), True, note="terraform"
    ),
    # non-empty
    PolicyCase("tag-owner-non-empty", VPC, vpc(TAGS), False, note="set"),
    PolicyCase("tag-owner-non-empty", VPC, vpc(tags(owner="  ")), True, note="blank"),
    PolicyCase("tag-cost-center-non-empty", VPC, vpc(TAGS), False, note="set"),
    PolicyCase("tag-cost-center-non-empty", VPC, vpc(tags(cost_center="")), True, note="empty"),
    # AWS limits
    PolicyCase("tag-key-length", VPC, vpc({**TAGS, "k" * 128: "v"}), False, note="128"),
    PolicyCase("tag-key-length", VPC, vpc({**TAGS, "k" * 129: "v"}), True, note="129"),
    PolicyCase("tag-value-length", VPC, vpc(tags(owner="o" * 256)), False, note="256"),
    PolicyCase("tag-value-length", VPC, vpc(tags(owner="o" * 257)), True, note="257"),
    PolicyCase("tag-key-reserved-prefix", VPC, vpc(TAGS), False, note="plain"),
    PolicyCase(
        "tag-key-reserved-prefix",
        VPC,
        vpc({**TAGS, "aws:cloudformation:stack-name": "x"}),
        True,
        note="aws-prefix",
    ),
    # prod config expects environment=prod
    PolicyCase("tag-environment-matches-config", VPC, vpc(TAGS), False, note="prod"),
    PolicyCase(
        "tag-environment-matches-config",
        VPC,
        vpc(tags(environment="dev")),
        True,
        note="dev-in-prod",
    ),
]
