"""AwsScope: the account, partition and region a component's resources live in, and the ARNs
built from them.

Example::

    scope = AwsScope(account_id="123456789012", partition="aws", region="us-east-1")
    scope.arn("sns", "meridian-prod-use1-p1")  # arn:aws:sns:us-east-1:123456789012:meridian-...
    scope.root                                 # arn:aws:iam::123456789012:root
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class AwsScope:
    account_id: str
    region: str
    partition: str = "aws"

    def __post_init__(self) -> None:
        if not (self.account_id and self.region and self.partition):
            raise ValueError(f"an AwsScope needs an account, a partition and a region: {self!r}")

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        """`arn:<partition>:<service>:<region>:<account>:<resource>`; `region=""` for services
        whose ARNs carry none (IAM, S3 buckets keep no account either: use `bucket_arn`)."""
        where = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"

    @property
    def root(self) -> str:
        """The account's root principal: the key-policy and trust-policy way to name the account."""
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def service_endpoint(self, service: str) -> str:
        """`<service>.<region>.amazonaws.com`, the form kms:ViaService and service principals of
        regional services take."""
        return f"{service}.{self.region}.amazonaws.com"

    def in_region(self, region: str) -> AwsScope:
        """The same account and partition in another region."""
        return replace(self, region=region)
