"""TelemetryAgents: the cluster's telemetry pipeline, each agent with a role of its own.

- Fluent Bit (AWS's `aws-for-fluent-bit` chart), a DaemonSet on every node, GPU and system pools
  included: container logs to one CloudWatch Logs group per cluster, created here, encrypted with
  the region's logs key, with retention (the agent never creates groups). Its role may only create
  streams in and put events to that group.
- An OpenTelemetry Collector (the `opentelemetry-collector` chart, contrib distribution), a
  Deployment: OTLP in (gRPC 4317, HTTP 4318), traces to AWS X-Ray, metrics as CloudWatch embedded
  metric format to a second encrypted group and, when the region has an Amazon Managed Service
  for Prometheus workspace (`prometheus`), by Prometheus remote write signed with SigV4
  (the `sigv4auth` extension). Its role: X-Ray writes (X-Ray has no resource-level permissions
  for them), that group only, and `aps:RemoteWrite` on that one workspace.

Both charts are pinned in `stacks/versions.py`. Fluent Bit is a node agent like aws-node and
kube-proxy: it reads the nodes' /var/log through hostPath, which no Pod Security level short of
privileged admits, so it runs in `kube-system` and outside the mesh (its only peers are the
CloudWatch Logs endpoint and the API server). The collector is a tenant like any other: the
`observability` namespace enforces Pod Security `restricted`, has sidecar injection, a quota and
limits, default-deny NetworkPolicy and AuthorizationPolicy plus the allows OTLP needs (any meshed
workload, mTLS, ports 4317/4318), and ServiceEntries for the AWS endpoints it writes to under the
mesh's REGISTRY_ONLY outbound policy.

Example::

    TelemetryAgents("telemetry", TelemetryAgentsArgs(
        cluster=cluster, names=names, region="us-east-1", logs_key_arn=keys.arn(KeyClass.LOGS),
        retention_days=30, fluent_bit=HELM_CHARTS["aws-for-fluent-bit"],
        collector=HELM_CHARTS["opentelemetry-collector"], after=addons.ready), opts=in_region)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from components.common.iam import statement
from components.common.kubernetes import (
    MERGED_METRICS_PORT,
    OBSERVABILITY_NAMESPACE,
    PinnedChart,
    dns_egress,
    istiod_egress,
    pinned_release,
)
from components.common.naming import Names
from components.kubernetes.cluster import LOG_RETENTION_DAYS, EksCluster
from components.kubernetes.workload_identity import WorkloadIdentity, WorkloadIdentityArgs
from components.mesh.aws_endpoints import POD_IDENTITY_AGENT_ADDRESS

LOGGING_NAMESPACE = "kube-system"
OTLP_PORTS: tuple[int, ...] = (4317, 4318)
"""OTLP over gRPC and over HTTP."""
COLLECTOR_QUOTA = {"pods": "20", "requests.cpu": "8", "requests.memory": "16Gi"}
COLLECTOR_CONTAINER_DEFAULTS = {"cpu": "200m", "memory": "512Mi"}
COLLECTOR_CONTAINER_LIMITS = {"cpu": "2", "memory": "4Gi"}
FLUENT_BIT_SERVICE_ACCOUNT = "fluent-bit"
FLUENT_BIT_FALLBACK_STREAM_PREFIX = "fluentbit-"
"""Streams of records the Kubernetes filter could not label: `fluentbit-<tag>`."""
COLLECTOR_SERVICE_ACCOUNT = "otel-collector"
SCRAPER_SERVICE_ACCOUNT = "otel-scraper"
ENVOY_METRICS_PORT = MERGED_METRICS_PORT
"""The injector annotates every meshed pod prometheus.io/scrape "true", port "15020", path
"/stats/prometheus" (istio/istio 1.29.2 pkg/kube/inject; the gateway chart's podAnnotations)."""
SCRAPE_INTERVAL = "30s"
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib"
"""The contrib distribution: it carries the awsxray and awsemf exporters."""
XRAY_WRITE_ACTIONS: tuple[str, ...] = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
)
LOG_WRITE_ACTIONS: tuple[str, ...] = (
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)


