"""Every Kubernetes object the program creates is valid for the pinned API versions.

Not only the mesh's: every `kubernetes:*` resource of every prod regional stack (Namespaces,
NetworkPolicies, quotas, Istio and Karpenter custom resources, ENIConfigs), checked strictly
against the official schemas (tests/k8s_schema.py says which, and from where). Identical objects
across regions are validated once.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from stacks.versions import KUBERNETES_VERSION
from tests.k8s_schema import (
    KubeObject,
    builtin_schema_file,
    crd_packages_installed,
    kube_objects,
    local_crd_validators,
    schema_version,
    validate_builtin,
    validate_metadata,
    validate_with_local_crd,
    validate_with_packages,
)
from tests.plans import PROD_REGIONS, planned

CUSTOM_KINDS_FROM_PACKAGES = {
    ("security.istio.io/v1", "PeerAuthentication"),
    ("security.istio.io/v1", "AuthorizationPolicy"),
    ("networking.istio.io/v1", "ServiceEntry"),
    ("networking.istio.io/v1", "DestinationRule"),
    ("networking.istio.io/v1", "VirtualService"),
    ("networking.istio.io/v1", "Gateway"),
    ("security.istio.io/v1", "RequestAuthentication"),
    ("networking.istio.io/v1alpha3", "EnvoyFilter"),
    ("karpenter.sh/v1", "NodePool"),
    ("karpenter.k8s.aws/v1", "EC2NodeClass"),
}
"""Custom kinds whose CRD schema a pinned npm package ships (tests/crd/package.json)."""
LOCAL_ONLY_KINDS = {("crd.k8s.amazonaws.com/v1alpha1", "ENIConfig")}
"""Custom kinds no registry package ships: validated against build/crds/*.yaml when present."""


def _unique(objects: list[KubeObject]) -> list[KubeObject]:
    seen: dict[str, KubeObject] = {}
    for obj in objects:
        seen.setdefault(json.dumps(obj.body, sort_keys=True), obj)
    return list(seen.values())


def _objects(preview: bool = False) -> list[KubeObject]:
    plans = planned("prod", preview=preview)
    return _unique([o for r in PROD_REGIONS for o in kube_objects(plans[f"prod-{r}"])])


def _require_packages() -> None:
    if crd_packages_installed():
        return
    message = "CRD schema packages missing: run `make schemas` (npm ci in tests/crd)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def test_schema_version_is_the_pinned_kubernetes_version() -> None:
    assert schema_version() == KUBERNETES_VERSION


def test_every_prod_region_creates_kubernetes_objects() -> None:
    plans = planned("prod")
    for region in PROD_REGIONS:
        assert len(kube_objects(plans[f"prod-{region}"])) > 100, region


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_builtin_objects_match_the_kubernetes_openapi(preview: bool) -> None:
    problems: dict[str, list[str]] = {}
    for obj in _objects(preview):
        if not obj.builtin:
            continue
        if errors := validate_builtin(obj):
            problems[obj.id] = errors
    assert not problems, json.dumps(problems, indent=1)[:6000]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_custom_resources_match_their_crds(preview: bool) -> None:
    _require_packages()
    custom = [o for o in _objects(preview) if (o.api_version, o.kind) in CUSTOM_KINDS_FROM_PACKAGES]
    assert custom
    results = validate_with_packages(custom)
    problems = {o.id: validate_metadata(o) + results[o.id]["errors"] for o in custom}
    for obj in custom:  # also the exact pinned CRD manifest, where build/crds/ has it
        problems[obj.id] += validate_with_local_crd(obj) or []
    assert all(results[o.id]["status"] != "unknown-kind" for o in custom)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, json.dumps(problems, indent=1)[:6000]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_custom_resources_without_a_registry_schema(preview: bool) -> None:
    """ENIConfig: no registry package ships its CRD; validated when build/crds/ has it."""
    local = [o for o in _objects(preview) if (o.api_version, o.kind) in LOCAL_ONLY_KINDS]
    assert local, "the plan has ENIConfigs (the pods' custom networking)"
    problems = {o.id: validate_metadata(o) for o in local}
    missing: set[tuple[str, str]] = set()
    for obj in local:
        errors = validate_with_local_crd(obj)
        if errors is None:
            missing.add((obj.api_version, obj.kind))
        else:
            problems[obj.id] += errors
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, json.dumps(problems, indent=1)[:6000]
    if missing:
        pytest.skip(
            f"no registry package ships the CRD of {sorted(missing)}; put its CRD manifest in "
            "build/crds/ to validate it (metadata checked against ObjectMeta)"
        )


def test_every_kind_has_a_schema_source() -> None:
    kinds = {(o.api_version, o.kind) for o in _objects()}
    custom = {k for k in kinds if builtin_schema_file(*k) is None}
    assert custom <= CUSTOM_KINDS_FROM_PACKAGES | LOCAL_ONLY_KINDS, sorted(custom)
    assert {("v1", "Namespace"), ("networking.k8s.io/v1", "NetworkPolicy")} <= kinds


# --- the checks catch what the API server would silently prune ---------------------------------


def _netpol(spec: dict[str, Any]) -> KubeObject:
    body = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "x", "namespace": "y"},
        "spec": spec,
    }
    return KubeObject("test/netpol", "kubernetes:networking.k8s.io/v1:NetworkPolicy", body)


def test_a_misspelled_builtin_field_fails() -> None:
    assert validate_builtin(_netpol({"podSelector": {}, "policyTypes": ["Ingress"]})) == []
    errors = validate_builtin(_netpol({"podSelectr": {}, "policyTypes": ["Ingress"]}))
    assert any("podSelectr" in e for e in errors), errors
    nested = _netpol({"podSelector": {"matchLabel": {"a": "b"}}})
    assert any("matchLabel" in e for e in validate_builtin(nested))
    meta = KubeObject("t", "t", {"metadata": {"name": "x", "label": {"a": "b"}}})
    assert any("label" in e for e in validate_metadata(meta))


def _destination_rule(spec: dict[str, Any]) -> KubeObject:
    body = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "x", "namespace": "y"},
        "spec": spec,
    }
    return KubeObject("test/dr", "kubernetes:networking.istio.io/v1:DestinationRule", body)


def test_a_misspelled_or_invalid_crd_field_fails() -> None:
    _require_packages()
    good = _destination_rule(
        {"host": "a.b.svc.cluster.local", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}}
    )
    typo = _destination_rule(
        {"host": "a", "trafficPolicy": {"outlierDetecton": {"interval": "1s"}}}
    )
    enum = _destination_rule({"host": "a", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUL"}}})
    missing = _destination_rule({"trafficPolicy": {}})
    results = validate_with_packages(
        [
            good,
            KubeObject("t/typo", typo.type, typo.body),
            KubeObject("t/enum", enum.type, enum.body),
            KubeObject("t/missing", missing.type, missing.body),
        ]
    )
    assert results["test/dr"]["status"] == "ok", results["test/dr"]
    assert any("outlierDetecton" in e for e in results["t/typo"]["errors"])
    assert any("allowed values" in e for e in results["t/enum"]["errors"])
    assert any("host" in e for e in results["t/missing"]["errors"])


def test_local_crds_are_strict_where_the_api_server_prunes() -> None:
    from tests.k8s_schema import _strict

    schema = _strict(
        {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {"subnet": {"type": "string"}},
                    "required": ["subnet"],
                }
            },
        }
    )
    assert "additionalProperties" not in schema  # the root keeps unknown fields
    assert schema["properties"]["spec"]["additionalProperties"] is False
    assert isinstance(local_crd_validators(), dict)
