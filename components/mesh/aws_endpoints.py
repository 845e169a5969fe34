"""THE table of AWS service endpoints the mesh lets workloads reach under outbound REGISTRY_ONLY.

Each key is an AWS service (the names tenancy's table uses); the mesh creates one ServiceEntry per
service a workload reaches, with the region's hosts. Hosts with a wildcard (per-resource endpoints:
buckets, brokers, database clusters) cannot be resolved by Envoy, so their ServiceEntry uses
resolution NONE (the sidecar passes the connection through to the address the app resolved).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AwsEndpoint:
    hosts: tuple[str, ...]
    """Host templates; `{region}` becomes the region."""
    port: int = 443
    protocol: str = "TLS"
    """Istio port protocol: TLS (SNI-routed) or TCP."""

    def for_region(self, region: str) -> list[str]:
        return [h.format(region=region) for h in self.hosts]

    @property
    def wildcard(self) -> bool:
        return any(h.startswith("*") for h in self.hosts)


AWS_ENDPOINTS: Mapping[str, AwsEndpoint] = {
    "sts": AwsEndpoint(("sts.{region}.amazonaws.com",)),
    "kms": AwsEndpoint(("kms.{region}.amazonaws.com",)),
    "secretsmanager": AwsEndpoint(("secretsmanager.{region}.amazonaws.com",)),
    "logs": AwsEndpoint(("logs.{region}.amazonaws.com",)),
    "s3": AwsEndpoint(("s3.{region}.amazonaws.com", "*.s3.{region}.amazonaws.com")),
    "dynamodb": AwsEndpoint(("dynamodb.{region}.amazonaws.com",)),
    "sqs": AwsEndpoint(("sqs.{region}.amazonaws.com",)),
    "sns": AwsEndpoint(("sns.{region}.amazonaws.com",)),
    # MSK brokers with IAM authentication (TLS 9098).
    "kafka": AwsEndpoint(("*.kafka.{region}.amazonaws.com",), port=9098),
    # Amazon Keyspaces (Cassandra CQL over TLS).
    "cassandra": AwsEndpoint(("cassandra.{region}.amazonaws.com",), port=9142),
    # Aurora PostgreSQL cluster, reader and instance endpoints (TLS inside the PG protocol).
    "rds": AwsEndpoint(("*.{region}.rds.amazonaws.com",), port=5432, protocol="TCP"),
    # ElastiCache (Redis/Valkey) with in-transit encryption.
    "elasticache": AwsEndpoint(("*.cache.amazonaws.com",), port=6379, protocol="TCP"),
    "es": AwsEndpoint(("*.{region}.es.amazonaws.com",)),
}

POD_IDENTITY_AGENT_ADDRESS = "169.254.170.23"
"""Where the EKS Pod Identity agent serves credentials to pods (link-local, HTTP 80)."""
