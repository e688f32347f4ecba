"""`iotbaseline probe` (placeholder until its stage lands)."""

import click


@click.command(name="probe")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'probe' is not implemented yet")