class PrometheusTarget(Protocol):
    """Where the collector remote-writes metrics (ManagedPrometheus, prometheus.py)."""

    @property
    def remote_write_url(self) -> pulumi.Output[str]: ...
    def grant_remote_write(self, identity: WorkloadIdentity, what: str) -> aws.iam.RolePolicy: ...


def grant_log_group_writes(
    identity: WorkloadIdentity, what: str, log_group_arn: pulumi.Input[str]
) -> aws.iam.RolePolicy:
    """Let a workload write streams of exactly one log group (and nothing else in Logs)."""
    streams = pulumi.Output.concat(log_group_arn, ":log-stream:*")
    return identity.grant(
        what,
        [statement(LOG_WRITE_ACTIONS, [log_group_arn, streams], sid="WriteOneLogGroup")],
    )


def pod_scrape_config() -> dict[str, Any]:
    """The Prometheus scrape job of every pod annotated `prometheus.io/scrape: "true"` (every
    meshed pod: its sidecar's merged metrics on 15020), with Kubernetes service discovery.
    `$$` is the collector's escape of `$` in its configuration (no environment expansion)."""
    annotation = "__meta_kubernetes_pod_annotation_prometheus_io_"
    return {
        "job_name": "kubernetes-pods",
        "scrape_interval": SCRAPE_INTERVAL,
        "kubernetes_sd_configs": [{"role": "pod"}],
        "relabel_configs": [
            {"source_labels": [f"{annotation}scrape"], "action": "keep", "regex": "true"},
            {
                "source_labels": [f"{annotation}path"],
                "action": "replace",
                "regex": "(.+)",
                "target_label": "__metrics_path__",
            },
            {
                "source_labels": ["__address__", f"{annotation}port"],
                "action": "replace",
                "regex": r"([^:]+)(?::\d+)?;(\d+)",
                "replacement": "$$1:$$2",
                "target_label": "__address__",
            },
            {
                "source_labels": ["__meta_kubernetes_namespace"],
                "action": "replace",
                "target_label": "namespace",
            },
            {
                "source_labels": ["__meta_kubernetes_pod_name"],
                "action": "replace",
                "target_label": "pod",
            },
        ],
    }


def aps_host(region: str) -> str:
    """Amazon Managed Service for Prometheus' endpoint in `region` (remote write, query)."""
    return f"aps-workspaces.{region}.amazonaws.com"


def cloudwatch_retention_days(days: int) -> int:
    """The shortest CloudWatch Logs retention period that keeps `days` days."""
    longer = [d for d in sorted(LOG_RETENTION_DAYS) if d >= days]
    if not longer:
        raise ValueError(f"CloudWatch Logs keeps at most {max(LOG_RETENTION_DAYS)} days")
    return longer[0]


@dataclass(frozen=True)
class TelemetryAgentsArgs:
    cluster: EksCluster
    names: Names
    region: str
    logs_key_arn: pulumi.Input[str]
    retention_days: int
    fluent_bit: PinnedChart
    collector: PinnedChart
    after: Sequence[pulumi.Resource] = ()
    """What must run first (the cluster add-ons: DNS, storage)."""
    collector_replicas: int = 2
    prometheus: PrometheusTarget | None = None
    """The region's managed Prometheus workspace: metrics are remote-written there too."""
    scrape_jobs: Sequence[Mapping[str, Any]] = ()
    """Scrape jobs beside the pods' (cluster_metrics.cluster_scrape_jobs: the exporters)."""
    scrape_rbac: Sequence[Mapping[str, Any]] = ()
    """The ClusterRole rules those jobs' service discovery reads with."""
    scrape_ports: Sequence[int] = ()
    """The plain-text ports those jobs scrape (they bypass the scraper's sidecar)."""
    scrape_files: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]] = ()
    """(pod volume, container mount) of each directory of files those jobs' file discovery
    reads (broker_metrics.broker_target_files: the Kafka brokers' targets)."""

    def __post_init__(self) -> None:
        if self.retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"retention_days must be one of {sorted(LOG_RETENTION_DAYS)}")
        if self.collector_replicas < 1:
            raise ValueError("collector_replicas must be at least 1")


