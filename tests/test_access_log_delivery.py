"""S3 server access log delivery on the planned graph of dev, staging (the AWS edge) and prod:
every access-log target's bucket policy lets S3's logging service (`logging.s3.amazonaws.com`)
write for exactly the buckets that log into it (`aws:SourceArn`, each a bucket's ARN) and for
their account (`aws:SourceAccount`), the two conditions of the S3 User Guide's bucket policy for
server access log delivery. A source missing would lose its logs (S3 is denied); a source too
many (or none named) lets any bucket of the account write into the target."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.outputs import RegionalKey
from tests.plans import name_of, planned, states

LOG_DELIVERY = "logging.s3.amazonaws.com"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ENVIRONMENTS = ("dev", "staging", "prod")


def delivery_statement(policy: str) -> dict[str, Any] | None:
    """The statement of a bucket policy that lets S3 server access logging write, if any."""
    found = [
        s
        for s in json.loads(policy)["Statement"]
        if s["Effect"] == "Allow" and s.get("Principal", {}).get("Service") == LOG_DELIVERY
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def admitted(statement: dict[str, Any]) -> set[str]:
    value = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    return {value} if isinstance(value, str) else set(value)


def targets(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Bucket name -> the log delivery statement of its policy (up mode: names are known)."""
    out: dict[str, dict[str, Any]] = {}
    for policy in states(plan, BUCKET_POLICY):
        statement = delivery_statement(policy["inputs"]["policy"])
        if statement is not None:
            out[policy["inputs"]["bucket"]] = statement
    return out


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_log_target_admits_exactly_the_buckets_logging_into_it(env: str) -> None:
    for stack, plan in planned(env).items():
        logged: dict[str, set[str]] = {}
        for logging in states(plan, BUCKET_LOGGING):
            inputs = logging["inputs"]
            logged.setdefault(inputs["targetBucket"], set()).add(f"arn:aws:s3:::{inputs['bucket']}")
        found = targets(plan)
        assert set(found) == set(logged), stack
        account = plan["outputs"].get(RegionalKey.ACCOUNT_ID)
        for target, statement in found.items():
            assert admitted(statement) == logged[target], (stack, target)
            assert statement["Action"] == "s3:PutObject"
            assert statement["Resource"] == f"arn:aws:s3:::{target}/*"
            assert set(statement["Condition"]["StringEquals"]) == {"aws:SourceAccount"}
            if account is not None:
                assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == account


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_log_delivery_conditions_are_known_in_preview(env: str) -> None:
    """A preview shows the same delivery statements as an up (the sources are names, not ids)."""
    up, preview = planned(env, False), planned(env, True)
    for stack, plan in preview.items():
        before = {
            name_of(p): delivery_statement(p["inputs"]["policy"])
            for p in states(up[stack], BUCKET_POLICY)
        }
        after = {
            name_of(p): delivery_statement(p["inputs"]["policy"])
            for p in states(plan, BUCKET_POLICY)
        }
        assert after == before, stack
        assert any(s is not None for s in after.values()) or stack.endswith("-edge"), stack
