"""THE table of Meridian's 12 domain services (architecture section 05), one row each.

Everything tenancy creates per service is generated from this table: the namespace, its quota and
limits, the NetworkPolicies (who may call in, what it may call out to), the Istio
AuthorizationPolicy (the callers' SPIFFE principals), the per-namespace ServiceEntries for the
third-party APIs it uses, and the workload identity with only the grants listed here. The tests
and docs/tenancy.md are generated from it too.

Languages, pod counts and autoscaling ranges are the seed's ("Domain Microservices" cards). The
seed gives no ports or call graph; the ones here are Meridian's reading of its responsibilities:
every service listens on 8080 (gRPC where the seed says gRPC), the edge reaches the user-facing
services through the ingress gateway, and order orchestrates checkout (user, payment, geo,
notification). Payment is PCI-DSS scope: only order and the gateway may call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from components.foundation.keyring import KeyClass
from components.mesh.service_mesh import TENANT_PORT

GATEWAY = "gateway"
"""The name callers use for the Istio ingress gateway (the edge's way in)."""

SERVICE_PORT = TENANT_PORT


class Protocol(StrEnum):
    HTTP = "http"
    GRPC = "grpc"


class AwsService(StrEnum):
    """AWS services a workload reaches; each becomes a ServiceEntry host (components/mesh)."""

    STS = "sts"
    KMS = "kms"
    SECRETS_MANAGER = "secretsmanager"
    S3 = "s3"
    DYNAMODB = "dynamodb"
    SQS = "sqs"
    SNS = "sns"
    LOGS = "logs"
    KAFKA = "kafka"
    KEYSPACES = "cassandra"
    RDS = "rds"
    ELASTICACHE = "elasticache"
    OPENSEARCH = "es"


BASELINE_AWS: tuple[AwsService, ...] = (
    AwsService.STS,
    AwsService.KMS,
    AwsService.SECRETS_MANAGER,
    AwsService.LOGS,
)
"""What every workload reaches: credentials (STS), its secrets and their key, its logs."""


@dataclass(frozen=True)
class DomainService:
    name: str
    language: str
    pods: int
    """The seed's steady-state pod count."""
    min_pods: int
    max_pods: int
    """The autoscaling ceiling; the ResourceQuota admits this many pods."""
    protocol: Protocol
    callers: tuple[str, ...]
    """Who may call it: other rows' names or GATEWAY."""
    reaches: tuple[AwsService, ...]
    """AWS services beyond BASELINE_AWS (ServiceEntries and egress): what the service's rows of
    stacks/data/service_dependencies.json travel through (the table's gate checks it)."""
    keys: tuple[KeyClass, ...]
    """KMS keys its identity may use (KeyRing.grant_use); SECRETS for its own secrets."""
    external_hosts: tuple[str, ...] = ()
    """Third-party APIs (TLS 443), visible to this namespace only."""
    pod_cpu_millicores: int = 500
    pod_memory_mib: int = 1024
    """Requests of one pod, app plus sidecar; quota = max_pods x this."""
    pci: bool = False

    @property
    def namespace(self) -> str:
        return self.name

    @property
    def service_account(self) -> str:
        return self.name

    @property
    def port(self) -> int:
        return SERVICE_PORT

    @property
    def principal(self) -> str:
        """The SPIFFE identity Istio gives its pods (trust domain cluster.local)."""
        return f"cluster.local/ns/{self.namespace}/sa/{self.service_account}"

    @property
    def aws(self) -> tuple[AwsService, ...]:
        return tuple(dict.fromkeys((*BASELINE_AWS, *self.reaches)))


_ALL_BUT_CONFIG = (
    "user",
    "auth",
    "content",
    "notification",
    "payment",
    "messaging",
    "search",
    "file",
    "geo",
    "recommendation",
    "order",
)

SERVICES: tuple[DomainService, ...] = (
    DomainService(
        name="user",
        language="Go",
        pods=10,
        min_pods=5,
        max_pods=50,
        protocol=Protocol.GRPC,
        callers=(GATEWAY, "auth", "order", "notification", "messaging", "recommendation"),
        reaches=(
            AwsService.RDS,
            AwsService.ELASTICACHE,
            AwsService.KAFKA,
            AwsService.DYNAMODB,
            AwsService.KEYSPACES,
        ),
        keys=(KeyClass.SECRETS,),
    ),
    DomainService(
        name="auth",
        language="Rust",
        pods=8,
        min_pods=4,
        max_pods=30,
        protocol=Protocol.HTTP,
        callers=(GATEWAY, "user", "order"),
        reaches=(AwsService.RDS, AwsService.ELASTICACHE, AwsService.DYNAMODB),
        keys=(KeyClass.SECRETS,),
    ),
    DomainService(
        name="content",
        language="Java",
        pods=15,
        min_pods=5,
        max_pods=60,
        protocol=Protocol.HTTP,
        callers=(GATEWAY, "search", "recommendation", "notification"),
        reaches=(AwsService.RDS, AwsService.KAFKA),
        keys=(KeyClass.SECRETS,),
        pod_memory_mib=2048,
    ),
    DomainService(
        name="notification",
        language="Node.js",
        pods=12,
        min_pods=5,
        max_pods=80,
        protocol=Protocol.HTTP,
        callers=("user", "order", "content", "messaging"),
        reaches=(AwsService.KAFKA, AwsService.SQS, AwsService.SNS, AwsService.ELASTICACHE),
        keys=(KeyClass.SECRETS, KeyClass.STREAMING),
        external_hosts=("api.sendgrid.com", "api.twilio.com", "fcm.googleapis.com"),
    ),
    DomainService(
        name="payment",
        language="Java",
        pods=8,
        min_pods=4,
        max_pods=20,
        protocol=Protocol.HTTP,
        callers=(GATEWAY, "order"),
        reaches=(AwsService.RDS, AwsService.DYNAMODB, AwsService.KAFKA),
        keys=(KeyClass.SECRETS, KeyClass.DATABASES),
        external_hosts=("api.stripe.com", "checkout-live.adyenpayments.com", "api-m.paypal.com"),
        pod_memory_mib=2048,
        pci=True,
    ),
    DomainService(
        name="messaging",
        language="Erlang",
        pods=30,
        min_pods=10,
        max_pods=100,
        protocol=Protocol.HTTP,
        callers=(GATEWAY,),
        reaches=(AwsService.KEYSPACES, AwsService.ELASTICACHE, AwsService.KAFKA),
        keys=(KeyClass.SECRETS,),
        pod_cpu_millicores=1000,
        pod_memory_mib=2048,
    ),
    DomainService(
        name="search",
        language="Python",
        pods=10,
        min_pods=5,
        max_pods=50,
        protocol=Protocol.HTTP,
        callers=(GATEWAY, "recommendation"),
        reaches=(AwsService.OPENSEARCH, AwsService.KAFKA),
        keys=(KeyClass.SECRETS,),
    ),
    DomainService(
        name="file",
        language="Go",
        pods=8,
        min_pods=4,
        max_pods=30,
        protocol=Protocol.HTTP,
        callers=(GATEWAY, "user", "content", "messaging"),
        reaches=(AwsService.S3, AwsService.SQS),
        keys=(KeyClass.SECRETS, KeyClass.STORAGE),
    ),
    DomainService(
        name="geo",
        language="C++",
        pods=12,
        min_pods=6,
        max_pods=40,
        protocol=Protocol.GRPC,
        callers=(GATEWAY, "order", "recommendation"),
        reaches=(AwsService.RDS, AwsService.ELASTICACHE),
        keys=(KeyClass.SECRETS,),
    ),
    DomainService(
        name="recommendation",
        language="Python",
        pods=20,
        min_pods=8,
        max_pods=40,
        protocol=Protocol.GRPC,
        callers=(GATEWAY, "content", "search"),
        reaches=(AwsService.ELASTICACHE, AwsService.S3, AwsService.KAFKA),
        keys=(KeyClass.SECRETS, KeyClass.STORAGE),
        pod_cpu_millicores=2000,
        pod_memory_mib=8192,
    ),
    DomainService(
        name="order",
        language="Java",
        pods=15,
        min_pods=8,
        max_pods=50,
        protocol=Protocol.HTTP,
        callers=(GATEWAY,),
        reaches=(AwsService.RDS, AwsService.ELASTICACHE, AwsService.KAFKA, AwsService.DYNAMODB),
        keys=(KeyClass.SECRETS,),
        pod_memory_mib=2048,
    ),
    DomainService(
        name="config",
        language="Go",
        pods=6,
        min_pods=3,
        max_pods=6,
        protocol=Protocol.HTTP,
        callers=_ALL_BUT_CONFIG,
        reaches=(),
        keys=(KeyClass.SECRETS,),
        external_hosts=("sdk.launchdarkly.com", "stream.launchdarkly.com"),
    ),
)

BY_NAME: Mapping[str, DomainService] = {s.name: s for s in SERVICES}


def callees(service: DomainService) -> tuple[DomainService, ...]:
    """The services `service` calls (it is among their callers): its egress allowlist."""
    return tuple(s for s in SERVICES if service.name in s.callers)


def aws_services_reached() -> tuple[AwsService, ...]:
    """Every AWS service some workload reaches, in table order: the mesh's ServiceEntries."""
    return tuple(dict.fromkeys(a for s in SERVICES for a in s.aws))


def check_table() -> None:
    """The table is consistent: 12 unique names, known callers, sane sizes."""
    names = [s.name for s in SERVICES]
    if len(set(names)) != len(names):
        raise ValueError("duplicate service names in the tenancy table")
    for s in SERVICES:
        unknown = set(s.callers) - set(names) - {GATEWAY}
        if unknown:
            raise ValueError(f"{s.name}: unknown callers {sorted(unknown)}")
        if s.name in s.callers:
            raise ValueError(f"{s.name} lists itself as a caller")
        if not 0 < s.min_pods <= s.pods <= s.max_pods:
            raise ValueError(f"{s.name}: needs 0 < min_pods <= pods <= max_pods")


check_table()
