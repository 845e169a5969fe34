"""K8ssandra: Apache Cassandra on the region's EKS cluster, for regions without Amazon Keyspaces
(or where config asks for it): the K8ssandra operator from its pinned chart and a
`K8ssandraCluster` whose datacenters are the environment's Cassandra-on-EKS regions.

- one datacenter per region, 3 nodes (one per AZ): with NetworkTopologyStrategy and RF=3 per DC
  every row has a replica in every AZ of every region (the schema ConfigMap carries the CQL);
- data on an encrypted gp3 StorageClass (the region's compute key, the EBS CSI driver), volumes
  kept on delete and tagged for AWS Backup's daily plan (components/data/backup.py);
- Medusa backs up to the region's own bucket (SSE-KMS with the backups key) with its own
  WorkloadIdentity role (S3 on that bucket only);
- the namespace is in the mesh (sidecars, STRICT mTLS mesh-wide): default-deny NetworkPolicy and
  AuthorizationPolicy, then only the tenants config names reach CQL (9042).

The first region of `datacenters` runs the operator's control plane and declares the cluster;
the others run it in data-plane mode (the control plane reaches them through ClientConfigs the
operations layer registers, one per remote EKS cluster).

Example::

    K8ssandra("cassandra", K8ssandraArgs(names=names, cluster=cluster, region="me-south-1",
              datacenters=["me-south-1"], keyspace="meridian", tables=tables,
              chart=HELM_CHARTS["k8ssandra-operator"], cassandra_version="4.1.8",
              volume_key_arn=keys.arn(KeyClass.COMPUTE), backup_bucket="...",
              backup_key_arn=keys.arn(KeyClass.BACKUPS), partition="aws"),
              opts=in_region)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.common.buckets import SecureBucketSpec, secure_bucket
from components.common.iam import key_use_through, statement
from components.common.kubernetes import (
    PinnedChart,
    default_deny_network_policy,
    dns_egress,
    istiod_egress,
    pinned_release,
)
from components.common.naming import Names, region_code
from components.data.backup import BACKUP_TAG
from components.data.tables import CassandraTable
from components.kubernetes.workload_identity import WorkloadIdentity, WorkloadIdentityArgs

NAMESPACE = "cassandra"
SERVICE_ACCOUNT = "cassandra"
STORAGE_CLASS = "cassandra-gp3"
CQL_PORT = 9042
REPLICATION_FACTOR = 3
"""Per datacenter (the seed: Cassandra RF=3 per DC)."""
NODES_PER_DATACENTER = 3
INTERNODE_PORTS = (7000, 7001, 7199, 8080, 9000)
"""Gossip/streaming (7000, TLS 7001), JMX, the management API and Medusa's gRPC."""


class CassandraCluster(Protocol):
    @property
    def name(self) -> pulumi.Output[str]: ...
    @property
    def provider(self) -> k8s.Provider: ...


def datacenter_name(region: str) -> str:
    return f"dc-{region_code(region)}"


