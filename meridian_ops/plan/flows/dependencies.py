"""Graph queries for the dependency and event flows: each row of
stacks/data/service_dependencies.json traced to its IAM grant (the exact ARN in up mode; in
preview, where ARNs are unknown, the grant's dependency on the target resource) and its network
link (the namespace's NetworkPolicy egress on the row's port, the ServiceEntry of an external
host). `trace_row` returns the missing link as a sentence, e.g.
"payment -> produce payment-events: no IAM grant (tenants-payment-kafka-produce)".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from meridian_ops.plan.flows.harness import name_of
from meridian_ops.plan.flows.netpath import NetGraph, missing_links, pod_source
from stacks.dependencies import Dependency


def states(plan: Mapping[str, Any], resource_type: str | None = None) -> list[dict[str, Any]]:
    """The planned states of a plan document (of `resource_type`, if given)."""
    found = [s["newState"] for s in plan["steps"] if s.get("newState")]
    return found if resource_type is None else [s for s in found if s["type"] == resource_type]


ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE_ENTRY = "kubernetes:networking.istio.io/v1:ServiceEntry"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

PORTS = {
    "aurora": 5432,
    "cache": 6379,
    "cassandra": 9142,
    "produce": 9098,
    "consume": 9098,
    "dynamodb": 443,
    "bucket": 443,
    "queue-consume": 443,
    "publish": 443,
    "external": 443,
}
"""The port each kind of row leaves the pod on (RDS 5432, Valkey 6379, Keyspaces CQL 9142 TLS,
MSK IAM 9098, AWS APIs and third-party APIs 443)."""


def by_name(plan: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name_of(s): s for s in states(dict(plan), resource_type)}


def one_named(plan: Mapping[str, Any], resource_type: str, name: str) -> dict[str, Any] | None:
    return by_name(plan, resource_type).get(name)


def statements(policy: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The policy's statements, or None while the document is unknown (preview)."""
    text = policy["inputs"].get("policy")
    if not isinstance(text, str) or text == UNKNOWN:
        return None
    return json.loads(text)["Statement"]


def allows(policy: Mapping[str, Any], action: str, resource: str) -> bool:
    for s in statements(policy) or []:
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        named = resource in resources or (
            resource.startswith("*") and any(str(r).endswith(resource[1:]) for r in resources)
        )
        if s["Effect"] == "Allow" and action in s["Action"] and named:
            return True
    return False


def depends_on(state: Mapping[str, Any], urn: str) -> bool:
    return any(urn in urns for urns in state.get("propertyDependencies", {}).values())


def _kafka_arn(plan: Mapping[str, Any], kind: str, name: str) -> tuple[str, str]:
    cluster = one_named(plan, "aws:msk/cluster:Cluster", "kafka-cluster")
    assert cluster is not None
    # MSK developer guide, "Authorization policy resources": topic/<cluster-name>/<uuid>/<topic>
    arn = cluster["outputs"].get("arn", UNKNOWN)
    return cluster["urn"], f"{arn.replace(':cluster/', f':{kind}/')}/{name}"


def expected_grant(
    plan: Mapping[str, Any], row: Dependency
) -> tuple[str, list[tuple[str, str]], str] | None:
    """(policy name, [(action, exact resource ARN)], URN of the resource granted), or None for a
    kind granted without IAM (external APIs)."""
    svc = row.service
    if row.kind == "produce":
        urn, arn = _kafka_arn(plan, "topic", row.target)
        return f"tenants-{svc}-kafka-produce", [("kafka-cluster:WriteData", arn)], urn
    if row.kind == "consume":
        urn, topic = _kafka_arn(plan, "topic", row.target)
        _, group = _kafka_arn(plan, "group", row.group)
        return (
            f"tenants-{svc}-kafka-consume-{row.group}",
            [("kafka-cluster:ReadData", topic), ("kafka-cluster:AlterGroup", group)],
            urn,
        )
    if row.kind == "queue-consume":
        queue = one_named(plan, "aws:sqs/queue:Queue", f"kafka-{row.target}")
        assert queue is not None, f"no fan-out queue {row.target}"
        return (
            f"tenants-{svc}-queue-consume-{row.target}",
            [("sqs:ReceiveMessage", queue["outputs"].get("arn", UNKNOWN))],
            queue["urn"],
        )
    if row.kind == "publish":
        topic = one_named(plan, "aws:sns/topic:Topic", "kafka-notification-fanout")
        assert topic is not None
        return (
            f"tenants-{svc}-fanout-publish",
            [("sns:Publish", topic["outputs"].get("arn", UNKNOWN))],
            topic["urn"],
        )
    if row.kind == "bucket":
        bucket = one_named(plan, "aws:s3/bucket:Bucket", f"service-buckets-{row.target}")
        assert bucket is not None, f"no bucket {row.target}"
        arn = bucket["outputs"].get("arn", UNKNOWN)
        actions = ["s3:GetObject"] + (["s3:PutObject"] if row.access == "read-write" else [])
        return (
            f"tenants-{svc}-bucket-{row.target}",
            [(a, f"{arn}/{row.prefix}*") for a in actions],
            bucket["urn"],
        )
    if row.kind in ("aurora", "cache", "cassandra", "dynamodb"):
        return _store_grant(plan, row)
    return None


