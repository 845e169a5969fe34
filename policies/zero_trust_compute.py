"""Zero-trust policies, compute: the Kubernetes control plane and the nodes.

EKS: a private API endpoint (public only to an allowlist), access entries as the only way in
(authentication mode API, no implicit cluster-creator admin), cluster-admin access policies only
for allowlisted roles, no reserved system: groups in access entries. Nodes (EC2 instances, launch
templates, EKS managed node groups, Karpenter EC2NodeClasses): IMDSv2 with a hop limit that keeps
pods off the node's credentials, no public IP, no SSH; the region's instance metadata defaults
(what an instance without its own metadata options gets) require IMDSv2 too.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from .compliance import (
    ADMIN_ACCESS,
    AUTHENTICATION,
    HARDENED_CONFIG,
    LEAST_PRIVILEGE,
    NETWORK_BOUNDARY,
    WORKLOAD_IDENTITY,
)
from .declare import resource_policy
from .support import (
    UnknownCollector,
    as_bool,
    as_int,
    as_list,
    config,
    get,
    is_unknown,
    is_world_cidr,
    label,
    parse_cidr,
)
from .type_tokens import (
    EKS_ACCESS_ENTRY,
    EKS_ACCESS_POLICY_ASSOCIATION,
    INSTANCE_METADATA_DEFAULTS,
)

CONCERN = "zero-trust"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"


# Resource type tokens (pulumi-aws 7; Karpenter's CRD as pulumi-kubernetes sends it)
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
EC2_NODE_CLASS_TYPES = frozenset(
    {
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
        "kubernetes:karpenter.k8s.aws/v1beta1:EC2NodeClass",
    }
)
NODE_TYPES = frozenset({LAUNCH_TEMPLATE, EC2_INSTANCE}) | EC2_NODE_CLASS_TYPES
_STRING_LIST = {"type": "array", "items": {"type": "string"}}
# A public allowlist entry this broad is the internet in disguise (0.0.0.0/1 + 128.0.0.0/1).
_WIDEST_ALLOWLIST_PREFIX = {4: 8, 6: 16}


def _too_broad(cidr: Any) -> bool:
    network = parse_cidr(cidr)
    return network is not None and network.prefixlen < _WIDEST_ALLOWLIST_PREFIX[network.version]


def _eks_endpoint_private(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    where = label(args.resource_type, args.name)
    vpc = get(args.props, "vpcConfig", default={})
    public = as_bool(get(vpc, "endpointPublicAccess"), default=True)  # AWS default: public
    private = as_bool(get(vpc, "endpointPrivateAccess"), default=False)
    if public:
        cidrs = as_list(get(vpc, "publicAccessCidrs")) or ["0.0.0.0/0"]  # AWS default
        world = [c for c in cidrs if is_world_cidr(c) or _too_broad(c)]
        if world:
            report(
                f"{where} exposes its Kubernetes API endpoint to {', '.join(world)} (unset "
                "publicAccessCidrs means 0.0.0.0/0). Fix: set vpcConfig.endpointPublicAccess="
                "false (reach the API through the VPC), or list the operator CIDRs in "
                "vpcConfig.publicAccessCidrs.",
                None,
            )
    if not private:
        report(
            f"{where} has vpcConfig.endpointPrivateAccess disabled, so nodes reach the API "
            "over the internet. Fix: set vpcConfig.endpointPrivateAccess=true.",
            None,
        )


def _metadata_options(args: ResourceValidationArgs) -> tuple[str, Any] | None:
    """(property path, metadata options) of a node resource; None when another resource's
    options apply (an instance launched from a template declares none of its own)."""
    if args.resource_type in EC2_NODE_CLASS_TYPES:
        return "spec.metadataOptions", get(args.props, "spec", "metadataOptions")
    options = get(args.props, "metadataOptions")
    if options is None and args.resource_type == EC2_INSTANCE and get(args.props, "launchTemplate"):
        return None  # the launch template's metadata options apply (checked on the template)
    return "metadataOptions", options


def _imds_disabled(options: Any) -> bool:
    return str(get(options, "httpEndpoint", default="enabled")).lower() == "disabled"


def _no_public_ip(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in NODE_TYPES:
        return
    where = label(args.resource_type, args.name)
    fix = "Fix: launch into private subnets without a public IP; expose services via the edge."
    if args.resource_type == EC2_INSTANCE:
        if as_bool(get(args.props, "associatePublicIpAddress")):
            report(
                f"{where} gets a public IP address (associatePublicIpAddress). {fix}",
                None,
            )
    elif args.resource_type in EC2_NODE_CLASS_TYPES:
        # Unset: Karpenter follows the subnet's MapPublicIpOnLaunch (false on private subnets).
        if as_bool(get(args.props, "spec", "associatePublicIPAddress")):
            report(
                f"{where} gives its nodes a public IP address (spec.associatePublicIPAddress). "
                f"{fix} Leave spec.associatePublicIPAddress unset or false.",
                None,
            )
    else:
        unknowns = UnknownCollector()
        for nic in as_list(get(args.props, "networkInterfaces")):
            with unknowns.guard():
                if as_bool(get(nic, "associatePublicIpAddress")):
                    report(
                        f"{where} gives its network interfaces a public IP address "
                        f"(networkInterfaces[].associatePublicIpAddress). {fix}",
                        None,
                    )
        unknowns.finish()


def _imdsv2_required(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in NODE_TYPES:
        return
    found = _metadata_options(args)
    if found is None:
        return
    path, options = found
    if _imds_disabled(options):
        return  # no instance metadata service at all
    tokens = get(options, "httpTokens")
    if tokens is None and args.resource_type in EC2_NODE_CLASS_TYPES:
        return  # Karpenter's default is httpTokens=required
    if tokens != "required":
        report(
            f"{label(args.resource_type, args.name)} allows IMDSv1 ({path}.httpTokens="
            f"{tokens!r}). Fix: set {path}.httpTokens='required' (and "
            "httpPutResponseHopLimit=1 so pods cannot reach the node's credentials).",
            None,
        )


def _hop_limit(args: ResourceValidationArgs) -> tuple[str, int | None] | None:
    """(property path, declared hop limit or None) of a node resource with IMDS enabled."""
    found = _metadata_options(args)
    if found is None:
        return None
    path, options = found
    if _imds_disabled(options):
        return None
    return f"{path}.httpPutResponseHopLimit", as_int(get(options, "httpPutResponseHopLimit"))


def _imds_hop_limit(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in NODE_TYPES:
        return
    found = _hop_limit(args)
    if found is None:
        return
    path, hops = found
    maximum = as_int(config(args, "maximumHopLimit", 2), 2) or 2
    if hops is not None and hops > maximum:
        report(
            f"{label(args.resource_type, args.name)} sets {path}={hops}: every container on the "
            "node, however many network hops away, can fetch the node role's credentials from "
            f"IMDS. Fix: set {path}=1 (or {maximum} only where a documented add-on needs it).",
            None,
        )


def _imds_hop_limit_one(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in NODE_TYPES:
        return
    if args.name in {str(n) for n in config(args, "exemptResources", [])}:
        return
    found = _hop_limit(args)
    if found is None:
        return
    path, hops = found
    if hops is None and args.resource_type in EC2_NODE_CLASS_TYPES:
        return  # Karpenter's default hop limit is 1
    if hops is None or hops > 1:
        what = "is not declared (AMIs registered with ImdsSupport v2.0 default to 2)"
        if hops is not None:
            what = f"is {hops}"
        report(
            f"{label(args.resource_type, args.name)}: {path} {what}, so pods that do not use "
            "the host network can reach the node role's credentials through IMDS. Fix: set "
            f"{path}=1 (pods get AWS access from Pod Identity or IRSA); where a documented "
            "add-on needs 2, list the resource in this policy's exemptResources.",
            None,
        )


def _no_ssh_key(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (LAUNCH_TEMPLATE, EC2_INSTANCE):
        return
    key = get(args.props, "keyName")
    if key:
        report(
            f"{label(args.resource_type, args.name)} installs the SSH key pair '{key}' "
            "(keyName), a standing credential outside IAM. Fix: remove keyName and use SSM "
            "Session Manager (the AmazonSSMManagedInstanceCore policy on the node role) for "
            "break-glass access.",
            None,
        )


def _nodegroup_launch_template(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_NODE_GROUP:
        return
    template = get(args.props, "launchTemplate")
    if not (get(template, "id") or get(template, "name")):
        report(
            f"{label(args.resource_type, args.name)} does not use a launch template, so "
            "IMDSv2 and the node security settings cannot be enforced. Fix: set "
            "launchTemplate {id or name, version} pointing at a template with "
            "metadataOptions.httpTokens='required'.",
            None,
        )


def _nodegroup_no_ssh(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_NODE_GROUP:
        return
    if get(args.props, "remoteAccess"):
        report(
            f"{label(args.resource_type, args.name)} enables SSH remote access to nodes. Fix: "
            "remove remoteAccess and use SSM Session Manager for break-glass access.",
            None,
        )


def _eks_authentication_mode(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    mode = get(args.props, "accessConfig", "authenticationMode")
    if mode != "API":
        shown = "not set (the EKS API default is CONFIG_MAP)" if mode is None else f"'{mode}'"
        report(
            f"{label(args.resource_type, args.name)} accessConfig.authenticationMode is {shown}: "
            "the aws-auth ConfigMap can grant cluster access outside IAM and the plan. Fix: set "
            "accessConfig.authenticationMode='API' and grant access with eks.AccessEntry and "
            "eks.AccessPolicyAssociation resources.",
            None,
        )


def _eks_no_bootstrap_admin(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    bootstrap = get(args.props, "accessConfig", "bootstrapClusterCreatorAdminPermissions")
    if as_bool(bootstrap, default=True):  # the provider's default is true
        report(
            f"{label(args.resource_type, args.name)} gives whoever runs `pulumi up` a hidden "
            "cluster-admin access entry (accessConfig.bootstrapClusterCreatorAdminPermissions "
            "is not false). Fix: set it to false and declare the deployer's and the admins' "
            "eks.AccessEntry + eks.AccessPolicyAssociation explicitly.",
            None,
        )


def _pod_hardened(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Every container of a Deployment the program writes runs as non-root (its own or the
    pod's `runAsNonRoot`) with a read-only root filesystem; unknown values pass (preview)."""
    if args.resource_type != K8S_DEPLOYMENT:
        return
    pod = get(args.props, "spec", "template", "spec", default={})
    pod_non_root = get(pod, "securityContext", "runAsNonRoot")
    containers = as_list(get(pod, "containers")) + as_list(get(pod, "initContainers"))
    for container in containers:
        context = get(container, "securityContext", default={})
        non_root = get(context, "runAsNonRoot")
        read_only = get(context, "readOnlyRootFilesystem")
        missing: list[str] = []
        if as_bool(non_root) is not True and not (
            non_root is None and as_bool(pod_non_root) is True
        ):
            missing.append("runAsNonRoot: true")
        if as_bool(read_only) is not True:
            missing.append("readOnlyRootFilesystem: true")
        if missing and not any(is_unknown(v) for v in (non_root, read_only, pod_non_root)):
            report(
                f"Deployment {label(args.resource_type, args.name)} container "
                f"{get(container, 'name')!r} lacks {' and '.join(missing)}: a compromised "
                "process could run as root or rewrite its own binaries. Fix: set them in the "
                "container's securityContext (writable paths as emptyDir volumes).",
                None,
            )


