"""The partner API's way in: a private client CA and a mutual-TLS Gateway
(components/partner/partner_access.py), and client-credentials tokens on the partner hostname
(components/partner/partner_tokens.py)."""

from components.partner.partner_access import PartnerAccess, PartnerAccessArgs
from components.partner.partner_tokens import PartnerRoute, PartnerTokens, PartnerTokensArgs

__all__ = [
    "PartnerAccess",
    "PartnerAccessArgs",
    "PartnerRoute",
    "PartnerTokens",
    "PartnerTokensArgs",
]
