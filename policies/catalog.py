"""The catalog of Meridian policies: every policy module of the pack, in a stable order.

``all_policies()`` is what ``policies/__main__.py`` serves, what the offline evaluator
(``meridian_ops/plan/policy_eval.py``) runs and what ``meridian_ops/gen/gen_policy_docs.py``
documents.
A policy module exports ``POLICIES: list[pulumi_policy.Policy]``; add new modules to MODULES.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from . import (
    audit,
    data_safety_databases,
    data_safety_storage,
    edge_aws,
    edge_cloudflare,
    encryption_data,
    encryption_services,
    encryption_transit,
    lakehouse,
    operations,
    private_ca,
    streaming,
    supply_chain,
    tagging,
    zero_trust_compute,
    zero_trust_gateway_routes,
    zero_trust_identity,
    zero_trust_identity_users,
    zero_trust_mesh,
    zero_trust_namespaces,
    zero_trust_network,
)

PACK_NAME = "meridian-guardrails"


def _yaml_version() -> str:
    text = (Path(__file__).resolve().parent / "PulumiPolicy.yaml").read_text(encoding="utf-8")
    match = re.search(r"^version:\s*['\"]?([^'\"\s]+)", text, re.MULTILINE)
    if match is None:
        raise ValueError("policies/PulumiPolicy.yaml has no `version:`")
    return match.group(1)


# The pack's one version: PulumiPolicy.yaml's (what the engine reports as
# `meridian-guardrails@v<version>`). The served pack (policies/__main__.py) and the offline
# evaluator both hand it to the analyzer, which prints it in its "can't run policy ... during
# preview" notes (pulumi_policy.PolicyPack itself always passes "0.0.1").
PACK_VERSION = _yaml_version()

# Keyword arguments of the PolicyPack (shared with the offline evaluator so both build the
# analyzer identically). Policies set their own default level; the pack level applies only to a
# policy that does not.
PACK_OPTIONS: dict[str, Any] = {
    "enforcement_level": EnforcementLevel.ADVISORY,
    "description": "Meridian guardrails: tagging, zero trust, encryption, data safety, supply "
    "chain and operations for the Meridian AWS reference platform.",
    "display_name": "Meridian guardrails",
    "provider": "aws",
    "tags": ["aws", "kubernetes", "istio", "meridian"],
}

# (concern, module) in documentation order. A concern spans one or more modules, split by
# service so that no module grows past ~800 lines; policy names never depend on the module.
MODULES: tuple[tuple[str, ModuleType], ...] = (
    ("tagging", tagging),
    ("zero-trust", zero_trust_network),
    ("zero-trust", zero_trust_identity),
    ("zero-trust", zero_trust_identity_users),  # Cognito, tokens at the gateway
    ("zero-trust", zero_trust_gateway_routes),  # what a protected gateway routes is scoped
    ("zero-trust", zero_trust_compute),
    ("zero-trust", zero_trust_mesh),
    ("zero-trust", zero_trust_namespaces),
    ("encryption", encryption_data),
    ("encryption", encryption_services),
    ("encryption", encryption_transit),
    ("encryption", private_ca),  # lifetimes of the certificates AWS Private CA issues
    ("data-safety", data_safety_databases),
    ("data-safety", data_safety_storage),
    ("supply-chain", supply_chain),
    ("operations", operations),
    ("audit", audit),  # trail, GuardDuty, Security Hub, Config, Object Lock evidence
    ("streaming", streaming),  # MSK, replicators, schemas, fan-out queues
    ("lakehouse", lakehouse),  # lake buckets, replication, Athena, Lake Formation
    ("edge", edge_cloudflare),  # Cloudflare zones (HSTS, baseline settings, managed WAF)
    ("edge", edge_aws),  # CloudFront web ACL, WAFv2 rules, Route 53 health, ACM DNS
)


def policies_by_concern() -> list[tuple[str, list[Policy]]]:
    """``[(concern, policies)]`` for every policy module, in catalog order."""
    return [(concern, list(module.POLICIES)) for concern, module in MODULES]


def all_policies() -> list[Policy]:
    """Every policy of the pack. Raises ValueError on duplicate policy names."""
    result: list[Policy] = []
    seen: dict[str, str] = {}
    for concern, policies in policies_by_concern():
        for policy in policies:
            if policy.name in seen:
                raise ValueError(
                    f"policy name {policy.name!r} is defined twice ({seen[policy.name]} and "
                    f"{concern})"
                )
            seen[policy.name] = concern
            result.append(policy)
    return result


def concern_of(policy_name: str) -> str:
    """The concern (module) a policy belongs to."""
    for concern, policies in policies_by_concern():
        if any(p.name == policy_name for p in policies):
            return concern
    raise KeyError(policy_name)
