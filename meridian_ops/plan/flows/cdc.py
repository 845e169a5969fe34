"""Graph queries for the CDC flow: Aurora writer -> Debezium on MSK Connect -> `cdc.postgres.*`.

`cdc_failures(plan)` returns the missing links of the primary region's stack as sentences: the
parameter group turning logical replication on, the connector (IAM over TLS, log delivery on, the
tables of every CDC topic of stacks/data/kafka_topics.json), the network path (the connector's
egress and the store's ingress on 5432 to Aurora and 9098 to the brokers), and the execution
role's grant (write on each CDC topic's exact ARN, read on the one secret; in preview, where ARNs
are unknown, the grant's dependency on the cluster and the secret).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from meridian_ops.plan.flows.dependencies import allows, by_name, depends_on, one_named, statements
from meridian_ops.plan.flows.harness import known
from stacks.dependencies import external_producers

CONNECTOR = "aws:mskconnect/connector:Connector"
PARAMETERS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SECRET = "aws:secretsmanager/secret:Secret"

TOPICS = sorted(t for p in external_producers() if p["name"] == "debezium" for t in p["produces"])
"""The topics the dependency table says Debezium produces."""


def writes_cdc(plan: Mapping[str, Any]) -> bool:
    return bool(by_name(plan, CONNECTOR))


def _rule(plan: Mapping[str, Any], kind: str, name: str) -> dict[str, Any] | None:
    return one_named(plan, kind, name)


def _path(plan: Mapping[str, Any], failures: list[str], store: str, group: str, port: int) -> None:
    """The connector's egress to `group` and `group`'s ingress from the connector on `port`."""
    connector_sg = one_named(plan, GROUP, "cdc-sg")
    store_sg = one_named(plan, GROUP, group)
    if connector_sg is None or store_sg is None:
        failures.append(f"connector -> {store}: no security group")
        return
    egress = [
        r
        for r in by_name(plan, EGRESS).values()
        if r["inputs"].get("fromPort") == port
        and depends_on(r, connector_sg["urn"])
        and depends_on(r, store_sg["urn"])
    ]
    ingress = [
        r
        for r in by_name(plan, INGRESS).values()
        if r["inputs"].get("fromPort") == port
        and depends_on(r, connector_sg["urn"])
        and depends_on(r, store_sg["urn"])
    ]
    if not egress:
        failures.append(f"connector -> {store}: no egress on {port} to {group}")
    if not ingress:
        failures.append(f"connector -> {store}: {group} does not admit the connector on {port}")


def cdc_failures(plan: Mapping[str, Any]) -> list[str]:
    """The missing links of the CDC flow in the primary region's stack (empty: traced)."""
    failures: list[str] = []
    params = one_named(plan, PARAMETERS, "aurora-parameters")
    values = {p["name"]: p for p in (params or {}).get("inputs", {}).get("parameters", [])}
    logical = values.get("rds.logical_replication")
    if logical is None or logical.get("value") != "1":
        failures.append("aurora: rds.logical_replication is not 1 (no logical decoding)")
    elif logical.get("applyMethod") != "pending-reboot":
        failures.append("aurora: rds.logical_replication is static: apply it at pending-reboot")
    connector = one_named(plan, CONNECTOR, "cdc-connector")
    if connector is None:
        return [*failures, "cdc topics: no Debezium connector produces them"]
    inputs = connector["inputs"]
    if (inputs.get("kafkaClusterClientAuthentication") or {}).get("authenticationType") != "IAM":
        failures.append("connector -> kafka: not IAM-authenticated")
    if (inputs.get("kafkaClusterEncryptionInTransit") or {}).get("encryptionType") != "TLS":
        failures.append("connector -> kafka: not TLS")
    logs = ((inputs.get("logDelivery") or {}).get("workerLogDelivery") or {}).get("cloudwatchLogs")
    if not (logs or {}).get("enabled"):
        failures.append("connector: worker logs not delivered")
    config = inputs.get("connectorConfiguration") or {}
    if known(config) and isinstance(config, dict):
        tables = set(str(config.get("table.include.list", "")).split(","))
        prefix = str(config.get("topic.prefix", ""))
        for topic in TOPICS:
            if f"public.{topic.removeprefix(prefix + '.')}" not in tables:
                failures.append(f"{topic}: its table is not captured")
        if "${secretsmanager:" not in str(config.get("database.password", "")):
            failures.append("connector -> aurora: the password is not read from Secrets Manager")
    _path(plan, failures, "aurora", "aurora-sg", 5432)
    _path(plan, failures, "kafka", "kafka-brokers", 9098)
    failures += _grant(plan, connector)
    return failures


def _grant(plan: Mapping[str, Any], connector: Mapping[str, Any]) -> list[str]:
    policy = one_named(plan, ROLE_POLICY, "cdc-role-policy")
    role = one_named(plan, "aws:iam/role:Role", "cdc-role")
    if policy is None or role is None:
        return ["connector: no execution role grant (cdc-role-policy)"]
    missing: list[str] = []
    if not depends_on(connector, role["urn"]):
        missing.append("connector: does not run as cdc-role")
    cluster = one_named(plan, "aws:msk/cluster:Cluster", "kafka-cluster")
    secret = one_named(plan, SECRET, "cdc-credentials")
    assert cluster is not None and secret is not None
    if statements(policy) is None:  # preview: the ARNs are unknown, the dependencies are not
        for what, urn in (("kafka-cluster", cluster["urn"]), ("cdc-credentials", secret["urn"])):
            if not depends_on(policy, urn):
                missing.append(f"connector: grant cdc-role-policy does not reference {what}")
        return missing
    arn = cluster["outputs"]["arn"]
    for topic in TOPICS:
        exact = f"{arn.replace(':cluster/', ':topic/')}/{topic}"
        if not allows(policy, "kafka-cluster:WriteData", exact):
            missing.append(f"connector -> {topic}: no WriteData on {exact}")
    if not allows(policy, "secretsmanager:GetSecretValue", secret["outputs"]["arn"]):
        missing.append("connector -> aurora: no read of the cdc-credentials secret")
    for s in statements(policy) or []:
        if "*" in json.dumps(s["Resource"]).replace("__amazon_msk_connect_*", ""):
            missing.append(f"connector: statement {s.get('Sid')} has a wildcard resource")
    return missing
