"""Settings of the security and observability baseline, with per-environment defaults
and the checks beyond their types.

Key (regional: the manifest sets it for every region, a regional stack file may override it;
`grafanaRegion` is read from the manifest only, by the edge stack):

```yaml
meridian:baseline:
  findingsMinimumSeverity: 4   # GuardDuty findings at or above this go to the findings topic
  grafanaRegion: us-east-1     # optional: where the environment's Managed Grafana runs
```

`grafanaRegion` left out: the primary region if AWS offers Managed Grafana there, else the first
region of the environment that does. This module must not import `stacks/settings.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from stacks import capabilities
from stacks.config.errors import ConfigProblem
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel

KEY = "baseline"


class BaselineSettings(MeridianModel):
    findings_minimum_severity: float = Field(
        alias="findingsMinimumSeverity",
        ge=1.0,
        le=8.9,
        description="GuardDuty severity (1.0-8.9: low 1-3.9, medium 4-6.9, high 7-8.9) from which "
        "a finding is sent to the findings topic.",
    )
    grafana_region: str | None = Field(
        alias="grafanaRegion",
        default=None,
        description="Region of the environment's Managed Grafana (one of its regions).",
    )


BASELINE_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {"findingsMinimumSeverity": 7.0},
    "staging": {"findingsMinimumSeverity": 4.0},
    "prod": {"findingsMinimumSeverity": 4.0},
}
"""Per environment, merged into `settings.ENVIRONMENT_DEFAULTS[env]["baseline"]`."""


def validate_baseline(
    settings: BaselineSettings, regions: Sequence[str], where: str
) -> list[ConfigProblem]:
    """`grafanaRegion` must be a region of the environment where AWS offers Managed Grafana."""
    region = settings.grafana_region
    if region is None:
        return []
    offered = [r for r in regions if capabilities.offers(r, "managed-grafana")]
    if region in offered:
        return []
    problem = (
        f"is not one of the environment's regions {list(regions)}"
        if region not in regions
        else "does not offer Amazon Managed Grafana (stacks/region_capabilities.json)"
    )
    return [
        ConfigProblem(
            f"{NAMESPACE}:{KEY}.grafanaRegion",
            region,
            problem,
            f"set it to one of {offered} in {where}, or remove it"
            if offered
            else f"remove it from {where}: none of the regions offers Managed Grafana",
        )
    ]


SPEC = SettingSpec(
    key=KEY,
    field="baseline",
    model=BaselineSettings,
    defaults=BASELINE_DEFAULTS,
    scope="regional",
    validate=lambda c: validate_baseline(c.value, c.regions, c.file),
    check="validate_baseline",
)
"""`meridian:baseline`, regional (stacks/config/registry.py)."""
