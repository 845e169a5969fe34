"""The alert receivers of a region, from `meridian:alerting` (stacks/alerting_settings.py): the
SNS subscriptions of the AlertTopics.

The settings model saw the stack file's shape (`{secure: ...}` for the endpoints); the clear
endpoint is read here as a secret Output (`pulumi.Config.require_secret_object`), so it stays
encrypted in the state and never appears in a plan.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.security.notifications import AlertSubscription
from stacks.alerting_settings import EMAIL_SEVERITIES, KEY, SECRET_ENDPOINTS, AlertingSettings


def alert_subscriptions(settings: AlertingSettings) -> tuple[AlertSubscription, ...]:
    """One subscription per (severity, receiver) the settings name."""
    receivers: list[AlertSubscription] = []
    configured = [f for f in SECRET_ENDPOINTS if getattr(settings, f) is not None]
    if configured:
        clear: pulumi.Output[Any] = pulumi.Config("meridian").require_secret_object(KEY)
        for field in configured:
            endpoint = clear.apply(lambda value, f=field: str(value[f]))
            receivers += [AlertSubscription(s, "https", endpoint) for s in SECRET_ENDPOINTS[field]]
    if settings.email is not None:
        receivers += [AlertSubscription(s, "email", settings.email) for s in EMAIL_SEVERITIES]
    return tuple(receivers)