def _arn(state: Mapping[str, Any] | None) -> str:
    return str((state or {}).get("outputs", {}).get("arn", UNKNOWN))


def _store_grant(
    plan: Mapping[str, Any], row: Dependency
) -> tuple[str, list[tuple[str, str]], str] | None:
    """The grant of a store row on the exact resource: the Aurora proxy's and cluster's
    `dbuser:<resource id>/<service>` (IAM database authentication, "Creating and using an IAM
    policy for IAM database access"), the replication group and the service's cache user
    (ElastiCache IAM authentication), the Keyspaces table, the DynamoDB table."""
    svc = row.service
    if row.kind == "aurora":
        cluster = one_named(plan, "aws:rds/cluster:Cluster", "aurora-cluster")
        proxy = one_named(plan, "aws:rds/proxy:Proxy", "aurora-proxy")
        assert cluster is not None
        arn = _arn(cluster)
        ids = [str(cluster["outputs"].get("clusterResourceId", UNKNOWN))]
        if proxy is not None:
            ids.append(_arn(proxy).rsplit(":", 1)[-1])
        prefix = arn.split(":rds:", 1)[0] + ":rds-db:" + ":".join(arn.split(":")[3:5])
        needs = [("rds-db:connect", f"{prefix}:dbuser:{i}/{svc}") for i in ids]
        return f"tenants-{svc}-aurora-connect", needs, (proxy or cluster)["urn"]
    if row.kind == "cache":
        group = one_named(plan, "aws:elasticache/replicationGroup:ReplicationGroup", "cache-group")
        user = one_named(plan, "aws:elasticache/user:User", f"cache-user-{svc}")
        assert group is not None, "no cache group"
        needs = [("elasticache:Connect", _arn(group))]
        needs.append(("elasticache:Connect", _arn(user) if user else f"cache user of {svc}"))
        return f"tenants-{svc}-cache-connect", needs, group["urn"]
    if row.kind == "cassandra":
        table_ = one_named(plan, "aws:keyspaces/table:Table", f"cassandra-{row.target}")
        # a region served by a multi-region keyspace it does not own: the table by its name
        arn = _arn(table_) if table_ is not None else f"*/table/{row.target}"
        if table_ is not None and arn == UNKNOWN:  # preview: written from the names
            inputs = table_["inputs"]
            arn = f"*:/keyspace/{inputs.get('keyspaceName')}/table/{inputs.get('tableName')}"
        return (
            f"tenants-{svc}-cassandra-read-write",
            [("cassandra:Select", arn)],
            table_["urn"] if table_ is not None else "",
        )
    table_ = one_named(plan, "aws:dynamodb/table:Table", f"dynamodb-{row.target}")
    if table_ is not None:
        arn = _arn(table_)
        if arn == UNKNOWN:  # preview: the grant is written from the table's name
            arn = f"*:table/{table_['inputs'].get('name')}"
    else:  # a replica region: the grant names the local replica, the owner's ARN in this region
        replica = one_named(
            plan, "aws:dynamodb/tableReplica:TableReplica", f"dynamodb-{row.target}-replica"
        )
        if replica is None:
            return f"tenants-{svc}-dynamodb-{row.target}", [("dynamodb:GetItem", UNKNOWN)], ""
        owner = str(replica["inputs"].get("globalTableArn", UNKNOWN)).split(":")
        region = str(replica["urn"]).split("::", 1)[0].removeprefix("urn:pulumi:").split("-", 1)[1]
        arn = ":".join([*owner[:3], region, *owner[4:]]) if len(owner) == 6 else UNKNOWN
    return f"tenants-{svc}-dynamodb-{row.target}", [("dynamodb:GetItem", arn)], ""


def _egress_ports(plan: Mapping[str, Any], namespace: str) -> set[int]:
    ports: set[int] = set()
    for policy in states(dict(plan), NETPOL):
        meta = policy["inputs"]["metadata"]
        if meta.get("namespace") != namespace or meta.get("name") != "allow-mesh":
            continue
        for rule in policy["inputs"]["spec"].get("egress", []):
            ports |= {p["port"] for p in rule.get("ports", [])}
    return ports


def _external_hosts(plan: Mapping[str, Any], namespace: str) -> set[str]:
    hosts: set[str] = set()
    for entry in states(dict(plan), SERVICE_ENTRY):
        if entry["inputs"]["metadata"].get("namespace") == namespace:
            hosts |= set(entry["inputs"]["spec"].get("hosts", []))
    return hosts


