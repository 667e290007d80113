"""`compliance check FILE...`: check documents locally, no server needed."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import sys
import uuid
from contextlib import AsyncExitStack
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from compliance_assistant.catalog.guideline_sets import GuidelineCatalog
from compliance_assistant.cli.common import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    fail,
    settings,
    stderr,
    stdout_is_terminal,
    user_errors,
)
from compliance_assistant.config import Settings
from compliance_assistant.engine.document import Document
from compliance_assistant.engine.findings import Severity
from compliance_assistant.engine.plan import CheckPlan
from compliance_assistant.engine.result import CheckResult
from compliance_assistant.gtc.factory import build_gtc_services
from compliance_assistant.ingest import IngestLimits, ingest_file, ingest_text
from compliance_assistant.pipeline.events import CheckEvent, GuidelineCompleted
from compliance_assistant.pipeline.factory import pipeline_runtime
from compliance_assistant.pipeline.graph import run_check
from compliance_assistant.reports import FileReport, ReportFormat, render, visible


class MinSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@user_errors
def check(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Documents to check: .docx .pdf .md .html .txt, or - for text on stdin.",
            show_default=False,
        ),
    ],
    guidelines: Annotated[
        str | None,
        typer.Option(
            "--guidelines",
            "-g",
            help="Guideline set id, id@version, or path to its YAML. "
            "Default: the configured default set (marketing-eu).",
        ),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this guideline id (repeatable).")
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Report format.", case_sensitive=False)
    ] = ReportFormat.TEXT,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file instead of stdout."),
    ] = None,
    min_severity: Annotated[
        MinSeverity,
        typer.Option(
            "--min-severity",
            help="Leave findings below this severity out of the report.",
            case_sensitive=False,
        ),
    ] = MinSeverity.INFO,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Exit 3 when any guideline could not run (incomplete result)."
        ),
    ] = False,
    gtc_library: Annotated[
        Path | None,
        typer.Option(
            "--gtc-library",
            help="Folder of GTC documents to verify claims against (gtc guidelines). "
            "Default: COMPLIANCE_GTC__LIBRARY_PATH or the Smart Search settings.",
        ),
    ] = None,
    styles_path: Annotated[
        list[Path] | None,
        typer.Option("--styles-path", help="Extra folder of Vale styles to apply (repeatable)."),
    ] = None,
) -> None:
    """Check documents against a guideline set and print a report.

    Exit codes: 0 no error findings · 1 error findings · 2 usage or input error ·
    3 incomplete result with --strict (takes precedence over 1).
    """
    config = settings()
    catalog = GuidelineCatalog.create(
        config.catalog.guidelines_path, [*config.catalog.styles_path, *(styles_path or [])]
    )
    plan = catalog.plan(guidelines or config.catalog.default_set)
    if only:
        plan = plan.select(only)
    limits = IngestLimits(
        max_chars=config.limits.max_text_chars, max_bytes=config.limits.max_upload_bytes
    )
    if gtc_library is not None and not gtc_library.is_dir():
        raise fail(f"--gtc-library {gtc_library}: no such folder.")
    reports = _check_all(files, plan, limits, config, gtc_library)
    shown = [
        FileReport(r.name, r.document, visible(r.result, Severity(min_severity.value)))
        for r in reports
    ]
    to_terminal = output is None and stdout_is_terminal()
    width = shutil.get_terminal_size().columns if to_terminal else None
    rendered = render(output_format, shown, color=to_terminal, width=width)
    if output is None:
        sys.stdout.write(rendered)
    else:
        try:
            output.write_text(rendered, encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write the report to {output}: {exc.strerror}") from None
        stderr.print(f"Report written to {output}")
    raise typer.Exit(exit_code([r.result for r in reports], strict=strict))


def exit_code(results: list[CheckResult], *, strict: bool) -> int:
    if strict and not all(r.complete for r in results):
        return EXIT_INCOMPLETE
    if any(r.summary.errors for r in results):
        return EXIT_FINDINGS
    return EXIT_OK


def _check_all(
    files: list[Path],
    plan: CheckPlan,
    limits: IngestLimits,
    config: Settings,
    gtc_library: Path | None,
) -> list[FileReport]:
    # Read every input first, so a bad file fails the command before any report is printed.
    documents = [(_display_name(path), _read(path, limits)) for path in files]
    return asyncio.run(_run_pipeline(documents, plan, config, gtc_library))


async def _run_pipeline(
    documents: list[tuple[str, Document]],
    plan: CheckPlan,
    config: Settings,
    gtc_library: Path | None,
) -> list[FileReport]:
    """Run the same LangGraph pipeline as the service, in-process and without checkpoints."""
    reports: list[FileReport] = []
    total = len(documents) * len(plan.guideline_set.guidelines)
    show_progress = stdout_is_terminal() and sys.stderr.isatty()
    # MLflow tracking is for service jobs; a local check records a run only when a tracking
    # URI is configured explicitly.
    tracking = config.tracking.enabled and config.tracking.mlflow_tracking_uri is not None
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr,
        transient=True,
        disable=not show_progress,
    ) as progress:
        task = progress.add_task("checking", total=total)

        async def advance(event: CheckEvent) -> None:
            if isinstance(event, GuidelineCompleted):
                progress.update(task, advance=1, description=f"{event.guideline_id}")

        gtc_services = build_gtc_services(config, library_path=gtc_library)
        async with AsyncExitStack() as stack:
            if gtc_services is not None:
                stack.push_async_callback(gtc_services.aclose)
            runtime = await stack.enter_async_context(
                pipeline_runtime(
                    config,
                    checkpoints=False,
                    tracking=tracking,
                    gtc=gtc_services.checker if gtc_services else None,
                )
            )
            for name, document in documents:
                progress.update(task, description=f"checking {name}")
                result = await run_check(
                    document,
                    plan,
                    job_id=uuid.uuid4().hex,
                    context=runtime.context,
                    document_id=content_id(document),
                    on_event=advance,
                )
                reports.append(FileReport(name, document, result))
    return reports


def _read(path: Path, limits: IngestLimits) -> Document:
    if str(path) == "-":
        return ingest_text(sys.stdin.read(), limits=limits)
    if not path.exists():
        raise fail(f"{path}: no such file.")
    if path.is_dir():
        raise fail(f"{path} is a folder; name the documents to check.")
    return ingest_file(path, limits=limits)


def _display_name(path: Path) -> str:
    return "<stdin>" if str(path) == "-" else str(path)


def content_id(document: Document) -> str:
    """The default document id: a hash of the content (DESIGN §9)."""
    return "sha256:" + hashlib.sha256(document.text.encode("utf-8")).hexdigest()
