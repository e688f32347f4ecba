"""CPE 2.3 formatted strings: split, unescape, and the version "match key" used for lookups."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from iotbaseline.vulns.versions import version_key

ANY = "*"
NA = "-"


@dataclass(frozen=True)
class Cpe:
    part: str  # a / o / h
    vendor: str
    product: str
    version: str
    update: str

    @property
    def has_version(self) -> bool:
        return self.version not in (ANY, NA, "")

    def full_version(self) -> str:
        """Version plus a specific update ("1.0.2" + "beta1" → "1.0.2-beta1")."""
        if self.update in (ANY, NA, ""):
            return self.version
        return f"{self.version}-{self.update}"


def split_cpe(text: str) -> list[str]:
    """Split on the colons that are not escaped; keep escapes for ``unescape``."""
    fields: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields


def unescape(value: str) -> str:
    if "\\" not in value:
        return value
    out: list[str] = []
    escaped = False
    for ch in value:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=131072)
def parse_cpe(text: str) -> Cpe | None:
    """Parse ``cpe:2.3:part:vendor:product:version:update:…``; None when it is not one."""
    if "\\" in text:
        fields = split_cpe(text)
    else:
        fields = text.split(":")
    if len(fields) < 5 or fields[0] != "cpe" or fields[1] != "2.3":
        return None
    fields += [ANY] * (13 - len(fields))
    return Cpe(
        part=fields[2],
        vendor=unescape(fields[3]).lower(),
        product=unescape(fields[4]).lower(),
        version=unescape(fields[5]).lower(),
        update=unescape(fields[6]).lower(),
    )


@lru_cache(maxsize=131072)
def match_key(version: str) -> str:
    """Canonical text of a version: equal for versions the comparator calls equal
    ("1.00", "1.0.0" → "1"; "7.4p1", "7.4:p1" → "7.4.p.1"). Stored for exact-version lookups."""
    parts: list[str] = []
    for cls, value in version_key(version)[:-1]:
        if cls == 0:  # pre-release word: (rank, word)
            parts.append(value[1])  # type: ignore[index]
        else:
            parts.append(str(value))
    return ".".join(parts)
