"""SARIF 2.1.0 for code-review and CI tools (GitHub code scanning, Azure DevOps, …)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from compliance_assistant import __version__
from compliance_assistant.engine.findings import Finding, Severity

if TYPE_CHECKING:
    from compliance_assistant.reports import FileReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_TEXT_FORMATS = {"text", "markdown", "html"}
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(reports: Sequence[FileReport]) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for report in reports:
        titles = {g.guideline_id: g.title for g in report.result.guidelines}
        for guideline in report.result.guidelines:
            if not guideline.status.ran:
                notifications.append(
                    {
                        "level": "warning",
                        "message": {
                            "text": f"{guideline.guideline_id} did not run: {guideline.reason}"
                        },
                        "descriptor": {"id": guideline.guideline_id},
                        "locations": [_artifact_only(report.name)],
                    }
                )
        for finding in report.result.findings:
            rule_id = _rule_id(finding)
            rules.setdefault(rule_id, _rule(rule_id, finding, titles))
            results.append(_result(report, rule_id, finding))
    incomplete = bool(notifications)
    run = {
        "tool": {
            "driver": {
                "name": "compliance-assistant",
                "version": __version__,
                "informationUri": "https://github.com/compliance-assistant",
                "rules": [rules[key] for key in sorted(rules)],
            }
        },
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {"executionSuccessful": not incomplete, "toolExecutionNotifications": notifications}
        ],
        "results": results,
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _rule_id(finding: Finding) -> str:
    return f"{finding.guideline_id}/{finding.rule_id}" if finding.rule_id else finding.guideline_id


def _rule(rule_id: str, finding: Finding, titles: dict[str, str]) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": finding.rule_id or finding.guideline_id,
        "shortDescription": {"text": titles.get(finding.guideline_id, finding.guideline_id)},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
    }
    if finding.explanation:
        rule["fullDescription"] = {"text": finding.explanation}
    if finding.link:
        rule["helpUri"] = finding.link
    return rule


def _result(report: FileReport, rule_id: str, finding: Finding) -> dict[str, Any]:
    uri = report.name
    span = finding.span
    region: dict[str, Any] = {"snippet": {"text": span.quote}}
    if span.line is not None and span.column is not None:
        region.update(startLine=span.line, startColumn=span.column)
    # Character offsets only make sense for text files, where they index the file itself.
    text_artifact = report.document.source_format in _TEXT_FORMATS
    if text_artifact:
        start, end = report.document.to_source_span(span.start, span.end)
        region.update(charOffset=start, charLength=end - start)
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}],
        "partialFingerprints": {"complianceFingerprint/v1": finding.fingerprint},
    }
    if finding.suggestion is not None and text_artifact:
        result["fixes"] = [
            {
                "description": {"text": finding.suggestion.description or "Suggested rewrite"},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": uri},
                        "replacements": [
                            {
                                "deletedRegion": {"charOffset": start, "charLength": end - start},
                                "insertedContent": {"text": finding.suggestion.replacement},
                            }
                        ],
                    }
                ],
            }
        ]
    return result


def _artifact_only(uri: str) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": uri}}}
