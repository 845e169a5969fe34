"""Identity: the environment's user directory (Cognito, global stack) and the token checks at
each region's edge Gateway."""

from components.identity.gateway_auth import (
    CLAIM_HEADERS,
    GatewayAuthentication,
    GatewayAuthenticationArgs,
    ProtectedRoute,
)
from components.identity.user_directory import (
    ApiScope,
    AppClient,
    FederatedProvider,
    TokenLifetimes,
    UserDirectory,
    UserDirectoryArgs,
)

__all__ = [
    "CLAIM_HEADERS",
    "ApiScope",
    "AppClient",
    "FederatedProvider",
    "GatewayAuthentication",
    "GatewayAuthenticationArgs",
    "ProtectedRoute",
    "TokenLifetimes",
    "UserDirectory",
    "UserDirectoryArgs",
]
