"""Settings of alert delivery: who receives the P1..P4 alerts of every region (SNS subscriptions
of the AlertTopics), with per-environment defaults and the checks beyond their types.

Key (regional: the manifest sets it for every region, a regional stack file may override it).
Each receiver is given one of two ways: a Pulumi secret in the stack file, or the name (or ARN)
of an AWS Secrets Manager secret, in the stack's region, whose value is the endpoint:

```yaml
meridian:alerting:
  pager:            # P1 and P2: the pager's SNS integration URL (PagerDuty, Opsgenie), HTTPS
    secure: v1:...  #   pulumi config set --secret --path 'meridian:alerting.pager' https://...
  ticket:           # P3: the ticket system's HTTPS webhook
    secretsManager: meridian/prod/alerting/ticket   # a secret whose value is the URL
  email: oncall@example.org   # P4: an email address (SNS protocol email), or {secretsManager: ...}
```

An integration URL carries its integration key, so `pager` and `ticket` must never be plain text:
a plain text value is refused before anything is planned. A Secrets Manager secret is read at plan
time through the region's provider (stacks/alerting.py) and its value stays a Pulumi secret; the
secret must exist in every region of the environment (one secret replicated to each region, so
the name resolves everywhere). Left out, the severity has no receiver (the plan report's "SLOs
collected and routed" line shows it). This module must not import `stacks/settings.py`.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from stacks.config.errors import ConfigProblem
from stacks.config.source import is_secure
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel

KEY = "alerting"
SECRET_ENDPOINTS: dict[str, tuple[str, ...]] = {"pager": ("P1", "P2"), "ticket": ("P3",)}
"""Secret HTTPS endpoints and the severities they receive."""
EMAIL_SEVERITIES: tuple[str, ...] = ("P4",)
SECRETS_MANAGER = "secretsManager"
"""The key of a receiver given as an AWS Secrets Manager secret: `{secretsManager: <name|ARN>}`."""

SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
"""A Secrets Manager secret name: 1..512 of ASCII letters, digits and `/_+=.@-` (CreateSecret)."""
SECRET_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:"
    r"[A-Za-z0-9/_+=.@-]{1,512}$"
)
"""A secret's ARN: `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>`."""


class AlertingSettings(MeridianModel):
    pager: dict[str, str] | str | None = Field(
        default=None,
        description="P1/P2 receiver: the pager's HTTPS SNS integration URL, as a Pulumi secret "
        "or a Secrets Manager secret.",
    )
    ticket: dict[str, str] | str | None = Field(
        default=None,
        description="P3 receiver: the ticket system's HTTPS webhook URL, as a Pulumi secret or a "
        "Secrets Manager secret.",
    )
    email: dict[str, str] | str | None = Field(
        default=None,
        description="P4 receiver: an email address, or a Secrets Manager secret holding one.",
    )


ALERTING_DEFAULTS: dict[str, dict[str, Any]] = {"dev": {}, "staging": {}, "prod": {}}
"""No receiver by default: endpoints belong to the operator, never to the repository."""


def secret_reference(value: object) -> str | None:
    """The Secrets Manager secret a receiver names (`{secretsManager: x}`), else None."""
    if isinstance(value, dict) and set(value) == {SECRETS_MANAGER}:  # pyright: ignore[reportUnknownArgumentType]
        return str(value[SECRETS_MANAGER])  # pyright: ignore[reportUnknownArgumentType]
    return None


def _reference_problem(field: str, reference: str, where: str) -> ConfigProblem | None:
    if reference.startswith("arn:"):
        if SECRET_ARN.match(reference):
            return None
        reason = (
            "is not a Secrets Manager secret ARN "
            "(arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<suffix>)"
        )
    elif SECRET_NAME.match(reference):
        return None
    else:
        reason = (
            "is not a Secrets Manager secret name (1 to 512 of ASCII letters, digits and /_+=.@-)"
        )
    key = f"{NAMESPACE}:{KEY}.{field}.{SECRETS_MANAGER}"
    return ConfigProblem(
        key,
        reference,
        reason,
        f"name the secret that holds the {field} endpoint, e.g. meridian/<env>/alerting/{field}, "
        f"in {where}",
    )


def _endpoint_problem(field: str, value: object, where: str) -> ConfigProblem | None:
    """`pager`/`ticket`: a Pulumi secret or a Secrets Manager reference, never plain text."""
    if value is None or is_secure(value):
        return None
    reference = secret_reference(value)
    if reference is not None:
        return _reference_problem(field, reference, where)
    key = f"{NAMESPACE}:{KEY}.{field}"
    return ConfigProblem(
        key,
        "<plain text>" if isinstance(value, str) else value,
        "an alert endpoint carries its integration key and must be stored encrypted",
        f"pulumi config set --secret --path '{key}' https://..., or set "
        f"'{key}.{SECRETS_MANAGER}' to the name of a Secrets Manager secret holding the URL, "
        f"in {where}",
    )


def _email_problem(email: object, where: str) -> ConfigProblem | None:
    reference = secret_reference(email)
    if reference is not None:
        return _reference_problem("email", reference, where)
    if email is None or (
        isinstance(email, str)
        and "@" in email
        and not email.startswith("@")
        and " " not in email
        and 3 <= len(email) <= 254
    ):
        return None
    return ConfigProblem(
        f"{NAMESPACE}:{KEY}.email",
        email,
        "is not an email address",
        f"set it to the P4 receiver's address (name@domain), or to "
        f"{{{SECRETS_MANAGER}: <secret name>}}, in {where}, or remove it",
    )


def validate_alerting(settings: AlertingSettings, where: str) -> list[ConfigProblem]:
    """`pager` and `ticket` must be secrets (Pulumi or Secrets Manager); `email` must look like an
    address or name a secret; a secret's name or ARN must be well formed."""
    problems = [_endpoint_problem(f, getattr(settings, f), where) for f in SECRET_ENDPOINTS]
    problems.append(_email_problem(settings.email, where))
    return [p for p in problems if p is not None]


SPEC = SettingSpec(
    key=KEY,
    field="alerting",
    model=AlertingSettings,
    defaults=ALERTING_DEFAULTS,
    scope="regional",
    validate=lambda c: validate_alerting(c.value, c.file),
    check="validate_alerting",
)
"""`meridian:alerting`, regional (stacks/config/registry.py)."""
