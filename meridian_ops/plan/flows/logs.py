"""The log flow of one regional plan: every log group of the region -> subscription filter (every
event, within CloudWatch Logs' two filters a group) -> role CloudWatch Logs assumes (trust pinned
to this account's log groups, PutRecord on the stream) -> Firehose stream (one folder per source)
-> the log archive bucket (CMK, Object Lock) whose lifecycle holds the tiers: hot in CloudWatch
and S3 Standard, warm in an infrequent-access class, cold in Glacier, deleted at the end of the
cold tier.

The one group that cannot take that path is an archive stream's own delivery-error group (its
events would feed the stream that failed): its link is that CloudWatch keeps it through the warm
tier.

`log_flow(graph, tiers)` returns a `Flow` with one link per step and log group; a failing link
names what is missing. The groups are read from the graph (every CloudWatch log group planned),
never from the module that builds them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from meridian_ops.plan.flows.harness import Flow, Graph, State, known, name_of, unwrap

RELEASE = "kubernetes:helm.sh/v3:Release"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ARCHIVE = "meridian:foundation:LogArchive"
BUCKET = "aws:s3/bucket:Bucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
KEY = "aws:kms/key:Key"
WARM_CLASSES = ("STANDARD_IA", "GLACIER_IR")


@dataclass(frozen=True)
class Tiers:
    """Days in the hot tier, until the cold tier, until deletion."""

    hot: int
    warm: int
    cold: int


def agent_log_groups(graph: Graph) -> list[str]:
    """The log groups the log agents (Fluent Bit releases) write container logs to."""
    groups: list[str] = []
    for release in graph.of_type(RELEASE):
        values = (release.get("inputs") or {}).get("values") or {}
        cloudwatch = values.get("cloudWatchLogs") or {}
        if cloudwatch.get("enabled") and cloudwatch.get("logGroupName"):
            groups.append(str(cloudwatch["logGroupName"]))
    return groups


def _property_deps(state: State, prop: str) -> set[str]:
    return set((state.get("propertyDependencies") or {}).get(prop) or [])


def _one_dep(graph: Graph, state: State, prop: str, resource_type: str) -> State | None:
    for urn in sorted(_property_deps(state, prop)):
        target = graph.by_urn.get(urn)
        if target is not None and target["type"] == resource_type:
            return target
    return None


def _policies_of(graph: Graph, role: State) -> list[dict[str, Any]]:
    """The inline policy documents attached to `role` (unknown documents are skipped)."""
    docs: list[dict[str, Any]] = []
    for policy in graph.of_type(ROLE_POLICY):
        if role["urn"] not in _property_deps(policy, "role"):
            continue
        text = unwrap((policy.get("inputs") or {}).get("policy"))
        if known(text):
            docs.append({"doc": json.loads(str(text)), "state": policy})
        else:
            docs.append({"doc": None, "state": policy})
    return docs


def _puts_to(graph: Graph, role: State, stream: State) -> bool:
    """The role may PutRecord on exactly this stream (in preview: a policy built from it)."""
    arn = unwrap((stream.get("outputs") or {}).get("arn"))
    for found in _policies_of(graph, role):
        if found["doc"] is None or not known(arn):
            if stream["urn"] in graph.dependencies(found["state"]):
                return True
            continue
        for st in found["doc"].get("Statement", []):
            actions = st.get("Action")
            actions = [actions] if isinstance(actions, str) else actions or []
            resources = st.get("Resource")
            resources = [resources] if isinstance(resources, str) else resources or []
            if st.get("Effect") == "Allow" and "firehose:PutRecord" in actions and arn in resources:
                return True
    return False


def _trusts_logs(role: State, account: str | None) -> bool:
    text = unwrap((role.get("inputs") or {}).get("assumeRolePolicy"))
    if not known(text):
        return False
    for st in json.loads(str(text)).get("Statement", []):
        if (st.get("Principal") or {}).get("Service") != "logs.amazonaws.com":
            continue
        condition = st.get("Condition") or {}
        source_arn = {**condition.get("StringLike", {}), **condition.get("ArnLike", {})}.get(
            "aws:SourceArn", ""
        )
        source_account = condition.get("StringEquals", {}).get("aws:SourceAccount")
        if ":logs:" in source_arn and (account is None or source_account == account):
            return True
    return False


def _archive_bucket(graph: Graph, stream: State) -> State | None:
    bucket = _one_dep(graph, stream, "extendedS3Configuration", BUCKET)
    if bucket is None:
        return None
    parent = graph.by_urn.get(str(bucket.get("parent")))
    return bucket if parent is not None and parent["type"] == ARCHIVE else None


def _bucket_config(graph: Graph, bucket: State, resource_type: str) -> State | None:
    return next(
        (s for s in graph.of_type(resource_type) if bucket["urn"] in _property_deps(s, "bucket")),
        None,
    )


def _tier_links(flow: Flow, name: str, graph: Graph, bucket: State, tiers: Tiers) -> None:
    lifecycle = _bucket_config(graph, bucket, LIFECYCLE)
    rules = ((lifecycle or {}).get("inputs") or {}).get("rules") or []
    rule = next((r for r in rules if r.get("status") == "Enabled"), {})
    moves = {t.get("storageClass"): t.get("days") for t in rule.get("transitions") or []}
    warm_day = next((moves[c] for c in WARM_CLASSES if c in moves), None)
    flow.check(
        name,
        "warm tier",
        warm_day == tiers.hot,
        f"archive leaves S3 Standard on day {warm_day}, the design says {tiers.hot}",
    )
    flow.check(
        name,
        "cold tier",
        moves.get("GLACIER") == tiers.warm,
        f"archive moves to Glacier on day {moves.get('GLACIER')}, the design says {tiers.warm}",
    )
    expiry = (rule.get("expiration") or {}).get("days")
    flow.check(
        name,
        "deleted after the cold tier",
        expiry == tiers.cold,
        f"archive expires on day {expiry}, the design says {tiers.cold}",
    )
    lock = _bucket_config(graph, bucket, OBJECT_LOCK)
    retention = (((lock or {}).get("inputs") or {}).get("rule") or {}).get("defaultRetention") or {}
    flow.check(
        name,
        "locked for the cold tier",
        retention.get("mode") == "COMPLIANCE" and retention.get("days") == tiers.cold,
        f"archive Object Lock {retention or 'missing'}",
    )
    encryption = _bucket_config(graph, bucket, ENCRYPTION)
    rules = ((encryption or {}).get("inputs") or {}).get("rules") or [{}]
    default = rules[0].get("applyServerSideEncryptionByDefault") or {}
    flow.check(
        name,
        "archive encrypted with a customer-managed key",
        default.get("sseAlgorithm") == "aws:kms" and bool(default.get("kmsMasterKeyId")),
        "archive bucket has no SSE-KMS default",
    )


def archive_error_groups(graph: Graph) -> set[str]:
    """The delivery-error groups of the Firehose streams that write into the log archive."""
    names: set[str] = set()
    for stream in graph.of_type(STREAM):
        if _archive_bucket(graph, stream) is None:
            continue
        s3 = (stream.get("inputs") or {}).get("extendedS3Configuration") or {}
        group = (s3.get("cloudwatchLoggingOptions") or {}).get("logGroupName")
        if known(group) and group:
            names.add(str(group))
    return names


def log_groups(graph: Graph) -> list[str]:
    """Every log group planned in the stack, by name."""
    return sorted(
        str(name)
        for g in graph.of_type(LOG_GROUP)
        if known(name := (g.get("inputs") or {}).get("name")) and name
    )


def _per_source(stream: State, subscription: State) -> bool:
    """The stream writes each source under its own folder, keyed by the filter's name."""
    s3 = (stream.get("inputs") or {}).get("extendedS3Configuration") or {}
    processors = (s3.get("processingConfiguration") or {}).get("processors") or []
    query = next(
        (
            p.get("parameterValue")
            for proc in processors
            if proc.get("type") == "MetadataExtraction"
            for p in proc.get("parameters") or []
            if p.get("parameterName") == "MetadataExtractionQuery"
        ),
        None,
    )
    return (
        "!{partitionKeyFromQuery:source}" in str(s3.get("prefix") or "")
        and bool((s3.get("dynamicPartitioningConfiguration") or {}).get("enabled"))
        and any(p.get("type") == "Decompression" for p in processors)
        and ".subscriptionFilters" in str(query or "")
        and str((subscription.get("inputs") or {}).get("name") or "").startswith("archive-")
    )


