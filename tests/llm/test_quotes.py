"""Quote verification: a finding is only ever placed where the quoted text really is."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder
from compliance_assistant.engine.findings import Severity
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.llm.judge import QUOTE_NOT_FOUND
from compliance_assistant.llm.quotes import locate_quote
from compliance_assistant.observability import metrics
from tests.doubles.fixtures import guideline_set, judge_for, marker
from tests.doubles.llm_server import LlmDouble, Reply
from tests.llm.articles import CLAIM, article, failing, finding


def document(*paragraphs: str) -> Document:
    builder = DocumentBuilder(source_format="text")
    for paragraph in paragraphs:
        builder.add(paragraph, BlockKind.PARAGRAPH)
    return builder.build()


def quoted(doc: Document, quote: str, block_id: str | None) -> str | None:
    span = locate_quote(doc, quote, block_id)
    return None if span is None else doc.text[span.start : span.end]


def test_exact_match_in_the_named_block_first() -> None:
    doc = document("Fees apply.", "No fees, ever. Fees apply.")
    span = locate_quote(doc, "Fees apply.", "b1")
    assert span is not None
    assert doc.block_at(span.start).id == "b1"  # type: ignore[union-attr]


def test_falls_back_to_the_whole_text_when_the_block_is_wrong() -> None:
    doc = document("Earn 5% interest.", "Terms apply.")
    assert quoted(doc, "Earn 5% interest", "b1") == "Earn 5% interest"
    assert quoted(doc, "Earn 5% interest", "b99") == "Earn 5% interest"
    assert quoted(doc, "Earn 5% interest", None) == "Earn 5% interest"


@pytest.mark.parametrize(
    ("text", "quote", "expected"),
    [
        (
            "It’s “risk‑free” — really…",
            'It\'s "risk-free" - really...',
            "It’s “risk‑free” — really…",
        ),
        (
            "Earn  5%\u00a0interest\non savings",
            "Earn 5% interest on savings",
            "Earn  5%\u00a0interest\non savings",
        ),
        ("The best rate.", '"The best rate."', "The best rate."),
        ("The best rate.", "  The best rate. ", "The best rate."),
    ],
)
def test_whitespace_and_quote_normalised_matches(text: str, quote: str, expected: str) -> None:
    doc = document("Intro.", text)
    assert quoted(doc, quote, "b1") == expected


def test_invented_or_paraphrased_quotes_are_not_found() -> None:
    doc = document("Earn 5% interest on your savings.")
    assert locate_quote(doc, "Earn five percent", "b0") is None
    assert locate_quote(doc, "earn 5% INTEREST", "b0") is None  # case is not folded
    assert locate_quote(doc, "", "b0") is None
    assert locate_quote(doc, "   ", None) is None


@pytest.mark.anyio
async def test_a_quote_not_in_the_text_is_dropped_and_reported(double: LlmDouble) -> None:
    invented = finding(quote="Guaranteed 10% returns for everyone", block_id="b1")
    double.script(marker("q"), Reply(verdict=failing(finding(), invented)))
    dropped = metrics.QUOTES_DROPPED.labels("openai")
    before = dropped._value.get()
    async with judge_for(double) as judge:
        verdict = await judge.assess(article(), guideline_set("q").guidelines[0])
    assert [f.span.quote for f in verdict.result.findings] == [CLAIM]
    [warning] = verdict.warnings
    assert warning.code == QUOTE_NOT_FOUND
    assert warning.details is not None
    assert warning.details["dropped"] == 1
    assert dropped._value.get() == before + 1


@pytest.mark.anyio
async def test_a_failing_verdict_whose_quotes_are_all_invented_is_an_error(
    double: LlmDouble,
) -> None:
    double.script(marker("q"), Reply(verdict=failing(finding(quote="Not in the article"))))
    async with judge_for(double) as judge:
        verdict = await judge.assess(article(), guideline_set("q").guidelines[0])
    assert verdict.result.status is GuidelineStatus.ERROR
    assert "none of its 1 quote(s) is in the text" in (verdict.result.reason or "")
    assert verdict.result.findings == ()


@pytest.mark.anyio
async def test_a_failing_verdict_without_findings_is_an_error(double: LlmDouble) -> None:
    double.script(marker("q"), Reply(verdict={"status": "fail", "findings": []}))
    async with judge_for(double) as judge:
        verdict = await judge.assess(article(), guideline_set("q").guidelines[0])
    assert verdict.result.status is GuidelineStatus.ERROR
    assert "quoted no passage" in (verdict.result.reason or "")


@pytest.mark.anyio
async def test_severity_is_capped_by_the_guideline(double: LlmDouble) -> None:
    gset = guideline_set("q")
    warning_guideline = gset.guidelines[0].model_copy(update={"severity": Severity.WARNING})
    double.script(marker("q"), Reply(verdict=failing(finding(severity="error"))))
    async with judge_for(double) as judge:
        verdict = await judge.assess(article(), warning_guideline)
    assert verdict.result.status is GuidelineStatus.WARNING
    assert verdict.result.findings[0].severity.value == "warning"
