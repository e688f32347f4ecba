"""Turning the version a package database or a binary shows into the upstream release.

- Package revisions: OpenWrt ``1.19.4-6`` -> ``1.19.4``; dpkg ``1:2.31-0ubuntu9`` -> ``2.31``.
- hostap (hostapd, wpa_supplicant, wpad): OpenWrt ships git snapshots named by date
  (``20131120``) and the binaries say ``v2.1-devel``. Both are mapped to the newest release the
  snapshot contains, i.e. the last release dated on or before the snapshot (for ``X.Y-devel``,
  the release before X.Y). Release dates are those of the hostap project's hostapd/ChangeLog
  ("2013-01-12 - v2.0" …) which match its git tags hostap_2_0 … hostap_2_11.
"""

from __future__ import annotations

import re

# (date, release) from hostap's hostapd/ChangeLog headings; oldest first.
HOSTAP_RELEASES: tuple[tuple[str, str], ...] = (
    ("20100418", "0.7.2"),
    ("20100907", "0.7.3"),
    ("20120510", "1.0"),
    ("20130112", "2.0"),
    ("20140204", "2.1"),
    ("20140604", "2.2"),
    ("20141009", "2.3"),
    ("20150315", "2.4"),
    ("20150927", "2.5"),
    ("20161002", "2.6"),
    ("20181202", "2.7"),
    ("20190421", "2.8"),
    ("20190807", "2.9"),
    ("20220116", "2.10"),
    ("20240720", "2.11"),
)

_DATE = re.compile(r"^(20\d{2})-?(\d{2})-?(\d{2})")
_DEVEL = re.compile(r"^(\d+)\.(\d+)-(?:devel|rc\d*)$")


def hostap_release_for_date(date: str) -> str | None:
    """Release contained in a snapshot of this date (YYYYMMDD or YYYY-MM-DD…)."""
    m = _DATE.match(date)
    if not m:
        return None
    key = "".join(m.groups())
    best = None
    for released, release in HOSTAP_RELEASES:
        if released <= key:
            best = release
    return best


def hostap_release_for_devel(version: str) -> str | None:
    """``2.1-devel`` -> ``2.0``: a development build after a release contains that release."""
    m = _DEVEL.match(version)
    if not m:
        return None
    wanted = f"{m.group(1)}.{m.group(2)}"
    releases = [r for _, r in HOSTAP_RELEASES]
    if wanted in releases:
        i = releases.index(wanted)
        return releases[i - 1] if i > 0 else None
    return None


def normalise_hostap(version: str) -> tuple[str, str | None]:
    """(release, note) for a hostap version as a package or binary gives it."""
    release = hostap_release_for_date(version)
    if release:
        return release, f"snapshot {version} mapped to release {release} (hostap release dates)"
    release = hostap_release_for_devel(version)
    if release:
        return release, f"development build v{version} contains release {release}"
    return version, None


_OPKG_REVISION = re.compile(r"^(?P<up>.+?)-(?P<rev>\d+(?:\.\d+)?)$")


def upstream_from_package(version: str, manager: str) -> str:
    """Drop the packager's epoch and revision, keep the upstream version."""
    v = version.strip()
    if manager == "dpkg":
        v = v.split(":", 1)[1] if re.match(r"^\d+:", v) else v
        if "-" in v:
            v = v.rsplit("-", 1)[0]
        return v
    if manager == "yocto":
        return re.sub(r"-r\d+(?:\.\d+)?$", "", v)  # "7.9p1-r0": PR (package revision) dropped
    if manager == "buildroot":
        return v
    # opkg/ipkg: "1.19.4-6", "0.9.33.2-1", "3.3.8-1-d6597ebf6203…" (kernel), "2011.54-2"
    m = re.match(r"^(\d+(?:\.\d+)+[a-z]{0,2})-\d+(?:-[0-9a-f]{8,})?$", v)
    if m:
        return m.group(1)
    if re.match(r"^\d{4}-\d{2}-\d{2}", v):
        return v  # date-named snapshot ("2013-06-29", "2015-05-25-f361bfa…"): keep as is
    m = _OPKG_REVISION.match(v)
    return m.group("up") if m else v
