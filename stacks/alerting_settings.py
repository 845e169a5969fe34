"""Settings of alert delivery: who receives the P1..P4 alerts of every region (SNS subscriptions
of the AlertTopics), with per-environment defaults and the checks beyond their types.

Key (regional: the manifest sets it for every region, a regional stack file may override it):

```yaml
meridian:alerting:
  pager:            # P1 and P2: the pager's SNS integration URL (PagerDuty, Opsgenie), HTTPS
    secure: v1:...  #   pulumi config set --secret --path 'meridian:alerting.pager' https://...
  ticket:           # P3: the ticket system's HTTPS webhook, a secret too
    secure: v1:...
  email: oncall@example.org   # P4: an email address (SNS protocol email)
```

An integration URL carries its integration key, so `pager` and `ticket` must be secrets: a plain
text value is refused before anything is planned. Left out, the severity has no receiver (the
plan report's "SLOs collected and routed" line shows it). This module must not import
`stacks/settings.py`.
"""

from __future__ import annotations

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


class AlertingSettings(MeridianModel):
    pager: dict[str, str] | str | None = Field(
        default=None,
        description="P1/P2 receiver: the pager's HTTPS SNS integration URL, stored as a secret.",
    )
    ticket: dict[str, str] | str | None = Field(
        default=None,
        description="P3 receiver: the ticket system's HTTPS webhook URL, stored as a secret.",
    )
    email: str | None = Field(
        default=None, min_length=3, max_length=254, description="P4 receiver: an email address."
    )


ALERTING_DEFAULTS: dict[str, dict[str, Any]] = {"dev": {}, "staging": {}, "prod": {}}
"""No receiver by default: endpoints belong to the operator, never to the repository."""


def validate_alerting(settings: AlertingSettings, where: str) -> list[ConfigProblem]:
    """`pager` and `ticket` must be secrets; `email` must look like an address."""
    problems: list[ConfigProblem] = []
    for field in SECRET_ENDPOINTS:
        value = getattr(settings, field)
        if value is None or is_secure(value):
            continue
        key = f"{NAMESPACE}:{KEY}.{field}"
        problems.append(
            ConfigProblem(
                key,
                "<plain text>" if isinstance(value, str) else value,
                "an alert endpoint carries its integration key and must be stored encrypted",
                f"pulumi config set --secret --path '{key}' https://... in {where}",
            )
        )
    email = settings.email
    if email is not None and ("@" not in email or email.startswith("@") or " " in email):
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:{KEY}.email",
                email,
                "is not an email address",
                f"set it to the P4 receiver's address (name@domain) in {where}, or remove it",
            )
        )
    return problems


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