def keyspace_cql(
    keyspace: str, datacenters: Sequence[str], tables: Sequence[CassandraTable]
) -> str:
    """The keyspace (RF=3 in every datacenter) and its tables, as CQL."""
    rf = ", ".join(f"'{datacenter_name(r)}': {REPLICATION_FACTOR}" for r in datacenters)
    lines = [
        f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = "
        f"{{'class': 'NetworkTopologyStrategy', {rf}}};",
        *(t.cql(keyspace) for t in tables),
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class K8ssandraArgs:
    names: Names
    cluster: CassandraCluster
    region: str
    datacenters: Sequence[str]
    keyspace: str
    tables: Sequence[CassandraTable]
    chart: PinnedChart
    """stacks.versions.HelmChart of the operator."""
    cassandra_version: str
    volume_key_arn: pulumi.Input[str]
    backup_bucket: str
    backup_key_arn: pulumi.Input[str]
    partition: str
    """The AWS partition of the backup bucket's ARN (``AwsScope.partition``)."""
    clients: Sequence[str] = ("messaging",)
    """Tenant namespaces (service accounts of the same name) allowed to reach CQL."""
    volume_gb: int = 500
    after: Sequence[pulumi.Resource] = field(default_factory=tuple)


class K8ssandra(pulumi.ComponentResource):
    """Cassandra on EKS through the K8ssandra operator; see the module docstring."""

    def __init__(
        self, name: str, args: K8ssandraArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:data:K8ssandra", name, None, opts)
        if args.region not in args.datacenters:
            raise ValueError("the region must be one of the datacenters")
        child = pulumi.ResourceOptions(parent=self)
        kube = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider)
        control_plane = args.region == args.datacenters[0]

        namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata={
                "name": NAMESPACE,
                "labels": {
                    "istio-injection": "enabled",
                    "app.kubernetes.io/part-of": "meridian",
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
            opts=kube.merge(pulumi.ResourceOptions(depends_on=list(args.after))),
        )
        in_ns = kube.merge(pulumi.ResourceOptions(depends_on=[namespace]))
        self._policies(name, args, in_ns)

        k8s.storage.v1.StorageClass(
            f"{name}-storage",
            metadata={"name": STORAGE_CLASS},
            provisioner="ebs.csi.aws.com",
            parameters={
                "type": "gp3",
                "encrypted": "true",
                "kmsKeyId": args.volume_key_arn,  # type: ignore[dict-item]
                "tagSpecification_1": f"{BACKUP_TAG[0]}={BACKUP_TAG[1]}",
            },
            reclaim_policy="Retain",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=kube,
        )

        bucket = secure_bucket(
            self,
            f"{name}-backups",
            SecureBucketSpec(
                bucket_name=args.backup_bucket,
                kms_key_arn=args.backup_key_arn,
                partition=args.partition,
            ),
        )
        medusa = WorkloadIdentity(
            f"{name}-medusa",
            WorkloadIdentityArgs(
                names=args.names,
                cluster_name=args.cluster.name,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
            ),
            opts=child,
        )
        medusa.grant(
            "backups",
            [
                statement(["s3:ListBucket", "s3:GetBucketLocation"], bucket.arn, sid="TheBucket"),
                statement(
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                    bucket.arn.apply(lambda arn: f"{arn}/*"),
                    sid="ItsObjects",
                ),
                key_use_through(
                    ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    args.backup_key_arn,
                    f"s3.{args.region}.amazonaws.com",
                    sid="TheBackupsKeyThroughS3",
                ),
            ],
        )
        k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={"name": SERVICE_ACCOUNT, "namespace": NAMESPACE},
            automount_service_account_token=True,
            opts=in_ns,
        )
        k8s.core.v1.ConfigMap(
            f"{name}-schema",
            metadata={"name": "cassandra-schema", "namespace": NAMESPACE},
            data={"schema.cql": keyspace_cql(args.keyspace, args.datacenters, args.tables)},
            opts=in_ns,
        )
        operator = pinned_release(
            f"{name}-operator",
            release="k8ssandra-operator",
            chart=args.chart,
            namespace=NAMESPACE,
            values={"global": {"clusterScoped": False}, "controlPlane": control_plane},
            opts=in_ns,
        )
        if control_plane:
            k8s.apiextensions.CustomResource(
                f"{name}-cluster",
                api_version="k8ssandra.io/v1alpha1",
                kind="K8ssandraCluster",
                metadata={"name": "meridian", "namespace": NAMESPACE},
                spec=self.cluster_spec(args),
                opts=kube.merge(
                    pulumi.ResourceOptions(depends_on=[operator, medusa], protect=True)
                ),
            )
        self.register_outputs({"datacenter": datacenter_name(args.region)})

    @staticmethod
    def cluster_spec(args: K8ssandraArgs) -> dict[str, Any]:
        return {
            "cassandra": {
                "serverVersion": args.cassandra_version,
                "serviceAccount": SERVICE_ACCOUNT,
                "storageConfig": {
                    "cassandraDataVolumeClaimSpec": {
                        "storageClassName": STORAGE_CLASS,
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": f"{args.volume_gb}Gi"}},
                    }
                },
                "datacenters": [
                    {
                        "metadata": {"name": datacenter_name(region)},
                        "k8sContext": f"eks-{region}",
                        "size": NODES_PER_DATACENTER,
                    }
                    for region in args.datacenters
                ],
            },
            "medusa": {
                "storageProperties": {
                    "storageProvider": "s3",
                    "bucketName": args.backup_bucket,
                    "region": args.region,
                    "credentialsType": "role-based",
                    "prefix": "medusa",
                }
            },
        }

    def _policies(self, name: str, args: K8ssandraArgs, opts: pulumi.ResourceOptions) -> None:
        """Default deny (Kubernetes and Istio), then CQL from the named tenants and the internode
        ports inside the namespace."""
        own: k8s.networking.v1.NetworkPolicyPeerArgsDict = {
            "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": NAMESPACE}}
        }
        default_deny_network_policy(f"{name}-default-deny", NAMESPACE, opts)
        internode: list[k8s.networking.v1.NetworkPolicyPortArgsDict] = [
            {"protocol": "TCP", "port": p} for p in INTERNODE_PORTS
        ]
        allow: k8s.networking.v1.NetworkPolicySpecArgsDict = {
            "pod_selector": {},
            "policy_types": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from_": [
                        {"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": c}}}
                        for c in args.clients
                    ],
                    "ports": [{"protocol": "TCP", "port": CQL_PORT}],
                },
                {"from_": [own], "ports": [*internode, {"protocol": "TCP", "port": CQL_PORT}]},
            ],
            "egress": [
                dns_egress(),
                istiod_egress(),
                {"to": [own], "ports": [*internode, {"protocol": "TCP", "port": CQL_PORT}]},
                # Medusa to S3 and the operator to the API server (public addresses: the
                # mesh's REGISTRY_ONLY allowlist decides which hosts)
                {"ports": [{"protocol": "TCP", "port": 443}]},
            ],
        }
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow",
            metadata={"name": "allow-cassandra", "namespace": NAMESPACE},
            spec=allow,
            opts=opts,
        )
        for policy, spec in (
            ("deny-all", {}),
            (
                "allow-cql",
                {
                    "action": "ALLOW",
                    "rules": [
                        {
                            "from": [
                                {
                                    "source": {
                                        "principals": [
                                            f"cluster.local/ns/{c}/sa/{c}" for c in args.clients
                                        ]
                                    }
                                }
                            ],
                            "to": [{"operation": {"ports": [str(CQL_PORT)]}}],
                        },
                        {"from": [{"source": {"namespaces": [NAMESPACE]}}]},
                    ],
                },
            ),
        ):
            k8s.apiextensions.CustomResource(
                f"{name}-{policy}",
                api_version="security.istio.io/v1",
                kind="AuthorizationPolicy",
                metadata={"name": policy, "namespace": NAMESPACE},
                spec=spec,
                opts=opts,
            )
