"""Our handlers for unblob: SquashFS through our own extractor, plus vendor containers
unblob does not carve (TP-Link v1 firmware header, U-Boot legacy uImage).

unblob's SquashFS handlers call ``sasquatch``, which no distribution ships; ours keep
unblob's chunk detection and swap the extractor for ``extract_squashfs``. The manifest of
original modes is written as JSON into ``IOTB_MODES_DIR`` (set by the worker) so the parent
process can build ``modes.json`` for each root.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

from unblob.extractors import Command
from unblob.file_utils import File, InvalidInputFormat
from unblob.handlers import BUILTIN_HANDLERS
from unblob.handlers.archive import sevenzip as unblob_7z
from unblob.handlers.archive import tar as unblob_tar
from unblob.handlers.archive import zip as unblob_zip
from unblob.handlers.filesystem import cramfs as unblob_cramfs
from unblob.handlers.filesystem import jffs2 as unblob_jffs2
from unblob.handlers.filesystem import squashfs as unblob_squashfs
from unblob.handlers.filesystem import yaffs as unblob_yaffs
from unblob.models import (
    ExtractError,
    Extractor,
    ExtractResult,
    Handler,
    HandlerDoc,
    Handlers,
    HandlerType,
    HexString,
    Pattern,
    Reference,
    Regex,
    ValidChunk,
)
from unblob.report import ExtractionProblem, Report, UnknownError

from iotbaseline.extract.formats.handlers import FORMAT_HANDLERS
from iotbaseline.extract.formats.yaffs import YaffsAnyGeometryHandler
from iotbaseline.extract.headers import PARSERS, parse_tplink
from iotbaseline.extract.limits import Budget, Limits
from iotbaseline.extract.safe_fs import ModeManifest
from iotbaseline.extract.squashfs.extract import extract_squashfs
from iotbaseline.extract.squashfs.reader import SquashfsError
from iotbaseline.extract.tar import extract_tar
from iotbaseline.extract.unblob_backend import LIMITS_ENV, MODES_DIR_ENV
from iotbaseline.extract.zip import extract_zip


# unblob's JFFS2 command, run through ``formats/jefferson_tool.py`` (jefferson, same output);
# as a script in isolated mode (-I): no import of this package (1 s), no script dir on sys.path
JEFFERSON = Command(sys.executable, "-I", str(Path(__file__).parent / "formats" / "jefferson_tool.py"),
                    "-v", "-f", "-d", "{outdir}", "{inpath}")


def _limits() -> Limits:
    raw = os.environ.get(LIMITS_ENV)
    return Limits(**json.loads(raw)) if raw else Limits()


class PySquashfsExtractor(Extractor):
    """SquashFS 2/3/4, both byte orders, vendor LZMA layouts, in Python."""

    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        data = inpath.read_bytes()
        budget = Budget(_limits(), len(data))
        try:
            outcome = extract_squashfs(data, 0, outdir, budget)
        except SquashfsError as exc:
            raise ExtractError(UnknownError(exception=exc)) from exc
        _write_sidecar(outdir, outcome.manifest, outcome.description)
        problems: list[Report] = [
            ExtractionProblem(problem=message, resolution="entry skipped")
            for message in outcome.errors
        ]
        if outcome.limit is not None:
            problems.append(ExtractionProblem(problem=str(outcome.limit),
                                              resolution=f"limit {outcome.limit.bound} reached"))
        return ExtractResult(reports=problems)


def _write_sidecar(outdir: Path, manifest: ModeManifest, description: str) -> None:
    """Hand the image's modes to the parent process (see ``unblob_backend``)."""
    modes_dir = os.environ.get(MODES_DIR_ENV)
    if not modes_dir:
        return
    name = hashlib.sha256(str(outdir).encode()).hexdigest()[:16] + ".json"
    payload = {
        "dir": str(outdir),
        "description": description,
        "entries": {k: v.as_json() for k, v in manifest.entries.items()},
    }
    Path(modes_dir, name).write_text(json.dumps(payload))


