"""Run-time evaluation of `rule` guidelines: Vale alerts → findings → a guideline result."""

from __future__ import annotations

import time
from collections.abc import Sequence

from compliance_assistant.engine.document import Document, Span
from compliance_assistant.engine.findings import (
    FindingDraft,
    Severity,
    Suggestion,
    finalise_findings,
)
from compliance_assistant.engine.guidelines import Guideline
from compliance_assistant.engine.result import GuidelineResult
from compliance_assistant.engine.rules import Alert, Rule, run_rules


def evaluate_rule_guideline(
    document: Document, guideline: Guideline, rules: Sequence[Rule]
) -> GuidelineResult:
    """Apply a guideline's compiled rules to the document.

    A rule that raises becomes the guideline's ``error`` with the reason; it never turns into
    an empty (passing) result.
    """
    started = time.perf_counter()
    try:
        alerts = run_rules(document, rules)
    except Exception as exc:
        elapsed = (time.perf_counter() - started) * 1000
        return GuidelineResult.errored(guideline, f"rule evaluation failed: {exc}", elapsed)
    drafts = [draft_from_alert(guideline, alert, rules) for alert in alerts]
    findings = finalise_findings(document, drafts)
    elapsed = (time.perf_counter() - started) * 1000
    return GuidelineResult.from_findings(guideline, findings, elapsed)


def draft_from_alert(
    guideline: Guideline, alert: Alert, rules: Sequence[Rule] = ()
) -> FindingDraft:
    """A guideline's ``severity`` overrides the rule's Vale level when it is set."""
    severity = guideline.severity or Severity.from_vale_level(alert.level)
    rule = next((r for r in rules if r.name == alert.check), None)
    explanation = alert.description or (rule.description if rule else "") or guideline.description
    return FindingDraft(
        guideline_id=guideline.id,
        rule_id=alert.check,
        severity=severity,
        message=alert.message,
        explanation=explanation,
        span=Span(start=alert.start, end=alert.end),
        suggestion=suggestion_from_alert(alert),
        source="rule",
        link=alert.link or None,
    )


def suggestion_from_alert(alert: Alert) -> Suggestion | None:
    """Vale's ``replace`` action carries the replacements; ``remove`` deletes the match."""
    action = alert.action
    if action is None:
        return None
    if action.name == "replace" and action.params:
        options = list(action.params)
        description = "Replace with " + " or ".join(f"'{o}'" for o in options)
        return Suggestion(replacement=options[0], description=description)
    if action.name == "remove":
        return Suggestion(replacement="", description=f"Remove '{alert.match}'")
    return None
