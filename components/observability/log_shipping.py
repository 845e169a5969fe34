"""LogShipping: CloudWatch Logs groups -> subscription filter -> Firehose -> the log archive.

The agents write container logs to CloudWatch Logs, which keeps them for the hot tier only. This
ships every event of the given groups to the region's log archive bucket (LogArchive: CMK, Object
Lock, hot -> warm -> cold lifecycle), so application logs are kept as long as audit logs:

- one Firehose stream (DirectPut, extended S3) writing under `<prefix>/` of the archive, objects
  encrypted with the archive's customer-managed key (the stream's buffer with an AWS-owned key);
  delivery errors go to a KMS-encrypted log group of their own (never subscribed: no loop).
  CloudWatch Logs already gzips what it sends, so the stream adds no compression of its own (the
  objects are gzip members);
- a role CloudWatch Logs assumes (`logs.amazonaws.com`, pinned to this account's log groups of
  this region by aws:SourceArn and aws:SourceAccount; CloudWatch Logs user guide, "Subscription
  filters with Amazon Data Firehose") that may `firehose:PutRecord` on this stream only;
- a role Firehose assumes (sts:ExternalId = the account) that may write objects under the prefix,
  use the key through S3 only, and log its delivery errors;
- a subscription filter on each group, matching every event (pattern "").

Example::

    LogShipping("workload-logs", LogShippingArgs(
        names=names, scope=scope, log_groups={"workloads": group.name},
        archive_bucket_arn=archive.bucket_arn, archive_key_arn=keys.arn(KeyClass.LOGS),
        error_retention_days=30))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.iam import policy_document, service_trust_policy, statement
from components.common.naming import Names
from components.common.scope import AwsScope

ERROR_STREAM = "delivery"
"""The log stream Firehose writes its delivery errors to."""


@dataclass(frozen=True)
class LogShippingArgs:
    names: Names
    scope: AwsScope
    log_groups: Mapping[str, pulumi.Input[str]]
    """Log group names by a short key (the key names the subscription filter)."""
    archive_bucket_arn: pulumi.Input[str]
    archive_key_arn: pulumi.Input[str]
    """The archive's customer-managed key: the objects' SSE-KMS key and the error group's key."""
    error_retention_days: int
    prefix: str = "workloads"
    """Where in the archive the shipped logs land (`<prefix>/<yyyy-MM-dd>/`)."""
    buffering_seconds: int = 300
    buffering_mib: int = 64

    def __post_init__(self) -> None:
        if not self.log_groups:
            raise ValueError("LogShipping needs at least one log group")
        if not self.prefix or "/" in self.prefix:
            raise ValueError(f"prefix {self.prefix!r} must be one non-empty path segment")


class LogShipping(pulumi.ComponentResource):
    stream: aws.kinesis.FirehoseDeliveryStream
    filters: dict[str, aws.cloudwatch.LogSubscriptionFilter]

    def __init__(
        self, name: str, args: LogShippingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:LogShipping", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names, scope = args.names, args.scope
        bucket = pulumi.Output.from_input(args.archive_bucket_arn)
        errors = aws.cloudwatch.LogGroup(
            f"{name}-errors",
            name=f"/meridian/{names.environment}/{scope.region}/firehose/{args.prefix}-archive",
            retention_in_days=args.error_retention_days,
            kms_key_id=args.archive_key_arn,
            opts=child,
        )
        error_stream = aws.cloudwatch.LogStream(
            f"{name}-errors-stream", name=ERROR_STREAM, log_group_name=errors.name, opts=child
        )
        firehose_role = aws.iam.Role(
            f"{name}-firehose",
            name=names.physical(f"{args.prefix}-archive-feed", max_length=64),
            description=f"Firehose: {args.prefix} logs -> log archive",
            assume_role_policy=service_trust_policy(
                "firehose.amazonaws.com",
                condition={"StringEquals": {"sts:ExternalId": scope.account_id}},
            ),
            opts=child,
        )
        firehose_policy = aws.iam.RolePolicy(
            f"{name}-firehose-policy",
            role=firehose_role.id,
            policy=policy_document(
                [
                    statement(["s3:GetBucketLocation"], bucket, sid="ArchiveBucket"),
                    statement(
                        ["s3:PutObject", "s3:AbortMultipartUpload"],
                        bucket.apply(lambda a: f"{a}/{args.prefix}/*"),
                        sid="ArchiveWrites",
                    ),
                    statement(
                        ["kms:GenerateDataKey", "kms:Decrypt"],
                        args.archive_key_arn,
                        sid="ArchiveKeyThroughS3",
                        condition={
                            "StringEquals": {"kms:ViaService": scope.service_endpoint("s3")}
                        },
                    ),
                    statement(
                        ["logs:PutLogEvents"],
                        errors.arn.apply(lambda a: f"{a.removesuffix(':*')}:*"),
                        sid="DeliveryErrors",
                    ),
                ]
            ),
            opts=child,
        )
        self.stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-stream",
            name=names.physical(f"{args.prefix}-archive", max_length=64),
            destination="extended_s3",
            # the buffer at rest: AWS-owned key (a CMK would need the logs key to admit Firehose)
            server_side_encryption={"enabled": True, "key_type": "AWS_OWNED_CMK"},
            extended_s3_configuration={
                "role_arn": firehose_role.arn,
                "bucket_arn": bucket,
                "prefix": f"{args.prefix}/!{{timestamp:yyyy-MM-dd}}/",
                "error_output_prefix": (
                    f"{args.prefix}/errors/!{{firehose:error-output-type}}/!{{timestamp:yyyy-MM-dd}}/"
                ),
                "buffering_size": args.buffering_mib,
                "buffering_interval": args.buffering_seconds,
                "compression_format": "UNCOMPRESSED",  # CloudWatch Logs sends gzip already
                "kms_key_arn": args.archive_key_arn,
                "cloudwatch_logging_options": {
                    "enabled": True,
                    "log_group_name": errors.name,
                    "log_stream_name": ERROR_STREAM,
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[firehose_policy, error_stream]),
        )
        self._subscriptions(name, args)
        self.register_outputs(
            {
                "streamArn": self.stream.arn,
                "subscribedLogGroups": dict(args.log_groups),
            }
        )

    def _subscriptions(self, name: str, args: LogShippingArgs) -> None:
        """The role CloudWatch Logs assumes to put records on the stream, and one filter per
        group (every event)."""
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        role = aws.iam.Role(
            f"{name}-subscription",
            name=args.names.physical(f"{args.prefix}-logs-to-archive", max_length=64),
            description=f"CloudWatch Logs: {args.prefix} log groups -> Firehose",
            assume_role_policy=service_trust_policy(
                "logs.amazonaws.com",
                condition={
                    "StringEquals": {"aws:SourceAccount": scope.account_id},
                    "StringLike": {"aws:SourceArn": scope.arn("logs", "*")},
                },
            ),
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-subscription-policy",
            role=role.id,
            policy=policy_document(
                [statement(["firehose:PutRecord"], self.stream.arn, sid="PutToArchiveStream")]
            ),
            opts=child,
        )
        self.filters = {
            key: aws.cloudwatch.LogSubscriptionFilter(
                f"{name}-{key}",
                name=f"{args.prefix}-archive",
                log_group=group,
                filter_pattern="",
                destination_arn=self.stream.arn,
                role_arn=role.arn,
                # CloudWatch Logs tests the role on the stream when the filter is created
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
            )
            for key, group in args.log_groups.items()
        }