def store_present(plan: Mapping[str, Any], row: Dependency) -> bool:
    """Whether the region runs the store the row names (Aurora-less regions, K8ssandra regions
    where Cassandra is in-cluster and granted by its own roles)."""
    if row.kind == "aurora":
        return one_named(plan, "aws:rds/cluster:Cluster", "aurora-cluster") is not None
    if row.kind == "cassandra":
        return bool(states(dict(plan), "meridian:data:CassandraKeyspace"))
    return True


DESTINATIONS: dict[str, dict[str, Any]] = {
    "aurora": {
        "kind": "vpc-store",
        "host": "meridian.proxy-abc123.{region}.rds.amazonaws.com",
        "targets": ["aurora-proxy-sg", "aurora-sg"],
    },
    "cache": {
        "kind": "vpc-store",
        "host": "clustercfg.meridian.abc123.cache.amazonaws.com",
        "targets": ["cache-sg"],
    },
    "produce": {
        "kind": "vpc-store",
        "host": "b-1.meridian.abc123.c2.kafka.{region}.amazonaws.com",
        "targets": ["kafka-brokers"],
    },
    "cassandra": {
        "kind": "aws-api",
        "host": "cassandra.{region}.amazonaws.com",
        "endpoint": "cassandra",
    },
    "dynamodb": {
        "kind": "aws-api",
        "host": "dynamodb.{region}.amazonaws.com",
        "gateway": "dynamodb",
    },
    "bucket": {"kind": "aws-api", "host": "s3.{region}.amazonaws.com", "gateway": "s3"},
    "queue-consume": {"kind": "aws-api", "host": "sqs.{region}.amazonaws.com", "endpoint": "sqs"},
    "publish": {"kind": "aws-api", "host": "sns.{region}.amazonaws.com", "endpoint": "sns"},
    "external": {"kind": "internet"},
}
"""Where each kind of row connects: an in-VPC store behind its security groups (Aurora through
RDS Proxy, ElastiCache, MSK brokers; hosts in the forms the services document), an AWS API by
its regional endpoint (interface endpoint service, or S3/DynamoDB gateway endpoint; else NAT),
or a third-party host on the internet (the row's target, through NAT)."""
DESTINATIONS["consume"] = DESTINATIONS["produce"]


def net_graph(plan: Mapping[str, Any]) -> NetGraph:
    """The network graph of one regional stack's plan (its region read from the stack name)."""
    stack = str(states(plan)[0]["urn"]).split("::", 1)[0].removeprefix("urn:pulumi:")
    return NetGraph(plan, stack.split("-", 1)[1])


def network_links(
    plan: Mapping[str, Any], row: Dependency, graph: NetGraph | None = None
) -> list[str]:
    """The missing links of the row's network path from the service's pods: security-group
    egress and the target's ingress, the route (endpoint, gateway or NAT), NetworkPolicy egress
    and the ServiceEntry (netpath.missing_links). `graph`: the plan's `net_graph`, when the
    caller traces many rows of one plan."""
    graph = graph or net_graph(plan)
    spec = {**DESTINATIONS[row.kind], "port": PORTS[row.kind]}
    if row.kind == "external":
        spec["host"] = row.target
    source = pod_source(graph, {"namespace": row.service})
    name = f"{row.service} -> {row.kind} {row.target}"
    return [
        f"{name}: {m.split(': ', 1)[1]}"
        for m in missing_links(graph, row.service, source, name, spec)
    ]


def trace_row(plan: Mapping[str, Any], row: Dependency, graph: NetGraph | None = None) -> list[str]:
    """The missing links of one row in one regional stack (empty: the row is traced); `graph`
    as for `network_links`."""
    what = f"{row.service} -> {row.kind} {row.target}"
    missing: list[str] = []
    if not store_present(plan, row):
        return missing
    port = PORTS[row.kind]
    missing += network_links(plan, row, graph)
    if port not in _egress_ports(plan, row.service):
        missing.append(f"{what}: no NetworkPolicy egress on {port} from namespace {row.service}")
    if row.kind == "external" and row.target not in _external_hosts(plan, row.service):
        missing.append(f"{what}: no ServiceEntry for {row.target} in namespace {row.service}")
    grant = expected_grant(plan, row)
    if grant is None:
        return missing
    name, needs, urn = grant
    policy = one_named(plan, ROLE_POLICY, name)
    if policy is None:
        missing.append(f"{what}: no IAM grant ({name})")
        return missing
    if statements(policy) is None:  # preview: the ARNs are unknown, the dependency is not
        if urn and not depends_on(policy, urn):
            missing.append(f"{what}: grant {name} does not reference {urn.split('::')[-1]}")
        return missing
    for action, resource in needs:
        if UNKNOWN in resource:  # preview: the grant must still reference the resource
            if urn and not depends_on(policy, urn):
                missing.append(f"{what}: grant {name} does not reference {urn.split('::')[-1]}")
            continue
        if not allows(policy, action, resource):
            missing.append(f"{what}: grant {name} does not allow {action} on {resource}")
    return missing
