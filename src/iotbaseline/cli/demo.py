"""`iotbaseline demo` (placeholder until its stage lands)."""

import click


@click.command(name="demo")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'demo' is not implemented yet")
