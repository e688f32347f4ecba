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


def test_markdown_gives_the_redacted_secret_like_the_html_report() -> None:
    # A cracked default password is shown redacted in human reports (issue: "say so and give the
    # value, redacted"); the HTML report did, the Markdown report dropped it.
    from report_samples import REDACTED

    text = render_markdown(assessment(), load_catalogs([ETSI]))
    assert f"secret value (redacted): ` {REDACTED} `" in text
    assert SECRET not in text


def test_reason_that_already_names_what_is_missing_is_not_repeated() -> None:
    # The engine's reasons read "Not decided: missing X." and the reports appended "Missing: X"
    # again, doubling every INCONCLUSIVE row of the requirement tables.
    from iotbaseline.model import Verdict, VerdictValue
    from iotbaseline.report.html import render_html

    data = assessment()
    need = "declaration declarations.support_period.end"
    data.verdicts[ETSI]["5.3-13"] = Verdict(verdict=VerdictValue.INCONCLUSIVE,
                                             reason=f"Not decided: missing {need}.", missing=[need])
    md_row = next(line for line in render_markdown(data, load_catalogs([ETSI])).splitlines()
                  if line.startswith("| 5.3-13 |"))
    assert md_row.count("support\\_period.end") == 1 and "Missing:" not in md_row
    page = render_html(data, load_catalogs([ETSI]))
    row = page[page.index('<tr id="req-etsi-en-303-645-5_3-13"'):]
    row = row[: row.index("</tr>")]
    assert 'data-verdict="INCONCLUSIVE"' in row
    assert row.count("support_period.end") == 1 and "Missing:" not in row


def test_markdown_report_gives_regulation_readiness_with_every_blocker() -> None:
    # Issue 16: the readiness answer belongs in every human report; the Markdown one lacked it.
    from iotbaseline.model import (BlockingRequirement, Evidence, Readiness, ReadinessStatus,
                                   VerdictValue)

    data = assessment()
    blockers = [BlockingRequirement(ref=f"uk-psti:S1.{n}", title="No universal default passwords",
                                    verdict=VerdictValue.FAIL, reason=f"reason {n} <script>",
                                    evidence=[Evidence(kind="file", ref="/etc/shadow", line=1)])
                for n in range(1, 6)]
    blockers.append(BlockingRequirement(ref="uk-psti:S2.1", verdict=VerdictValue.INCONCLUSIVE,
                                        reason="Not decided.", missing=["declaration disclosure"]))
    data.readiness = [Readiness(regulation="uk-psti", name="UK PSTI", applies_from="2024-04-29",
                                status=ReadinessStatus.NOT_READY, summary="6 requirements block it",
                                blocking=blockers)]
    text = render_markdown(data, load_catalogs([ETSI]))
    assert "## Regulation readiness" in text
    assert "| UK PSTI | 2024-04-29 | **NOT READY** | 6 requirements block it |" in text
    # all six blockers, not the terminal's first few
    assert all(f"uk-psti:S1.{n} No universal default passwords: reason {n}" in text for n in range(1, 6))
    assert "file ` /etc/shadow:1 `" in text
    assert "Missing: declaration disclosure." in text
    section = text[text.index("## Regulation readiness"):text.index("## Requirements")]
    assert "<script>" not in section and "reason 1 &lt;script&gt;" in section
    # before the requirement tables, so a reader meets the answer first
    assert text.index("## Regulation readiness") < text.index("## Requirements")
