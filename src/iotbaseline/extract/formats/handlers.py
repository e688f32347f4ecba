"""unblob handlers for the formats of this package (registered in ``unblob_handlers``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from unblob.file_utils import File, InvalidInputFormat
from unblob.models import (
    ExtractError,
    Extractor,
    ExtractResult,
    Handler,
    HandlerDoc,
    HandlerType,
    HexString,
    Pattern,
    ValidChunk,
)
from unblob.report import ExtractionProblem, Report

from iotbaseline.extract.formats import img0, mfs, rntp
from iotbaseline.extract.formats.members import FormatError, Written, lzma_alone, write_members
from iotbaseline.extract.limits import Limits
from iotbaseline.extract.unblob_backend import LIMITS_ENV

READ_AT_MOST = 256 * 1024 * 1024


def _bound(size: int) -> int:
    raw = os.environ.get(LIMITS_ENV)
    limits = Limits(**json.loads(raw)) if raw else Limits()
    return limits.byte_budget(size)[0]


def _result(written: Written) -> ExtractResult:
    reports: list[Report] = [ExtractionProblem(problem=p, resolution="skipped")
                             for p in written.problems]
    return ExtractResult(reports=reports)


def _doc(name: str, description: str, vendor: str, limitation: str) -> HandlerDoc:
    return HandlerDoc(name=name, description=description, handler_type=HandlerType.ARCHIVE,
                      vendor=vendor, references=[], limitations=[limitation])


def _refuse(exc: Exception) -> ExtractError:
    """One line naming the cause, for unblob's report (no traceback)."""
    return ExtractError(ExtractionProblem(problem=str(exc), resolution="not extracted"))


def _read(file: File, start: int) -> bytes:
    file.seek(start)
    return file.read(READ_AT_MOST)


class MfsExtractor(Extractor):
    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        data = inpath.read_bytes()
        bound = _bound(len(data))
        try:
            entries = mfs.parse_mfs(data)
        except FormatError as exc:
            raise _refuse(exc) from exc
        return _result(write_members(outdir, mfs.mfs_members(data, entries, bound), bound))


class MfsHandler(Handler[Extractor]):
    NAME = "iotb_wind_river_mfs"
    PATTERNS: list[Pattern] = [HexString("6f 77 6f 77 6f 77 6f 77 6f 77 6f 77 6f 77 6f 77 "  # noqa: RUF012
                                         "6f 77 6f 77 6f 77 6f 77 6f 77 6f 77 6f 77 6f 77")]
    EXTRACTOR = MfsExtractor()
    DOC = _doc("Wind River MFS", "file table after 32 bytes 'owow…'; LZMA members",
               "Wind River / TP-Link", "directories are not modelled (names are flat)")

    def calculate_chunk(self, file: File, start_offset: int) -> ValidChunk | None:
        try:
            entries = mfs.parse_mfs(_read(file, start_offset))
        except FormatError as exc:
            raise InvalidInputFormat(str(exc)) from exc
        return ValidChunk(start_offset=start_offset,
                          end_offset=start_offset + mfs.mfs_end(entries))


class Img0Extractor(Extractor):
    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        data = inpath.read_bytes()
        bound = _bound(len(data))
        try:
            header = img0.parse_img0(data)
            image, _used = lzma_alone(data[header.stream_at :], bound)
        except FormatError as exc:
            raise _refuse(exc) from exc
        members = [("vxworks-image.bin", image)]
        if header.stream_at > img0.HEADER:
            members.insert(0, ("boot-stub.bin", data[img0.HEADER : header.stream_at]))
        return _result(write_members(outdir, members, bound))


class Img0Handler(Handler[Extractor]):
    NAME = "iotb_vxworks_img0"
    PATTERNS: list[Pattern] = [HexString("49 4d 47 30")]  # noqa: RUF012
    EXTRACTOR = Img0Extractor()
    DOC = _doc("VxWorks IMG0 image", "128-byte header, optional boot stub, LZMA stream with "
               "any properties byte", "Wind River / TP-Link", "header fields beyond the size "
               "are not interpreted")

    def calculate_chunk(self, file: File, start_offset: int) -> ValidChunk | None:
        data = _read(file, start_offset)
        try:
            header = img0.parse_img0(data)
            _out, used = lzma_alone(data[header.stream_at :], _bound(len(data)))
        except FormatError as exc:
            raise InvalidInputFormat(str(exc)) from exc
        return ValidChunk(start_offset=start_offset,
                          end_offset=start_offset + header.stream_at + used)


class RntpExtractor(Extractor):
    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        data = inpath.read_bytes()
        bound = _bound(len(data))
        try:
            parts = rntp.parse_rntp(data)
        except FormatError as exc:
            raise _refuse(exc) from exc
        return _result(write_members(outdir, rntp.rntp_members(data, parts, bound), bound))


class RntpHandler(Handler[Extractor]):
    NAME = "iotb_linksys_rntp"
    PATTERNS: list[Pattern] = [HexString("52 4e 54 50 31 2e 30 31")]  # noqa: RUF012
    EXTRACTOR = RntpExtractor()
    DOC = _doc("Linksys/Radlan RNTP (.ros)", "RNTP1.01 part table; RNTP2.00 parts hold LZMA",
               "Linksys / Radlan", "part flags are not interpreted")

    def calculate_chunk(self, file: File, start_offset: int) -> ValidChunk | None:
        try:
            parts = rntp.parse_rntp(_read(file, start_offset))
        except FormatError as exc:
            raise InvalidInputFormat(str(exc)) from exc
        end = max(p.offset + p.size for p in parts)
        return ValidChunk(start_offset=start_offset, end_offset=start_offset + end)


FORMAT_HANDLERS: tuple[type[Handler[Extractor]], ...] = (RntpHandler, Img0Handler, MfsHandler)
