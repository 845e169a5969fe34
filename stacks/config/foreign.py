"""Keys outside `meridian:` that contradict Meridian: a region other than the stack's, secrets in
plain text.

A regional stack's region is its name (`prod-eu-west-1`); every AWS provider Meridian creates is
explicit and set to it, so an `aws:region` naming another region in that stack's file is at best
dead and at worst misleading (a tool or a person reads it). Credentials do not belong in a stack
file at all (a profile or the environment carries them), and any other secret-looking value must
be stored encrypted (`pulumi config set --secret`). The value of a plain-text secret is never
repeated in the message. A key of another namespace named like a Meridian setting
(`aws:regions`) is a slip for the `meridian:` one, which the program would otherwise silently
not read: it is refused with "did you mean meridian:regions".
"""

from __future__ import annotations

import re
from typing import Any

from stacks.config.errors import ConfigProblem
from stacks.config.source import is_secure
from stacks.config.types import NAMESPACE
from stacks.identity import Role, StackIdentity

AWS_CREDENTIALS = frozenset({"aws:accessKey", "aws:secretKey", "aws:token"})
"""Keys the AWS provider reads credentials from: the deployer's profile or environment is the
place for them."""

_SECRET_WORDS = re.compile(
    r"(password|passwd|passphrase|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|"
    r"credential|client[-_]?secret|auth[-_]?key|signing[-_]?key|session[-_]?key)",
    re.IGNORECASE,
)


def looks_secret(name: str) -> bool:
    """Whether a config key's name says its value is a secret (`cloudflare:apiToken`, ...)."""
    return bool(_SECRET_WORDS.search(name))


def _plain_secrets(key: str, value: Any, path: str = "") -> list[str]:
    """Paths (`myapp:db.password`) of plain-text values under secret-looking names."""
    if is_secure(value):
        return []
    if isinstance(value, dict):
        found: list[str] = []
        for name, inner in value.items():  # pyright: ignore[reportUnknownVariableType]
            found += _plain_secrets(str(name), inner, f"{path}.{name}" if path else f"{key}.{name}")  # pyright: ignore[reportUnknownArgumentType]
        return found
    if not isinstance(value, str) or not value:
        return []  # a number or a flag under such a name (`tokenTtl: 300`) is no secret
    name = key.rsplit(":", 1)[-1]  # the key's own name, not its namespace
    return [path or key] if looks_secret(name) else []


def foreign_key_problems(
    identity: StackIdentity, config: dict[str, Any], meridian_keys: frozenset[str] = frozenset()
) -> list[ConfigProblem]:
    """Problems with the non-`meridian:` keys of one stack's own config; `meridian_keys` are the
    names of Meridian's settings (`regions`, ...), which no other namespace's key may carry."""
    stack = identity.name
    own_file = f"Pulumi.{stack}.yaml"
    problems: list[ConfigProblem] = []
    by_name = {k.lower(): k for k in meridian_keys}
    for key, value in config.items():
        if key.startswith(f"{NAMESPACE}:"):
            continue
        namespace, _, name = key.partition(":")
        meant = by_name.get(name.lower())
        if meant is not None:
            # no provider Meridian uses reads a key of such a name (pulumi_aws/config/vars.py:
            # region, profile, ...; no "regions"): the setting would be silently ignored
            problems.append(
                ConfigProblem(
                    key,
                    "<secret>" if is_secure(value) else value,
                    f"is not a setting of {namespace} and Meridian does not read it "
                    f"(did you mean {NAMESPACE}:{meant}?)",
                    f"rename it to {NAMESPACE}:{meant} (pulumi config rm {key} --stack {stack}, "
                    f"then pulumi config set {NAMESPACE}:{meant} ... --stack {stack})",
                    file=own_file,
                )
            )
            continue
        if key == "aws:region" and identity.role is Role.REGIONAL and value != identity.region:
            problems.append(
                ConfigProblem(
                    key,
                    "<secret>" if is_secure(value) else value,
                    f"contradicts the stack's region {identity.region}: stack {stack} deploys "
                    f"only to {identity.region}, through an explicit provider",
                    f"remove it from {own_file} (pulumi config rm aws:region --stack {stack})",
                    file=own_file,
                )
            )
            continue
        if key in AWS_CREDENTIALS and not is_secure(value):
            problems.append(
                ConfigProblem(
                    key,
                    "<plain text, not shown>",
                    "is an AWS credential in plain text in a stack file",
                    f"remove it (pulumi config rm {key} --stack {stack}) and give the deployer "
                    "credentials through an AWS profile (export AWS_PROFILE=<profile>) or the "
                    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN environment "
                    f"variables; if it must be config, store it encrypted: pulumi config set "
                    f"--secret {key} <value> --stack {stack}",
                    file=own_file,
                )
            )
            continue
        for path in _plain_secrets(key, value):
            problems.append(
                ConfigProblem(
                    path,
                    "<plain text, not shown>",
                    "looks like a secret but is stored in plain text",
                    "store it encrypted: pulumi config set --secret "
                    + ("--path " if path != key else "")
                    + f"{path} <value> --stack {stack} (then rotate it: it is in the file's "
                    "history)",
                    file=own_file,
                )
            )
    return problems