class PyArchiveExtractor(Extractor):
    """Tar or zip with our rules (see ``iotbaseline.extract.tar`` and ``.zip``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        budget = Budget(_limits(), inpath.stat().st_size)
        extract = extract_tar if self.kind == "tar" else extract_zip
        try:
            outcome = extract(inpath, outdir, budget)
        except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
            raise ExtractError(UnknownError(exception=exc)) from exc
        _write_sidecar(outdir, outcome.manifest, self.kind)
        problems: list[Report] = [
            ExtractionProblem(problem=m, resolution="entry skipped") for m in outcome.errors
        ]
        if outcome.limit is not None:
            problems.append(ExtractionProblem(problem=str(outcome.limit),
                                              resolution=f"limit {outcome.limit.bound} reached"))
        return ExtractResult(reports=problems)


class SevenZipExactLinks(Command):
    """7-Zip with symlinks extracted as links (-snld), then their targets restored.

    7-Zip turns an absolute link target "/tmp/x" into "<outdir>/tmp/x"; we strip exactly that
    prefix again so the link reads as stored in the image (never followed either way)."""

    def __init__(self, *options: str) -> None:
        super().__init__("7z", "x", *options, "-snld", "-y", "{inpath}", "-o{outdir}")

    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        result: ExtractResult | None = super().extract(inpath, outdir)
        prefix = str(outdir.resolve()) + "/"
        for base, dirs, files in os.walk(outdir):
            for name in dirs + files:
                path = Path(base, name)
                if path.is_symlink():
                    target = os.readlink(path)
                    if target.startswith(prefix):
                        path.unlink()
                        path.symlink_to("/" + target[len(prefix) :])
        return result


def _with_extractor(handler: type[Handler[Any]], extractor: Extractor) -> type[Handler[Any]]:
    return type(handler.__name__, (handler,), {"EXTRACTOR": extractor})


class _PartsExtractor(Extractor):
    """Split a container into its named parts; unblob then recurses into each part."""

    def __init__(self, parser_name: str) -> None:
        self.parser_name = parser_name

    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        data = inpath.read_bytes()
        parser = PARSERS[self.parser_name]
        header = parser(data)
        if header is None:
            raise ExtractError(ExtractionProblem(problem="header no longer parses",
                                                 resolution="not extracted"))
        outdir.mkdir(parents=True, exist_ok=True)
        if all(start >= header.size for _name, start, _end in header.parts):
            # A FIT with inline data is one device tree holding its parts: writing that
            # "header" out again would make unblob open the same FIT inside itself forever.
            (outdir / "header.bin").write_bytes(data[: header.size])
        last = header.size
        for name, start, end in header.parts:
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")
            (outdir / f"{safe or 'part'}.bin").write_bytes(data[start:end])
            last = max(last, end)
        if last < len(data):
            (outdir / f"after-{last:#x}.bin").write_bytes(data[last:])
        return ExtractResult(reports=[])


class TPLinkV1Handler(Handler[Extractor]):
    NAME = "iotb_tplink_v1"
    PATTERNS: list[Pattern] = [Regex(r"\x01\x00\x00\x00(TP-LINK|OpenWrt)")]  # noqa: RUF012 (unblob declares it so)
    EXTRACTOR = _PartsExtractor("tplink")
    DOC = HandlerDoc(
        name="TP-Link v1 firmware header",
        description="512-byte header (vendor, version, hardware id, MD5, kernel and rootfs "
        "offsets) in front of TP-Link router images and OpenWrt factory images for them.",
        handler_type=HandlerType.ARCHIVE,
        vendor="TP-Link",
        references=[Reference(title="OpenWrt mktplinkfw", url="https://openwrt.org/")],
        limitations=["v2 headers are not parsed"],
    )

    def calculate_chunk(self, file: File, start_offset: int) -> ValidChunk | None:
        file.seek(start_offset)
        header = parse_tplink(file.read(64 * 1024 * 1024))
        if header is None:
            raise InvalidInputFormat("not a TP-Link v1 header")
        file.seek(start_offset + 124)
        (fw_length,) = struct.unpack(">I", file.read(4))
        size = file.size() - start_offset
        end = start_offset + (fw_length if 512 < fw_length <= size else size)
        return ValidChunk(start_offset=start_offset, end_offset=end)


class UImageHandler(Handler[Extractor]):
    NAME = "iotb_uimage"
    PATTERNS: list[Pattern] = [HexString("27 05 19 56")]  # noqa: RUF012 (unblob declares it so)
    EXTRACTOR = _PartsExtractor("uimage")
    DOC = HandlerDoc(
        name="U-Boot legacy uImage",
        description="64-byte big-endian header (magic 0x27051956, size, load address, "
        "compression, name) followed by one payload.",
        handler_type=HandlerType.ARCHIVE,
        vendor="DENX",
        references=[Reference(title="U-Boot image.h", url="https://source.denx.de/u-boot")],
        limitations=["multi-file uImages are kept as one payload"],
    )

    def calculate_chunk(self, file: File, start_offset: int) -> ValidChunk | None:
        file.seek(start_offset)
        head = file.read(64)
        if len(head) < 64:
            raise InvalidInputFormat("truncated uImage header")
        (size,) = struct.unpack_from(">I", head, 12)
        end = start_offset + 64 + size
        if end > file.size():
            raise InvalidInputFormat("uImage payload runs past the file")
        return ValidChunk(start_offset=start_offset, end_offset=end)


class _HeaderHandler(Handler[Extractor]):
    """A container recognised by one of ``headers.PARSERS``; the chunk ends where its last
    part ends."""

    PARSER = ""

    def calculate_chunk(self, file: File, start_offset: int) -> ValidChunk | None:
        file.seek(start_offset)
        header = PARSERS[self.PARSER](file.read(256 * 1024 * 1024))
        if header is None or not header.parts:
            raise InvalidInputFormat(f"not a valid {self.PARSER} container")
        end = start_offset + max(end for _name, _start, end in header.parts)
        return ValidChunk(start_offset=start_offset, end_offset=max(end, start_offset + header.size))


def _doc(name: str, description: str, vendor: str) -> HandlerDoc:
    return HandlerDoc(name=name, description=description, handler_type=HandlerType.ARCHIVE,
                      vendor=vendor, references=[], limitations=[])


class TPLinkV2Handler(_HeaderHandler):
    NAME = "iotb_tplink_v2"
    PARSER = "tplink"
    PATTERNS: list[Pattern] = [Regex(r"[\x02\x03]\x00\x00\x00[\x20-\x7e]{4}")]  # noqa: RUF012
    EXTRACTOR = _PartsExtractor("tplink")
    DOC = _doc("TP-Link v2 firmware header", "512-byte header with version string, hardware "
               "id, MD5 and kernel offsets at 0x68", "TP-Link")

    def calculate_chunk(self, file: File, start_offset: int) -> ValidChunk | None:
        # The pattern is short, so check the fixed fields before reading the whole rest.
        file.seek(start_offset)
        head = file.read(512)
        if len(head) < 512 or head[0x8C:0x8E] not in (b"\x55\xaa", b"\x00\x00", b"\xff\xff"):
            raise InvalidInputFormat("not a TP-Link v2 header")
        (kernel_ofs,) = struct.unpack_from(">I", head, 0x74)
        if not 512 <= kernel_ofs <= 0x100000:
            raise InvalidInputFormat("implausible TP-Link v2 kernel offset")
        return super().calculate_chunk(file, start_offset)


class WrggHandler(_HeaderHandler):
    NAME = "iotb_wrgg03"
    PARSER = "wrgg"
    PATTERNS: list[Pattern] = [HexString("21 03 08 20"), HexString("20 08 03 21")]  # noqa: RUF012
    PATTERN_MATCH_OFFSET = -32
    EXTRACTOR = _PartsExtractor("wrgg")
    DOC = _doc("D-Link/Alpha wrgg03", "160-byte header (signature, magic 0x20080321, model, "
               "build, size) before a kernel and root filesystem", "D-Link")


class AndroidBootHandler(_HeaderHandler):
    NAME = "iotb_android_boot"
    PARSER = "android-boot"
    PATTERNS: list[Pattern] = [HexString("41 4e 44 52 4f 49 44 21")]  # noqa: RUF012
    EXTRACTOR = _PartsExtractor("android-boot")
    DOC = _doc("Android boot image", "ANDROID! header (v0-v4), kernel, ramdisk and second "
               "stage at page-aligned offsets", "Google")


class FITHandler(_HeaderHandler):
    NAME = "iotb_uboot_fit"
    PARSER = "fit"
    PATTERNS: list[Pattern] = [HexString("d0 0d fe ed")]  # noqa: RUF012
    EXTRACTOR = _PartsExtractor("fit")
    DOC = _doc("U-Boot FIT image", "flattened device tree whose /images nodes hold kernel, "
               "ramdisk, device trees (inline or external data)", "DENX")


class HuaweiHWNPHandler(_HeaderHandler):
    NAME = "iotb_huawei_hwnp"
    PARSER = "hwnp"
    PATTERNS: list[Pattern] = [HexString("48 57 4e 50")]  # noqa: RUF012
    EXTRACTOR = _PartsExtractor("hwnp")
    DOC = _doc("Huawei HWNP upgrade packet", "HWNP header, product list and item table "
               "(path, section, version, data offset and size) of Huawei ONT/router upgrades",
               "Huawei")


_SQUASHFS = {
    getattr(unblob_squashfs, name)
    for name in dir(unblob_squashfs)
    if name.startswith("SquashFS") and name.endswith("Handler")
}


def build_handlers() -> Handlers:
    """unblob's handlers with ours: SquashFS and YAFFS swapped, vendor containers added."""
    ours: list[type[Handler[Any]]] = [TPLinkV1Handler, TPLinkV2Handler, UImageHandler,
                                      WrggHandler, AndroidBootHandler, FITHandler,
                                      HuaweiHWNPHandler, *FORMAT_HANDLERS]
    for handler in BUILTIN_HANDLERS:
        if handler is unblob_yaffs.YAFFSHandler:
            handler = YaffsAnyGeometryHandler  # unblob's geometry guess refuses common images
        elif handler in _SQUASHFS:
            handler = _with_extractor(handler, PySquashfsExtractor())
        elif handler in (unblob_tar.TarUstarHandler, unblob_tar.TarUnixHandler):
            handler = _with_extractor(handler, PyArchiveExtractor("tar"))
        elif handler is unblob_cramfs.CramFSHandler:
            handler = _with_extractor(handler, SevenZipExactLinks())
        elif handler is unblob_7z.SevenZipHandler:
            handler = _with_extractor(handler, SevenZipExactLinks("-p"))
        elif handler is unblob_zip.ZIPHandler:
            handler = _with_extractor(handler, PyArchiveExtractor("zip"))
        elif handler in (unblob_jffs2.JFFS2NewHandler, unblob_jffs2.JFFS2OldHandler):
            handler = _with_extractor(handler, JEFFERSON)  # same tool, linear node scan
        ours.append(handler)
    return tuple(ours)
