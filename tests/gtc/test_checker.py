"""The gtc guideline in embedded mode with no LLM: the shipped sample articles against the
shipped sample GTC library — contradictions found, the right clause cited."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.gtc.conftest import ARTICLES

from compliance_assistant.engine.findings import Severity
from compliance_assistant.engine.guidelines import Guideline, GuidelineKind
from compliance_assistant.engine.ports import GtcChecker
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.gtc.checker import GtcVerifier
from compliance_assistant.ingest import ingest_file, ingest_text

pytestmark = pytest.mark.anyio
GUIDELINE = Guideline(
    id="gtc-consistency", title="Claims agree with the product's GTC", kind=GuidelineKind.GTC
)


@pytest.fixture(scope="module")
def verifier(sample_library_dir: Path) -> GtcVerifier:
    return GtcVerifier.from_library(sample_library_dir)


def test_it_is_the_pipeline_s_gtc_checker(verifier: GtcVerifier) -> None:
    assert isinstance(verifier, GtcChecker)
    assert isinstance(verifier.for_request(tenant_id="t", product_id="x"), GtcChecker)


async def test_the_easy_saver_article_contradicts_its_gtc(verifier: GtcVerifier) -> None:
    document = ingest_file(ARTICLES / "gtc-easy-saver.md")
    verdict = await verifier.check(document, GUIDELINE)
    result = verdict.result
    assert result.status is GuidelineStatus.FAIL
    cited = {
        f.span.quote: (f.evidence[0].section, f.evidence[0].page, f.evidence[0].quote)
        for f in result.findings
    }
    assert cited == {
        "5% AER": ("3.1", 1, "The interest rate is 3.10% AER (variable)."),
        "no fees, ever": ("4.1", 1, "Monthly account fee | €5.00 | per month"),
        "instant access": ("5.1", 2, "You must give us 30 days' notice before each withdrawal."),
        "anytime": ("5.1", 2, "You must give us 30 days' notice before each withdrawal."),
        "age 16": (
            "2.1",
            1,
            "You must be aged 18 or over and resident in Ireland to open an Account.",
        ),
    }
    for finding in result.findings:
        evidence = finding.evidence[0]
        assert finding.source == "gtc"
        assert finding.severity is Severity.ERROR
        assert document.text[finding.span.start : finding.span.end] == finding.span.quote
        assert (evidence.document_id, evidence.version, evidence.stale) == (
            "northbank-easy-saver-v3",
            "3.0",
            False,
        )
        assert evidence.title == "Easy Saver Account - General Terms and Conditions"
        assert finding.rule_id is not None
        assert finding.rule_id.startswith("gtc.")
    rate = next(f for f in result.findings if f.span.quote == "5% AER")
    assert rate.suggestion is not None
    assert rate.suggestion.replacement == "3.10% AER (variable)"
    assert "p. 1" in rate.explanation
    assert "§3.1" in rate.explanation
    assert [d["gtc_id"] for d in verdict.gtc_documents] == ["northbank-easy-saver-v3"]
    assert verdict.gtc_documents[0]["origin"] == "library"
    assert verdict.warnings == ()


async def test_the_flexiloan_article_contradicts_its_gtc(verifier: GtcVerifier) -> None:
    verdict = await verifier.check(ingest_file(ARTICLES / "gtc-flexiloan.md"), GUIDELINE)
    cited = {f.span.quote: f.evidence[0].section for f in verdict.result.findings}
    assert cited == {
        "€50,000": "2.1",
        "2.9% APR": "3.1",
        "no early repayment fees": "4",
        "7 years": "2.2",
    }
    claims = verdict.gtc_documents[0]["claims"]
    assert claims["contradicted"] == 4
    assert claims["supported"] >= 2  # "no arrangement fee", "6.9% APR representative"


async def test_an_article_that_agrees_with_its_gtc_passes(verifier: GtcVerifier) -> None:
    document = ingest_text(
        "The Easy Saver from Northbank pays 3.10% AER (variable). You can "
        "open one if you are 18 or over; withdrawals need 30 days' notice."
    )
    verdict = await verifier.check(document, GUIDELINE)
    assert verdict.result.status is GuidelineStatus.PASS
    assert verdict.gtc_documents[0]["claims"]["supported"] >= 2


async def test_an_unknown_product_is_not_run_never_pass(verifier: GtcVerifier) -> None:
    verdict = await verifier.check(ingest_file(ARTICLES / "savings-account.md"), GUIDELINE)
    assert verdict.result.status is GuidelineStatus.NOT_RUN
    assert (
        verdict.result.reason == "no GTC document was found for the products named in the article"
    )


async def test_an_article_naming_no_product_is_not_run(verifier: GtcVerifier) -> None:
    verdict = await verifier.check(ingest_text("save more, pay less, every day."), GUIDELINE)
    assert verdict.result.status is GuidelineStatus.NOT_RUN
    assert "no product is named" in (verdict.result.reason or "")


async def test_the_guideline_product_id_selects_the_gtc(verifier: GtcVerifier) -> None:
    guideline = GUIDELINE.model_copy(update={"product_id": "fixedsaver-24"})
    document = ingest_text(
        "Switch today: there are no exit fees and your price is fixed for 24 months."
    )
    verdict = await verifier.check(document, guideline)
    assert [f.span.quote for f in verdict.result.findings] == ["no exit fees"]
    assert verdict.result.findings[0].evidence[0].section == "3.1"
    missing = await verifier.check(
        document, GUIDELINE.model_copy(update={"product_id": "unknown-product"})
    )
    assert missing.result.reason == "no GTC document was found for product 'unknown-product'"
