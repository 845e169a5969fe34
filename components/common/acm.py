"""ACM helpers shared by the components that issue DNS-validated certificates."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws


def dns_validation_field(
    certificate: aws.acm.Certificate, hostname: str, attribute: str
) -> pulumi.Output[str]:
    """One field (`resource_record_name`, `resource_record_type`, `resource_record_value`) of
    the DNS validation option ACM returns for `hostname`, found by name rather than position:
    ACM does not promise the options in the order the names were requested."""

    def pick(options: Sequence[aws.acm.outputs.CertificateDomainValidationOption]) -> str:
        for option in options:
            if option.domain_name == hostname:
                return str(getattr(option, attribute))
        raise ValueError(f"ACM returned no DNS validation option for {hostname}")

    return certificate.domain_validation_options.apply(pick)
