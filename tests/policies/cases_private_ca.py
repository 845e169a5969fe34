"""Table cases for ``policies/private_ca.py`` (engine camelCase inputs, pulumi-aws 7)."""

from __future__ import annotations

from tests.policies.cases_common import PolicyCase

CERT = "aws:acmpca/certificate:Certificate"
CA_ARN = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/partner"
SERVER = "arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1"
ROOT = "arn:aws:acm-pca:::template/RootCACertificate/V1"


def _cert(template: str, unit: str, value: str) -> dict[str, object]:
    return {
        "certificateAuthorityArn": CA_ARN,
        "signingAlgorithm": "SHA384WITHECDSA",
        "templateArn": template,
        "validity": {"type": unit, "value": value},
    }


CASES: list[PolicyCase] = [
    PolicyCase("acmpca-certificate-validity", CERT, _cert(SERVER, "DAYS", "365"), False),
    PolicyCase(
        "acmpca-certificate-validity", CERT, _cert(ROOT, "YEARS", "10"), False, note="root-ca"
    ),
    PolicyCase(
        "acmpca-certificate-validity",
        CERT,
        _cert(SERVER, "YEARS", "2"),
        True,
        note="server-two-years",
    ),
    PolicyCase(
        "acmpca-certificate-validity",
        CERT,
        _cert(SERVER, "DAYS", "825"),
        True,
        note="server-825-days",
    ),
    PolicyCase(
        "acmpca-certificate-validity",
        CERT,
        _cert(ROOT, "YEARS", "30"),
        True,
        note="root-thirty-years",
    ),
    PolicyCase(
        "acmpca-certificate-validity",
        CERT,
        _cert(SERVER, "END_DATE", "20991231235959"),
        True,
        note="absolute-end-date",
    ),
]
