"""Zero-trust policies, identity: every grant names who and what.

IAM identity policies without administrator or whole-service wildcards on every resource, and
trust/resource policies (roles, buckets, keys, queues, topics, registries, secrets) without a
wildcard principal unless a condition pins it to an account, organization, source or network.
Kubernetes workload identity: an IRSA trust policy names its service account, and EKS add-ons
that call AWS run with a role of their own instead of borrowing the node role. Credentials the
stack stores in Secrets Manager rotate on a schedule. Sign-in to data stores and tools: the IRSA
OIDC provider trusts only the STS audience, ElastiCache users without a password are disabled
(and so is a user group's default user), Managed Grafana runs with a customer-managed role, no
plugin installs and ADMIN service accounts only where allowlisted.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from . import type_tokens
from .compliance import (
    ADMIN_ACCESS,
    AUTHENTICATION,
    CREDENTIAL_PROTECTION,
    LEAST_PRIVILEGE,
    NO_PUBLIC_DATA,
    WORKLOAD_IDENTITY,
)
from .declare import resource_policy, stack_policy
from .support import (
    UnknownCollector,
    as_list,
    config,
    get,
    is_unknown,
    label,
    plain,
    policy_statements,
)

CONCERN = "zero-trust"
_STRING_LIST_SCHEMA: dict[str, Any] = {"type": "array", "items": {"type": "string"}}


IDENTITY_POLICY_PROPS: dict[str, str] = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
ROLE = "aws:iam/role:Role"
RESOURCE_POLICY_PROPS: dict[str, str] = {
    ROLE: "assumeRolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:msk/clusterPolicy:ClusterPolicy": "policy",
    "aws:s3/bucket:Bucket": "policy",
    "aws:s3/bucketV2:BucketV2": "policy",
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
}

# Condition keys that pin a wildcard principal to an account, organization, source or network.
RESTRICTING_CONDITION_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:VpcSourceIp",
        "kms:CallerAccount",
    )
)


# --------------------------------------------------------------------------------------------
# IAM documents
# --------------------------------------------------------------------------------------------
def _strings(value: Any) -> list[str]:
    return [v for v in as_list(value) if isinstance(v, str)]


def _identity_documents(args: ResourceValidationArgs) -> list[tuple[str, Any]]:
    prop = IDENTITY_POLICY_PROPS.get(args.resource_type)
    if prop is not None:
        return [(prop, get(args.props, prop))]
    if args.resource_type == ROLE:
        return [
            (f"inlinePolicies[{i}].policy", get(p, "policy"))
            for i, p in enumerate(as_list(get(args.props, "inlinePolicies")))
        ]
    return []


def _iam_no_admin_wildcard(args: ResourceValidationArgs, report: ReportViolation) -> None:
    documents = _identity_documents(args)
    if not documents:
        return
    unknowns = UnknownCollector()
    for prop, document in documents:
        with unknowns.guard():
            for statement in policy_statements(document):
                if statement.get("Effect") != "Allow":
                    continue
                resources = _strings(statement.get("Resource")) or _strings(
                    statement.get("NotResource")
                )
                on_everything = "*" in resources or (
                    "NotResource" in statement and "Resource" not in statement
                )
                actions = _strings(statement.get("Action"))
                if ("NotAction" in statement or "*" in actions) and on_everything:
                    what = "NotAction" if "NotAction" in statement else "Action '*'"
                    report(
                        f"{label(args.resource_type, args.name)} {prop} allows {what} on "
                        "every resource (administrator access). Fix: list the specific "
                        "actions and resource ARNs the workload needs.",
                        None,
                    )
    unknowns.finish()


def _iam_no_service_wildcard(args: ResourceValidationArgs, report: ReportViolation) -> None:
    documents = _identity_documents(args)
    if not documents:
        return
    unknowns = UnknownCollector()
    for prop, document in documents:
        with unknowns.guard():
            for statement in policy_statements(document):
                if statement.get("Effect") != "Allow" or "*" not in _strings(
                    statement.get("Resource")
                ):
                    continue
                wild = [a for a in _strings(statement.get("Action")) if a.endswith(":*")]
                if wild:
                    report(
                        f"{label(args.resource_type, args.name)} {prop} allows "
                        f"{', '.join(wild)} on every resource. Fix: name the actions and scope "
                        "Resource to the ARNs the workload uses.",
                        None,
                    )
    unknowns.finish()


def _wildcard_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in _strings(v) for v in principal.values())
    return False


def _restricted(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator_block in condition.values():
        if isinstance(operator_block, dict) and any(
            str(k).lower() in RESTRICTING_CONDITION_KEYS for k in operator_block
        ):
            return True
    return False


def _no_wildcard_principal(args: ResourceValidationArgs, report: ReportViolation) -> None:
    prop = RESOURCE_POLICY_PROPS.get(args.resource_type)
    if prop is None:
        return
    where = label(args.resource_type, args.name)
    for statement in policy_statements(get(args.props, prop)):
        if statement.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in statement:
            report(
                f"{where} {prop} allows everyone except a NotPrincipal list. Fix: replace "
                "NotPrincipal with an explicit Principal.",
                None,
            )
            continue
        if _wildcard_principal(statement.get("Principal")) and not _restricted(
            statement.get("Condition")
        ):
            sid = f" (Sid {statement['Sid']})" if statement.get("Sid") else ""
            report(
                f"{where} {prop} grants access to any principal ('*'){sid} without a "
                "restricting condition. Fix: name the principals (account, role or service), "
                "or add a condition on aws:PrincipalOrgID, aws:SourceArn, aws:SourceAccount "
                "or aws:SourceVpce.",
                None,
            )


# --------------------------------------------------------------------------------------------
# AWS-managed administrator policies
# --------------------------------------------------------------------------------------------
MANAGED_POLICY_ATTACHMENTS: dict[str, str] = {
    type_tokens.IAM_ROLE_POLICY_ATTACHMENT: "policyArn",
    type_tokens.IAM_USER_POLICY_ATTACHMENT: "policyArn",
    type_tokens.IAM_GROUP_POLICY_ATTACHMENT: "policyArn",
    type_tokens.IAM_POLICY_ATTACHMENT: "policyArn",
    type_tokens.IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE: "policyArns",
    ROLE: "managedPolicyArns",
}
_AWS_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.+/)?(?P<name>[^/]+)$")


def _admin_managed_policy(arn: str) -> bool:
    """``AdministratorAccess`` or an AWS-managed ``*FullAccess`` policy (any partition/path)."""
    match = _AWS_MANAGED_POLICY.match(arn)
    if match is None:
        return False
    name = match.group("name")
    return name == "AdministratorAccess" or name.endswith("FullAccess")


def _no_admin_managed_policy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    prop = MANAGED_POLICY_ATTACHMENTS[args.resource_type]
    exempt = set(_strings(config(args, "exemptPolicyArns", [])))
    unknowns = UnknownCollector()
    for index, value in enumerate(as_list(get(args.props, prop))):
        with unknowns.guard():
            if not isinstance(value, str) or value in exempt or not _admin_managed_policy(value):
                continue
            where = prop if prop == "policyArn" else f"{prop}[{index}]"
            report(
                f"{label(args.resource_type, args.name)} {where} attaches the AWS-managed "
                f"policy {value}, which grants administrator or whole-service access. Fix: "
                "attach a customer-managed policy naming the actions and resources the "
                "principal needs (or list the ARN in exemptPolicyArns with the reason in the "
                "pack config).",
                None,
            )
    unknowns.finish()


# --------------------------------------------------------------------------------------------
# SNS topic policies: no other account
# --------------------------------------------------------------------------------------------
SNS_TOPIC_POLICY_PROPS: dict[str, str] = {
    type_tokens.SNS_TOPIC_POLICY: "policy",
    type_tokens.SNS_TOPIC: "policy",
}
ACCOUNT_CONDITION_KEYS = frozenset({"aws:sourceaccount", "aws:sourceowner", "aws:principalaccount"})
_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(?P<account>\d{12}):")


def _arn_account(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if re.fullmatch(r"\d{12}", value):
        return value
    match = _ACCOUNT_IN_ARN.match(value)
    return match.group("account") if match else None


def _topic_account(args: ResourceValidationArgs, statements: list[dict[str, Any]]) -> str | None:
    """The account owning the topic: from the TopicPolicy's ``arn`` or the statements' SNS
    Resource ARNs (the topic a policy governs is in the account that owns it)."""
    if args.resource_type == type_tokens.SNS_TOPIC_POLICY:
        owner = _arn_account(get(args.props, "arn"))
        if owner:
            return owner
    for statement in statements:
        for resource in _strings(statement.get("Resource")):
            if resource.startswith("arn:") and ":sns:" in resource:
                owner = _arn_account(resource)
                if owner:
                    return owner
    return None


def _account_conditions(condition: Any) -> list[str] | None:
    """Accounts an account-pinning condition allows; None when there is no such condition."""
    if not isinstance(condition, dict):
        return None
    found: list[str] | None = None
    for operator, block in condition.items():
        if not isinstance(block, dict) or str(operator).startswith("ForAnyValue"):
            continue
        for key, value in block.items():
            if str(key).lower() in ACCOUNT_CONDITION_KEYS:
                found = (found or []) + _strings(value)
    return found


def _statement_accounts(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    entries = _strings(principal.get("AWS")) if isinstance(principal, dict) else []
    return [a for a in (_arn_account(e) for e in entries) if a]


def _sns_cross_account(args: ResourceValidationArgs, report: ReportViolation) -> None:
    prop = SNS_TOPIC_POLICY_PROPS[args.resource_type]
    statements = policy_statements(get(args.props, prop))
    if not statements:
        return
    owner = _topic_account(args, statements)
    allowed = {owner, *_strings(config(args, "allowedAccounts", []))} - {None}
    where = label(args.resource_type, args.name)
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        sid = f" (Sid {statement['Sid']})" if statement.get("Sid") else ""
        pinned = _account_conditions(statement.get("Condition"))
        if _wildcard_principal(statement.get("Principal")) or "NotPrincipal" in statement:
            if pinned is None:
                report(
                    f"{where} {prop} allows any principal{sid} without an aws:SourceAccount, "
                    "aws:SourceOwner or aws:PrincipalAccount condition, so other accounts can "
                    "publish or subscribe. Fix: name the principals, or pin the statement to "
                    "the topic's own account with one of those condition keys.",
                    None,
                )
                continue
            foreign = [a for a in pinned if allowed and a not in allowed]
        else:
            foreign = [a for a in _statement_accounts(statement) if allowed and a not in allowed]
            if pinned:
                foreign += [a for a in pinned if allowed and a not in allowed]
        for account in dict.fromkeys(foreign):
            report(
                f"{where} {prop} grants account {account}{sid}, which is not the topic's own "
                f"account ({owner}). Fix: drop the other account, or list it in allowedAccounts "
                "with the reason in the pack config.",
                None,
            )


# --------------------------------------------------------------------------------------------
# Kubernetes workload identity
# --------------------------------------------------------------------------------------------
EKS_ADDON = "aws:eks/addon:Addon"
# Managed add-ons that call AWS APIs; without a role of their own they use the node role.
ADDONS_NEEDING_A_ROLE = (
    "vpc-cni",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "aws-mountpoint-s3-csi-driver",
    "amazon-cloudwatch-observability",
)


def _subject_too_wide(value: str) -> bool:
    """A ``<issuer>:sub`` pattern that matches any service account in some namespace set."""
    if value in ("*", "system:serviceaccount:*"):
        return True
    parts = value.split(":")
    return len(parts) >= 3 and parts[0] == "system" and "*" in parts[2]


def _web_identity_subjects(condition: Any) -> list[str] | None:
    """The values the condition requires of an OIDC ``sub`` claim; None when it has none."""
    if not isinstance(condition, dict):
        return None
    found: list[str] | None = None
    for operator, block in condition.items():
        if not str(operator).startswith(("StringEquals", "StringLike")):
            continue
        if not isinstance(block, dict):
            continue
        for key, values in block.items():
            if str(key).endswith(":sub"):
                found = (found or []) + _strings(values)
    return found


def _irsa_trust_scoped(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ROLE:
        return
    where = label(args.resource_type, args.name)
    for statement in policy_statements(get(args.props, "assumeRolePolicy")):
        actions = [a.lower() for a in _strings(statement.get("Action"))]
        if statement.get("Effect") != "Allow" or not (
            "sts:assumerolewithwebidentity" in actions or "sts:*" in actions or "*" in actions
        ):
            continue
        principal = statement.get("Principal")
        federated = _strings(principal.get("Federated")) if isinstance(principal, dict) else []
        if not any("oidc-provider/" in f for f in federated):
            continue
        subjects = _web_identity_subjects(statement.get("Condition"))
        wide = [v for v in subjects or [] if _subject_too_wide(v)]
        if subjects is None or not subjects or wide:
            shown = f"allows {wide}" if wide else "has no condition on the 'sub' claim"
            report(
                f"{where} trusts the cluster's OIDC provider but {shown}, so any pod's service "
                "account token can assume it. Fix: add a StringEquals condition "
                "'<issuer>:sub' = 'system:serviceaccount:<namespace>:<service account>' (and "
                "'<issuer>:aud' = 'sts.amazonaws.com'), or use EKS Pod Identity.",
                None,
            )


def _addon_own_role(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_ADDON:
        return
    name = get(args.props, "addonName")
    needing = {str(n) for n in config(args, "addons", list(ADDONS_NEEDING_A_ROLE))}
    if name not in needing:
        return
    if get(args.props, "serviceAccountRoleArn") or as_list(
        get(args.props, "podIdentityAssociations")
    ):
        return
    report(
        f"{label(args.resource_type, args.name)}: add-on '{name}' calls AWS APIs but has no "
        "role of its own, so it borrows the node role (and every pod on the node can too). "
        "Fix: give it a least-privilege role through podIdentityAssociations [{roleArn, "
        "serviceAccount}] (EKS Pod Identity) or serviceAccountRoleArn (IRSA), and keep those "
        "permissions off the node role.",
        None,
    )


# --------------------------------------------------------------------------------------------
# Credentials rotate
# --------------------------------------------------------------------------------------------

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"


def _rotated_secrets(args: StackValidationArgs) -> tuple[set[str], set[str], bool]:
    """(URNs, ids/ARNs) of the secrets a SecretRotation of the stack targets, and whether some
    rotation's target cannot be told yet (an unknown secretId from no resource of the stack)."""
    urns: set[str] = set()
    values: set[str] = set()
    undecided = False
    for resource in args.resources:
        if resource.resource_type != SECRET_ROTATION:
            continue
        linked = [d.urn for d in resource.property_dependencies.get("secretId", [])]
        urns.update(linked)
        secret_id = plain(resource.props).get("secretId")
        if is_unknown(secret_id):
            undecided = undecided or not linked
        elif isinstance(secret_id, str):
            values.add(secret_id)
    return urns, values, undecided


