"""`compliance guidelines list|show|validate|test`."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from compliance_assistant.catalog.guideline_sets import GuidelineCatalog, plan_for
from compliance_assistant.cli.common import EXIT_FINDINGS, fail, settings, user_errors
from compliance_assistant.engine.examples import ExampleOutcome, ExamplesReport, run_examples
from compliance_assistant.engine.guidelines import GuidelineKind
from compliance_assistant.errors import ComplianceError

app = typer.Typer(help="List, inspect, validate and test guideline sets.", no_args_is_help=True)
out = Console(highlight=False)


def _catalog() -> GuidelineCatalog:
    config = settings()
    return GuidelineCatalog.create(config.catalog.guidelines_path, config.catalog.styles_path)


@app.command("list")
@user_errors
def list_sets() -> None:
    """List the guideline sets found in the guidelines path."""
    table = Table("id", "version", "title", "rule", "llm", "gtc", "path")
    for entry in _catalog().entries():
        counts = {
            kind: sum(1 for g in entry.guideline_set.guidelines if g.kind is kind)
            for kind in GuidelineKind
        }
        table.add_row(
            entry.guideline_set.id,
            str(entry.guideline_set.version),
            entry.guideline_set.title,
            *(str(counts[k]) for k in GuidelineKind),
            str(entry.path),
        )
    out.print(table)


@app.command("show")
@user_errors
def show(ref: Annotated[str, typer.Argument(help="Set id, id@version or YAML path.")]) -> None:
    """Show a set's guidelines, their kind, severity, rules and examples."""
    catalog = _catalog()
    plan = catalog.plan(ref)
    gset = plan.guideline_set
    out.print(Text(f"{gset.title}  ({gset.ref})", style="bold"))
    if gset.description:
        out.print(gset.description)
    table = Table("guideline", "kind", "severity", "rules", "examples (✗/✓)", "title")
    for guideline in gset.guidelines:
        rules = ", ".join(rule.name for rule in plan.rules_for(guideline.id)) or "—"
        severity = guideline.severity.value if guideline.severity else "per rule"
        table.add_row(
            guideline.id,
            guideline.kind.value,
            severity,
            rules,
            f"{len(guideline.examples.violation)}/{len(guideline.examples.compliant)}",
            guideline.title,
        )
    out.print(table)
    for warning in plan.warnings:
        out.print(Text(f"note: {warning.message}", style="yellow"))


@app.command("validate")
@user_errors
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Guideline-set YAML files or their folders.")],
) -> None:
    """Validate guideline sets and their rules; errors name file:line."""
    failures = 0
    for path in paths:
        try:
            entry = _catalog().find(str(path))
            plan = plan_for(entry, settings().catalog.styles_path)
        except ComplianceError as exc:
            failures += 1
            typer.echo(f"invalid: {exc}", err=True)
            continue
        rules = sum(len(r) for r in plan.rules.values())
        out.print(
            f"[green]valid[/]: {entry.path} — {entry.guideline_set.ref}, "
            f"{len(entry.guideline_set.guidelines)} guidelines, {rules} rules"
        )
        for warning in plan.warnings:
            out.print(Text(f"  note: {warning.message}", style="yellow"))
    if failures:
        raise typer.Exit(2)


@app.command("test")
@user_errors
def run_examples_command(
    ref: Annotated[str, typer.Argument(help="Set id, id@version or YAML path.")],
    only: Annotated[list[str] | None, typer.Option("--only", help="Only this guideline.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    llm: Annotated[
        bool,
        typer.Option("--llm", help="Judge llm guidelines' examples with the configured model."),
    ] = False,
) -> None:
    """Run every guideline's examples: violations must be flagged, compliant texts not."""
    plan = _catalog().plan(ref)
    if only:
        plan = plan.select(only)
    if llm:
        from compliance_assistant.llm.examples import run_examples_llm

        report = asyncio.run(run_examples_llm(plan, settings(), guideline_ids=only or ()))
    else:
        report = run_examples(plan)
    if not report.guidelines:
        raise fail(f"{ref} has no guideline with examples to test.")
    if as_json:
        sys.stdout.write(json.dumps(_report_json(report), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_FINDINGS)


def _print_report(report: ExamplesReport) -> None:
    table = Table(
        "guideline", "kind", "passed", "result", title=f"Examples of {report.guideline_set}"
    )
    for guideline in report.guidelines:
        verdict = Text("ok", style="green") if guideline.ok else Text("FAILED", style="bold red")
        table.add_row(
            guideline.guideline_id, guideline.kind, f"{guideline.passed}/{guideline.total}", verdict
        )
    out.print(table)
    for guideline in report.guidelines:
        for example in guideline.examples:
            if example.outcome is ExampleOutcome.PASSED:
                continue
            label = "not run" if example.outcome is ExampleOutcome.NOT_RUN else "failed"
            out.print(
                Text(f"{guideline.guideline_id} [{example.expected}] {label}: ", style="red"),
                Text(f"“{example.text}” — {example.detail}"),
            )
    total = sum(g.total for g in report.guidelines)
    passed = sum(g.passed for g in report.guidelines)
    out.print(f"{passed}/{total} examples passed ({report.accuracy:.0%}).")


def _report_json(report: ExamplesReport) -> dict[str, object]:
    return {
        "guideline_set": report.guideline_set,
        "ok": report.ok,
        "accuracy": report.accuracy,
        "guidelines": [
            {**g.model_dump(mode="json"), "passed": g.passed, "total": g.total, "ok": g.ok}
            for g in report.guidelines
        ],
    }
