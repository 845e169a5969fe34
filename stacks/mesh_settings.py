"""Settings of the service mesh: istiod and ingress gateway replicas, with per-environment
defaults and the checks beyond their types.

Key (regional: the manifest sets it for every region, a regional stack file may override it):

```yaml
meridian:mesh:
  istiodReplicas: 3          # istiod's floor (HPA up to max(5, this)); >= 2 for HA
  gatewayMinReplicas: 3      # ingress gateway pods, spread over the AZs
  gatewayMaxReplicas: 20     # the gateway's autoscaling ceiling
  gatewayDrainSeconds: 300   # a terminating gateway pod serves open WebSockets this long
```

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from stacks.config.errors import ConfigProblem
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel

KEY = "mesh"


class MeshSettings(MeridianModel):
    istiod_replicas: int = Field(
        alias="istiodReplicas", ge=2, le=10, description="istiod replicas (HA: at least 2)."
    )
    gateway_min_replicas: int = Field(
        alias="gatewayMinReplicas", ge=1, le=100, description="Ingress gateway pods, minimum."
    )
    gateway_max_replicas: int = Field(
        alias="gatewayMaxReplicas", ge=1, le=500, description="Ingress gateway pods, maximum."
    )
    gateway_drain_seconds: int = Field(
        alias="gatewayDrainSeconds",
        ge=5,
        le=3600,
        description="The gateway proxy's terminationDrainDuration (long-lived WebSockets).",
    )


MESH_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "istiodReplicas": 2,
        "gatewayMinReplicas": 2,
        "gatewayMaxReplicas": 4,
        "gatewayDrainSeconds": 30,
    },
    "staging": {
        "istiodReplicas": 2,
        "gatewayMinReplicas": 3,
        "gatewayMaxReplicas": 10,
        "gatewayDrainSeconds": 120,
    },
    # prod: one gateway pod per AZ at least, room for the seed's peak behind each region's NLB;
    # a rollout or scale-in gives open WebSockets five minutes to finish or reconnect elsewhere
    # (clients reconnect with backoff, 1 s to 30 s), instead of Istio's 5 s.
    "prod": {
        "istiodReplicas": 3,
        "gatewayMinReplicas": 3,
        "gatewayMaxReplicas": 30,
        "gatewayDrainSeconds": 300,
    },
}
"""Per environment, merged into `settings.ENVIRONMENT_DEFAULTS[env]["mesh"]`."""


def validate_mesh(settings: MeshSettings, where: str) -> list[ConfigProblem]:
    """What the types cannot say: the gateway's floor is not above its ceiling."""
    if settings.gateway_min_replicas <= settings.gateway_max_replicas:
        return []
    return [
        ConfigProblem(
            f"{NAMESPACE}:{KEY}.gatewayMinReplicas",
            settings.gateway_min_replicas,
            f"is above gatewayMaxReplicas ({settings.gateway_max_replicas})",
            f"lower gatewayMinReplicas or raise gatewayMaxReplicas in {where}",
        )
    ]


SPEC = SettingSpec(
    key=KEY,
    field="mesh",
    model=MeshSettings,
    defaults=MESH_DEFAULTS,
    scope="regional",
    validate=lambda c: validate_mesh(c.value, c.file),
    check="validate_mesh",
)
"""`meridian:mesh`, regional (stacks/config/registry.py)."""
