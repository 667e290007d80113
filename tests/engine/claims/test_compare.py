"""Claims against clause facts: supported, contradicted, not found, undecided — with units and
formats compared on one basis."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.claims import (
    Absolute,
    Clause,
    Verdict,
    check_claims,
    extract_claims,
    extract_facts,
    sentences,
)


def verdicts(article: str, *clauses: str) -> dict[str, Verdict]:
    facts = extract_facts(
        Clause(document_id="gtc", section=str(i + 1), text=text) for i, text in enumerate(clauses)
    )
    return {
        check.claim.text: check.verdict for check in check_claims(extract_claims(article), facts)
    }


@pytest.mark.parametrize(
    ("claim", "clause", "verdict"),
    [
        ("A 0.5% fee applies.", "A fee of 50 basis points applies.", Verdict.SUPPORTED),
        ("A 0.6% fee applies.", "A fee of 50 basis points applies.", Verdict.CONTRADICTED),
        ("The account fee is €60/year.", "The account fee is €5 per month.", Verdict.SUPPORTED),
        (
            "The account fee is €50 a year.",
            "The account fee is €5 per month.",
            Verdict.CONTRADICTED,
        ),
        ("The account fee is €5 a week.", "The account fee is €260 per year.", Verdict.SUPPORTED),
        ("Give two weeks' notice.", "You must give 14 days' notice.", Verdict.SUPPORTED),
        ("Give one week's notice.", "You must give 14 days' notice.", Verdict.CONTRADICTED),
        ("Give one month's notice.", "You must give 30 days' notice.", Verdict.SUPPORTED),
        ("Loans from 3.1% APR.", "Rates range from 3.1% to 9.9% APR.", Verdict.SUPPORTED),
        ("Loans from 2.9% APR.", "Rates range from 3.1% to 9.9% APR.", Verdict.CONTRADICTED),
        ("Borrow up to €25,000.", "You can borrow from €1,000 to €25,000.", Verdict.SUPPORTED),
        ("Borrow up to €50,000.", "You can borrow from €1,000 to €25,000.", Verdict.CONTRADICTED),
        ("Earn 5% AER.", "The rate is 3.10% AER (variable).", Verdict.CONTRADICTED),
        ("Earn 3.1% AER.", "The rate is 3.10% AER (variable).", Verdict.SUPPORTED),
        (
            "The fee is €12.10 incl. VAT.",
            "The fee is €10.00 excl. VAT. VAT is charged at 21%.",
            Verdict.SUPPORTED,
        ),
        (
            "The fee is €10 incl. VAT.",
            "The fee is €10.00 excl. VAT. VAT is charged at 21%.",
            Verdict.CONTRADICTED,
        ),
        ("The fee is €10 incl. VAT.", "The fee is €10.00 excl. VAT.", Verdict.UNDECIDED),
        (
            "The fee is €12.10 incl. VAT.",
            "All fees are shown excluding VAT at 21%.\nThe fee is €10.",
            Verdict.SUPPORTED,
        ),
        ("Open from age 16.", "You must be aged 18 or over.", Verdict.CONTRADICTED),
        ("The fee is €60.", "The fee is €5 per month.", Verdict.UNDECIDED),
        ("Earn 5% AER.", "Fees are listed in the schedule.", Verdict.NOT_FOUND),
    ],
)
def test_quantities(claim: str, clause: str, verdict: Verdict) -> None:
    decided = verdicts(claim, clause)
    assert list(decided.values()) == [verdict], decided


@pytest.mark.parametrize(
    ("article", "clause", "verdict"),
    [
        ("No fees, ever.", "A monthly account fee of €5.00 applies.", Verdict.CONTRADICTED),
        ("No fees, ever.", "There are no fees for this account.", Verdict.SUPPORTED),
        (
            "No early repayment fees.",
            "An early repayment fee of 1% of the amount repaid applies.",
            Verdict.CONTRADICTED,
        ),
        ("No early repayment fees.", "A late payment fee of €25 applies.", Verdict.NOT_FOUND),
        ("Enjoy free transfers.", "Transfer fee: €0.00", Verdict.SUPPORTED),
        (
            "Instant access to your savings.",
            "You must give 30 days' notice before a withdrawal.",
            Verdict.CONTRADICTED,
        ),
        (
            "Withdraw anytime.",
            "You may make a maximum of 3 withdrawals per year.",
            Verdict.CONTRADICTED,
        ),
        ("Cancel anytime.", "The minimum term is 24 months.", Verdict.CONTRADICTED),
        (
            "A guaranteed rate.",
            "The interest rate is variable and may change.",
            Verdict.CONTRADICTED,
        ),
        ("A guaranteed rate.", "The interest rate is fixed for the term.", Verdict.SUPPORTED),
        ("Guaranteed approval.", "Lending is subject to status.", Verdict.CONTRADICTED),
        ("Unlimited data.", "Data use is subject to our fair use policy.", Verdict.CONTRADICTED),
        ("Unlimited withdrawals.", "Withdrawals are unlimited.", Verdict.SUPPORTED),
        (
            "We will never change your rate.",
            "We may change the interest rate.",
            Verdict.CONTRADICTED,
        ),
        (
            "Instant transfers.",
            "Transfers are processed within 2 business days.",
            Verdict.CONTRADICTED,
        ),
    ],
)
def test_absolutes(article: str, clause: str, verdict: Verdict) -> None:
    decided = verdicts(article, clause)
    assert list(decided.values()) == [verdict], decided


def test_absolute_claims_are_found_with_their_span() -> None:
    text = "Easy Saver: no fees, ever, instant access and a guaranteed rate. Withdraw anytime!"
    claims = extract_claims(text)
    assert [(c.absolute, text[c.start : c.end]) for c in claims] == [
        (Absolute.FREE, "no fees, ever"),
        (Absolute.INSTANT, "instant access"),
        (Absolute.GUARANTEED, "guaranteed rate"),
        (Absolute.ANYTIME, "anytime"),
    ]


def test_conditions_and_deposit_protection_are_not_claims() -> None:
    text = (
        "Earn interest on balances up to €10,000. Deposits are protected by the Deposit "
        "Guarantee Scheme up to €100,000."
    )
    assert extract_claims(text) == []


def test_a_fee_beats_a_no_fee_statement_for_no_fees() -> None:
    decided = verdicts(
        "No fees at all.",
        "There is no fee for the first 3 withdrawals; after "
        "that a fee of €2 per withdrawal applies.",
    )
    assert decided == {"No fees at all": Verdict.CONTRADICTED}


def test_an_apr_is_compared_with_aprs_not_with_a_nominal_rate() -> None:
    decided = verdicts(
        "6.9% APR representative.",
        "Representative example: a fixed rate of 6.7% a year.",
        "The representative APR is 6.9%.",
    )
    assert decided == {"6.9% APR representative": Verdict.SUPPORTED}


def test_sentences_respect_abbreviations_and_lines() -> None:
    text = "Fees are €10 excl. VAT. Interest is paid monthly.\nRow | €5"
    assert [text[a:b] for a, b in sentences(text)] == [
        "Fees are €10 excl. VAT.",
        "Interest is paid monthly.",
        "Row | €5",
    ]
