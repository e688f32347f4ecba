"""Child process that runs unblob on one file (or on each of several) (``python -m iotbaseline.extract.unblob_worker``).

Runs in its own process group so the parent can stop it (and the tools it started) when a
bound is reached, and inside unblob's Landlock sandbox where the kernel offers it, so the
extractors it calls can only write below the work directory. unblob's symlink "fixing"
(which rewrites absolute links) is replaced by a permissions-only pass: we keep links as
stored and confine them later.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


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
    _quiet_logging(log)
    sandbox = Sandbox(config, log, report)
    inputs = [Path(path) for path in spec["inputs"]]
    if len(inputs) == 1:
        sandbox.run(process_file, config, inputs[0], report)
    else:
        sandbox.run(_process_each, config, inputs, report)
    return 0


def _process_each(config: object, inputs: list[Path], report: Path) -> None:
    """Several inputs (leftover regions of one image) in one run, one combined report."""
    from unblob.models import ProcessResult
    from unblob.processing import process_file, write_json_report

    combined = ProcessResult()
    for path in inputs:
        for task_result in process_file(config, path).results:  # type: ignore[arg-type]
            combined.register(task_result)
    write_json_report(report, combined)


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


def _quiet_logging(log: Path) -> None:
    from unblob.logging import configure_logger

    configure_logger(verbosity_level=0, extract_root=log.parent, log_path=log)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
