"""Delivery: what the deploy pipeline needs inside the platform (the in-VPC deploy runner)."""

from components.delivery.deploy_runner import (
    BUILD_IMAGE,
    DEPLOY_SESSION_SECONDS,
    DeployRunner,
    DeployRunnerArgs,
    runner_label,
    runner_project_name,
)

__all__ = [
    "BUILD_IMAGE",
    "DEPLOY_SESSION_SECONDS",
    "DeployRunner",
    "DeployRunnerArgs",
    "runner_label",
    "runner_project_name",
]
