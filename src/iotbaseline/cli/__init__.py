"""Command-line interface. Thin: parses arguments, calls the stages, prints, maps errors to exit
codes (0 done, 1 done and --fail-on reached / regressions, 2 bad usage or unreadable input,
3 internal error). Each sub-command lives in its own module exposing ``command``."""

from __future__ import annotations

import importlib

import click

from iotbaseline import __version__

# module name → it exposes `command` (a click.Command or click.Group)
SUBCOMMANDS = (
    "catalog",
    "profile",
    "assess",
    "extract",
    "inventory",
    "checks",
    "sbom",
    "db",
    "probe",
    "stream",
    "scan",
    "report",
    "diff",
    "demo",
    "batch",
    "serve",
    "vex",
)


class LazyGroup(click.Group):
    """Imports a sub-command's module only when that command runs (or --help lists them), so
    `iotbaseline scan` does not pay for importing the probe, the catalog CLI and so on."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def invoke(self, ctx: click.Context) -> object:
        """Any crash a command does not handle itself is exit code 3 with the trace in a debug
        log, never a bare Python traceback with exit code 1."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit,
                KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to exit code 3
            from iotbaseline.cli.common import EXIT_INTERNAL, write_debug_log

            log = write_debug_log()
            click.echo(f"iotbaseline: internal error ({type(exc).__name__}: {exc}); "
                       f"details in {log}", err=True)
            ctx.exit(EXIT_INTERNAL)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module = importlib.import_module(f"iotbaseline.cli.{cmd_name}")
        command: click.Command = module.command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iotbaseline")
def main() -> None:
    """Check consumer-IoT products against security baselines (ETSI EN 303 645, Xiaomi 2.0,
    Tencent Q/TX 001.1, OWASP ISVS), with evidence for every verdict."""

