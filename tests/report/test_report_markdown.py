"""The Markdown report: same content as the HTML one, hostile text made inert."""

from __future__ import annotations

import re

from report_samples import ETSI, HOSTILE, SECRET, assessment

from iotbaseline.catalog.loader import load_catalogs
from iotbaseline.report.markdown import md_text, render_markdown


def test_md_text_neutralises_html_and_table_syntax() -> None:
    assert md_text("<b>a|b</b> & *x*") == "&lt;b&gt;a\\|b&lt;/b&gt; &amp; \\*x\\*"
    assert md_text("two\nlines") == "two lines"


def test_markdown_report_sections_and_escaping() -> None:
    text = render_markdown(assessment(db=False), load_catalogs([ETSI]))
    for heading in ("## At a glance", "## Requirements", "## Findings", "## Components and CVEs",
                    "## What we could not analyse", "## Questions for the manufacturer"):
        assert heading in text
    assert "no vulnerability database was used" in text
    # raw markup only inside code spans (shown literally by CommonMark), nowhere else
    outside_code = re.sub(r"(`+) .*? \1", "", text)
    assert "<" not in outside_code and ">" not in outside_code.replace("\n>", "\n")
    assert f"` {HOSTILE}" in text
    assert SECRET not in text
    # ETSI row counts: 2 PASS, 2 FAIL, 1 INCONCLUSIVE, 1 N/A (hand-counted in report_samples)
    glance = next(line for line in text.splitlines() if line.startswith("| ETSI"))
    assert "| 2 | 2 | 1 | 1 |" in glance
    assert "| 5.1-1 |" in text and "**FAIL**" in text
    assert "not affected: kernel config" in text
    assert "Where is the vulnerability disclosure policy published?" in text
