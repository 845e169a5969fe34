"""Table cases for ``policies/supply_chain.py`` (engine camelCase inputs: pulumi-aws 7 EKS
clusters and add-ons, pulumi-kubernetes 4 ``helm.sh/v3`` Releases)."""

from __future__ import annotations

from typing import Any

from policies.type_tokens import CODEBUILD_WEBHOOK
from tests.policies.cases_common import UNKNOWN, PolicyCase

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

# ---- node-ami-pinned ----
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


def node_class(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": "general"},
        "spec": {"role": "meridian-node", "amiSelectorTerms": list(terms)},
    }


SYSTEM_POOL: dict[str, Any] = {
    "clusterName": "meridian",
    "amiType": "AL2023_x86_64_STANDARD",
    "launchTemplate": {"id": "lt-1", "version": "3"},
    "scalingConfig": {"minSize": 2, "desiredSize": 3, "maxSize": 6},
}

CASES += [
    PolicyCase(
        "node-ami-pinned",
        NODE_CLASS,
        node_class({"alias": "al2023@v20250715"}),
        False,
        note="versioned-alias",
    ),
    PolicyCase(
        "node-ami-pinned",
        NODE_CLASS,
        node_class({"id": "ami-0123456789abcdef0"}, {"id": "ami-0fedcba9876543210"}),
        False,
        note="ids",
    ),
    PolicyCase(
        "node-ami-pinned",
        NODE_CLASS,
        node_class({"alias": "al2023@latest"}),
        True,
        note="latest-alias",
    ),
    PolicyCase(
        "node-ami-pinned",
        NODE_CLASS,
        node_class({"tags": {"team": "platform"}}),
        True,
        note="tag-selector",
    ),
    PolicyCase(
        "node-ami-pinned",
        NODE_GROUP,
        {**SYSTEM_POOL, "releaseVersion": "1.33.0-20250715"},
        False,
        note="release-version",
    ),
    PolicyCase("node-ami-pinned", NODE_GROUP, SYSTEM_POOL, True, note="no-release-version"),
    PolicyCase(
        "node-ami-pinned",
        NODE_GROUP,
        {**SYSTEM_POOL, "amiType": "CUSTOM"},
        False,
        note="custom-image-in-template",
    ),
]


# codebuild: the deploy runners
PROJECT = "aws:codebuild/project:Project"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RUNNER: dict[str, Any] = {
    "name": "meridian-dev-use1-deploy-runner",
    "serviceRole": "arn:aws:iam::123456789012:role/meridian-dev-use1-deploy-runner",
    "artifacts": {"type": "NO_ARTIFACTS"},
    "source": {"type": "GITHUB", "location": "https://github.com/example-org/meridian.git"},
    "environment": {
        "type": "LINUX_CONTAINER",
        "computeType": "BUILD_GENERAL1_MEDIUM",
        "image": "aws/codebuild/standard:7.0",
        "privilegedMode": False,
    },
    "vpcConfig": {"vpcId": "vpc-1", "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]},
    "encryptionKey": KEY_ARN,
    "logsConfig": {"cloudwatchLogs": {"status": "ENABLED", "groupName": "/aws/codebuild/x"}},
}


def _codebuild(**changes: Any) -> dict[str, Any]:
    return {**RUNNER, **changes}


CASES += [
    PolicyCase("codebuild-project-hardened", PROJECT, RUNNER, False, note="deploy-runner"),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        _codebuild(
            encryptionKey=UNKNOWN,
            vpcConfig={"vpcId": UNKNOWN, "subnets": [UNKNOWN], "securityGroupIds": [UNKNOWN]},
        ),
        False,
        note="preview-unknowns",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        {k: v for k, v in RUNNER.items() if k != "vpcConfig"},
        True,
        note="no-vpc",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        _codebuild(environment={**RUNNER["environment"], "privilegedMode": True}),
        True,
        note="privileged",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        {k: v for k, v in RUNNER.items() if k != "encryptionKey"},
        True,
        note="aws-managed-key",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        _codebuild(encryptionKey="arn:aws:kms:us-east-1:123456789012:alias/aws/s3"),
        True,
        note="aws-s3-alias",
    ),
    PolicyCase(
        "codebuild-project-hardened",
        PROJECT,
        _codebuild(logsConfig={"cloudwatchLogs": {"status": "DISABLED"}}),
        True,
        note="logs-off",
    ),
]

