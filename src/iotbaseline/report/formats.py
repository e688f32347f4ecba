"""Every output format behind one interface: ``render(assessment, fmt, options) -> bytes``.

The format is an enum and ``render`` matches it exhaustively (``assert_never``), so adding a
format without a renderer is a type error. Renderers only read the assessment: a report never
re-reads the image.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import assert_never

from iotbaseline.model import Assessment


class ReportFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    SARIF = "sarif"
    CYCLONEDX = "cyclonedx"
    SPDX = "spdx"
    ICS_MD = "ics-md"
    ICS_CSV = "ics-csv"
    MARKDOWN = "md"
    EXTRACTION = "extraction"


FILENAMES: dict[ReportFormat, str] = {
    ReportFormat.JSON: "assessment.json",
    ReportFormat.HTML: "report.html",
    ReportFormat.SARIF: "results.sarif",
    ReportFormat.CYCLONEDX: "sbom.cdx.json",
    ReportFormat.SPDX: "sbom.spdx.json",
    ReportFormat.ICS_MD: "ics.md",
    ReportFormat.ICS_CSV: "ics.csv",
    ReportFormat.MARKDOWN: "report.md",
    ReportFormat.EXTRACTION: "extraction.json",
}

# `--format` names on the command line → the files they produce
FORMAT_GROUPS: dict[str, tuple[ReportFormat, ...]] = {
    "json": (ReportFormat.JSON,),
    "html": (ReportFormat.HTML,),
    "sarif": (ReportFormat.SARIF,),
    "cyclonedx": (ReportFormat.CYCLONEDX,),
    "spdx": (ReportFormat.SPDX,),
    "ics": (ReportFormat.ICS_MD, ReportFormat.ICS_CSV),
    "md": (ReportFormat.MARKDOWN,),
    "extraction": (ReportFormat.EXTRACTION,),
}


@dataclass(frozen=True)
class RenderOptions:
    show_secrets: bool = False


def _catalogs(assessment: Assessment):  # type: ignore[no-untyped-def]
    from iotbaseline.catalog.loader import load_catalogs

    return load_catalogs(list(assessment.verdicts) or None)


def render(assessment: Assessment, fmt: ReportFormat, options: RenderOptions = RenderOptions()) -> bytes:
    match fmt:
        case ReportFormat.JSON:
            return assessment.to_json(show_secrets=options.show_secrets).encode()
        case ReportFormat.HTML:
            from iotbaseline.report.html import render_html

            return render_html(assessment, _catalogs(assessment)).encode()
        case ReportFormat.SARIF:
            from iotbaseline.report.sarif import render_sarif

            return render_sarif(assessment, _catalogs(assessment)).encode()
        case ReportFormat.CYCLONEDX:
            from iotbaseline.sbom.cyclonedx import render_cyclonedx

            return render_cyclonedx(assessment.components, assessment.target).encode()
        case ReportFormat.SPDX:
            from iotbaseline.sbom.spdx import render_spdx

            return render_spdx(assessment.components, assessment.target).encode()
        case ReportFormat.ICS_MD:
            from iotbaseline.report.ics import render_ics_markdown

            return render_ics_markdown(assessment, _catalogs(assessment)).encode()
        case ReportFormat.ICS_CSV:
            from iotbaseline.report.ics import render_ics_csv

            return render_ics_csv(assessment, _catalogs(assessment)).encode()
        case ReportFormat.MARKDOWN:
            from iotbaseline.report.markdown import render_markdown

            return render_markdown(assessment, _catalogs(assessment)).encode()
        case ReportFormat.EXTRACTION:
            data = assessment.extraction.model_dump(mode="json", by_alias=True) if assessment.extraction else {}
            return json.dumps(data, indent=2).encode()
        case _:
            assert_never(fmt)


def expand(names: tuple[str, ...] | list[str]) -> list[ReportFormat]:
    formats: list[ReportFormat] = []
    for name in names:
        for fmt in FORMAT_GROUPS[name]:
            if fmt not in formats:
                formats.append(fmt)
    return formats


def write_all(
    assessment: Assessment,
    out_dir: Path,
    names: tuple[str, ...] | list[str],
    *,
    show_secrets: bool = False,
    prerendered: dict[ReportFormat, bytes] | None = None,
) -> dict[str, Path]:
    """Write each requested format (except JSON, written last by the caller); a renderer that
    fails is recorded in the assessment's errors and the others are still written.
    ``prerendered`` holds outputs already made elsewhere (the scan renders CycloneDX beside the
    checks)."""
    from iotbaseline.model import AnalysisError

    written: dict[str, Path] = {}
    options = RenderOptions(show_secrets=show_secrets)
    for fmt in expand(names):
        if fmt is ReportFormat.JSON:
            continue
        path = out_dir / FILENAMES[fmt]
        try:
            ready = (prerendered or {}).get(fmt)
            path.write_bytes(ready if ready is not None else render(assessment, fmt, options))
        except Exception as exc:  # noqa: BLE001 - one broken renderer must not lose the others
            assessment.errors.append(AnalysisError(stage=f"report:{fmt.value}", message=f"{type(exc).__name__}: {exc}"))
            continue
        written[fmt.value] = path
    return written