ERROR_GROUP_STEP = "archive stream's delivery errors kept through the warm tier"
"""The step that marks an archive stream's own error group (kept in CloudWatch, not shipped)."""


def _error_group(flow: Flow, name: str, state: State, filters: list[State], tiers: Tiers) -> None:
    days = (state.get("inputs") or {}).get("retentionInDays")
    flow.check(
        name,
        ERROR_GROUP_STEP,
        isinstance(days, int) and days >= tiers.warm,
        f"retention {days} days < {tiers.warm}",
    )
    group = (state.get("inputs") or {}).get("name")
    flow.check(
        name,
        "not subscribed to the stream it reports on",
        not any((f.get("inputs") or {}).get("logGroup") == group for f in filters),
        f"{group} is subscribed: its errors would loop through the failing stream",
    )


def _shipped(flow: Flow, name: str, graph: Graph, group: str, account: str | None) -> State | None:
    """The links from the group's subscription filter to the stream; the stream if it exists."""
    on_group = [
        f for f in graph.of_type(FILTER) if (f.get("inputs") or {}).get("logGroup") == group
    ]
    flow.check(
        name,
        "at most two subscription filters (CloudWatch Logs quota)",
        len(on_group) <= 2,
        f"{len(on_group)} subscription filters on {group}",
    )
    subscription = next(
        (f for f in on_group if (f.get("inputs") or {}).get("filterPattern") == ""), None
    )
    flow.check(
        name,
        "subscription filter (every event)",
        subscription is not None,
        f"no subscription filter on {group}",
    )
    if subscription is None:
        return None
    stream = _one_dep(graph, subscription, "destinationArn", STREAM)
    flow.check(
        name,
        "Firehose stream",
        stream is not None,
        f"subscription {name_of(subscription)} delivers to no Firehose stream",
    )
    if stream is None:
        return None
    role = _one_dep(graph, subscription, "roleArn", ROLE)
    flow.check(
        name,
        "CloudWatch Logs role, scoped by source",
        role is not None and _trusts_logs(role, account),
        "no role logs.amazonaws.com assumes with aws:SourceArn/aws:SourceAccount",
    )
    flow.check(
        name,
        "role puts records on the stream",
        role is not None and _puts_to(graph, role, stream),
        f"no firehose:PutRecord on {name_of(stream)}",
    )
    flow.check(
        name,
        "stream writes the source under its own folder",
        _per_source(stream, subscription),
        f"{name_of(stream)} does not partition by the subscription filter's name",
    )
    return stream


