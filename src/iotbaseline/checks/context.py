"""What every check receives: the file index of the image plus run options and shared,
lazily computed facts (e.g. which services the image starts), so that two checks needing the
same parse do it once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import PlatformInfo


@dataclass(frozen=True)
class CheckOptions:
    show_secrets: bool = False
    crack_seconds: float = 10.0  # bound on password cracking per run
    jobs: int | None = None  # worker processes; None = number of cores


@dataclass
class CheckContext:
    index: FileIndex
    options: CheckOptions = field(default_factory=CheckOptions)
    # what the device runs (analysis/platform.py); a non-Linux platform makes the checks that
    # need a Linux user space NOT_APPLICABLE (see runner._applies)
    platform: PlatformInfo | None = None
    # Shared derived facts, computed once on first use (see checks/facts.py when present).
    cache: dict[str, Any] = field(default_factory=dict)

    def fact(self, name: str, compute: Any) -> Any:
        """Memoise an expensive derived fact shared by several checks."""
        if name not in self.cache:
            self.cache[name] = compute(self)
        return self.cache[name]
