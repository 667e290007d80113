"""Human report for the terminal: findings grouped by guideline, worst first, with the score."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from compliance_assistant.engine.findings import Finding, Severity
from compliance_assistant.engine.result import CheckResult, GuidelineResult
from compliance_assistant.engine.scoring import GuidelineStatus

if TYPE_CHECKING:
    from compliance_assistant.reports import FileReport

_STATUS_STYLE = {
    GuidelineStatus.FAIL: ("FAIL", "bold red"),
    GuidelineStatus.WARNING: ("WARN", "bold yellow"),
    GuidelineStatus.PASS: ("PASS", "green"),
    GuidelineStatus.NOT_RUN: ("NOT RUN", "bold magenta"),
    GuidelineStatus.ERROR: ("ERROR", "bold magenta"),
}
_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_STATUS_ORDER = [
    GuidelineStatus.FAIL,
    GuidelineStatus.ERROR,
    GuidelineStatus.WARNING,
    GuidelineStatus.NOT_RUN,
    GuidelineStatus.PASS,
]
_QUOTE_LIMIT = 80


def render_text(
    reports: Sequence[FileReport], *, color: bool = False, width: int | None = None
) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width or 110,
        highlight=False,
        emoji=False,
        markup=False,
    )
    for index, report in enumerate(reports):
        if index:
            console.print()
        _render_one(console, report.name, report.result)
    rendered = buffer.getvalue()
    if color:
        return rendered
    # Rich pads table cells to the full width; plain output should not end lines in spaces.
    return "\n".join(line.rstrip() for line in rendered.split("\n"))


def _render_one(console: Console, name: str, result: CheckResult) -> None:
    ref = f"{result.guideline_set.id}@{result.guideline_set.version}"
    console.print(Text(name, style="bold underline"), Text(f"  checked against {ref}"))
    console.print(_headline(result))
    groups = sorted(
        result.guidelines, key=lambda g: (_STATUS_ORDER.index(g.status), -g.severity.rank)
    )
    passed = [g for g in groups if g.status is GuidelineStatus.PASS]
    for guideline in groups:
        if guideline.status is not GuidelineStatus.PASS:
            _render_guideline(console, guideline)
    if passed:
        console.print()
        names = ", ".join(g.guideline_id for g in passed)
        console.print(Text(f"Passed ({len(passed)}): ", style="green"), Text(names))
    if result.warnings:
        console.print()
        for warning in result.warnings:
            console.print(Text("note: ", style="bold"), Text(warning.message))


def _headline(result: CheckResult) -> Text:
    summary = result.summary
    score = "n/a" if result.score is None else f"{result.score}/100"
    line = Text()
    line.append(f"Score {score}", style="bold")
    line.append(
        f" · {summary.errors} error(s) · {summary.warnings} warning(s) · {summary.infos} info"
    )
    if result.complete:
        line.append(" · all guidelines ran", style="green")
    else:
        line.append(
            f" · {summary.not_run} guideline(s) did not run — result incomplete",
            style="bold magenta",
        )
    return line


def _render_guideline(console: Console, guideline: GuidelineResult) -> None:
    label, style = _STATUS_STYLE[guideline.status]
    console.print()
    header = Text()
    header.append(f"{label:<7}", style=style)
    header.append(f" {guideline.title}", style="bold")
    header.append(
        f"  [{guideline.guideline_id} · {guideline.kind} · {guideline.severity}]", style="dim"
    )
    console.print(header)
    if guideline.reason:
        console.print(Text(f"        {guideline.reason}", style="magenta"))
    if guideline.findings:
        # A grid gives wrapped messages a hanging indent under their own column.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", width=9, no_wrap=True)
        grid.add_column(width=7, no_wrap=True)
        grid.add_column(ratio=1)
        for finding in guideline.findings:
            grid.add_row(*_finding_cells(finding))
        console.print(grid)


def _finding_cells(finding: Finding) -> tuple[Text, Text, Text]:
    span = finding.span
    where = f"{span.line}:{span.column}" if span.line is not None else f"@{span.start}"
    quote = " ".join(span.quote.split())
    if len(quote) > _QUOTE_LIMIT:
        quote = quote[: _QUOTE_LIMIT - 1] + "…"
    body = Text()
    body.append(f"“{quote}” ", style="italic")
    body.append(finding.message)
    if finding.dismissed is not None:
        body.append(
            f"\ndismissed by {finding.dismissed.by}: {finding.dismissed.reason}", style="dim"
        )
    if finding.suggestion is not None:
        suggestion = finding.suggestion
        text = suggestion.description or f"replace with “{suggestion.replacement}”"
        body.append(f"\n→ {text}", style="green")
    for evidence in finding.evidence:
        where_in = ", ".join(
            part
            for part in (
                f"version {evidence.version}" if evidence.version else "",
                f"page {evidence.page}" if evidence.page else "",
                f"§{evidence.section}" if evidence.section else "",
            )
            if part
        )
        stale = " (stale copy)" if evidence.stale else ""
        body.append(f"\nGTC: {evidence.title} {where_in}{stale}: “{evidence.quote}”", style="blue")
    return (
        Text(where, style="bold"),
        Text(finding.severity.value, style=_SEVERITY_STYLE[finding.severity]),
        body,
    )
