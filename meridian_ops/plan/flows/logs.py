"""The log flow of one regional plan: every log group a log agent writes workload logs to ->
subscription filter (every event) -> role CloudWatch Logs assumes (trust pinned to this account's
log groups, PutRecord on the stream) -> Firehose stream -> the log archive bucket (CMK, Object
Lock) whose lifecycle holds the tiers: hot in CloudWatch and S3 Standard, warm in an
infrequent-access class, cold in Glacier, deleted at the end of the cold tier.

`log_flow(graph, tiers)` returns a `Flow` with one link per step and log group; a failing link
names what is missing. The agents' groups are read from the graph (Fluent Bit's
`cloudWatchLogs.logGroupName`), never from the module that builds them.
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


def log_flow(graph: Graph, tiers: Tiers, account: str | None = None) -> Flow:
    """Every link from each agent log group to the archive's tiers (see the module docstring)."""
    flow = Flow()
    groups = agent_log_groups(graph)
    flow.check("logs", "log agent writes to a log group", bool(groups), "no Fluent Bit release")
    filters = graph.of_type(FILTER)
    for group in groups:
        name = f"logs {group}"
        state = next(
            (g for g in graph.of_type(LOG_GROUP) if (g.get("inputs") or {}).get("name") == group),
            None,
        )
        flow.check(name, "log group planned", state is not None, f"no log group {group}")
        if state is None:
            continue
        days = (state.get("inputs") or {}).get("retentionInDays")
        flow.check(
            name,
            "hot tier in CloudWatch",
            isinstance(days, int) and days >= tiers.hot,
            f"retention {days} days < {tiers.hot}",
        )
        subscription = next(
            (
                f
                for f in filters
                if (f.get("inputs") or {}).get("logGroup") == group
                and (f.get("inputs") or {}).get("filterPattern") == ""
            ),
            None,
        )
        flow.check(
            name,
            "subscription filter (every event)",
            subscription is not None,
            f"no subscription filter on {group}",
        )
        if subscription is None:
            continue
        stream = _one_dep(graph, subscription, "destinationArn", STREAM)
        flow.check(
            name,
            "Firehose stream",
            stream is not None,
            f"subscription {name_of(subscription)} delivers to no Firehose stream",
        )
        if stream is None:
            continue
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