def log_flow(graph: Graph, tiers: Tiers, account: str | None = None) -> Flow:
    """Every link from each log group to the archive's tiers (see the module docstring)."""
    flow = Flow()
    groups = log_groups(graph)
    flow.check(
        "logs",
        "log agent writes to a log group",
        bool(agent_log_groups(graph)),
        "no Fluent Bit release",
    )
    errors = archive_error_groups(graph)
    filters = graph.of_type(FILTER)
    by_name = {(g.get("inputs") or {}).get("name"): g for g in graph.of_type(LOG_GROUP)}
    for state in graph.of_type(LOG_GROUP):
        if not known((state.get("inputs") or {}).get("name")):
            flow.pending(f"logs {name_of(state)}", "log group named", "name unknown until up")
    for group in agent_log_groups(graph):
        flow.check(f"logs {group}", "log group planned", group in by_name, f"no log group {group}")
    for group in groups:
        name, state = f"logs {group}", by_name[group]
        if group in errors:
            _error_group(flow, name, state, filters, tiers)
            continue
        days = (state.get("inputs") or {}).get("retentionInDays")
        flow.check(
            name,
            "hot tier in CloudWatch",
            isinstance(days, int) and days >= tiers.hot,
            f"retention {days} days < {tiers.hot}",
        )
        stream = _shipped(flow, name, graph, group, account)
        if stream is None:
            continue
        s3 = ((stream.get("inputs") or {}).get("extendedS3Configuration")) or {}
        flow.check(
            name,
            "stream writes with a customer-managed key",
            _one_dep(graph, stream, "extendedS3Configuration", KEY) is not None
            or str(unwrap(s3.get("kmsKeyArn")) or "").startswith("arn:"),
            "Firehose writes without a KMS key",
        )
        bucket = _archive_bucket(graph, stream)
        flow.check(
            name,
            "stream delivers to the log archive",
            bucket is not None,
            f"{name_of(stream)} writes to no LogArchive bucket",
        )
        if bucket is None:
            continue
        _tier_links(flow, name, graph, bucket, tiers)
    return flow
