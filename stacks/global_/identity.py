"""The environment's user directory, once, in the primary region: the Cognito user pool whose
tokens every region's edge Gateway accepts (components/identity/user_directory.py), its app
clients from stacks/data/identity_clients.json and its scopes from the API table."""

from __future__ import annotations

import pulumi

from components.identity import (
    ApiScope,
    AppClient,
    FederatedProvider,
    TokenLifetimes,
    UserDirectory,
    UserDirectoryArgs,
)
from stacks.config.types import NAMESPACE
from stacks.global_.context import GlobalContext
from stacks.identity_settings import (
    KEY,
    ClientSettings,
    FederationSettings,
    api_scopes,
    clients_document,
)


def _federated(index: int, idp: FederationSettings) -> FederatedProvider:
    """A provider of the settings; an OIDC client secret is read from the stack's config as a
    secret Output (the settings check saw it stored encrypted), never from the settings model."""
    if idp.kind == "SAML":
        return FederatedProvider(idp.name, "SAML", {"MetadataURL": idp.metadata_url or ""})
    secret = (
        pulumi.Config(NAMESPACE)
        .require_secret_object(KEY)
        .apply(lambda value: str(value["federation"][index]["clientSecret"]))
    )
    return FederatedProvider(
        idp.name,
        "OIDC",
        {
            "client_id": idp.client_id or "",
            "oidc_issuer": idp.issuer or "",
            "authorize_scopes": "openid email",
            "attributes_request_method": "GET",
        },
        client_secret=secret,
    )


def build(ctx: GlobalContext) -> UserDirectory:
    settings = ctx.settings.manifest.identity
    table = clients_document()
    clients = []
    for row in table["clients"]:
        own = settings.clients.get(row["id"], ClientSettings())
        clients.append(
            AppClient(
                row["id"],
                public=row["kind"] == "public",
                scopes=tuple(row["scopes"]),
                callback_urls=tuple(own.callback_urls),
                logout_urls=tuple(own.logout_urls),
            )
        )
    domain = settings.custom_domain or (
        f"{settings.domain_prefix}.auth.{ctx.primary}.amazoncognito.com"
    )
    return UserDirectory(
        "identity",
        UserDirectoryArgs(
            names=ctx.names,
            scope=ctx.scope,
            tier=settings.tier,
            clients=tuple(clients),
            scopes=tuple(ApiScope(s, f"API scope {s}") for s in api_scopes()),
            resource_server=table["resourceServer"],
            tokens=TokenLifetimes(
                settings.access_token_minutes,
                settings.id_token_minutes,
                settings.refresh_token_minutes,
            ),
            passkey_relying_party=domain,
            domain_prefix=settings.domain_prefix if not settings.custom_domain else None,
            custom_domain=settings.custom_domain,
            custom_domain_certificate_arn=settings.custom_domain_certificate_arn,
            sms_mfa=settings.sms_mfa,
            federated=tuple(_federated(n, i) for n, i in enumerate(settings.federation)),
            tags=ctx.settings.tags(),
        ),
        opts=ctx.opts,
    )
