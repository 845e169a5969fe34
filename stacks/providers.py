"""Explicit AWS providers, one per region: every regional resource names its region's provider."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from stacks.settings import MeridianSettings


def aws_provider(region: str, settings: MeridianSettings) -> aws.Provider:
    account = settings.manifest.aws_account_id
    return aws.Provider(
        f"aws-{region}",
        region=region,
        allowed_account_ids=[account] if account else None,
        opts=pulumi.ResourceOptions(),
    )
