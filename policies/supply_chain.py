"""Supply-chain policies: what runs in the cluster is pinned and comes from a trusted source.

An EKS cluster, its managed add-ons and every Helm release name an exact version, so the next
``pulumi up`` installs what was reviewed rather than whatever is newest; charts come from an
HTTPS or OCI registry (never plain HTTP, never a repository alias configured only on the
deployer's machine).

Resource policies read through the SDK proxy: an unknown version (rare; versions are literals)
skips the check during preview instead of failing it.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pulumi_policy import (
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from . import type_tokens
from .compliance import (
    CHANGE_MANAGEMENT,
    ENCRYPTION_AT_REST,
    HARDENED_CONFIG,
    LOGGING,
    SOFTWARE_INVENTORY,
    TRUSTED_SOFTWARE,
)
from .declare import resource_policy, stack_policy
from .support import as_bool, as_list, get, is_unknown, label, pget, plain

CONCERN = "supply-chain"


EKS_CLUSTER: Final = "aws:eks/cluster:Cluster"
CODEBUILD_PROJECT: Final = "aws:codebuild/project:Project"
EKS_ADDON: Final = "aws:eks/addon:Addon"
HELM_RELEASE: Final = "kubernetes:helm.sh/v3:Release"
EKS_NODE_GROUP: Final = "aws:eks/nodeGroup:NodeGroup"
EC2_NODE_CLASS_TYPES: Final = (
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
    "kubernetes:karpenter.k8s.aws/v1beta1:EC2NodeClass",
)

# An exact SemVer 2 version, optionally with a leading "v" (Helm accepts both).
_EXACT_VERSION: Final = re.compile(r"v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")
_KUBERNETES_VERSION: Final = re.compile(r"\d+\.\d+")
_LOCAL_CHART: Final = ("./", "../", "/")


def _cluster_version_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    version = get(args.props, "version")
    if not (isinstance(version, str) and _KUBERNETES_VERSION.fullmatch(version)):
        shown = "not set (EKS picks its current default)" if version is None else f"{version!r}"
        report(
            f"{label(args.resource_type, args.name)} Kubernetes version is {shown}. Fix: set "
            "version to the pinned minor version (e.g. '1.33') from the version table, and "
            "upgrade it deliberately.",
            None,
        )


def _addon_version_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_ADDON:
        return
    version = get(args.props, "addonVersion")
    if not version:
        report(
            f"{label(args.resource_type, args.name)} (add-on {get(args.props, 'addonName')!r}) "
            "has no addonVersion, so EKS installs its default build for the cluster version "
            "and a later update may change it. Fix: set addonVersion (e.g. 'v1.19.2-eksbuild.1') "
            "from the add-on table keyed by the Kubernetes version.",
            None,
        )


def _helm_version_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != HELM_RELEASE:
        return
    where = label(args.resource_type, args.name)
    version = get(args.props, "version")
    if not (isinstance(version, str) and _EXACT_VERSION.fullmatch(version.strip())):
        shown = "not set (the latest chart is installed)" if not version else f"{version!r}"
        report(
            f"{where} chart {get(args.props, 'chart')!r} version is {shown}, not an exact "
            "version. Fix: set version to an exact chart version (e.g. '1.26.2') kept in "
            "stacks/versions.py.",
            None,
        )
    if as_bool(get(args.props, "devel")):
        report(
            f"{where} sets devel=true, which lets Helm pick pre-release charts. Fix: remove "
            "devel and pin a released version.",
            None,
        )


def _helm_trusted_repository(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != HELM_RELEASE:
        return
    chart = str(get(args.props, "chart", default=""))
    repo = get(args.props, "repositoryOpts", "repo")
    source = str(repo) if repo else chart
    if source.startswith(("https://", "oci://")):
        return
    if not repo and chart.startswith(_LOCAL_CHART):
        return  # a chart vendored in the repository
    problem = (
        f"is fetched over plain HTTP ({source})"
        if source.startswith("http://")
        else f"comes from {source!r}, a repository alias only the deployer's machine knows"
    )
    report(
        f"{label(args.resource_type, args.name)} chart {problem}. Fix: set repositoryOpts.repo "
        "to the chart repository's https:// URL, or use an oci:// chart reference.",
        None,
    )


def _ami_term_problem(term: Any) -> str:
    if get(term, "id"):
        return ""
    alias = get(term, "alias")
    if isinstance(alias, str) and "@" in alias:
        return "" if alias.rsplit("@", 1)[1] not in ("", "latest") else f"alias '{alias}'"
    if alias:
        return f"alias '{alias}' without a version"
    return "a name/tag/owner/SSM selector that matches whatever AMI is newest"


def _node_ami_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    if args.resource_type in EC2_NODE_CLASS_TYPES:
        terms = as_list(get(args.props, "spec", "amiSelectorTerms"))
        problems = [p for p in (_ami_term_problem(t) for t in terms) if p]
        if problems or not terms:
            report(
                f"{where} selects its AMI by {', '.join(problems) or 'nothing'}, so nodes change "
                "image whenever a new one is published. Fix: pin amiSelectorTerms to an alias "
                "with a version (e.g. 'al2023@v20250715') or to AMI ids, and roll it "
                "deliberately.",
                None,
            )
    elif args.resource_type == EKS_NODE_GROUP:
        if get(args.props, "amiType") == "CUSTOM" or get(args.props, "releaseVersion"):
            return  # the launch template's imageId, or a pinned EKS AMI release
        report(
            f"{where} has no releaseVersion, so EKS picks the latest AMI release when the group "
            "is created or replaced. Fix: set releaseVersion (e.g. '1.33.0-20250715') from "
            "the version table, or amiType 'CUSTOM' with an explicit imageId in the launch "
            "template.",
            None,
        )


# The deploy runners build nothing that ships, but they act on the platform with the deploy
# role: they run inside the VPC, unprivileged, encrypted, and keep their logs.
def _codebuild_hardened(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    props = args.props
    vpc = get(props, "vpcConfig")
    if not vpc or not as_list(get(vpc, "subnets")) or not as_list(get(vpc, "securityGroupIds")):
        report(
            f"{where} runs outside a VPC (vpcConfig with subnets and securityGroupIds), so its "
            "builds cannot reach private endpoints and leave through CodeBuild's shared network. "
            "Fix: set vpcConfig to the private subnets and a security group of its own.",
            None,
        )
    if get(get(props, "environment"), "privilegedMode") is True:
        report(
            f"{where} runs privileged (environment.privilegedMode): a build gets a Docker daemon "
            "with root on its host. Fix: set privilegedMode = false (build images elsewhere).",
            None,
        )
    key = get(props, "encryptionKey")
    if not key or str(key).endswith("alias/aws/s3"):
        report(
            f"{where} encrypts with the AWS-managed key (encryptionKey unset or alias/aws/s3). "
            "Fix: set encryptionKey to a customer-managed KMS key.",
            None,
        )
    logs = get(props, "logsConfig")
    cloudwatch = get(get(logs, "cloudwatchLogs"), "status")
    s3 = get(get(logs, "s3Logs"), "status")
    if cloudwatch == "DISABLED" and s3 != "ENABLED":
        report(
            f"{where} keeps no build logs (logsConfig.cloudwatchLogs DISABLED, no S3 logs). "
            "Fix: set logsConfig.cloudwatchLogs {status: ENABLED, groupName: <an encrypted, "
            "retained log group>}.",
            None,
        )


ECR_REPOSITORY: Final = "aws:ecr/repository:Repository"
ECR_REGISTRY_SCANNING: Final = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
ECR_IMMUTABLE: Final = ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION")
"""Tag mutability settings under which a pushed tag cannot be overwritten (ECR API,
Repository.imageTagMutability: MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION,
MUTABLE_WITH_EXCLUSION)."""


def _registry_scans_everything(args: StackValidationArgs) -> bool | None:
    """Whether a registry scanning configuration of the stack scans every repository on push
    or continuously (a rule with the wildcard filter '*'); None when that is unknown."""
    found: bool | None = False
    for resource in args.resources:
        if resource.resource_type != ECR_REGISTRY_SCANNING:
            continue
        rules = pget(plain(resource.props), "rules")
        if is_unknown(rules):
            found = None
            continue
        for rule in as_list(rules):
            filters = pget(rule, "repositoryFilters") if isinstance(rule, dict) else rule
            if is_unknown(filters):
                found = None
                continue
            for entry in as_list(filters):
                value = pget(entry, "filter") if isinstance(entry, dict) else entry
                if value == "*":
                    return True
                if is_unknown(value):
                    found = None
    return found


def _ecr_repositories(args: StackValidationArgs, report: ReportViolation) -> None:
    registry = _registry_scans_everything(args)
    for resource in args.resources:
        if resource.resource_type != ECR_REPOSITORY:
            continue
        props = plain(resource.props)
        where = label(resource.resource_type, resource.name)
        mutability = props.get("imageTagMutability")
        if not is_unknown(mutability) and mutability not in ECR_IMMUTABLE:
            report(
                f"{where}: imageTagMutability is {mutability or 'MUTABLE (default)'}, so a tag "
                "can be re-pointed at another image after it was scanned and signed. Fix: set "
                "image_tag_mutability='IMMUTABLE'.",
                resource.urn,
            )
        scan = pget(props, "imageScanningConfiguration", "scanOnPush")
        if isinstance(scan, list):
            scan = pget(scan[0], "scanOnPush") if scan else None
        if is_unknown(scan) or scan is True or registry is not False:
            continue
        report(
            f"{where}: images are not scanned on push (imageScanningConfiguration.scanOnPush) and "
            "no registry scanning configuration scans every repository. Fix: set "
            "image_scanning_configuration={scan_on_push: True}, or an "
            "ecr.RegistryScanningConfiguration with a rule whose repository filter is '*'.",
            resource.urn,
        )


ecr_repository_scanned_immutable = stack_policy(
    "ecr-repository-scanned-immutable",
    "ECR repositories keep tags immutable (imageTagMutability IMMUTABLE) and scan images: on "
    "push (imageScanningConfiguration.scanOnPush) or through a registry scanning configuration "
    "whose rule covers every repository ('*').",
    concern=CONCERN,
    service="ecr",
    severity=Severity.HIGH,
    controls=TRUSTED_SOFTWARE | SOFTWARE_INVENTORY,
    types=(ECR_REPOSITORY, ECR_REGISTRY_SCANNING),
    validate=_ecr_repositories,
)


# Webhook events whose builds run code a contributor (possibly from a fork) controls, and the
# filter type that must pin them to trusted actors; and events that must name their branches.
_PULL_REQUEST_EVENTS: Final = frozenset(
    {"PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED", "PULL_REQUEST_REOPENED", "PULL_REQUEST_MERGED"}
)


def _webhook_filtered(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    groups = plain(args.props).get("filterGroups")
    if is_unknown(groups):
        return
    if not as_list(groups):
        report(
            f"{where} has no filterGroups, so every repository event starts a build. Fix: give "
            "filter_groups with an EVENT filter (and HEAD_REF / ACTOR_ACCOUNT_ID filters for "
            "pushes and pull requests).",
            None,
        )
        return
    for i, group in enumerate(as_list(groups)):
        filters = as_list(pget(group, "filters"))
        if any(
            not isinstance(f, dict) or is_unknown(f.get("type")) or is_unknown(f.get("pattern"))
            for f in filters
        ):
            continue
        including = {
            str(f.get("type")): str(f.get("pattern") or "")
            for f in filters
            if not as_bool(f.get("excludeMatchedPattern"))
        }
        events = {e.strip() for e in including.get("EVENT", "").split(",") if e.strip()}
        if not events:
            report(
                f"{where} filterGroups[{i}] has no EVENT filter. Fix: name the events that may "
                "start a build.",
                None,
            )
            continue
        if events & _PULL_REQUEST_EVENTS and "ACTOR_ACCOUNT_ID" not in including:
            report(
                f"{where} filterGroups[{i}] builds pull requests from any author. Fix: add an "
                "ACTOR_ACCOUNT_ID filter naming the trusted accounts.",
                None,
            )
        if "PUSH" in events and "HEAD_REF" not in including:
            report(
                f"{where} filterGroups[{i}] builds pushes to any branch. Fix: add a HEAD_REF "
                "filter naming the trusted branches (e.g. '^refs/heads/main$').",
                None,
            )


POLICIES: list[Policy] = [
    # eks
    resource_policy(
        "eks-cluster-version-pinned",
        "EKS clusters pin their Kubernetes minor version (version = 'X.Y').",
        concern=CONCERN,
        service="eks",
        severity=Severity.MEDIUM,
        controls=SOFTWARE_INVENTORY | CHANGE_MANAGEMENT,
        validate=_cluster_version_pinned,
    ),
    resource_policy(
        "eks-addon-version-pinned",
        "EKS managed add-ons pin addonVersion instead of taking the default build.",
        concern=CONCERN,
        service="eks",
        severity=Severity.MEDIUM,
        controls=SOFTWARE_INVENTORY | CHANGE_MANAGEMENT,
        validate=_addon_version_pinned,
    ),
    resource_policy(
        "node-ami-pinned",
        "Node AMIs are chosen explicitly: EKS managed node groups pin releaseVersion (or use a "
        "custom imageId), Karpenter EC2NodeClasses select AMIs by id or a versioned alias, "
        "never '@latest' or a floating name/tag selector.",
        concern=CONCERN,
        service=("eks", "karpenter"),
        severity=Severity.MEDIUM,
        controls=SOFTWARE_INVENTORY | CHANGE_MANAGEMENT,
        validate=_node_ami_pinned,
    ),
    # helm
    resource_policy(
        "helm-release-version-pinned",
        "Helm releases pin an exact chart version (no range, no 'latest', no devel=true).",
        concern=CONCERN,
        service="helm",
        severity=Severity.HIGH,
        controls=SOFTWARE_INVENTORY | CHANGE_MANAGEMENT,
        validate=_helm_version_pinned,
    ),
    resource_policy(
        "helm-release-trusted-repository",
        "Helm charts come from an https:// repository (repositoryOpts.repo) or an oci:// "
        "registry, or are vendored in the repository; never plain HTTP or a local repo alias.",
        concern=CONCERN,
        service="helm",
        severity=Severity.HIGH,
        controls=TRUSTED_SOFTWARE,
        validate=_helm_trusted_repository,
    ),
    # codebuild
    resource_policy(
        "codebuild-project-hardened",
        "CodeBuild projects run in a VPC, not privileged, encrypted with a customer-managed key, "
        "with build logs on.",
        concern=CONCERN,
        service="codebuild",
        severity=Severity.HIGH,
        controls=HARDENED_CONFIG | ENCRYPTION_AT_REST | LOGGING,
        validators={CODEBUILD_PROJECT: _codebuild_hardened},
    ),
    resource_policy(
        "codebuild-webhook-filtered",
        "CodeBuild webhooks start builds only for named events: every filter group has an EVENT "
        "filter, pull-request events are limited to trusted authors (ACTOR_ACCOUNT_ID) and "
        "pushes to named branches (HEAD_REF).",
        concern=CONCERN,
        service="codebuild",
        severity=Severity.HIGH,
        controls=TRUSTED_SOFTWARE | CHANGE_MANAGEMENT,
        validators={type_tokens.CODEBUILD_WEBHOOK: _webhook_filtered},
    ),
    # ecr
    ecr_repository_scanned_immutable,
]
