"""The main job: image → extract → inventory → checks → SBOM → CVEs → assessment → reports.

Each stage runs under ``_Stages.run`` which times it and turns a crash into an ``AnalysisError``
in the assessment (the later stages still run on what is sound). Only an unusable input (a path
that does not exist or cannot be read) stops the scan; the CLI maps that to exit code 2.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from iotbaseline import __version__
from iotbaseline.model import (
    AnalysisError,
    Assessment,
    CheckOutcome,
    Component,
    ExtractionResult,
    Finding,
    Inventory,
    Observation,
    ProbeResult,
    RunInfo,
    Target,
    ToolInfo,
)

T = TypeVar("T")

ALL_FORMATS = ("json", "html", "sarif", "cyclonedx", "ics", "extraction")


@dataclass(frozen=True)
class ScanOptions:
    out_dir: Path
    profile: Path | None = None
    catalogs: tuple[str, ...] = ()  # empty: every catalog
    probe_results: Path | None = None
    stream_results: Path | None = None  # stream.json from `iotbaseline stream`
    db_path: Path | None = None
    use_db: bool = True
    formats: tuple[str, ...] = ALL_FORMATS
    jobs: int | None = None
    show_secrets: bool = False
    crack_seconds: float = 10.0
    vex: Path | None = None  # OpenVEX / CycloneDX VEX statements of the maker (vulns/vex.py)
    limits: Any = None  # iotbaseline.extract.limits.Limits
    mounts: tuple[str, ...] | dict[str, str] = ()  # "PART=/path" (--mount) or {PART: /path}


class InputError(Exception):
    """The input cannot be analysed at all (missing, unreadable). Exit code 2."""


@dataclass
class ScanResult:
    assessment: Assessment
    written: dict[str, Path] = field(default_factory=dict)
    input_problem: str | None = None  # set when the input was corrupt/unknown (exit 2)
    db_available: bool = False


class _Stages:
    """Times each stage and records its failure instead of aborting the scan."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.seconds: dict[str, float] = {}
        self.errors: list[AnalysisError] = []
        self._progress = progress
        self.part: str | None = None  # the input the stages work on, named in their errors

    def run(self, name: str, fn: Callable[[], T], default: T) -> T:
        if self._progress:
            self._progress(name)
        started = time.perf_counter()
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - a crashing stage is recorded, later stages still run
            from iotbaseline.errors import record_exception

            # one line in the reports; the traceback goes to the --debug log only
            self.errors.append(record_exception(name, exc, part=self.part).as_analysis_error())
            return default
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 4)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _target(path: Path) -> Target:
    if path.is_dir():
        return Target(name=path.name, kind="directory", path=str(path))
    return Target(name=path.name, kind="image", path=str(path), sha256=_sha256(path), size=path.stat().st_size)


def _load_probe(path: Path | None) -> ProbeResult | None:
    if path is None:
        return None
    from pydantic import ValidationError

    try:
        return ProbeResult.model_validate_json(path.read_text())
    except ValidationError as exc:  # one line: the first problems, not pydantic's multi-line text
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise InputError(f"{path}: not a readable probe.json ({problems})") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable probe.json ({exc})") from exc


def _with_stream_results(probe: ProbeResult | None, path: Path | None) -> ProbeResult | None:
    """stream.json's observations, findings and outcomes join the probe's (same shapes), so
    the assessment takes stream verdicts exactly as it takes live-probe results."""
    if path is None:
        return probe
    from iotbaseline.stream.run import load_stream_report
    from iotbaseline.stream.tracks import StreamInputError

    try:
        streams = load_stream_report(path)
    except StreamInputError as exc:
        raise InputError(str(exc)) from exc
    merged = probe or ProbeResult(target=str(path), address="", started=streams.started)
    return merged.model_copy(update={
        "observations": [*merged.observations, *streams.observations],
        "findings": [*merged.findings, *streams.findings],
        "outcomes": [*merged.outcomes, *streams.outcomes],
        "errors": [*merged.errors, *(f"stream: {e}" for e in streams.errors)],
    })


def _check_catalogs(ids: tuple[str, ...]) -> None:
    from iotbaseline.catalog.loader import CATALOG_IDS

    unknown = [c for c in ids if c not in CATALOG_IDS]
    if unknown:
        raise InputError(f"unknown catalog {', '.join(map(repr, unknown))}; "
                         f"known catalogs: {', '.join(CATALOG_IDS)}")


