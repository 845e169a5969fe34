"""The one way to declare a policy of the pack: ``resource_policy`` and ``stack_policy``.

Each declaration carries the policy's metadata beside it, in the style of Pulumi's
compliance-ready policies (pulumi/compliance-policies registers each policy with ``vendors``,
``services``, ``severity``, ``topics`` and ``frameworks``)::

    kms_key_rotation = resource_policy(
        "kms-key-rotation",
        "Symmetric customer-managed KMS keys have automatic rotation enabled.",
        concern=CONCERN,                      # the module's concern ("encryption")
        service="kms",                        # or a tuple: ("rds", "dynamodb")
        severity=Severity.HIGH,
        controls=KEY_MANAGEMENT,              # policies/compliance.py sets, combined with |
        validators={KMS_KEY: _rotation},      # or validate=fn for a type-agnostic check
    )

    backup_vault_locked = stack_policy(
        "backup-vault-locked",
        "...",
        concern=CONCERN, service="backup", severity=Severity.HIGH,
        enforcement=EnforcementLevel.ADVISORY,
        controls=BACKUP | DELETION_PROTECTION,
        types=(BACKUP_VAULT, VAULT_LOCK),     # the types the stack check reads
        validate=_vault_locked,
    )

``enforcement`` is the policy's default level (mandatory unless said otherwise); the pack
configs in policies/config/ override it per environment. The metadata is read back with
:func:`policy_meta`; the README's table and compliance matrix are generated from it, and
tests/policies/test_policy_metadata.py refuses a policy declared any other way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .compliance import Controls

__all__ = [
    "PolicyMeta",
    "ResourceValidateFn",
    "StackValidateFn",
    "policy_meta",
    "resource_policy",
    "stack_policy",
]

ResourceValidateFn = Callable[[ResourceValidationArgs, ReportViolation], None]
StackValidateFn = Callable[[StackValidationArgs, ReportViolation], None]

CONCERNS: Final = (
    "tagging",
    "zero-trust",
    "encryption",
    "data-safety",
    "supply-chain",
    "operations",
    "audit",
    "streaming",
    "lakehouse",
    "edge",
)


@dataclass(frozen=True)
class PolicyMeta:
    """What a policy is about and what its passing verdict evidences."""

    concern: str
    services: tuple[str, ...]
    severity: Severity
    enforcement: EnforcementLevel
    controls: Controls
    # Type tokens the policy checks: a resource policy's dispatch table, a stack policy's
    # declared inputs; empty for a resource policy that reacts to any type (required-tags).
    types: tuple[str, ...] = ()

    @property
    def service(self) -> str:
        """The primary service: where the policy is grouped in its module and the README."""
        return self.services[0]


class MeridianResourcePolicy(ResourceValidationPolicy):
    """A resource validation policy with its :class:`PolicyMeta`."""

    meta: PolicyMeta


class MeridianStackPolicy(StackValidationPolicy):
    """A stack validation policy with its :class:`PolicyMeta`."""

    meta: PolicyMeta


def _meta(
    concern: str,
    service: str | Sequence[str],
    severity: Severity,
    enforcement: EnforcementLevel,
    controls: Controls,
    types: Sequence[str],
) -> PolicyMeta:
    services = (service,) if isinstance(service, str) else tuple(service)
    return PolicyMeta(concern, services, severity, enforcement, controls, tuple(types))


def _tags(meta: PolicyMeta) -> list[str]:
    return [meta.concern, *meta.services]


def resource_policy(
    name: str,
    description: str,
    *,
    concern: str,
    service: str | Sequence[str],
    severity: Severity,
    controls: Controls,
    validate: ResourceValidateFn | None = None,
    validators: Mapping[str, ResourceValidateFn] | None = None,
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
    config_schema: PolicyConfigSchema | None = None,
    remediation: str | None = None,
) -> ResourceValidationPolicy:
    """A resource policy. Give ``validators`` (type token -> check; the check runs only for
    its type) or ``validate`` (one check called for every resource; it filters itself)."""
    if (validate is None) == (validators is None):
        raise ValueError(f"{name}: give exactly one of validate= or validators=")
    if validators is not None:
        table = dict(validators)

        def dispatch(args: ResourceValidationArgs, report: ReportViolation) -> None:
            fn = table.get(args.resource_type)
            if fn is not None:
                fn(args, report)

        check: ResourceValidateFn = dispatch
        types: Sequence[str] = tuple(table)
    else:
        assert validate is not None
        check, types = validate, ()
    meta = _meta(concern, service, severity, enforcement, controls, types)
    policy = MeridianResourcePolicy(
        name=name,
        description=description,
        validate=check,
        enforcement_level=enforcement,
        config_schema=config_schema,
        severity=severity,
        tags=_tags(meta),
        remediation_steps=remediation,
    )
    policy.meta = meta
    return policy


def stack_policy(
    name: str,
    description: str,
    *,
    concern: str,
    service: str | Sequence[str],
    severity: Severity,
    controls: Controls,
    types: Sequence[str],
    validate: StackValidateFn,
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
    config_schema: PolicyConfigSchema | None = None,
    remediation: str | None = None,
) -> StackValidationPolicy:
    """A stack policy: ``validate`` sees every resource of the stack; ``types`` names the
    resource types it checks (what the compliance matrix counts)."""
    meta = _meta(concern, service, severity, enforcement, controls, types)
    policy = MeridianStackPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        config_schema=config_schema,
        severity=severity,
        tags=_tags(meta),
        remediation_steps=remediation,
    )
    policy.meta = meta
    return policy


def policy_meta(policy: Policy) -> PolicyMeta:
    """The metadata of a policy declared with :func:`resource_policy` / :func:`stack_policy`."""
    meta = getattr(policy, "meta", None)
    if not isinstance(meta, PolicyMeta):
        raise TypeError(
            f"policy {policy.name!r} was not declared with policies.declare.resource_policy or "
            "stack_policy, so it has no service, severity, enforcement or controls"
        )
    return meta
