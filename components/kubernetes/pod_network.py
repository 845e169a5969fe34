"""Pod networking at scale: pods on a secondary CIDR from 100.64.0.0/10 through the VPC CNI's
custom networking, one ENIConfig per AZ, with prefix delegation.

Why this and not IPv6 pods. The seed runs 1000+ services; with the VPC CNI's default mode every pod
takes an address of the node's subnet, and the private /19 per AZ (8,187 usable addresses, shared
with nodes, endpoints and load balancers) runs out long before that. Two ways out:

- IPv6 pods: unlimited addresses, but the cluster's IP family is fixed at creation, every
  dependency (Aurora, MSK, ElastiCache, Keyspaces endpoints, the edge's origins, third-party
  APIs) must speak IPv6 or go through the node's IPv4 egress, and the platform's security groups,
  network ACLs and address plan are IPv4 throughout.
- A secondary IPv4 CIDR from the shared address space (RFC 6598): each region gets a /16 pod block
  (65,536 addresses, 4x the VPC's private tier) allocated from an IPAM pool, so no two regions
  overlap; the nodes keep their 10/8 addresses; everything else stays IPv4. Pod traffic leaving
  the VPC is translated to the node's address, so 100.64/10 never needs routing outside.

Meridian takes the second. Custom networking puts pod ENIs in the pod subnet of the node's AZ
(`ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone` picks the ENIConfig named after the zone);
prefix delegation hands out /28 prefixes instead of single addresses, so a node's pod density is
bounded by CPU and memory rather than by ENI slots, and one EC2 call allocates 16 addresses.
`WARM_PREFIX_TARGET=1` keeps one spare prefix per node. Network policies are enforced by the VPC
CNI's network policy agent (`enableNetworkPolicy`), so the tenants' NetworkPolicies take effect.

Example::

    config = vpc_cni_configuration()
    addon = aws.eks.Addon(..., addon_name="vpc-cni", configuration_values=json.dumps(config))
    capacity = pod_ip_capacity(network.pod_subnet_cidrs)   # 49,056 for three /18s
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

import pulumi

AZ_LABEL = "topology.kubernetes.io/zone"
ENI_CONFIG_API_VERSION = "crd.k8s.amazonaws.com/v1alpha1"
PREFIX_LENGTH = 28
"""Prefix delegation assigns /28 prefixes (16 addresses) to node ENIs."""


def pod_ip_capacity(subnet_cidrs: Sequence[str]) -> int:
    """How many pod addresses the pod subnets hold under prefix delegation.

    A prefix must be a free, aligned /28. AWS reserves the first four addresses and the last one of
    every subnet, which spoils the first and the last /28; every other /28 is usable.
    """
    total = 0
    for text in subnet_cidrs:
        net = ipaddress.IPv4Network(text)
        if net.prefixlen > PREFIX_LENGTH - 1:
            raise ValueError(f"pod subnet {net} is too small for prefix delegation")
        prefixes = net.num_addresses // 2 ** (32 - PREFIX_LENGTH)
        total += (prefixes - 2) * 2 ** (32 - PREFIX_LENGTH)
    return total


def vpc_cni_configuration(warm_prefix_target: int = 1) -> dict[str, Any]:
    """The vpc-cni add-on's configuration values (its published JSON schema: `env` strings)."""
    if warm_prefix_target < 1:
        raise ValueError("warm_prefix_target must be at least 1")
    return {
        "env": {
            "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
            "ENI_CONFIG_LABEL_DEF": AZ_LABEL,
            "ENABLE_PREFIX_DELEGATION": "true",
            "WARM_PREFIX_TARGET": str(warm_prefix_target),
        },
        "enableNetworkPolicy": "true",
    }


def eni_config_spec(
    subnet_id: pulumi.Input[str], security_group_ids: Sequence[pulumi.Input[str]]
) -> dict[str, Any]:
    """The spec of one ENIConfig (crd.k8s.amazonaws.com/v1alpha1): the AZ's pod subnet and the
    security groups pod ENIs get."""
    return {"subnet": subnet_id, "securityGroups": list(security_group_ids)}
