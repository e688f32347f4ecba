"""Reading vulnerability data files: decompression and format detection.

Formats: NVD CVE API 2.0 responses / per-year feeds (``{"vulnerabilities": [{"cve": …}]}``),
JSON Lines of ``{"cve": …}``, OSV records (one JSON object, a JSON list, or a zip of them as
OSV's ``all.zip`` exports), and the CISA KEV catalog. ``.gz`` files are decompressed with
python-isal when installed (about twice as fast as zlib here), else with the stdlib.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

try:
    from isal import igzip as _fast_gzip
    from isal.isal_zlib import IsalError as _IsalError
except ImportError:  # pragma: no cover - isal is a declared dependency; stdlib fallback
    _fast_gzip = None  # type: ignore[assignment]
    _IsalError = OSError  # type: ignore[assignment,misc]

Kind = Literal["nvd-feed", "nvd-lines", "osv", "osv-zip", "kev"]
MAX_DECOMPRESSED = 1024 * 1024 * 1024  # a year's feed is ~35 MB; refuse gzip bombs
MAX_ZIP_MEMBER = 64 * 1024 * 1024


class VulnDataError(ValueError):
    """A data file we cannot read; the message names the file and what is wrong."""


@dataclass
class LoadedFile:
    path: Path
    kind: Kind
    data: bytes  # decompressed content (empty for zips, read lazily)


def read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    opener: Any = _fast_gzip.GzipFile if _fast_gzip is not None else gzip.GzipFile
    try:
        with opener(fileobj=io.BytesIO(raw)) as fh:
            data: bytes = fh.read(MAX_DECOMPRESSED + 1)  # bounded: no gzip bomb
    except (OSError, EOFError, ValueError, _IsalError) as exc:  # isal's own error: found by fuzzing
        raise VulnDataError(f"{path}: corrupt gzip data ({exc})") from exc
    if len(data) > MAX_DECOMPRESSED:
        raise VulnDataError(f"{path}: decompresses to more than {MAX_DECOMPRESSED} bytes")
    return data


def load(path: Path) -> LoadedFile:
    """Read and classify one file; raise VulnDataError naming what is wrong."""
    try:
        if zipfile.is_zipfile(path):
            return LoadedFile(path, "osv-zip", b"")
        data = read_bytes(path)
    except OSError as exc:
        raise VulnDataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    head = data[:4096].lstrip()
    if not head:
        raise VulnDataError(f"{path}: empty file")
    if head.startswith(b"["):
        return LoadedFile(path, "osv", data)
    if not head.startswith(b"{"):
        raise VulnDataError(f"{path}: not JSON (starts with {head[:16]!r})")
    first_line = head.split(b"\n", 1)[0]
    if first_line.startswith((b'{"cve"', b'{ "cve"')):
        return LoadedFile(path, "nvd-lines", data)
    if b'"cveID"' in head or b'"catalogVersion"' in head:
        return LoadedFile(path, "kev", data)
    if b'"vulnerabilities"' in head and b'"cve"' in head:
        return LoadedFile(path, "nvd-feed", data)
    if b'"vulnerabilities"' in head:
        # an NVD response whose header is long; decide on the first record
        return LoadedFile(path, "nvd-feed", data)
    if b'"affected"' in data[:1 << 20] or b'"modified"' in head:
        return LoadedFile(path, "osv", data)
    raise VulnDataError(
        f"{path}: unknown JSON format (expected an NVD CVE API 2.0 feed, JSON Lines of "
        "{\"cve\": …}, OSV records or the CISA KEV catalog)"
    )


def osv_records(loaded: LoadedFile) -> Iterator[dict[str, Any]]:
    """OSV records of a JSON object/list file or of a zip export."""
    if loaded.kind == "osv-zip":
        with zipfile.ZipFile(loaded.path) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.endswith(".json"):
                    continue
                if info.file_size > MAX_ZIP_MEMBER:
                    raise VulnDataError(f"{loaded.path}!{info.filename}: member too large")
                with archive.open(info) as fh:
                    yield from _as_records(fh.read(MAX_ZIP_MEMBER + 1), loaded.path)
        return
    yield from _as_records(loaded.data, loaded.path)


def _as_records(data: bytes, path: Path) -> Iterator[dict[str, Any]]:
    try:
        obj = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise VulnDataError(f"{path}: invalid JSON ({exc})") from exc
    if isinstance(obj, list):
        yield from (o for o in obj if isinstance(o, dict))
    elif isinstance(obj, dict):
        yield obj


def kev_entries(loaded: LoadedFile) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        obj = msgspec.json.decode(loaded.data)
    except msgspec.DecodeError as exc:
        raise VulnDataError(f"{loaded.path}: invalid JSON ({exc})") from exc
    entries = obj.get("vulnerabilities") if isinstance(obj, dict) else None
    if not isinstance(entries, list):
        raise VulnDataError(f"{loaded.path}: KEV catalog without a 'vulnerabilities' list")
    header = {k: v for k, v in obj.items() if k != "vulnerabilities"}
    return header, [e for e in entries if isinstance(e, dict) and e.get("cveID")]
