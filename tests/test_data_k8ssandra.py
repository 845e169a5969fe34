"""A region that runs Cassandra on EKS (meridian:dataPlacement.cassandraEngines: k8ssandra), and the
single-region (dev) shape of the data layer: a stand-alone Aurora cluster with the password
Aurora manages, no global cluster, no global datastore. One run of dev's regional stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.data.k8ssandra import keyspace_cql
from meridian_ops.plan.aws_mocks import MotoValidator
from meridian_ops.plan.engine import run_stack
from stacks.config.source import PulumiConfigSource, read_stack_file
from stacks.data_settings import cassandra_tables
from stacks.program import main
from stacks.versions import HELM_CHARTS
from tests.config_projects import add_config, copy_project

CR = "kubernetes:k8ssandra.io/v1alpha1:K8ssandraCluster"


@pytest.fixture(scope="module")
def dev_k8ssandra(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    project = copy_project(tmp_path_factory.mktemp("dev") / "project", "dev")
    add_config(
        project, "dev-global", "meridian:dataPlacement:\n  cassandraEngines: {us-east-1: k8ssandra}"
    )

    def run(stack: str, upstream: dict[str, Any] | None = None) -> Any:
        config = read_stack_file(Path(project) / f"Pulumi.{stack}.yaml")
        return run_stack(
            stack,
            config,
            lambda: main(PulumiConfigSource(project)),
            preview=False,
            upstream=upstream,
        )

    MotoValidator.reset()  # a fresh account: other tests in this process created dev's buckets
    global_run = run("dev-global")
    regional = run("dev-us-east-1", {"dev-global": global_run.outputs})
    return [step.to_preview_json()["newState"] for step in regional.steps]


def of(states: list[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [s for s in states if s["type"] == resource_type]


def test_the_operator_from_its_pinned_chart(dev_k8ssandra: list[dict[str, Any]]) -> None:
    (release,) = [
        s
        for s in of(dev_k8ssandra, "kubernetes:helm.sh/v3:Release")
        if s["inputs"].get("name") == "k8ssandra-operator"
    ]
    chart = HELM_CHARTS["k8ssandra-operator"]
    assert release["inputs"]["version"] == chart.version
    assert release["inputs"]["repositoryOpts"]["repo"] == chart.repository
    assert release["inputs"]["namespace"] == "cassandra"


def test_the_cluster_rf3_per_datacenter_encrypted_and_backed_up(
    dev_k8ssandra: list[dict[str, Any]],
) -> None:
    (cluster,) = of(dev_k8ssandra, CR)
    assert cluster["protect"] is True
    spec = cluster["inputs"]["spec"]
    (dc,) = spec["cassandra"]["datacenters"]
    assert dc["metadata"]["name"] == "dc-use1" and dc["size"] == 3
    claim = spec["cassandra"]["storageConfig"]["cassandraDataVolumeClaimSpec"]
    assert claim["storageClassName"] == "cassandra-gp3"
    assert spec["medusa"]["storageProperties"]["credentialsType"] == "role-based"
    (storage,) = of(dev_k8ssandra, "kubernetes:storage.k8s.io/v1:StorageClass")
    params = storage["inputs"]["parameters"]
    assert params["type"] == "gp3" and params["encrypted"] == "true" and params["kmsKeyId"]
    assert storage["inputs"]["reclaimPolicy"] == "Retain"
    keyspace, tables = cassandra_tables()
    cql = keyspace_cql(keyspace, ["us-east-1"], tables)
    assert "'dc-use1': 3" in cql and "CLUSTERING ORDER BY (created_at DESC" in cql
    assert not of(dev_k8ssandra, "aws:keyspaces/keyspace:Keyspace")


def test_medusa_has_its_own_role_on_its_bucket(dev_k8ssandra: list[dict[str, Any]]) -> None:
    (association,) = [
        s
        for s in of(dev_k8ssandra, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if s["inputs"]["namespace"] == "cassandra"
    ]
    assert association["inputs"]["serviceAccount"] == "cassandra"
    (policy,) = [
        s
        for s in of(dev_k8ssandra, "aws:iam/rolePolicy:RolePolicy")
        if s["urn"].endswith("cassandra-medusa-backups")
    ]
    assert "cassandra-backups" in policy["inputs"]["policy"]
    (bucket,) = [
        s
        for s in of(dev_k8ssandra, "aws:s3/bucket:Bucket")
        if "cassandra-backups" in s["inputs"]["bucket"]
    ]
    assert bucket["protect"] is True


def test_the_namespace_is_default_deny_in_the_mesh(dev_k8ssandra: list[dict[str, Any]]) -> None:
    namespaces = [
        s
        for s in of(dev_k8ssandra, "kubernetes:core/v1:Namespace")
        if s["inputs"]["metadata"]["name"] == "cassandra"
    ]
    assert namespaces[0]["inputs"]["metadata"]["labels"]["istio-injection"] == "enabled"
    names = {
        (s["type"].rsplit(":", 1)[-1], s["inputs"]["metadata"]["name"])
        for s in dev_k8ssandra
        if s["type"].startswith("kubernetes:")
        and s["inputs"].get("metadata", {}).get("namespace") == "cassandra"
    }
    assert ("NetworkPolicy", "default-deny") in names
    assert ("AuthorizationPolicy", "deny-all") in names


def test_single_region_aurora_is_standalone_with_a_managed_password(
    dev_k8ssandra: list[dict[str, Any]],
) -> None:
    assert not of(dev_k8ssandra, "aws:rds/globalCluster:GlobalCluster")
    (cluster,) = of(dev_k8ssandra, "aws:rds/cluster:Cluster")
    assert cluster["inputs"]["manageMasterUserPassword"] is True
    assert cluster["inputs"]["masterUserSecretKmsKeyId"]
    assert "masterPasswordWo" not in cluster["inputs"]
    assert "globalClusterIdentifier" not in cluster["inputs"]
    assert not of(dev_k8ssandra, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
    (proxy,) = of(dev_k8ssandra, "aws:rds/proxy:Proxy")
    assert proxy["inputs"]["auths"][0]["secretArn"].startswith("arn:aws:secretsmanager:")


def test_its_kubernetes_objects_match_their_schemas(dev_k8ssandra: list[dict[str, Any]]) -> None:
    """The objects only a Cassandra-on-EKS region creates (the shipped environments have none, so
    tests/test_k8s_schemas.py never sees them) against the same schemas."""
    from tests.k8s_schema import (
        crd_packages_installed,
        kube_objects,
        validate_builtin,
        validate_metadata,
        validate_with_packages,
    )

    plan = {
        "stack": "dev-us-east-1",
        "steps": [{"op": "create", "newState": s} for s in dev_k8ssandra],
    }
    ours = [o for o in kube_objects(plan) if "/cassandra-" in o.id]
    assert {o.kind for o in ours} >= {"Namespace", "StorageClass", "K8ssandraCluster"}
    errors = [
        f"{o.id}: {e}"
        for o in ours
        if o.builtin
        for e in [*validate_builtin(o), *validate_metadata(o)]
    ]
    assert not errors, "\n".join(errors)
    custom = [o for o in ours if not o.builtin]
    if not crd_packages_installed():
        pytest.skip("CRD schema packages not installed (make schemas)")
    results = validate_with_packages([o for o in custom if o.kind != "K8ssandraCluster"])
    invalid = {k: v for k, v in results.items() if v["status"] != "ok"}
    assert not invalid, invalid
