"""Tenancy: the 12 domain services' namespaces and traffic policies (Tenancy)."""

from components.tenancy.tenancy import Tenancy, TenancyArgs

__all__ = ["Tenancy", "TenancyArgs"]
