"""`iotbaseline sbom` (placeholder until its stage lands)."""

import click


@click.command(name="sbom")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("'sbom' is not implemented yet")
