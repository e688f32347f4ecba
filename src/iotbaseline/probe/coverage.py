"""Requirements the live probe can evidence (derived from the probe check declarations;
used by `catalog coverage`)."""

from __future__ import annotations

from iotbaseline.probe.specs import ALL_SPECS

PROBE_PROVISIONS: tuple[str, ...] = tuple(dict.fromkeys(
    ref for spec in ALL_SPECS for ref in spec.provisions))
