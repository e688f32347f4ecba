"""`iotbaseline inventory` (placeholder until its stage lands)."""

import click


@click.command(name="inventory")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'inventory' is not implemented yet")
