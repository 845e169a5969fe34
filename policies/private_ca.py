"""Private CA certificate policies: how long a certificate AWS Private CA issues may live.

An `acmpca.Certificate` lives its whole validity unless revoked, and a key that leaks stays
usable for that long wherever revocation is not checked (Envoy checks no OCSP). End-entity
certificates (server and client) are bounded to 398 days, the CA/Browser Forum's ceiling for
TLS server certificates; CA certificates (templates `RootCACertificate/*`,
`SubordinateCACertificate_*`) to ten years. The validity must be relative (DAYS, MONTHS or
YEARS): an END_DATE or ABSOLUTE date cannot be judged without knowing when it is issued.
The signing algorithm of these certificates is `acmpca-certificate-authority`'s
(policies/encryption_services.py).
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .compliance import CREDENTIAL_PROTECTION, KEY_MANAGEMENT
from .declare import resource_policy
from .support import dig

CONCERN = "encryption"
END_ENTITY_MAX: Final = {"DAYS": 398, "MONTHS": 13, "YEARS": 1}
CA_MAX: Final = {"DAYS": 3653, "MONTHS": 120, "YEARS": 10}
"""The most of each validity unit (ten years is 3653 days, leap days included)."""
CA_TEMPLATES: Final = ("template/RootCACertificate/", "template/SubordinateCACertificate_")


def _validity(args: ResourceValidationArgs, report: ReportViolation) -> None:
    template = str(dig(args.props, "templateArn") or "")
    is_ca = any(t in template for t in CA_TEMPLATES)
    limits = CA_MAX if is_ca else END_ENTITY_MAX
    kind = "CA" if is_ca else "end-entity"
    unit = str(dig(args.props, "validity", "type") or "")
    raw = dig(args.props, "validity", "value")
    try:
        value = float(str(raw))
    except ValueError:
        value = None
    if unit not in limits or value is None:
        problem = f"validity {unit or '?'} {raw!r} is not a relative period"
    elif value > limits[unit]:
        problem = f"validity {raw} {unit} is longer than {limits[unit]} {unit}"
    else:
        return
    report(
        f"acmpca.Certificate '{args.name}' ({kind}): {problem}. Fix: validity={{type: 'DAYS', "
        f"value: '{min(365, limits['DAYS'])}'}} or shorter (a {kind} certificate lives "
        f"{limits['DAYS']} days at most) and re-issue it before it expires.",
        None,
    )


acmpca_certificate_validity = resource_policy(
    "acmpca-certificate-validity",
    "Certificates AWS Private CA issues have a relative validity: 398 days at most for an "
    "end-entity (server or client) certificate, ten years for a CA certificate.",
    concern=CONCERN,
    service="acmpca",
    severity=Severity.MEDIUM,
    controls=KEY_MANAGEMENT | CREDENTIAL_PROTECTION,
    validators={"aws:acmpca/certificate:Certificate": _validity},
)

POLICIES: list[Policy] = [acmpca_certificate_validity]