def _secrets_rotated(args: StackValidationArgs, report: ReportViolation) -> None:
    rotated_urns, rotated_ids, undecided = _rotated_secrets(args)
    if undecided:
        return  # during preview: that rotation may target any of them
    exempt = set(as_list(config(args, "exemptSecrets", [])))
    for secret in args.resources:
        if secret.resource_type != SECRET or secret.urn in rotated_urns:
            continue
        props = plain(secret.props)
        known = {
            v
            for v in (props.get("arn"), props.get("id"))
            if isinstance(v, str) and v and not is_unknown(v)
        }
        if known & rotated_ids or props.get("name") in exempt:
            continue
        if rotated_ids and any(is_unknown(props.get(k)) for k in ("arn", "id")):
            continue  # a rotation naming a literal ARN may be this secret's, once it is known
        report(
            f"{label(SECRET, secret.name)} has no rotation schedule: a credential that never "
            "changes outlives every person and process that once read it. Fix: add an "
            "aws.secretsmanager.SecretRotation for it (Meridian: DatabaseSecretRotation in "
            "components/data/secret_rotation.py), or, for a secret another system rotates, name "
            "it in this policy's `exemptSecrets` config.",
            secret.urn,
        )


# --------------------------------------------------------------------------------------------
# ElastiCache (Valkey/Redis OSS) users and user groups
# --------------------------------------------------------------------------------------------
# ElastiCache's built-in default user: user ID "default", enabled, no password.
BUILTIN_CACHE_USER = "default"


