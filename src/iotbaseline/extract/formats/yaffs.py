"""YAFFS2 of any page/spare geometry and byte order, through unblob's YAFFS parser.

unblob guesses the flash geometry from the spare area after the first page and refuses
images where that guess fails (the FACT and binwalk test images: "unlikely spare size").
Here the geometry is chosen by parsing with each plausible one and keeping the one that
places the most entries in the tree (an entry whose parent is missing is dropped by the
parser, so a wrong geometry scores low). Device nodes are recorded by the parser, never
created: ``_NoNodes`` refuses ``mknod``.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

from unblob.file_utils import Endian, File, FileSystem, InvalidInputFormat, read_until_past
from unblob.handlers.filesystem import yaffs as unblob_yaffs
from unblob.models import ExtractResult, ValidChunk
from unblob.report import ExtractionProblem

PAGE_SIZES = (2048, 512, 4096, 1024, 8192, 16384)
SPARE_SIZES = (64, 16, 128, 32, 256, 512)
PROBE_BYTES = 4 << 20  # geometry is ranked on the first 4 MiB


def _entries(parser: Any) -> int:
    return int(parser.file_entries.size())


def _parse(file: File, config: unblob_yaffs.YAFFSConfig, store: bool) -> Any:
    file.seek(0)
    parser = unblob_yaffs.YAFFS2Parser(file, config)
    parser.parse(store=store)
    return parser


def find_geometry(file: File) -> unblob_yaffs.YAFFSConfig:
    """unblob's own detection when it works, else the best-scoring geometry."""
    file.seek(0)
    try:
        parser = unblob_yaffs.instantiate_parser(file)
        if isinstance(parser, unblob_yaffs.YAFFS2Parser):
            return parser.config
    except (InvalidInputFormat, EOFError, ValueError):
        pass
    probe = File.from_bytes(file[: min(file.size(), PROBE_BYTES)])
    best: tuple[int, unblob_yaffs.YAFFSConfig] | None = None
    for endian, page, spare, ecc in itertools.product(
            (Endian.LITTLE, Endian.BIG), PAGE_SIZES, SPARE_SIZES, (False, True)):
        config = unblob_yaffs.YAFFSConfig(endianness=endian, page_size=page,
                                          spare_size=spare, ecc=ecc)
        try:
            score = _entries(_parse(probe, config, store=True))
        except (InvalidInputFormat, EOFError, ValueError, KeyError, UnicodeDecodeError):
            continue
        if best is None or score > best[0]:
            best = (score, config)
    if best is None or best[0] < 2:
        raise InvalidInputFormat("no YAFFS2 page/spare geometry yields a directory tree")
    return best[1]


class _NoNodes(FileSystem):
    def mknod(self, path: Path, mode: int = 0o600, device: int = 0) -> None:
        self.record_problem(ExtractionProblem(
            path=str(path), problem="device node recorded, not created",
            resolution="skipped"))


class YaffsAnyGeometryExtractor(unblob_yaffs.YAFFSExtractor):
    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        with File.from_path(inpath) as file:
            config = find_geometry(file)
            parser = _parse(file, config, store=True)
            fs = _NoNodes(outdir)
            parser.extract(fs)
        return ExtractResult(reports=list(fs.problems))


class YaffsAnyGeometryHandler(unblob_yaffs.YAFFSHandler):
    NAME = "iotb_yaffs2"
    EXTRACTOR = YaffsAnyGeometryExtractor()

    def calculate_chunk(self, file: File, start_offset: int) -> ValidChunk | None:
        if start_offset:
            file.seek(start_offset)
            view = File.from_bytes(file.read())
        else:
            view = file
        config = find_geometry(view)
        parser = _parse(view, config, store=False)
        view.seek(parser.end_offset, io.SEEK_SET)
        read_until_past(view, b"\xff")
        return ValidChunk(start_offset=start_offset, end_offset=start_offset + view.tell())