class TelemetryAgents(pulumi.ComponentResource):
    """Fluent Bit and an OpenTelemetry Collector for one cluster."""

    releases: dict[str, kubernetes.helm.v3.Release]
    log_group_names: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: TelemetryAgentsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:TelemetryAgents", name, None, opts)
        self._name = name
        self._args = args
        in_aws = pulumi.ResourceOptions(parent=self)
        self._in_kube = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider)
        cluster_name = args.cluster.name

        groups = {
            "workloads": aws.cloudwatch.LogGroup(
                f"{name}-workload-logs",
                name=pulumi.Output.concat("/aws/eks/", cluster_name, "/workloads"),
                kms_key_id=args.logs_key_arn,
                retention_in_days=args.retention_days,
                opts=in_aws,
            ),
            "metrics": aws.cloudwatch.LogGroup(
                f"{name}-otel-metrics",
                name=pulumi.Output.concat("/aws/eks/", cluster_name, "/otel-metrics"),
                kms_key_id=args.logs_key_arn,
                retention_in_days=args.retention_days,
                opts=in_aws,
            ),
        }
        self.log_group_names = {k: g.name for k, g in groups.items()}

        self.namespace = self._observability_namespace(name)

        # --- Fluent Bit -----------------------------------------------------------------------
        fluent_bit = WorkloadIdentity(
            f"{name}-fluent-bit",
            WorkloadIdentityArgs(
                names=args.names,
                cluster_name=cluster_name,
                namespace=LOGGING_NAMESPACE,
                service_account=FLUENT_BIT_SERVICE_ACCOUNT,
            ),
            opts=in_aws,
        )
        fluent_bit_logs = grant_log_group_writes(fluent_bit, "logs", groups["workloads"].arn)
        self.releases = {}
        self._release(
            "fluent-bit",
            args.fluent_bit,
            LOGGING_NAMESPACE,
            {
                "serviceAccount": {"create": True, "name": FLUENT_BIT_SERVICE_ACCOUNT},
                "cloudWatchLogs": {
                    "enabled": True,
                    "region": args.region,
                    "logGroupName": groups["workloads"].name,
                    "logGroupTemplate": "",  # one group, ours: no per-namespace groups
                    # A stream per container. Fluent Bit's cloudwatch_logs output refuses to
                    # start without log_stream_name or log_stream_prefix, even with a
                    # log_stream_template: the template falls back to them, so one of them is
                    # still required (fluent-bit-docs pipeline/outputs/cloudwatch.md; the
                    # chart's README, cloudWatchLogs.logStreamTemplate). The chart's configmap
                    # writes each only when non-empty. The prefix (plus the tag) names the
                    # stream of a record without Kubernetes metadata.
                    "logStreamPrefix": FLUENT_BIT_FALLBACK_STREAM_PREFIX,
                    "logStreamTemplate": "$kubernetes['namespace_name'].$kubernetes['pod_name']"
                    ".$kubernetes['container_name']",
                    "autoCreateGroup": False,
                },
                "cloudWatch": {"enabled": False},
                "firehose": {"enabled": False},
                "kinesis": {"enabled": False},
                "elasticsearch": {"enabled": False},
                # every node, the tainted system and GPU pools included
                "tolerations": [{"operator": "Exists"}],
                "priorityClassName": "system-node-critical",
            },
            [fluent_bit, fluent_bit_logs],
        )
        self._collector_guardrails(name)

        # --- OpenTelemetry Collector ------------------------------------------------------------
        collector = WorkloadIdentity(
            f"{name}-otel",
            WorkloadIdentityArgs(
                names=args.names,
                cluster_name=cluster_name,
                namespace=OBSERVABILITY_NAMESPACE,
                service_account=COLLECTOR_SERVICE_ACCOUNT,
            ),
            opts=in_aws,
        )
        collector_traces = collector.grant(
            "traces", [statement(XRAY_WRITE_ACTIONS, "*", sid="XRayWrites")]
        )
        collector_metrics = grant_log_group_writes(collector, "metrics", groups["metrics"].arn)
        grants: list[pulumi.Resource] = [collector, collector_traces, collector_metrics]
        remote_write: pulumi.Output[str] | None = None
        if args.prometheus is not None:  # SigV4 remote write to this region's AMP
            grants.append(args.prometheus.grant_remote_write(collector, "remote-write"))
            remote_write = args.prometheus.remote_write_url
        self._release(
            "otel-collector",
            args.collector,
            OBSERVABILITY_NAMESPACE,
            self._collector_values(groups["metrics"].name, remote_write),
            grants,
        )
        if args.prometheus is not None:
            self._scraper(name, args.prometheus)
        self.register_outputs(
            {
                "logGroups": self.log_group_names,
                "fluentBitRoleArn": fluent_bit.role.arn,
                "collectorRoleArn": collector.role.arn,
            }
        )

    def _scraper(self, name: str, prometheus: PrometheusTarget) -> None:
        """One collector replica that scrapes the pods (Prometheus receiver, Kubernetes service
        discovery) and remote-writes to the workspace. One replica: two would scrape every
        target twice and write duplicate samples."""
        identity = WorkloadIdentity(
            f"{name}-scraper",
            WorkloadIdentityArgs(
                names=self._args.names,
                cluster_name=self._args.cluster.name,
                namespace=OBSERVABILITY_NAMESPACE,
                service_account=SCRAPER_SERVICE_ACCOUNT,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        write = prometheus.grant_remote_write(identity, "remote-write")
        values = self._collector_values(None, prometheus.remote_write_url)
        config = values["config"]
        jobs = [pod_scrape_config(), *(dict(j) for j in self._args.scrape_jobs)]
        config["receivers"] = {"prometheus": {"config": {"scrape_configs": jobs}}}
        config["exporters"] = {
            "prometheusremotewrite": config["exporters"]["prometheusremotewrite"]
        }
        config["service"]["pipelines"] = {
            "metrics": {
                "receivers": ["prometheus"],
                "processors": ["memory_limiter", "batch"],
                "exporters": ["prometheusremotewrite"],
            }
        }
        values.update(
            {
                "replicaCount": 1,
                "serviceAccount": {"create": True, "name": SCRAPER_SERVICE_ACCOUNT},
                # service discovery reads pods (Kubernetes RBAC, read-only)
                "clusterRole": {
                    "create": True,
                    "rules": [
                        {
                            "apiGroups": [""],
                            "resources": ["pods"],
                            "verbs": ["get", "list", "watch"],
                        },
                        *(dict(r) for r in self._args.scrape_rbac),
                    ],
                },
                # the chart's extraVolumes / extraVolumeMounts: pod volumes and the collector
                # container's mounts, as written
                "extraVolumes": [dict(v) for v, _ in self._args.scrape_files],
                "extraVolumeMounts": [dict(m) for _, m in self._args.scrape_files],
                # pod IPs are outside the mesh registry (REGISTRY_ONLY): the scrape to the
                # agents' plain-text 15020 bypasses this pod's sidecar (istio/api annotation
                # traffic.sidecar.istio.io/excludeOutboundPorts)
                "podAnnotations": {
                    "traffic.sidecar.istio.io/excludeOutboundPorts": ",".join(
                        str(p) for p in (ENVOY_METRICS_PORT, *self._args.scrape_ports)
                    )
                },
            }
        )
        self._release(
            "otel-scraper", self._args.collector, OBSERVABILITY_NAMESPACE, values, [identity, write]
        )

    def _observability_namespace(self, name: str) -> kubernetes.core.v1.Namespace:
        labels = {"istio-injection": "enabled", "app.kubernetes.io/part-of": "meridian-telemetry"}
        for mode in ("enforce", "audit", "warn"):
            labels[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        return kubernetes.core.v1.Namespace(
            f"{name}-ns-{OBSERVABILITY_NAMESPACE}",
            metadata={"name": OBSERVABILITY_NAMESPACE, "labels": labels},
            opts=self._in_kube.merge(pulumi.ResourceOptions(depends_on=list(self._args.after))),
        )

    def _collector_guardrails(self, name: str) -> None:
        """Quota, limits, default deny (network and mesh) with the allows OTLP needs, and the AWS
        endpoints the collector writes to."""
        ns = OBSERVABILITY_NAMESPACE
        in_ns = self._in_kube.merge(pulumi.ResourceOptions(depends_on=[self.namespace]))
        after_mesh = self._in_kube.merge(
            pulumi.ResourceOptions(depends_on=[self.namespace, *self._args.after])
        )
        kubernetes.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata={"name": "telemetry-quota", "namespace": ns},
            spec={"hard": COLLECTOR_QUOTA},
            opts=in_ns,
        )
        kubernetes.core.v1.LimitRange(
            f"{name}-limits",
            metadata={"name": "telemetry-limits", "namespace": ns},
            spec={
                "limits": [
                    {
                        "type": "Container",
                        "default_request": COLLECTOR_CONTAINER_DEFAULTS,
                        "default": COLLECTOR_CONTAINER_LIMITS,
                    }
                ]
            },
            opts=in_ns,
        )
        kubernetes.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata={"name": "default-deny", "namespace": ns},
            spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
            opts=in_ns,
        )
        kubernetes.networking.v1.NetworkPolicy(
            f"{name}-allow-otlp",
            metadata={"name": "allow-otlp", "namespace": ns},
            spec={
                "pod_selector": {},
                "policy_types": ["Ingress", "Egress"],
                "ingress": [
                    {
                        "from_": [{"namespace_selector": {}}],
                        "ports": [{"protocol": "TCP", "port": p} for p in OTLP_PORTS],
                    }
                ],
                "egress": [
                    dns_egress(),
                    istiod_egress(),
                    {
                        "to": [{"ip_block": {"cidr": f"{POD_IDENTITY_AGENT_ADDRESS}/32"}}],
                        "ports": [{"protocol": "TCP", "port": 80}],
                    },
                    # the scraper to every pod's merged metrics (pod_scrape_config)
                    {
                        "to": [{"namespace_selector": {}}],
                        "ports": [{"protocol": "TCP", "port": ENVOY_METRICS_PORT}],
                    },
                    # X-Ray and CloudWatch Logs over HTTPS (interface endpoint or NAT); which
                    # hosts is the mesh's REGISTRY_ONLY allowlist (the ServiceEntry below).
                    {
                        "to": [{"ip_block": {"cidr": "0.0.0.0/0"}}],
                        "ports": [{"protocol": "TCP", "port": 443}],
                    },
                ],
            },
            opts=in_ns,
        )
        for policy, spec in (
            ("deny-all", {}),
            (
                "allow-otlp",
                {
                    "action": "ALLOW",
                    "rules": [
                        {
                            # any workload with a mesh identity (mTLS), OTLP ports only
                            "from": [{"source": {"principals": ["*"]}}],
                            "to": [{"operation": {"ports": [str(p) for p in OTLP_PORTS]}}],
                        }
                    ],
                },
            ),
        ):
            kubernetes.apiextensions.CustomResource(
                f"{name}-{policy}",
                api_version="security.istio.io/v1",
                kind="AuthorizationPolicy",
                metadata={"name": policy, "namespace": ns},
                spec=spec,
                opts=after_mesh,
            )
        region = self._args.region
        kubernetes.apiextensions.CustomResource(
            f"{name}-aws-endpoints",
            api_version="networking.istio.io/v1",
            kind="ServiceEntry",
            metadata={"name": "aws-telemetry-endpoints", "namespace": ns},
            spec={
                "hosts": [
                    f"xray.{region}.amazonaws.com",
                    f"logs.{region}.amazonaws.com",
                    *([aps_host(region)] if self._args.prometheus is not None else []),
                ],
                "exportTo": ["."],
                "location": "MESH_EXTERNAL",
                "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
                "resolution": "DNS",
            },
            opts=after_mesh,
        )

    def _collector_values(
        self, metrics_group: pulumi.Input[str] | None, remote_write: pulumi.Input[str] | None
    ) -> dict[str, Any]:
        region = self._args.region
        metric_exporters = ["awsemf"]
        extensions: dict[str, Any] = {}
        exporters: dict[str, Any] = {}
        if remote_write is not None:
            metric_exporters.append("prometheusremotewrite")
            extensions["sigv4auth"] = {"region": region, "service": "aps"}
            exporters["prometheusremotewrite"] = {
                "endpoint": remote_write,
                "auth": {"authenticator": "sigv4auth"},
                "resource_to_telemetry_conversion": {"enabled": True},
            }
        return {
            "mode": "deployment",
            "replicaCount": self._args.collector_replicas,
            "image": {"repository": COLLECTOR_IMAGE},
            "serviceAccount": {"create": True, "name": COLLECTOR_SERVICE_ACCOUNT},
            # Pod Security `restricted`: non-root, no privilege escalation, no capabilities
            "podSecurityContext": {
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
            },
            "config": {
                "receivers": {
                    "otlp": {
                        "protocols": {
                            "grpc": {"endpoint": "${env:MY_POD_IP}:4317"},
                            "http": {"endpoint": "${env:MY_POD_IP}:4318"},
                        }
                    },
                },
                "processors": {
                    "memory_limiter": {"check_interval": "5s", "limit_percentage": 80},
                    "batch": {},
                },
                # the chart's health_check extension stays (its probes use it)
                "extensions": extensions,
                "exporters": {
                    **exporters,
                    "awsxray": {"region": region},
                    "awsemf": {
                        "region": region,
                        "log_group_name": metrics_group,
                        "log_stream_name": "otel-{PodName}",
                        "namespace": "Meridian/Workloads",
                    },
                },
                # The chart's default `logs` pipeline (OTLP to the debug exporter) stays: it
                # writes to stdout, which Fluent Bit ships like every container's output.
                "service": {
                    "extensions": ["health_check", *extensions],
                    "pipelines": {
                        "traces": {
                            "receivers": ["otlp"],
                            "processors": ["memory_limiter", "batch"],
                            "exporters": ["awsxray"],
                        },
                        "metrics": {
                            "receivers": ["otlp"],
                            "processors": ["memory_limiter", "batch"],
                            "exporters": metric_exporters,
                        },
                    },
                },
            },
        }

    def _release(
        self,
        release: str,
        chart: PinnedChart,
        namespace: str,
        values: dict[str, Any],
        after: Sequence[pulumi.Resource],
    ) -> kubernetes.helm.v3.Release:
        resource = pinned_release(
            f"{self._name}-{release}",
            release=release,
            chart=chart,
            namespace=namespace,
            values=values,
            timeout=600,
            opts=self._in_kube.merge(
                pulumi.ResourceOptions(
                    depends_on=[
                        *self._args.after,
                        *([self.namespace] if namespace == OBSERVABILITY_NAMESPACE else []),
                        *after,
                    ]
                )
            ),
        )
        self.releases[release] = resource
        return resource
