"""KeyRing: one customer-managed KMS key per data class in a region, each usable only through the
AWS services that store that class of data.

Example::

    ring = KeyRing("keys", KeyRingArgs(names=Names("prod", "us-east-1"),
                       scope=AwsScope(account_id="123456789012", region="us-east-1")),
                   opts=pulumi.ResourceOptions(provider=aws_us_east_1))
    bucket_key_arn = ring.arn(KeyClass.STORAGE)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.kms import (
    KEY_GRANT_ACTIONS,
    KEY_USE_ACTIONS,
    account_use_statement,
    service_use_statement,
)
from components.common.kms import key_policy as shared_key_policy
from components.common.moves import moved_type
from components.common.naming import Names
from components.common.scope import AwsScope


class KeyClass(StrEnum):
    """The data classes Meridian encrypts under separate keys."""

    LOGS = "logs"
    STORAGE = "storage"
    DATABASES = "databases"
    STREAMING = "streaming"
    COMPUTE = "compute"
    SECRETS = "secrets"
    BACKUPS = "backups"


SERVICE_SCOPES: Mapping[KeyClass, tuple[str, ...]] = {
    KeyClass.LOGS: ("logs", "s3"),
    KeyClass.STORAGE: ("s3",),
    KeyClass.DATABASES: ("rds", "cassandra", "dynamodb", "elasticache"),
    KeyClass.STREAMING: ("kafka", "sns", "sqs"),
    KeyClass.COMPUTE: ("ec2", "eks", "ecr"),
    KeyClass.SECRETS: ("secretsmanager", "ssm"),
    KeyClass.BACKUPS: ("backup",),
}
"""The AWS services (kms:ViaService prefixes) that may use each key on the account's behalf."""

GRANT_OPERATIONS: tuple[str, ...] = (
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "DescribeKey",
    "CreateGrant",
)
"""What `KeyRing.grant_use` lets its grantee do (KMS grant operation names). CreateGrant is there
because the grantees are service roles that attach encrypted resources: EC2 Auto Scaling's
service-linked role must create a grant for EC2 on every volume it launches ("Required AWS KMS key
policy for use with encrypted volumes", EC2 Auto Scaling user guide,
https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html:
Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*, DescribeKey and CreateGrant); without it every
instance of a group with an encrypted root volume fails to launch. A grantee can only pass on a
subset of its own grant's operations."""


@dataclass(frozen=True)
class KeyRingArgs:
    names: Names
    scope: AwsScope
    """The account, partition and region the keys live in (and are usable from)."""
    deletion_window_days: int = 30
    key_classes: Sequence[KeyClass] = field(default_factory=lambda: tuple(KeyClass))
    protect: bool = True
    """Keys are protected: deleting one makes every object encrypted under it unreadable."""

    def __post_init__(self) -> None:
        if not 7 <= self.deletion_window_days <= 30:
            raise ValueError("deletion_window_days must be between 7 and 30")
        if not self.key_classes:
            raise ValueError("a KeyRing needs at least one key class")


