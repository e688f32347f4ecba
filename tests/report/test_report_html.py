"""The HTML report's content, parsed with the standard library's HTML parser (no browser here;
see test_report_html_browser.py). Expected counts are taken by hand from report_samples."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from report_samples import ETSI, HOSTILE, REDACTED, SECRET, assessment

from iotbaseline.catalog.loader import load_catalogs
from iotbaseline.report.html import render_html


class _Collector(HTMLParser):
    """Collects tags with their attributes, the text per id'd element and script bodies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.tags if a.get("id")}

    def with_attr(self, name: str, value: str | None = None) -> list[dict[str, str | None]]:
        return [a for _, a in self.tags if name in a and (value is None or a[name] == value)]


@pytest.fixture(scope="module")
def catalogs():  # type: ignore[no-untyped-def]
    return load_catalogs([ETSI])


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    return parser


def test_hostile_text_is_escaped_and_secret_never_printed(catalogs) -> None:  # type: ignore[no-untyped-def]
    html = render_html(assessment(), catalogs)
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html or \
        "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    parsed = _parse(html)
    # exactly one script element: our own inline JS, none injected by the excerpt
    assert len(parsed.scripts) == 1 and "pwned" not in parsed.scripts[0]
    assert not [a for _, a in parsed.tags if "onerror" in a]
    assert "cam&lt;b&gt;.bin" in html  # the target name is hostile too
    assert SECRET not in html  # neither in the message nor anywhere else
    assert REDACTED in html


def test_self_contained_page_with_no_external_resource(catalogs) -> None:  # type: ignore[no-untyped-def]
    html = render_html(assessment(), catalogs)
    parsed = _parse(html)
    for tag, attrs in parsed.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith("#"), (tag, name, value)  # only in-page links
    assert not [t for t, _ in parsed.tags if t == "link"]
    csp = parsed.with_attr("http-equiv", "Content-Security-Policy")
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")


def test_key_sections_and_counts(catalogs) -> None:  # type: ignore[no-untyped-def]
    html = render_html(assessment(), catalogs)
    parsed = _parse(html)
    ids = parsed.ids()
    assert {"report-header", "glance", "requirements", "ics", "findings", "components",
            "not-analysed", "questions", f"table-{ETSI}", "components-table", "cves-table"} <= ids
    # one row per ETSI provision: EN 303 645 V2.1.1 has 68
    rows = [a for t, a in parsed.tags if t == "tr" and a.get("id", "").startswith(f"req-{ETSI}-")]
    assert len(rows) == 68
    verdicts = [a["data-verdict"] for a in rows]
    assert verdicts.count("FAIL") == 2 and verdicts.count("PASS") == 2
    assert verdicts.count("INCONCLUSIVE") == 1 and verdicts.count("NOT_APPLICABLE") == 1
    assert verdicts.count("NONE") == 62
    # verdict bar: 2 of 68 FAIL = 2.94 %
    fail_seg = [a for t, a in parsed.tags if t == "span" and a.get("class") == "seg seg-FAIL"]
    assert fail_seg and "width: 2.94%" in (fail_seg[0]["style"] or "")
    # evidence link from 5.1-1 to the finding's anchor, which exists
    assert 'href="#finding-IOTB-CRED-001_1"' in html and "finding-IOTB-CRED-001_1" in ids
    # coverage: FAIL 5.1-1, FAIL 5.6-1, PASS 5.3-1 rest on technical evidence, 5.1-2 on a declaration
    text = " ".join(" ".join(parsed.text).split())
    assert "3 of 68 requirements decided by technical evidence, 1 on the maker's declarations only" in text
    # severity counts: 1 critical, 2 high, 1 medium
    assert "critical: 1" in text and "high: 2" in text and "medium: 1" in text and "low: 0" in text


def test_findings_show_excerpt_provenance_and_remedy(catalogs) -> None:  # type: ignore[no-untyped-def]
    html = render_html(assessment(), catalogs)
    text = " ".join(" ".join(_parse(html).text).split())
    assert "admin::18000:0:99999:7:::" in text
    assert "cam.bin → " not in text  # the arrows are CSS; the chain is a list of items
    assert "image offset 0x10000: SquashFS 4.0 xz" in text and "rootfs:/etc/shadow" in text
    # remedy comes from the registered check's spec for a known check id
    from iotbaseline.checks.registry import all_checks

    spec = next(c.spec for c in all_checks() if c.spec.id == "IOTB-CRED-001")
    assert " ".join(spec.remedy.split()) in text
    assert "127.0.0.1:23/tcp" in text  # a probe finding is located by its endpoint


def test_components_kev_and_kernel_config_rows(catalogs) -> None:  # type: ignore[no-untyped-def]
    parsed = _parse(render_html(assessment(), catalogs))
    rows = [a for t, a in parsed.tags if t == "tr" and a.get("class") in ("affected", "not-affected")]
    assert [a["class"] for a in rows] == ["affected", "affected", "not-affected"]  # KEV first
    text = " ".join(" ".join(parsed.text).split())
    assert "not affected: kernel config" in text and "CONFIG_BT is not set" in text
    assert "signature:busybox in /bin/busybox (BusyBox v1.19.4)" in text


def test_could_not_analyse_lists_everything(catalogs) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(" ".join(_parse(render_html(assessment(), catalogs)).text).split())
    for expected in ("bad inode table", "rootfs.sqfs @ 0x20000", "0x40–0x10000", "65472 bytes not identified",
                     "max_files reached in jffs2 partition", "IOTB-HARD-001", "ValueError: bad ELF header",
                     "signature table unreadable"):
        assert expected in text, expected


def test_questions_for_the_manufacturer(catalogs) -> None:  # type: ignore[no-untyped-def]
    parsed = _parse(render_html(assessment(), catalogs))
    items = [a for t, a in parsed.tags if t == "li" and "data-verdict" in a]
    assert [a["data-verdict"] for a in items] == ["INCONCLUSIVE"]
    text = " ".join(parsed.text)
    assert "Where is the vulnerability disclosure policy published?" in text
    assert "declarations.vulnerability_disclosure.url" in text


def test_no_database_banner_only_when_no_database(catalogs) -> None:  # type: ignore[no-untyped-def]
    assert 'id="no-vuln-db"' in render_html(assessment(db=False), catalogs)
    assert 'id="no-vuln-db"' not in render_html(assessment(db=True), catalogs)
