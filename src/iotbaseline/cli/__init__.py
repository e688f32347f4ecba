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
    "scan",
    "report",
    "diff",
    "demo",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iotbaseline")
def main() -> None:
    """Check consumer-IoT products against security baselines (ETSI EN 303 645, Xiaomi 2.0,
    Tencent Q/TX 001.1, OWASP ISVS), with evidence for every verdict."""


for _name in SUBCOMMANDS:
    _module = importlib.import_module(f"iotbaseline.cli.{_name}")
    main.add_command(_module.command)
