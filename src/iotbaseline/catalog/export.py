"""Render a catalog as JSON, CSV or Markdown (for `catalog export` and for people who want the
baseline in a spreadsheet)."""

from __future__ import annotations

import csv
import io
import json

from iotbaseline.catalog.model import Catalog, Requirement

FORMATS = ("json", "csv", "md")

CSV_COLUMNS = (
    "id", "is_group", "chapter", "clause", "title", "title_zh", "status", "levels", "level_note",
    "conditions", "condition_logic", "test_cases", "ixit", "tags", "summary", "summary_zh",
)


def _row(req: Requirement) -> dict[str, str]:
    return {
        "id": req.id,
        "is_group": "yes" if req.is_group else "",
        "chapter": req.chapter or "",
        "clause": req.clause or "",
        "title": req.title or "",
        "title_zh": req.title_zh or "",
        "status": req.status or "",
        "levels": " ".join(req.levels),
        "level_note": req.level_note or "",
        "conditions": " ".join(req.conditions),
        "condition_logic": req.condition_logic if len(req.conditions) > 1 else "",
        "test_cases": " ".join(f"{t.id}:{t.kind}" for t in req.test_cases),
        "ixit": " ".join(req.ixit),
        "tags": " ".join(req.tags),
        "summary": req.summary,
        "summary_zh": req.summary_zh or "",
    }


def to_json(catalog: Catalog) -> str:
    return json.dumps(catalog.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def to_csv(catalog: Catalog) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for req in catalog.requirements:
        writer.writerow(_row(req))
    return buf.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(catalog: Catalog) -> str:
    lines = [f"# {catalog.title}", "", f"- id: `{catalog.id}`", f"- version: {catalog.version}",
             f"- publisher: {catalog.publisher}", f"- source: {catalog.source}"]
    if catalog.license:
        lines.append(f"- license: {catalog.license}")
    if catalog.attribution:
        lines.append(f"- attribution: {catalog.attribution}")
    lines += [f"- note: {n}" for n in catalog.notes]
    if catalog.conditions:
        lines += ["", "## Conditions", "", "| id | condition | profile field |", "|---|---|---|"]
        for cond in catalog.conditions:
            field = f"{'not ' if cond.negated else ''}{cond.profile_field or ''}".strip()
            lines.append(f"| {cond.id} | {_md_cell(cond.summary)} | {field} |")
    lines += ["", "## Requirements", "", "| id | status / levels | conditions | title | summary |",
              "|---|---|---|---|---|"]
    for req in catalog.requirements:
        if req.is_group:
            lines.append(f"| **{req.id}** | | | **{_md_cell(req.title or '')}** | |")
            continue
        applies = " ".join(x for x in (req.status or "", "/".join(req.levels)) if x)
        if req.level_note:
            applies = (applies + " " if applies else "") + f"({req.level_note})"
        joiner = ", " if req.condition_logic == "all" else " or "
        lines.append(
            f"| {req.id} | {_md_cell(applies)} | {joiner.join(req.conditions)} | "
            f"{_md_cell(req.title or '')} | {_md_cell(req.summary)} |"
        )
    return "\n".join(lines) + "\n"


def render(catalog: Catalog, fmt: str) -> str:
    if fmt == "json":
        return to_json(catalog)
    if fmt == "csv":
        return to_csv(catalog)
    if fmt == "md":
        return to_markdown(catalog)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
