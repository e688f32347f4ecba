"""Run unblob (in ``unblob_worker``) under our bounds and turn its report into our models.

The parent watches the output directory while the worker runs: total bytes (the byte
budget from ``Limits``), entry count and wall time. Reaching one stops the worker's whole
process group; what was extracted so far stays and the bound is reported.
"""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from iotbaseline.errors import debug_enabled, log_debug, one_line
from iotbaseline.extract.limits import Limits
from iotbaseline.extract.sandbox import (
    PreExec,
    SandboxLimits,
    at_file_limit,
    private_tmp,
    worker_env,
)
from iotbaseline.model import Chunk, ExtractionError

POLL_MIN_S = 0.05
POLL_MAX_S = 0.5  # a bomb of many files overshoots the budget by at most this long
MODES_DIR_ENV = "IOTB_MODES_DIR"  # where the worker's SquashFS extractor writes manifests
FILE_LIMIT = "max_file_bytes"  # an extractor was stopped by RLIMIT_FSIZE (what is left of the byte budget)
LIMITS_ENV = "IOTB_LIMITS"  # the Limits, as JSON, for extractors inside the worker


@dataclass
class UnblobRun:
    extract_root: Path
    chunks: list[Chunk] = field(default_factory=list)
    errors: list[ExtractionError] = field(default_factory=list)
    limits_hit: list[str] = field(default_factory=list)
    squashfs_manifests: list[dict[str, Any]] = field(default_factory=list)


def _usage(top: Path) -> tuple[int, int]:
    total = count = 0
    stack = [top]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            count += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total, count


def run_unblob(source: Path | list[Path], work_dir: Path, limits: Limits, input_size: int,
               already_written: int | Callable[[], int] = 0, stop: threading.Event | None = None,
               on_usage: Callable[[int], None] | None = None) -> UnblobRun:
    """unblob on ``source`` (or on each of several files, in one worker and one report).

    ``already_written`` is what other stages wrote, or a function giving it while they are
    still writing; ``on_usage`` is told the worker's output size at every poll (so those stages
    count it too); setting ``stop`` ends the worker (its result is then to be discarded)."""
    others: Callable[[], int] = (already_written if callable(already_written)
                                 else lambda: already_written)
    sources = source if isinstance(source, list) else [source]
    source = sources[0]
    extract_root = work_dir / "unblob"
    modes_dir = work_dir / ".modes"
    modes_dir.mkdir(parents=True, exist_ok=True)
    report = work_dir / ".unblob-report.json"
    report.unlink(missing_ok=True)
    run = UnblobRun(extract_root)
    spec = {
        "inputs": [str(path.resolve()) for path in sources],
        "extract_root": str(extract_root),
        "report": str(report),
        "log": str(work_dir / ".unblob.log"),
        "max_depth": limits.max_depth,
        "timeout": limits.extractor_timeout_s,
        "processes": max(1, min(os.cpu_count() or 1, 4)),
        "debug": debug_enabled(),
    }
    byte_bound, byte_name = limits.byte_budget(input_size)
    remaining = max(byte_bound - others(), 1)
    env = worker_env(dict(os.environ), work_dir)
    env[MODES_DIR_ENV] = str(modes_dir)
    # our extractors inside the worker count against what is left of the whole budget
    env[LIMITS_ENV] = json.dumps(asdict(replace(limits, max_total_bytes=remaining)))
    sandbox = SandboxLimits(file_bytes=remaining, cpu_seconds=math.ceil(limits.extractor_timeout_s))
    # extractors installed with pip (jefferson, ubireader) live beside our interpreter
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "iotbaseline.extract.unblob_worker", json.dumps(spec)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=PreExec(sandbox),
        )
    except OSError as exc:
        run.errors.append(ExtractionError(stage="carve", path=source.name,
                                          message=f"unblob worker could not start: {exc}"))
        return run
    interval = POLL_MIN_S
    stopped: str | None = None
    while proc.poll() is None:
        time.sleep(interval)
        t0 = time.monotonic()
        written, entries = _usage(extract_root)
        interval = max(POLL_MIN_S, min(POLL_MAX_S, (time.monotonic() - t0) * 5))
        if on_usage is not None:
            on_usage(written)
        if stop is not None and stop.is_set():
            _stop(proc)
            if proc.stderr:
                proc.stderr.close()
            shutil.rmtree(private_tmp(work_dir), ignore_errors=True)
            run.errors.append(ExtractionError(stage="carve", path=source.name,
                                              message="unblob stopped: its result is not used"))
            return run
        if written + others() >= byte_bound:  # a file at the FSIZE cap counts too
            stopped = byte_name
            message = f"unblob output exceeded {byte_bound} bytes ({byte_name}); stopped"
        elif entries > limits.max_files:
            stopped = "max_files"
            message = f"unblob output exceeded {limits.max_files} entries; stopped"
        elif time.monotonic() - started > limits.extractor_timeout_s:
            stopped = "extractor_timeout_s"
            message = f"unblob ran longer than {limits.extractor_timeout_s:g} s; stopped"
        if stopped:
            _stop(proc)
            run.limits_hit.append(stopped)
            run.errors.append(ExtractionError(stage="limits", path=source.name, message=message))
            break
    capped = at_file_limit(extract_root, remaining) if not stopped else []
    if capped:
        run.limits_hit.append(byte_name)
        run.errors.append(ExtractionError(
            stage="limits", path=_rel(str(capped[0]), work_dir),
            message=f"a file reached the size limit of {remaining} bytes ({byte_name}); "
                    "its extractor was stopped there"))
    shutil.rmtree(private_tmp(work_dir), ignore_errors=True)
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if not stopped and proc.returncode != 0:
        last = stderr.strip().splitlines()[-1:] or ["no output"]
        run.errors.append(ExtractionError(stage="carve", path=source.name,
                                          message=f"unblob worker failed: {last[0]}"))
    if report.exists() and report.stat().st_size:
        try:
            _read_report(json.loads(report.read_text()), run, work_dir, limits.max_depth)
        except (ValueError, KeyError, TypeError) as exc:
            run.errors.append(ExtractionError(stage="carve", message=f"unblob report unreadable: {exc}"))
    for sidecar in sorted(modes_dir.glob("*.json")):
        try:
            run.squashfs_manifests.append(json.loads(sidecar.read_text()))
        except ValueError:
            continue
    return run


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker's own session: it and its tools
    except ProcessLookupError:
        pass
    proc.wait()


