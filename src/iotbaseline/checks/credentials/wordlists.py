"""The candidate passwords tried against a hash: credentials are data, never code.

Three public sources, in the order they are tried (most likely first):

1. our own compiled groups (``checks/data/default_credentials.yaml``: the Mirai tables, the
   camera/DVR defaults of later Mirai-family botnets, vendors' manual defaults), each group with
   its source;
2. the vendor/product default list of the ``defaultcreds-cheat-sheet`` package (MIT licence per
   the LICENSE file it installs; its metadata classifier says BSD; 3,681 pairs gathered from
   vendors' documentation and public lists), read from the JSON file that package installs;
3. words the image itself suggests (model, brand, hostname, SSID prefix, build signature) and
   simple mutations of them, then the 30,000 most common passwords of the ``zxcvbn`` package
   (MIT licence; frequency-ranked from public password leaks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

BLANK_MARKERS = ("<blank>", "<none>", "(none)", "none", "blank", "n/a", "<empty>")
_HEADER_ROW = ("productvendor", "username", "password")


@dataclass(frozen=True)
class DefaultCredential:
    """One published pair; ``user`` is ``*`` when the password is tried for any account."""

    user: str
    password: str
    group: str


@dataclass(frozen=True)
class WordlistSource:
    """Where a list comes from, for the report and the closing note."""

    name: str
    source: str
    licence: str
    size: int


def _clean(value: object) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text.lower() in BLANK_MARKERS else text


@lru_cache(maxsize=1)
def compiled_groups() -> tuple[tuple[DefaultCredential, ...], tuple[WordlistSource, ...]]:
    """Our YAML groups, in file order."""
    text = resources.files("iotbaseline.checks").joinpath("data/default_credentials.yaml").read_text()
    data = yaml.safe_load(text)
    pairs: list[DefaultCredential] = []
    sources: list[WordlistSource] = []
    for group in data["groups"]:
        group_pairs = [DefaultCredential(str(u), str(p), group["name"]) for u, p in group["pairs"]]
        pairs.extend(group_pairs)
        sources.append(WordlistSource(group["name"], " ".join(str(group["source"]).split()),
                                      "facts compiled by iotbaseline", len(group_pairs)))
    return tuple(pairs), tuple(sources)


@lru_cache(maxsize=1)
def cheat_sheet_pairs() -> tuple[DefaultCredential, ...]:
    """The ``defaultcreds-cheat-sheet`` database (vendor/product defaults). Empty when the
    package is not installed, so a missing optional list never stops a scan."""
    try:
        raw = resources.files("DefaultCreds").joinpath("DefaultCreds_db.json").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        return ()
    rows = json.loads(raw).get("_default", {})
    out: list[DefaultCredential] = []
    for row in rows.values():
        user, password = _clean(row.get("username")), _clean(row.get("password"))
        if (str(row.get("product", "")), user, password) == _HEADER_ROW:
            continue
        if len(password) > 64:
            continue
        out.append(DefaultCredential(user or "*", password, "defaultcreds-cheat-sheet"))
    return tuple(out)


@lru_cache(maxsize=1)
def common_passwords() -> tuple[str, ...]:
    """The most common passwords, most frequent first (zxcvbn's ranked list)."""
    try:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]
    except ModuleNotFoundError:
        return ()
    return tuple(str(p) for p in FREQUENCY_LISTS.get("passwords", ()))


def sources() -> tuple[WordlistSource, ...]:
    """Every list used, with its size (shown in reports and in `checks list --credentials`)."""
    _, groups = compiled_groups()
    extra = (
        WordlistSource("defaultcreds-cheat-sheet", "PyPI package defaultcreds-cheat-sheet "
                       "(github.com/ihebski/DefaultCreds-cheat-sheet)", "MIT",
                       len(cheat_sheet_pairs())),
        WordlistSource("zxcvbn-common", "PyPI package zxcvbn, frequency list 'passwords'",
                       "MIT", len(common_passwords())),
    )
    return groups + extra


@lru_cache(maxsize=1)
def vendor_pairs() -> tuple[DefaultCredential, ...]:
    """All published pairs: our groups first, then the cheat sheet."""
    return compiled_groups()[0] + cheat_sheet_pairs()


def default_passwords() -> frozenset[str]:
    """Every published default password (not the general common list)."""
    return frozenset(c.password for c in vendor_pairs())


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{2,31}")


def mutations(words: Iterable[str]) -> list[str]:
    """Simple variants of words found in the image, as vendors build default passwords from
    model and brand names (``TEW733GR``, ``tew733gr123``, ``Netgear1``)."""
    out: dict[str, None] = {}
    for word in words:
        for base in {word, word.lower(), word.upper(), word.capitalize()}:
            for variant in (base, f"{base}1", f"{base}12", f"{base}123", f"{base}1234",
                            f"{base}!", f"{base}@123", f"{base}2013", f"{base}2015",
                            f"{base}2017", f"{base}2019"):
                out.setdefault(variant, None)
    return list(out)


def image_words(values: Iterable[str], limit: int = 40) -> list[str]:
    """Distinct word-like tokens from identity values of the image (model, hostname, SSID …),
    the whole value first and then its parts (``wrgn80_trendnet_tew733gr`` → itself,
    ``wrgn80``, ``trendnet``, ``tew733gr``)."""
    out: dict[str, None] = {}
    for value in values:
        value = value.strip().strip("\"'")
        if 3 <= len(value) <= 40:
            out.setdefault(value, None)
        for token in _WORD.findall(value):
            for part in re.split(r"[_.-]", token):
                if len(part) >= 3:
                    out.setdefault(part, None)
        if len(out) >= limit:
            break
    return list(out)[:limit]


def candidates_for(user: str, image_values: Iterable[str] = (), extra: Iterable[str] = (),
                   include_common: bool = True) -> list[str]:
    """Passwords to try for one account, without duplicates: pairs published for this user
    name, the account name itself, every other published default, values the image suggests
    and their mutations, then the common-password list."""
    seen: dict[str, None] = {}
    pairs = vendor_pairs()
    for c in pairs:
        if c.user == user:
            seen.setdefault(c.password, None)
    seen.setdefault(user, None)
    for c in pairs:
        seen.setdefault(c.password, None)
    for value in extra:
        seen.setdefault(value, None)
    for value in mutations(image_words(image_values)):
        seen.setdefault(value, None)
    if include_common:
        for value in common_passwords():
            seen.setdefault(value, None)
    return list(seen)
