"""Carve an image's leftover regions with unblob while the fast path is still extracting.

The regions the fast path leaves unidentified (``leftovers``) follow from where its headers,
kernels and SquashFS images lie, which is known before any of them is extracted. Leftovers
are carved only once the fast path has found a root; so as soon as the first SquashFS tree
that holds a root is written, the regions are handed to the unblob worker (another process,
the other core) and the remaining trees are extracted meanwhile. On a flash dump with many
partitions this halves the wall time; the result is the same as carving afterwards:

* the regions are those of the finished chunk list; if they differ (a bound stopped a
  SquashFS extraction) or the fast path ends without a root or with a bound reached, the
  worker is stopped and its output deleted, and the pipeline goes on as if it never ran;
* the byte bound is shared: the worker counts what the fast path wrote so far and the fast
  path's ``Budget`` counts what the worker wrote (``Budget.external_bytes``).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from iotbaseline.extract.carve import Tree
from iotbaseline.extract.leftovers import REGION_DIR, carvable_regions, write_regions
from iotbaseline.extract.limits import Budget, Limits
from iotbaseline.extract.roots import find_roots
from iotbaseline.extract.unblob_backend import UnblobRun, run_unblob
from iotbaseline.model import Chunk

# what a (discarded) worker run leaves in the work directory
RUN_OUTPUTS = ("unblob", ".modes", ".unblob-report.json", ".unblob.log", REGION_DIR)


class EarlyLeftovers:
    """Starts the leftover carving from ``carve_image``'s ``on_tree`` callback, in a thread."""

    def __init__(self, data: bytes, work_dir: Path, limits: Limits, input_size: int,
                 budget: Budget) -> None:
        self.data, self.work_dir, self.limits = data, work_dir, limits
        self.input_size, self.budget = input_size, budget
        self.regions: list[Chunk] | None = None
        self.files: list[Path] = []
        self._run: UnblobRun | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_tree(self, tree: Tree, planned: list[Chunk]) -> None:
        if self.regions is not None or not tree.path.is_dir() or not find_roots(tree.path):
            return
        self.regions = carvable_regions([chunk.model_copy() for chunk in planned])
        if self.regions:
            self._thread = threading.Thread(target=self._carve, name="leftovers", daemon=True)
            self._thread.start()

    def _carve(self) -> None:
        try:
            assert self.regions is not None
            self.files = write_regions(self.data, self.regions, self.work_dir)
            self._run = run_unblob(self.files, self.work_dir, self.limits, self.input_size,
                                   lambda: self.budget.bytes_written, self._stop, self._count)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            self._error = exc

    def _count(self, written: int) -> None:
        self.budget.external_bytes = written

    def take(self, regions: list[Chunk]) -> tuple[UnblobRun, list[Path]] | None:
        """The finished run if it carved exactly ``regions``; otherwise it is discarded."""
        if self._thread is None or not _same(self.regions or [], regions):
            self.discard()
            return None
        self._thread.join()
        self._thread = None  # taken: ``discard`` leaves its output alone
        if self._error is not None:
            raise self._error
        assert self._run is not None
        return self._run, self.files

    def discard(self) -> None:
        """Stop the worker (if any) and remove all it wrote; the budget forgets its bytes."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        for name in RUN_OUTPUTS:
            path = self.work_dir / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        self.budget.external_bytes = 0


def _same(early: list[Chunk], now: list[Chunk]) -> bool:
    return [(c.start, c.end) for c in early] == [(c.start, c.end) for c in now]