# --- ecr-repository-scanned-immutable ---
ECR_REPOSITORY = "aws:ecr/repository:Repository"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _repository(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "meridian/orders",
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY_ARN}],
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
    }
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


def _ecr(props: dict[str, Any], *, registry: str | None = None) -> list[dict[str, Any]]:
    stack: list[dict[str, Any]] = [{"type": ECR_REPOSITORY, "name": "orders", "props": props}]
    if registry is not None:
        stack.append(
            {
                "type": REGISTRY_SCANNING,
                "name": "registry-scanning",
                "props": {
                    "scanType": "ENHANCED",
                    "rules": [
                        {
                            "scanFrequency": "CONTINUOUS_SCAN",
                            "repositoryFilters": [{"filter": registry, "filterType": "WILDCARD"}],
                        }
                    ],
                },
            }
        )
    return stack


def _ecr_case(stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase("ecr-repository-scanned-immutable", "", {}, violates, stack=stack, note=note)


CASES += [
    _ecr_case(_ecr(_repository()), False, "scan-on-push"),
    _ecr_case(_ecr(_repository(imageScanningConfiguration=None), registry="*"), False, "registry"),
    _ecr_case(_ecr(_repository(imageScanningConfiguration=None)), True, "not-scanned"),
    _ecr_case(
        _ecr(_repository(imageScanningConfiguration=None), registry="meridian/payments*"),
        True,
        "registry-rule-misses-repository",
    ),
    _ecr_case(_ecr(_repository(imageTagMutability=None)), True, "mutable-default"),
    _ecr_case(_ecr(_repository(imageTagMutability="MUTABLE")), True, "mutable"),
    _ecr_case(_ecr(_repository(imageTagMutability=UNKNOWN)), False, "mutability-unknown"),
]

# ---- codebuild-webhook-filtered ----
WEBHOOK = CODEBUILD_WEBHOOK
_RUNNER_HOOK: dict[str, Any] = {
    "projectName": "meridian-prod-euw1-deploy-runner",
    "buildType": "BUILD",
    "filterGroups": [{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}],
}


def _hook(*filters: dict[str, Any]) -> dict[str, Any]:
    return {**_RUNNER_HOOK, "filterGroups": [{"filters": list(filters)}]}


CASES += [
    PolicyCase("codebuild-webhook-filtered", WEBHOOK, _RUNNER_HOOK, False, note="deploy-runner"),
    PolicyCase(
        "codebuild-webhook-filtered",
        WEBHOOK,
        {**_RUNNER_HOOK, "filterGroups": UNKNOWN},
        False,
        note="preview-unknown",
    ),
    PolicyCase(
        "codebuild-webhook-filtered",
        WEBHOOK,
        {k: v for k, v in _RUNNER_HOOK.items() if k != "filterGroups"},
        True,
        note="no-filter-groups",
    ),
    PolicyCase(
        "codebuild-webhook-filtered",
        WEBHOOK,
        _hook({"type": "HEAD_REF", "pattern": "^refs/heads/main$"}),
        True,
        note="no-event-filter",
    ),
    PolicyCase(
        "codebuild-webhook-filtered",
        WEBHOOK,
        _hook({"type": "EVENT", "pattern": "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED"}),
        True,
        note="pull-requests-from-anyone",
    ),
    PolicyCase(
        "codebuild-webhook-filtered",
        WEBHOOK,
        _hook(
            {"type": "EVENT", "pattern": "PULL_REQUEST_CREATED"},
            {"type": "ACTOR_ACCOUNT_ID", "pattern": "^(1234|5678)$"},
        ),
        False,
        note="pull-requests-from-trusted-actors",
    ),
    PolicyCase(
        "codebuild-webhook-filtered",
        WEBHOOK,
        _hook(
            {"type": "EVENT", "pattern": "PUSH"},
            {"type": "HEAD_REF", "pattern": "^refs/heads/main$", "excludeMatchedPattern": True},
        ),
        True,
        note="push-any-branch-but-main",
    ),
    PolicyCase(
        "codebuild-webhook-filtered",
        WEBHOOK,
        _hook(
            {"type": "EVENT", "pattern": "PUSH"},
            {"type": "HEAD_REF", "pattern": "^refs/heads/main$"},
        ),
        False,
        note="push-main",
    ),
]
