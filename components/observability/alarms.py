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

from components.naming import Names


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
    cache_node_ids: Sequence[pulumi.Input[str]] = ()
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
                "cache-evictions": self.cache_node_ids,
                "nat-port-allocation": self.nat_gateway_ids,
                "nat-packets-dropped": self.nat_gateway_ids,
            },
        )


def cache_node_ids(replication_group_id: str, shards: int, replicas: int) -> list[str]:
    """ElastiCache (cluster mode) node ids: `<group>-<shard:04>-<node:03>`."""
    return [
        f"{replication_group_id}-{s:04d}-{n:03d}"
        for s in range(1, shards + 1)
        for n in range(1, replicas + 2)
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
        self.register_outputs({"alarms": sorted(self.alarms)})
