"""Settings of the GraphQL router and the partner API, with per-environment defaults and the
checks beyond their types.

Keys (regional: the manifest sets them for every region, a regional stack file may override,
except `partnerApi.clientCaKeyAlgorithm`, environment-wide: the partner client CA is one per
environment, built by the global stack, so the gate refuses it in a regional stack file):

```yaml
meridian:graphql:
  graphRef: meridian@prod        # GraphOS graph ref: where the supergraph and license come from
  apiKeySecret: graphos-api-key  # the operator-made Secret in namespace graphql with the key
  introspection: false           # never true in prod (architecture section 04)
  maxDepth: 10                   # the design's depth limit; lower is allowed
  maxCost: 5000                  # demand control's budget per operation (static estimate)
  listSize: 10                   # the list size the estimate assumes
  minReplicas: 3
  maxReplicas: 20
meridian:partnerApi:
  hostname: partners.meridian.example.com  # where partners connect (mutual TLS)
  clientCaKeyAlgorithm: EC_secp384r1       # the partner client CA's key (AWS Private CA)
  allowedCidrs: [203.0.113.0/24]           # partner networks the ingress NLB admits on the
                                           # partner port (443; 8443 with the AWS edge)
```

`allowedCidrs` is empty in every environment: the partner path exists (DNS-only name, NLB
passthrough listener, Gateway, client CA) but no partner network is admitted until the operator
adds its ranges.

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field

from stacks.config.errors import ConfigProblem
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel
from stacks.edge_settings import EDGE_DEFAULTS

GRAPHQL_KEY = "graphql"
PARTNER_KEY = "partnerApi"
DESIGN_MAX_DEPTH = 10
"""architecture.txt section 04, GraphQL Federation, Security: 'Query depth limit (10)'."""


class GraphqlSettings(MeridianModel):
    graph_ref: str = Field(alias="graphRef", pattern=r"^[A-Za-z0-9_-]+@[A-Za-z0-9_-]+$")
    api_key_secret: str = Field(alias="apiKeySecret", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    introspection: bool
    max_depth: int = Field(alias="maxDepth", ge=1)
    max_cost: int = Field(alias="maxCost", ge=1, le=1_000_000)
    list_size: int = Field(alias="listSize", ge=1, le=1000)
    min_replicas: int = Field(alias="minReplicas", ge=1, le=100)
    max_replicas: int = Field(alias="maxReplicas", ge=1, le=500)


GRAPHQL_DEFAULTS: dict[str, dict[str, Any]] = {
    env: {
        "graphRef": f"meridian@{env}",
        "apiKeySecret": "graphos-api-key",
        "introspection": env != "prod",
        "maxDepth": DESIGN_MAX_DEPTH,
        "maxCost": 5000,
        "listSize": 10,
        "minReplicas": {"dev": 2, "staging": 2, "prod": 3}[env],
        "maxReplicas": {"dev": 4, "staging": 10, "prod": 30}[env],
    }
    for env in ("dev", "staging", "prod")
}


def validate_graphql(settings: GraphqlSettings, env: str, where: str) -> list[ConfigProblem]:
    """Introspection off in prod, the design's depth limit as a ceiling, replicas ordered."""
    key = f"{NAMESPACE}:{GRAPHQL_KEY}"
    problems: list[ConfigProblem] = []
    if env == "prod" and settings.introspection:
        problems.append(
            ConfigProblem(
                f"{key}.introspection",
                True,
                "exposes the whole schema in prod (architecture section 04: disable "
                "introspection in prod)",
                f"set introspection: false in {where}",
            )
        )
    if settings.max_depth > DESIGN_MAX_DEPTH:
        problems.append(
            ConfigProblem(
                f"{key}.maxDepth",
                settings.max_depth,
                f"is above the design's query depth limit ({DESIGN_MAX_DEPTH})",
                f"set maxDepth to {DESIGN_MAX_DEPTH} or less in {where}",
            )
        )
    if settings.min_replicas > settings.max_replicas:
        problems.append(
            ConfigProblem(
                f"{key}.minReplicas",
                settings.min_replicas,
                f"is above maxReplicas ({settings.max_replicas})",
                f"lower minReplicas or raise maxReplicas in {where}",
            )
        )
    return problems


