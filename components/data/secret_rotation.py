"""DatabaseSecretRotation: rotates one database credential in Secrets Manager on a schedule.

The rotation function is AWS's own single-user template from the Serverless Application
Repository, the one the Secrets Manager console and aws-cdk's `SecretRotation` deploy, pinned per
partition in stacks/versions.py. It runs in the database's VPC:

- its own security group, allowed out only to the database's port and to the VPC's interface
  endpoints (Secrets Manager and KMS, reached privately: the template's `endpoint` is the public
  hostname, which the endpoint's private DNS answers inside the VPC), and admitted by the
  database's security group;
- its log group created first, encrypted with the logs key and retained (Lambda would otherwise
  create `/aws/lambda/<function>` itself, unencrypted and kept forever);
- the template's role may use the secret's key (`kmsKeyArn`).

The secret must hold the template's JSON: engine, host, port, dbname, username, password.
Rotation starts on the schedule, not at creation (`rotate_immediately=False`): Secrets Manager
then tests the configuration (the function's testSecret step) instead of changing the password
during the first `up`. A failed or abandoned rotation (CloudTrail service events
`RotationFailed`/`RotationAbandoned` of Secrets Manager) goes to the alert topic given; the old
password stays current, so it is a ticket (P3), not a page.

Example::

    DatabaseSecretRotation("aurora-rotation", DatabaseSecretRotationArgs(
        names=names, what="aurora-rotation", application=AURORA_ROTATION_APPLICATION,
        semantic_version=AURORA_ROTATION_VERSIONS["aws"], secret_arn=secret.arn,
        secret_key_arn=keys.arn(KeyClass.SECRETS), vpc_id=vpc_id, subnet_ids=data_subnets,
        database_security_group_id=db_sg.id, port=5432,
        endpoint_security_group_id=network.endpoint_security_group_id,
        logs_key_arn=keys.arn(KeyClass.LOGS), log_retention_days=30, rotation_days=30,
        alert_topic_arn=alerts.arns["P3"], region="us-east-1", partition="aws"), opts=child)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.naming import Names
from components.data.access import database_client_rules

SAR_PUBLISHERS: dict[str, str] = {
    # The accounts and home regions AWS publishes the rotation templates from, per partition
    # (aws-cdk-lib SecretRotationApplication.applicationArnForPartition).
    "aws": "arn:aws:serverlessrepo:us-east-1:297356227824",
    "aws-cn": "arn:aws-cn:serverlessrepo:cn-north-1:193023089310",
    "aws-us-gov": "arn:aws-us-gov:serverlessrepo:us-gov-west-1:023102451235",
}
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY")
"""The template creates the function's role and the permission Secrets Manager invokes it with."""
FAILURE_EVENTS = ("RotationFailed", "RotationAbandoned")


def application_arn(application: str, partition: str) -> str:
    if partition not in SAR_PUBLISHERS:
        raise ValueError(
            f"no rotation templates are published in partition {partition!r}; "
            f"known: {', '.join(SAR_PUBLISHERS)}"
        )
    return f"{SAR_PUBLISHERS[partition]}:applications/{application}"


def failure_pattern() -> dict[str, object]:
    """EventBridge pattern of a rotation that failed or was abandoned, for any secret of the
    region (CloudTrail records these as service events of Secrets Manager)."""
    return {
        "source": ["aws.secretsmanager"],
        "detail-type": ["AWS Service Event via CloudTrail"],
        "detail": {
            "eventSource": ["secretsmanager.amazonaws.com"],
            "eventName": list(FAILURE_EVENTS),
        },
    }


@dataclass(frozen=True)
class DatabaseSecretRotationArgs:
    names: Names
    what: str
    """Names the function, its security group and log group (e.g. `aurora-rotation`)."""
    application: str
    semantic_version: str
    secret_arn: pulumi.Input[str]
    secret_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    database_security_group_id: pulumi.Input[str]
    port: int
    endpoint_security_group_id: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    rotation_days: int
    region: str
    partition: str
    alert_topic_arn: pulumi.Input[str] | None = None
    """Where failed rotations are reported (None: nowhere)."""
    ready: Sequence[pulumi.Resource] = ()
    """What must exist before the schedule is set, whose test step reaches the database: the
    secret's value and the database's instances."""


class DatabaseSecretRotation(pulumi.ComponentResource):
    """A secret's rotation schedule and the VPC function that carries it out."""

    function_arn: pulumi.Output[str]
    rotation: aws.secretsmanager.SecretRotation
    security_group: aws.ec2.SecurityGroup
    log_group: aws.cloudwatch.LogGroup
    """The function's log group (`/aws/lambda/<function>`)."""

    def __init__(
        self,
        name: str,
        args: DatabaseSecretRotationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("meridian:data:DatabaseSecretRotation", name, None, opts)
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        function_name = names.physical(args.what, max_length=64)

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=names.physical(args.what),
            description=f"{args.what}: the rotation function; out to the database and endpoints",
            vpc_id=args.vpc_id,
            tags={"Name": names.display(args.what)},
            opts=child,
        )
        network = database_client_rules(
            name,
            client_group_id=self.security_group.id,
            database_group_id=args.database_security_group_id,
            port=args.port,
            endpoint_group_id=args.endpoint_security_group_id,
            admitted_as=f"{name}-db-from-rotation",
            purpose=f"{args.what}: changes the password in the database",
            opts=child,
        )
        self.log_group = log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        subnets = pulumi.Output.from_input(args.subnet_ids).apply(
            lambda ids: ",".join(str(i) for i in ids)
        )
        stack = aws.serverlessrepository.CloudFormationStack(
            f"{name}-function",
            name=function_name,
            application_id=application_arn(args.application, args.partition),
            semantic_version=args.semantic_version,
            capabilities=list(CAPABILITIES),
            parameters={
                "functionName": function_name,
                "endpoint": f"https://secretsmanager.{args.region}.amazonaws.com",
                "vpcSubnetIds": subnets,
                "vpcSecurityGroupIds": self.security_group.id,
                "kmsKeyArn": args.secret_key_arn,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, *network]),
        )
        self.function_arn = stack.outputs.apply(lambda outputs: outputs["RotationLambdaARN"])
        self.rotation = aws.secretsmanager.SecretRotation(
            f"{name}-schedule",
            secret_id=args.secret_arn,
            rotation_lambda_arn=self.function_arn,
            rotation_rules={"automatically_after_days": args.rotation_days},
            rotate_immediately=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.ready)),
        )
        if args.alert_topic_arn is not None:
            rule = aws.cloudwatch.EventRule(
                f"{name}-failures",
                name=names.physical(args.what, "failed", max_length=64),
                description="Secrets Manager rotations that failed or were abandoned (P3)",
                event_pattern=json.dumps(failure_pattern()),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-failures-target",
                rule=rule.name,
                arn=args.alert_topic_arn,
                opts=child,
            )
        self.register_outputs(
            {"functionArn": self.function_arn, "rotationDays": args.rotation_days}
        )
