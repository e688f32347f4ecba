"""Run the Atheris harnesses for a bounded time each and report executions and crashes.

    python fuzz/run.py [--seconds N] [--work DIR] [--json FILE] [NAME ...]

Each harness runs in its own child process (``--child NAME``, Atheris with coverage only
for ``iotbaseline``), one at a time, for ``--seconds`` (default ``$FUZZ_SECONDS`` or 60).
Seeds are built from ``$IOTBASELINE_CORPUS`` into ``WORK/NAME/seeds`` the first time; the
growing corpus stays in ``WORK/NAME/corpus`` and crashing inputs in ``WORK/NAME/crashes``.
After a crash the harness restarts for the rest of its time, so one bug does not hide the
next. Exit status 1 when any harness crashed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_WORK = HERE.parent / "build" / "fuzz"
_RUNS = re.compile(rb"^#(\d+)\t", re.MULTILINE)
_DONE = re.compile(rb"Done (\d+) runs in")
_EXCEPTION = re.compile(rb"=== Uncaught Python exception: ===\n(.*?)\n(?:Traceback|$)", re.DOTALL)


@dataclass
class HarnessRun:
    name: str
    seconds: float = 0.0
    executions: int = 0
    crashes: list[str] = field(default_factory=list)  # crash file names
    causes: list[str] = field(default_factory=list)  # first line of each crash
    seeds: int = 0


def child(name: str, libfuzzer_args: list[str]) -> None:
    """The fuzzing process itself: instrument our package, then hand over to libFuzzer."""
    import atheris

    sys.path.insert(0, str(HERE))
    with atheris.instrument_imports(include=["iotbaseline"]):
        from harnesses import by_name

        one_input = by_name(name).guarded()
    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()


def build_seeds(name: str, seeds_dir: Path, work: Path) -> int:
    sys.path.insert(0, str(HERE))
    from harnesses import by_name

    if seeds_dir.is_dir() and any(seeds_dir.iterdir()):
        return len(list(seeds_dir.iterdir()))
    seeds_dir.mkdir(parents=True, exist_ok=True)
    corpus = os.environ.get("IOTBASELINE_CORPUS")
    count = 0
    if corpus and Path(corpus).is_dir():
        harness = by_name(name)
        for data in harness.seeds(Path(corpus), work):
            data = data[: harness.max_len]
            (seeds_dir / hashlib.sha1(data).hexdigest()).write_bytes(data)
            count += 1
    else:
        print(f"fuzz: IOTBASELINE_CORPUS not set: {name} starts without seeds", file=sys.stderr)
    return count


def fuzz_one(name: str, seconds: float, work: Path) -> HarnessRun:
    sys.path.insert(0, str(HERE))
    from harnesses import by_name

    harness = by_name(name)
    base = work / name
    seeds_dir, corpus_dir, crash_dir = base / "seeds", base / "corpus", base / "crashes"
    for directory in (corpus_dir, crash_dir):
        directory.mkdir(parents=True, exist_ok=True)
    run = HarnessRun(name, seeds=build_seeds(name, seeds_dir, work))
    started = time.monotonic()
    while (remaining := seconds - (time.monotonic() - started)) >= 1:
        before = set(os.listdir(crash_dir))
        args = [str(corpus_dir), str(seeds_dir), f"-max_total_time={int(remaining)}",
                f"-max_len={harness.max_len}", f"-artifact_prefix={crash_dir}/",
                "-timeout=20", "-rss_limit_mb=2048", "-print_final_stats=1",
                *harness.extra_args]
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", name,
                               *args], capture_output=True, check=False,
                              preexec_fn=_nice)
        output = proc.stderr + proc.stdout
        done = _DONE.findall(output)
        counts = [int(n) for n in (done or _RUNS.findall(output))]
        run.executions += max(counts, default=0)
        new = sorted(set(os.listdir(crash_dir)) - before)
        run.crashes += new
        if new:
            cause = _EXCEPTION.search(output)
            run.causes.append(cause.group(1).decode("utf-8", "replace").strip()[:300]
                              if cause else output.decode("utf-8", "replace")[-300:])
            (crash_dir / f"{new[0]}.log").write_bytes(output[-20000:])
        elif proc.returncode != 0 and not _EXCEPTION.search(output):
            run.causes.append(f"exit {proc.returncode}: "
                              + output.decode("utf-8", "replace").strip()[-300:])
            break
        else:
            break
    run.seconds = round(time.monotonic() - started, 1)
    return run


def _nice() -> None:
    os.nice(int(os.environ.get("FUZZ_NICE", "0")))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(argv[1], argv[2:])
        return 0
    sys.path.insert(0, str(HERE))
    from harnesses import HARNESSES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="harnesses to run (default: all)")
    parser.add_argument("--seconds", type=float,
                        default=float(os.environ.get("FUZZ_SECONDS", "60")))
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("FUZZ_WORK", DEFAULT_WORK)))
    parser.add_argument("--json", type=Path, help="write the per-harness figures here")
    args = parser.parse_args(argv)
    known = [h.name for h in HARNESSES]
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown harness {', '.join(unknown)}; known: {', '.join(known)}")
    runs = []
    print(f"{'harness':<14}{'seconds':>9}{'executions':>12}{'crashes':>9}  seeds")
    for name in args.names or known:
        run = fuzz_one(name, args.seconds, args.work.resolve())
        runs.append(run)
        print(f"{run.name:<14}{run.seconds:>9}{run.executions:>12}{len(run.crashes):>9}  "
              f"{run.seeds}", flush=True)
        for cause in run.causes:
            print(f"    {cause.splitlines()[0] if cause else '?'}", flush=True)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2))
    return 1 if any(r.crashes or r.causes for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
