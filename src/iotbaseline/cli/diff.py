"""`iotbaseline diff` (placeholder until its stage lands)."""

import click


@click.command(name="diff")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'diff' is not implemented yet")