_REPORT_FILES = ("extraction.json", "assessment.json", "report.html", "results.sarif", "sbom.cdx.json",
                 "ics.md", "ics.csv")


def _read_vex(path: Path | None) -> list[Any]:
    if path is None:
        return []
    from iotbaseline.vulns.vex import VexError, read_vex

    try:
        return list(read_vex(path))
    except VexError as exc:
        raise InputError(str(exc)) from exc


def _check_paths_apart(source: Path, out: Path) -> None:
    """The reports must not become part of the scanned tree, and the tree this scan replaces
    must not be the input."""
    src, dst = source.resolve(), out.resolve()
    if source.is_dir() and (dst == src or src in dst.parents):
        raise InputError(f"{out}: the output directory is inside the scanned directory {source}; "
                         "its reports would be scanned as firmware files — choose another -o")
    work = dst / "extracted"
    if src == work or work in src.parents:
        raise InputError(f"{source}: lies inside {out / 'extracted'}, which this scan replaces; "
                         "copy it elsewhere or choose another -o")


def _prepare_out_dir(out: Path) -> None:
    """Create the output directory, and remove the previous run's ``extracted`` tree: unblob will
    not extract over it, and its stale files would sit beside the new image's."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: output path exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the output directory ({exc.strerror})") from exc
    work = out / "extracted"
    if not work.exists() and not work.is_symlink():
        return
    ours = any((out / name).is_file() for name in _REPORT_FILES)
    if work.is_symlink() or not work.is_dir() or not ours:
        raise InputError(f"{work}: exists but is not the tree of a previous scan "
                         "(no report of ours beside it); remove it or choose another -o")
    if work.exists():
        try:
            shutil.rmtree(work)
        except OSError as exc:
            raise InputError(f"{work}: cannot remove the previous scan's tree ({exc})") from exc


def _load_profile(path: Path | None) -> Any:
    if path is None:
        return None
    from iotbaseline.assess.profile import ProfileError, load_profile

    try:
        return load_profile(path)
    except ProfileError as exc:
        raise InputError(str(exc)) from exc


def run_scan(source: Path | Sequence[Path], options: ScanOptions,
             progress: Callable[[str], None] | None = None) -> ScanResult:
    """Run every stage on ``source`` and write the reports into ``options.out_dir``. Several
    paths, or a directory of partition dumps, are analysed as the partitions of one device."""
    sources = [source] if isinstance(source, Path) else [Path(s) for s in source]
    if not sources:
        raise InputError("no input given")
    for path in sources:
        _check_readable(path)
    parts = _partition_inputs(sources)
    source = sources[0]
    _check_mounts(options.mounts, parts)
    profile = _load_profile(options.profile)
    probe = _load_probe(options.probe_results)
    probe = _with_stream_results(probe, options.stream_results)
    _check_catalogs(options.catalogs)
    _read_vex(options.vex)  # a bad VEX file is a usage error before any work
    if options.use_db and options.db_path is not None and not options.db_path.is_file():
        # named explicitly, so a typo or a failed cache restore must not pass a CI gate silently
        raise InputError(f"{options.db_path}: no vulnerability database there (run 'iotbaseline db "
                         "import' or 'db update', or scan with --no-db)")
    out = options.out_dir
    _check_paths_apart(source, out)
    _prepare_out_dir(out)
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    stages = _Stages(progress)
    target = _target(source) if parts is None else _device_target(source, parts)
    stages.part = target.name
    branch = _ComponentsBranch(options)
    try:
        return _run_stages(source, options, profile, probe, started, stages, target, branch, parts)
    finally:
        branch.close()


def _run_stages(
    source: Path,
    options: ScanOptions,
    profile: Any,
    probe: ProbeResult | None,
    started: str,
    stages: _Stages,
    target: Target,
    branch: _ComponentsBranch,
    parts: list[Path] | None = None,
) -> ScanResult:
    out = options.out_dir

    from iotbaseline.extract import extract_image

    extraction: ExtractionResult = stages.run(
        "extract",
        lambda: _extract(source, parts, options, out / "extracted"),
        ExtractionResult(input=str(source), work_dir=str(out / "extracted")),
    )

    from iotbaseline.inventory.builder import build_inventory
    from iotbaseline.inventory.index import FileIndex

    inventory: Inventory = stages.run(
        "inventory", lambda: build_inventory(list(extraction.roots), jobs=options.jobs), Inventory()
    )
    from iotbaseline.analysis.partitions import attribute_files
    from iotbaseline.analysis.platform import detect_platform, rtos_images

    attribute_files(inventory, extraction)
    extraction.platform = stages.run(
        "platform", lambda: detect_platform(extraction, inventory, parts or [source]), None)
    # an RTOS kernel is a flat binary: the string checks search it
    extraction.flat_images += rtos_images(extraction)
    index = FileIndex(inventory, flat_images=list(extraction.flat_images))

    from iotbaseline.checks.context import CheckContext, CheckOptions
    from iotbaseline.checks.runner import run_checks

    ctx = CheckContext(
        index=index,
        platform=extraction.platform,
        options=CheckOptions(show_secrets=options.show_secrets, crack_seconds=options.crack_seconds, jobs=options.jobs),
    )
    # The checks and the components branch (SBOM → CVEs → CycloneDX) read only the index, so
    # the components branch runs in a forked process while the checks run here.
    branch.start(index, _carved_blobs(source, extraction, parts), target, options)
    no_checks: tuple[list[CheckOutcome], list[Finding], dict[str, Any]] = ([], [], {})
    outcomes, findings, inferred = stages.run("checks", lambda: run_checks(ctx), no_checks)
    outcomes = list(outcomes)
    findings = list(findings)
    from iotbaseline.catalog.loader import load_catalogs

    # while the components branch finishes: the catalogs the assessment needs (cached)
    no_catalogs: dict[str, Any] = {}
    stages.run("catalogs", lambda: load_catalogs(list(options.catalogs) or None), no_catalogs)
    parts = branch.result(stages)
    findings.extend(parts.findings)
    outcomes.extend(parts.outcomes)
    components, db_info = parts.components, parts.db_info

    observations: list[Observation] = []
    if probe is not None:
        observations = list(probe.observations)
        findings.extend(probe.findings)
        outcomes.extend(probe.outcomes)

    assessment = stages.run(
        "assess",
        lambda: _assess(target, profile, options, extraction, findings, outcomes, observations, components, inferred),
        None,
    )
    if assessment is None:  # the engine crashed: still write what we have
        assessment = Assessment(
            tool=ToolInfo(version=__version__), target=target, extraction=extraction,
            findings=findings, outcomes=outcomes, observations=observations, components=components,
            inferred=inferred,
        )
    from iotbaseline.errors import one_line

    # one line each, whatever a tool wrote (no traceback text in any report)
    for e in extraction.errors:
        e.message = one_line(e.message) or e.message[:300]
    assessment.errors.extend(
        AnalysisError(stage="extract", message=e.message, path=e.path) for e in extraction.errors
    )
    assessment.run = RunInfo(
        started=started,
        options=_options_record(options),
        catalogs=assessment.run.catalogs,
        vulnerability_db=db_info,
        stage_seconds=stages.seconds,
    )
    if db_info is None and options.use_db:
        assessment.errors.append(
            AnalysisError(stage="vulns", message="no vulnerability database: components were not matched against CVEs")
        )
    written = _write_reports(assessment, options, stages, parts.sbom)
    assessment.errors.extend(stages.errors)
    assessment.run.stage_seconds = stages.seconds
    # assessment.json last, so it records the report stage's time and errors too
    if "json" in options.formats:
        path = out / "assessment.json"
        path.write_text(assessment.to_json(show_secrets=options.show_secrets))
        written["json"] = path
    problem = None
    if not extraction.roots and not extraction.flat_images and not source.is_dir():
        reasons = "; ".join(e.message for e in extraction.errors[:2]) or "no filesystem or known format found"
        problem = f"{target.name}: nothing could be extracted ({reasons})"
    return ScanResult(assessment=assessment, written=written, input_problem=problem, db_available=db_info is not None)


def _check_readable(source: Path) -> None:
    if not source.exists():
        raise InputError(f"{source}: no such file or directory")
    if source.is_file():
        try:
            with source.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise InputError(f"{source}: cannot be read ({exc.strerror})") from exc


def _partition_inputs(sources: list[Path]) -> list[Path] | None:
    """The partition dumps of one device (several files, or a directory of dumps), else None."""
    from iotbaseline.analysis.partitions import partition_inputs

    if len(sources) == 1:
        return partition_inputs(sources[0]) if sources[0].is_dir() else None
    for path in sources:
        if not path.is_file():
            raise InputError(f"{path}: several inputs must all be partition dump files")
    return sources


def _check_mounts(mounts: tuple[str, ...] | dict[str, str], parts: list[Path] | None) -> None:
    from iotbaseline.analysis.partitions import PartitionError, parse_mount_options

    if mounts and parts is None:
        raise InputError("--mount applies to several partition inputs (or a directory of dumps)")
    try:
        parse_mount_options(mounts, [p.name for p in parts or []])
    except PartitionError as exc:
        raise InputError(str(exc)) from exc


def _device_target(source: Path, parts: list[Path]) -> Target:
    name = source.name if source.is_dir() else " + ".join(p.name for p in parts)
    return Target(name=name, kind="partitions", path=str(source),
                  size=sum(p.stat().st_size for p in parts))


def _extract(source: Path, parts: list[Path] | None, options: ScanOptions, work: Path) -> ExtractionResult:
    """One image (an app partition without /etc is analysed, not refused), or the partitions
    of one device merged into one tree."""
    from iotbaseline.analysis.partitions import PartitionError, adopt_partitions, extract_device
    from iotbaseline.extract import extract_image

    if parts is None:
        result = extract_image(source, work, options.limits)
        adopt_partitions(result)
        return result
    try:
        return extract_device(parts, work, options.limits, options.mounts,
                              label=source.name if source.is_dir() else None)
    except PartitionError as exc:
        raise InputError(str(exc)) from exc


def _carved_blobs(source: Path, extraction: ExtractionResult, parts: list[Path] | None = None) -> list[Path]:
    """Files outside the roots that the SBOM searches for a kernel banner: the blobs the
    extractor carved and decompressed (a kernel), else the image itself."""
    if parts is not None:
        from iotbaseline.analysis.platform import decompressed_blobs

        return decompressed_blobs(extraction) or list(parts)
    work = Path(extraction.work_dir)
    carved = [
        work / c.extracted_to
        for c in extraction.chunks
        if c.extracted_to and (work / c.extracted_to).is_file() and not (work / c.extracted_to).is_symlink()
    ]
    if carved:
        return carved
    return [source] if source.is_file() else []


def _options_record(options: ScanOptions) -> dict[str, Any]:
    return {
        "profile": str(options.profile) if options.profile else None,
        "catalogs": list(options.catalogs),
        "probe_results": str(options.probe_results) if options.probe_results else None,
        "stream_results": str(options.stream_results) if options.stream_results else None,
        "db": str(options.db_path) if options.db_path else None,
        "formats": list(options.formats),
        "jobs": options.jobs,
        "crack_seconds": options.crack_seconds,
        "vex": str(options.vex) if options.vex else None,
    }


def _match_vulns(
    components: list[Component], index: Any, options: ScanOptions
) -> tuple[dict[str, Any] | None, list[Component]]:
    """Attach CVEs when a vulnerability database exists; say so when it does not."""
    if not options.use_db:
        return None, components
    from iotbaseline.vulns.db import VulnDatabase, default_db_path
    from iotbaseline.vulns.matcher import match_components

    path = options.db_path or default_db_path()
    if not Path(path).exists():
        return None, components
    db = VulnDatabase.open(Path(path))
    try:
        info = db.info()
        if not info.get("total", info.get("records", 1)):
            return None, components
        from iotbaseline.sbom.identify import runtime_components
        from iotbaseline.vulns.kernel import read_kernel_config

        kernel_config = read_kernel_config(index)
        runtime = runtime_components(components)
        matched = {c.ref: c for c in match_components(runtime, db, kernel_config=kernel_config)}
        return info, [matched.get(c.ref, c) for c in components]
    finally:
        db.close()


def _assess(
    target: Target,
    profile: Any,
    options: ScanOptions,
    extraction: ExtractionResult,
    findings: list[Finding],
    outcomes: list[CheckOutcome],
    observations: list[Observation],
    components: list[Component],
    inferred: dict[str, Any],
) -> Assessment:
    from iotbaseline.assess.engine import build_assessment
    from iotbaseline.catalog.loader import load_catalogs

    catalogs = load_catalogs(list(options.catalogs) or None)
    return build_assessment(
        catalogs, profile, findings, outcomes, observations, components, inferred,
        target=target, extraction=extraction,
    )


def _write_reports(
    assessment: Assessment, options: ScanOptions, stages: _Stages, sbom: bytes | None
) -> dict[str, Path]:
    from iotbaseline.report.formats import ReportFormat, write_all

    prerendered = {ReportFormat.CYCLONEDX: sbom} if sbom is not None else {}
    return stages.run(
        "report",
        lambda: write_all(assessment, options.out_dir, options.formats,
                          show_secrets=options.show_secrets, prerendered=prerendered),
        {},
    )


@dataclass
class _ComponentsPart:
    components: list[Component]
    db_info: dict[str, Any] | None
    findings: list[Finding]
    outcomes: list[CheckOutcome]
    sbom: bytes | None
    seconds: dict[str, float]
    errors: list[AnalysisError]


def _components_branch(index: Any, blobs: list[Path], target: Target, options: ScanOptions) -> _ComponentsPart:
    """SBOM → CVE matching → vulnerability findings → CycloneDX, each stage timed and guarded."""
    from iotbaseline.sbom.identify import identify_components

    stages = _Stages(None)
    components: list[Component] = stages.run(
        "sbom", lambda: identify_components(index, extra_blobs=blobs), []
    )
    unmatched: tuple[dict[str, Any] | None, list[Component]] = (None, components)
    db_info, components = stages.run("vulns", lambda: _match_vulns(components, index, options), unmatched)
    findings: list[Finding] = []
    outcomes: list[CheckOutcome] = []
    if options.vex is not None and db_info is not None:
        from iotbaseline.vulns.vex import apply_vex

        components, suppressed = apply_vex(components, _read_vex(options.vex))
        db_info = {**db_info, "vex": {"file": str(options.vex), "suppressed": suppressed}}
    from iotbaseline.vulns.findings import component_findings

    findings, outcomes = stages.run(
        "vuln-findings", lambda: component_findings(components, matched=db_info is not None),
        (findings, outcomes),
    )
    sbom: bytes | None = None
    if "cyclonedx" in options.formats:  # the slowest renderer (cyclonedx-python-lib): done here
        from iotbaseline.sbom.cyclonedx import render_cyclonedx

        sbom = stages.run("sbom-render", lambda: render_cyclonedx(components, target).encode(), None)
    return _ComponentsPart(components, db_info, list(findings), list(outcomes), sbom,
                           stages.seconds, stages.errors)


class _ComponentsBranch:
    """Runs ``_components_branch`` in a forked worker when there is a second core, else inline.

    Forked once the inventory is built, so the worker inherits the index and nothing is
    re-read. (A worker started earlier to pre-import its modules was measured slower: its
    imports compete with extraction on a 2-core machine.) A worker that dies is reported and
    its work re-run in-process."""

    def __init__(self, options: ScanOptions) -> None:
        self._pool: Any = None
        self._future: Any = None
        self._args: tuple[Any, ...] = ()

    def start(self, index: Any, blobs: list[Path], target: Target, options: ScanOptions) -> None:
        import multiprocessing
        import os
        from concurrent.futures import ProcessPoolExecutor

        self._args = (index, blobs, target, options)
        jobs = options.jobs or os.cpu_count() or 1
        if jobs >= 2 and "fork" in multiprocessing.get_all_start_methods():
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            self._future = self._pool.submit(_components_branch, *self._args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def result(self, stages: _Stages) -> _ComponentsPart:
        part: _ComponentsPart | None = None
        if self._future is not None:
            try:
                part = self._future.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker is re-run in-process
                stages.errors.append(AnalysisError(stage="components", message=f"worker failed ({exc}); re-ran in-process"))
        self.close()
        if part is None:
            part = _components_branch(*self._args)
        stages.seconds.update(part.seconds)
        stages.errors.extend(part.errors)
        return part
