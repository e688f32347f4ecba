"""`iotbaseline extract` (placeholder until its stage lands)."""

import click


@click.command(name="extract")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'extract' is not implemented yet")
