"""The stream stage: files in, one ``StreamReport`` (``stream.json``) out."""

from __future__ import annotations

import datetime as _dt
import hashlib
import time
from pathlib import Path

from iotbaseline.model import (
    CheckOutcome,
    Evidence,
    Finding,
    Location,
    Observation,
    OutcomeStatus,
)
from iotbaseline.stream.audio import byte_entropy, ciphertext_threshold
from iotbaseline.stream.capture import is_capture, read_capture
from iotbaseline.stream.classify import classify
from iotbaseline.stream.files import MAX_INPUT, read_recording
from iotbaseline.stream.model import StreamAnalysis, StreamReport, StreamVerdict
from iotbaseline.stream.pattern import PatternCipher
from iotbaseline.stream.specs import STREAM_CLEAR
from iotbaseline.stream.tracks import OpaqueFlow, StreamInputError, Track


def read_input(path: Path) -> tuple[str, list[Track], bytes]:
    """(format, tracks, bytes) of one input; a file of pure ciphertext is one opaque flow."""
    try:
        if path.stat().st_size > MAX_INPUT:
            raise StreamInputError(f"{path}: larger than {MAX_INPUT >> 30} GiB")
        data = path.read_bytes()
    except OSError as exc:
        raise StreamInputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if not data:
        raise StreamInputError(f"{path}: empty file")
    if is_capture(data):
        return "capture", read_capture(path, data), data
    try:
        tracks: list[Track] = [*read_recording(path, data)]
        return "recording", tracks, data
    except StreamInputError:
        sample = data[:1 << 20]
        if len(sample) >= 4096 and byte_entropy(sample) >= ciphertext_threshold(len(sample)):
            flow = OpaqueFlow(f"{path.name}#0", str(path), "ciphertext", "none", len(data), 1, 0,
                              facts={"entropy_bits_per_byte": round(byte_entropy(sample), 4)})
            return "ciphertext", [flow], data
        raise


def _observation(result: StreamAnalysis) -> Observation:
    return Observation(
        id=f"stream/{result.id}", kind="stream", host=Path(result.source).name,
        protocol=result.codec or result.container,
        summary=f"{result.id}: {result.verdict.value} ({result.basis}): {result.reason}",
        data={"verdict": result.verdict.value, "basis": result.basis, **result.facts},
        provisions=list(STREAM_CLEAR.provisions))


def _finding(number: int, result: StreamAnalysis) -> Finding:
    spec = STREAM_CLEAR
    return Finding(
        id=f"{spec.id}#{number}", check=spec.id, title=spec.title, severity=spec.severity,
        provisions=list(spec.provisions),
        message=f"{result.kind} stream {result.id} ({result.codec}, {result.container}) is "
                f"CLEAR: {result.reason}",
        location=Location(path=result.source, offset=result.first_offset,
                          protocol=result.codec),
        evidence=[Evidence(kind="observation", ref=f"stream/{result.id}", detail=result.reason)],
        remedy=spec.remedy, cwe=list(spec.cwe), properties={"stream": result.id})


def _outcome(results: list[StreamAnalysis], findings: list[Finding]) -> CheckOutcome:
    spec = STREAM_CLEAR
    evidence = [Evidence(kind="observation", ref=f"stream/{r.id}",
                         detail=f"{r.verdict.value}: {r.reason}"[:300]) for r in results]
    if findings:
        return CheckOutcome(check=spec.id, title=spec.title, status=OutcomeStatus.FAIL,
                            provisions=list(spec.provisions), evidence=evidence,
                            findings=[f.id for f in findings],
                            summary=f"{len(findings)} of {len(results)} stream(s) in the clear")
    if results:
        return CheckOutcome(check=spec.id, title=spec.title, status=OutcomeStatus.PASS,
                            provisions=list(spec.provisions), evidence=evidence,
                            summary=f"all {len(results)} stream(s) protected")
    return CheckOutcome(check=spec.id, title=spec.title, status=OutcomeStatus.NOT_APPLICABLE,
                        provisions=list(spec.provisions), summary="no stream was analysed")


def analyse_streams(paths: list[Path], key: bytes | None = None,
                    iv: bytes | None = None) -> StreamReport:
    """Every elementary stream of every input with its verdict. An unreadable input is an
    error line in the report; the others are still analysed."""
    started = time.perf_counter()
    report = StreamReport(started=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    cipher = PatternCipher(key, iv or bytes(16)) if key is not None else None
    for path in paths:
        try:
            fmt, tracks, data = read_input(path)
        except StreamInputError as exc:
            report.errors.append(str(exc))
            continue
        report.inputs.append({"path": str(path), "size": len(data), "format": fmt,
                              "sha256": hashlib.sha256(data).hexdigest()})
        del data
        for track in tracks:
            try:
                report.streams.append(classify(track, cipher))
            except StreamInputError as exc:
                report.errors.append(str(exc))
    report.observations = [_observation(r) for r in report.streams]
    clear = [r for r in report.streams if r.verdict == StreamVerdict.CLEAR]
    report.findings = [_finding(n, r) for n, r in enumerate(clear, start=1)]
    report.outcomes = [_outcome(report.streams, report.findings)]
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def load_stream_report(path: Path) -> StreamReport:
    """stream.json back, or ``StreamInputError`` with one line saying what is wrong."""
    from pydantic import ValidationError

    try:
        return StreamReport.model_validate_json(path.read_text())
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
                             for e in exc.errors()[:3])
        raise StreamInputError(f"{path}: not a readable stream.json ({problems})") from exc
    except (OSError, ValueError) as exc:
        raise StreamInputError(f"{path}: not a readable stream.json ({exc})") from exc
