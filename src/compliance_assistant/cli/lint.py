"""`compliance lint PATH...`: a Vale-compatible front end over the rule engine.

Reads ``.vale.ini`` (found from the working directory upwards, or ``--config``), lints
Markdown, HTML and plain-text files with the configured styles and prints Vale's ``line``
format (``path:line:col:Check:Message``, sorted like ``vale --sort --relative``) or its JSON.
Exit code 1 when an error-level alert was reported, 0 otherwise, 2 for usage/config errors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from compliance_assistant.catalog.vale_config import ValeProject, find_config, load_project
from compliance_assistant.cli.common import EXIT_FINDINGS, EXIT_OK, fail, stderr, user_errors
from compliance_assistant.engine.document import Document
from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules import LEVELS, Alert, Level, run_rules
from compliance_assistant.engine.rules.base import as_level
from compliance_assistant.engine.vale.ignores import apply_ignores
from compliance_assistant.ingest.html import (
    IGNORED_CLASSES,
    IGNORED_TAGS,
    SKIPPED_TAGS,
    HtmlOptions,
    ingest_html,
)
from compliance_assistant.ingest.markdown import ingest_markdown
from compliance_assistant.ingest.text import ingest_plain_text

# Extensions (without the dot) of the formats this front end reads, by format.
FORMATS = {
    "md": "md",
    "mdown": "md",
    "markdown": "md",
    "markdn": "md",
    "html": "html",
    "htm": "html",
    "shtml": "html",
    "xhtml": "html",
    "txt": "txt",
}
IGNORED_DIRS = frozenset({"node_modules", ".git"})
# Source-code extensions: a [formats] entry mapping them to markup means "markup inside code
# comments", which this front end does not read.
CODE_EXTENSIONS = frozenset(
    {
        "py",
        "py3",
        "pyw",
        "c",
        "cc",
        "cpp",
        "cxx",
        "h",
        "hpp",
        "cs",
        "css",
        "go",
        "hs",
        "java",
        "jl",
        "js",
        "jsx",
        "lua",
        "php",
        "pl",
        "pm",
        "proto",
        "ps1",
        "rb",
        "rs",
        "r",
        "R",
        "sass",
        "less",
        "scala",
        "swift",
        "ts",
        "tsx",
        "yml",
        "yaml",
        "clj",
        "cljs",
        "json",
    }
)


class OutputFormat(StrEnum):
    LINE = "line"
    JSON = "json"


class LintUsageError(DefinitionError):
    """Bad paths or a missing configuration: exit code 2."""


@dataclass
class FileAlerts:
    path: str
    alerts: list[Alert] = field(default_factory=list)


@dataclass
class LintRun:
    files: list[FileAlerts]
    skipped: list[str]
    warnings: tuple[str, ...] = ()

    @property
    def has_errors(self) -> bool:
        return any(a.level == "error" for f in self.files for a in f.alerts)


def lint_paths(
    paths: Sequence[str],
    *,
    cwd: Path | None = None,
    config: Path | None = None,
    min_alert_level: Level | None = None,
) -> LintRun:
    """Lint files and folders as ``vale PATH...`` run in ``cwd`` would (in-process)."""
    base = (cwd or Path.cwd()).resolve()
    config_path = (base / config) if config is not None and not config.is_absolute() else config
    if config_path is None:
        config_path = find_config(base)
    elif not config_path.is_file():
        raise LintUsageError(f"the configuration file '{config}' does not exist", source="--config")
    if config_path is None:
        raise LintUsageError(
            ".vale.ini not found: create one in this folder or a parent "
            "folder, or pass --config FILE",
            source=str(base),
        )
    project = load_project(config_path)
    run = LintRun(files=[], skipped=[], warnings=project.warnings)
    options = project.options(min_alert_level)
    for path, display in _expand(paths, base, project):
        file_format = _format_of(path, project)
        if file_format is None:
            run.skipped.append(display)
            continue
        document = _ingest(path, display, file_format, project)
        settings = project.settings(display)
        document = apply_ignores(
            document, settings.token_ignores, settings.block_ignores, source=str(config_path)
        )
        alerts = run_rules(document, project.rules_for(display), config=options)
        run.files.append(FileAlerts(display, alerts))
    run.files.sort(key=lambda f: f.path)
    return run


def _expand(paths: Sequence[str], base: Path, project: ValeProject) -> Iterator[tuple[Path, str]]:
    non_global = not project.config.global_styles and not project.config.global_checks
    for raw in paths:
        target = Path(raw) if Path(raw).is_absolute() else base / raw
        if target.is_file():
            yield target, _display(target, base)
        elif target.is_dir():
            for folder, dirs, files in os.walk(target):
                dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
                for name in sorted(files):
                    file_path = Path(folder) / name
                    display = _display(file_path, base)
                    if non_global and not project.config.matches_any_section(display):
                        continue
                    yield file_path, display
        else:
            raise LintUsageError(f"'{raw}' is neither a file nor a folder", source=raw)


def _display(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _format_of(path: Path, project: ValeProject) -> str | None:
    extension = path.suffix.lstrip(".")
    if extension in CODE_EXTENSIONS:
        return None
    mapped = project.config.formats.get(extension, extension)
    return FORMATS.get(mapped)


def _ingest(path: Path, display: str, file_format: str, project: ValeProject) -> Document:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LintUsageError(f"cannot read '{display}': {exc}", source=display) from None
    config = project.config
    options = HtmlOptions(
        skipped_tags=config.skipped_scopes or SKIPPED_TAGS,
        ignored_tags=config.ignored_scopes or IGNORED_TAGS,
        ignored_classes={*IGNORED_CLASSES, *config.ignored_classes},
    )
    if file_format == "md":
        return ingest_markdown(text, source_name=display, options=options)
    if file_format == "html":
        return ingest_html(text, source_name=display, options=options)
    return ingest_plain_text(text, source_name=display)


def format_line(run: LintRun) -> str:
    lines = [
        f"{f.path}:{a.line}:{a.column}:{a.check}:{a.message}" for f in run.files for a in f.alerts
    ]
    return "\n".join(lines)


def format_json(run: LintRun) -> str:
    payload: dict[str, list[dict[str, Any]]] = {}
    for file in run.files:
        if file.alerts:
            payload[file.path] = [_json_alert(a) for a in file.alerts]
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _json_alert(alert: Alert) -> dict[str, Any]:
    action = alert.action if alert.action is None or not alert.action.implicit else None
    return {
        "Action": {
            "Name": action.name if action else "",
            "Params": list(action.params) if action and action.params else None,
        },
        "Span": [alert.column, alert.end_column],
        "Check": alert.check,
        "Description": alert.description,
        "Link": alert.link,
        "Message": alert.message,
        "Severity": alert.level,
        "Match": alert.match,
        "Line": alert.line,
    }


@user_errors
def lint(
    paths: Annotated[list[str], typer.Argument(help="Files or folders to lint.")],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Path to a .vale.ini (default: searched from the working folder).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--output",
            help="Output format: line (path:line:col:Check:Message) or json.",
        ),
    ] = OutputFormat.LINE,
    min_alert_level: Annotated[
        str | None,
        typer.Option(
            "--minAlertLevel",
            help="Lowest level to report: suggestion, warning or error.",
        ),
    ] = None,
) -> None:
    """Lint files with Vale styles, as `vale --output=line --sort --relative` would."""
    if min_alert_level is not None and min_alert_level not in LEVELS:
        raise fail(f"--minAlertLevel must be one of {', '.join(LEVELS)}, not '{min_alert_level}'")
    level = as_level(min_alert_level) if min_alert_level is not None else None
    run = lint_paths(paths, config=config, min_alert_level=level)
    for warning in run.warnings:
        stderr.print(f"warning: {warning}", markup=False, highlight=False)
    rendered = format_json(run) if output is OutputFormat.JSON else format_line(run)
    if rendered:
        typer.echo(rendered)
    raise typer.Exit(EXIT_FINDINGS if run.has_errors else EXIT_OK)
