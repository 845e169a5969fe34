"""Compliance frameworks the pack evidences, and the named control sets policies cite.

Every policy names, beside its declaration (``policies/declare.py``), the controls its passing
verdict is evidence for, in four frameworks of the design:

- PCI DSS v4.0 requirement numbers (the defined-approach requirements, e.g. ``3.5.1``);
  checked against the requirement pages of https://withpci.com/requirements/ (PCI DSS v4.0.1).
- ISO/IEC 27001:2022 Annex A controls (``A.5.x`` organizational, ``A.8.x`` technological).
- SOC 2: the AICPA 2017 Trust Services Criteria (revised points of focus, 2022): common criteria
  ``CCn.n``, availability ``A1.n``, confidentiality ``C1.n``, processing integrity ``PI1.n``.
- GDPR Article 32(1) points (a) encryption, (b) confidentiality, integrity, availability and
  resilience, (c) timely restore.

``CONTROLS`` is the closed vocabulary (a test refuses a control id not listed here), so a typo
or an invented requirement number cannot reach the matrix in policies/README.md. Policies cite
the named sets below (combined with ``|``) rather than spelling ids, so that one policy about
encryption at rest evidences the same controls as every other. This module imports nothing from
Pulumi: the plan report reads it cheaply.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

PCI_DSS: Final = "PCI-DSS v4.0"
ISO_27001: Final = "ISO/IEC 27001:2022"
SOC2: Final = "SOC 2 TSC"
GDPR: Final = "GDPR art. 32"
FRAMEWORKS: Final = (PCI_DSS, ISO_27001, SOC2, GDPR)

# Every control id a policy may cite, with its title (abridged from the framework's text).
CONTROLS: Final[dict[str, dict[str, str]]] = {
    PCI_DSS: {
        "1.2.1": "NSC configuration standards are defined, implemented and maintained",
        "1.3.1": "Inbound traffic to the CDE is restricted",
        "1.3.2": "Outbound traffic from the CDE is restricted",
        "1.4.1": "NSCs are implemented between trusted and untrusted networks",
        "1.4.4": "Components storing cardholder data are not directly reachable from untrusted "
        "networks",
        "2.2.1": "Configuration standards are developed, implemented and maintained",
        "2.2.6": "System security parameters are configured to prevent misuse",
        "2.2.7": "Non-console administrative access is encrypted with strong cryptography",
        "3.2.1": "Account data storage is kept to a minimum (retention and disposal)",
        "3.5.1": "PAN is rendered unreadable anywhere it is stored",
        "3.6.1": "Procedures protect the cryptographic keys that protect stored account data",
        "3.7.4": "Keys are changed at the end of their cryptoperiod",
        "4.2.1": "Strong cryptography protects data in transit over open, public networks",
        "6.3.2": "An inventory of bespoke, custom and third-party software components is kept",
        "6.3.3": "System components are protected from known vulnerabilities by installing "
        "applicable security patches",
        "6.4.2": "An automated technical solution detects and prevents web-based attacks",
        "6.5.1": "Changes to production components follow established procedures",
        "7.2.1": "An access control model is defined",
        "7.2.2": "Access is assigned by job function with least privilege",
        "7.2.5": "Application and system accounts get least privilege",
        "8.3.1": "All access to system components is authenticated",
        "8.3.2": "Strong cryptography protects authentication factors in transit and at rest",
        "8.6.3": "Passwords of application and system accounts are protected (changed "
        "periodically)",
        "10.2.1": "Audit logs are enabled and active for all system components",
        "10.3.2": "Audit log files are protected against modification",
        "10.3.4": "Change-detection mechanisms protect audit logs",
        "10.4.1.1": "Automated mechanisms perform audit log reviews",
        "10.5.1": "Audit log history is retained (at least 12 months)",
        "11.5.1": "Intrusion-detection or -prevention techniques detect or prevent intrusions",
        "12.5.1": "An inventory of in-scope system components is maintained",
    },
    ISO_27001: {
        "A.5.9": "Inventory of information and other associated assets",
        "A.5.12": "Classification of information",
        "A.5.13": "Labelling of information",
        "A.5.14": "Information transfer",
        "A.5.15": "Access control",
        "A.5.17": "Authentication information",
        "A.5.18": "Access rights",
        "A.5.21": "Managing information security in the ICT supply chain",
        "A.5.28": "Collection of evidence",
        "A.5.30": "ICT readiness for business continuity",
        "A.5.33": "Protection of records",
        "A.8.2": "Privileged access rights",
        "A.8.3": "Information access restriction",
        "A.8.5": "Secure authentication",
        "A.8.6": "Capacity management",
        "A.8.8": "Management of technical vulnerabilities",
        "A.8.9": "Configuration management",
        "A.8.10": "Information deletion",
        "A.8.13": "Information backup",
        "A.8.14": "Redundancy of information processing facilities",
        "A.8.15": "Logging",
        "A.8.16": "Monitoring activities",
        "A.8.19": "Installation of software on operational systems",
        "A.8.20": "Networks security",
        "A.8.22": "Segregation of networks",
        "A.8.24": "Use of cryptography",
        "A.8.26": "Application security requirements",
        "A.8.32": "Change management",
    },
    SOC2: {
        "CC6.1": "Logical access security software, infrastructure and architectures",
        "CC6.3": "Access is authorized, modified or removed by role (least privilege)",
        "CC6.6": "Logical access measures against threats from outside the system boundaries",
        "CC6.7": "Transmission, movement and removal of information is restricted and protected",
        "CC6.8": "Unauthorized or malicious software is prevented or detected",
        "CC7.1": "Detection and monitoring of configuration changes and vulnerabilities",
        "CC7.2": "System components are monitored for anomalies indicating malicious acts",
        "CC8.1": "Changes to infrastructure and software are authorized and controlled",
        "A1.1": "Processing capacity is maintained and monitored",
        "A1.2": "Environmental protections, backup and recovery infrastructure",
        "C1.1": "Confidential information is identified and protected",
        "C1.2": "Confidential information is disposed of",
        "PI1.3": "Processing is complete, valid, accurate and timely",
    },
    GDPR: {
        "32(1)(a)": "Pseudonymisation and encryption of personal data",
        "32(1)(b)": "Ongoing confidentiality, integrity, availability and resilience",
        "32(1)(c)": "Timely restore of availability and access after an incident",
    },
}


@dataclass(frozen=True)
class Controls:
    """Control ids a policy evidences, per framework; combine sets with ``|``."""

    pci_dss: tuple[str, ...] = ()
    iso27001: tuple[str, ...] = ()
    soc2: tuple[str, ...] = ()
    gdpr: tuple[str, ...] = ()

    def __or__(self, other: Controls) -> Controls:
        def union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(dict.fromkeys((*a, *b)))

        return Controls(
            union(self.pci_dss, other.pci_dss),
            union(self.iso27001, other.iso27001),
            union(self.soc2, other.soc2),
            union(self.gdpr, other.gdpr),
        )

    def by_framework(self) -> dict[str, tuple[str, ...]]:
        return {
            PCI_DSS: self.pci_dss,
            ISO_27001: self.iso27001,
            SOC2: self.soc2,
            GDPR: self.gdpr,
        }

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """``(framework, control id)`` pairs."""
        for framework, ids in self.by_framework().items():
            for control in ids:
                yield framework, control

    def unknown(self) -> list[str]:
        """Control ids that are not in :data:`CONTROLS` (must be empty)."""
        return [f"{fw} {c}" for fw, c in self if c not in CONTROLS[fw]]


# --------------------------------------------------------------------------------------------
# Named control sets: what a kind of guardrail evidences. A policy cites one or more of them.
# --------------------------------------------------------------------------------------------

ENCRYPTION_AT_REST: Final = Controls(("3.5.1",), ("A.8.24",), ("CC6.1",), ("32(1)(a)",))
ENCRYPTION_IN_TRANSIT: Final = Controls(("4.2.1",), ("A.8.24", "A.5.14"), ("CC6.7",), ("32(1)(a)",))
# Internal service-to-service TLS (the mesh): not "open, public networks", so no PCI 4.2.1.
MUTUAL_TLS: Final = Controls((), ("A.8.24", "A.8.20"), ("CC6.1", "CC6.7"), ("32(1)(a)",))
KEY_MANAGEMENT: Final = Controls(("3.6.1", "3.7.4"), ("A.8.24",), ("CC6.1",), ("32(1)(a)",))
NETWORK_BOUNDARY: Final = Controls(
    ("1.3.1", "1.4.1"), ("A.8.20", "A.8.22"), ("CC6.6",), ("32(1)(b)",)
)
NO_PUBLIC_DATA: Final = Controls(("1.4.4",), ("A.8.3", "A.8.20"), ("CC6.1", "CC6.6"), ("32(1)(b)",))
SEGMENTATION: Final = Controls(
    ("1.2.1", "1.3.1", "1.3.2"), ("A.8.22", "A.8.20"), ("CC6.1", "CC6.6"), ("32(1)(b)",)
)
EGRESS_CONTROL: Final = Controls(("1.3.2",), ("A.8.20",), ("CC6.6",), ("32(1)(b)",))
LEAST_PRIVILEGE: Final = Controls(
    ("7.2.1", "7.2.2"), ("A.5.15", "A.8.2"), ("CC6.1", "CC6.3"), ("32(1)(b)",)
)
WORKLOAD_IDENTITY: Final = Controls(
    ("7.2.5",), ("A.5.15", "A.5.18"), ("CC6.1", "CC6.3"), ("32(1)(b)",)
)
AUTHENTICATION: Final = Controls(("8.3.1",), ("A.8.5",), ("CC6.1",), ("32(1)(b)",))
CREDENTIAL_PROTECTION: Final = Controls(("8.3.2", "8.6.3"), ("A.5.17",), ("CC6.1",), ("32(1)(b)",))
ADMIN_ACCESS: Final = Controls(("2.2.7", "8.3.1"), ("A.8.2", "A.8.5"), ("CC6.1",), ("32(1)(b)",))
HARDENED_CONFIG: Final = Controls(("2.2.1", "2.2.6"), ("A.8.9",), ("CC6.1",), ("32(1)(b)",))
CAPACITY: Final = Controls((), ("A.8.6",), ("A1.1",), ("32(1)(b)",))
ASSET_INVENTORY: Final = Controls(("12.5.1",), ("A.5.9",), ("CC6.1",), ())
DATA_CLASSIFICATION: Final = Controls(("12.5.1",), ("A.5.12", "A.5.13"), ("C1.1",), ())
CHANGE_MANAGEMENT: Final = Controls(("6.5.1",), ("A.8.32", "A.8.9"), ("CC8.1",), ())
SOFTWARE_INVENTORY: Final = Controls(("6.3.2",), ("A.5.21", "A.8.19"), ("CC8.1",), ())
TRUSTED_SOFTWARE: Final = Controls(("6.3.2",), ("A.5.21", "A.8.19"), ("CC6.8",), ("32(1)(b)",))
BACKUP: Final = Controls((), ("A.8.13",), ("A1.2",), ("32(1)(c)",))
RESILIENCE: Final = Controls((), ("A.8.14", "A.5.30"), ("A1.2",), ("32(1)(b)", "32(1)(c)"))
DELETION_PROTECTION: Final = Controls((), ("A.5.33",), ("A1.2",), ("32(1)(b)",))
LOGGING: Final = Controls(("10.2.1",), ("A.8.15",), ("CC7.2",), ())
LOG_RETENTION: Final = Controls(("10.5.1",), ("A.8.15",), ("CC7.2",), ())
AUDIT_LOG_INTEGRITY: Final = Controls(
    ("10.3.2", "10.3.4"), ("A.8.15", "A.5.28"), ("CC7.2",), ("32(1)(b)",)
)
THREAT_DETECTION: Final = Controls(("10.4.1.1", "11.5.1"), ("A.8.16",), ("CC7.2",), ())
CONFIG_MONITORING: Final = Controls(("2.2.1",), ("A.8.9", "A.8.16"), ("CC7.1",), ())
OBSERVABILITY: Final = Controls((), ("A.8.16",), ("CC7.2",), ())
PATCHING: Final = Controls(("6.3.3",), ("A.8.8",), ("CC7.1",), ("32(1)(b)",))
WEB_APPLICATION_FIREWALL: Final = Controls(
    ("6.4.2",), ("A.8.20", "A.8.26"), ("CC6.6",), ("32(1)(b)",)
)
DATA_RETENTION: Final = Controls(("3.2.1",), ("A.8.10",), ("C1.2",), ())
PROCESSING_INTEGRITY: Final = Controls((), ("A.8.32",), ("PI1.3",), ("32(1)(b)",))
