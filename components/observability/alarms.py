"""PlatformAlarms: CloudWatch alarms on the platform's stores and network, to the alert topics
by severity (components/security/notifications.py).

Each alarm watches one aggregated series, a CloudWatch Metrics Insights query over the
resource's dimension (every broker of the MSK cluster, every table, every NAT gateway), so a
broker or table added later is covered without a new alarm. The alarm table (`ALARMS`) is the
one place for metrics, thresholds and severities; an alarm is declared only for the stores the
region runs (an identifier of None: that store is absent, nothing is declared for it).

| alarm | series | fires when |
|---|---|---|
| msk-under-replicated | MAX UnderReplicatedPartitions over brokers | > 0 for 5 min (P2) |
| msk-disk-used | MAX KafkaDataLogsDiskUsed (%) over brokers | > 85 for 15 min (P2) |
| aurora-replica-lag | AuroraReplicaLagMaximum (ms) | > 1000 for 5 min (P2) |
| aurora-global-lag | AuroraGlobalDBReplicationLag (ms), secondary regions | > 1000 for 5 min (P1) |
| keyspaces-throttles | SUM Read+WriteThrottleEvents of the keyspace | > 0 for 5 min (P3) |
| dynamodb-throttles | SUM ThrottledRequests of the tables | > 0 for 5 min (P3) |
| cache-evictions | SUM Evictions over the cache nodes | > 0 for 15 min (P3) |
| nat-port-allocation | SUM ErrorPortAllocation over NAT gateways | > 0 (P2) |
| nat-packets-dropped | SUM PacketsDropCount over NAT gateways | > 0 for 15 min (P3) |
| cache-failover-NNNN | per shard: MAX of its nodes' DIFF(IsMaster) | > 0 once in 5 min (P2) |

ElastiCache failover has no aggregate metric, and its events reach neither EventBridge
(node-based clusters publish none there) nor an encrypted SNS topic (ElastiCache notifications
require an unencrypted topic, which the alert topics never are). So each shard gets its own
alarm on its nodes' `IsMaster` (1 on the shard's primary): `DIFF` is +1 on the node that was just
promoted, whatever node was primary before, so the alarm fires for the failover and returns to OK
five minutes later instead of staying red until someone fails back. A metric-math alarm reads at
most 10 metrics; a shard has at most 6 nodes (5 replicas).

Example::

    PlatformAlarms("alarms", PlatformAlarmsArgs(
        names=names, topic_arns=alerts.arns, kafka_cluster_names=["meridian-prod-use1-kafka"],
        aurora_cluster_ids=[aurora.cluster.cluster_identifier],
        nat_gateway_ids=network.nat_gateway_ids, ...), opts=in_region)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.common.naming import Names


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    severity: str
    description: str
    query: Callable[[list[str]], str]
    """The Metrics Insights query, given the resource identifiers."""
    threshold: float
    periods: int = 1
    """Consecutive 5-minute periods over the threshold before the alarm fires."""


MSK_CLUSTER = '"Cluster Name"'
"""MSK's dimension name has a space: quoted in Metrics Insights."""


def _any(dimension: str, values: Sequence[str]) -> str:
    return " OR ".join(f"{dimension} = '{v}'" for v in values)


