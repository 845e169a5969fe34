"""What a stack is, from its name alone: `<env>-global`, `<env>-<aws-region>`, `<env>-edge`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from stacks.config.errors import ConfigError, ConfigProblem

ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
"""Environments Meridian knows; their order fixes each one's address space (see cidr_plan)."""

_REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


class Role(StrEnum):
    GLOBAL = "global"
    REGIONAL = "regional"
    EDGE = "edge"


@dataclass(frozen=True)
class StackIdentity:
    environment: str
    role: Role
    region: str | None = None

    @property
    def name(self) -> str:
        return stack_name(self.environment, self.role, self.region)


def stack_name(environment: str, role: Role, region: str | None = None) -> str:
    if role is Role.REGIONAL:
        if region is None:
            raise ValueError("a regional stack needs a region")
        return f"{environment}-{region}"
    return f"{environment}-{role.value}"


def parse_stack_name(name: str) -> StackIdentity:
    """Split a stack name into environment, role and region, or explain which names are valid."""
    short = name.rsplit("/", 1)[-1]  # accept org/project/stack and org/stack forms
    env, _, rest = short.partition("-")
    if env not in ENVIRONMENTS or not rest:
        raise ConfigError(
            short,
            [
                ConfigProblem(
                    key="stack name",
                    value=short,
                    problem="is not a Meridian stack name",
                    fix=(
                        "name stacks <env>-global, <env>-<aws-region> or <env>-edge with <env> "
                        "one of "
                        f"{', '.join(ENVIRONMENTS)} (e.g. `pulumi stack init prod-us-east-1`)"
                    ),
                )
            ],
        )
    if rest == "global":
        return StackIdentity(env, Role.GLOBAL)
    if rest == "edge":
        return StackIdentity(env, Role.EDGE)
    if not _REGION_RE.match(rest):
        raise ConfigError(
            short,
            [
                ConfigProblem(
                    key="stack name",
                    value=short,
                    problem=f"'{rest}' is neither 'global', 'edge' nor an AWS region code",
                    fix="use a region code such as us-east-1 (`pulumi stack init prod-us-east-1`)",
                )
            ],
        )
    return StackIdentity(env, Role.REGIONAL, rest)
