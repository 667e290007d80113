"""The `compliance` command."""

from __future__ import annotations

import typer

from compliance_assistant import __version__
from compliance_assistant.cli import addin, apikey, gtc, guidelines
from compliance_assistant.cli.check import check
from compliance_assistant.cli.lint import lint
from compliance_assistant.cli.migrate import migrate
from compliance_assistant.cli.serve import api, serve, worker

app = typer.Typer(
    name="compliance",
    help="Check marketing content against compliance guidelines and product terms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("check")(check)
app.command("lint")(lint)
app.add_typer(guidelines.app, name="guidelines")
app.command("serve")(serve)
app.command("api")(api)
app.command("worker")(worker)
app.command("migrate")(migrate)
app.add_typer(apikey.app, name="apikey")
app.add_typer(addin.app, name="addin")
app.add_typer(gtc.app, name="gtc")


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
