"""Settings of the EKS clusters: API endpoint exposure, administrators, control-plane log retention
and pod networking, with per-environment defaults and the checks beyond their types.

Key (regional: the manifest sets it for every region, a regional stack file may override it):

```yaml
meridian:kubernetes:
  endpointPublicAccessCidrs: []     # empty: the API endpoint is private only (the default)
  adminRoleArns:                    # cluster admins besides the deployer, through access entries
    - arn:aws:iam::123456789012:role/PlatformAdmin
  controlPlaneLogRetentionDays: 365 # a CloudWatch Logs retention period
  warmPrefixTarget: 1               # spare /28 pod prefixes the VPC CNI keeps per node
```

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from pydantic import Field

from components.kubernetes.cluster import LOG_RETENTION_DAYS
from stacks.config.errors import ConfigProblem
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel

KEY = "kubernetes"
ROLE_ARN_PATTERN = r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$"
OPEN_TO_ALL_REFUSED_IN: frozenset[str] = frozenset({"prod"})
"""Environments where a public endpoint open to the whole internet (0.0.0.0/0) is refused."""


class KubernetesSettings(MeridianModel):
    endpoint_public_access_cidrs: list[str] = Field(
        alias="endpointPublicAccessCidrs",
        description="CIDRs that may reach the public API endpoint; empty keeps it private only.",
    )
    admin_role_arns: list[str] = Field(
        alias="adminRoleArns",
        description="IAM roles made cluster admins through access entries (besides the deployer).",
    )
    control_plane_log_retention_days: int = Field(
        alias="controlPlaneLogRetentionDays",
        description="Retention of the control-plane log group (a CloudWatch Logs period).",
    )
    warm_prefix_target: int = Field(
        alias="warmPrefixTarget",
        ge=1,
        le=16,
        description="Spare /28 pod prefixes the VPC CNI keeps attached per node.",
    )


KUBERNETES_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "endpointPublicAccessCidrs": [],
        "adminRoleArns": [],
        "controlPlaneLogRetentionDays": 30,
        "warmPrefixTarget": 1,
    },
    "staging": {
        "endpointPublicAccessCidrs": [],
        "adminRoleArns": [],
        "controlPlaneLogRetentionDays": 90,
        "warmPrefixTarget": 1,
    },
    # prod: a year of audit logs online (PCI DSS 10.5.1 keeps audit trails a year).
    "prod": {
        "endpointPublicAccessCidrs": [],
        "adminRoleArns": [],
        "controlPlaneLogRetentionDays": 365,
        "warmPrefixTarget": 1,
    },
}
"""Per environment, merged into `settings.ENVIRONMENT_DEFAULTS[env]["kubernetes"]`."""


def validate_kubernetes(
    settings: KubernetesSettings, environment: str, where: str
) -> list[ConfigProblem]:
    """What the types cannot say: networks, the open-to-all refusal, retention periods, ARNs.

    `where` is the stack file the values come from (for the fix)."""
    problems: list[ConfigProblem] = []
    base = f"{NAMESPACE}:{KEY}"
    for i, text in enumerate(settings.endpoint_public_access_cidrs):
        key = f"{base}.endpointPublicAccessCidrs[{i}]"
        try:
            net = ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            loose = _loose_network(text)
            hint = f" (the network is {loose})" if loose else ""
            problems.append(
                ConfigProblem(
                    key,
                    text,
                    f"is not an IPv4 network: {exc}{hint}",
                    f"write the network address with its prefix, e.g. {loose or '203.0.113.0/24'}"
                    f", in {where}",
                )
            )
            continue
        if net.prefixlen == 0 and environment in OPEN_TO_ALL_REFUSED_IN:
            problems.append(
                ConfigProblem(
                    key,
                    text,
                    f"opens the {environment} Kubernetes API endpoint to the whole internet",
                    f"list only the networks that administer the cluster in {where}, or none to "
                    "keep the endpoint private (reach it through the VPC)",
                )
            )
        elif not net.is_global and net.prefixlen != 0:
            problems.append(
                ConfigProblem(
                    key,
                    text,
                    "is not a public network; the public endpoint only sees public addresses",
                    f"remove it from {where}: private networks reach the private endpoint",
                )
            )
    retention = settings.control_plane_log_retention_days
    if retention not in LOG_RETENTION_DAYS:
        nearest = min(LOG_RETENTION_DAYS, key=lambda d: (abs(d - retention), d))
        problems.append(
            ConfigProblem(
                f"{base}.controlPlaneLogRetentionDays",
                retention,
                "is not a retention period CloudWatch Logs accepts",
                f"use one of {', '.join(map(str, sorted(LOG_RETENTION_DAYS)))} (nearest: "
                f"{nearest}) in {where}",
            )
        )
    for i, arn in enumerate(settings.admin_role_arns):
        if not re.match(ROLE_ARN_PATTERN, arn):
            problems.append(
                ConfigProblem(
                    f"{base}.adminRoleArns[{i}]",
                    arn,
                    "is not an IAM role ARN",
                    f"use arn:aws:iam::<account>:role/<name> in {where}",
                )
            )
    return problems


def _loose_network(text: str) -> str | None:
    try:
        return str(ipaddress.IPv4Network(text, strict=False))
    except ValueError:
        return None


SPEC = SettingSpec(
    key=KEY,
    field="kubernetes",
    model=KubernetesSettings,
    defaults=KUBERNETES_DEFAULTS,
    scope="regional",
    validate=lambda c: validate_kubernetes(c.value, c.env, c.file),
    check="validate_kubernetes",
)
"""`meridian:kubernetes`, regional (stacks/config/registry.py)."""
