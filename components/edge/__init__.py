"""The edge in front of the regions: Cloudflare (`cloudflare_edge.CloudflareEdge`, default) or
AWS-native (`aws_edge.AwsEdge`: CloudFront, WAFv2, Route 53), both fed by the same routing table
(`routes`) and the regions' ingress hostnames (`geography.RegionOrigin`).

Import the submodules directly: pulumi-cloudflare loads its whole SDK on import (seconds), so
only the edge stack should pay for it.
"""
