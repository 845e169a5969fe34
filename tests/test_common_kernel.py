"""The shared kernel (components/common): AwsScope's ARNs and the key policy's fixed shape."""

from __future__ import annotations

import pytest

from components.common.kms import KEY_ADMIN_ACTIONS, account_use_statement, key_policy
from components.common.scope import AwsScope


def test_aws_scope_builds_arns_of_its_account_partition_and_region() -> None:
    scope = AwsScope(account_id="123456789012", region="cn-north-1", partition="aws-cn")
    assert scope.arn("sns", "alerts") == "arn:aws-cn:sns:cn-north-1:123456789012:alerts"
    assert scope.arn("iam", "role/x", region="") == "arn:aws-cn:iam::123456789012:role/x"
    assert scope.root == "arn:aws-cn:iam::123456789012:root"
    assert scope.service_endpoint("kms") == "kms.cn-north-1.amazonaws.com"
    assert (
        scope.in_region("cn-northwest-1")
        .arn("sqs", "q")
        .startswith("arn:aws-cn:sqs:cn-northwest-1:123456789012:")
    )


def test_aws_scope_refuses_an_empty_part() -> None:
    with pytest.raises(ValueError, match="account"):
        AwsScope(account_id="", region="us-east-1")


def test_every_key_policy_starts_with_the_accounts_administration() -> None:
    use = account_use_statement("aws", "1", "Use", ["s3.us-east-1.amazonaws.com"], ["kms:Decrypt"])
    policy = key_policy("aws", "1", [use])
    admin, second = policy["Statement"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::1:root"}
    assert admin["Action"] == list(KEY_ADMIN_ACTIONS)
    assert second["Condition"]["StringEquals"] == {
        "kms:CallerAccount": "1",
        "kms:ViaService": ["s3.us-east-1.amazonaws.com"],
    }
