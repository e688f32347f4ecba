"""``modes.json``: the modes, owners and special files of a root as recorded in the image.

On disk, extraction clears setuid/setgid/sticky bits, never creates device nodes and makes
entries owner-readable, so the disk does not tell the truth about permissions. The sidecar
``<root>.modes.json`` (next to the root directory, never inside it) does:

    {"schema": "iotbaseline.modes/1", "root": "rootfs",
     "entries": {"/bin/busybox": {"type": "file", "mode": "4755", "uid": 0, "gid": 0,
                                  "note": "setuid/setgid/sticky bits not applied on disk"},
                 "/dev/console": {"type": "chr", "mode": "0600", "rdev": 1281, ...},
                 "/bin/sh": {"type": "symlink", "mode": "0777", "target": "busybox"}}}

``mode`` is the octal permission string incl. setuid (4000), setgid (2000), sticky (1000);
``type`` is file, dir, symlink, chr, blk, fifo or sock. Paths are absolute inside the root.
A root without a sidecar (an input directory used in place) has its true modes on disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iotbaseline.extract.safe_fs import ModeManifest

MODES_SCHEMA = "iotbaseline.modes/1"


def modes_path(root_path: str | Path) -> Path:
    root = Path(root_path)
    return root.parent / (root.name + ".modes.json")


def write_modes(root_path: Path, label: str, manifest: ModeManifest) -> Path:
    target = modes_path(root_path)
    payload = {
        "schema": MODES_SCHEMA,
        "root": label,
        "entries": {path: entry.as_json() for path, entry in sorted(manifest.entries.items())},
    }
    target.write_text(json.dumps(payload, indent=0, ensure_ascii=False))
    return target


def load_modes(root_path: str | Path) -> dict[str, dict[str, Any]] | None:
    """Entries by in-root path, or None when the root has no sidecar."""
    target = modes_path(root_path)
    if not target.is_file():
        return None
    data = json.loads(target.read_text())
    if data.get("schema") != MODES_SCHEMA:
        return None
    entries: dict[str, dict[str, Any]] = data.get("entries", {})
    return entries
