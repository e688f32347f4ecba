"""The HTML report: one self-contained file (inline CSS and JS, no network) for a product
manager and a test lab alike.

Rendered with Jinja2 with autoescaping on for every value: firmware strings are attacker
controlled, so a ``<script>`` in a file excerpt must arrive as text. The page carries a
Content-Security-Policy that forbids any fetch, so even a mistake cannot make it call out.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from iotbaseline.catalog.model import Catalog
from iotbaseline.model import Assessment, VerdictValue
from iotbaseline.report.view import VERDICT_LABEL, VERDICT_ORDER, anchor, build_view

MAX_EVIDENCE_SHOWN = 8


@cache
def template_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("iotbaseline.report", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.globals["anchor"] = anchor
    return env


@cache
def inline_static(name: str) -> Markup:
    """Our own CSS/JS, inlined; ``</`` is neutralised so it cannot close the element early."""
    text = resources.files("iotbaseline.report").joinpath("static", name).read_text("utf-8")
    return Markup(text.replace("</", "<\\/"))


def render_html(assessment: Assessment, catalogs: dict[str, Catalog]) -> str:
    """The whole report as one HTML document."""
    view = build_view(assessment, catalogs)
    template = template_environment().get_template("report.html.j2")
    return template.render(
        v=view,
        css=inline_static("report.css"),
        js=inline_static("report.js"),
        tool_version=assessment.tool.version,
        verdict_order=VERDICT_ORDER,
        verdict_inconclusive=VerdictValue.INCONCLUSIVE,
        labels=VERDICT_LABEL,
        max_evidence=MAX_EVIDENCE_SHOWN,
    )
