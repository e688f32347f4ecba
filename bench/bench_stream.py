"""Benchmark: `iotbaseline stream` on a 100 MB H.264 recording (goal ≥ 50 MB/s on one core).

The recording is generated here: 10 s of 1280x720 test pattern encoded by FFmpeg/x264 at
~8 Mbit/s, its Annex B stream repeated to 100 MB (a valid stream: each copy starts with its
SPS/PPS and an IDR picture). Measures analysis of the clear and of the pattern-protected
recording, with and without --key, and `stream protect`. Prints medians; asserts nothing."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGET = 100 * 1000 * 1000
KEY = bytes(range(16))


def make_recording(folder: Path) -> Path:
    clip = folder / "clip.h264"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=1280x720:rate=25", "-t", "10", "-c:v", "libx264", "-preset",
                    "ultrafast", "-b:v", "8M", "-g", "50", "-f", "h264", str(clip)], check=True)
    data = clip.read_bytes()
    path = folder / "recording.h264"
    with path.open("wb") as fh:
        written = 0
        while written < TARGET:
            fh.write(data)
            written += len(data)
    return path


def median_seconds(fn: object) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    from iotbaseline.stream.pattern import PatternCipher, protect_annexb
    from iotbaseline.stream.run import analyse_streams

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clear = make_recording(folder)
        size = clear.stat().st_size
        protected = folder / "protected.h264"
        cipher = PatternCipher(KEY)
        seconds = median_seconds(lambda: protected.write_bytes(
            protect_annexb(clear.read_bytes(), cipher)))
        print(f"recording: {size / 1e6:.1f} MB H.264 1280x720, {RUNS} runs, one core")
        print(f"protect:                    {seconds:6.2f} s  {size / 1e6 / seconds:7.1f} MB/s")
        for label, path, key in (("analyse clear", clear, None),
                                 ("analyse protected", protected, None),
                                 ("analyse protected --key", protected, KEY)):
            verdicts: list[str] = []

            def run(path: Path = path, key: bytes | None = key) -> None:
                report = analyse_streams([path], key)
                verdicts[:] = [s.verdict.value for s in report.streams]

            seconds = median_seconds(run)
            print(f"{label + ':':28}{seconds:6.2f} s  {size / 1e6 / seconds:7.1f} MB/s  {verdicts}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
