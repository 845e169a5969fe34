"""Where AWS regions and Cloudflare's geographic regions are: the data both edges steer by.

`AWS_REGIONS[region]` holds the region's approximate location (latitude, longitude), the
Cloudflare health-check region closest to it, and the CloudFront Origin Shield region to use for
an origin there (Origin Shield runs in a subset of regions; AWS's table "choosing the AWS Region
for Origin Shield" maps every region to one). `CLOUDFLARE_REGIONS` are the codes Cloudflare's
geo steering accepts in `region_pools`, each with a representative location, so pools are ordered
by distance for every Cloudflare region: nearest region first, the rest as failover.

Example::

    order = pools_by_distance("WEU", ["us-east-1", "eu-west-1"])   # ['eu-west-1', 'us-east-1']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class RegionSite:
    latitude: float
    longitude: float
    check_region: str
    """Cloudflare health-check region (LoadBalancerPool.check_regions) nearest the region."""
    origin_shield_region: str
    """The CloudFront Origin Shield region AWS recommends for origins in this region."""


@dataclass(frozen=True)
class RegionOrigin:
    """One region's origin: its ingress NLB hostname (the regional stack's `ingressHostname`)."""

    region: str
    hostname: pulumi.Input[str]


AWS_REGIONS: dict[str, RegionSite] = {
    "us-east-1": RegionSite(38.9, -77.4, "ENAM", "us-east-1"),
    "us-east-2": RegionSite(40.0, -83.0, "ENAM", "us-east-2"),
    "us-west-1": RegionSite(37.4, -122.0, "WNAM", "us-west-2"),
    "us-west-2": RegionSite(45.8, -119.7, "WNAM", "us-west-2"),
    "ca-central-1": RegionSite(45.5, -73.6, "ENAM", "us-east-1"),
    "ca-west-1": RegionSite(51.0, -114.1, "WNAM", "us-west-2"),
    "mx-central-1": RegionSite(20.6, -100.4, "WNAM", "us-east-2"),
    "sa-east-1": RegionSite(-23.5, -46.6, "SSAM", "sa-east-1"),
    "eu-west-1": RegionSite(53.3, -6.3, "WEU", "eu-west-1"),
    "eu-west-2": RegionSite(51.5, -0.1, "WEU", "eu-west-2"),
    "eu-west-3": RegionSite(48.9, 2.4, "WEU", "eu-west-2"),
    "eu-central-1": RegionSite(50.1, 8.7, "EEU", "eu-central-1"),
    "eu-central-2": RegionSite(47.4, 8.5, "EEU", "eu-central-1"),
    "eu-north-1": RegionSite(59.3, 18.1, "EEU", "eu-central-1"),
    "eu-south-1": RegionSite(45.5, 9.2, "EEU", "eu-central-1"),
    "eu-south-2": RegionSite(41.6, -0.9, "WEU", "eu-west-2"),
    "il-central-1": RegionSite(32.1, 34.8, "ME", "eu-central-1"),
    "me-south-1": RegionSite(26.1, 50.6, "ME", "ap-south-1"),
    "me-central-1": RegionSite(24.5, 54.4, "ME", "ap-south-1"),
    "af-south-1": RegionSite(-33.9, 18.4, "SAF", "eu-west-1"),
    "ap-south-1": RegionSite(19.1, 72.9, "SAS", "ap-south-1"),
    "ap-south-2": RegionSite(17.4, 78.5, "SAS", "ap-south-1"),
    "ap-southeast-1": RegionSite(1.3, 103.8, "SEAS", "ap-southeast-1"),
    "ap-southeast-2": RegionSite(-33.9, 151.2, "OC", "ap-southeast-2"),
    "ap-southeast-3": RegionSite(-6.2, 106.8, "SEAS", "ap-southeast-1"),
    "ap-southeast-4": RegionSite(-37.8, 145.0, "OC", "ap-southeast-2"),
    "ap-southeast-5": RegionSite(3.1, 101.7, "SEAS", "ap-southeast-1"),
    "ap-southeast-6": RegionSite(-36.8, 174.8, "OC", "ap-southeast-2"),
    "ap-southeast-7": RegionSite(13.8, 100.5, "SEAS", "ap-southeast-1"),
    "ap-northeast-1": RegionSite(35.7, 139.7, "NEAS", "ap-northeast-1"),
    "ap-northeast-2": RegionSite(37.6, 127.0, "NEAS", "ap-northeast-2"),
    "ap-northeast-3": RegionSite(34.7, 135.5, "NEAS", "ap-northeast-1"),
    "ap-east-1": RegionSite(22.3, 114.2, "NEAS", "ap-northeast-2"),
    "ap-east-2": RegionSite(25.0, 121.5, "NEAS", "ap-northeast-1"),
}

CLOUDFLARE_REGIONS: dict[str, tuple[float, float]] = {
    # Cloudflare load-balancing region codes (geo steering) and a representative location.
    "WNAM": (39.0, -115.0),  # Western North America
    "ENAM": (39.0, -80.0),  # Eastern North America
    "NSAM": (8.0, -70.0),  # Northern South America
    "SSAM": (-25.0, -55.0),  # Southern South America
    "WEU": (48.0, -4.0),  # Western Europe (west of Paris: its western regions come first)
    "EEU": (50.0, 25.0),  # Eastern Europe
    "ME": (26.0, 45.0),  # Middle East
    "NAF": (28.0, 10.0),  # Northern Africa
    "SAF": (-20.0, 25.0),  # Southern Africa
    "SAS": (20.0, 78.0),  # Southern Asia
    "SEAS": (5.0, 105.0),  # South East Asia
    "NEAS": (35.0, 125.0),  # North East Asia
    "OC": (-28.0, 140.0),  # Oceania
}


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def site(region: str) -> RegionSite:
    try:
        return AWS_REGIONS[region]
    except KeyError:
        raise KeyError(
            f"{region} has no entry in components/edge/geography.py AWS_REGIONS; add its "
            "location, Cloudflare check region and Origin Shield region"
        ) from None


def pools_by_distance(cloudflare_region: str, regions: Iterable[str]) -> list[str]:
    """`regions` ordered by distance from a Cloudflare region (ties broken by name: stable)."""
    here = CLOUDFLARE_REGIONS[cloudflare_region]
    return sorted(
        regions,
        key=lambda r: (round(distance_km(here, (site(r).latitude, site(r).longitude))), r),
    )


def check_origins(
    origins: Sequence[RegionOrigin],
    hostnames: Sequence[str],
    primary_region: str,
    drained: frozenset[str],
    *,
    all_drained: str,
) -> None:
    """The checks both edges make of their Args: one origin per region, at least one hostname,
    one region still in rotation (`all_drained` says what the edge would do otherwise), the
    primary among the origins, and every region in the geography table."""
    regions = [o.region for o in origins]
    if len(set(regions)) != len(regions):
        raise ValueError(f"one origin per region: {regions}")
    if not hostnames:
        raise ValueError("at least one public hostname")
    if not set(regions) - drained:
        raise ValueError(f"every region is drained: {all_drained}")
    if primary_region not in regions:
        raise ValueError(f"primary region {primary_region} has no origin")
    for region in regions:
        site(region)  # fails with the fix if the geography table lacks the region


def in_rotation(origins: Sequence[RegionOrigin], drained: frozenset[str]) -> list[str]:
    """The regions the edge sends traffic to: every origin that is not drained."""
    return [o.region for o in origins if o.region not in drained]
