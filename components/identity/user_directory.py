"""UserDirectory: the environment's users and API clients, in one Amazon Cognito user pool.

- The pool: deletion protection on, `protect`ed; a strong password policy; MFA required with TOTP
  (SMS only when `sms_mfa` is set: Cognito then sends codes through SNS with a role it assumes,
  pinned by an external id); passkeys (WebAuthn) as a first sign-in factor next to the password,
  a single factor (the provider cannot set WebAuthn `FactorConfiguration`), so Cognito offers
  passkey sign-in only once MFA is not required or a passkey counts as MFA;
  threat protection (`user_pool_add_ons`) ENFORCED on the PLUS tier, unavailable on ESSENTIALS;
  users are created by sign-up with a verified e-mail, accounts recover by e-mail only.
- App clients, one per row: public clients (browser, mobile, desktop) use the authorization code
  grant with PKCE and have no secret; confidential clients use client credentials, get only
  their scopes and have no flow that signs a user in. Every client: access and ID token
  lifetimes and the refresh token's, token revocation on, refresh-token rotation on for clients
  that get refresh tokens, no user-existence errors.
- A resource server whose scopes are the API's (the tokens' `scope` claim is
  `<identifier>/<scope>`), the hosted sign-in domain (a Cognito prefix domain, or a custom domain
  with an ACM certificate in us-east-1) serving managed login with Cognito's default style for
  each public client, and optional SAML or OIDC providers for enterprise SSO.

Cognito signs tokens with RS256 only; the issuer is `https://cognito-idp.<region>.amazonaws.com/
<pool id>` and the signing keys are at `<issuer>/.well-known/jwks.json` (Cognito developer guide,
"Verifying a JSON web token").

Example::

    directory = UserDirectory("identity", UserDirectoryArgs(
        names=Names("prod"), scope=scope, tier="PLUS",
        clients=(AppClient("web", public=True, scopes=("users.read",),
                           callback_urls=("https://app.example.com/callback",)),),
        scopes=(ApiScope("users.read", "Read user profiles"),),
        resource_server="meridian-api", domain_prefix="meridian-prod",
        tokens=TokenLifetimes(access_minutes=15, id_minutes=15, refresh_minutes=7 * 24 * 60),
        passkey_relying_party="meridian-prod.auth.us-east-1.amazoncognito.com"))
    directory.issuer_url, directory.jwks_uri
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.common.iam import policy_document, service_trust_policy, statement
from components.common.naming import Names
from components.common.scope import AwsScope

ACCESS_MINUTES_MIN, ACCESS_MINUTES_MAX = 5, 24 * 60
"""Cognito's bounds for access and ID tokens: five minutes to one day (Cognito API reference,
TokenValidityUnitsType)."""
REFRESH_MINUTES_MIN, REFRESH_MINUTES_MAX = 60, 10 * 365 * 24 * 60
"""Cognito's bounds for refresh tokens: 60 minutes to 10 years (same page)."""
TIERS = ("ESSENTIALS", "PLUS")
"""Feature plans with managed login, passkeys and refresh-token rotation (LITE has neither)."""
PUBLIC_FLOWS = ("ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH")
"""Sign-in flows of public clients: choice-based sign-in (passkeys, password) and SRP; no
plain-password flow. Refresh goes through rotation, so ALLOW_REFRESH_TOKEN_AUTH is absent."""
MACHINE_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH",)
"""The only flow of confidential (client-credentials) clients: it signs nobody in (it needs a
refresh token this client was issued, and client credentials issue none). Never an empty list:
Cognito gives a client with no ExplicitAuthFlows ALLOW_USER_SRP_AUTH, ALLOW_CUSTOM_AUTH and
ALLOW_REFRESH_TOKEN_AUTH (API reference, CreateUserPoolClient), and an empty list may reach it as
no value at all (the provider bridge may send an empty set as null)."""
ROTATION_GRACE_SECONDS = 10
"""How long the previous refresh token still works after rotation (a retried request)."""


@dataclass(frozen=True)
class TokenLifetimes:
    access_minutes: int
    id_minutes: int
    refresh_minutes: int

    def __post_init__(self) -> None:
        for value in (self.access_minutes, self.id_minutes):
            if not ACCESS_MINUTES_MIN <= value <= ACCESS_MINUTES_MAX:
                raise ValueError(f"access/ID token lifetime {value} min is outside 5-1440")
        if not REFRESH_MINUTES_MIN <= self.refresh_minutes <= REFRESH_MINUTES_MAX:
            raise ValueError(f"refresh token lifetime {self.refresh_minutes} min out of bounds")


@dataclass(frozen=True)
class ApiScope:
    name: str
    description: str


