"""Settings of the deploy runner: the CodeBuild-hosted GitHub Actions runner each regional stack
runs in its VPC (components/delivery/deploy_runner.py), with per-environment defaults and the
checks beyond their types.

Key (regional: the manifest sets it for every region, a regional stack file may override it):

```yaml
meridian:deployRunner:
  connectionArn: arn:aws:codeconnections:us-east-1:123456789012:connection/<uuid>
  repository: example-org/meridian     # the GitHub repository whose workflows deploy
  computeType: BUILD_GENERAL1_MEDIUM   # CodeBuild compute type of a runner job
```

The connection is made once by hand (Developer Tools console > Connections > GitHub, then
"Update pending connection" to install and authorize the AWS Connector GitHub App): the program
cannot perform that handshake. One connection serves every region (CodeBuild uses connections
across regions).

This module must not import `stacks/settings.py` (which imports it).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from components.delivery.deploy_runner import CONNECTION_ARN, REPOSITORY
from stacks.config.errors import ConfigProblem
from stacks.config.spec import SettingSpec
from stacks.config.types import NAMESPACE, MeridianModel

KEY = "deployRunner"

ComputeType = Literal[
    "BUILD_GENERAL1_SMALL",
    "BUILD_GENERAL1_MEDIUM",
    "BUILD_GENERAL1_LARGE",
    "BUILD_GENERAL1_XLARGE",
    "BUILD_GENERAL1_2XLARGE",
]
"""The component's COMPUTE_TYPES as a type (tests/test_deploy_runner.py keeps them equal)."""


class DeployRunnerSettings(MeridianModel):
    connection_arn: str | None = Field(
        alias="connectionArn",
        description="CodeConnections connection to GitHub (created and authorized by hand).",
    )
    repository: str | None = Field(
        description="owner/name of the GitHub repository whose workflows use the runner."
    )
    compute_type: ComputeType = Field(
        alias="computeType", description="CodeBuild compute type of a runner job."
    )


DEPLOY_RUNNER_DEFAULTS: dict[str, dict[str, Any]] = {
    env: {"connectionArn": None, "repository": None, "computeType": "BUILD_GENERAL1_MEDIUM"}
    for env in ("dev", "staging", "prod")
}
"""Per environment, merged into `settings.ENVIRONMENT_DEFAULTS[env]["deployRunner"]`."""

CONNECTION_EXAMPLE = (
    "arn:aws:codeconnections:us-east-1:123456789012:connection/0b4e7d2c-1f6a-4c3e-9b8d-5a7e6f4c3b2a"
)


def validate_deploy_runner(settings: DeployRunnerSettings, where: str) -> list[ConfigProblem]:
    """What the types cannot say: the connection ARN and the repository name.

    `where` is the stack file the values come from (for the fix)."""
    problems: list[ConfigProblem] = []
    base = f"{NAMESPACE}:{KEY}"
    arn = settings.connection_arn
    if arn is None:
        problems.append(
            ConfigProblem(
                f"{base}.connectionArn",
                None,
                "is not set: regional stacks deploy from a CodeBuild runner in their VPC, which "
                "reads the repository through a GitHub connection",
                "create a GitHub connection (Developer Tools console > Connections), authorize "
                f"it, and set its ARN in {where}, e.g. {CONNECTION_EXAMPLE}",
            )
        )
    elif not CONNECTION_ARN.match(arn):
        problems.append(
            ConfigProblem(
                f"{base}.connectionArn",
                arn,
                "is not a CodeConnections connection ARN",
                f"use arn:aws:codeconnections:<region>:<account>:connection/<uuid> in {where}",
            )
        )
    repo = settings.repository
    if repo is None or not REPOSITORY.match(repo):
        problems.append(
            ConfigProblem(
                f"{base}.repository",
                repo,
                "is not set" if repo is None else "is not a GitHub repository (owner/name)",
                f"set the repository whose workflows deploy, e.g. example-org/meridian, in {where}",
            )
        )
    return problems


SPEC = SettingSpec(
    key=KEY,
    field="deploy_runner",
    model=DeployRunnerSettings,
    defaults=DEPLOY_RUNNER_DEFAULTS,
    scope="regional",
    validate=lambda c: validate_deploy_runner(c.value, c.file),
    check="validate_deploy_runner",
)
"""`meridian:deployRunner`, regional (stacks/config/registry.py)."""
