"""The partner API's way in: a private client CA and a mutual-TLS Gateway
(components/partner/partner_access.py)."""

from components.partner.partner_access import PartnerAccess, PartnerAccessArgs

__all__ = ["PartnerAccess", "PartnerAccessArgs"]