ALARMS: dict[str, AlarmSpec] = {
    spec.name: spec
    for spec in (
        AlarmSpec(
            "msk-under-replicated",
            "P2",
            "MSK partitions under-replicated (a broker is behind or down; min ISR at risk)",
            lambda ids: (
                'SELECT MAX(UnderReplicatedPartitions) FROM SCHEMA("AWS/Kafka", '
                f'"Broker ID", "Cluster Name") WHERE {_any(MSK_CLUSTER, ids)}'
            ),
            0,
        ),
        AlarmSpec(
            "msk-disk-used",
            "P2",
            "MSK broker data volume above 85 % (storage autoscaling lags or is capped)",
            lambda ids: (
                'SELECT MAX(KafkaDataLogsDiskUsed) FROM SCHEMA("AWS/Kafka", '
                f'"Broker ID", "Cluster Name") WHERE {_any(MSK_CLUSTER, ids)}'
            ),
            85,
            3,
        ),
        AlarmSpec(
            "aurora-replica-lag",
            "P2",
            "Aurora readers more than 1 s behind the writer",
            lambda ids: (
                'SELECT MAX(AuroraReplicaLagMaximum) FROM SCHEMA("AWS/RDS", '
                f"DBClusterIdentifier) WHERE {_any('DBClusterIdentifier', ids)}"
            ),
            1000,
        ),
        AlarmSpec(
            "aurora-global-lag",
            "P1",
            "Aurora global database replication more than 1 s behind the primary region",
            lambda ids: (
                'SELECT MAX(AuroraGlobalDBReplicationLag) FROM SCHEMA("AWS/RDS", '
                f"DBClusterIdentifier) WHERE {_any('DBClusterIdentifier', ids)}"
            ),
            1000,
        ),
        AlarmSpec(
            "keyspaces-throttles",
            "P3",
            "Amazon Keyspaces requests throttled",
            lambda ids: (
                'SELECT SUM(WriteThrottleEvents) FROM "AWS/Cassandra" '
                f"WHERE {_any('Keyspace', ids)}"
            ),
            0,
        ),
        AlarmSpec(
            "keyspaces-read-throttles",
            "P3",
            "Amazon Keyspaces reads throttled",
            lambda ids: (
                f'SELECT SUM(ReadThrottleEvents) FROM "AWS/Cassandra" WHERE {_any("Keyspace", ids)}'
            ),
            0,
        ),
        AlarmSpec(
            "dynamodb-throttles",
            "P3",
            "DynamoDB requests throttled",
            lambda ids: (
                'SELECT SUM(ThrottledRequests) FROM SCHEMA("AWS/DynamoDB", Operation, '
                f"TableName) WHERE {_any('TableName', ids)}"
            ),
            0,
        ),
        AlarmSpec(
            "cache-evictions",
            "P3",
            "ElastiCache evicting keys (memory pressure)",
            lambda ids: (
                'SELECT SUM(Evictions) FROM SCHEMA("AWS/ElastiCache", CacheClusterId) '
                f"WHERE {_any('CacheClusterId', ids)}"
            ),
            0,
            3,
        ),
        AlarmSpec(
            "nat-port-allocation",
            "P2",
            "NAT gateway could not allocate a source port (connections failing)",
            lambda ids: (
                'SELECT SUM(ErrorPortAllocation) FROM SCHEMA("AWS/NATGateway", '
                f"NatGatewayId) WHERE {_any('NatGatewayId', ids)}"
            ),
            0,
        ),
        AlarmSpec(
            "nat-packets-dropped",
            "P3",
            "NAT gateway dropping packets",
            lambda ids: (
                'SELECT SUM(PacketsDropCount) FROM SCHEMA("AWS/NATGateway", '
                f"NatGatewayId) WHERE {_any('NatGatewayId', ids)}"
            ),
            0,
            3,
        ),
    )
}
PERIOD_SECONDS = 300

CACHE_FAILOVER_SEVERITY = "P2"
"""Partial outage: the shard's writes failed over (seed: P2, degraded)."""
CACHE_FAILOVER_PERIOD_SECONDS = 60
"""ElastiCache publishes node metrics every 60 s."""
CACHE_FAILOVER_WINDOW = 5
"""Periods the alarm looks back over: it fires on one promotion among them (DIFF needs two)."""
CACHE_FAILOVER_MAX_NODES = 10
"""CloudWatch: an alarm's metric math reads at most 10 metrics."""


@dataclass(frozen=True)
class PlatformAlarmsArgs:
    names: Names
    topic_arns: Mapping[str, pulumi.Input[str]]
    """Severity (P1..P4) -> SNS topic ARN."""
    kafka_cluster_names: Sequence[pulumi.Input[str]] = ()
    aurora_cluster_ids: Sequence[pulumi.Input[str]] = ()
    aurora_secondary_cluster_ids: Sequence[pulumi.Input[str]] = ()
    """Clusters that are secondaries of a global database (replication lag)."""
    keyspaces: Sequence[pulumi.Input[str]] = ()
    dynamodb_tables: Sequence[pulumi.Input[str]] = ()
    cache_shards: Sequence[Sequence[str]] = ()
    """ElastiCache node ids by shard (`cache_shard_node_ids`): evictions over all of them, and a
    failover alarm per shard that has a replica."""
    nat_gateway_ids: Sequence[pulumi.Input[str]] = ()
    watched: Mapping[str, Sequence[pulumi.Input[str]]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "watched",
            {
                "msk-under-replicated": self.kafka_cluster_names,
                "msk-disk-used": self.kafka_cluster_names,
                "aurora-replica-lag": self.aurora_cluster_ids,
                "aurora-global-lag": self.aurora_secondary_cluster_ids,
                "keyspaces-throttles": self.keyspaces,
                "keyspaces-read-throttles": self.keyspaces,
                "dynamodb-throttles": self.dynamodb_tables,
                "cache-evictions": [n for shard in self.cache_shards for n in shard],
                "nat-port-allocation": self.nat_gateway_ids,
                "nat-packets-dropped": self.nat_gateway_ids,
            },
        )