def _cache_user_enabled(access_string: Any) -> bool:
    """True when a Redis/Valkey ACL access string switches the user on (new users start off)."""
    return "on" in str(access_string).split()


def _cache_user_no_password(props: Any) -> bool:
    mode = get(props, "authenticationMode", "type")
    return mode == "no-password-required" or (
        mode is None and bool(get(props, "noPasswordRequired"))
    )


def _cache_user_authenticated(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _cache_user_no_password(args.props):
        return
    access = get(args.props, "accessString", default="")
    if _cache_user_enabled(access):
        report(
            f"{label(args.resource_type, args.name)} (user name "
            f"{get(args.props, 'userName')!r}) is enabled ({access!r}) without a password: any "
            "client that reaches the cache port can sign in as it. Fix: authenticate with IAM "
            "(authenticationMode.type='iam') or passwords, or disable the user "
            "(accessString='off -@all').",
            None,
        )


def _cache_default_user_disabled(args: StackValidationArgs, report: ReportViolation) -> None:
    users: dict[str, dict[str, Any]] = {}
    for resource in args.resources:
        if resource.resource_type == type_tokens.ELASTICACHE_USER:
            props = plain(resource.props)
            if not is_unknown(props.get("userId")):
                users[str(props.get("userId"))] = props
    for group in args.resources:
        if group.resource_type != type_tokens.ELASTICACHE_USER_GROUP:
            continue
        where = label(group.resource_type, group.name)
        for member in as_list(plain(group.props).get("userIds")):
            if member == BUILTIN_CACHE_USER:
                report(
                    f"{where} includes ElastiCache's built-in user 'default', which is enabled "
                    "and needs no password. Fix: create a user with userName='default', "
                    "accessString='off -@all' and list its userId in place of 'default'.",
                    group.urn,
                )
            props = users.get(str(member))
            if props is None or props.get("userName") != "default":
                continue
            access = props.get("accessString")
            if not is_unknown(access) and _cache_user_enabled(access):
                report(
                    f"{where} makes '{member}' its default user (the one unauthenticated "
                    f"connections get), and it is enabled ({access!r}). Fix: give the default "
                    "user accessString='off -@all'.",
                    group.urn,
                )


# --------------------------------------------------------------------------------------------
# OIDC identity providers (IRSA)
# --------------------------------------------------------------------------------------------


def _oidc_provider(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    allowed = {str(a) for a in config(args, "allowedAudiences", ["sts.amazonaws.com"])}
    unknowns = UnknownCollector()
    extra: list[str] = []
    for audience in as_list(get(args.props, "clientIdLists")):
        with unknowns.guard():
            if str(audience) not in allowed:
                extra.append(str(audience))
    if extra:
        report(
            f"{where} trusts tokens issued for the audiences {extra}: roles that trust this "
            "provider accept tokens minted for other clients. Fix: set clientIdLists to "
            f"{sorted(allowed)} only.",
            None,
        )
    url = get(args.props, "url", default="")
    if not str(url).startswith("https://"):
        report(f"{where} has issuer URL {url!r}. Fix: use the issuer's https:// URL.", None)
    unknowns.finish()


# --------------------------------------------------------------------------------------------
# Amazon Managed Grafana
# --------------------------------------------------------------------------------------------


def _grafana_workspace(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    permission = get(args.props, "permissionType")
    if permission != "CUSTOMER_MANAGED":
        report(
            f"{where} has permissionType={permission!r}: Grafana creates its own role with "
            "read access to every data source of the account (or organization). Fix: set "
            "permissionType='CUSTOMER_MANAGED' with a roleArn scoped to the data sources used.",
            None,
        )
    if not as_list(get(args.props, "authenticationProviders")):
        report(f"{where} names no authenticationProviders. Fix: use ['AWS_SSO'].", None)
    configuration = get(args.props, "configuration")
    settings: Any = {}
    if isinstance(configuration, str) and configuration:
        try:
            settings = json.loads(configuration)
        except ValueError:
            settings = {}
    if get(settings, "plugins", "pluginAdminEnabled") is True:
        report(
            f"{where} lets workspace admins install plugins (configuration plugins."
            "pluginAdminEnabled=true): code from the plugin catalog runs with the workspace's "
            "data access. Fix: set pluginAdminEnabled to false.",
            None,
        )


def _grafana_service_account(args: ResourceValidationArgs, report: ReportViolation) -> None:
    role = get(args.props, "grafanaRole")
    name = get(args.props, "name")
    allowed = {str(n) for n in config(args, "adminServiceAccounts", [])}
    if role == "ADMIN" and str(name) not in allowed:
        report(
            f"{label(args.resource_type, args.name)} (service account {name!r}) has the "
            "Grafana role ADMIN: its tokens manage users, data sources and every dashboard. "
            "Fix: use grafanaRole='EDITOR' or 'VIEWER'; for the one account that provisions "
            "data sources, list its name in this policy's adminServiceAccounts.",
            None,
        )


# --------------------------------------------------------------------------------------------
# EKS Pod Identity associations
# --------------------------------------------------------------------------------------------
# The platform controllers that run in kube-system and need an AWS role of their own.
KUBE_SYSTEM_SERVICE_ACCOUNTS = ("aws-load-balancer-controller", "fluent-bit")


def _pod_identity_scoped(args: StackValidationArgs, report: ReportViolation) -> None:
    allowed = {
        str(n) for n in config(args, "kubeSystemServiceAccounts", KUBE_SYSTEM_SERVICE_ACCOUNTS)
    }
    seen: dict[tuple[str, str, str], str] = {}
    for resource in args.resources:
        if resource.resource_type != type_tokens.EKS_POD_IDENTITY_ASSOCIATION:
            continue
        props = plain(resource.props)
        key_values = [props.get(k) for k in ("clusterName", "namespace", "serviceAccount")]
        if any(is_unknown(v) for v in key_values):
            continue
        cluster, namespace, account = (str(v) for v in key_values)
        where = label(resource.resource_type, resource.name)
        if account == "default":
            report(
                f"{where} gives a role to the 'default' service account of {namespace!r}, which "
                "every pod of the namespace runs as unless it names another. Fix: create a "
                "service account for the workload and associate the role with it.",
                resource.urn,
            )
        if namespace == "kube-system" and account not in allowed:
            report(
                f"{where} gives a role to kube-system/{account}, which is not a platform "
                "controller listed in kubeSystemServiceAccounts. Fix: run the workload in its "
                "own namespace, or list the service account in kubeSystemServiceAccounts.",
                resource.urn,
            )
        other = seen.setdefault((cluster, namespace, account), resource.name)
        if other != resource.name:
            report(
                f"{where} associates a second role with {namespace}/{account} on {cluster} "
                f"(also {other}); EKS accepts one association per service account, and which "
                "role the pods get is ambiguous. Fix: keep one association.",
                resource.urn,
            )


# --------------------------------------------------------------------------------------------
# Grafana service account tokens
# --------------------------------------------------------------------------------------------
# AWS's own ceiling for a Managed Grafana service account token (30 days).
GRAFANA_TOKEN_MAX_SECONDS = 30 * 24 * 3600


def _grafana_token_ttl(args: ResourceValidationArgs, report: ReportViolation) -> None:
    where = label(args.resource_type, args.name)
    ttl = plain(args.props).get("secondsToLive")
    if is_unknown(ttl):
        return
    limit = int(config(args, "maxSecondsToLive", GRAFANA_TOKEN_MAX_SECONDS))
    if not isinstance(ttl, (int, float)) or ttl <= 0 or ttl > limit:
        report(
            f"{where} lives {ttl!r} seconds; tokens live at most {limit} seconds "
            "(maxSecondsToLive), so a leaked token stops working soon. Fix: set "
            f"seconds_to_live to at most {limit} and rotate it by replacing the token.",
            None,
        )


POLICIES: list[Policy] = [
    # iam
    resource_policy(
        "iam-no-admin-wildcard",
        "IAM identity policies do not allow Action '*' (or NotAction) on Resource '*'.",
        concern=CONCERN,
        service="iam",
        severity=Severity.CRITICAL,
        controls=LEAST_PRIVILEGE,
        validate=_iam_no_admin_wildcard,
    ),
    resource_policy(
        "iam-no-service-wildcard",
        "IAM identity policies do not allow a whole service ('s3:*') on Resource '*'.",
        concern=CONCERN,
        service="iam",
        severity=Severity.MEDIUM,
        controls=LEAST_PRIVILEGE,
        enforcement=EnforcementLevel.ADVISORY,
        validate=_iam_no_service_wildcard,
    ),
    resource_policy(
        "no-wildcard-principal",
        "Trust and resource policies (IAM roles, S3, KMS, SQS, SNS, ECR, Secrets Manager) do "
        "not allow Principal '*' without a restricting condition, nor use NotPrincipal. KMS "
        "key policies may use Resource '*' and the account root principal.",
        concern=CONCERN,
        service=("iam", "s3", "kms", "sqs", "sns", "ecr", "secretsmanager"),
        severity=Severity.CRITICAL,
        controls=LEAST_PRIVILEGE | NO_PUBLIC_DATA,
        validate=_no_wildcard_principal,
    ),
    resource_policy(
        "iam-no-admin-managed-policy",
        "No role, user or group gets the AWS-managed AdministratorAccess or any AWS-managed "
        "*FullAccess policy (RolePolicyAttachment, UserPolicyAttachment, GroupPolicyAttachment, "
        "PolicyAttachment, RolePolicyAttachmentsExclusive, Role managedPolicyArns); exceptions "
        "are ARNs listed in exemptPolicyArns.",
        concern=CONCERN,
        service="iam",
        severity=Severity.CRITICAL,
        controls=LEAST_PRIVILEGE,
        validators=dict.fromkeys(MANAGED_POLICY_ATTACHMENTS, _no_admin_managed_policy),
        config_schema=PolicyConfigSchema(
            properties={
                "exemptPolicyArns": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": [],
                    "description": "AWS-managed policy ARNs a shipped principal legitimately "
                    "needs (each with its reason beside it in the config).",
                }
            }
        ),
    ),
    resource_policy(
        "irsa-trust-scoped",
        "IAM roles trusting an EKS OIDC provider (IRSA) name the service account: the trust "
        "policy requires the '<issuer>:sub' claim to be specific service accounts, not a "
        "wildcard.",
        concern=CONCERN,
        service=("iam", "eks"),
        severity=Severity.HIGH,
        controls=WORKLOAD_IDENTITY,
        validate=_irsa_trust_scoped,
    ),
    resource_policy(
        "oidc-provider-audience",
        "IAM OIDC identity providers trust only the allowedAudiences (default "
        "sts.amazonaws.com) at an https issuer URL.",
        concern=CONCERN,
        service="iam",
        severity=Severity.HIGH,
        controls=WORKLOAD_IDENTITY | AUTHENTICATION,
        validators={type_tokens.OIDC_PROVIDER: _oidc_provider},
        config_schema=PolicyConfigSchema(
            properties={
                "allowedAudiences": {**_STRING_LIST_SCHEMA, "default": ["sts.amazonaws.com"]}
            }
        ),
    ),
    # eks
    resource_policy(
        "eks-addon-own-role",
        "EKS managed add-ons that call AWS APIs (vpc-cni, aws-ebs-csi-driver, ...; config "
        "`addons`) have a role of their own (podIdentityAssociations or serviceAccountRoleArn) "
        "instead of the node role.",
        concern=CONCERN,
        service="eks",
        severity=Severity.HIGH,
        controls=WORKLOAD_IDENTITY,
        validate=_addon_own_role,
        config_schema=PolicyConfigSchema(
            properties={
                "addons": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": list(ADDONS_NEEDING_A_ROLE),
                }
            }
        ),
    ),
    stack_policy(
        "eks-pod-identity-scoped",
        "EKS Pod Identity associations give one role per (cluster, namespace, service account), "
        "never to a namespace's 'default' service account, and in kube-system only to the "
        "platform controllers listed in kubeSystemServiceAccounts.",
        concern=CONCERN,
        service="eks",
        severity=Severity.HIGH,
        controls=WORKLOAD_IDENTITY | LEAST_PRIVILEGE,
        types=(type_tokens.EKS_POD_IDENTITY_ASSOCIATION,),
        validate=_pod_identity_scoped,
        config_schema=PolicyConfigSchema(
            properties={
                "kubeSystemServiceAccounts": {
                    **_STRING_LIST_SCHEMA,
                    "default": list(KUBE_SYSTEM_SERVICE_ACCOUNTS),
                }
            }
        ),
    ),
    # secretsmanager
    stack_policy(
        "secretsmanager-secret-rotated",
        "Every Secrets Manager secret of the stack has a rotation schedule (a SecretRotation "
        "targeting it), unless its name is listed in `exemptSecrets` (rotated by another "
        "system).",
        concern=CONCERN,
        service="secretsmanager",
        severity=Severity.HIGH,
        controls=CREDENTIAL_PROTECTION,
        types=(type_tokens.SECRET,),
        validate=_secrets_rotated,
        config_schema=PolicyConfigSchema(
            properties={
                "exemptSecrets": {"type": "array", "items": {"type": "string"}, "default": []}
            }
        ),
    ),
    # sns
    resource_policy(
        "sns-topic-policy-own-account",
        "SNS topic policies (TopicPolicy, Topic.policy) allow no other account: a wildcard "
        "principal needs an aws:SourceAccount, aws:SourceOwner or aws:PrincipalAccount "
        "condition, and every account named (principal or condition) is the topic's own or in "
        "allowedAccounts.",
        concern=CONCERN,
        service="sns",
        severity=Severity.HIGH,
        controls=LEAST_PRIVILEGE | NO_PUBLIC_DATA,
        validators=dict.fromkeys(SNS_TOPIC_POLICY_PROPS, _sns_cross_account),
        config_schema=PolicyConfigSchema(
            properties={
                "allowedAccounts": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^[0-9]{12}$"},
                    "default": [],
                    "description": "Other accounts that may be granted on a topic.",
                }
            }
        ),
    ),
    # elasticache
    resource_policy(
        "elasticache-user-authenticated",
        "ElastiCache users that need no password are disabled (accessString 'off'); enabled "
        "users authenticate with IAM or passwords.",
        concern=CONCERN,
        service="elasticache",
        severity=Severity.HIGH,
        controls=AUTHENTICATION,
        validators={type_tokens.ELASTICACHE_USER: _cache_user_authenticated},
    ),
    stack_policy(
        "elasticache-default-user-disabled",
        "ElastiCache user groups do not include the built-in 'default' user, and the user they "
        "name 'default' (what unauthenticated connections get) is disabled.",
        concern=CONCERN,
        service="elasticache",
        severity=Severity.HIGH,
        controls=AUTHENTICATION,
        types=(type_tokens.ELASTICACHE_USER_GROUP, type_tokens.ELASTICACHE_USER),
        validate=_cache_default_user_disabled,
    ),
    # grafana
    resource_policy(
        "grafana-workspace-hardened",
        "Managed Grafana workspaces use a customer-managed role, name their sign-in provider "
        "and do not let workspace admins install plugins.",
        concern=CONCERN,
        service="grafana",
        severity=Severity.MEDIUM,
        controls=LEAST_PRIVILEGE | AUTHENTICATION,
        validators={type_tokens.GRAFANA_WORKSPACE: _grafana_workspace},
    ),
    resource_policy(
        "grafana-service-account-role",
        "Managed Grafana service accounts are EDITOR or VIEWER; ADMIN only for the names in "
        "adminServiceAccounts.",
        concern=CONCERN,
        service="grafana",
        severity=Severity.MEDIUM,
        controls=ADMIN_ACCESS | LEAST_PRIVILEGE,
        validators={type_tokens.GRAFANA_SERVICE_ACCOUNT: _grafana_service_account},
        config_schema=PolicyConfigSchema(
            properties={"adminServiceAccounts": {**_STRING_LIST_SCHEMA, "default": []}}
        ),
    ),
    resource_policy(
        "grafana-token-ttl",
        "Managed Grafana service account tokens expire: secondsToLive is at most "
        "maxSecondsToLive (default 30 days, AWS's own ceiling).",
        concern=CONCERN,
        service="grafana",
        severity=Severity.MEDIUM,
        controls=CREDENTIAL_PROTECTION,
        validators={type_tokens.GRAFANA_SERVICE_ACCOUNT_TOKEN: _grafana_token_ttl},
        config_schema=PolicyConfigSchema(
            properties={
                "maxSecondsToLive": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": GRAFANA_TOKEN_MAX_SECONDS,
                    "default": GRAFANA_TOKEN_MAX_SECONDS,
                }
            }
        ),
    ),
]
