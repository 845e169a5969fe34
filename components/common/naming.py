"""The one place names come from: physical AWS names, KMS aliases and short region codes."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PROJECT = "meridian"
_DIRECTIONS = {
    "east": "e",
    "west": "w",
    "north": "n",
    "south": "s",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def region_code(region: str) -> str:
    """us-east-1 -> use1, ap-southeast-1 -> apse1, eu-central-2 -> euc2."""
    parts = region.split("-")
    if len(parts) < 3:
        raise ValueError(f"not an AWS region code: {region!r}")
    geo, direction, number = parts[0], "-".join(parts[1:-1]), parts[-1]
    short = "".join(_DIRECTIONS.get(word, word[:1]) for word in direction.split("-"))
    return f"{geo}{short}{number}"


@dataclass(frozen=True)
class Names:
    """Names for one environment and, for regional resources, one region."""

    environment: str
    region: str | None = None

    @property
    def scope(self) -> str:
        return region_code(self.region) if self.region else "global"

    @property
    def prefix(self) -> str:
        return f"{PROJECT}-{self.environment}-{self.scope}"

    def physical(self, *parts: str, max_length: int = 63) -> str:
        """A DNS-safe physical name: meridian-<env>-<region code>-<parts>.

        Names longer than `max_length` keep their start and end a short hash of the whole, so they
        stay unique and stable.
        """
        raw = "-".join([self.prefix, *parts]).lower()
        name = re.sub(r"[^a-z0-9-]+", "-", raw).strip("-")
        name = re.sub(r"-{2,}", "-", name)
        if len(name) <= max_length:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return f"{name[: max_length - 9].rstrip('-')}-{digest}"

    def kms_alias(self, key_class: str) -> str:
        where = self.region or "global"
        return f"alias/{PROJECT}/{self.environment}/{where}/{key_class}"

    def display(self, *parts: str) -> str:
        """A human-readable `Name` tag."""
        return self.physical(*parts, max_length=255)
