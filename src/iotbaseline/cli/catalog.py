"""`iotbaseline catalog` (placeholder until its stage lands)."""

import click


@click.command(name="catalog")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'catalog' is not implemented yet")
