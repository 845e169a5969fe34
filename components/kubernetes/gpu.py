"""GPU node facts and the NVIDIA device plugin.

- `GPU_INSTANCE_FACTS`: what the node pools need to know about each GPU instance type they may run
  (GPUs per node, the GPU model for the node label, EFA network cards for the training pool).
- `efa_network_interfaces`: the EC2NodeClass `networkInterfaces` that give a training node one EFA
  device per network card.
- `NvidiaDevicePlugin`: NVIDIA's k8s-device-plugin from its pinned Helm chart, scheduled ONLY on the
  GPU pools (required node affinity on `meridian.io/pool`, tolerations for their taints), so no
  pod of it lands on a CPU node and every GPU node advertises `nvidia.com/gpu`.

Example::

    plugin = NvidiaDevicePlugin(
        "nvidia-device-plugin",
        NvidiaDevicePluginArgs(chart=HELM_CHARTS["nvidia-device-plugin"],
                               gpu_pools=["gpu-inference", "gpu-training"]),
        opts=pulumi.ResourceOptions(parent=nodes, provider=cluster.provider,
                                    depends_on=[karpenter]),
    )
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.common.kubernetes import PinnedChart, pinned_release

POOL_LABEL = "meridian.io/pool"
"""Node label (and, on exclusive pools, taint key) naming the Meridian pool of a node."""
GPU_TAINT_KEY = "nvidia.com/gpu"
"""The taint every GPU node carries (`nvidia.com/gpu=true:NoSchedule`): only pods that request or
tolerate GPUs land there."""


@dataclass(frozen=True)
class GpuInstanceFacts:
    gpus: int
    gpu_model: str
    """Value of the `meridian.io/gpu-model` node label (NVIDIA's product name)."""
    gpu_memory_gib: int
    efa_network_cards: int
    """Network cards with an EFA device (0: no EFA). One EFA interface per card for full
    bandwidth."""


GPU_INSTANCE_FACTS: dict[str, GpuInstanceFacts] = {
    # AWS EC2 accelerated-computing instance specifications.
    "g6e.xlarge": GpuInstanceFacts(1, "L40S", 48, 0),
    "g6e.2xlarge": GpuInstanceFacts(1, "L40S", 48, 0),
    "g6e.12xlarge": GpuInstanceFacts(4, "L40S", 48, 1),
    "g6.xlarge": GpuInstanceFacts(1, "L4", 24, 0),
    "g6.2xlarge": GpuInstanceFacts(1, "L4", 24, 0),
    "g6.12xlarge": GpuInstanceFacts(4, "L4", 24, 0),
    "g5.xlarge": GpuInstanceFacts(1, "A10G", 24, 0),
    "g5.2xlarge": GpuInstanceFacts(1, "A10G", 24, 0),
    "g5.12xlarge": GpuInstanceFacts(4, "A10G", 24, 0),
    "g4dn.xlarge": GpuInstanceFacts(1, "T4", 16, 0),
    "g4dn.2xlarge": GpuInstanceFacts(1, "T4", 16, 0),
    "g4dn.12xlarge": GpuInstanceFacts(4, "T4", 16, 1),
    "p4d.24xlarge": GpuInstanceFacts(8, "A100", 40, 4),
    "p4de.24xlarge": GpuInstanceFacts(8, "A100", 80, 4),
    "p5.48xlarge": GpuInstanceFacts(8, "H100", 80, 32),
    "p5en.48xlarge": GpuInstanceFacts(8, "H200", 141, 16),
}


def gpu_facts(instance_type: str) -> GpuInstanceFacts:
    try:
        return GPU_INSTANCE_FACTS[instance_type]
    except KeyError:
        raise ValueError(
            f"no GPU facts for {instance_type!r}; add it to GPU_INSTANCE_FACTS in "
            "components/kubernetes/gpu.py"
        ) from None


def gpu_node_labels(pool: str, instance_type: str) -> dict[str, str]:
    """Labels of a GPU pool's nodes: the pool, that GPUs are present, the GPU model and count."""
    facts = gpu_facts(instance_type)
    return {
        POOL_LABEL: pool,
        "nvidia.com/gpu.present": "true",
        "meridian.io/gpu-model": facts.gpu_model,
        "meridian.io/gpu-count": str(facts.gpus),
    }


def efa_network_interfaces(instance_type: str) -> list[dict[str, Any]]:
    """EC2NodeClass `networkInterfaces` (karpenter.k8s.aws/v1) with one EFA device per network card.

    The primary interface (card 0, device 0) is a normal ENA interface, as Karpenter requires;
    every network card then gets an `efa-only` interface at device index 1, the layout AWS
    documents for maximum EFA bandwidth on P4/P5 (efa-only interfaces take no IP address).
    """
    cards = gpu_facts(instance_type).efa_network_cards
    if cards == 0:
        raise ValueError(f"{instance_type} has no EFA network card")
    interfaces: list[dict[str, Any]] = [
        {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"}
    ]
    interfaces += [
        {"networkCardIndex": card, "deviceIndex": 1, "interfaceType": "efa-only"}
        for card in range(cards)
    ]
    return interfaces


@dataclass(frozen=True)
class NvidiaDevicePluginArgs:
    chart: PinnedChart
    gpu_pools: Sequence[str]
    """Values of `meridian.io/pool` the plugin runs on (the GPU pools the region has)."""
    namespace: str = "kube-system"


def device_plugin_values(gpu_pools: Sequence[str]) -> dict[str, Any]:
    """Chart values: required affinity to the GPU pools, tolerations for their taints."""
    return {
        # Replaces the chart's default affinity (NFD/GFD labels we don't run): exactly our pools.
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": POOL_LABEL, "operator": "In", "values": list(gpu_pools)},
                                {
                                    "key": "nvidia.com/gpu.present",
                                    "operator": "In",
                                    "values": ["true"],
                                },
                            ]
                        }
                    ]
                }
            }
        },
        "tolerations": [
            {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"},
            # The training pool's exclusive taint.
            {"key": POOL_LABEL, "operator": "Exists", "effect": "NoSchedule"},
        ],
        "priorityClassName": "system-node-critical",
        "gfd": {"enabled": False},
        "nfd": {"enabled": False},
    }


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """NVIDIA's device plugin DaemonSet on the GPU pools only (a Helm release)."""

    release: k8s.helm.v3.Release

    def __init__(
        self, name: str, args: NvidiaDevicePluginArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:kubernetes:NvidiaDevicePlugin", name, None, opts)
        if not args.gpu_pools:
            raise ValueError("NvidiaDevicePlugin needs at least one GPU pool")
        self.release = pinned_release(
            f"{name}-release",
            release="nvidia-device-plugin",
            chart=args.chart,
            namespace=args.namespace,
            values=device_plugin_values(args.gpu_pools),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"status": self.release.status})
