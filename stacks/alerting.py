"""The alert receivers of a region, from `meridian:alerting` (stacks/alerting_settings.py): the
SNS subscriptions of the AlertTopics.

The settings model saw the stack file's shape. A receiver given as a Pulumi secret
(`{secure: ...}`) is read here as a secret Output (`pulumi.Config.require_secret_object`); one
given as `{secretsManager: <name|ARN>}` is read at plan time from AWS Secrets Manager through the
region's provider (`secretsmanager.getSecretVersion`, the AWSCURRENT version) and wrapped as a
secret Output. Either way the endpoint stays encrypted in the state and never appears in a plan.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.security.notifications import AlertSubscription
from stacks.alerting_settings import (
    EMAIL_SEVERITIES,
    KEY,
    SECRET_ENDPOINTS,
    AlertingSettings,
    secret_reference,
)
from stacks.config.source import is_secure


def secret_endpoint(secret_id: str, invoke: pulumi.InvokeOptions) -> pulumi.Output[str]:
    """The current value of the Secrets Manager secret `secret_id` (name or ARN), as a secret."""
    version = aws.secretsmanager.get_secret_version_output(secret_id=secret_id, opts=invoke)
    return pulumi.Output.secret(version.secret_string.apply(lambda s: s.strip()))


def alert_subscriptions(
    settings: AlertingSettings, invoke: pulumi.InvokeOptions
) -> tuple[AlertSubscription, ...]:
    """One subscription per (severity, receiver) the settings name; `invoke` names the region's
    provider, which reads the Secrets Manager secrets of this region."""
    receivers: list[AlertSubscription] = []
    clear: pulumi.Output[Any] | None = None
    for field, severities in SECRET_ENDPOINTS.items():
        value = getattr(settings, field)
        reference = secret_reference(value)
        if reference is not None:
            endpoint = secret_endpoint(reference, invoke)
        elif is_secure(value):
            if clear is None:
                clear = pulumi.Config("meridian").require_secret_object(KEY)
            endpoint = clear.apply(lambda v, f=field: str(v[f]))
        else:
            continue
        receivers += [AlertSubscription(s, "https", endpoint) for s in severities]
    email = settings.email
    reference = secret_reference(email)
    address = secret_endpoint(reference, invoke) if reference is not None else email
    if isinstance(address, (str, pulumi.Output)):
        receivers += [AlertSubscription(s, "email", address) for s in EMAIL_SEVERITIES]
    return tuple(receivers)