@dataclass(frozen=True)
class AppClient:
    """One app client: `public` clients get code + PKCE and no secret, others client
    credentials with a secret."""

    id: str
    public: bool
    scopes: tuple[str, ...]
    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class FederatedProvider:
    """An enterprise SSO provider: `kind` SAML (details: MetadataURL) or OIDC (details:
    client_id, oidc_issuer, authorize_scopes; the client secret as a secret Output)."""

    name: str
    kind: str
    details: Mapping[str, str]
    client_secret: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("SAML", "OIDC"):
            raise ValueError(f"identity provider {self.name}: kind must be SAML or OIDC")
        if self.kind == "OIDC" and self.client_secret is None:
            raise ValueError(f"OIDC provider {self.name} needs its client secret")


@dataclass(frozen=True)
class UserDirectoryArgs:
    names: Names
    scope: AwsScope
    tier: str
    clients: tuple[AppClient, ...]
    scopes: tuple[ApiScope, ...]
    resource_server: str
    tokens: TokenLifetimes
    passkey_relying_party: str
    domain_prefix: str | None = None
    custom_domain: str | None = None
    custom_domain_certificate_arn: str | None = None
    """An ACM certificate in us-east-1 (Cognito's custom domains are served by CloudFront)."""
    sms_mfa: bool = False
    federated: tuple[FederatedProvider, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict[str, str])

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ValueError(f"tier {self.tier!r}: one of {TIERS}")
        if (self.domain_prefix is None) == (self.custom_domain is None):
            raise ValueError("give exactly one of domain_prefix and custom_domain")
        if self.custom_domain and not self.custom_domain_certificate_arn:
            raise ValueError("a custom domain needs its ACM certificate (us-east-1)")
        known = {s.name for s in self.scopes}
        for client in self.clients:
            unknown = set(client.scopes) - known
            if unknown:
                raise ValueError(f"client {client.id}: unknown scopes {sorted(unknown)}")
            if client.public and not client.callback_urls:
                raise ValueError(f"public client {client.id} needs callback URLs")


