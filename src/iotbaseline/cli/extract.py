"""`iotbaseline extract IMAGE -o DIR`: unpack a firmware image; write DIR/extraction.json."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iotbaseline.cli.common import EXIT_OK, EXIT_USAGE, err_console, is_interactive
from iotbaseline.extract import ExtractError, Limits, extract_image
from iotbaseline.model import ExtractionError, ExtractionResult

_DEFAULTS = Limits()


@click.command(name="extract")
@click.argument("image", type=click.Path(path_type=Path))
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), required=True,
              help="Work directory for the extracted tree(s) and extraction.json.")
@click.option("--max-bytes", type=int, default=_DEFAULTS.max_total_bytes, show_default=True,
              help="Most bytes all extractors together may write.")
@click.option("--max-ratio", type=float, default=_DEFAULTS.max_ratio, show_default=True,
              help="Most extracted bytes per input byte (decompression bombs).")
@click.option("--max-depth", type=int, default=_DEFAULTS.max_depth, show_default=True,
              help="Most levels of containers inside containers.")
@click.option("--max-files", type=int, default=_DEFAULTS.max_files, show_default=True,
              help="Most entries extracted.")
@click.option("--timeout", type=float, default=_DEFAULTS.extractor_timeout_s, show_default=True,
              help="Seconds one extractor may run.")
@click.option("--debug", is_flag=True,
              help="Write tracebacks and extractor details to DIR/debug.log.")
def command(image: Path, output: Path, max_bytes: int, max_ratio: float, max_depth: int,
            max_files: int, timeout: float, debug: bool) -> None:
    """Unpack IMAGE (firmware image, archive, Intel HEX/S-record or directory) into DIR."""
    limits = Limits(max_total_bytes=max_bytes, max_ratio=max_ratio, max_depth=max_depth,
                    max_files=max_files, extractor_timeout_s=timeout)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"cannot create output directory {output}: {exc.strerror}")
    if debug:
        from iotbaseline.errors import enable_debug_log

        enable_debug_log(output / "debug.log")
    _clear_previous(output)
    try:
        result = _run(image, output, limits)
    except ExtractError as exc:
        partial = ExtractionResult(input=str(image), work_dir=str(output), input_kind="",
                                   errors=[ExtractionError(stage="input", message=str(exc))])
        _write(output, partial)
        _fail(str(exc))
    _write(output, result)
    _summarise(result, output)
    if not result.roots and not result.flat_images:
        reason = result.errors[0].message if result.errors else "nothing could be extracted"
        _fail(f"nothing extracted from {image}: {reason}")
    sys.exit(EXIT_OK)


def _clear_previous(output: Path) -> None:
    """Re-running into the same DIR: remove what the previous run recorded in its
    extraction.json (its trees, carved files, sidecars), nothing else the user keeps there."""
    import shutil

    previous = output / "extraction.json"
    if not previous.is_file():
        return
    try:
        old = ExtractionResult.model_validate_json(previous.read_text(encoding="utf-8"))
    except ValueError:
        _fail(f"{previous}: exists but is not an extraction.json of ours; choose another -o")
    base = output.resolve()
    recorded = [Path(r.path) for r in old.roots] + [Path(f) for f in old.flat_images]
    recorded += [base / c.extracted_to for c in old.chunks if c.extracted_to]
    tops: set[Path] = set()
    for path in recorded:
        try:
            first = (path if path.is_absolute() else base / path).resolve().relative_to(base).parts[0]
        except (ValueError, IndexError):
            continue  # outside DIR (e.g. a directory input analysed in place): never touched
        tops.add(base / first)
    tops |= {p for p in base.glob("*.modes.json")} | {base / ".regions", previous}
    for top in tops:
        if top.is_symlink() or top.is_file():
            top.unlink(missing_ok=True)
        elif top.is_dir():
            shutil.rmtree(top, ignore_errors=True)


def _run(image: Path, output: Path, limits: Limits) -> ExtractionResult:
    if not is_interactive():
        return extract_image(image, output, limits)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task(f"extracting {image.name}", total=None)

        def step(message: str) -> None:
            bar.update(task, description=f"{image.name}: {message}")

        return extract_image(image, output, limits, progress=step)


def _write(output: Path, result: ExtractionResult) -> None:
    (output / "extraction.json").write_text(
        result.model_dump_json(by_alias=True, indent=2), encoding="utf-8")


def _summarise(result: ExtractionResult, output: Path) -> None:
    lines = [(f"{len(result.roots)} root filesystem(s), {len(result.flat_images)} flat image(s), "
              f"{len(result.chunks)} chunk(s), {len(result.errors)} problem(s) in {result.seconds}s")]
    lines += [f"  {root.label}: {root.path}" for root in result.roots]
    lines += [f"  flat: {path}" for path in result.flat_images]
    if result.limits_hit:
        lines.append(f"  limits reached: {', '.join(result.limits_hit)}")
    lines.append(f"  report: {output / 'extraction.json'}")
    click.echo("\n".join(lines))


def _fail(reason: str) -> None:
    click.echo(f"iotbaseline extract: {reason.splitlines()[0] if reason else 'failed'}", err=True)
    sys.exit(EXIT_USAGE)
