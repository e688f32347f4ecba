"""When was the image built? Read from build stamps the SBOM evidence already carries.

Sources, each naming where it was read:
- ``uimage-header``: the creation time ``mkimage`` writes into a uImage header (CRC-checked);
- ``kernel-banner``: the compile time in ``Linux version … #1 Wed Apr 22 16:24:00 CST 2015``;
- ``busybox-banner``: the build date in ``BusyBox v1.14.1 (2013-09-17 16:21:12 CST)``.
The build date is the *newest* of them: no part of an image is built after the image, so the
newest stamp is the closest to the image's own date. Stamps before 1995 (epoch-0 or
reproducible-build stamps) or after today are ignored. File modification times in the root
file system are not used: the extractors do not carry them over to the unpacked tree, and
vendors often reset them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from iotbaseline.model import Component

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_BANNER_DATE = re.compile(
    r"#\d+[^#]*?\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" +(\d{1,2})(?: +\d{1,2}:\d{2}(?::\d{2})?)?(?: +[A-Za-z]{1,6}(?:[+-]\d{1,4})?)? +(\d{4})\b")
_UIMAGE_TIME = re.compile(r"uImage header time (\d{4})-(\d{2})-(\d{2})")
_BUSYBOX_DATE = re.compile(r"BusyBox v[\d.]+[^(]*\((\d{4})[-.](\d{2})[-.](\d{2})")
EARLIEST = date(1995, 1, 1)


@dataclass(frozen=True)
class BuildDate:
    date: date
    source: str  # "uimage-header" | "kernel-banner" | "busybox-banner"
    path: str
    detail: str  # the stamp as read

    def describe(self) -> str:
        return f"{self.date.isoformat()} ({self.source} in {self.path}: {self.detail})"


def _valid(year: int, month: int, day: int, today: date) -> date | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if EARLIEST <= value <= today else None


def stamps(components: list[Component], today: date | None = None) -> list[BuildDate]:
    """Every build stamp in the components' evidence, oldest first."""
    today = today or datetime.now(UTC).date()
    out: list[BuildDate] = []
    for c in components:
        for ev in c.evidence:
            text = ev.match
            found: list[tuple[str, date | None]] = []
            if c.name == "linux-kernel":
                if (m := _UIMAGE_TIME.search(text)) is not None:
                    found.append(("uimage-header", _valid(int(m[1]), int(m[2]), int(m[3]), today)))
                if ev.method == "kernel-banner" and (m := _BANNER_DATE.search(text)) is not None:
                    found.append(("kernel-banner", _valid(int(m[3]), _MONTHS[m[1]], int(m[2]), today)))
            elif c.name == "busybox" and (m := _BUSYBOX_DATE.search(text)) is not None:
                found.append(("busybox-banner", _valid(int(m[1]), int(m[2]), int(m[3]), today)))
            for source, when in found:
                if when is not None:
                    out.append(BuildDate(when, source, ev.path, text[:160]))
    return sorted(out, key=lambda b: (b.date, b.source, b.path))


def build_date(components: list[Component], today: date | None = None) -> BuildDate | None:
    """The image's build date: its newest build stamp, or None when it carries none."""
    found = stamps(components, today)
    return found[-1] if found else None
