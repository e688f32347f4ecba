"""`iotbaseline profile init|check`: write a commented device-profile template; validate one."""

from __future__ import annotations

from pathlib import Path

import click

from iotbaseline.assess.profile import CATEGORIES, ProfileError, load_profile, xiaomi_level
from iotbaseline.assess.template import render_template
from iotbaseline.cli.common import EXIT_USAGE, err_console


@click.group(name="profile")
def command() -> None:
    """Device profile: the product, its conditions and the maker's declarations."""


@command.command(name="init")
@click.option("--category", type=click.Choice(CATEGORIES), default="other", show_default=True,
              help="Product category; presets the facts that follow from it.")
@click.option("--name", default="My product", show_default=True, help="Product name.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output (refuses to overwrite).")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
def init(category: str, name: str, output: Path | None, force: bool) -> None:
    """Write a commented profile template."""
    text = render_template(category, name)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists() and not force:
        err_console.print(f"[red]error:[/] {output} exists (use --force to overwrite)")
        raise SystemExit(EXIT_USAGE)
    output.write_text(text, encoding="utf-8")
    err_console.print(f"wrote {output}; fill it in, then run: iotbaseline profile check {output}")


@command.command(name="check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate FILE; print each problem as FILE:LINE: FIELD: PROBLEM (exit 2 on any)."""
    try:
        profile = load_profile(file)
    except ProfileError as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        raise SystemExit(EXIT_USAGE) from None
    answered = sum(
        1 for value in (profile.constrained_device, *profile.conditions.model_dump().values())
        if value is not None
    )
    level, how = xiaomi_level(profile)
    click.echo(f"{file}: valid profile for '{profile.product.name}' "
               f"({profile.product.category}); {answered} of 16 conditions answered; "
               f"Xiaomi level {level or 'unknown'} ({how})")
