"""LogShipping: CloudWatch Logs groups -> subscription filters -> Firehose -> the log archive.

CloudWatch Logs keeps a region's logs (the agents' container logs, control-plane, broker,
function and build logs) for the hot tier only. This ships every event of the given groups to the
region's log archive bucket (LogArchive: CMK, Object Lock, hot -> warm -> cold lifecycle), so
every log gets the tiers audit logs get:

- one Firehose stream (DirectPut, extended S3) for all the groups. It decompresses what
  CloudWatch Logs sends (gzip), partitions each record by the name of the subscription filter
  that sent it (`archive-<source>`, read from the record's `subscriptionFilters` with the
  built-in jq 1.6 parser) and writes newline-delimited JSON, gzip-compressed, under
  `<prefix>/<source>/<yyyy-MM-dd>/` of the archive, encrypted with the archive's customer-managed
  key (the stream's buffer with an AWS-owned key). CloudWatch Logs' reachability check
  (a control message naming no filter) lands under `<prefix>/control/`. Delivery errors go to
  a KMS-encrypted log group of the stream's own, which is never subscribed: its events would
  feed the stream that failed (a loop), so CloudWatch keeps them for `error_retention_days`
  (the warm tier);
- a role CloudWatch Logs assumes (`logs.amazonaws.com`, pinned to this account's log groups of
  this region by aws:SourceArn and aws:SourceAccount; CloudWatch Logs user guide, "Subscription
  filters with Amazon Data Firehose") that may `firehose:PutRecord` on this stream only;
- a role Firehose assumes (sts:ExternalId = the account) that may write objects under the prefix,
  use the key through S3 only, and log its delivery errors;
- one subscription filter on each group (every event, pattern ""), named `archive-<source>`.
  A group takes at most two subscription filters (CloudWatch Logs quota); this uses one.

Example::

    LogShipping("log-shipping", LogShippingArgs(
        names=names, scope=scope,
        log_groups={"workloads": group.name, "eks-control-plane": cluster.log_group.name},
        archive_bucket_arn=archive.bucket_arn, archive_key_arn=keys.arn(KeyClass.LOGS),
        error_retention_days=365))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.iam import policy_document, service_trust_policy, statement
from components.common.naming import Names
from components.common.scope import AwsScope

ERROR_STREAM = "delivery"
"""The log stream Firehose writes its delivery errors to."""
FILTER_PREFIX = "archive-"
"""Each subscription filter is named `archive-<source>`; the stream partitions by that name."""
CONTROL_SOURCE = "control"
"""Where CloudWatch Logs' control messages (no filter named in the record) land."""
PARTITION_QUERY = (
    f'{{source: (.subscriptionFilters[0] // "{FILTER_PREFIX}{CONTROL_SOURCE}"'
    f' | ltrimstr("{FILTER_PREFIX}"))}}'
)
"""The jq 1.6 query (Firehose inline parsing) giving a decompressed CloudWatch Logs record's
source: the name of the filter that sent it without `archive-`."""
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class LogShippingArgs:
    names: Names
    scope: AwsScope
    log_groups: Mapping[str, pulumi.Input[str]]
    """Log group names by source: the source names the group's subscription filter and its
    folder in the archive (lower case, digits and hyphens)."""
    archive_bucket_arn: pulumi.Input[str]
    archive_key_arn: pulumi.Input[str]
    """The archive's customer-managed key: the objects' SSE-KMS key and the error group's key."""
    error_retention_days: int
    """CloudWatch retention of the stream's delivery-error group, which cannot be shipped through
    the stream it reports on: the warm tier's days."""
    prefix: str = "logs"
    """Where in the archive the shipped logs land (`<prefix>/<source>/<yyyy-MM-dd>/`)."""
    buffering_seconds: int = 300
    buffering_mib: int = 64

    def __post_init__(self) -> None:
        if not self.log_groups:
            raise ValueError("LogShipping needs at least one log group")
        if not self.prefix or "/" in self.prefix:
            raise ValueError(f"prefix {self.prefix!r} must be one non-empty path segment")
        for source in self.log_groups:
            if not _SOURCE.match(source) or source in (CONTROL_SOURCE, "errors"):
                raise ValueError(
                    f"log source {source!r} must be lower case, digits and hyphens (at most 63), "
                    f"not {CONTROL_SOURCE!r} or 'errors'"
                )
        if self.buffering_mib < 64:
            raise ValueError("a dynamically partitioned stream buffers at least 64 MiB")


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
                "prefix": (
                    f"{args.prefix}/!{{partitionKeyFromQuery:source}}/!{{timestamp:yyyy-MM-dd}}/"
                ),
                "error_output_prefix": (
                    f"{args.prefix}/errors/!{{firehose:error-output-type}}/!{{timestamp:yyyy-MM-dd}}/"
                ),
                "buffering_size": args.buffering_mib,
                "buffering_interval": args.buffering_seconds,
                "compression_format": "GZIP",  # the records are decompressed to partition them
                "dynamic_partitioning_configuration": {"enabled": True},
                "processing_configuration": {
                    "enabled": True,
                    "processors": [
                        {
                            "type": "Decompression",
                            "parameters": [
                                {"parameter_name": "CompressionFormat", "parameter_value": "GZIP"}
                            ],
                        },
                        {
                            "type": "MetadataExtraction",
                            "parameters": [
                                {
                                    "parameter_name": "MetadataExtractionQuery",
                                    "parameter_value": PARTITION_QUERY,
                                },
                                {
                                    "parameter_name": "JsonParsingEngine",
                                    "parameter_value": "JQ-1.6",
                                },
                            ],
                        },
                        {"type": "AppendDelimiterToRecord"},
                    ],
                },
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
            name=args.names.physical(f"{args.prefix}-subscription", max_length=64),
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
                name=f"{FILTER_PREFIX}{key}",
                log_group=group,
                filter_pattern="",
                destination_arn=self.stream.arn,
                role_arn=role.arn,
                # CloudWatch Logs tests the role on the stream when the filter is created
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
            )
            for key, group in args.log_groups.items()
        }