def cache_shard_node_ids(replication_group_id: str, shards: int, replicas: int) -> list[list[str]]:
    """ElastiCache (cluster mode) node ids by shard: `<group>-<shard:04>-<node:03>`."""
    return [
        [f"{replication_group_id}-{s:04d}-{n:03d}" for n in range(1, replicas + 2)]
        for s in range(1, shards + 1)
    ]


def cache_failover_queries(
    node_ids: Sequence[str],
) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict]:
    """The metric math of one shard's failover alarm: MAX over its nodes of DIFF(IsMaster)."""
    if not 2 <= len(node_ids) <= CACHE_FAILOVER_MAX_NODES:
        raise ValueError(
            f"a failover alarm watches 2..{CACHE_FAILOVER_MAX_NODES} nodes, got {len(node_ids)}"
        )
    metrics: list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict] = [
        {
            "id": f"node{i}",
            "metric": {
                "namespace": "AWS/ElastiCache",
                "metric_name": "IsMaster",
                "dimensions": {"CacheClusterId": node},
                "period": CACHE_FAILOVER_PERIOD_SECONDS,
                "stat": "Maximum",
            },
            "label": node,
            "return_data": False,
        }
        for i, node in enumerate(node_ids)
    ]
    diffs = ", ".join(f"DIFF(node{i})" for i in range(len(node_ids)))
    return [
        *metrics,
        {
            "id": "promoted",
            "expression": f"MAX([{diffs}])",
            "label": "a node became the shard's primary",
            "return_data": True,
        },
    ]


class PlatformAlarms(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: PlatformAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:PlatformAlarms", name, None, opts)
        self.alarms = {}
        for key, ids in args.watched.items():
            if not ids:
                continue  # that store does not run in this region
            spec = ALARMS[key]
            topic = args.topic_arns[spec.severity]
            self.alarms[key] = aws.cloudwatch.MetricAlarm(
                f"{name}-{key}",
                name=args.names.physical("alarm", key, max_length=255),
                alarm_description=f"[{spec.severity}] {spec.description}",
                comparison_operator="GreaterThanThreshold",
                threshold=spec.threshold,
                evaluation_periods=spec.periods,
                datapoints_to_alarm=spec.periods,
                treat_missing_data="notBreaching",
                metric_queries=[
                    {
                        "id": "q",
                        "expression": pulumi.Output.all(*ids).apply(
                            lambda values, s=spec: s.query([str(v) for v in values])
                        ),
                        "period": PERIOD_SECONDS,
                        "return_data": True,
                        "label": key,
                    }
                ],
                alarm_actions=[topic],
                ok_actions=[topic],
                tags={"meridian:severity": spec.severity},
                opts=pulumi.ResourceOptions(parent=self),
            )
        topic = args.topic_arns[CACHE_FAILOVER_SEVERITY]
        for shard, nodes in enumerate(args.cache_shards, start=1):
            if len(nodes) < 2:
                continue  # no replica: nothing to fail over to
            key = f"cache-failover-{shard:04d}"
            self.alarms[key] = aws.cloudwatch.MetricAlarm(
                f"{name}-{key}",
                name=args.names.physical("alarm", key, max_length=255),
                alarm_description=(
                    f"[{CACHE_FAILOVER_SEVERITY}] ElastiCache shard {shard:04d} failed over: a "
                    "replica was promoted (check the cause in the cluster's events)"
                ),
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=CACHE_FAILOVER_WINDOW,
                datapoints_to_alarm=1,
                treat_missing_data="notBreaching",
                metric_queries=cache_failover_queries(nodes),
                alarm_actions=[topic],
                ok_actions=[topic],
                tags={"meridian:severity": CACHE_FAILOVER_SEVERITY},
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"alarms": sorted(self.alarms)})
