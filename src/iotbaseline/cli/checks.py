"""`iotbaseline checks` (placeholder until its stage lands)."""

import click


@click.command(name="checks")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'checks' is not implemented yet")
