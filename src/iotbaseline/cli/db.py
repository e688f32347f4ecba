"""`iotbaseline db` (placeholder until its stage lands)."""

import click


@click.command(name="db")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'db' is not implemented yet")