def _rel(path: str | None, work_dir: Path) -> str | None:
    if not path:
        return None
    try:
        return str(Path(path).relative_to(work_dir))
    except ValueError:
        return Path(path).name


def _read_report(results: list[dict[str, Any]], run: UnblobRun, work_dir: Path,
                 max_depth: int) -> None:
    for task_result in results:
        task = task_result.get("task", {})
        depth = int(task.get("depth", 0))
        parent = _rel(task.get("path"), work_dir)
        if depth >= max_depth and "max_depth" not in run.limits_hit:
            run.limits_hit.append("max_depth")
            run.errors.append(ExtractionError(
                stage="limits", path=parent,
                message=f"containers nested deeper than {max_depth} levels were not opened"))
        size = next((r.get("size") for r in task_result.get("reports", [])
                     if r.get("__typename__") == "StatReport"), None)
        for rep in task_result.get("reports", []):
            kind = rep.get("__typename__", "")
            if kind == "ChunkReport":
                problems = list(rep.get("extraction_reports", []))
                if (depth > 0 and not problems and rep.get("start_offset") == 0
                        and rep.get("end_offset") == size
                        and str(rep.get("handler_name", "")).startswith("elf")):
                    continue  # an ELF file of an extracted tree is a file, not a finding
                note = "; ".join(_describe(r) for r in problems)[:2000]
                run.chunks.append(Chunk(start=rep["start_offset"], end=rep["end_offset"],
                                        kind=rep.get("handler_name", "chunk"), depth=depth,
                                        parent=parent, note=note))
                if any(r.get("exit_code") == -signal.SIGXFSZ for r in problems):
                    _hit_file_limit(run)
                for r in problems:
                    run.errors.append(ExtractionError(
                        stage=rep.get("handler_name", "carve"), path=parent,
                        offset=rep["start_offset"], size=rep.get("size"), message=_describe(r)))
            elif kind in ("UnknownChunkReport", "PaddingChunkReport"):
                run.chunks.append(Chunk(start=rep["start_offset"], end=rep["end_offset"],
                                        kind="padding" if kind.startswith("Padding") else "unknown",
                                        depth=depth, parent=parent))
            elif kind.endswith(("Error", "ErrorReport")) or rep.get("severity") == "ERROR":
                run.errors.append(ExtractionError(stage="carve", path=parent, message=_describe(rep)))


def _hit_file_limit(run: UnblobRun) -> None:
    if FILE_LIMIT not in run.limits_hit:
        run.limits_hit.append(FILE_LIMIT)


def _describe(report: dict[str, Any]) -> str:
    """One line for a report entry of unblob (a traceback becomes its exception line; the
    whole entry goes to the --debug log)."""
    kind = report.get("__typename__", "report")
    detail = {k: v for k, v in report.items() if k not in ("__typename__", "severity")}
    log_debug(f"unblob {kind}: {json.dumps(detail, default=str)}")
    if detail.get("exit_code") == -signal.SIGXFSZ:
        return f"{kind}: {detail.get('command', 'extractor')!s:.120} stopped at the file size limit"
    if isinstance(detail.get("stderr"), str):  # unblob stores a tool's stderr base64-encoded
        try:
            detail["stderr"] = base64.b64decode(detail["stderr"], validate=True).decode(
                "utf-8", "replace")
        except ValueError:
            pass
    for key in ("problem", "exception", "stderr", "cmd"):
        if detail.get(key):
            return f"{kind}: {one_line(detail[key])}"
    return f"{kind}: {one_line(json.dumps(detail, default=str))}"
