"""What AWS answers for the data layer's resources (DATA): ids, ARNs and endpoints in AWS's
formats for RDS (global clusters, clusters, instances, proxies, the managed master secret),
Keyspaces, ElastiCache (replication groups, global datastores, users), DynamoDB (tables, streams,
replicas), AWS Backup (vaults, plans), Secrets Manager and its rotation templates (Serverless
Application Repository stacks); and Secrets Manager's random password.

Used by meridian_ops/plan/aws_mocks.py; each function takes the mock's context and the resource id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Protocol


class Ctx(Protocol):
    type: str
    name: str
    inputs: dict[str, Any]
    region: str
    account: str
    seed: str

    def hex(self, length: int = 17) -> str: ...
    def arn(self, service: str, resource: str, region: str | None = None) -> str: ...


def _cluster_id(ctx: Ctx) -> str:
    return f"cluster-{ctx.hex(26).upper()}"


def _rds_cluster(ctx: Ctx, rid: str) -> dict[str, Any]:
    ident = str(ctx.inputs.get("clusterIdentifier") or rid)
    host = f"{ident}.cluster-{ctx.hex(12)}.{ctx.region}.rds.amazonaws.com"
    out: dict[str, Any] = {
        "arn": ctx.arn("rds", f"cluster:{ident}"),
        "clusterIdentifier": ident,
        "clusterResourceId": _cluster_id(ctx),
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-", 1),
        "hostedZoneId": "Z2R2ITUGPM61AM",
        "engineVersionActual": ctx.inputs.get("engineVersion", ""),
        "masterUserSecrets": [],
    }
    if ctx.inputs.get("manageMasterUserPassword"):
        out["masterUserSecrets"] = [
            {
                "secretArn": ctx.arn(
                    "secretsmanager", f"secret:rds!{_cluster_id(ctx).lower()}-{ctx.hex(6)}"
                ),
                "secretStatus": "active",
                "kmsKeyId": ctx.inputs.get("masterUserSecretKmsKeyId", ""),
            }
        ]
    return out


def _rds_global_cluster(ctx: Ctx, rid: str) -> dict[str, Any]:
    ident = str(ctx.inputs.get("globalClusterIdentifier") or rid)
    return {
        "arn": f"arn:aws:rds::{ctx.account}:global-cluster:{ident}",
        "globalClusterResourceId": f"cluster-{ctx.hex(16)}",
        "endpoint": f"{ident}.global-{ctx.hex(10)}.global.rds.amazonaws.com",
        "engineVersionActual": ctx.inputs.get("engineVersion", ""),
    }


def _rds_instance(ctx: Ctx, rid: str) -> dict[str, Any]:
    ident = str(ctx.inputs.get("identifier") or rid)
    return {
        "arn": ctx.arn("rds", f"db:{ident}"),
        "endpoint": f"{ident}.{ctx.hex(12)}.{ctx.region}.rds.amazonaws.com",
        "dbiResourceId": f"db-{ctx.hex(26).upper()}",
        "writer": False,
    }


def _rds_proxy(ctx: Ctx, rid: str) -> dict[str, Any]:
    name = str(ctx.inputs.get("name") or rid)
    return {
        "arn": ctx.arn("rds", f"db-proxy:prx-{ctx.hex(17)}"),
        "endpoint": f"{name}.proxy-{ctx.hex(12)}.{ctx.region}.rds.amazonaws.com",
    }


def _rds_named(kind: str, key: str) -> Callable[[Ctx, str], dict[str, Any]]:
    def outputs(ctx: Ctx, rid: str) -> dict[str, Any]:
        return {"arn": ctx.arn("rds", f"{kind}:{ctx.inputs.get(key) or rid}")}

    return outputs


def _secret(ctx: Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("secretsmanager", f"secret:{ctx.inputs.get('name', rid)}-{ctx.hex(6)}")}


def _serverless_stack_id(ctx: Ctx) -> str:
    """The CloudFormation stack ARN the Serverless Application Repository deploys into
    (`serverlessrepo-<name>`)."""
    u = ctx.hex(32)
    uuid = f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"
    return ctx.arn("cloudformation", f"stack/serverlessrepo-{ctx.inputs.get('name', '')}/{uuid}")


def _serverless_stack(ctx: Ctx, rid: str) -> dict[str, Any]:
    """A Secrets Manager rotation template's stack: its one output is the function's ARN."""
    function = str(ctx.inputs.get("parameters", {}).get("functionName") or rid)
    return {"outputs": {"RotationLambdaARN": ctx.arn("lambda", f"function:{function}")}}


def _keyspace(ctx: Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("cassandra", f"/keyspace/{ctx.inputs.get('name', rid)}/")}


def _keyspaces_table(ctx: Ctx, rid: str) -> dict[str, Any]:
    ks, table = ctx.inputs.get("keyspaceName", ""), ctx.inputs.get("tableName", rid)
    return {"arn": ctx.arn("cassandra", f"/keyspace/{ks}/table/{table}")}


def _replication_group(ctx: Ctx, rid: str) -> dict[str, Any]:
    ident = str(ctx.inputs.get("replicationGroupId") or rid)
    clustered = any(
        ctx.inputs.get(k) for k in ("clusterMode", "numNodeGroups", "globalReplicationGroupId")
    )
    if not clustered:
        # Cluster mode disabled: a primary (read-write) and a reader endpoint, no configuration
        # endpoint (with in-transit encryption the primary's name starts with `master.`).
        host = f"{ident}.{ctx.hex(6)}.{_code(ctx.region)}.cache.amazonaws.com"
        return {
            "arn": ctx.arn("elasticache", f"replicationgroup:{ident}"),
            "primaryEndpointAddress": f"master.{host}",
            "readerEndpointAddress": f"replica.{host}",
            "clusterEnabled": False,
            "memberClusters": [],
        }
    return {
        "arn": ctx.arn("elasticache", f"replicationgroup:{ident}"),
        "configurationEndpointAddress": (
            f"clustercfg.{ident}.{ctx.hex(6)}.{_code(ctx.region)}.cache.amazonaws.com"
        ),
        "clusterEnabled": True,
        "memberClusters": [],
    }


def _global_replication_group(ctx: Ctx, rid: str) -> dict[str, Any]:
    return {
        "arn": f"arn:aws:elasticache::{ctx.account}:globalreplicationgroup:{rid}",
        "globalReplicationGroupId": rid,
    }


def _cache_user(ctx: Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("elasticache", f"user:{ctx.inputs.get('userId', rid)}")}


def _cache_user_group(ctx: Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("elasticache", f"usergroup:{ctx.inputs.get('userGroupId', rid)}")}


def _dynamodb_table(ctx: Ctx, rid: str) -> dict[str, Any]:
    name = str(ctx.inputs.get("name") or rid)
    arn = ctx.arn("dynamodb", f"table/{name}")
    return {
        "arn": arn,
        "streamArn": f"{arn}/stream/2026-12-01T00:00:00.000",
        "streamLabel": "2026-12-01T00:00:00.000",
    }


def _table_replica(ctx: Ctx, rid: str) -> dict[str, Any]:
    source = str(ctx.inputs.get("globalTableArn", ""))
    name = source.rsplit("/", 1)[-1] if "/" in source else rid
    return {"arn": ctx.arn("dynamodb", f"table/{name}")}


def _backup_vault(ctx: Ctx, rid: str) -> dict[str, Any]:
    return {
        "arn": ctx.arn("backup", f"backup-vault:{ctx.inputs.get('name', rid)}"),
        "recoveryPoints": 0,
    }


def _backup_plan(ctx: Ctx, rid: str) -> dict[str, Any]:
    return {"arn": ctx.arn("backup", f"backup-plan:{rid}"), "version": ctx.hex(32)}


def _code(region: str) -> str:
    parts = region.split("-")
    return (
        f"{parts[0]}{''.join(p[0] for p in parts[1:-1])}{parts[-1]}" if len(parts) > 2 else region
    )


DATA_OUTPUTS: dict[str, Callable[[Any, str], dict[str, Any]]] = {
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/globalCluster:GlobalCluster": _rds_global_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _rds_instance,
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:rds/subnetGroup:SubnetGroup": _rds_named("subgrp", "name"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _rds_named("cluster-pg", "name"),
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": _serverless_stack,
    "aws:keyspaces/keyspace:Keyspace": _keyspace,
    "aws:keyspaces/table:Table": _keyspaces_table,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": _global_replication_group,
    "aws:elasticache/user:User": _cache_user,
    "aws:elasticache/userGroup:UserGroup": _cache_user_group,
    "aws:dynamodb/table:Table": _dynamodb_table,
    "aws:dynamodb/tableReplica:TableReplica": _table_replica,
    "aws:backup/vault:Vault": _backup_vault,
    "aws:backup/plan:Plan": _backup_plan,
}


_GLOBAL_DATASTORE_PREFIX = "virxk"
"""ElastiCache prefixes a global datastore's id with a letter code it picks (e.g. ldgnf)."""