def customer_key(
    name: str,
    *,
    description: str,
    policy: Mapping[str, Any],
    alias: str,
    display_name: str,
    deletion_window_days: int,
    protect: bool,
    parent: pulumi.Resource,
    region: str | None = None,
) -> aws.kms.Key:
    """A symmetric customer-managed key, rotated yearly, and its alias: every Meridian key (the
    KeyRing's, and the purpose-built ones of the trail, the alert topics and the replicas)."""
    key = aws.kms.Key(
        name,
        description=description,
        key_usage="ENCRYPT_DECRYPT",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=deletion_window_days,
        bypass_policy_lockout_safety_check=False,
        policy=json.dumps(policy),
        region=region,
        tags={"Name": display_name},
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    aws.kms.Alias(
        f"{name}-alias",
        name=alias,
        target_key_id=key.key_id,
        region=region,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return key


def key_policy(args: KeyRingArgs, key_class: KeyClass) -> dict[str, Any]:
    """The key policy: administration by the account, use only through the class's services."""
    scope = args.scope
    account, partition = scope.account_id, scope.partition
    statements: list[dict[str, Any]] = [
        account_use_statement(
            partition,
            account,
            "UseThroughScopedServices",
            [scope.service_endpoint(service) for service in SERVICE_SCOPES[key_class]],
            [*KEY_USE_ACTIONS, *KEY_GRANT_ACTIONS],
        )
    ]
    if key_class is KeyClass.LOGS:
        statements += [
            # Not DescribeKey: its requests carry no encryption context, so under this condition
            # it would never be allowed (kms:EncryptionContext:* applies to the cryptographic
            # operations only; AWS KMS condition keys reference).
            service_use_statement(
                "CloudWatchLogsOfThisAccount",
                scope.service_endpoint("logs"),
                ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": scope.arn("logs", "log-group:*")
                    }
                },
            ),
            service_use_statement(
                "LogDeliveryOfThisAccount",
                "delivery.logs.amazonaws.com",
                ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": scope.arn("logs", "*")},
                },
            ),
        ]
    if key_class is KeyClass.STREAMING:
        # SNS fan-out delivers to SQS queues encrypted with this key; SNS itself (a
        # service principal, which a grant cannot name) must be able to encrypt for them.
        statements.append(
            service_use_statement(
                "SnsDeliversToEncryptedQueues",
                "sns.amazonaws.com",
                ["kms:GenerateDataKey*", "kms:Decrypt"],
                {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": scope.arn("sns", "*")},
                },
            )
        )
        # EventBridge rules of this region deliver EC2 interruption events to
        # Karpenter's queue, encrypted with this key (a service principal: no grant can name it).
        statements.append(
            service_use_statement(
                "EventBridgeDeliversToEncryptedQueues",
                "events.amazonaws.com",
                ["kms:GenerateDataKey*", "kms:Decrypt"],
                {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": scope.arn("events", "rule/*")},
                },
            )
        )
    return shared_key_policy(partition, account, statements)


class KeyRing(pulumi.ComponentResource):
    """Customer-managed, rotating KMS keys per data class for one region."""

    keys: dict[KeyClass, aws.kms.Key]

    def __init__(
        self, name: str, args: KeyRingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            "meridian:foundation:KeyRing",
            name,
            None,
            moved_type(opts, "meridian:security:KeyRing"),
        )
        self.keys = {}
        self.args = args
        for key_class in args.key_classes:
            key = customer_key(
                f"{name}-{key_class.value}",
                description=(
                    f"Meridian {args.names.environment} {args.scope.region}: {key_class.value} "
                    f"(usable via {', '.join(SERVICE_SCOPES[key_class])})"
                ),
                policy=key_policy(args, key_class),
                alias=args.names.kms_alias(key_class.value),
                display_name=args.names.display("kms", key_class.value),
                deletion_window_days=args.deletion_window_days,
                protect=args.protect,
                parent=self,
            )
            self.keys[key_class] = key
        self.key_arns: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{k.value: v.arn for k, v in self.keys.items()}
        )
        self.register_outputs({"keyArns": self.key_arns})

    def arn(self, key_class: KeyClass) -> pulumi.Output[str]:
        """The ARN of the key for `key_class`."""
        if key_class not in self.keys:
            raise KeyError(f"this KeyRing has no {key_class.value} key")
        return self.keys[key_class].arn

    def grant_use(
        self, key_class: KeyClass, grantee_arn: pulumi.Input[str], name: str
    ) -> aws.kms.Grant:
        """Let one IAM principal use a key, and grant that use on to AWS resources, through a
        KMS grant (`GRANT_OPERATIONS`).

        Use it for principals that call KMS directly (e.g. a service-linked role), instead of
        widening the key policy.
        """
        return aws.kms.Grant(
            name,
            key_id=self.keys[key_class].key_id,
            grantee_principal=grantee_arn,
            operations=list(GRANT_OPERATIONS),
            opts=pulumi.ResourceOptions(parent=self),
        )
