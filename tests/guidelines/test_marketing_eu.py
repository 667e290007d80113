"""The shipped ``marketing-eu`` guideline set: structure, and every example against its rules.

Each violation example must produce at least one alert of its guideline's rules; each compliant
example must produce none. One test per example, so a failure names the guideline and the text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_assistant.catalog.styles import load_styles
from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder
from compliance_assistant.engine.guidelines import Guideline, GuidelineKind, parse_guideline_set
from compliance_assistant.engine.rules import Alert, LintOptions, run_rules

SET_DIR = Path(__file__).resolve().parents[2] / "guidelines" / "marketing-eu"
SET_FILE = SET_DIR / "guideline-set.yaml"
STYLES_DIR = SET_DIR / "styles"

GUIDELINE_SET = parse_guideline_set(SET_FILE.read_text(encoding="utf-8"), str(SET_FILE))
LIBRARY = load_styles([STYLES_DIR], list(GUIDELINE_SET.styles))


def _paragraph(text: str) -> Document:
    builder = DocumentBuilder(source_format="text")
    builder.add(text, BlockKind.PARAGRAPH, source_index=0)
    return builder.build()


def _alerts(guideline: Guideline, text: str) -> list[Alert]:
    rules = [LIBRARY[name] for name in guideline.rules]
    return run_rules(_paragraph(text), rules, config=LintOptions(min_alert_level="suggestion"))


def _cases(expected: str) -> list[object]:
    cases: list[object] = []
    for guideline in GUIDELINE_SET.guidelines:
        texts = getattr(guideline.examples, expected)
        for index, text in enumerate(texts):
            cases.append(pytest.param(guideline, text, id=f"{guideline.id}-{expected}-{index}"))
    return cases


def _describe(alerts: list[Alert]) -> str:
    return "; ".join(f"{a.check} {a.match!r}" for a in alerts) or "no alerts"


# -- structure -----------------------------------------------------------------------------


def test_set_identity() -> None:
    assert GUIDELINE_SET.id == "marketing-eu"
    assert GUIDELINE_SET.version == 1
    assert GUIDELINE_SET.styles == ("MarketingEU",)


def test_style_loads_without_warnings() -> None:
    assert not LIBRARY.warnings
    rule_files = sorted(p.stem for p in (STYLES_DIR / "MarketingEU").glob("*.yml"))
    assert sorted(name.split(".", 1)[1] for name in LIBRARY) == rule_files


@pytest.mark.parametrize("guideline", GUIDELINE_SET.guidelines, ids=lambda g: g.id)
def test_guideline_is_a_documented_rule_guideline(guideline: Guideline) -> None:
    assert guideline.kind is GuidelineKind.RULE
    assert guideline.severity is not None
    assert guideline.description.strip()
    assert len(guideline.examples.violation) >= 3
    assert len(guideline.examples.compliant) >= 3
    missing = [name for name in guideline.rules if name not in LIBRARY]
    assert not missing, f"rules not in the MarketingEU style: {missing}"


def test_every_rule_is_used_by_a_guideline() -> None:
    used = {name for g in GUIDELINE_SET.guidelines for name in g.rules}
    assert set(LIBRARY) == used


# -- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize(("guideline", "text"), _cases("violation"))
def test_violation_example_is_flagged(guideline: Guideline, text: str) -> None:
    alerts = _alerts(guideline, text)
    assert alerts, f"[{guideline.id}] expected a finding of {list(guideline.rules)} in: {text!r}"


@pytest.mark.parametrize(("guideline", "text"), _cases("compliant"))
def test_compliant_example_is_not_flagged(guideline: Guideline, text: str) -> None:
    alerts = _alerts(guideline, text)
    assert not alerts, f"[{guideline.id}] unexpected findings in {text!r}: {_describe(alerts)}"


@pytest.mark.parametrize(("guideline", "text"), _cases("violation"))
def test_finding_quotes_the_text(guideline: Guideline, text: str) -> None:
    document = _paragraph(text)
    for alert in _alerts(guideline, text):
        assert document.text[alert.start : alert.end] == alert.match
        assert "%s" not in alert.message


# -- false positives on ordinary prose -------------------------------------------------------

ORDINARY_PROSE = [
    "Best regards, the Northbank team.",
    "We wish you all the best for the new year.",
    "Our advisers act in your best interests and seek best execution of your orders.",
    "The app works best on the latest version of iOS.",
    "Feel free to contact us; you are free to cancel within 14 days.",
    "Use the free-text field. Our cars come with hands-free calling and duty-free shopping.",
    "Contact MoneyHelper for free, impartial guidance.",
    "Click the green button; a green tick confirms the payment.",
    "Interest is credited monthly and you can transfer funds between your accounts.",
    "Please return the signed form. Returns are processed within 5 working days.",
    "Clause No. 1 sets out the definitions. There is no 1-year minimum term.",
    "Our number one priority is keeping your money safe.",
    "No investment is risk-free, and savings are not without risk either.",
    "We cannot guarantee the exchange rate you will get.",
    "Eligible deposits are protected up to €100,000 by the deposit guarantee scheme.",
    "The rate is higher than the Bank of England base rate and lower than last year.",
    "No need to hurry: your quote is valid for 30 days. If you're in a hurry, use the app.",
    "Our Manchester branch has a new chair and more staff.",
    "Our investment in new technology means faster payments.",
]


@pytest.mark.parametrize("text", ORDINARY_PROSE)
def test_ordinary_prose_is_not_flagged(text: str) -> None:
    alerts = run_rules(
        _paragraph(text), list(LIBRARY.values()), config=LintOptions(min_alert_level="suggestion")
    )
    assert not alerts, _describe(alerts)


# -- documents of several blocks -------------------------------------------------------------


def _document(*blocks: tuple[BlockKind, str]) -> Document:
    builder = DocumentBuilder(source_format="markdown")
    for index, (kind, text) in enumerate(blocks):
        builder.add(text, kind, source_index=index)
    return builder.build()


def _run(names: list[str], document: Document) -> list[Alert]:
    rules = [LIBRARY[f"MarketingEU.{name}"] for name in names]
    return run_rules(document, rules, config=LintOptions(min_alert_level="suggestion"))


def test_required_statement_may_follow_the_claims() -> None:
    # scope: summary — a warning in the last paragraph covers claims in earlier ones.
    document = _document(
        (BlockKind.HEADING, "Grow your wealth"),
        (BlockKind.PARAGRAPH, "Invest in our global equity fund from €50 a month."),
        (BlockKind.LIST_ITEM, "Average returns of 7% a year since 2015"),
        (
            BlockKind.FOOTNOTE,
            "Capital at risk. The value of investments can go down as well as up.",
        ),
    )
    assert not _run(["CapitalAtRisk"], document)


def test_missing_statement_is_reported_at_every_claim() -> None:
    document = _document(
        (BlockKind.PARAGRAPH, "Personal loans from 5.9%."),
        (BlockKind.PARAGRAPH, "Representative APR 6.9%. Borrow up to €25,000."),
    )
    assert not _run(["CreditAPR"], document)
    quotes = [a.match for a in _run(["CreditRepresentativeExample"], document)]
    assert quotes == ["5.9%", "Borrow up to €25,000"]


def test_general_vat_statement_covers_every_price_table_cells_included() -> None:
    # scope: raw — the whole document is one unit, so a note anywhere covers all prices.
    blocks = [
        (BlockKind.TABLE_CELL, "€19.99 a month"),
        (BlockKind.PARAGRAPH, "Unlimited data costs €19.99 a month."),
    ]
    assert [a.match for a in _run(["PriceVAT"], _document(*blocks))] == ["€19.99", "€19.99"]
    note = (BlockKind.PARAGRAPH, "All prices include VAT.")
    assert not _run(["PriceVAT"], _document(*blocks, note))


def test_terms_footnote_is_accepted_when_a_condition_is_stated_elsewhere() -> None:
    claim = (BlockKind.PARAGRAPH, "Earn 5% AER on balances up to €5,000 for the first 12 months.")
    footnote = (BlockKind.FOOTNOTE, "T&Cs apply.")
    assert not _run(["HiddenConditions"], _document(claim, footnote))
    vague = (BlockKind.PARAGRAPH, "Earn 5% on your savings.")
    assert [a.match for a in _run(["HiddenConditions"], _document(vague, footnote))] == [
        "T&Cs apply"
    ]
