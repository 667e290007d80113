"""Quantities: each unit and format is normalised so that equal amounts compare equal."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.claims import (
    Bound,
    Dimension,
    Period,
    Role,
    find_quantities,
    parse_number,
)


def one(text: str):  # type: ignore[no-untyped-def]
    found = find_quantities(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1,000", 1000.0),
        ("25,000.50", 25000.5),
        ("3,10", 3.1),
        ("3.10", 3.1),
        ("two", 2.0),
        ("thirty", 30.0),
    ],
)
def test_numbers(raw: str, value: float) -> None:
    assert parse_number(raw) == value


def test_percent_and_basis_points_are_the_same_scale() -> None:
    assert one("a 0.5% cut").low == one("a cut of 50 basis points").low == 50.0
    assert one("25 bps").low == 25.0
    assert one("3,1 %").low == one("3.1 per cent").low == 310.0


def test_rate_types_and_qualifiers() -> None:
    saver = one("earn 3.10% AER (variable)")
    assert (saver.rate_type, saver.role, saver.text) == (
        "AER",
        Role.INTEREST,
        "3.10% AER (variable)",
    )
    assert one("a representative APR of 6.9%").rate_type == "APR"
    assert one("6.9% APR representative").rate_type == "APR"


def test_money_keeps_currency_and_period() -> None:
    monthly = one("a monthly account fee of €5.00 applies")
    assert (monthly.low, monthly.currency, monthly.period, monthly.role) == (
        5.0,
        "EUR",
        Period.MONTH,
        Role.FEE,
    )
    assert one("€5/month").period is Period.MONTH
    assert one("£60 a year").period is Period.YEAR
    assert one("just 5 EUR per week").currency == "EUR"
    assert one("€2.50 p.a.").period is Period.YEAR
    assert one("28.5p per kWh").low == pytest.approx(0.285)
    assert one("28.5p per kWh").per_unit == "kwh"
    assert one("Monthly account fee | €5.00 | per month").period is Period.MONTH
    assert one("loans of €10k").low == 10_000.0
    assert find_quantities("meet us at 5 p.m.") == []


def test_vat_statements() -> None:
    assert one("€12.10 incl. VAT").vat_included is True
    assert one("€10.00 excl. VAT").vat_included is False
    assert one("€10 plus VAT").vat_included is False
    vat = find_quantities("€10.00 excl. VAT, VAT at 21%")[1]
    assert (vat.role, vat.low) == (Role.VAT, 2100.0)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("two weeks", 14.0),
        ("14 days", 14.0),
        ("a fortnight", 14.0),
        ("30 days' notice", 30.0),
        ("one month's notice", 30.4375),
        ("24 months", 730.5),
        ("2 years", 730.5),
        ("a 30-day notice period", 30.0),
    ],
)
def test_durations_in_days(text: str, days: float) -> None:
    assert one(text).low == pytest.approx(days)


def test_months_and_business_days_carry_a_tolerance() -> None:
    assert one("1 month").tolerance > 0
    business = one("5 business days")
    assert business.low == pytest.approx(7.0)
    assert business.tolerance > 0


def test_bounds_and_ranges() -> None:
    assert one("from 3.1% APR").bound is Bound.MIN
    assert one("borrow up to €50,000").bound is Bound.MAX
    assert one("at least €1").bound is Bound.MIN
    spread = one("rates from 3.1% to 19.9% APR")
    assert (spread.bound, spread.low) == (Bound.RANGE, 310.0)
    assert spread.high == pytest.approx(1990.0)
    amounts = one("from €1,000 to €25,000")
    assert (amounts.bound, amounts.low, amounts.high) == (Bound.RANGE, 1000.0, 25000.0)
    term = one("between 12 and 60 months")
    assert (term.low, term.high) == (pytest.approx(365.25), pytest.approx(1826.25))
    assert one("3.1–9.9%").bound is Bound.RANGE


def test_ages_counts_and_data() -> None:
    assert (one("aged 18 or over").low, one("aged 18 or over").bound) == (18.0, Bound.MIN)
    assert one("open from age 16").bound is Bound.MIN
    assert one("over-18s only").bound is Bound.MIN
    assert one("18 years old and under").bound is Bound.MAX
    count = one("a maximum of 3 withdrawals per year")
    assert (count.dimension, count.bound, count.period) == (Dimension.COUNT, Bound.MAX, Period.YEAR)
    assert find_quantities("a withdrawal request") == []
    assert one("20GB of data").low == 20 * 1024.0


def test_roles_come_from_the_nearest_role_word() -> None:
    waiver = one("The fee is waived for balances above €10,000.")
    assert waiver.role is Role.BALANCE
    assert one("an early repayment fee of 1% of the amount repaid").role is Role.FEE
    assert one("You must give 30 days' notice").role is Role.NOTICE
    assert one("The loan term is 60 months").role is Role.TERM