# EKS access policies that make their principal an administrator of every namespace
# (docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
_EKS_ADMIN_POLICIES = frozenset({"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy"})


def _principal_name(arn: Any) -> str:
    """The IAM role or user name at the end of a principal ARN (paths dropped)."""
    return str(arn).rsplit("/", 1)[-1]


def _eks_admin_allowlisted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    policy = str(get(args.props, "policyArn", default="")).rsplit("/", 1)[-1]
    if policy not in _EKS_ADMIN_POLICIES:
        return
    principal = get(args.props, "principalArn", default="")
    scope = get(args.props, "accessScope", "type", default="cluster")
    allowed = {str(n) for n in config(args, "adminRoleNames", [])}
    if ":role/" in str(principal) and _principal_name(principal) in allowed:
        return
    report(
        f"{label(args.resource_type, args.name)} gives {principal} the EKS access policy "
        f"{policy} ({scope} scope): administrator of the cluster's Kubernetes API. Fix: grant "
        "workloads and people a namespace-scoped AmazonEKSEditPolicy/AmazonEKSViewPolicy "
        "association instead, or, for a real cluster administrator role, list its role name in "
        "this policy's adminRoleNames.",
        None,
    )


def _eks_access_entry_groups(args: ResourceValidationArgs, report: ReportViolation) -> None:
    unknowns = UnknownCollector()
    where = label(args.resource_type, args.name)
    for group in as_list(get(args.props, "kubernetesGroups")):
        with unknowns.guard():
            if str(group).startswith("system:"):
                report(
                    f"{where} puts its principal in the reserved Kubernetes group '{group}' "
                    "(system:masters bypasses RBAC altogether). Fix: use groups bound by the "
                    "platform's own RBAC, or an access policy association scoped to namespaces.",
                    None,
                )
    unknowns.finish()


