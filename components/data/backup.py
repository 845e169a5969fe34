"""BackupVault: the region's AWS Backup vault, its daily plan with a cross-region copy to the paired
region, and a weekly restore test.

- the vault is encrypted with the region's backups key, `protect`ed, and in prod locked (Vault
  Lock: after `changeable_for_days` nobody, root included, can shorten retention or delete it);
- the plan backs up daily the resources it is given (Aurora clusters, DynamoDB tables) and every
  EBS volume tagged `meridian.io/backup=daily` (Kubernetes volumes that need it: Cassandra on
  K8ssandra), keeps them `retention_days`, and copies each recovery point to the paired region's
  vault, whose name is derived (no cross-stack read: the peer may deploy in the same wave; copies
  start once it exists);
- a restore testing plan restores the latest recovery point of the Aurora cluster and the tables
  every week, so a backup is known to restore before it is needed.

Example::

    vault = BackupVault("backup", BackupVaultArgs(
        names=names, kms_key_arn=keys.arn(KeyClass.BACKUPS),
        copy_to_vault_arn=vault_arn("aws", "us-west-2", account, "meridian-prod-usw2-backup"),
        retention_days=35, copy_retention_days=35, vault_lock=True, restore_testing=True,
        resources={"Aurora": [db.cluster.arn], "DynamoDB": [table_arn]}, partition="aws"),
        opts=in_region)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.naming import Names
from components.data.access import service_role

BACKUP_TAG = ("meridian.io/backup", "daily")
"""Volumes (EBS) carrying this tag are backed up by the plan."""
MANAGED_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
)
VAULT_LOCK_GRACE_DAYS = 3
"""Governance mode for three days after creation, compliance (immutable) afterwards."""


def vault_name(names: Names) -> str:
    return names.physical("backup")


def vault_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:backup:{region}:{account_id}:backup-vault:{name}"


@dataclass(frozen=True)
class BackupVaultArgs:
    names: Names
    kms_key_arn: pulumi.Input[str]
    copy_to_vault_arn: str | None
    retention_days: int
    copy_retention_days: int
    vault_lock: bool
    restore_testing: bool
    resources: Mapping[str, Sequence[pulumi.Input[str]]]
    """AWS Backup resource type (`Aurora`, `DynamoDB`) -> ARNs the plan backs up and tests."""
    partition: str


class BackupVault(pulumi.ComponentResource):
    """Vault, plan, selection and restore testing of one region; see the module docstring."""

    vault: aws.backup.Vault
    plan: aws.backup.Plan

    def __init__(
        self, name: str, args: BackupVaultArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:data:BackupVault", name, None, opts)
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        self.vault = aws.backup.Vault(
            f"{name}-vault",
            name=vault_name(names),
            kms_key_arn=args.kms_key_arn,
            force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        if args.vault_lock:
            aws.backup.VaultLockConfiguration(
                f"{name}-lock",
                backup_vault_name=self.vault.name,
                min_retention_days=min(7, args.retention_days, args.copy_retention_days),
                max_retention_days=max(args.retention_days, args.copy_retention_days),
                changeable_for_days=VAULT_LOCK_GRACE_DAYS,
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
        role = service_role(f"{name}-role", names, "backup.amazonaws.com", "backup", child)
        grants = [
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{i}",
                role=role.name,
                policy_arn=f"arn:{args.partition}:iam::aws:policy/{policy}",
                opts=child,
            )
            for i, policy in enumerate(MANAGED_POLICIES)
        ]
        rule: aws.backup.PlanRuleArgsDict = {
            "rule_name": "daily",
            "target_vault_name": self.vault.name,
            "schedule": "cron(0 3 * * ? *)",
            "start_window": 60,
            "completion_window": 480,
            "lifecycle": {"delete_after": args.retention_days},
            "recovery_point_tags": {"meridian.io/plan": "daily"},
        }
        if args.copy_to_vault_arn:
            rule["copy_actions"] = [
                {
                    "destination_vault_arn": args.copy_to_vault_arn,
                    "lifecycle": {"delete_after": args.copy_retention_days},
                }
            ]
        self.plan = aws.backup.Plan(
            f"{name}-plan", name=names.physical("backup", "daily"), rules=[rule], opts=child
        )
        aws.backup.Selection(
            f"{name}-selection",
            name=names.physical("backup", "data-stores"),
            plan_id=self.plan.id,
            iam_role_arn=role.arn,
            resources=[arn for arns in args.resources.values() for arn in arns],
            selection_tags=[{"type": "STRINGEQUALS", "key": BACKUP_TAG[0], "value": BACKUP_TAG[1]}],
            # AWS Backup checks the role it is given when the selection is created
            opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
        )
        if args.restore_testing:
            plan_name = names.physical("restore-tests").replace("-", "_")[:50]
            testing = aws.backup.RestoreTestingPlan(
                f"{name}-restore-tests",
                name=plan_name,
                schedule_expression="cron(0 6 ? * SUN *)",
                start_window_hours=24,
                recovery_point_selection={
                    "algorithm": "LATEST_WITHIN_WINDOW",
                    "include_vaults": [self.vault.arn],
                    "recovery_point_types": ["SNAPSHOT"],
                    "selection_window_days": 7,
                },
                opts=child,
            )
            for kind, arns in args.resources.items():
                if not arns:
                    continue
                aws.backup.RestoreTestingSelection(
                    f"{name}-restore-{kind.lower()}",
                    name=f"{kind.lower()}_latest",
                    restore_testing_plan_name=testing.name,
                    protected_resource_type=kind,
                    protected_resource_arns=list(arns),
                    iam_role_arn=role.arn,
                    validation_window_hours=4,
                    opts=child,
                )
        self.register_outputs({"vaultArn": self.vault.arn, "planId": self.plan.id})
