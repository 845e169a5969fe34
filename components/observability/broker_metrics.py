"""BrokerMetrics: the MSK brokers' open-monitoring exporters, scraped into the region's AMP.

MSK runs a JMX exporter (11001) and a node exporter (11002) on every broker, plain HTTP, and
lists its brokers through ListNodes; the developer guide's Prometheus host reads them through
`file_sd_configs` from a targets file ("Set up a Prometheus host on an Amazon EC2 instance",
https://docs.aws.amazon.com/msk/latest/developerguide/set-up-prometheus-host.html). The same
here, split in time the way the stack is built:

- The telemetry scraper (agents.py, built with the cluster, before Kafka exists) has the two jobs
  of `broker_scrape_jobs()`, both reading the brokers' file of `BROKER_TARGETS_DIR` and each
  setting its exporter's port on the targets' addresses (relabelling), where the ConfigMap
  `BROKER_TARGETS_CONFIGMAP` is mounted read-only and optional (`broker_target_files()`): the
  scraper starts before the ConfigMap exists, and the kubelet projects it once it does
  (Kubernetes "Configure a Pod to Use a ConfigMap", optional references; mounted ConfigMaps are
  updated, so a changed broker list reaches the running scraper without a restart, and
  Prometheus' file discovery re-reads a changed file).
- This component, built by the streaming layer once the brokers are known: the ConfigMap of
  targets (every broker's DNS name, labelled with the cluster's name), and a
  NetworkPolicy letting the scraper's pods out to the brokers' subnets on those two ports only.
  The brokers' security group admits the scraper's group on the same ports (KafkaCluster's
  `monitoring_security_group_ids`). The scraper bypasses its sidecar on both ports
  (TelemetryAgentsArgs.scrape_ports): the brokers are outside the mesh registry.

Prometheus file discovery (`files`, `refresh_interval`), its file format (a list of
`{"targets": [...], "labels": {...}}`) and the relabelling of `__address__` before the scrape:
https://prometheus.io/docs/prometheus/latest/configuration/configuration/#file_sd_config

Example::

    BrokerMetrics("kafka-metrics", BrokerMetricsArgs(
        cluster=eks, cluster_name=kafka.cluster.cluster_name,
        broker_endpoints=kafka.broker_endpoints, broker_cidrs=["10.0.128.0/21"],
        scraper_namespace=telemetry.namespace), opts=in_region)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from components.common.kubernetes import OBSERVABILITY_NAMESPACE, object_meta
from components.kubernetes.cluster import EksCluster
from components.observability.cluster_metrics import SCRAPE_INTERVAL, SCRAPER_RELEASE
from components.streaming.kafka import JMX_EXPORTER_PORT, NODE_EXPORTER_PORT

BROKER_TARGETS_CONFIGMAP = "kafka-broker-targets"
BROKER_TARGETS_VOLUME = "kafka-broker-targets"
BROKER_TARGETS_DIR = "/etc/meridian/kafka-brokers"
TARGETS_REFRESH = "1m"
"""How often file discovery re-reads the files besides its change notifications."""
BROKER_TARGETS_FILE = "brokers.json"
BROKER_EXPORTERS: tuple[tuple[str, int], ...] = (
    ("kafka-jmx", JMX_EXPORTER_PORT),
    ("kafka-node", NODE_EXPORTER_PORT),
)
"""Scrape job, the exporter's port on every broker."""
BROKER_SCRAPED_PORTS: tuple[int, ...] = tuple(port for _, port in BROKER_EXPORTERS)
CLUSTER_LABEL = "kafka_cluster"
"""The label every broker target carries: the MSK cluster's name."""