def _imds_account_defaults(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    tokens = get(args.props, "httpTokens", default="no-preference")
    if tokens != "required":
        report(
            f"{where} sets the region's instance metadata default httpTokens={tokens!r}, so "
            "instances launched without their own metadata options accept IMDSv1. Fix: set "
            "httpTokens='required'.",
            None,
        )
    hops = as_int(get(args.props, "httpPutResponseHopLimit"))
    maximum = as_int(config(args, "maximumHopLimit", 2), 2) or 2
    if hops is None or hops < 1 or hops > maximum:
        shown = "no preference" if hops in (None, -1) else str(hops)
        report(
            f"{where} sets the region's default IMDS hop limit to {shown}: containers on an "
            "instance launched without its own metadata options could fetch its role's "
            f"credentials. Fix: set httpPutResponseHopLimit between 1 and {maximum}.",
            None,
        )


POLICIES: list[Policy] = [
    resource_policy(
        "k8s-deployment-non-root-read-only",
        "Every container of a Kubernetes Deployment runs as non-root with a read-only root "
        "filesystem.",
        concern=CONCERN,
        service="kubernetes",
        severity=Severity.HIGH,
        controls=HARDENED_CONFIG,
        validate=_pod_hardened,
    ),
    # eks
    resource_policy(
        "eks-endpoint-private",
        "EKS API endpoints are private, or public only to an allowlist that is not the whole "
        "internet, and private access is on.",
        concern=CONCERN,
        service="eks",
        severity=Severity.HIGH,
        controls=ADMIN_ACCESS | NETWORK_BOUNDARY,
        validate=_eks_endpoint_private,
    ),
    resource_policy(
        "eks-api-authentication-mode",
        "EKS clusters admit identities through access entries only "
        "(accessConfig.authenticationMode = API), never through the aws-auth ConfigMap.",
        concern=CONCERN,
        service="eks",
        severity=Severity.HIGH,
        controls=AUTHENTICATION | LEAST_PRIVILEGE,
        validate=_eks_authentication_mode,
    ),
    resource_policy(
        "eks-no-bootstrap-admin",
        "EKS clusters do not give their creator an implicit cluster-admin access entry "
        "(accessConfig.bootstrapClusterCreatorAdminPermissions = false; the default is true); "
        "admins are explicit access entries.",
        concern=CONCERN,
        service="eks",
        severity=Severity.MEDIUM,
        controls=LEAST_PRIVILEGE,
        validate=_eks_no_bootstrap_admin,
    ),
    resource_policy(
        "eks-nodegroup-launch-template",
        "EKS managed node groups use a launch template (where IMDSv2 and node hardening are "
        "enforced).",
        concern=CONCERN,
        service="eks",
        severity=Severity.MEDIUM,
        controls=HARDENED_CONFIG,
        validate=_nodegroup_launch_template,
    ),
    resource_policy(
        "eks-nodegroup-no-ssh",
        "EKS managed node groups do not open SSH remote access.",
        concern=CONCERN,
        service="eks",
        severity=Severity.MEDIUM,
        controls=ADMIN_ACCESS,
        validate=_nodegroup_no_ssh,
    ),
    resource_policy(
        "eks-admin-access-allowlisted",
        "EKS access policy associations grant AmazonEKSClusterAdminPolicy or "
        "AmazonEKSAdminPolicy only to IAM roles listed in adminRoleNames.",
        concern=CONCERN,
        service="eks",
        severity=Severity.HIGH,
        controls=ADMIN_ACCESS | LEAST_PRIVILEGE,
        validators={EKS_ACCESS_POLICY_ASSOCIATION: _eks_admin_allowlisted},
        config_schema=PolicyConfigSchema(
            properties={"adminRoleNames": {**_STRING_LIST, "default": []}}
        ),
    ),
    resource_policy(
        "eks-access-entry-no-system-groups",
        "EKS access entries put no principal in a reserved system: Kubernetes group "
        "(system:masters bypasses RBAC).",
        concern=CONCERN,
        service="eks",
        severity=Severity.HIGH,
        controls=ADMIN_ACCESS | LEAST_PRIVILEGE,
        validators={EKS_ACCESS_ENTRY: _eks_access_entry_groups},
    ),
    # ec2
    resource_policy(
        "imds-account-defaults",
        "The region's EC2 instance metadata defaults require IMDSv2 (httpTokens = required) "
        "with a hop limit between 1 and maximumHopLimit (default 2).",
        concern=CONCERN,
        service="ec2",
        severity=Severity.HIGH,
        controls=HARDENED_CONFIG | WORKLOAD_IDENTITY,
        validators={INSTANCE_METADATA_DEFAULTS: _imds_account_defaults},
        config_schema=PolicyConfigSchema(
            properties={
                "maximumHopLimit": {"type": "integer", "minimum": 1, "maximum": 64, "default": 2}
            }
        ),
    ),
    resource_policy(
        "no-public-ip-on-compute",
        "EC2 instances, launch templates and Karpenter EC2NodeClasses do not assign public IP "
        "addresses.",
        concern=CONCERN,
        service=("ec2", "karpenter"),
        severity=Severity.HIGH,
        controls=NETWORK_BOUNDARY,
        validate=_no_public_ip,
    ),
    resource_policy(
        "imdsv2-required",
        "EC2 instances, launch templates and Karpenter EC2NodeClasses require IMDSv2 "
        "(metadataOptions.httpTokens = required; a node class's unset value is Karpenter's "
        "default, required).",
        concern=CONCERN,
        service=("ec2", "karpenter"),
        severity=Severity.HIGH,
        controls=HARDENED_CONFIG | WORKLOAD_IDENTITY,
        validate=_imdsv2_required,
    ),
    resource_policy(
        "imds-hop-limit",
        "The IMDS response hop limit of EC2 instances, launch templates and Karpenter "
        "EC2NodeClasses is at most maximumHopLimit (default 2).",
        concern=CONCERN,
        service=("ec2", "karpenter"),
        severity=Severity.HIGH,
        controls=HARDENED_CONFIG | WORKLOAD_IDENTITY,
        validate=_imds_hop_limit,
        config_schema=PolicyConfigSchema(
            properties={
                "maximumHopLimit": {"type": "integer", "minimum": 1, "maximum": 64, "default": 2}
            }
        ),
    ),
    resource_policy(
        "imds-hop-limit-one",
        "Advice: node IMDS hop limits are declared as 1 so pods cannot reach the node role's "
        "credentials; 2 only for resources listed in exemptResources (a documented add-on "
        "needs it).",
        concern=CONCERN,
        service=("ec2", "karpenter"),
        severity=Severity.MEDIUM,
        controls=HARDENED_CONFIG | WORKLOAD_IDENTITY,
        enforcement=EnforcementLevel.ADVISORY,
        validate=_imds_hop_limit_one,
        config_schema=PolicyConfigSchema(
            properties={"exemptResources": {**_STRING_LIST, "default": []}}
        ),
    ),
    resource_policy(
        "ec2-no-ssh-key",
        "EC2 instances and launch templates install no SSH key pair (keyName unset); "
        "break-glass access goes through SSM Session Manager.",
        concern=CONCERN,
        service="ec2",
        severity=Severity.MEDIUM,
        controls=ADMIN_ACCESS,
        validate=_no_ssh_key,
    ),
]
