"""Meridian's IPv4 address plan: one supernet per environment, one fixed slot per region.

Every environment owns a /10 of 10.0.0.0/8 (dev, staging, prod in that order, the last /10 is
held back). Inside it every AWS region owns a fixed /16 slot, so the VPC of a region never
overlaps the VPC of any other region of any environment, and adding a region never moves another.
`REGION_SLOTS` is append-only: a new region takes the next free number.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from stacks.identity import ENVIRONMENTS

PLAN_SUPERNET = ipaddress.IPv4Network("10.0.0.0/8")
ENVIRONMENT_PREFIX = 10
REGION_SLOT_PREFIX = 16

REGION_SLOTS: Mapping[str, int] = {
    # append only: never renumber a region, never reuse a number
    "us-east-1": 0,
    "us-west-2": 1,
    "eu-west-1": 2,
    "eu-central-1": 3,
    "ap-southeast-1": 4,
    "ap-northeast-1": 5,
    "ap-south-1": 6,
    "me-south-1": 7,
    "sa-east-1": 8,
    "af-south-1": 9,
    "us-east-2": 10,
    "us-west-1": 11,
    "ca-central-1": 12,
    "ca-west-1": 13,
    "eu-west-2": 14,
    "eu-west-3": 15,
    "eu-north-1": 16,
    "eu-south-1": 17,
    "eu-south-2": 18,
    "eu-central-2": 19,
    "ap-east-1": 20,
    "ap-northeast-2": 21,
    "ap-northeast-3": 22,
    "ap-southeast-2": 23,
    "ap-southeast-3": 24,
    "ap-southeast-4": 25,
    "ap-southeast-5": 26,
    "ap-southeast-7": 27,
    "ap-south-2": 28,
    "me-central-1": 29,
    "il-central-1": 30,
    "mx-central-1": 31,
    "ap-east-2": 32,
    "ap-southeast-6": 33,
}


def environment_supernet(environment: str) -> ipaddress.IPv4Network:
    """The /10 an environment's VPCs are carved from."""
    index = ENVIRONMENTS.index(environment)
    return list(PLAN_SUPERNET.subnets(new_prefix=ENVIRONMENT_PREFIX))[index]


def region_slot(environment: str, region: str) -> ipaddress.IPv4Network:
    """The /16 reserved for a region inside an environment's supernet."""
    supernet = environment_supernet(environment)
    slot = REGION_SLOTS[region]
    size = 2 ** (32 - REGION_SLOT_PREFIX)
    return ipaddress.IPv4Network((int(supernet.network_address) + slot * size, REGION_SLOT_PREFIX))


def default_vpc_cidr(environment: str, region: str, prefix_length: int) -> ipaddress.IPv4Network:
    """The first block of the requested size in the region's slot."""
    return next(region_slot(environment, region).subnets(new_prefix=prefix_length))


# --- Pod addresses -------------------------------------------------------------------------------

POD_SUPERNET = ipaddress.IPv4Network("100.64.0.0/10")
"""RFC 6598 shared address space: pods live here, on a secondary CIDR of each regional VPC."""
POD_REGION_PREFIX = 16
"""Every region's pods get one /16 (65,536 addresses; 64 slots fit the /10, REGION_SLOTS has 34)."""


def pod_cidr(region: str) -> ipaddress.IPv4Network:
    """The pod block of a region: slot `REGION_SLOTS[region]` of 100.64.0.0/10.

    The same in every environment, on purpose. Pod addresses never leave their VPC: the VPC CNI
    translates pod traffic bound outside the VPC to the node's primary (10/8) address, so two
    environments (separate accounts, separate IPAMs, never routed to each other) can reuse the
    space, while regions of one environment never overlap, so cross-region routing between VPCs
    stays possible. Reuse keeps every region a full /16; giving each environment its own share
    would shrink each region to a /18.
    """
    slot = REGION_SLOTS[region]
    size = 2 ** (32 - POD_REGION_PREFIX)
    return ipaddress.IPv4Network(
        (int(POD_SUPERNET.network_address) + slot * size, POD_REGION_PREFIX)
    )
