"""Delivery policies: build runners that act on the platform run inside it, hardened.

A CodeBuild project (the in-VPC deploy runner of each region) runs in a VPC (subnets and security
groups set), never in privileged mode (no Docker daemon with root on the host), encrypts with a
customer-managed KMS key (not the AWS-managed ``alias/aws/s3`` default) and keeps its build logs
(CloudWatch or S3 logs not both disabled).
"""

from __future__ import annotations

from functools import partial
from typing import Final

from pulumi_policy import (
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .support import as_list, get, label, make_policy

CONCERN = "delivery"

_resource_policy = partial(make_policy, ResourceValidationPolicy, tags=[CONCERN])

CODEBUILD_PROJECT: Final = "aws:codebuild/project:Project"


def _codebuild_hardened(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CODEBUILD_PROJECT:
        return
    where = label(args.resource_type, args.name)
    props = args.props
    vpc = get(props, "vpcConfig")
    if not vpc or not as_list(get(vpc, "subnets")) or not as_list(get(vpc, "securityGroupIds")):
        report(
            f"{where} runs outside a VPC (vpcConfig with subnets and securityGroupIds), so its "
            "builds cannot reach private endpoints and leave through CodeBuild's shared network. "
            "Fix: set vpcConfig to the private subnets and a security group of its own.",
            None,
        )
    if get(get(props, "environment"), "privilegedMode") is True:
        report(
            f"{where} runs privileged (environment.privilegedMode): a build gets a Docker daemon "
            "with root on its host. Fix: set privilegedMode = false (build images elsewhere).",
            None,
        )
    key = get(props, "encryptionKey")
    if not key or str(key).endswith("alias/aws/s3"):
        report(
            f"{where} encrypts with the AWS-managed key (encryptionKey unset or alias/aws/s3). "
            "Fix: set encryptionKey to a customer-managed KMS key.",
            None,
        )
    logs = get(props, "logsConfig")
    cloudwatch = get(get(logs, "cloudwatchLogs"), "status")
    s3 = get(get(logs, "s3Logs"), "status")
    if cloudwatch == "DISABLED" and s3 != "ENABLED":
        report(
            f"{where} keeps no build logs (logsConfig.cloudwatchLogs DISABLED, no S3 logs). "
            "Fix: set logsConfig.cloudwatchLogs {status: ENABLED, groupName: <an encrypted, "
            "retained log group>}.",
            None,
        )


POLICIES: list[Policy] = [
    _resource_policy(
        "codebuild-project-hardened",
        "CodeBuild projects run in a VPC, not privileged, encrypted with a customer-managed key, "
        "with build logs on.",
        _codebuild_hardened,
        Severity.HIGH,
    ),
]
