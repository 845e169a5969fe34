"""IAM document helpers shared by every component: Allow statements, policy documents, and the
trust policy of a role that one AWS service assumes.

Example::

    role = aws.iam.Role("replicator", assume_role_policy=service_trust_policy(
        "kafka.amazonaws.com", condition={"StringEquals": {"aws:SourceAccount": account_id}}))
    aws.iam.RolePolicy("replicator-access", role=role.id,
                       policy=policy_document([statement(["kafka-cluster:Connect"], cluster_arn)]))
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