def data_resource_id(ctx: Any) -> str | None:
    """AWS's id of a data-layer resource (its identifier/name), None for other types."""
    inputs = ctx.inputs
    if ctx.type == "aws:rds/cluster:Cluster":
        return str(inputs.get("clusterIdentifier") or "") or None
    if ctx.type == "aws:rds/clusterInstance:ClusterInstance":
        return str(inputs.get("identifier") or "") or None
    if ctx.type == "aws:rds/globalCluster:GlobalCluster":
        return str(inputs.get("globalClusterIdentifier") or "") or None
    if ctx.type == "aws:elasticache/replicationGroup:ReplicationGroup":
        return str(inputs.get("replicationGroupId") or "") or None
    if ctx.type == "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup":
        return f"{_GLOBAL_DATASTORE_PREFIX}-{inputs.get('globalReplicationGroupIdSuffix', '')}"
    if ctx.type in ("aws:dynamodb/table:Table", "aws:backup/vault:Vault", "aws:rds/proxy:Proxy"):
        return str(inputs.get("name") or "") or None
    if ctx.type == "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
        return _serverless_stack_id(ctx)
    if ctx.type == "aws:backup/plan:Plan":
        return hashlib.sha256(ctx.seed.encode()).hexdigest()[:8] + "-" + ctx.hex(4) + "-plan"
    return None


def random_password(args: dict[str, Any]) -> dict[str, Any]:
    """secretsmanager:GetRandomPassword (a fixed, well-formed value: the plan records no secret)."""
    length = int(args.get("passwordLength", 32) or 32)
    return {"randomPassword": ("Mock0" * length)[:length], "id": "random-password"}
