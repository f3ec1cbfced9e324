"""What a Graviton (arm64) instance type offers to ECS tasks, for the synth-time fit checks.

The ECS-optimized arm64 AMI only boots on Graviton instances, so this catalog doubles as the
allow-list of instance families. Figures are the published vCPU and memory per size; ECS registers
less memory than the nominal figure (the OS and the agent keep some), modelled by
``ECS_REGISTERED_MEMORY_FRACTION``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Share of nominal memory the ECS agent registers as available to tasks. Measured values sit
#: around 93-95% on Amazon Linux 2023 (a c6g.xlarge registers ~7.6 of 8 GiB); 0.9 keeps a margin
#: so a task that "just fits" on paper does not sit in PROVISIONING forever.
ECS_REGISTERED_MEMORY_FRACTION = 0.9

# GiB of memory per vCPU for the general Graviton families.
_MEMORY_PER_VCPU_GIB: dict[str, float] = {
    **dict.fromkeys(("c6g", "c6gd", "c6gn", "c7g", "c7gd", "c7gn", "c8g"), 2.0),
    **dict.fromkeys(("m6g", "m6gd", "m7g", "m7gd", "m8g"), 4.0),
    **dict.fromkeys(("r6g", "r6gd", "r7g", "r7gd", "r8g"), 8.0),
    "x2gd": 16.0,
}
# size -> (vCPUs, network interfaces). With awsvpc networking every task takes one interface
# and the instance keeps its primary one, so interfaces cap tasks per instance too.
_SIZES: dict[str, tuple[int, int]] = {
    "medium": (1, 2),
    "large": (2, 3),
    "xlarge": (4, 4),
    "2xlarge": (8, 4),
    "4xlarge": (16, 8),
    "8xlarge": (32, 8),
    "12xlarge": (48, 8),
    "16xlarge": (64, 15),
    "24xlarge": (96, 15),
    "48xlarge": (192, 15),
    "metal": (64, 15),
}
# Burstable t4g does not follow a per-vCPU ratio: size -> (vCPUs, memory GiB, interfaces).
_T4G: dict[str, tuple[int, float, int]] = {
    "nano": (2, 0.5, 2),
    "micro": (2, 1.0, 2),
    "small": (2, 2.0, 3),
    "medium": (2, 4.0, 3),
    "large": (2, 8.0, 3),
    "xlarge": (4, 16.0, 4),
    "2xlarge": (8, 32.0, 4),
}

_INSTANCE_TYPE = re.compile(r"^(?P<family>[a-z][a-z0-9]*)\.(?P<size>[a-z0-9]+)$")

SUPPORTED_FAMILIES: tuple[str, ...] = ("t4g", *sorted(_MEMORY_PER_VCPU_GIB))


@dataclass(frozen=True)
class InstanceCapacity:
    """Resources one instance registers with ECS."""

    instance_type: str
    vcpus: int
    memory_gib: float
    network_interfaces: int

    @property
    def cpu_units(self) -> int:
        """ECS CPU units (1024 per vCPU)."""
        return self.vcpus * 1024

    @property
    def registered_memory_mib(self) -> int:
        """Memory ECS can place tasks into, after the OS and agent reserve."""
        return int(self.memory_gib * 1024 * ECS_REGISTERED_MEMORY_FRACTION)

    def tasks_that_fit(self, cpu_units: int, memory_mib: int) -> int:
        """How many awsvpc tasks of this size one instance can run at once."""
        return min(
            self.cpu_units // cpu_units,
            self.registered_memory_mib // memory_mib,
            self.network_interfaces - 1,
        )


def graviton_capacity(instance_type: str) -> InstanceCapacity | None:
    """Capacity of a known Graviton instance type, or None when it is not one."""
    match = _INSTANCE_TYPE.match(instance_type)
    if match is None:
        return None
    family, size = match["family"], match["size"]
    if family == "t4g":
        if size not in _T4G:
            return None
        vcpus, memory, interfaces = _T4G[size]
        return InstanceCapacity(instance_type, vcpus, memory, interfaces)
    ratio = _MEMORY_PER_VCPU_GIB.get(family)
    if ratio is None or size not in _SIZES:
        return None
    vcpus, interfaces = _SIZES[size]
    return InstanceCapacity(instance_type, vcpus, vcpus * ratio, interfaces)
