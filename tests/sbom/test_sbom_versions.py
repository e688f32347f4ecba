"""Package-revision stripping and the hostap snapshot -> release table."""

from __future__ import annotations

import pytest

from iotbaseline.sbom.versions import (
    HOSTAP_RELEASES,
    hostap_release_for_date,
    hostap_release_for_devel,
    normalise_hostap,
    upstream_from_package,
)


@pytest.mark.parametrize(("raw", "manager", "expected"), [
    ("1.19.4-6", "opkg", "1.19.4"),
    ("2011.54-2", "opkg", "2011.54"),
    ("1.0.2n-1", "opkg", "1.0.2n"),
    ("0.9.33.2-1", "opkg", "0.9.33.2"),
    ("3.3.8-1-d6597ebf6203328d3519ea3c3371a493", "opkg", "3.3.8"),  # OpenWrt's kernel package
    ("2013-06-29", "opkg", "2013-06-29"),  # date-named snapshots stay whole
    ("2015-05-25-f361bfa5fcb2daadf3b160583ce665024f8d108e", "opkg", "2015-05-25-f361bfa5fcb2daadf3b160583ce665024f8d108e"),
    ("20131120-1", "opkg", "20131120"),
    ("1:2.31-0ubuntu9", "dpkg", "2.31"),
    ("1.1.1n-0+deb11u5", "dpkg", "1.1.1n"),
    ("2.0", "dpkg", "2.0"),
])
def test_upstream_from_package(raw: str, manager: str, expected: str) -> None:
    assert upstream_from_package(raw, manager) == expected


def test_hostap_release_dates_are_in_order() -> None:
    dates = [d for d, _ in HOSTAP_RELEASES]
    assert dates == sorted(dates)
    # two anchors from hostapd/ChangeLog: "2013-01-12 - v2.0", "2014-02-04 - v2.1"
    assert ("20130112", "2.0") in HOSTAP_RELEASES and ("20140204", "2.1") in HOSTAP_RELEASES


@pytest.mark.parametrize(("snapshot", "release"), [
    ("20131120", "2.0"),   # OpenWrt 12.09 backports hostapd-mini / wpad-mini
    ("20130405", "2.0"),
    ("20130112", "2.0"),   # the release day itself
    ("20140204", "2.1"),
    ("2014-10-08", "2.2"),
    ("20120301", "0.7.3"),
    ("20090101", None),    # older than the table: unknown, not guessed
])
def test_hostap_snapshot_dates(snapshot: str, release: str | None) -> None:
    assert hostap_release_for_date(snapshot) == release


def test_hostap_devel_builds_contain_the_previous_release() -> None:
    assert hostap_release_for_devel("2.1-devel") == "2.0"
    assert hostap_release_for_devel("2.10-devel") == "2.9"
    assert hostap_release_for_devel("2.6") is None
    assert normalise_hostap("2.6") == ("2.6", None)
    version, note = normalise_hostap("20131120")
    assert version == "2.0" and note and "20131120" in note