class PartnerApiSettings(MeridianModel):
    hostname: str = Field(
        max_length=253, pattern=r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
    )
    client_ca_key_algorithm: Literal["RSA_2048", "RSA_4096", "EC_prime256v1", "EC_secp384r1"] = (
        Field(alias="clientCaKeyAlgorithm")
    )
    allowed_cidrs: list[str] = Field(alias="allowedCidrs", default_factory=list)
    """Partner networks (IPv4 or IPv6 CIDRs) the ingress NLB admits on the partner port (443
    with the Cloudflare edge, the TCP partner listener 8443 with the AWS edge); checked by
    `validate_partner`."""


PARTNER_DEFAULTS: dict[str, dict[str, Any]] = {
    env: {
        "hostname": f"partners.{EDGE_DEFAULTS[env]['zone']}",
        "clientCaKeyAlgorithm": "EC_secp384r1",
        "allowedCidrs": [],
    }
    for env in ("dev", "staging", "prod")
}
"""The partner host is a name in the environment's edge zone."""


def validate_partner(settings: PartnerApiSettings, env: str, where: str) -> list[ConfigProblem]:
    """The hostname lies in the environment's zone (the origin certificate and DNS live there);
    each allowed CIDR is a network address, none repeated, and prod admits no whole internet."""
    key = f"{NAMESPACE}:{PARTNER_KEY}"
    zone = EDGE_DEFAULTS[env]["zone"]
    problems: list[ConfigProblem] = []
    if not settings.hostname.endswith(f".{zone}"):
        problems.append(
            ConfigProblem(
                f"{key}.hostname",
                settings.hostname,
                f"is not a name in the environment's zone {zone}",
                f"use a name under {zone} (e.g. partners.{zone}) in {where}",
            )
        )
    seen: set[str] = set()
    for cidr in settings.allowed_cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError as error:
            problems.append(
                ConfigProblem(
                    f"{key}.allowedCidrs",
                    cidr,
                    f"is not a network in CIDR notation ({error})",
                    f"write the partner network as address/prefix (e.g. 203.0.113.0/24) in {where}",
                )
            )
            continue
        if str(network) in seen:
            problems.append(
                ConfigProblem(
                    f"{key}.allowedCidrs",
                    cidr,
                    "is listed twice",
                    f"list each partner network once in {where}",
                )
            )
        seen.add(str(network))
        if env == "prod" and network.prefixlen == 0:
            problems.append(
                ConfigProblem(
                    f"{key}.allowedCidrs",
                    cidr,
                    "admits the whole internet to the partner ingress in prod",
                    f"list the partners' own networks instead in {where}",
                )
            )
    return problems


GRAPHQL_SPEC = SettingSpec(
    key=GRAPHQL_KEY,
    field="graphql",
    model=GraphqlSettings,
    defaults=GRAPHQL_DEFAULTS,
    scope="regional",
    validate=lambda c: validate_graphql(c.value, c.env, c.file),
    check="validate_graphql",
)
"""`meridian:graphql`, regional (stacks/config/registry.py)."""

PARTNER_SPEC = SettingSpec(
    key=PARTNER_KEY,
    field="partner_api",
    model=PartnerApiSettings,
    defaults=PARTNER_DEFAULTS,
    scope="regional",
    validate=lambda c: validate_partner(c.value, c.env, c.file),
    check="validate_partner",
    environment_wide={
        "clientCaKeyAlgorithm": "the partner client CA is one per environment, built by the "
        "global stack"
    },
)
"""`meridian:partnerApi`, regional (stacks/config/registry.py)."""
