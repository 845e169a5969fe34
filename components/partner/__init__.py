"""The partner API's way in: the environment's one private CA
(components/partner/partner_ca.py), each region's mutual-TLS Gateway with a server certificate
that CA issued (components/partner/partner_access.py), and client-credentials tokens on the
partner hostname (components/partner/partner_tokens.py)."""

from components.partner.partner_access import PartnerAccess, PartnerAccessArgs
from components.partner.partner_ca import PartnerCa, PartnerCaArgs
from components.partner.partner_tokens import PartnerRoute, PartnerTokens, PartnerTokensArgs

__all__ = [
    "PartnerAccess",
    "PartnerAccessArgs",
    "PartnerCa",
    "PartnerCaArgs",
    "PartnerRoute",
    "PartnerTokens",
    "PartnerTokensArgs",
]
