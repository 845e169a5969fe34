"""Table cases for ``policies/supply_chain.py`` (engine camelCase inputs: pulumi-aws 7 EKS
clusters and add-ons, pulumi-kubernetes 4 ``helm.sh/v3`` Releases)."""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import PolicyCase

EKS = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"
ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts"


def release(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "istiod",
        "chart": "istiod",
        "version": "1.26.2",
        "namespace": "istio-system",
        "repositoryOpts": {"repo": ISTIO_REPO},
        "atomic": True,
        "cleanupOnFail": True,
    }
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


CASES: list[PolicyCase] = [
    # ---- eks-cluster-version-pinned ----
    PolicyCase("eks-cluster-version-pinned", EKS, {"version": "1.33"}, False, note="pinned"),
    PolicyCase("eks-cluster-version-pinned", EKS, {"name": "meridian"}, True, note="unset"),
    PolicyCase("eks-cluster-version-pinned", EKS, {"version": "latest"}, True, note="latest"),
    # ---- eks-addon-version-pinned ----
    PolicyCase(
        "eks-addon-version-pinned",
        ADDON,
        {"clusterName": "meridian", "addonName": "coredns", "addonVersion": "v1.12.1-eksbuild.2"},
        False,
        note="pinned",
    ),
    PolicyCase(
        "eks-addon-version-pinned",
        ADDON,
        {"clusterName": "meridian", "addonName": "coredns"},
        True,
        note="unset",
    ),
    # ---- helm-release-version-pinned ----
    PolicyCase("helm-release-version-pinned", RELEASE, release(), False, note="exact"),
    PolicyCase(
        "helm-release-version-pinned",
        RELEASE,
        release(
            chart="oci://public.ecr.aws/karpenter/karpenter", version="1.6.1", repositoryOpts=None
        ),
        False,
        note="oci-exact",
    ),
    PolicyCase("helm-release-version-pinned", RELEASE, release(version=None), True, note="unset"),
    PolicyCase(
        "helm-release-version-pinned", RELEASE, release(version="~1.26"), True, note="range"
    ),
    PolicyCase("helm-release-version-pinned", RELEASE, release(version="1.26.x"), True, note="x"),
    PolicyCase("helm-release-version-pinned", RELEASE, release(devel=True), True, note="devel"),
    # ---- helm-release-trusted-repository ----
    PolicyCase("helm-release-trusted-repository", RELEASE, release(), False, note="https"),
    PolicyCase(
        "helm-release-trusted-repository",
        RELEASE,
        release(chart="oci://public.ecr.aws/karpenter/karpenter", repositoryOpts=None),
        False,
        note="oci-chart",
    ),
    PolicyCase(
        "helm-release-trusted-repository",
        RELEASE,
        release(chart="./charts/meridian-platform", repositoryOpts=None),
        False,
        note="vendored",
    ),
    PolicyCase(
        "helm-release-trusted-repository",
        RELEASE,
        release(repositoryOpts={"repo": "http://charts.example.com"}),
        True,
        note="plain-http",
    ),
    PolicyCase(
        "helm-release-trusted-repository",
        RELEASE,
        release(chart="istio/istiod", repositoryOpts=None),
        True,
        note="local-repo-alias",
    ),
]
