"""`iotbaseline report` (placeholder until its stage lands)."""

import click


@click.command(name="report")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'report' is not implemented yet")
