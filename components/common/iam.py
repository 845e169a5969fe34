"""IAM document helpers shared by every component: Allow statements (one for a KMS key used only
through one AWS service), policy documents, and the trust policy of a role that one AWS service
assumes.

Example::

    role = aws.iam.Role("replicator", assume_role_policy=service_trust_policy(
        "kafka.amazonaws.com", condition={"StringEquals": {"aws:SourceAccount": account_id}}))
    aws.iam.RolePolicy("replicator-access", role=role.id,
                       policy=policy_document([statement(["kafka-cluster:Connect"], cluster_arn)]))
    key_use_through(["kms:Decrypt"], key_arn, scope.service_endpoint("s3"), sid="KeyThroughS3")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

POLICY_VERSION = "2012-10-17"


def statement(
    actions: Sequence[str],
    resources: pulumi.Input[str] | Sequence[pulumi.Input[str]],
    *,
    sid: str | None = None,
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One IAM Allow statement (resources may be Outputs; render with `policy_document`)."""
    body: dict[str, Any] = {
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": (
            list(resources)
            if isinstance(resources, Sequence) and not isinstance(resources, str)
            else resources
        ),
    }
    if sid:
        body["Sid"] = sid
    if condition:
        body["Condition"] = condition
    return body


def key_use_through(
    actions: Sequence[str], key_arn: pulumi.Input[str], service_endpoint: str, *, sid: str
) -> dict[str, Any]:
    """Allow `actions` on one KMS key only when one AWS service calls KMS on the caller's behalf
    (`kms:ViaService`, the service's regional endpoint `<service>.<region>.amazonaws.com`, as
    `AwsScope.service_endpoint` gives it): the key decrypts what that service stores and nothing
    the caller hands KMS directly."""
    return statement(
        actions,
        key_arn,
        sid=sid,
        condition={"StringEquals": {"kms:ViaService": service_endpoint}},
    )


def deny_insecure_transport(
    actions: str | Sequence[str], resource: Any, sid: str = "DenyInsecureTransport"
) -> dict[str, Any]:
    """A resource-policy statement refusing `actions` on `resource` to anyone over plain HTTP
    (`aws:SecureTransport` false): the TLS-only rule of every bucket, queue and topic policy."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def policy_document(statements: Sequence[dict[str, Any]]) -> pulumi.Output[str]:
    """An IAM policy document as JSON text; statements may hold Outputs."""
    return pulumi.Output.json_dumps({"Version": POLICY_VERSION, "Statement": list(statements)})


def service_trust_statement(
    service: str,
    *,
    action: str | Sequence[str] = "sts:AssumeRole",
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The statement that lets one AWS service principal assume a role. `condition` pins the
    caller (aws:SourceAccount, aws:SourceArn, sts:ExternalId) against the confused deputy."""
    body: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": action if isinstance(action, str) else list(action),
    }
    if condition:
        body["Condition"] = condition
    return body


def service_trust_policy(
    service: str,
    *,
    action: str | Sequence[str] = "sts:AssumeRole",
    condition: dict[str, Any] | None = None,
) -> pulumi.Output[str]:
    """The trust (assume-role) policy of a role that exactly one AWS service assumes."""
    return policy_document([service_trust_statement(service, action=action, condition=condition)])
