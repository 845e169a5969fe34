"""The edge in front of the regions: Cloudflare (default) or AWS-native (CloudFront, WAFv2,
Route 53), both fed by the same routing table and the regions' ingress hostnames."""

from components.edge.aws_edge import AwsEdge, AwsEdgeArgs
from components.edge.cloudflare_edge import CloudflareEdge, CloudflareEdgeArgs
from components.edge.geography import RegionOrigin
from components.edge.routes import ApiRoute

__all__ = [
    "ApiRoute",
    "AwsEdge",
    "AwsEdgeArgs",
    "CloudflareEdge",
    "CloudflareEdgeArgs",
    "RegionOrigin",
]
