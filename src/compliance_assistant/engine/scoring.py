"""Guideline status and the document score. The formula is documented in docs/scoring.md."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from compliance_assistant.engine.findings import Finding, Severity


class GuidelineStatus(StrEnum):
    PASS = "pass"
    WARNING = "warning"
    FAIL = "fail"
    NOT_RUN = "not_run"
    ERROR = "error"

    @property
    def ran(self) -> bool:
        return self not in (GuidelineStatus.NOT_RUN, GuidelineStatus.ERROR)


# Points a single finding costs, by severity.
SEVERITY_WEIGHT = {Severity.ERROR: 10, Severity.WARNING: 4, Severity.INFO: 1}
# At most this many points per guideline, so one noisy guideline cannot zero the score alone.
GUIDELINE_PENALTY_CAP = 30
# A document with any failing guideline (an error finding) never scores above this.
FAILING_SCORE_CAP = 59


def status_from_findings(findings: Iterable[Finding]) -> GuidelineStatus:
    """``fail`` with an error finding, ``warning`` with only warning/info findings, else ``pass``.

    Dismissed findings do not count: the reviewer has decided on them.
    """
    severities = {f.severity for f in findings if f.dismissed is None}
    if Severity.ERROR in severities:
        return GuidelineStatus.FAIL
    if severities:
        return GuidelineStatus.WARNING
    return GuidelineStatus.PASS


def guideline_penalty(findings: Iterable[Finding]) -> int:
    total = sum(SEVERITY_WEIGHT[f.severity] for f in findings if f.dismissed is None)
    return min(total, GUIDELINE_PENALTY_CAP)


def score(statuses_and_findings: Sequence[tuple[GuidelineStatus, Sequence[Finding]]]) -> int | None:
    """0–100, higher is better; ``None`` when no guideline ran (nothing was measured).

    score = 100 − Σ min(30, Σ weight(finding)) over guidelines that ran, floored at 0, and
    capped at 59 when any guideline failed. Guidelines that did not run add nothing: the
    result's ``complete`` flag, not the score, says the check was partial.
    """
    ran = [(status, findings) for status, findings in statuses_and_findings if status.ran]
    if not ran:
        return None
    penalty = sum(guideline_penalty(findings) for _, findings in ran)
    value = max(0, 100 - penalty)
    if any(status is GuidelineStatus.FAIL for status, _ in ran):
        value = min(value, FAILING_SCORE_CAP)
    return value
