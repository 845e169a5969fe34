"""A secure bucket's policy is a known document in preview as well as in up, so the pack's
principal checks (no-wildcard-principal) refuse a bad grant at `pulumi preview` instead of
skipping it as "unknown during preview".

The bucket ARN is built from the bucket's name and partition (S3 bucket ARNs carry neither region
nor account); the statements the caller adds see that ARN.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.common.buckets import SecureBucketSpec, secure_bucket
from meridian_ops.plan.engine import run_stack
from tests.plans import planned
from tests.policies.cases_common import UNKNOWN
from tests.policies.harness import evaluate

MODES = pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_NAME = "meridian-dev-use1-probe-123456789012"


def _open_to_everyone(arn: str) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "EveryoneReads",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{arn}/*",
        }
    ]


def _bucket_plan(preview: bool) -> dict[str, Any]:
    def program() -> None:
        holder = pulumi.ComponentResource("meridian:probe:Holder", "holder")
        secure_bucket(
            holder,
            "probe",
            SecureBucketSpec(
                bucket_name=BUCKET_NAME,
                kms_key_arn=None,
                partition="aws",
                extra_statements=_open_to_everyone,
            ),
        )

    run = run_stack(
        "dev-us-east-1", {"aws:region": "us-east-1"}, program, preview=preview, validate=False
    )
    return {"steps": [step.to_preview_json() for step in run.steps]}


@MODES
def test_a_wildcard_principal_grant_on_a_secure_bucket_is_refused(preview: bool) -> None:
    plan = _bucket_plan(preview)
    (policy,) = [s for s in plan["steps"] if s["newState"]["type"] == BUCKET_POLICY]
    assert UNKNOWN not in str(policy["newState"]["inputs"]["policy"])
    found = [v for v in evaluate(plan, "prod") if v.policy == "no-wildcard-principal"]
    assert found, "no-wildcard-principal did not run on the bucket policy"
    assert not any(v.unknown for v in found), [v.message for v in found]
    assert any("EveryoneReads" in v.message for v in found)


def test_every_bucket_policy_of_the_dev_preview_is_known() -> None:
    policies = [
        (stack, step["newState"])
        for stack, plan in planned("dev", preview=True).items()
        for step in plan["steps"]
        if step["newState"]["type"] == BUCKET_POLICY
    ]
    assert policies
    unknown = [
        f"{stack}: {state['urn'].split('::')[-1]}"
        for stack, state in policies
        if UNKNOWN in str(state["inputs"].get("policy"))
    ]
    assert not unknown, f"bucket policies unknown in preview: {unknown}"
