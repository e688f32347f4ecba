"""`iotbaseline scan` (placeholder until its stage lands)."""

import click


@click.command(name="scan")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'scan' is not implemented yet")
