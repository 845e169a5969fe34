"""CloudflareAnalytics: the Cloudflare edge's zone analytics as Prometheus series, for the CDN SLO
(edge cache hit ratio, `stacks/data/slos.json`).

- A Cloudflare API token of its own, read-only and scoped to exactly the environment's zone
  (`Analytics Read`, `Zone Read`) and account (`Account Settings Read`): the exporter lists the
  zones and the accounts the token sees on every pass and exits when either call fails
  (lablabs/cloudflare-exporter 0.0.16 main.go fetchMetrics, cloudflare.go fetchZones /
  fetchAccounts: log.Fatal). The permission group ids are looked up by name by the caller
  (`cloudflare.get_api_token_permission_groups_list`). The token is a secret output.
- A Kubernetes Secret holding it as `CF_API_TOKEN` (the exporter's environment variable), read by
  the chart's `secretRef`.
- The exporter (lablabs/cloudflare-exporter chart, pinned), one replica in the `observability`
  namespace, a meshed tenant like the collectors (Pod Security `restricted`: the image runs as
  root by default, so it runs as nobody, read-only root). `CF_ZONES` limits it to the zone. Its
  pod carries `prometheus.io/scrape` on the exporter's port 8080: the sidecar injector moves the
  annotations to the merged metrics port 15020 and pilot-agent serves the exporter's series there
  beside Envoy's (Istio metrics merging), where the scraper's pod job
  (agents.py `pod_scrape_config`) reads every meshed pod already.
- A ServiceEntry for api.cloudflare.com (the mesh's outbound policy is REGISTRY_ONLY); the
  namespace's NetworkPolicy already lets its pods out on 443.

Cloudflare's analytics are the zone's, not a region's: the stack builds this in ONE region (the
primary), so the series are written to one workspace once, not once per region.

Example::

    CloudflareAnalytics("edge-metrics", CloudflareAnalyticsArgs(
        cluster=cluster, names=names, account_id="0123...", zone_id="4567...",
        permission_group_ids=("<Analytics Read id>", "<Zone Read id>"),
        account_permission_group_ids=("<Account Settings Read id>",),
        cloudflare_provider=provider, chart=HELM_CHARTS["cloudflare-exporter"],
        namespace=telemetry.namespace), opts=in_region)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare
import pulumi_kubernetes as kubernetes

from components.common.kubernetes import OBSERVABILITY_NAMESPACE, PinnedChart, pinned_release
from components.common.naming import Names
from components.kubernetes.cluster import EksCluster

EXPORTER_RELEASE = "cloudflare-exporter"
EXPORTER_PORT = 8080
"""The exporter's listen port (its LISTEN default :8080; the chart's container port `http`)."""
TOKEN_SECRET = "cloudflare-exporter-token"
TOKEN_ENV = "CF_API_TOKEN"
ZONE_PERMISSIONS: tuple[str, ...] = ("Analytics Read", "Zone Read")
"""Cloudflare permission groups of scope com.cloudflare.api.account.zone the exporter needs."""
ACCOUNT_PERMISSIONS: tuple[str, ...] = ("Account Settings Read",)
"""Cloudflare permission groups of scope com.cloudflare.api.account the exporter needs."""
ZONE_SCOPE = "com.cloudflare.api.account.zone"
ACCOUNT_SCOPE = "com.cloudflare.api.account"
CLOUDFLARE_API_HOST = "api.cloudflare.com"
RUN_AS = 65534
"""nobody: the image (alpine, no USER) would run as root."""
DENYLIST: tuple[str, ...] = (
    "cloudflare_worker_requests_count",
    "cloudflare_worker_errors_count",
    "cloudflare_worker_cpu_time",
    "cloudflare_worker_duration",
    "cloudflare_logpush_failed_jobs_account_count",
)
"""Account-level series the token has no permission for (Workers, account Logpush)."""


def token_policies(
    account_id: str,
    zone_id: str,
    zone_groups: Sequence[pulumi.Input[str]],
    account_groups: Sequence[pulumi.Input[str]],
) -> list[cloudflare.ApiTokenPolicyArgsDict]:
    """Allow the zone groups on one zone and the account groups on one account; nothing else."""
    return [
        {
            "effect": "allow",
            "permission_groups": [{"id": g} for g in zone_groups],
            "resources": json.dumps({f"{ZONE_SCOPE}.{zone_id}": "*"}),
        },
        {
            "effect": "allow",
            "permission_groups": [{"id": g} for g in account_groups],
            "resources": json.dumps({f"{ACCOUNT_SCOPE}.{account_id}": "*"}),
        },
    ]


def exporter_values(zone_id: str) -> dict[str, Any]:
    """The chart's values: one zone, the token from the Secret, scraped through the sidecar's
    merged metrics, Pod Security `restricted`."""
    return {
        "replicaCount": 1,  # two would write every sample twice
        "env": [
            {"name": "CF_ZONES", "value": zone_id},
            {"name": "METRICS_DENYLIST", "value": ",".join(DENYLIST)},
        ],
        "secretRef": TOKEN_SECRET,
        "podAnnotations": {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(EXPORTER_PORT),
            "prometheus.io/path": "/metrics",
        },
        "service": {"addPrometheusScrapeAnnotation": False},  # the pod's annotations only
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
    }


@dataclass(frozen=True)
class CloudflareAnalyticsArgs:
    cluster: EksCluster
    names: Names
    account_id: str
    zone_id: str
    permission_group_ids: Sequence[pulumi.Input[str]]
    """The ids of `ZONE_PERMISSIONS`, in that order."""
    account_permission_group_ids: Sequence[pulumi.Input[str]]
    """The ids of `ACCOUNT_PERMISSIONS`, in that order."""
    cloudflare_provider: pulumi.ProviderResource
    chart: PinnedChart
    namespace: pulumi.Resource
    """The observability namespace (TelemetryAgents.namespace)."""
    after: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if len(self.permission_group_ids) != len(ZONE_PERMISSIONS):
            raise ValueError(f"permission_group_ids: one id per {list(ZONE_PERMISSIONS)}")
        if len(self.account_permission_group_ids) != len(ACCOUNT_PERMISSIONS):
            raise ValueError(f"account_permission_group_ids: one id per {ACCOUNT_PERMISSIONS}")
        for what, value in (("account_id", self.account_id), ("zone_id", self.zone_id)):
            if len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
                raise ValueError(f"{what} must be a Cloudflare id (32 hex digits): {value!r}")


class CloudflareAnalytics(pulumi.ComponentResource):
    """A zone-scoped read-only token and the Cloudflare analytics exporter."""

    token: cloudflare.ApiToken
    release: kubernetes.helm.v3.Release

    def __init__(
        self, name: str, args: CloudflareAnalyticsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:observability:CloudflareAnalytics", name, None, opts)
        self.token = cloudflare.ApiToken(
            f"{name}-token",
            name=args.names.physical("cloudflare-analytics"),
            policies=token_policies(
                args.account_id,
                args.zone_id,
                args.permission_group_ids,
                args.account_permission_group_ids,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.cloudflare_provider,
                additional_secret_outputs=["value"],
            ),
        )
        in_kube = pulumi.ResourceOptions(
            parent=self,
            provider=args.cluster.provider,
            depends_on=[args.namespace, *args.after],
        )
        secret = kubernetes.core.v1.Secret(
            f"{name}-token-secret",
            metadata={"name": TOKEN_SECRET, "namespace": OBSERVABILITY_NAMESPACE},
            type="Opaque",
            string_data={TOKEN_ENV: pulumi.Output.secret(self.token.value)},
            opts=in_kube,
        )
        kubernetes.apiextensions.CustomResource(
            f"{name}-cloudflare-api",
            api_version="networking.istio.io/v1",
            kind="ServiceEntry",
            metadata={"name": "cloudflare-api", "namespace": OBSERVABILITY_NAMESPACE},
            spec={
                "hosts": [CLOUDFLARE_API_HOST],
                "exportTo": ["."],
                "location": "MESH_EXTERNAL",
                "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
                "resolution": "DNS",
            },
            opts=in_kube,
        )
        self.release = pinned_release(
            f"{name}-{EXPORTER_RELEASE}",
            release=EXPORTER_RELEASE,
            chart=args.chart,
            namespace=OBSERVABILITY_NAMESPACE,
            values=exporter_values(args.zone_id),
            timeout=600,
            opts=in_kube.merge(pulumi.ResourceOptions(depends_on=[secret])),
        )
        self.register_outputs({"release": self.release.name, "zone": args.zone_id})
