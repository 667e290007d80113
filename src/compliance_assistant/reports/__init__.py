"""Renderings of check results: terminal text, JSON (the Result contract), HTML and SARIF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.findings import Severity
from compliance_assistant.engine.result import CheckResult


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    HTML = "html"
    SARIF = "sarif"


@dataclass(frozen=True)
class FileReport:
    """One checked input: how to name it, what was read, and the verdict."""

    name: str
    document: Document
    result: CheckResult


def visible(result: CheckResult, min_severity: Severity) -> CheckResult:
    """The result with findings below ``min_severity`` left out of every guideline."""
    if min_severity is Severity.INFO:
        return result
    guidelines = tuple(
        g.model_copy(
            update={
                "findings": tuple(f for f in g.findings if f.severity.rank >= min_severity.rank)
            }
        )
        for g in result.guidelines
    )
    return result.model_copy(update={"guidelines": guidelines})


def render(
    report_format: ReportFormat,
    reports: Sequence[FileReport],
    *,
    color: bool = False,
    width: int | None = None,
) -> str:
    """Render every report in one document of the given format."""
    # Imported here so a JSON-only caller does not pay for Rich.
    if report_format is ReportFormat.TEXT:
        from compliance_assistant.reports.text import render_text

        return render_text(reports, color=color, width=width)
    if report_format is ReportFormat.JSON:
        from compliance_assistant.reports.json import render_json

        return render_json(reports)
    if report_format is ReportFormat.HTML:
        from compliance_assistant.reports.html import render_html

        return render_html(reports)
    from compliance_assistant.reports.sarif import render_sarif

    return render_sarif(reports)
