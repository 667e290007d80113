"""The `compliance` command."""

from __future__ import annotations

import typer

from compliance_assistant import __version__
from compliance_assistant.cli import guidelines
from compliance_assistant.cli.check import check
from compliance_assistant.cli.lint import lint

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


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
