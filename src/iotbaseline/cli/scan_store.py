"""`scan --store URL [--rescan] [--product NAME] [--version V]`: keep the scan in the results
store. A decorator on the scan command, so the scan command itself stays as it is: before the
scan it skips an image the store already holds with the same key; after it, it stores
``assessment.json``."""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from iotbaseline.cli.common import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, err_console


def _scan_options(kwargs: dict[str, Any]) -> Any:
    from iotbaseline.pipeline import ALL_FORMATS, ScanOptions

    names = {f.name for f in dataclasses.fields(ScanOptions)}
    values = {k: v for k, v in kwargs.items() if k in names}
    values["use_db"] = not kwargs.get("no_db", False)
    values["formats"] = kwargs.get("formats") or ALL_FORMATS
    return ScanOptions(**values)


def with_store_options(command: Callable[..., None]) -> Callable[..., None]:
    @click.option("--store", "store_url", default=None, metavar="URL",
                  help="Also keep the result in this results store (sqlite:///PATH, a path, or postgresql+psycopg://…; see `iotbaseline batch`).")
    @click.option("--rescan", is_flag=True, help="With --store: scan even if the store holds this image with the same settings, and replace it.")
    @click.option("--product", default=None, help="With --store: product name when the profile does not give one.")
    @click.option("--version", "fw_version", default=None, help="With --store: firmware version when the profile does not give one.")
    @functools.wraps(command)
    def wrapper(store_url: str | None, rescan: bool, product: str | None, fw_version: str | None,
                **kwargs: Any) -> None:
        if store_url is None:
            if rescan or product or fw_version:
                err_console.print("[red]error:[/] --rescan, --product and --version need --store", soft_wrap=True)
                sys.exit(EXIT_USAGE)
            command(**kwargs)
            return
        _scan_into_store(command, kwargs, store_url, rescan, product, fw_version)

    return wrapper


def _scan_into_store(command: Callable[..., None], kwargs: dict[str, Any], store_url: str, rescan: bool,
                     product: str | None, fw_version: str | None) -> None:
    from iotbaseline.cli.batch import open_store_or_exit
    from iotbaseline.fleet.work import assessment_key, record_from_document
    from iotbaseline.store.records import file_sha256

    source: Path = kwargs["path"]
    if not source.is_file():
        err_console.print(f"[red]error:[/] {escape(str(source))}: --store takes an image file", soft_wrap=True)
        sys.exit(EXIT_USAGE)
    options = _scan_options(kwargs)
    if "json" not in options.formats:
        options = dataclasses.replace(options, formats=(*options.formats, "json"))
        kwargs["formats"] = options.formats
    store = open_store_or_exit(store_url)
    try:
        key = assessment_key(file_sha256(source), options)
        if not rescan and store.final_keys([key]):
            err_console.print(f"iotbaseline: {source.name} is already in the store with these settings "
                              "(--rescan to scan it again)", soft_wrap=True, markup=False)
            sys.exit(EXIT_OK)
        code: int | str | None = 0
        try:
            command(**kwargs)
        except SystemExit as exc:
            code = exc.code
        document_path = options.out_dir / "assessment.json"
        if code in (0, 1) and document_path.is_file():
            record = record_from_document(document_path.read_text(encoding="utf-8"), source, key, options,
                                          product, fw_version, None, None)
            saved = store.save(record, replace=rescan)
            err_console.print(f"iotbaseline: stored as assessment #{saved.assessment_id} "
                              f"({record.identity.model} {record.identity.version})", soft_wrap=True, markup=False)
        elif code not in (0, 1):
            err_console.print("iotbaseline: not stored (the scan did not finish)", soft_wrap=True, markup=False)
        sys.exit(code if isinstance(code, int) else EXIT_INTERNAL)
    finally:
        store.close()
