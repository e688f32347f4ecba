"""Fixtures for group-A check tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from checks_a_helpers import build_tree

from iotbaseline.inventory.index import FileIndex


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[dict[str, str | bytes]], FileIndex]:
    """Build a root filesystem from {path: content} and index it."""

    def make(files: dict[str, str | bytes]) -> FileIndex:
        return FileIndex.from_directory(build_tree(tmp_path / "root", files))

    return make
