"""`iotbaseline stream FILE… [-o DIR] [--key HEX]`: per elementary stream, is camera media
CLEAR, PROTECTED, PROTECTED-BY-PATTERN or inside an ENCRYPTED-TRANSPORT; writes stream.json.
`stream protect IN OUT --key HEX` / `stream unprotect …`: the maker's pattern, for samples."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from iotbaseline.cli.common import EXIT_USAGE, console, err_console


def _hex16(value: str | None, what: str) -> bytes | None:
    if value is None:
        return None
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise click.BadParameter(f"{what} must be hexadecimal") from None
    if len(raw) != 16:
        raise click.BadParameter(f"{what} must be 16 bytes (32 hex digits), not {len(raw)}")
    return raw


class _StreamGroup(click.Group):
    """`stream FILE…` analyses; `stream protect|unprotect …` are sub-commands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["analyse", *args]
        return super().parse_args(ctx, args)


@click.group(name="stream", cls=_StreamGroup)
def command() -> None:
    """Camera stream protection: `stream FILE… [-o DIR] [--key HEX]` analyses recordings and
    captures; `stream protect` / `stream unprotect` apply or remove the maker's pattern."""


@command.command(name="analyse")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("iotbaseline-stream"), show_default=True,
              help="Directory for stream.json.")
@click.option("--key", help="AES-128 key (32 hex digits): decrypt by the pattern to prove it.")
@click.option("--iv", help="IV (32 hex digits) the pattern restarts every unit with; default zero.")
def analyse(files: tuple[Path, ...], out_dir: Path, key: str | None, iv: str | None) -> None:
    """Verdict per elementary stream of raw H.264/H.265, AAC (ADTS), G.711, MP4/MKV/FLV/TS
    recordings and pcap/pcapng captures (RTP, RTSP-interleaved, TLS, DTLS, SRTP)."""
    from iotbaseline.stream.run import analyse_streams

    report = analyse_streams(list(files), _hex16(key, "--key"), _hex16(iv, "--iv"))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "stream.json"
        path.write_text(report.model_dump_json(by_alias=True, indent=2))
    except OSError as exc:
        err_console.print(f"[red]error:[/] cannot write to {out_dir}: {exc.strerror or exc}")
        raise SystemExit(EXIT_USAGE) from None
    table = Table(title="Streams")
    for column in ("stream", "codec", "verdict", "basis", "why"):
        table.add_column(column)
    for s in report.streams:
        table.add_row(s.id, s.codec or s.container, s.verdict.value, s.basis, s.reason)
    console.print(table)
    for error in report.errors:
        err_console.print(f"[red]error:[/] {error}", highlight=False)
    console.print(f"wrote {path}")
    if report.errors:
        raise SystemExit(EXIT_USAGE)


def _apply(source: Path, target: Path, key: str, iv: str | None, encrypt: bool) -> None:
    from iotbaseline.stream.pattern import PatternCipher
    from iotbaseline.stream.reference import apply_pattern
    from iotbaseline.stream.tracks import StreamInputError

    raw_key = _hex16(key, "--key")
    assert raw_key is not None
    cipher = PatternCipher(raw_key, _hex16(iv, "--iv") or bytes(16))
    try:
        data = source.read_bytes()
        out = apply_pattern(data, source.name, cipher, encrypt)
        target.write_bytes(out)
    except OSError as exc:
        err_console.print(f"[red]error:[/] {exc.filename}: {exc.strerror or exc}")
        raise SystemExit(EXIT_USAGE) from None
    except StreamInputError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        raise SystemExit(EXIT_USAGE) from None
    console.print(f"wrote {target} ({len(out)} bytes)")


_IN = click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_OUT = click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
_KEY = click.option("--key", required=True, help="AES-128 key, 32 hex digits.")
_IV = click.option("--iv", help="IV, 32 hex digits (default zero), restarted every unit.")


@command.command(name="protect")
@_IN
@_OUT
@_KEY
@_IV
def protect(source: Path, target: Path, key: str, iv: str | None) -> None:
    """Apply the pattern (AES-128-CBC) to a raw H.264, AAC ADTS or G.711 file."""
    _apply(source, target, key, iv, True)


@command.command(name="unprotect")
@_IN
@_OUT
@_KEY
@_IV
def unprotect(source: Path, target: Path, key: str, iv: str | None) -> None:
    """Remove the pattern: the exact inverse of `stream protect` with the same key and IV."""
    _apply(source, target, key, iv, False)
