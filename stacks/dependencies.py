"""The service dependency table (stacks/data/service_dependencies.json): what each domain service
uses, loaded, checked against every table it names, and turned into grants.

- `dependency_rows()`: the rows, typed, in table order (pending rows included, marked).
- `check_dependencies()`: the config gate. A row naming a service, store, table, bucket, topic,
  consumer group, queue or host that does not exist, a service whose network reach
  (components/tenancy/services.py `reaches`) misses what a row needs, or a topic without a
  producer or a consumer, is refused: one `ConfigProblem` each, naming the key, the value and
  the fix, raised as one `ConfigError` before anything is planned.
- `store_access()`: Aurora, Cassandra, cache and DynamoDB rows as `meridian:data.access`'s
  defaults (store -> services), which stacks/data_layer.py grants through the stores' helpers.
- `grant_dependencies(...)`: the Kafka, fan-out and bucket rows, granted through
  `KafkaCluster.grant_produce/grant_consume/grant_queue_consume/grant_publish` and
  `ServiceBuckets.grant_prefix`; `event_alarm_specs(...)`: the lag and depth alarms.

This module reads only stacks/data/*.json (stacks/data_settings.py imports it for the defaults).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pulumi

from components.common.naming import Names
from components.common.scope import AwsScope
from components.data.service_buckets import Access, ServiceBuckets, ServiceBucketsArgs
from components.kubernetes.workload_identity import WorkloadIdentity
from components.observability.event_alarms import (
    EventFlowAlarms,
    EventFlowAlarmsArgs,
    LagAlarm,
    QueueDepthAlarm,
)
from components.streaming.kafka import KafkaCluster
from components.tenancy.services import BY_NAME, AwsService
from stacks.config.errors import ConfigError, ConfigProblem

DATA_DIR = Path(__file__).resolve().parent / "data"
TABLE_FILE = DATA_DIR / "service_dependencies.json"
TABLE_KEY = "stacks/data/service_dependencies.json"

STORE_KINDS = ("aurora", "cassandra", "cache", "dynamodb")
KINDS = (
    *STORE_KINDS,
    "bucket",
    "produce",
    "consume",
    "queue-consume",
    "publish",
    "external",
    "opensearch",
)
NEEDS: Mapping[str, AwsService | None] = {
    "aurora": AwsService.RDS,
    "cassandra": AwsService.KEYSPACES,
    "cache": AwsService.ELASTICACHE,
    "dynamodb": AwsService.DYNAMODB,
    "bucket": AwsService.S3,
    "produce": AwsService.KAFKA,
    "consume": AwsService.KAFKA,
    "queue-consume": AwsService.SQS,
    "publish": AwsService.SNS,
    "opensearch": AwsService.OPENSEARCH,
    "external": None,
}
"""The AWS service (ServiceEntry and NetworkPolicy egress) each kind of row travels through."""
ACCESSES = ("read", "read-write")


@dataclass(frozen=True)
class Dependency:
    service: str
    kind: str
    target: str
    """The store's table, bucket, topic, queue or host; the store itself for aurora and cache."""
    source: str
    group: str = ""
    """Consumer group (kind `consume`)."""
    prefix: str = ""
    access: str = "read-write"
    pending: str = ""
    """Not built yet: what is missing. Pending rows are reported apart and never granted."""
    key: str = ""
    """Where the row is in the table (`services.user[2]`)."""

    @property
    def built(self) -> bool:
        return not self.pending


