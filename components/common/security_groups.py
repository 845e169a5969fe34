"""Security-group rules between two groups: a client's group opened towards a server's group on
one TCP port, and the server's group admitting the client's.

Both halves are needed: a group made by the provider holds only the rules written for it (the
provider removes the allow-all egress AWS gives a new group), so a client whose group has no
egress rule to the server cannot connect even when the server admits it, and the reverse. Writing
the two rules as one call keeps them on the same port, naming each other's group, and never one
without the other.

Example::

    peer_group_rules(
        client_group_id=connector_sg.id,
        server_group_id=args.kafka_security_group_id,
        port=9098,
        egress_name=f"{name}-sg-to-kafka",
        ingress_name=f"{name}-admitted-by-kafka",
        egress_description="MSK brokers, IAM over TLS",
        ingress_description="CDC connector (IAM over TLS)",
        opts=pulumi.ResourceOptions(parent=self),
    )

The caller names both rules (their logical names are part of their URNs, so a resource built with
this helper keeps the URN it had when its rules were written out) and passes the options: the
parent component, and for a regional resource its region's provider.
"""

from __future__ import annotations

from typing import NamedTuple

import pulumi
import pulumi_aws as aws


class PeerGroupRules(NamedTuple):
    """The two rules of a client/server pair; iterable, so `depends_on=[*rules]` takes both."""

    egress: aws.vpc.SecurityGroupEgressRule
    ingress: aws.vpc.SecurityGroupIngressRule


def peer_group_rules(
    *,
    client_group_id: pulumi.Input[str],
    server_group_id: pulumi.Input[str],
    port: int,
    egress_name: str,
    ingress_name: str,
    egress_description: str,
    ingress_description: str,
    opts: pulumi.ResourceOptions,
) -> PeerGroupRules:
    """Egress from `client_group_id` to `server_group_id` on TCP `port` (named `egress_name`) and
    ingress to `server_group_id` from `client_group_id` on the same port (named `ingress_name`),
    both referencing the other group rather than an address range."""
    egress = aws.vpc.SecurityGroupEgressRule(
        egress_name,
        security_group_id=client_group_id,
        referenced_security_group_id=server_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=egress_description,
        opts=opts,
    )
    ingress = aws.vpc.SecurityGroupIngressRule(
        ingress_name,
        security_group_id=server_group_id,
        referenced_security_group_id=client_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=ingress_description,
        opts=opts,
    )
    return PeerGroupRules(egress, ingress)
