"""Version comparison for firmware components, as NVD version ranges need it.

Why our own comparator: ``packaging`` follows PEP 440 (``1.0.2n`` is invalid, ``1.0.2a`` is read
as an alpha *before* 1.0.2), and ``univers`` needs a scheme per ecosystem while NVD ranges carry
none. Firmware versions mix OpenSSL letter releases (1.0.2 < 1.0.2a < 1.0.2n < 1.0.3), dropbear's
``2012.55``, date snapshots (``20130405``, ``2014-06-03``), BusyBox's two-part ``1.00`` and
pre-releases (``rc1``, ``beta2``, ``-pre1``) or OpenSSH's post-release ``p1``.

The order (a total preorder; equal keys are the same version):
- a version is split into items: numbers, letter words; separators (``. - _ + ~``) only split;
- a two-part version whose second number has a leading zero is decimal style: BusyBox released
  1.00, 1.01, then 1.1.0, so "1.01" reads as 1.0.1 (and 1.01 < 1.1.0);
- trailing zero numbers of the leading numeric part are dropped, so 1.0 == 1.00 == 1.0.0;
- the item sequence ends with an END item, and items compare by class first:
  PRE word (dev < alpha < beta < pre < rc) < END < other word (letter suffix, ``p``, ``patch``)
  < NUMBER; numbers compare as integers, words as text.
Hence 1.0.2rc1 < 1.0.2 < 1.0.2a < 1.0.2n < 1.0.2.1 < 1.0.3 and 7.4 < 7.4p1 < 7.5.
"""

from __future__ import annotations

import re
from functools import lru_cache

_PRE_RANK = {"dev": 0, "snapshot": 0, "alpha": 1, "beta": 2, "pre": 3, "preview": 3, "rc": 4,
             "cr": 4}
_CLASS_PRE, _CLASS_END, _CLASS_WORD, _CLASS_NUM = 0, 1, 2, 3
_TOKEN = re.compile(r"\d+|[a-z]+")

Item = tuple[int, object]
VersionKey = tuple[Item, ...]


@lru_cache(maxsize=65536)
def version_key(version: str) -> VersionKey:
    """Sort key of a version string (see the module docstring for the order)."""
    text = version.strip().lower()
    if len(text) > 1 and text[0] == "v" and text[1].isdigit():
        text = text[1:]
    tokens = _TOKEN.findall(text)
    lead = 0
    while lead < len(tokens) and tokens[lead].isdigit():
        lead += 1
    numbers = tokens[:lead]
    if lead == 2 and len(numbers[1]) > 1 and numbers[1][0] == "0":
        # two-part decimal style (BusyBox 1.00, 1.01 before 1.1.0): "1.01" reads as 1.0.1
        numbers = [numbers[0], "0", numbers[1][1:]]
    while numbers and int(numbers[-1]) == 0:
        numbers.pop()
    items: list[Item] = [(_CLASS_NUM, int(n)) for n in numbers]
    for token in tokens[lead:]:
        if token.isdigit():
            items.append((_CLASS_NUM, int(token)))
        elif token in _PRE_RANK:
            items.append((_CLASS_PRE, (_PRE_RANK[token], token)))
        else:
            items.append((_CLASS_WORD, token))
    items.append((_CLASS_END, 0))
    return tuple(items)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is older than, the same as, or newer than ``b``."""
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def in_range(
    version: str,
    start_including: str | None = None,
    start_excluding: str | None = None,
    end_including: str | None = None,
    end_excluding: str | None = None,
) -> bool:
    """Whether ``version`` lies in the NVD-style range (absent bounds are open)."""
    key = version_key(version)
    if start_including is not None and key < version_key(start_including):
        return False
    if start_excluding is not None and key <= version_key(start_excluding):
        return False
    if end_including is not None and key > version_key(end_including):
        return False
    return end_excluding is None or key < version_key(end_excluding)


def describe_range(
    start_including: str | None = None,
    start_excluding: str | None = None,
    end_including: str | None = None,
    end_excluding: str | None = None,
) -> str:
    """Human form of a range: ">= 1.0, < 2.0"."""
    parts = []
    if start_including:
        parts.append(f">= {start_including}")
    if start_excluding:
        parts.append(f"> {start_excluding}")
    if end_including:
        parts.append(f"<= {end_including}")
    if end_excluding:
        parts.append(f"< {end_excluding}")
    return ", ".join(parts)