@cache
def table(path: Path = TABLE_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


def dependency_rows(path: Path = TABLE_FILE) -> tuple[Dependency, ...]:
    rows: list[Dependency] = []
    for service, entries in table(path)["services"].items():
        for i, e in enumerate(entries):
            rows.append(
                Dependency(
                    service=service,
                    kind=e["kind"],
                    target=e.get("target", e["kind"]),
                    source=e.get("source", ""),
                    group=e.get("group", ""),
                    prefix=e.get("prefix", ""),
                    access=e.get("access", "read-write"),
                    pending=e.get("pending", ""),
                    key=f"services.{service}[{i}]",
                )
            )
    return tuple(rows)


def topic_names(path: Path = DATA_DIR / "kafka_topics.json") -> tuple[str, ...]:
    """Every topic of kafka_topics.json, patterns expanded (as stacks/streaming_settings.py)."""
    names: list[str] = []
    for entry in json.loads(path.read_text())["topics"]:
        if "{}" in entry["name"]:
            names += [entry["name"].format(i) for i in entry["instances"]]
        else:
            names.append(entry["name"])
    return tuple(names)


def bronze_topics(path: Path = DATA_DIR / "kafka_topics.json") -> tuple[str, ...]:
    """Topics Firehose delivers to the lake's bronze zone: the lake's feed."""
    names: list[str] = []
    for entry in json.loads(path.read_text())["topics"]:
        if not entry["bronze"]:
            continue
        if "{}" in entry["name"]:
            names += [entry["name"].format(i) for i in entry["instances"]]
        else:
            names.append(entry["name"])
    return tuple(names)


def _names(file: str, key: str = "tables") -> tuple[str, ...]:
    return tuple(t["name"] for t in json.loads((DATA_DIR / file).read_text())[key])


def dynamodb_stores() -> dict[str, str]:
    """DynamoDB table name -> its store name in `meridian:data.access`."""
    data = json.loads((DATA_DIR / "dynamodb_tables.json").read_text())
    return {t["name"]: t["store"] for t in data["tables"]}


def external_producers(path: Path = TABLE_FILE) -> list[dict[str, Any]]:
    return list(table(path).get("externalProducers", []))


def producers(rows: Sequence[Dependency], path: Path = TABLE_FILE) -> dict[str, list[str]]:
    """Topic -> who writes it (services, and producers outside the 12 such as Debezium)."""
    found: dict[str, list[str]] = {}
    for r in rows:
        if r.kind == "produce":
            found.setdefault(r.target, []).append(r.service)
    for p in external_producers(path):
        for t in p["produces"]:
            found.setdefault(t, []).append(p["name"])
    return found


def consumers(rows: Sequence[Dependency]) -> dict[str, list[tuple[str, str]]]:
    """Topic -> (service, consumer group) reading it."""
    found: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        if r.kind == "consume":
            found.setdefault(r.target, []).append((r.service, r.group))
    return found


def store_access(rows: Sequence[Dependency] | None = None) -> dict[str, list[str]]:
    """`meridian:data.access`'s default: store -> the services whose rows use it."""
    rows = dependency_rows() if rows is None else rows
    stores = dynamodb_stores()
    access: dict[str, list[str]] = {"aurora": [], "cassandra": [], "cache": []}
    access |= {s: [] for s in stores.values()}
    for r in rows:
        if r.kind not in STORE_KINDS or not r.built:
            continue
        store = stores[r.target] if r.kind == "dynamodb" else r.kind
        if r.service not in access[store]:
            access[store].append(r.service)
    return access


def cassandra_tables_of(service: str, rows: Sequence[Dependency] | None = None) -> list[str]:
    """The Cassandra tables one service's rows name (its grant covers exactly these)."""
    rows = dependency_rows() if rows is None else rows
    return [r.target for r in rows if r.service == service and r.kind == "cassandra" and r.built]


# --- the gate ------------------------------------------------------------------------------------


def dependency_problems(path: Path = TABLE_FILE) -> list[ConfigProblem]:
    """Every row that names something that does not exist, or that its service cannot reach."""
    data = table(path)
    rows = dependency_rows(path)
    topics = topic_names()
    cassandra = _names("cassandra_tables.json")
    dynamodb = _names("dynamodb_tables.json")
    buckets = tuple(data.get("buckets", {}))
    fanout = data.get("fanout", {})
    queues = tuple(fanout.get("queues", ()))
    problems: list[ConfigProblem] = []

    def refuse(key: str, value: Any, problem: str, fix: str) -> None:
        problems.append(ConfigProblem(f"{TABLE_KEY}: {key}", value, problem, fix))

    for service in data["services"]:
        if service not in BY_NAME:
            refuse(
                f"services.{service}",
                service,
                "is not a domain service (components/tenancy/services.py)",
                f"use one of {', '.join(BY_NAME)}",
            )
    known_targets: Mapping[str, tuple[str, ...]] = {
        "cassandra": cassandra,
        "dynamodb": dynamodb,
        "bucket": buckets,
        "produce": topics,
        "consume": topics,
        "queue-consume": queues,
        "publish": (fanout.get("topic", ""),),
    }
    for r in rows:
        service = BY_NAME.get(r.service)
        if service is None:
            continue
        if r.kind not in KINDS:
            refuse(f"{r.key}.kind", r.kind, "is not a kind of dependency", f"use one of {KINDS}")
            continue
        allowed = known_targets.get(r.kind)
        if allowed is not None and r.target not in allowed and not r.pending:
            refuse(
                f"{r.key}.target",
                r.target,
                f"is not a {r.kind} target that exists",
                f"use one of {', '.join(allowed)}, or add it to its table first",
            )
        if r.kind == "external" and r.target not in service.external_hosts:
            refuse(
                f"{r.key}.target",
                r.target,
                f"is not among {r.service}'s external_hosts (its ServiceEntry)",
                f"add it to {r.service}'s external_hosts in components/tenancy/services.py",
            )
        if r.kind == "consume" and not _valid_group(r.group):
            refuse(
                f"{r.key}.group",
                r.group,
                "is not a consumer group name MSK reports lag for (ASCII, no ':')",
                "name the group in ASCII letters, digits and '-', e.g. '<service>-cg'",
            )
        if r.access not in ACCESSES:
            refuse(f"{r.key}.access", r.access, "is not an access", f"use one of {ACCESSES}")
        need = NEEDS.get(r.kind)
        if need is not None and need not in service.aws:
            refuse(
                f"{r.key}",
                f"{r.kind} {r.target}",
                f"needs {need.value}, which {r.service} does not reach (no egress, no "
                "ServiceEntry)",
                f"add AwsService.{need.name} to {r.service}'s reaches in "
                "components/tenancy/services.py",
            )
    for name, service in BY_NAME.items():
        listed = {r.target for r in rows if r.service == name and r.kind == "external"}
        for host in service.external_hosts:
            if host not in listed:
                refuse(
                    f"services.{name}",
                    host,
                    f"is an external host of {name} with no dependency row",
                    f"add {{'kind': 'external', 'target': '{host}', 'source': ...}} to "
                    f"services.{name}",
                )
    for i, p in enumerate(external_producers(path)):
        for t in p["produces"]:
            if t not in topics:
                refuse(
                    f"externalProducers[{i}].produces",
                    t,
                    "is not a topic of stacks/data/kafka_topics.json",
                    f"use one of {', '.join(topics)}",
                )
    made, read, lake = producers(rows, path), consumers(rows), set(bronze_topics())
    for t in topics:
        if t not in made:
            refuse("services", t, "is a topic no row produces", f"add a 'produce' row for {t}")
        if t not in read and t not in lake:
            refuse(
                "services",
                t,
                "is a topic nobody consumes (no 'consume' row, not the lake's feed)",
                f"add a 'consume' row with its group for {t}, or mark it bronze in "
                "kafka_topics.json",
            )
    return problems


def _valid_group(group: str) -> bool:
    return bool(group) and group.isascii() and ":" not in group


def check_dependencies(stack: str, path: Path = TABLE_FILE) -> None:
    """Raise one ConfigError listing every problem of the table; nothing is planned then."""
    problems = dependency_problems(path)
    if problems:
        raise ConfigError(
            stack,
            problems,
            headline=(
                f"The service dependency table ({TABLE_KEY}) is invalid; stack {stack} was not "
                "deployed."
            ),
        )


# --- grants and alarms ---------------------------------------------------------------------------


def grant_dependencies(
    identities: Mapping[str, WorkloadIdentity],
    kafka: KafkaCluster,
    buckets: ServiceBuckets,
    rows: Sequence[Dependency] | None = None,
) -> None:
    """The event and bucket rows, each through its grant helper, on exact ARNs."""
    rows = dependency_rows() if rows is None else rows
    built = [r for r in rows if r.built]
    for service, identity in identities.items():
        mine = [r for r in built if r.service == service]
        produced = [r.target for r in mine if r.kind == "produce"]
        if produced:
            kafka.grant_produce(identity, produced)
        groups: dict[str, list[str]] = {}
        for r in mine:
            if r.kind == "consume":
                groups.setdefault(r.group, []).append(r.target)
        for group, topics in groups.items():
            kafka.grant_consume(identity, topics, group)
        for r in mine:
            if r.kind == "queue-consume":
                kafka.grant_queue_consume(identity, r.target)
            elif r.kind == "publish":
                kafka.grant_publish(identity)
            elif r.kind == "bucket":
                buckets.grant_prefix(identity, r.target, r.prefix, _access(r.access))


def _access(value: str) -> Access:
    return "read" if value == "read" else "read-write"


def service_buckets(path: Path = TABLE_FILE) -> list[str]:
    """The buckets built rows use (ServiceBuckets creates exactly these)."""
    used = {r.target for r in dependency_rows(path) if r.kind == "bucket" and r.built}
    return [b for b in table(path).get("buckets", {}) if b in used]


def event_alarm_specs(path: Path = TABLE_FILE) -> tuple[list[LagAlarm], list[str], str, float]:
    """Lag alarms (one per consumer group and topic; a dead-letter topic's replay group with the
    dead-letter threshold), the fan-out queues whose dead-letter queues alarm on depth, and that
    alarm's severity and threshold."""
    alarms = table(path)["alarms"]
    lag, dead_topic, dead_queue = (
        alarms["consumerLag"],
        alarms["deadLetterTopic"],
        alarms["deadLetterQueue"],
    )
    specs: list[LagAlarm] = []
    for r in dependency_rows(path):
        if r.kind != "consume" or not r.built:
            continue
        rule = dead_topic if r.target.startswith("dlq.") else lag
        specs.append(LagAlarm(r.group, r.target, float(rule["threshold"]), str(rule["severity"])))
    queues = list(table(path).get("fanout", {}).get("queues", ()))
    return specs, queues, str(dead_queue["severity"]), float(dead_queue["threshold"])


@dataclass(frozen=True)
class ServiceBucketReplication:
    """Where a region's service buckets replicate: its replica region (the DR peer its data class
    may go to, stacks/topology.py) or None, with the lake's replication settings."""

    replica_region: str | None
    replication_time_control: bool
    key_deletion_window_days: int


def wire_dependencies(
    names: Names,
    scope: AwsScope,
    identities: Mapping[str, WorkloadIdentity],
    kafka: KafkaCluster,
    storage_key_arn: pulumi.Input[str],
    access_log_bucket: pulumi.Input[str],
    alert_topic_arns: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
    *,
    replication: ServiceBucketReplication,
) -> ServiceBuckets:
    """A regional stack's share of the table: the service buckets (replicated as `replication`
    says), the event and bucket grants, and the lag and dead-letter alarms."""
    buckets = ServiceBuckets(
        "service-buckets",
        ServiceBucketsArgs(
            names=names,
            scope=scope,
            buckets=service_buckets(),
            kms_key_arn=storage_key_arn,
            access_log_bucket=access_log_bucket,
            replica_region=replication.replica_region,
            replication_time_control=replication.replication_time_control,
            key_deletion_window_days=replication.key_deletion_window_days,
        ),
        opts=opts,
    )
    grant_dependencies(identities, kafka, buckets)
    lag, queues, severity, threshold = event_alarm_specs()
    EventFlowAlarms(
        "event-alarms",
        EventFlowAlarmsArgs(
            names=names,
            topic_arns=alert_topic_arns,
            kafka_cluster_name=kafka.cluster.cluster_name,
            consumer_lag=lag,
            queue_depth=[
                QueueDepthAlarm(f"{q}-dlq", kafka.dead_letter_queues[q].name, threshold, severity)
                for q in queues
            ],
        ),
        opts=opts,
    )
    return buckets
