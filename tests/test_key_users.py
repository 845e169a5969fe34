"""The customer-managed KMS keys of every shipped plan give the AWS services that use them what
AWS documents for that use; and the MSK clusters that replicators read admit MSK.

- compute key: EC2 Auto Scaling's service-linked role launches the system nodes' encrypted root
  volumes; it needs key use and CreateGrant ("Required AWS KMS key policy for use with encrypted
  volumes", https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
  Whoever else launches volumes (Karpenter's controller, the EBS CSI driver) needs key use through
  EC2 and CreateGrant for AWS resources ("Requirements for Amazon EBS encryption",
  https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html), with
  kms:GrantIsForAWSResource only on the grant operations (the only ones that carry it).
- logs key: the region's CloudWatch Logs principal, bound to this account's log groups by the
  kms:EncryptionContext:aws:logs:arn condition.
- streaming key: SNS and EventBridge, which deliver into the queues it encrypts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.foundation.keyring import GRANT_OPERATIONS
from tests.plans import PROD_REGIONS, name_of, planned, states

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ENVIRONMENTS = ("dev", "staging", "prod")
MODES = [False, True]
MODE_IDS = ["up", "preview"]
ASG_ROLE = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
GRANT_ONLY = {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}


def known(value: Any) -> bool:
    return value is not None and UNKNOWN not in json.dumps(value)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def regional(environment: str, preview: bool) -> list[dict[str, Any]]:
    return [p for stack, p in planned(environment, preview).items() if p.get("role") == "regional"]


def key_named(plan: dict[str, Any], name: str) -> dict[str, Any]:
    [key] = [k for k in states(plan, "aws:kms/key:Key") if name_of(k) == name]
    return key


def key_statements(plan: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return json.loads(key_named(plan, name)["inputs"]["policy"])["Statement"]


def allows(statement: dict[str, Any], action: str) -> bool:
    actions = _listed(statement["Action"])
    return statement["Effect"] == "Allow" and any(
        a == action or (a.endswith("*") and action.startswith(a[:-1])) for a in actions
    )


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_auto_scaling_may_grant_the_compute_key_to_its_volumes(
    environment: str, preview: bool
) -> None:
    plans = regional(environment, preview)
    assert plans
    for plan in plans:
        [grant] = [
            g
            for g in states(plan, "aws:kms/grant:Grant")
            if g["inputs"]["granteePrincipal"].endswith(ASG_ROLE)
        ]
        operations = set(grant["inputs"]["operations"])
        assert operations == set(GRANT_OPERATIONS)
        assert {
            "Encrypt",
            "Decrypt",
            "ReEncryptFrom",
            "ReEncryptTo",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "DescribeKey",
            "CreateGrant",
        } <= operations, f"{plan['stack']}: the Auto Scaling role's grant lacks operations"
        compute = key_named(plan, "keys-compute")
        if not preview:
            assert grant["inputs"]["keyId"] == compute["outputs"]["keyId"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_volume_launchers_use_the_compute_key_through_ec2(environment: str) -> None:
    """Up mode only: in preview these documents wait for the key's ARN (the IAM lint counts
    them as not checked)."""
    for plan in regional(environment, False):
        compute = key_named(plan, "keys-compute")
        checked = 0
        for policy in states(plan, "aws:iam/rolePolicy:RolePolicy"):
            statements = json.loads(policy["inputs"]["policy"])["Statement"]
            on_key = [s for s in statements if compute["outputs"]["arn"] in _listed(s["Resource"])]
            if not on_key:
                continue
            checked += 1
            for statement in on_key:
                grant_condition = "kms:GrantIsForAWSResource" in json.dumps(
                    statement.get("Condition", {})
                )
                actions = set(_listed(statement["Action"]))
                if grant_condition:
                    assert actions <= GRANT_ONLY, (
                        f"{plan['stack']} {name_of(policy)}: kms:GrantIsForAWSResource on "
                        f"{sorted(actions - GRANT_ONLY)}, which never carry it"
                    )
            use = [s for s in on_key if allows(s, "kms:GenerateDataKeyWithoutPlaintext")]
            grants = [s for s in on_key if allows(s, "kms:CreateGrant")]
            assert use and grants, f"{plan['stack']} {name_of(policy)}"
            assert all(allows(s, "kms:Decrypt") and allows(s, "kms:DescribeKey") for s in use)
        # Karpenter's controller and the EBS CSI driver
        assert checked >= 2, f"{plan['stack']}: {checked} roles use the compute key"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_logs_and_streaming_keys_admit_their_services(environment: str) -> None:
    for plan in regional(environment, False):
        region = plan["region"]
        logs = key_statements(plan, "keys-logs")
        [cloudwatch] = [
            s for s in logs if s.get("Principal") == {"Service": f"logs.{region}.amazonaws.com"}
        ]
        for action in ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"):
            assert allows(cloudwatch, action), action
        context = cloudwatch["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        assert context.startswith(f"arn:aws:logs:{region}:") and context.endswith(":log-group:*")
        streaming = key_statements(plan, "keys-streaming")
        for service in ("sns.amazonaws.com", "events.amazonaws.com"):
            [delivery] = [s for s in streaming if s.get("Principal") == {"Service": service}]
            assert allows(delivery, "kms:GenerateDataKey") and allows(delivery, "kms:Decrypt")
            assert delivery["Condition"]["StringEquals"]["aws:SourceAccount"]


REPLICATOR_ACTIONS = {
    "kafka:CreateVpcConnection",
    "kafka:GetBootstrapBrokers",
    "kafka:DescribeClusterV2",
}


def replicator_statements(plan: dict[str, Any]) -> list[dict[str, Any]]:
    [policy] = states(plan, "aws:msk/clusterPolicy:ClusterPolicy")
    statements = json.loads(policy["inputs"]["policy"])["Statement"]
    return [s for s in statements if s.get("Principal") == {"Service": "kafka.amazonaws.com"}]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_replicator_sources_admit_msk_in_their_one_cluster_policy(environment: str) -> None:
    """Every cluster an MSK Replicator reads has the statement MSK documents for a cross-region
    source; the others do not admit MSK."""
    plans = {p["region"]: p for p in regional(environment, False)}
    sources: set[str] = set()
    for region, plan in plans.items():
        for replicator in states(plan, "aws:msk/replicator:Replicator"):
            info = replicator["inputs"]["replicationInfoList"]
            source_arn = info["sourceKafkaClusterArn"]
            [source] = [
                r
                for r, p in plans.items()
                if any(
                    c["outputs"].get("arn") == source_arn
                    for c in states(p, "aws:msk/cluster:Cluster")
                )
            ] or [plans[PROD_REGIONS[0]]["region"] if environment == "prod" else region]
            sources.add(source)
    if environment == "prod":
        assert sources, "the prod plan has no MSK replicator"
    for region, plan in plans.items():
        statements = replicator_statements(plan)
        if region in sources:
            assert len(statements) == 1, f"{region}: a replicator reads it, MSK is not admitted"
            [statement] = statements
            assert set(_listed(statement["Action"])) == REPLICATOR_ACTIONS
            [cluster] = states(plan, "aws:msk/cluster:Cluster")
            assert statement["Resource"] == cluster["outputs"]["arn"]
        else:
            assert not statements, f"{region}: MSK admitted, but no replicator reads it"
