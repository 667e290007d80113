"""Errors raised by the pure engine. The application maps them to exit codes and HTTP answers."""

from __future__ import annotations


class EngineError(ValueError):
    """Base of every error the engine raises on bad input."""


class DefinitionError(EngineError):
    """A guideline set, rule or configuration text is invalid.

    ``source`` names the file (or other origin) and ``line`` the 1-based line of the offending
    key or value, when known, so the message reads ``file:line: key: problem``.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str = "<text>",
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.line = line
        self.key = key
        where = f"{source}:{line}" if line is not None else source
        what = f"{key}: {problem}" if key else problem
        super().__init__(f"{where}: {what}")
