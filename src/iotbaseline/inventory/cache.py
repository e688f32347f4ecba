"""Cache of per-file ELF facts keyed by content hash, so a re-scan (or the same busybox in
two images) skips the parse. One small JSON file per sha256 under ``cache_dir``."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from iotbaseline.model import ElfInfo

# Bump when the parser or the facts change meaning, so stale entries are ignored.
CACHE_VERSION = 1


def _path(cache_dir: Path, sha256: str) -> Path:
    return cache_dir / sha256[:2] / f"{sha256}.json"


def load(cache_dir: Path, sha256: str) -> dict[str, Any] | None:
    try:
        with _path(cache_dir, sha256).open("rb") as fh:
            payload = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("v") != CACHE_VERSION:
        return None
    fields = payload.get("elf")
    if not isinstance(fields, dict):
        return None
    hints = fields.get("_", {})
    try:  # the cache directory is outside our control: a bad entry is a miss, never a crash
        checked = ElfInfo.model_validate({k: v for k, v in fields.items() if k != "_"})
    except ValidationError:
        return None
    return {**checked.model_dump(), "_": hints if isinstance(hints, dict) else {}}


def store(cache_dir: Path, sha256: str, fields: dict[str, Any]) -> None:
    """Write atomically (temp file + rename) so parallel workers never see half a file."""
    target = _path(cache_dir, sha256)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump({"v": CACHE_VERSION, "elf": fields}, fh, separators=(",", ":"))
        os.replace(tmp, target)
    except OSError:
        pass  # a cache that cannot be written only costs speed
