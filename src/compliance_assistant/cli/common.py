"""What every command shares: settings at the edge, and turning errors into exit code 2."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from compliance_assistant.config import Settings, load_settings
from compliance_assistant.engine.errors import EngineError
from compliance_assistant.errors import ComplianceError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3

P = ParamSpec("P")
R = TypeVar("R")

stderr = Console(stderr=True, highlight=False)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print one readable paragraph to stderr and return the Exit to raise."""
    stderr.print(f"[bold red]error:[/] {message}", soft_wrap=True, markup=True, emoji=False)
    return typer.Exit(code)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn our input errors into a one-paragraph message and exit code 2, no traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (ComplianceError, EngineError) as exc:
            raise fail(_escape(str(exc))) from None
        except KeyboardInterrupt:
            stderr.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


def settings() -> Settings:
    return load_settings()


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _escape(text: str) -> str:
    return text.replace("[", "\\[")
