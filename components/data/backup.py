"""BackupVault: the region's AWS Backup vault, its daily plan with a cross-region copy to the DR
peer, and a weekly restore test.

- the vault is encrypted with the region's backups key, `protect`ed, and in prod locked (Vault
  Lock: after `changeable_for_days` nobody, root included, can shorten retention or delete it; its
  minimum and maximum retention admit the tiers below);
- the plan backs up daily the resources it is given (Aurora clusters, DynamoDB tables) and every
  EBS volume tagged `meridian.io/backup=daily` (Kubernetes volumes that need it: Cassandra on
  K8ssandra) in tiers (`BackupTiers`): the last `hot_days` are what restore tests pick from and
  what the vault lock keeps at least; recovery points stay in warm storage `warm_days`, move to
  cold storage, and are deleted after `cold_days`. AWS Backup keeps a recovery point 90 days in
  cold storage at least, so the move happens only when `cold_days - warm_days >= 90` (else they
  stay warm until deleted); resource types without cold storage ignore the move (AWS Backup API,
  Lifecycle);
- each recovery point is copied, with the same tiers, to the DR peer's vault. A peer that is a
  region of the environment has its own vault (derived name; no cross-stack read: copies start
  once it exists). A peer outside the environment (`copy_vault_owned`) gets a vault and a
  customer-managed key created here, in that region (pulumi-aws 7 per-resource `region`);
- a restore testing plan restores the latest recovery point of the Aurora cluster and the tables
  every week, so a backup is known to restore before it is needed.

Example::

    vault = BackupVault("backup", BackupVaultArgs(
        names=names, kms_key_arn=keys.arn(KeyClass.BACKUPS), copy_region="us-west-2",
        copy_vault_owned=False, tiers=BackupTiers(hot_days=7, warm_days=30, cold_days=365),
        vault_lock=True, restore_testing=True,
        resources={"Aurora": [db.cluster.arn], "DynamoDB": [table_arn]},
        scope=AwsScope(account_id=account, region="us-east-1"), key_deletion_window_days=30),
        opts=in_region)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.naming import Names, region_code
from components.common.scope import AwsScope
from components.data.access import service_role
from components.foundation.keyring import KeyClass, KeyRingArgs, customer_key, key_policy

BACKUP_TAG = ("meridian.io/backup", "daily")
"""Volumes (EBS) carrying this tag are backed up by the plan."""
MANAGED_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
)
VAULT_LOCK_GRACE_DAYS = 3
"""Governance mode for three days after creation, compliance (immutable) afterwards."""
COLD_MINIMUM_DAYS = 90
"""AWS Backup keeps a recovery point in cold storage 90 days at least: DeleteAfterDays must be at
least MoveToColdStorageAfterDays + 90 (AWS Backup API reference, Lifecycle)."""


@dataclass(frozen=True)
class BackupTiers:
    """Days a recovery point is hot (restore-tested, locked), warm, and kept in all."""

    hot_days: int
    warm_days: int
    cold_days: int

    @property
    def cold_storage_after(self) -> int | None:
        """When recovery points move to cold storage (None: they stay warm until deleted)."""
        if self.cold_days - self.warm_days >= COLD_MINIMUM_DAYS:
            return self.warm_days
        return None

    def lifecycle(self) -> aws.backup.PlanRuleLifecycleArgsDict:
        # pulumi_aws backup PlanRuleLifecycle: cold_storage_after, delete_after
        if self.cold_storage_after is None:
            return {"delete_after": self.cold_days}
        return {"cold_storage_after": self.cold_storage_after, "delete_after": self.cold_days}

    def copy_lifecycle(self) -> aws.backup.PlanRuleCopyActionLifecycleArgsDict:
        # pulumi_aws backup PlanRuleCopyActionLifecycle: the same two fields
        if self.cold_storage_after is None:
            return {"delete_after": self.cold_days}
        return {"cold_storage_after": self.cold_storage_after, "delete_after": self.cold_days}


def vault_name(names: Names) -> str:
    return names.physical("backup")


def vault_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:backup:{region}:{account_id}:backup-vault:{name}"


@dataclass(frozen=True)
class BackupVaultArgs:
    names: Names
    kms_key_arn: pulumi.Input[str]
    copy_region: str | None
    """The DR peer whose vault receives a copy of each recovery point (None: no copy)."""
    copy_vault_owned: bool
    """The peer is outside the environment: this stack creates its vault and key there."""
    tiers: BackupTiers
    vault_lock: bool
    restore_testing: bool
    resources: Mapping[str, Sequence[pulumi.Input[str]]]
    """AWS Backup resource type (`Aurora`, `DynamoDB`) -> ARNs the plan backs up and tests."""
    scope: AwsScope
    """The account, partition and region of the vault (the copy region is `copy_region`)."""
    key_deletion_window_days: int


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
        self.vault = self._locked_vault(name, "", vault_name(names), args.kms_key_arn, args)
        role = service_role(f"{name}-role", names, "backup.amazonaws.com", "backup", child)
        grants = [
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{i}",
                role=role.name,
                policy_arn=f"arn:{args.scope.partition}:iam::aws:policy/{policy}",
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
            "lifecycle": args.tiers.lifecycle(),
            "recovery_point_tags": {"meridian.io/plan": "daily"},
        }
        self.copy_vault: aws.backup.Vault | None = None
        if args.copy_region is not None:
            rule["copy_actions"] = [
                {
                    "destination_vault_arn": self._copy_vault_arn(name, args),
                    "lifecycle": args.tiers.copy_lifecycle(),
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
                    "selection_window_days": args.tiers.hot_days,
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

    def _copy_vault_arn(self, name: str, args: BackupVaultArgs) -> pulumi.Input[str]:
        """The peer's vault: derived when the peer's own stack makes it, else made here."""
        there = args.copy_region
        assert there is not None
        peer_names = Names(args.names.environment, there)
        if not args.copy_vault_owned:
            peer = args.scope.in_region(there)
            return vault_arn(peer.partition, peer.region, peer.account_id, vault_name(peer_names))
        ring = KeyRingArgs(
            names=args.names,
            scope=args.scope.in_region(there),
            deletion_window_days=args.key_deletion_window_days,
        )
        dst = region_code(there)
        key = customer_key(
            f"{name}-copy-key",
            description=f"Meridian {args.names.environment}: copies of the "
            f"{args.scope.region} backups in {there} (usable via backup)",
            policy=key_policy(ring, KeyClass.BACKUPS),
            alias=f"alias/meridian/{args.names.environment}/{args.scope.region}/backup-copy-{dst}",
            display_name=args.names.display("kms", "backup-copy", dst),
            deletion_window_days=args.key_deletion_window_days,
            protect=True,
            parent=self,
            region=there,
        )
        self.copy_vault = self._locked_vault(
            name, "-copy", args.names.physical("backup", "copy", dst), key.arn, args, region=there
        )
        return self.copy_vault.arn

    def _locked_vault(
        self,
        name: str,
        role: str,
        physical_name: str,
        key_arn: pulumi.Input[str],
        args: BackupVaultArgs,
        region: str | None = None,
    ) -> aws.backup.Vault:
        """A protected vault under `key_arn` (`<name><role>-vault`) and, with `vault_lock`, its
        lock (`<name><role>-lock`); `region` None is the provider's region."""
        stateful = pulumi.ResourceOptions(parent=self, protect=True)
        vault = aws.backup.Vault(
            f"{name}{role}-vault",
            name=physical_name,
            kms_key_arn=key_arn,
            force_destroy=False,
            region=region,
            opts=stateful,
        )
        if args.vault_lock:
            aws.backup.VaultLockConfiguration(
                f"{name}{role}-lock",
                backup_vault_name=vault.name,
                # the lock admits every tier: nothing deleted before the hot days, nothing kept
                # past the cold ones
                min_retention_days=args.tiers.hot_days,
                max_retention_days=args.tiers.cold_days,
                changeable_for_days=VAULT_LOCK_GRACE_DAYS,
                region=region,
                opts=stateful,
            )
        return vault
