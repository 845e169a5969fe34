"""pinned_release: a Helm release of a chart pinned in stacks/versions.py.

Every Meridian release installs the same way: the pinned version from its repository (an OCI
registry names the chart inside the reference), into a namespace the component created and
hardened first, atomically, and cleaned up when it fails.

Example::

    pinned_release("mesh-istiod", release="istiod", chart=HELM_CHARTS["istiod"],
                   namespace="istio-system", values={...}, timeout=900,
                   opts=pulumi.ResourceOptions(parent=self, provider=kube))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pulumi
import pulumi_kubernetes as k8s


class PinnedChart(Protocol):
    """A pinned chart (stacks.versions.HelmChart satisfies it)."""

    @property
    def chart(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def repository(self) -> str: ...


def pinned_release(
    resource_name: str,
    *,
    release: str,
    chart: PinnedChart,
    namespace: pulumi.Input[str],
    values: pulumi.Input[Mapping[str, Any]],
    opts: pulumi.ResourceOptions,
    timeout: int | None = None,
) -> k8s.helm.v3.Release:
    oci = chart.repository.startswith("oci://")
    return k8s.helm.v3.Release(
        resource_name,
        name=release,
        chart=f"{chart.repository}/{chart.chart}" if oci else chart.chart,
        version=chart.version,
        repository_opts=None if oci else {"repo": chart.repository},
        namespace=namespace,
        create_namespace=False,
        atomic=True,
        cleanup_on_fail=True,
        timeout=timeout,
        values=values,
        opts=opts,
    )
