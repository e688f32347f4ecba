"""`iotbaseline profile` (placeholder until its stage lands)."""

import click


@click.command(name="profile")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'profile' is not implemented yet")
