from compliance_assistant.engine.findings import (
    Dismissal,
    Finding,
    FindingSpan,
    Severity,
)
from compliance_assistant.engine.scoring import (
    GuidelineStatus,
    score,
    status_from_findings,
)


def finding(severity: Severity, *, dismissed: bool = False) -> Finding:
    return Finding(
        id="f",
        fingerprint="p",
        guideline_id="g",
        severity=severity,
        message="m",
        span=FindingSpan(start=0, end=1, block_id="b0", quote="x"),
        source="rule",
        dismissed=Dismissal(by="u", reason="ok", at="2026-01-01T00:00:00Z") if dismissed else None,
    )


def test_status_from_findings() -> None:
    assert status_from_findings([]) is GuidelineStatus.PASS
    assert status_from_findings([finding(Severity.INFO)]) is GuidelineStatus.WARNING
    assert status_from_findings([finding(Severity.WARNING)]) is GuidelineStatus.WARNING
    assert (
        status_from_findings([finding(Severity.WARNING), finding(Severity.ERROR)])
        is GuidelineStatus.FAIL
    )
    assert status_from_findings([finding(Severity.ERROR, dismissed=True)]) is GuidelineStatus.PASS


def test_score_formula() -> None:
    assert score([(GuidelineStatus.PASS, [])]) == 100
    # one warning (4) and one info (1)
    assert (
        score([(GuidelineStatus.WARNING, [finding(Severity.WARNING), finding(Severity.INFO)])])
        == 95
    )
    # a failing guideline caps the score at 59 even with a small penalty
    assert score([(GuidelineStatus.FAIL, [finding(Severity.ERROR)])]) == 59
    # a guideline's penalty is capped at 30
    many = [finding(Severity.ERROR)] * 10
    assert score([(GuidelineStatus.FAIL, many), (GuidelineStatus.PASS, [])]) == 59
    assert score([(GuidelineStatus.FAIL, many)] * 3) == 10
    assert score([(GuidelineStatus.FAIL, many)] * 4) == 0


def test_guidelines_that_did_not_run_do_not_count_and_nothing_run_is_none() -> None:
    assert score([(GuidelineStatus.NOT_RUN, []), (GuidelineStatus.PASS, [])]) == 100
    assert score([(GuidelineStatus.NOT_RUN, []), (GuidelineStatus.ERROR, [])]) is None