class UserDirectory(pulumi.ComponentResource):
    """See the module docstring."""

    issuer_url: pulumi.Output[str]
    jwks_uri: pulumi.Output[str]

    def __init__(
        self, name: str, args: UserDirectoryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:identity:UserDirectory", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.pool = self._pool(name, args, child)
        self.issuer_url = self.pool.endpoint.apply(lambda e: f"https://{e}")
        self.jwks_uri = self.issuer_url.apply(lambda i: f"{i}/.well-known/jwks.json")
        self.resource_server = aws.cognito.ResourceServer(
            f"{name}-api",
            identifier=args.resource_server,
            name=args.resource_server,
            user_pool_id=self.pool.id,
            scopes=[
                {"scope_name": s.name, "scope_description": s.description} for s in args.scopes
            ],
            opts=child,
        )
        self.domain = aws.cognito.UserPoolDomain(
            f"{name}-domain",
            domain=args.custom_domain or args.domain_prefix or "",
            certificate_arn=args.custom_domain_certificate_arn,
            managed_login_version=2,
            user_pool_id=self.pool.id,
            opts=child,
        )
        self.providers = [
            aws.cognito.IdentityProvider(
                f"{name}-idp-{p.name.lower()}",
                user_pool_id=self.pool.id,
                provider_name=p.name,
                provider_type=p.kind,
                provider_details=_provider_details(p),
                attribute_mapping={"email": "email"},
                opts=child,
            )
            for p in args.federated
        ]
        sso = ["COGNITO", *(p.name for p in args.federated)]
        self.clients = {
            c.id: self._client(
                name,
                args,
                c,
                sso,
                child.merge(
                    pulumi.ResourceOptions(depends_on=[self.resource_server, *self.providers])
                ),
            )
            for c in args.clients
        }
        self.brandings = self._brandings(name, args, child)
        self.register_outputs(
            {
                "issuer_url": self.issuer_url,
                "jwks_uri": self.jwks_uri,
                "pool_id": self.pool.id,
                "client_ids": {k: c.id for k, c in self.clients.items()},
            }
        )

    def _brandings(
        self, name: str, args: UserDirectoryArgs, child: pulumi.ResourceOptions
    ) -> dict[str, aws.cognito.ManagedLoginBranding]:
        """A managed-login style (Cognito's defaults) for each public client: with managed login
        (the domain's version 2) Cognito serves the sign-in pages only to an app client that has
        a style; without one the client's users get "Login pages unavailable"
        (CreateManagedLoginBranding; each style belongs to one client)."""
        return {
            c.id: aws.cognito.ManagedLoginBranding(
                f"{name}-branding-{c.id}",
                user_pool_id=self.pool.id,
                client_id=self.clients[c.id].id,
                use_cognito_provided_values=True,
                opts=child,
            )
            for c in args.clients
            if c.public
        }

    def _pool(
        self, name: str, args: UserDirectoryArgs, child: pulumi.ResourceOptions
    ) -> aws.cognito.UserPool:
        sms = self._sms_role(name, args, child) if args.sms_mfa else None
        return aws.cognito.UserPool(
            f"{name}-pool",
            name=args.names.physical("users"),
            user_pool_tier=args.tier,
            deletion_protection="ACTIVE",
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            username_configuration={"case_sensitive": False},
            admin_create_user_config={"allow_admin_create_user_only": False},
            account_recovery_setting={
                "recovery_mechanisms": [{"name": "verified_email", "priority": 1}]
            },
            password_policy={
                "minimum_length": 14,
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": True,
                "temporary_password_validity_days": 3,
            },
            mfa_configuration="ON",
            software_token_mfa_configuration={"enabled": True},
            sms_configuration=(
                {
                    "external_id": args.names.physical("users-sms"),
                    "sns_caller_arn": sms.arn,
                    "sns_region": args.scope.region,
                }
                if sms is not None
                else None
            ),
            sign_in_policy={"allowed_first_auth_factors": ["PASSWORD", "WEB_AUTHN"]},
            web_authn_configuration={
                "relying_party_id": args.passkey_relying_party,
                "user_verification": "required",
            },
            user_pool_add_ons=(
                {"advanced_security_mode": "ENFORCED"} if args.tier == "PLUS" else None
            ),
            tags=dict(args.tags),
            opts=child.merge(pulumi.ResourceOptions(protect=True)),
        )

    @staticmethod
    def _sms_role(
        name: str, args: UserDirectoryArgs, child: pulumi.ResourceOptions
    ) -> aws.iam.Role:
        """The role Cognito assumes to send SMS codes: only this account's Cognito, only with the
        pool's external id; it may publish SMS (sns:Publish to a phone number has no ARN)."""
        external_id = args.names.physical("users-sms")
        return aws.iam.Role(
            f"{name}-sms",
            assume_role_policy=service_trust_policy(
                "cognito-idp.amazonaws.com",
                condition={
                    "StringEquals": {
                        "sts:ExternalId": external_id,
                        "aws:SourceAccount": args.scope.account_id,
                    }
                },
            ),
            inline_policies=[
                {
                    "name": "publish-sms",
                    "policy": policy_document([statement(["sns:Publish"], ["*"])]),
                }
            ],
            tags=dict(args.tags),
            opts=child,
        )

    def _client(
        self,
        name: str,
        args: UserDirectoryArgs,
        client: AppClient,
        sso: Sequence[str],
        opts: pulumi.ResourceOptions,
    ) -> aws.cognito.UserPoolClient:
        scopes = [f"{args.resource_server}/{s}" for s in client.scopes]
        tokens = args.tokens
        common = {
            "user_pool_id": self.pool.id,
            "name": client.id,
            "access_token_validity": tokens.access_minutes,
            "id_token_validity": tokens.id_minutes,
            "refresh_token_validity": tokens.refresh_minutes,
            "token_validity_units": {
                "access_token": "minutes",
                "id_token": "minutes",
                "refresh_token": "minutes",
            },
            "enable_token_revocation": True,
            "prevent_user_existence_errors": "ENABLED",
            "allowed_oauth_flows_user_pool_client": True,
        }
        if client.public:
            return aws.cognito.UserPoolClient(
                f"{name}-client-{client.id}",
                generate_secret=False,
                allowed_oauth_flows=["code"],
                allowed_oauth_scopes=["openid", "email", *scopes],
                callback_urls=list(client.callback_urls),
                logout_urls=list(client.logout_urls),
                supported_identity_providers=list(sso),
                explicit_auth_flows=list(PUBLIC_FLOWS),
                refresh_token_rotation={
                    "feature": "ENABLED",
                    "retry_grace_period_seconds": ROTATION_GRACE_SECONDS,
                },
                opts=opts,
                **common,
            )
        return aws.cognito.UserPoolClient(
            f"{name}-client-{client.id}",
            generate_secret=True,
            allowed_oauth_flows=["client_credentials"],
            allowed_oauth_scopes=scopes,
            supported_identity_providers=["COGNITO"],
            explicit_auth_flows=list(MACHINE_FLOWS),
            opts=opts.merge(pulumi.ResourceOptions(additional_secret_outputs=["clientSecret"])),
            **common,
        )


def _provider_details(provider: FederatedProvider) -> pulumi.Input[Mapping[str, str]]:
    details = dict(provider.details)
    if provider.client_secret is None:
        return details
    return pulumi.Output.secret(
        pulumi.Output.from_input(provider.client_secret).apply(
            lambda secret: {**details, "client_secret": secret}
        )
    )
