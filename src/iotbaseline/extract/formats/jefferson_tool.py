"""``python -I jefferson_tool.py [jefferson's arguments]``: jefferson with its node scan made
linear, for unblob's JFFS2 handlers. Run as a script (it imports nothing of this package).

jefferson's ``scan_fs`` looks for the next node by searching both node magics from the
current position on every step; the old magic (0x1984) is almost never there, so each step
scans the rest of the image again (0.7 s of a 4 MiB partition's 0.75 s). ``FindCache``
remembers where a search ended: a later search from a position before that answer has the
same answer, so every ``find`` result is exactly what the mmap would return.
"""

from __future__ import annotations

from typing import Any


class FindCache:
    """``find``, slicing and ``len`` of ``content``; ``find`` answers remembered per needle."""

    def __init__(self, content: Any) -> None:
        self.content = content
        self._last: dict[tuple[bytes, int], tuple[int, int]] = {}  # (needle, end) → (from, found)

    def find(self, needle: bytes, start: int, end: int) -> int:
        known = self._last.get((needle, end))
        if known is not None:
            searched_from, found = known
            if searched_from <= start and (found == -1 or found >= start):
                return found  # no match in [searched_from, found), so none in [start, found)
        found = int(self.content.find(needle, start, end))
        self._last[(needle, end)] = (start, found)
        return found

    def __getitem__(self, key: Any) -> Any:
        return self.content[key]

    def __len__(self) -> int:
        return len(self.content)


def main() -> None:
    from jefferson import cli, jffs2

    scan = jffs2.scan_fs

    def scan_fs(content: Any, endianness: str, verbose: bool = False) -> Any:
        return scan(FindCache(content), endianness, verbose=verbose)

    jffs2.scan_fs = scan_fs
    cli.main()


if __name__ == "__main__":
    main()
