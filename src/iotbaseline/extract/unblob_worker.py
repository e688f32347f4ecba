"""Child process that runs unblob on one file (or on each of several) (``python -m iotbaseline.extract.unblob_worker``).

Runs in its own process group so the parent can stop it (and the tools it started) when a
bound is reached, and inside unblob's Landlock sandbox where the kernel offers it, so the
extractors it calls can only write below the work directory. unblob's symlink "fixing"
(which rewrites absolute links) is replaced by a permissions-only pass: we keep links as
stored and confine them later.

Speed (issue 12): several inputs share one unblob worker pool instead of one pool each;
unblob's padding skip (``read_until_past``, one ``read(1)`` per byte: 4 s on a 4 MiB JFFS2
with erased blocks) is replaced by a block-wise scan with the same result; unblob's
per-candidate debug log lines (and their tracebacks) are written only with ``--debug``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from unblob.processing import ExtractionConfig

PADDING_BLOCK = 64 * 1024


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    from unblob import processing
    from unblob.extractor import fix_permission
    from unblob.extractors import command
    from unblob.processing import ExtractionConfig, process_file
    from unblob.sandbox import Sandbox

    from iotbaseline.extract.unblob_handlers import build_handlers

    command.COMMAND_TIMEOUT = spec["timeout"]

    def keep_links_fix(outdir: Path, task_result: object) -> None:
        if not outdir.exists():
            return
        for path in [outdir, *outdir.rglob("*")]:
            fix_permission(path)

    processing.fix_extracted_directory = keep_links_fix  # type: ignore[attr-defined]
    _keep_symlinks_exact()
    _fast_padding_skip()
    config = ExtractionConfig(
        extract_root=Path(spec["extract_root"]),
        randomness_depth=0,
        max_depth=spec["max_depth"],
        process_num=spec["processes"],
        handlers=build_handlers(),
        keep_extracted_chunks=False,
        verbose=0,
    )
    report = Path(spec["report"])
    log = Path(spec["log"])
    log.touch()
    _quiet_logging(log, debug=bool(spec.get("debug")))
    sandbox = Sandbox(config, log, report)
    inputs = [Path(path) for path in spec["inputs"]]
    if len(inputs) == 1:
        sandbox.run(process_file, config, inputs[0], report)
    else:
        sandbox.run(_process_each, config, inputs, report)
    return 0


def _process_each(config: ExtractionConfig, inputs: list[Path], report: Path) -> None:
    """Several inputs (leftover regions of one image) in one run, one combined report.

    What ``unblob.processing.process_file`` does for one input, with every input's task in
    one worker pool: starting a pool per input (fork, libmagic and hyperscan set-up in each
    worker) cost more than the carving of most small regions."""
    from unblob.models import ProcessResult, Task, TaskResult
    from unblob.pool import make_pool
    from unblob.processing import Processor, write_json_report

    combined = ProcessResult()
    processor = Processor(config)

    def collect(pool: Any, result: TaskResult) -> None:
        for subtask in result.subtasks:
            pool.submit(subtask)
        combined.register(result)

    pool = make_pool(process_num=config.process_num, handler=processor.process_task,
                     result_callback=collect)
    with pool:
        for path in inputs:
            if path.is_file():
                pool.submit(Task(blob_id="", path=path, depth=0))
        pool.process_until_done()
    combined.results.sort(key=_report_order(config, inputs))
    write_json_report(report, combined)


def _report_order(config: ExtractionConfig, inputs: list[Path]) -> Callable[[Any], tuple[int, str]]:
    """Results in input order, then by path: the report (and the partitions and errors taken
    from it) does not depend on which pool worker finished first."""
    owners = [(str(path), str(config.get_extract_dir_for(path))) for path in inputs]

    def key(result: Any) -> tuple[int, str]:
        path = str(result.task.path)
        for index, (source, extracted) in enumerate(owners):
            if path == source or path == extracted or path.startswith(extracted + "/"):
                return index, path
        return len(owners), path

    return key


def read_until_past(file: Any, pattern: bytes) -> int:
    """unblob's ``file_utils.read_until_past`` contract, read block-wise: the offset of the
    first byte from the current position that is not in ``pattern`` (the end of the file if
    none), with the file left just past that byte (at the end if none)."""
    while True:
        block = file.read(PADDING_BLOCK)
        if not block:
            return int(file.tell())
        rest = block.lstrip(pattern)
        if rest:
            offset = int(file.tell()) - len(rest)
            file.seek(offset + 1)
            return offset


def _fast_padding_skip() -> None:
    """unblob's ``read_until_past`` reads one byte per call; on a JFFS2 partition with erased
    (0xff) blocks that is millions of calls (4 s for one 4 MiB partition). Ours gives the same
    answers (``tests/extract/test_extract_speed.py`` compares them)."""
    from unblob import file_utils
    from unblob.handlers.compression import xz
    from unblob.handlers.executable import elf
    from unblob.handlers.filesystem import jffs2, romfs, yaffs

    for module in (file_utils, xz, elf, jffs2, romfs, yaffs):
        module.read_until_past = read_until_past  # type: ignore[attr-defined]


def _keep_symlinks_exact() -> None:
    """unblob's FileSystem rewrites absolute link targets; create them as stored instead.

    Safe because FileSystem resolves every later write path and redirects any that would
    leave the output directory, so a link is never written through to the outside."""
    from unblob.file_utils import FileSystem

    def create_symlink(self: FileSystem, src: Path, dst: Path) -> None:
        target = self._get_extraction_path(dst, "create_symlink")
        if target.is_symlink() or target.exists():
            return
        self._ensure_parent_dir(target)
        target.symlink_to(src)

    FileSystem.create_symlink = create_symlink  # type: ignore[method-assign]


def _quiet_logging(log: Path, debug: bool) -> None:
    """unblob's log file: warnings and errors; everything (each candidate offset a handler
    rejected, with its traceback) only when our ``--debug`` is on."""
    import logging

    import structlog
    from unblob.logging import configure_logger

    configure_logger(verbosity_level=0, extract_root=log.parent, log_path=log)
    level = logging.DEBUG if debug else logging.INFO
    # bound loggers kept after first use: no re-binding of unblob's module loggers per call
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level),
                        cache_logger_on_first_use=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
