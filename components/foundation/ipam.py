"""Ipam: the environment's address plan, enforced by Amazon VPC IPAM.

One IPAM operating in every region of the environment; a top-level pool holding the environment's
supernet; one regional pool per region (locale = region) provisioned with exactly that region's
VPC CIDR. A regional stack allocates its VPC from its pool, so AWS itself refuses a VPC that would
overlap another region's. Pods get the same treatment in a second tree: a top-level pool holding
the pod supernet (100.64.0.0/10) and one regional pool per region provisioned with exactly that
region's pod block, from which the region's VPC allocates its secondary (pod) CIDR.

Example::

    ipam = Ipam("ipam", IpamArgs(names=Names("prod"), home_region="us-east-1",
                                 supernet="10.128.0.0/10",
                                 region_cidrs={"us-east-1": "10.128.0.0/16"}))
    ipam.pool_ids["us-east-1"]

    # with pod pools
    Ipam("ipam", IpamArgs(..., pod_supernet="100.64.0.0/10",
                          pod_cidrs={"us-east-1": "100.64.0.0/16"}))
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.common.moves import moved_type
from components.common.naming import Names


@dataclass(frozen=True)
class IpamArgs:
    names: Names
    home_region: str
    supernet: str
    region_cidrs: Mapping[str, str]
    tier: str = "advanced"
    pod_supernet: str | None = None
    """The pods' address space (100.64.0.0/10); None for no pod pools."""
    pod_cidrs: Mapping[str, str] = field(default_factory=dict)
    """Each region's pod block, inside `pod_supernet`."""

    def __post_init__(self) -> None:
        if self.home_region not in self.region_cidrs:
            raise ValueError("the home region must be one of the operating regions")
        _check_tree(self.supernet, self.region_cidrs)
        if self.pod_cidrs and self.pod_supernet is None:
            raise ValueError("pod_cidrs need a pod_supernet")
        if self.pod_supernet is not None:
            if set(self.pod_cidrs) != set(self.region_cidrs):
                raise ValueError("pod_cidrs must name exactly the operating regions")
            _check_tree(self.pod_supernet, self.pod_cidrs)
            if ipaddress.IPv4Network(self.pod_supernet).overlaps(
                ipaddress.IPv4Network(self.supernet)
            ):
                raise ValueError("the pod supernet overlaps the VPC supernet")
        if self.tier not in ("free", "advanced"):
            raise ValueError("tier must be 'free' or 'advanced'")


def _check_tree(supernet_text: str, cidrs: Mapping[str, str]) -> None:
    """Every regional block inside the supernet, no two overlapping."""
    supernet = ipaddress.IPv4Network(supernet_text)
    nets = {r: ipaddress.IPv4Network(c) for r, c in cidrs.items()}
    for region, net in nets.items():
        if not net.subnet_of(supernet):
            raise ValueError(f"{region} CIDR {net} is outside the supernet {supernet}")
    regions = sorted(nets)
    for i, a in enumerate(regions):
        for b in regions[i + 1 :]:
            if nets[a].overlaps(nets[b]):
                raise ValueError(f"{a} {nets[a]} overlaps {b} {nets[b]}")


class Ipam(pulumi.ComponentResource):
    pool_ids: dict[str, pulumi.Output[str]]
    """Regional pool id per region, ready for allocation (its CIDR is provisioned)."""
    pod_pool_ids: dict[str, pulumi.Output[str]]
    """Regional pod pool id per region (empty without `pod_supernet`)."""

    def __init__(
        self, name: str, args: IpamArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            "meridian:foundation:Ipam",
            name,
            None,
            moved_type(opts, "meridian:network:Ipam"),
        )
        ipam = aws.ec2.VpcIpam(
            f"{name}",
            description=f"Meridian {args.names.environment} address plan",
            tier=args.tier,
            cascade=False,
            operating_regions=[{"region_name": r} for r in sorted(args.region_cidrs)],
            tags={"Name": args.names.display("ipam")},
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.pool_ids = self._tree(name, ipam, args, args.supernet, args.region_cidrs, None)
        self.pod_pool_ids = {}
        if args.pod_supernet is not None:
            self.pod_pool_ids = self._tree(
                name, ipam, args, args.pod_supernet, args.pod_cidrs, "pods"
            )
        self.ipam_id = ipam.id
        self.register_outputs(
            {"ipamId": ipam.id, "poolIds": self.pool_ids, "podPoolIds": self.pod_pool_ids}
        )

    def _tree(
        self,
        name: str,
        ipam: aws.ec2.VpcIpam,
        args: IpamArgs,
        supernet: str,
        cidrs: Mapping[str, str],
        label: str | None,
    ) -> dict[str, pulumi.Output[str]]:
        """A top-level pool for `supernet` and one provisioned regional pool per region; `label`
        names a tree beside the environment's own (None: the environment's VPC tree)."""
        child = pulumi.ResourceOptions(parent=self)
        env = args.names.environment
        top_name = f"{name}-{label or 'environment'}"
        regional_name = f"{name}-{label}" if label else name
        labelled = f" {label}" if label else ""
        top = aws.ec2.VpcIpamPool(
            top_name,
            address_family="ipv4",
            ipam_scope_id=ipam.private_default_scope_id,
            description=f"Meridian {env}{labelled}: {supernet}",
            tags={"Name": args.names.display("ipam", label or "environment")},
            opts=child,
        )
        top_cidr = aws.ec2.VpcIpamPoolCidr(
            f"{top_name}-cidr", ipam_pool_id=top.id, cidr=supernet, opts=child
        )
        pool_ids: dict[str, pulumi.Output[str]] = {}
        for region, cidr in sorted(cidrs.items()):
            prefix = ipaddress.IPv4Network(cidr).prefixlen
            pool = aws.ec2.VpcIpamPool(
                f"{regional_name}-{region}",
                address_family="ipv4",
                ipam_scope_id=ipam.private_default_scope_id,
                source_ipam_pool_id=top.id,
                locale=region,
                description=f"Meridian {env} {region}{labelled}: {cidr}",
                allocation_default_netmask_length=prefix,
                allocation_min_netmask_length=prefix,
                allocation_max_netmask_length=prefix,
                auto_import=False,
                tags={"Name": args.names.display("ipam", *([label] if label else []), region)},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[top_cidr]),
            )
            provisioned = aws.ec2.VpcIpamPoolCidr(
                f"{regional_name}-{region}-cidr", ipam_pool_id=pool.id, cidr=cidr, opts=child
            )
            # Hand out the pool id only once its CIDR is provisioned, so a VPC never allocates
            # from an empty pool.
            pool_ids[region] = pulumi.Output.all(pool.id, provisioned.id).apply(lambda ids: ids[0])
        return pool_ids
