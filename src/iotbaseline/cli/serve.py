"""`iotbaseline serve`: the fleet dashboard and JSON API over a results store."""

from __future__ import annotations

import os
import sys

import click
from rich.markup import escape

from iotbaseline.cli.batch import open_store_or_exit, store_option
from iotbaseline.cli.common import EXIT_USAGE, err_console

ENV_TOKEN = "IOTBASELINE_TOKEN"
# Binds that need no token: this machine's own address, exactly. Any other bind (another
# loopback alias included) may be reachable by others, so it needs a token.
NO_TOKEN_HOSTS = ("127.0.0.1", "::1", "localhost")


def token_problem(host: str, token: str | None) -> str | None:
    if host in NO_TOKEN_HOSTS or token:
        return None
    return (f"binding to {host} makes the results reachable from elsewhere: give a token with "
            f"--token or ${ENV_TOKEN} (or bind to 127.0.0.1)")


@click.command(name="serve")
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option("--token", default=None, help=f"Token every page and API call must carry (default: ${ENV_TOKEN}); required for any bind other than 127.0.0.1/::1.")
def command(store_url: str | None, host: str, port: int, token: str | None) -> None:
    """Serve the dashboard (products → versions → assessments, trends, diffs, fleet search,
    downloads) and the JSON API (/api/…, OpenAPI at /openapi.json)."""
    token = token or os.environ.get(ENV_TOKEN) or None
    problem = token_problem(host, token)
    if problem:
        err_console.print(f"[red]error:[/] {escape(problem)}", soft_wrap=True)
        sys.exit(EXIT_USAGE)
    import uvicorn

    from iotbaseline.serve.app import create_app

    store = open_store_or_exit(store_url)
    err_console.print(f"iotbaseline: serving http://{host}:{port}/" + (" (token required)" if token else ""),
                      soft_wrap=True, markup=False)
    try:
        uvicorn.run(create_app(store, token), host=host, port=port, log_level="warning")
    finally:
        store.close()
