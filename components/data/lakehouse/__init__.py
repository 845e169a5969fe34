"""The lakehouse layer: medallion buckets, catalog, Athena, Lake Formation, Kafka -> bronze, and
the replica of the lake in the paired region."""

from components.data.lakehouse.lakehouse import (
    Lakehouse,
    LakehouseArgs,
    LakeLifecycleArgs,
    bucket_name,
)
from components.data.lakehouse.replication import LakeReplica, LakeReplicaArgs

__all__ = [
    "LakeLifecycleArgs",
    "LakeReplica",
    "LakeReplicaArgs",
    "Lakehouse",
    "LakehouseArgs",
    "bucket_name",
]
