"""The version comparator: a clear total order, checked against the orders the projects
themselves publish (OpenSSL letter releases, BusyBox two-part 1.00/1.01, dropbear year.n,
OpenSSH pN, pre-releases)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

from iotbaseline.vulns.versions import compare_versions, in_range, version_key

# Each list is in release order, as the projects' own release histories give it.
ORDERED = [
    # OpenSSL: 1.0.2 then its letter releases, then 1.0.2 betas come *before* 1.0.2
    ["1.0.1", "1.0.1f", "1.0.1g", "1.0.2-beta1", "1.0.2-beta3", "1.0.2", "1.0.2a", "1.0.2n",
     "1.0.2zj", "1.1.0"],
    # BusyBox: 1.00-pre/rc then 1.00, 1.01, 1.1.0 (two-part versions before three-part)
    ["1.00-pre1", "1.00-pre10", "1.00-rc1", "1.00", "1.01", "1.1.0", "1.2.2", "1.2.2.1",
     "1.19.4", "1.23.2"],
    # dropbear: 0.52, then year.n releases
    ["0.52", "2011.54", "2012.55", "2013.59", "2015.71", "2017.75"],
    # OpenSSH portable: 7.4 < 7.4p1 < 7.5
    ["7.4", "7.4p1", "7.4p2", "7.5"],
    # dates and kernel versions
    ["20130405", "20140603", "20150101"],
    ["2.6.32-rc1", "2.6.32", "2.6.32.1", "3.3", "3.3.8", "3.4.86", "3.10"],
    ["1.0.0-alpha", "1.0.0-beta", "1.0.0-pre1", "1.0.0-rc1", "1.0.0"],
]


@pytest.mark.parametrize("series", ORDERED)
def test_release_series_are_in_order(series: list[str]) -> None:
    for older, newer in itertools.pairwise(series):
        assert compare_versions(older, newer) == -1, (older, newer)
        assert compare_versions(newer, older) == 1, (newer, older)


@pytest.mark.parametrize("a, b", [
    ("1.0", "1.0.0"), ("1.00", "1.0"), ("v1.01", "1.01"), ("1.01", "1.0.1"), ("1.0.2N", "1.0.2n"),
    ("2014-06-03", "2014.06.03"), ("1.0.0:pre1", "1.0.0-pre1"), ("1_0_2n", "1.0.2n"),
])
def test_equal_spellings(a: str, b: str) -> None:
    assert compare_versions(a, b) == 0


def test_packaging_cannot_do_it() -> None:
    """Why we do not use ``packaging``: it rejects OpenSSL letter releases and reads "a" as
    alpha (before the release), the reverse of OpenSSL's meaning."""
    with pytest.raises(InvalidVersion):
        Version("1.0.2n")
    assert Version("1.0.2a") < Version("1.0.2")  # PEP 440: 1.0.2a0 is a pre-release
    assert compare_versions("1.0.2a", "1.0.2") == 1  # ours: OpenSSL's order


def test_ranges() -> None:
    # Heartbleed, CVE-2014-0160: >= 1.0.1, < 1.0.1g
    assert in_range("1.0.1f", start_including="1.0.1", end_excluding="1.0.1g")
    assert not in_range("1.0.1g", start_including="1.0.1", end_excluding="1.0.1g")
    assert not in_range("1.0.0", start_including="1.0.1", end_excluding="1.0.1g")
    assert not in_range("0.9.8", start_excluding="0.9.8", end_excluding="0.9.8m")
    assert in_range("0.9.8a", start_excluding="0.9.8", end_excluding="0.9.8m")
    assert in_range("2012.54", end_including="2012.54")
    assert in_range("anything")  # no bounds: every version


_version_text = st.lists(
    st.one_of(st.integers(0, 30).map(str), st.sampled_from(["a", "n", "p", "rc", "beta", "pre"])),
    min_size=1, max_size=5,
).map(lambda parts: ".".join(parts))


@given(_version_text, _version_text, _version_text)
def test_total_order(a: str, b: str, c: str) -> None:
    ab, ba = compare_versions(a, b), compare_versions(b, a)
    assert ab == -ba  # antisymmetric
    assert compare_versions(a, a) == 0  # reflexive
    if ab <= 0 and compare_versions(b, c) <= 0:
        assert compare_versions(a, c) <= 0  # transitive
    assert (version_key(a) == version_key(b)) == (ab == 0)
