"""`iotbaseline assess` (placeholder until its stage lands)."""

import click


@click.command(name="assess")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'assess' is not implemented yet")
