"""What the layers of the global stack share: the settings, the primary region's explicit
provider and the account it deploys to."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.naming import Names
from components.common.scope import AwsScope
from stacks.providers import aws_provider
from stacks.settings import MeridianSettings


@dataclass(frozen=True)
class GlobalContext:
    """The global stack's context: its resources live in the primary region (`scope.region`)."""

    settings: MeridianSettings
    names: Names
    provider: aws.Provider
    opts: pulumi.ResourceOptions
    invoke: pulumi.InvokeOptions
    scope: AwsScope

    @property
    def env(self) -> str:
        return self.settings.environment

    @property
    def primary(self) -> str:
        return self.settings.primary_region


def global_context(settings: MeridianSettings) -> GlobalContext:
    primary = settings.primary_region
    provider = aws_provider(primary, settings)
    invoke = pulumi.InvokeOptions(provider=provider)
    caller = aws.get_caller_identity(opts=invoke)
    return GlobalContext(
        settings=settings,
        names=Names(settings.environment),
        provider=provider,
        opts=pulumi.ResourceOptions(provider=provider),
        invoke=invoke,
        scope=AwsScope(
            account_id=caller.account_id, region=primary, partition=caller.arn.split(":")[1]
        ),
    )