def broker_scrape_jobs() -> list[dict[str, Any]]:
    """The scrape jobs of the brokers' two exporters. Both read the one targets file (the
    brokers' names, no port) and set the exporter's port on each target's address; `$$` is the
    collector's escape of `$` (no environment expansion)."""
    return [
        {
            "job_name": job,
            "scrape_interval": SCRAPE_INTERVAL,
            "file_sd_configs": [
                {
                    "files": [f"{BROKER_TARGETS_DIR}/{BROKER_TARGETS_FILE}"],
                    "refresh_interval": TARGETS_REFRESH,
                }
            ],
            "relabel_configs": [
                {
                    "source_labels": ["__address__"],
                    "action": "replace",
                    "regex": r"([^:]+)(?::\d+)?",
                    "replacement": f"$$1:{port}",
                    "target_label": "__address__",
                }
            ],
        }
        for job, port in BROKER_EXPORTERS
    ]


def broker_target_files() -> tuple[dict[str, Any], dict[str, Any]]:
    """(the scraper pod's volume, its container's mount) of the targets ConfigMap: optional, so
    the scraper starts before the streaming layer writes it; read-only."""
    volume = {
        "name": BROKER_TARGETS_VOLUME,
        "configMap": {"name": BROKER_TARGETS_CONFIGMAP, "optional": True},
    }
    mount = {"name": BROKER_TARGETS_VOLUME, "mountPath": BROKER_TARGETS_DIR, "readOnly": True}
    return volume, mount


def targets_document(cluster_name: str, hosts: Sequence[str]) -> str:
    """The file discovery file: every broker's name, labelled with the cluster's name (each job
    adds its exporter's port)."""
    return json.dumps([{"targets": list(hosts), "labels": {CLUSTER_LABEL: cluster_name}}], indent=2)


@dataclass(frozen=True)
class BrokerMetricsArgs:
    cluster: EksCluster
    """The EKS cluster the scraper runs in (its Kubernetes provider)."""
    cluster_name: pulumi.Input[str]
    """The MSK cluster's name (the targets' `kafka_cluster` label)."""
    broker_endpoints: pulumi.Input[Sequence[str]]
    """Every broker's DNS name (KafkaCluster.broker_endpoints)."""
    broker_cidrs: Sequence[str]
    """The brokers' subnets: where the scraper may go on 11001 and 11002, nowhere else."""
    scraper_namespace: pulumi.Resource
    """The observability namespace (TelemetryAgents.namespace)."""

    def __post_init__(self) -> None:
        if not self.broker_cidrs:
            raise ValueError("broker_cidrs must name the brokers' subnets")


class BrokerMetrics(pulumi.ComponentResource):
    """The broker targets the telemetry scraper reads, and its way out to them."""

    targets: kubernetes.core.v1.ConfigMap

    def __init__(
        self, name: str, args: BrokerMetricsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:BrokerMetrics", name, None, opts)
        in_namespace = pulumi.ResourceOptions(
            parent=self, provider=args.cluster.provider, depends_on=[args.scraper_namespace]
        )
        self.targets = kubernetes.core.v1.ConfigMap(
            f"{name}-targets",
            metadata=object_meta(BROKER_TARGETS_CONFIGMAP, OBSERVABILITY_NAMESPACE),
            data=pulumi.Output.all(args.cluster_name, args.broker_endpoints).apply(
                lambda v: {BROKER_TARGETS_FILE: targets_document(v[0], list(v[1]))}
            ),
            opts=in_namespace,
        )
        kubernetes.networking.v1.NetworkPolicy(
            f"{name}-scraper-egress",
            metadata=object_meta("scrape-kafka-brokers", OBSERVABILITY_NAMESPACE),
            spec={
                "pod_selector": {"match_labels": {"app.kubernetes.io/instance": SCRAPER_RELEASE}},
                "policy_types": ["Egress"],
                "egress": [
                    {
                        "to": [{"ip_block": {"cidr": c}} for c in args.broker_cidrs],
                        "ports": [{"protocol": "TCP", "port": p} for p in BROKER_SCRAPED_PORTS],
                    }
                ],
            },
            opts=in_namespace,
        )
        self.register_outputs(
            {
                "targets": self.targets.metadata.apply(lambda m: m.name if m else None),
                "scrapeJobs": [job for job, _ in BROKER_EXPORTERS],
            }
        )
