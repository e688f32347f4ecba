"""Reader for OpenWrt UCI files (``/etc/config/<package>``) and a few other daemon configs.

UCI has no maintained pure-Python parser on PyPI (the ``uci`` bindings need libuci and a
running system), and its syntax is three keywords, so it is read here with ``shlex``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from iotbaseline.inventory.index import FileIndex

TRUE_WORDS = frozenset({"1", "on", "yes", "true", "enabled"})
FALSE_WORDS = frozenset({"0", "off", "no", "false", "disabled"})


@dataclass
class UciSection:
    type: str
    name: str | None
    line: int
    options: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # option → line number

    def get(self, key: str, default: str | None = None) -> str | None:
        if key in self.options:
            return self.options[key]
        values = self.lists.get(key)
        return " ".join(values) if values else default

    def get_bool(self, key: str, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        value = value.strip().lower()
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        return default


@dataclass
class UciPackage:
    path: str
    sections: list[UciSection] = field(default_factory=list)

    def of_type(self, type_: str) -> list[UciSection]:
        return [s for s in self.sections if s.type == type_]

    def named(self, name: str) -> UciSection | None:
        return next((s for s in self.sections if s.name == name), None)


def parse_uci(text: str, path: str = "") -> UciPackage:
    package = UciPackage(path=path)
    current: UciSection | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            words = shlex.split(stripped, comments=True)
        except ValueError:
            words = stripped.split()
        if not words:
            continue
        keyword = words[0]
        if keyword == "config" and len(words) >= 2:
            current = UciSection(type=words[1], name=words[2] if len(words) > 2 else None,
                                 line=number)
            package.sections.append(current)
        elif keyword in ("option", "list") and current is not None and len(words) >= 2:
            key = words[1]
            value = " ".join(words[2:])
            current.lines.setdefault(key, number)
            if keyword == "option":
                current.options[key] = value
            else:
                current.lists.setdefault(key, []).append(value)
    return package


def load_uci(index: FileIndex, package: str, root: str | None = None) -> UciPackage | None:
    path = f"/etc/config/{package}"
    entry = index.resolve(path, root)
    if entry is None:
        return None
    text = index.read_text(entry, limit=1024 * 1024)
    return None if text is None else parse_uci(text, path)
