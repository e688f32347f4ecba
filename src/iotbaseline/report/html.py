"""The HTML report: one self-contained file (inline CSS and JS, no network) for a product
manager and a test lab alike.

Rendered with Jinja2 with autoescaping on for every value: firmware strings are attacker
controlled, so a ``<script>`` in a file excerpt must arrive as text. The page carries a
Content-Security-Policy that forbids any fetch, so even a mistake cannot make it call out.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup

from iotbaseline.catalog.model import Catalog
from iotbaseline.model import Assessment, VerdictValue
from iotbaseline.report.view import VERDICT_LABEL, VERDICT_ORDER, anchor, build_view

MAX_EVIDENCE_SHOWN = 8


class _QuietBytecodeCache(FileSystemBytecodeCache):
    """Jinja's compiled-template cache: compiling the report template costs ~0.2 s per process
    (a tenth of a whole scan's budget), loading it from the cache under a millisecond. Keyed by
    the template's checksum, so an edited template is recompiled. A cache that cannot be
    written only makes the next run slower, so write errors are ignored."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """Under $IOTBASELINE_CACHE_DIR or the user's cache directory; None when unusable."""
    import jinja2
    import platformdirs

    base = os.environ.get("IOTBASELINE_CACHE_DIR") or platformdirs.user_cache_dir("iotbaseline")
    directory = Path(base) / f"jinja-{jinja2.__version__}"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return _QuietBytecodeCache(str(directory))


@cache
def template_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("iotbaseline.report", "templates"),
        bytecode_cache=_bytecode_cache(),
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
        readiness=assessment.readiness,
        readiness_class=_READINESS_CLASS,
        anchor=anchor,
        req_anchor=_requirement_anchor,
    )


# readiness statuses drawn with the verdict colours they rest on
_READINESS_CLASS = {"READY": "v-PASS", "NOT READY": "v-FAIL", "NEEDS EVIDENCE": "v-INCONCLUSIVE"}


def _requirement_anchor(ref: str) -> str:
    """The id of a requirement's row in the verdict tables ("catalog:id" → its anchor)."""
    catalog_id, _, req_id = ref.partition(":")
    return anchor(f"req-{catalog_id}", req_id)
