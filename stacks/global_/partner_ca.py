"""The environment's one partner CA, in the primary region beside the user directory: partner
client certificates and every region's partner server certificate come from it, so a partner's
certificate and its trust anchor hold in whichever region the edge steers the partner hostname
to. The CA keeps only its own key (in AWS's HSMs) and the certificates it issues, no customer
data, so the residency table (stacks/data/residency.json) sets it no constraint."""

from __future__ import annotations

from components.partner import PartnerCa, PartnerCaArgs
from stacks.global_.context import GlobalContext


def build(ctx: GlobalContext) -> PartnerCa:
    return PartnerCa(
        "partner-ca",
        PartnerCaArgs(
            names=ctx.names,
            scope=ctx.scope,
            key_algorithm=ctx.settings.manifest.partner_api.client_ca_key_algorithm,
        ),
        opts=ctx.opts,
    )
