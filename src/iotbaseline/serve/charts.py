"""Trend charts across the versions of a product, rendered on the server as inline SVG with
pygal (no script, no external font or stylesheet: the dashboard loads nothing from outside)."""

from __future__ import annotations

from typing import Any

import pygal
from pygal.style import Style

_STYLE = Style(background="white", plot_background="white", font_family="sans-serif",
               colors=("#c0392b", "#e67e22", "#f1c40f", "#2980b9", "#7f8c8d", "#27ae60"))
SEVERITIES = ("critical", "high", "medium", "low", "info")


def _render(chart: Any) -> str:
    svg: str = chart.render(is_unicode=True)
    return svg


def _chart(kind: Any, title: str, labels: list[str], stacked: bool = False) -> Any:
    chart = kind(title=title, style=_STYLE, js=[], disable_xml_declaration=True, width=640, height=300,
                 explicit_size=True, x_label_rotation=20, legend_at_bottom=True, print_values=False)
    chart.x_labels = labels
    return chart


def trend_charts(points: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """``points``: (version, assessment summary) oldest first → {name: svg}."""
    labels = [v for v, _ in points]
    catalogs = sorted({c for _, s in points for c in s.get("verdicts", {})})
    fails = _chart(pygal.Line, "FAIL verdicts per catalog", labels)
    for catalog in catalogs:
        fails.add(catalog, [s.get("verdicts", {}).get(catalog, {}).get("FAIL", 0) for _, s in points])
    severities = _chart(pygal.StackedBar, "Findings by severity", labels, stacked=True)
    for severity in SEVERITIES:
        severities.add(severity, [s.get("findings", {}).get(severity, 0) for _, s in points])
    cves = _chart(pygal.Line, "Known CVEs and KEV", labels)
    cves.add("CVEs", [s.get("cves", 0) for _, s in points])
    cves.add("KEV", [s.get("kev", 0) for _, s in points])
    return {"verdicts": _render(fails), "severity": _render(severities), "cves": _render(cves)}
