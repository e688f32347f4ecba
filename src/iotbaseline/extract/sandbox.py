"""OS limits for the extraction worker, so a bound holds even inside code we do not control.

unblob's handlers and the external tools they start (7z, jefferson, ubireader, zstd …)
write where and as much as they like; watching the output from the parent is too slow
for a bomb that decompresses at GB/s. The worker therefore starts under kernel limits that
its children inherit across ``exec``:

* ``RLIMIT_FSIZE``: no single file may grow past the remaining byte budget; SIGXFSZ is
  ignored so a write fails with EFBIG (that extractor stops, the others go on);
* ``RLIMIT_AS``: address space per process (a memory bomb fails to allocate);
* ``RLIMIT_CPU``: CPU seconds per process (the parent also enforces wall time);
* ``RLIMIT_NOFILE``: open files per process;
* ``TMPDIR`` points at a private directory inside the work directory;
* a new network namespace where the kernel lets us make one (no network at all), on top of
  unblob's Landlock rules that confine writes to the work directory.

Where a limit cannot be set (e.g. a container forbids namespaces) the worker still runs;
``applied`` lists what took effect, for the debug log.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from dataclasses import dataclass, field
from pathlib import Path

MEMORY_BYTES = 2 * 1024**3  # address space per worker process (RSS stays well below)
OPEN_FILES = 1024
PRIVATE_TMP = ".tmp"
_CLONE_NEWNET = 0x40000000


@dataclass(frozen=True)
class SandboxLimits:
    """What one worker may use; built by the parent from ``Limits`` and the budget left."""

    file_bytes: int  # largest file any process may write
    cpu_seconds: int
    memory_bytes: int = MEMORY_BYTES
    open_files: int = OPEN_FILES
    isolate_network: bool = True
    applied: list[str] = field(default_factory=list, compare=False)


def private_tmp(work_dir: Path) -> Path:
    """The worker's TMPDIR: inside the work directory, so Landlock allows it and nothing of
    the image lands in the shared /tmp."""
    tmp = work_dir / PRIVATE_TMP
    tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tmp


def worker_env(base: dict[str, str], work_dir: Path) -> dict[str, str]:
    env = dict(base)
    tmp = str(private_tmp(work_dir))
    env.update(TMPDIR=tmp, TMP=tmp, TEMP=tmp)
    return env


def apply(limits: SandboxLimits) -> None:
    """Run in the child between fork and exec (``preexec_fn``): set the limits."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death; inherited by exec
    for name, which, value in (
        ("fsize", resource.RLIMIT_FSIZE, max(limits.file_bytes, 1)),
        ("as", resource.RLIMIT_AS, limits.memory_bytes),
        ("cpu", resource.RLIMIT_CPU, max(limits.cpu_seconds, 1)),
        ("nofile", resource.RLIMIT_NOFILE, limits.open_files),
    ):
        _lower(which, value)
        limits.applied.append(name)
    if limits.isolate_network and _unshare_network():
        limits.applied.append("netns")


def _lower(which: int, value: int) -> None:
    """Set soft and hard limit to ``value`` unless the current hard limit is already lower."""
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and hard < value:
        value = hard
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        resource.setrlimit(which, (value, hard))


def _unshare_network() -> bool:
    """A network namespace with only a down loopback: extractors cannot reach anything.
    Python 3.11 has no ``os.unshare`` and no packaged binding offers it, hence ctypes."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    unshare = getattr(libc, "unshare", None)
    if unshare is None:
        return False
    # Only CLONE_NEWNET (needs CAP_NET_ADMIN): a user namespace would leave the files the
    # worker writes owned by an unmapped id, so without the capability we go without.
    return bool(unshare(_CLONE_NEWNET) == 0)


class PreExec:
    """``subprocess.Popen(preexec_fn=PreExec(limits), start_new_session=True)``."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits

    def __call__(self) -> None:
        apply(self.limits)


def at_file_limit(top: Path, file_bytes: int) -> list[Path]:
    """Files that reached the per-file limit: their writer was stopped there (EFBIG)."""
    hits = []
    for base, _dirs, names in os.walk(top):
        for name in names:
            path = Path(base, name)
            try:
                if not path.is_symlink() and path.stat().st_size >= file_bytes:
                    hits.append(path)
            except OSError:
                continue
    return hits
