"""`iotbaseline catalog`: list, show, export the baseline catalogs and print what covers them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from iotbaseline.catalog.coverage import (
    CATEGORIES,
    REGULATION_CATEGORIES,
    collect_sources,
    coverage_table,
    regulation_decidability,
)
from iotbaseline.catalog.export import FORMATS, render
from iotbaseline.catalog.loader import (
    CATALOG_IDS,
    CatalogError,
    load_catalog,
    load_catalogs,
    mapping_notes,
)
from iotbaseline.catalog.model import Catalog, Requirement
from iotbaseline.cli.common import EXIT_USAGE

_CATALOG_ARG = click.Choice(CATALOG_IDS)


class _LazyConsole:
    """A Rich console made at print time, so the width follows the terminal (or COLUMNS) of
    the current invocation rather than of the first import."""

    def print(self, *objects: object, **kwargs: object) -> None:
        Console().print(*objects, **kwargs)  # type: ignore[arg-type]


console = _LazyConsole()


def _fail(exc: Exception) -> None:
    click.echo(f"iotbaseline catalog: {exc}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(name="catalog")
def command() -> None:
    """The baseline catalogs: list them, show requirements with their mappings, export them,
    and see which requirements checks, the probe or declarations cover."""


def _counts(catalog: Catalog) -> tuple[int, int]:
    groups = sum(1 for r in catalog.requirements if r.is_group)
    return len(catalog.requirements) - groups, groups


@command.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_catalogs(as_json: bool) -> None:
    """List the catalogs with their version and counts."""
    try:
        catalogs = load_catalogs()
    except CatalogError as exc:
        _fail(exc)
    if as_json:
        rows = []
        for cat in catalogs.values():
            reqs, groups = _counts(cat)
            rows.append({"id": cat.id, "title": cat.title, "version": cat.version,
                         "requirements": reqs, "groups": groups,
                         "conditions": len(cat.conditions), "levels": cat.levels,
                         "license": cat.license})
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title="Catalogs")
    for col in ("id", "title", "version", "requirements", "headings", "conditions", "levels"):
        table.add_column(col, overflow="fold")
    for cat in catalogs.values():
        reqs, groups = _counts(cat)
        table.add_row(escape(cat.id), escape(cat.title), escape(cat.version), str(reqs), str(groups),
                      str(len(cat.conditions)), "/".join(cat.levels) or "-")
    console.print(table)


def _applicability(req: Requirement) -> str:
    parts = []
    if req.status:
        parts.append(req.status)
    if req.levels:
        parts.append("/".join(req.levels))
    if req.conditions:
        joiner = " and " if req.condition_logic == "all" else " or "
        parts.append("(" + joiner.join(req.conditions) + ")")
    if req.level_note:
        parts.append("levels: n/a")
    return " ".join(parts) or "-"


def _show_catalog(cat: Catalog) -> None:
    table = Table(title=f"{cat.id} — {cat.title} ({cat.version})")
    table.add_column("id", no_wrap=True)
    table.add_column("applies", no_wrap=True)
    table.add_column("title / summary", overflow="fold")
    for req in cat.requirements:
        if req.is_group:
            table.add_row(f"[bold]{escape(req.id)}[/]", "",
                          f"[bold]{escape(req.title or req.summary)}[/]")
        else:
            table.add_row(escape(req.id), escape(_applicability(req)),
                          escape(req.title or req.summary))
    console.print(table)
    if cat.license:
        console.print(f"License: {cat.license}. {cat.attribution or ''}", markup=False,
                      highlight=False)


class _Plain:
    """Prints data text verbatim: no Rich markup (ids and notes may contain brackets)."""

    def print(self, text: str, **_: object) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)


def _show_requirement(cat: Catalog, req: Requirement) -> None:
    conditions = {c.id: c for c in cat.conditions}
    out = _Plain()
    console.print(f"[bold]{escape(cat.id)}:{escape(req.id)}[/]  {escape(req.title or '')}",
                  highlight=False)
    if req.title_zh:
        out.print(f"  {req.title_zh}", highlight=False)
    if req.clause or req.chapter:
        out.print(f"  clause/chapter: {req.clause or req.chapter}", highlight=False)
    if req.is_group:
        out.print("  (heading: groups requirements, not itself assessed)")
    out.print(f"  {req.summary}", highlight=False)
    if req.summary_zh:
        out.print(f"  {req.summary_zh}", highlight=False)
    if req.status:
        meaning = cat.statuses.get(req.status, "")
        out.print(f"  status: {req.status}" + (f" ({meaning})" if meaning else ""), highlight=False)
    if req.levels:
        out.print(f"  levels: {', '.join(req.levels)}", highlight=False)
    if req.level_note:
        out.print(f"  levels note: {req.level_note}", highlight=False)
    if req.conditions:
        logic = "all of" if req.condition_logic == "all" else "any of"
        out.print(f"  applies when {logic}:")
        for cid in req.conditions:
            cond = conditions[cid]
            field = ""
            if cond.profile_field:
                field = f"  [profile: {'not ' if cond.negated else ''}{cond.profile_field}]"
            out.print(f"    ({cid}) {cond.summary}{field}", highlight=False)
    if req.test_cases:
        cases = ", ".join(f"{t.id} ({t.kind})" for t in req.test_cases)
        out.print(f"  TS 103 701 test cases: {cases}", highlight=False)
    if req.ixit:
        out.print(f"  IXIT: {', '.join(req.ixit)}", highlight=False)
    related = mapping_notes(f"{cat.id}:{req.id}")
    if related:
        table = Table(title="Mapped requirements", show_lines=False)
        table.add_column("requirement", no_wrap=True)
        table.add_column("this is", no_wrap=True)
        table.add_column("note", overflow="fold")
        for other, relation, note in related:
            table.add_row(escape(other), relation, escape(note or ""))
        console.print(table)
    else:
        out.print("  mapped: none")


@command.command(name="show")
@click.argument("catalog_id", metavar="CATALOG", type=_CATALOG_ARG)
@click.argument("requirement_id", metavar="[ID]", required=False)
def show(catalog_id: str, requirement_id: str | None) -> None:
    """Show a catalog as a table, or one requirement with its status, levels, conditions, test
    cases, IXIT and the requirements mapped to it in other catalogs."""
    try:
        cat = load_catalog(catalog_id)
        if requirement_id is None:
            _show_catalog(cat)
            return
        match = [r for r in cat.requirements if r.id == requirement_id]
        if not match:
            raise CatalogError(f"no requirement {requirement_id!r} in catalog {catalog_id!r}")
        _show_requirement(cat, match[0])
    except CatalogError as exc:
        _fail(exc)


@command.command(name="export")
@click.argument("catalog_id", metavar="CATALOG", type=_CATALOG_ARG)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
def export(catalog_id: str, fmt: str, output: Path | None) -> None:
    """Export a catalog as JSON, CSV or Markdown."""
    try:
        cat = load_catalog(catalog_id)
    except CatalogError as exc:
        _fail(exc)
    text = render(cat, fmt)
    if cat.license and fmt == "csv":
        click.echo(f"note: {cat.id} is licensed {cat.license}; attribution: {cat.attribution}",
                   err=True)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(CatalogError(f"cannot write {output}: {exc.strerror or exc}"))
    click.echo(f"wrote {output}", err=True)


@command.command(name="coverage")
@click.argument("catalog_id", metavar="[CATALOG]", type=_CATALOG_ARG, required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def coverage(catalog_id: str | None, as_json: bool) -> None:
    """Per catalog: requirements covered by firmware checks, by the live probe, by
    declarations, and by nothing."""
    ids = [catalog_id] if catalog_id else list(CATALOG_IDS)
    try:
        sources = collect_sources()
        tables = {cid: coverage_table(cid, sources) for cid in ids}
    except CatalogError as exc:
        _fail(exc)
    views = {cid: regulation_decidability(cid) for cid in ids
             if load_catalog(cid).regulation is not None}
    if as_json:
        doc = {"catalogs": tables, "regulation_views": views,
               "unknown_refs": list(sources.unknown_refs)}
        click.echo(json.dumps(doc, indent=2))
        return
    for cid, table in tables.items():
        total = len(load_catalog(cid).requirements) - _counts(load_catalog(cid))[1]
        grid = Table(title=f"{cid}: {total} requirements")
        grid.add_column("covered by", no_wrap=True)
        grid.add_column("count", justify="right")
        grid.add_column("requirements", overflow="fold")
        labels = {"checks": "firmware checks", "probe": "live probe",
                  "declarations": "declarations", "none": "nothing"}
        for category in CATEGORIES:
            ids_in = table[category]
            grid.add_row(labels[category], str(len(ids_in)), escape(", ".join(ids_in)) or "-")
        console.print(grid)
        if cid in views:
            _print_decidability(cid, views[cid])
    if sources.unknown_refs:
        console.print("[yellow]refs naming no requirement:[/] "
                      + escape(", ".join(sources.unknown_refs)), highlight=False)


def _print_decidability(catalog_id: str, view: dict[str, list[str]]) -> None:
    """For a regulation view: what the mapped baseline evidence can decide on its own."""
    labels = {"whole": "baseline evidence",
              "part": "evidence can FAIL it; PASS also needs attestation",
              "declaration-only": "attestation only",
              "none": "nothing (data gap)"}
    grid = Table(title=f"{catalog_id}: what the evidence can decide")
    grid.add_column("decided by", no_wrap=True)
    grid.add_column("count", justify="right")
    grid.add_column("requirements", overflow="fold")
    for category in REGULATION_CATEGORIES:
        grid.add_row(labels[category], str(len(view[category])),
                     escape(", ".join(view[category])) or "-")
    console.print(grid)
