"""Tenancy and traffic policies on the graph of every prod region, row by row from the tables:
the 12 namespaces (PSA restricted, quota, limits, default deny), payment's PCI isolation (exact
sources at NetworkPolicy and AuthorizationPolicy level), workload identities with only the
table's grants, and one DestinationRule + VirtualService per traffic rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.foundation.keyring import SERVICE_SCOPES, KeyClass
from components.mesh.service_mesh import GATEWAY_PRINCIPAL, INGRESS_NAMESPACE
from components.tenancy.services import BY_NAME, GATEWAY, SERVICES, callees
from components.tenancy.tenancy import quota
from components.tenancy.traffic import (
    CANARY,
    STABLE,
    TRAFFIC_RULES,
    Split,
    TrafficRule,
)
from stacks.dependencies import dependency_rows
from stacks.outputs import RegionalKey
from stacks.versions import KUBERNETES_VERSION
from tests.plans import PROD_REGIONS, name_of, planned, states

MODES = [False, True]
MODE_IDS = ["up", "preview"]
NAMESPACE = "kubernetes:core/v1:Namespace"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"


def _plan(region: str, preview: bool = False) -> dict[str, Any]:
    return planned("prod", preview=preview)[f"prod-{region}"]


def _tenant(plan: dict[str, Any], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(namespace, name) -> inputs of the tenancy's objects of one kind."""
    result = {}
    for s in states(plan, kind):
        if "Tenancy" not in s["urn"]:
            continue
        meta = s["inputs"]["metadata"]
        result[(meta.get("namespace", meta["name"]), meta["name"])] = s["inputs"]
    return result


def test_the_table_has_the_seeds_12_services() -> None:
    assert [s.name for s in SERVICES] == [
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
        "config",
    ]
    assert BY_NAME["payment"].callers == (GATEWAY, "order") and BY_NAME["payment"].pci


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_namespaces_are_locked_down(region: str, preview: bool) -> None:
    plan = _plan(region, preview)
    namespaces = _tenant(plan, NAMESPACE)
    quotas = _tenant(plan, "kubernetes:core/v1:ResourceQuota")
    limits = _tenant(plan, "kubernetes:core/v1:LimitRange")
    netpols = _tenant(plan, NETPOL)
    authz = _tenant(plan, AUTHZ)
    assert len(namespaces) == 12
    for service in SERVICES:
        ns = service.namespace
        labels = namespaces[(ns, ns)]["metadata"]["labels"]
        assert labels["istio-injection"] == "enabled"
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == f"v{KUBERNETES_VERSION}"
        assert quotas[(ns, "tenant-quota")]["spec"]["hard"] == quota(service)
        (limit,) = limits[(ns, "tenant-limits")]["spec"]["limits"]
        assert limit["type"] == "Container" and limit["defaultRequest"] and limit["max"]
        assert netpols[(ns, "default-deny")]["spec"] == {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
        }
        assert authz[(ns, "deny-all")]["spec"] == {}


SCRAPE_RULE = {
    "from": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}
    ],
    "ports": [{"protocol": "TCP", "port": 15020}],
}
"""The metrics scraper's ingress (components/common/kubernetes.py metrics_scrape_ingress): the
observability namespace on the merged metrics port only, never on a service port."""


def _service_rule(netpol: dict[str, Any]) -> dict[str, Any]:
    rule, scrape = netpol["spec"]["ingress"]
    assert scrape == SCRAPE_RULE
    return rule


