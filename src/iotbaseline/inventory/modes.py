"""Original file modes recorded by the extractor.

The extractor does not apply setuid/setgid/sticky bits on disk and creates no device nodes, so
the truth about permissions comes from a manifest it writes beside the root (never inside it).
Two layouts are read, the first found wins:

1. ``<parent>/<root dir name>.modes.json`` (what ``iotbaseline.extract.modes`` writes)::

       {"schema": "iotbaseline.modes/1", "root": "rootfs",
        "entries": {"/bin/busybox": {"type": "file", "mode": "4755", "uid": 0, "gid": 0},
                    "/dev/console": {"type": "chr", "mode": "0600"}}}

2. ``<parent>/modes.json``, a flat mapping ``{"/bin/busybox": {"mode": 2541, "uid": 0,
   "gid": 0}}``, or a mapping from root label / directory name to such a mapping.

Keys are paths inside the root (leading "/" optional); ``mode`` is an int (full st_mode or
permission bits) or an octal string ("4755", "0o4755"); ``type`` (optional) is file, dir,
symlink, chr, blk, fifo or sock. Entries of the special types that are absent on disk are
still inventoried (kind "special"). Missing or unreadable manifests fall back to lstat.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "modes.json"
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
SPECIAL_TYPES = frozenset({"chr", "blk", "fifo", "sock"})


@dataclass
class RecordedModes:
    modes: dict[str, int] = field(default_factory=dict)  # path → permission bits incl. suid
    specials: dict[str, int] = field(default_factory=dict)  # device nodes etc. not on disk
    source: Path | None = None


def manifest_candidates(root_dir: Path) -> list[Path]:
    return [root_dir.parent / f"{root_dir.name}.modes.json", root_dir.parent / MANIFEST_NAME]


def load_modes(root_dir: Path, label: str) -> tuple[RecordedModes, str | None]:
    """(recorded modes, problem or None). Never raises on a bad manifest."""
    for manifest in manifest_candidates(root_dir):
        try:
            if manifest.is_symlink() or not manifest.is_file():
                continue
            if manifest.stat().st_size > MAX_MANIFEST_BYTES:
                return RecordedModes(), f"{manifest} is larger than {MAX_MANIFEST_BYTES} bytes; modes from lstat"
            data = json.loads(manifest.read_bytes())
        except (OSError, ValueError) as exc:
            return RecordedModes(), f"cannot read {manifest}: {exc}; modes from lstat"
        if not isinstance(data, dict):
            return RecordedModes(), f"{manifest} is not a JSON object; modes from lstat"
        return _parse(data, root_dir, label, manifest), None
    return RecordedModes(), None


def _parse(data: dict[str, Any], root_dir: Path, label: str, source: Path) -> RecordedModes:
    if isinstance(data.get("entries"), dict):
        data = data["entries"]
    else:
        for key in (label, root_dir.name):
            nested = data.get(key)
            if isinstance(nested, dict) and nested and not _is_record(nested):
                data = nested
                break
    recorded = RecordedModes(source=source)
    for path, record in data.items():
        if not isinstance(path, str) or path in ("schema", "root"):
            continue
        mode = _mode_of(record)
        if mode is None:
            continue
        key = "/" + path.strip("/") if path.strip("/") else "/"
        recorded.modes[key] = mode
        if isinstance(record, dict) and record.get("type") in SPECIAL_TYPES:
            recorded.specials[key] = mode
    return recorded


def _is_record(value: dict[str, Any]) -> bool:
    return "mode" in value and not isinstance(value["mode"], dict)


def _mode_of(record: Any) -> int | None:
    value = record.get("mode") if isinstance(record, dict) else record
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip().lower().removeprefix("0o")
        try:
            value = int(text, 8)
        except ValueError:
            return None
    if isinstance(value, int) and value >= 0:
        return stat.S_IMODE(value)
    return None