def _ingress_namespaces(netpol: dict[str, Any]) -> set[str]:
    rule = _service_rule(netpol)
    return {
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in rule["from"]
    }


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_callers_are_exactly_the_tables(region: str, preview: bool) -> None:
    plan = _plan(region, preview)
    netpols = _tenant(plan, NETPOL)
    authz = _tenant(plan, AUTHZ)
    for service in SERVICES:
        ns = service.namespace
        allow = netpols[(ns, "allow-mesh")]
        expected_ns = {INGRESS_NAMESPACE if c == GATEWAY else c for c in service.callers}
        assert _ingress_namespaces(allow) == expected_ns, ns
        rule = _service_rule(allow)
        assert rule["ports"] == [{"protocol": "TCP", "port": service.port}]
        (authz_rule,) = authz[(ns, "allow-callers")]["spec"]["rules"]
        principals = authz_rule["from"][0]["source"]["principals"]
        assert principals == [
            GATEWAY_PRINCIPAL if c == GATEWAY else BY_NAME[c].principal for c in service.callers
        ]
        assert authz_rule["to"] == [{"operation": {"ports": [str(service.port)]}}]
        egress_namespaces = {
            p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for rule in allow["spec"]["egress"]
            for p in rule.get("to", [])
            if "namespaceSelector" in p and "podSelector" not in p
        }
        assert egress_namespaces == {t.namespace for t in callees(service)}, ns


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_payment_is_isolated(region: str, preview: bool) -> None:
    """PCI-DSS: payment accepts connections from order and the gateway pods, nothing else."""
    plan = _plan(region, preview)
    netpols = [s for k, s in _tenant(plan, NETPOL).items() if k[0] == "payment"]
    rules = [rule for n in netpols for rule in n["spec"].get("ingress", [])]
    assert [r for r in rules if r == SCRAPE_RULE] == [SCRAPE_RULE]  # metrics port only
    sources = [peer for rule in rules if rule != SCRAPE_RULE for peer in rule["from"]]
    assert sources == [
        {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}
            },
            "podSelector": {"matchLabels": {"istio": "ingressgateway"}},
        },
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "order"}}},
    ]
    allows = [s for k, s in _tenant(plan, AUTHZ).items() if k[0] == "payment" and s["spec"]]
    assert [a["spec"]["rules"] for a in allows] == [
        [
            {
                "from": [
                    {
                        "source": {
                            "principals": [GATEWAY_PRINCIPAL, "cluster.local/ns/order/sa/order"]
                        }
                    }
                ],
                "to": [{"operation": {"ports": ["8080"]}}],
            }
        ]
    ]
    # Every AuthorizationPolicy in the payment namespace: the deny-all, and ALLOW rules whose
    # sources are only the gateway and order's service account (no policy admits another caller,
    # none opens another port, none allows by namespace or without a source).
    policies = [
        s["inputs"]["spec"]
        for s in states(plan, AUTHZ)
        if s["inputs"]["metadata"].get("namespace") == "payment"
    ]
    assert {} in policies  # deny-all: nothing is allowed that no ALLOW rule names
    allowed_sources = {PAYMENT_GATEWAY_PRINCIPAL, "cluster.local/ns/order/sa/order"}
    for spec in (p for p in policies if p):
        assert spec.get("action", "ALLOW") == "ALLOW"
        for rule in spec["rules"]:
            sources = [f["source"] for f in rule["from"]]
            assert all(set(src) == {"principals"} for src in sources), sources
            assert {p for src in sources for p in src["principals"]} <= allowed_sources
            assert rule["to"] == [{"operation": {"ports": ["8080"]}}]


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_workload_identities_have_only_the_tables_grants(region: str) -> None:
    plan = _plan(region)
    roles = {name_of(s): s for s in states(plan, "aws:iam/role:Role")}
    policies = [
        s
        for s in states(plan, "aws:iam/rolePolicy:RolePolicy")
        if name_of(s).startswith("tenants-")
    ]
    associations = {
        s["inputs"]["namespace"]: s["inputs"]
        for s in states(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if name_of(s).startswith("tenants-")
    }
    for service in SERVICES:
        role = roles[f"tenants-{service.name}-role"]
        association = associations[service.namespace]
        assert association["serviceAccount"] == service.service_account
        assert association["roleArn"] == role["outputs"]["arn"]
        (policy,) = [p for p in policies if name_of(p) == f"tenants-{service.name}-tenant-access"]
        statements = json.loads(policy["inputs"]["policy"])["Statement"]
        by_sid = {s["Sid"]: s for s in statements}
        # the baseline grant allows reading its own secrets and using its keys through their
        # services; it must not allow another service's secrets, writes to secrets, or a key
        # outside AWS services
        secrets, keys = by_sid["ReadOwnSecrets"], by_sid["UseKeysThroughTheirServices"]
        for st in statements:
            assert st["Effect"] == "Allow"
            actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
            resources = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
            for action in actions:
                assert action in TENANT_BASELINE_ACTIONS, (service.name, action)
            if any(a.startswith("secretsmanager:") for a in actions):
                assert all(
                    r.endswith(f":secret:meridian/prod/{region}/{service.name}/*")
                    for r in resources
                ), resources
            if any(a.startswith("kms:") for a in actions):
                assert "kms:ViaService" in st["Condition"]["StringEquals"], st
        # every other grant is one the dependency table asks for (stacks/data/...json), and
        # every row the table asks for is granted: no more, no less
        mine = {name_of(p) for p in policies if name_of(p).startswith(f"tenants-{service.name}-")}
        mine.discard(f"tenants-{service.name}-tenant-access")
        assert mine == _granted_by_table(plan, service.name), service.name
        assert set(secrets["Action"]) == {
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
        }
        assert secrets["Resource"].endswith(f":secret:meridian/prod/{region}/{service.name}/*")
        key_arns = plan["outputs"][RegionalKey.KEY_ARNS]
        assert keys["Resource"] == [key_arns[k.value] for k in service.keys]
        # what a client of an AWS service that encrypts with the key needs (AWS KMS Developer
        # Guide, "kms:ViaService"): envelope encryption and decryption, nothing administrative
        assert set(keys["Action"]) == {
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        }
        assert keys["Condition"]["StringEquals"]["kms:ViaService"] == [
            f"{s}.{region}.amazonaws.com"
            for s in sorted({s for k in service.keys for s in SERVICE_SCOPES[k]})
        ]
    # No KMS grants: a grant would let the pod use the key directly, not only via its services.
    assert not [g for g in states(plan, "aws:kms/grant:Grant") if name_of(g).startswith("tenants-")]
    # Grants the data layers add (stacks/data_layer.py: Aurora, caches, tables, keyspaces) go
    # through their grant helpers: named resources, named actions, never a wildcard.
    for policy in policies:
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            assert statement["Effect"] == "Allow" and "*" not in resources, name_of(policy)
            assert not any(a == "*" or a.endswith(":*") for a in statement["Action"])
    assert {k for s in SERVICES for k in s.keys} <= set(KeyClass)


TENANT_BASELINE_ACTIONS = frozenset(
    {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    }
)
"""Everything a tenant's baseline policy may allow: read its secrets, use its keys via AWS."""
PAYMENT_GATEWAY_PRINCIPAL = "cluster.local/ns/istio-ingress/sa/istio-ingressgateway"
"""The edge gateway's SPIFFE identity: trust domain cluster.local, the gateway's namespace and
service account (Istio's `principals` form, https://istio.io/latest/docs/reference/config/security/authorization-policy/)."""

GRANT_ACTIONS = {
    "kafka-produce": {
        "kafka-cluster:Connect",
        "kafka-cluster:WriteDataIdempotently",
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:WriteData",
    },
    "kafka-consume": {
        "kafka-cluster:Connect",
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:ReadData",
        "kafka-cluster:DescribeGroup",
        "kafka-cluster:AlterGroup",
    },
    "queue-consume": {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    },
    "fanout-publish": {"sns:Publish"},
    "bucket": {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListBucket"},
}
"""What each kind of table grant may allow (MSK IAM access control, SQS, SNS, S3 actions)."""


def _granted_by_table(plan: dict[str, Any], service: str) -> set[str]:
    """The inline policies the dependency table's built rows give `service` in this region."""
    aurora = any(name_of(s) == "aurora-cluster" for s in states(plan, "aws:rds/cluster:Cluster"))
    keyspaces = bool(states(plan, "meridian:data:CassandraKeyspace"))
    names: set[str] = set()
    for row in dependency_rows():
        if row.service != service or not row.built:
            continue
        what = {
            "produce": "kafka-produce",
            "consume": f"kafka-consume-{row.group}",
            "queue-consume": f"queue-consume-{row.target}",
            "publish": "fanout-publish",
            "bucket": f"bucket-{row.target}",
            "aurora": "aurora-connect" if aurora else None,
            "cache": "cache-connect",
            "cassandra": "cassandra-read-write" if keyspaces else None,
            "dynamodb": f"dynamodb-{row.target}",
        }.get(row.kind)
        if what:
            names.add(f"tenants-{service}-{what}")
    return names


@pytest.mark.parametrize("region", PROD_REGIONS[:2])
def test_table_grants_allow_only_the_rows_actions(region: str) -> None:
    """Kafka, queue, topic and bucket grants hold only their kind's actions, on named ARNs."""
    plan = _plan(region)
    for policy in states(plan, "aws:iam/rolePolicy:RolePolicy"):
        name = name_of(policy)
        kind = next((k for k in GRANT_ACTIONS if name.split("-", 2)[-1].startswith(k)), None)
        if not name.startswith("tenants-") or kind is None:
            continue
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
            assert set(statement["Action"]) <= GRANT_ACTIONS[kind], name
            resources = statement["Resource"]
            for arn in [resources] if isinstance(resources, str) else resources:
                assert arn.startswith("arn:aws:"), name
                assert "*" not in arn or (arn.endswith("/*") and kind == "bucket"), (name, arn)


def _traffic(plan: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        s["inputs"]["metadata"]["namespace"]: s["inputs"]["spec"]
        for s in states(plan, f"kubernetes:networking.istio.io/v1:{kind}")
        if "Tenancy" in s["urn"]
    }


def _seconds(duration: str) -> float:
    return float(duration[:-2]) / 1000 if duration.endswith("ms") else float(duration[:-1])


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("rule", TRAFFIC_RULES, ids=lambda r: r.service)
def test_traffic_policies_match_the_table(rule: TrafficRule, preview: bool) -> None:
    for region in PROD_REGIONS:
        plan = _plan(region, preview)
        dr = _traffic(plan, "DestinationRule")[rule.service]
        vs = _traffic(plan, "VirtualService")[rule.service]
        assert dr["host"] == vs["hosts"][0] == rule.host
        policy = dr["trafficPolicy"]
        assert policy["tls"] == {"mode": "ISTIO_MUTUAL"}
        assert policy["outlierDetection"]["consecutive5xxErrors"] == rule.consecutive_5xx
        (route,) = vs["http"]
        assert _seconds(route["timeout"]) == rule.timeout_ms / 1000
        assert route["retries"]["attempts"] == rule.attempts
        if rule.attempts:
            assert route["retries"]["retryOn"] == rule.retry_on
        weights = {r["destination"]["subset"]: r["weight"] for r in route["route"]}
        subsets = {s["name"] for s in dr["subsets"]}
        if rule.split is Split.CANARY:
            assert weights == {STABLE: 100 - rule.canary_percent, CANARY: rule.canary_percent}
        else:
            assert weights == {STABLE: 100}
        if rule.split is Split.SHADOW:
            assert route["mirror"]["subset"] == CANARY
            assert route["mirrorPercentage"] == {"value": rule.canary_percent}
        if rule.split is Split.HASH:
            assert "consistentHash" in policy["loadBalancer"]
        assert set(weights) | ({CANARY} if rule.split is Split.SHADOW else set()) == subsets


def test_the_seeds_traffic_table_verbatim() -> None:
    """The seed's numbers, read off its table (architecture section 05)."""
    rows = {
        r.service: (r.attempts, r.timeout_ms, r.consecutive_5xx, r.split, r.canary_percent)
        for r in TRAFFIC_RULES
    }
    assert rows == {
        "user": (3, 2000, 5, Split.CANARY, 10),
        "payment": (1, 5000, 2, Split.STABLE_ONLY, 0),
        "search": (3, 1000, 10, Split.CANARY, 20),
        "messaging": (0, 30000, 5, Split.HASH, 0),
        "notification": (3, 10000, 5, Split.CANARY, 5),
        "recommendation": (2, 500, 3, Split.SHADOW, 100),
    }


def test_docs_are_generated_from_the_tables() -> None:
    from meridian_ops.gen.gen_tenancy_docs import DOC, render

    assert DOC.read_text() == render(), "run: python -m meridian_ops.gen.gen_tenancy_docs"
