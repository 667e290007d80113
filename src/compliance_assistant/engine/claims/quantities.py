"""Finding numbers with units in text and normalising them.

Rates become basis points (0.5% = 50 bps), money keeps its currency and period (€5 a month,
€60 per year), durations become days (two weeks = 14 days; a month is 30.44 days with a
tolerance), ages years, data volumes megabytes. Bounds ("from", "up to", "at least") and ranges
("3.1% to 9.9%", "€1,000–€25,000") are recognised, as are rate types (AER, APR) and whether a
price includes VAT. Each quantity gets the role of the nearest role word (see :mod:`.topics`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from compliance_assistant.engine.claims.lexicon import (
    AGE,
    BARE_RANGE_START,
    BETWEEN_BEFORE,
    COUNT,
    CURRENCY_SIGNS,
    DATA,
    DATA_MB,
    DAYS,
    DURATION,
    LEADING_NUMBER,
    LOOKBEHIND,
    MAX_BEFORE,
    MIN_BEFORE,
    MINOR,
    MONEY,
    MONEY_PREFIX_PERIOD,
    MONEY_SUFFIX_PERIOD,
    MULTIPLIERS,
    NOT_ROLES,
    PERIOD_WORDS,
    RANGE_JOIN,
    RATE,
    RATE_TYPE_AFTER,
    RATE_TYPE_BEFORE,
    VAT_SUFFIX,
    WORD_NUMBERS,
)
from compliance_assistant.engine.claims.models import Bound, Dimension, Period, Quantity
from compliance_assistant.engine.claims.topics import Role, nearest_role


def parse_number(raw: str) -> float:
    """ "1,000.50" → 1000.5; "3,1" (decimal comma) → 3.1; number words → their value."""
    lowered = raw.lower()
    if lowered in WORD_NUMBERS:
        return float(WORD_NUMBERS[lowered])
    if re.fullmatch(r"\d+,\d{1,2}", raw):
        return float(raw.replace(",", "."))
    return float(raw.replace(",", ""))


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text``, in order, non-overlapping (money and rates win over
    durations and counts that share their words)."""
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    finders: list[Callable[[str], list[Quantity]]] = [
        _money,
        _rates,
        _ages,
        _data,
        _counts,
        _durations,
    ]
    for finder in finders:
        for quantity in finder(text):
            if any(quantity.start < end and start < quantity.end for start, end in taken):
                continue
            found.append(quantity)
            taken.append((quantity.start, quantity.end))
    found.sort(key=lambda q: q.start)
    return [_with_role(text, q) for q in _merge_ranges(text, found)]


def _with_role(text: str, quantity: Quantity) -> Quantity:
    if quantity.role is not None:
        return quantity
    role = nearest_role(
        text, quantity.start, quantity.end, exclude=NOT_ROLES.get(quantity.dimension, frozenset())
    )
    if quantity.dimension is Dimension.RATE and _vat_adjacent(text, quantity):
        role = Role.VAT
    elif quantity.rate_type is not None:
        role = Role.INTEREST
    return quantity.model_copy(update={"role": role})


def _vat_adjacent(text: str, quantity: Quantity) -> bool:
    before = text[max(0, quantity.start - 30) : quantity.start]
    after = text[quantity.end : quantity.end + 6]
    return bool(
        re.search(r"\bVAT\b(?:\s+\w+){0,3}?\s*(?:at|of|rate|:|\()?\s*$", before, re.IGNORECASE)
        or re.match(r"\s*\)?\s*VAT\b", after, re.IGNORECASE)
    )


def _bound(text: str, start: int) -> Bound:
    before = text[max(0, start - LOOKBEHIND) : start]
    if MIN_BEFORE.search(before):
        return Bound.MIN
    if MAX_BEFORE.search(before):
        return Bound.MAX
    return Bound.EXACT


def _make(
    text: str,
    dimension: Dimension,
    value: float,
    *,
    start: int,
    end: int,
    unit: str,
    **extra: object,
) -> Quantity:
    return Quantity.model_validate(
        {
            "dimension": dimension,
            "low": value,
            "high": value,
            "bound": _bound(text, start),
            "start": start,
            "end": end,
            "text": text[start:end],
            "unit": unit,
            **extra,
        }
    )


def _money(text: str) -> list[Quantity]:
    result = []
    for match in MONEY.finditer(text):
        groups = match.groupdict()
        if groups["minor"]:
            number = parse_number(groups["n3"]) / 100.0
            currency = MINOR[groups["minor"].lower()]
        else:
            raw = groups["n1"] or groups["n2"]
            number = parse_number(raw)
            multiplier = groups["m1"] or groups["w1"] or groups["m2"] or groups["w2"]
            if multiplier:
                number *= MULTIPLIERS[multiplier.lower()]
            sign = (groups["pre"] or groups["post"]).lower()
            currency = CURRENCY_SIGNS[sign]
        end = match.end()
        period: Period | None = None
        per_unit: str | None = None
        vat: bool | None = None
        for _ in range(2):  # a VAT note and a period may follow in either order
            vat_match = VAT_SUFFIX.match(text, end)
            if vat is None and vat_match:
                vat = vat_match.group("inc") is not None
                end = vat_match.end()
                continue
            period_match = MONEY_SUFFIX_PERIOD.match(text, end)
            if period is None and per_unit is None and period_match:
                word = (period_match.group("per") or period_match.group("adv")).lower()
                word = word.replace(".", "").replace(" ", "")
                if word in PERIOD_WORDS:
                    period = PERIOD_WORDS[word]
                else:
                    period, per_unit = Period.UNIT, word
                end = period_match.end()
        if period is None:
            prefix = MONEY_PREFIX_PERIOD.search(text[max(0, match.start() - 60) : match.start()])
            if prefix:
                period = PERIOD_WORDS[prefix.group("adv").lower()]
        result.append(
            _make(
                text,
                Dimension.MONEY,
                number,
                start=match.start(),
                end=end,
                unit=currency,
                currency=currency,
                period=period,
                per_unit=per_unit,
                vat_included=vat,
            )
        )
    return result


def _rates(text: str) -> list[Quantity]:
    result = []
    for match in RATE.finditer(text):
        number = parse_number(match.group("n"))
        basis_points = number if match.group("bps") else number * 100.0
        end = match.end()
        rate_type: str | None = None
        for _ in range(3):
            qualifier = RATE_TYPE_AFTER.match(text, end)
            if not qualifier:
                break
            word = qualifier.group("q").upper()
            if word in {"AER", "APR", "EAR"} and rate_type is None:
                rate_type = word
            end = qualifier.end()
        if rate_type is None:
            before = RATE_TYPE_BEFORE.search(text[max(0, match.start() - 40) : match.start()])
            rate_type = before.group("q").upper() if before else None
        quantity = _make(
            text,
            Dimension.RATE,
            basis_points,
            start=match.start(),
            end=end,
            unit="bps" if match.group("bps") else "%",
            rate_type=rate_type,
        )
        if match.group("lo"):
            low = parse_number(match.group("lo"))
            low = low if match.group("bps") else low * 100.0
            quantity = quantity.model_copy(update={"low": low, "bound": Bound.RANGE})
        result.append(quantity)
    return result


def _durations(text: str) -> list[Quantity]:
    result = []
    for match in DURATION.finditer(text):
        if match.group("fortnight"):
            number, unit = 1.0, "fortnight"
        else:
            number, unit = parse_number(match.group("n")), match.group("unit").lower()
        days = number * DAYS[unit]
        tolerance = 0.0
        kind = (match.group("kind") or "").lower()
        if kind in {"business", "working", "banking"}:
            # Five business days are a week; weekends and holidays make the mapping inexact.
            days, tolerance = number * 7.0 / 5.0, 2.0 + 0.2 * number
        elif unit in {"month", "year"}:
            tolerance = 1.6 * (number if unit == "month" else number * 12)
        result.append(
            _make(
                text,
                Dimension.DURATION,
                days,
                start=match.start(),
                end=match.end(),
                unit=unit,
                tolerance=tolerance,
            )
        )
    return result


def _ages(text: str) -> list[Quantity]:
    result = []
    for match in AGE.finditer(text):
        groups = match.groupdict()
        raw = groups["a"] or groups["b"] or groups["c"] or groups["d"]
        direction = (
            groups["dir1"] or groups["dir2"] or groups["dir3"] or groups["dir4"] or ""
        ).lower()
        age = float(raw)
        if groups["plus1"] or groups["plus2"] or direction in {"over", "above", "older"}:
            bound = Bound.MIN
        elif direction in {"under", "below", "younger"}:
            bound = Bound.MAX
        else:
            bound = _bound(text, match.start())
        result.append(
            Quantity(
                dimension=Dimension.AGE,
                low=age,
                high=age,
                bound=bound,
                start=match.start(),
                end=match.end(),
                text=match.group(),
                unit="year",
                role=Role.AGE,
            )
        )
    return result


def _data(text: str) -> list[Quantity]:
    return [
        _make(
            text,
            Dimension.DATA,
            parse_number(m.group("n")) * DATA_MB[m.group("u")],
            start=m.start(),
            end=m.end(),
            unit=m.group("u"),
            role=Role.DATA,
        )
        for m in DATA.finditer(text)
    ]


def _counts(text: str) -> list[Quantity]:
    result = []
    for match in COUNT.finditer(text):
        noun = match.group("noun").lower()
        role = Role.WITHDRAWAL if noun.startswith("withdrawal") else Role.PAYMENT
        per = match.group("per")
        result.append(
            _make(
                text,
                Dimension.COUNT,
                parse_number(match.group("n")),
                start=match.start(),
                end=match.end(),
                unit=noun.rstrip("s"),
                role=role,
                period=PERIOD_WORDS[per.lower()] if per else None,
            )
        )
    return result


def _merge_ranges(text: str, quantities: list[Quantity]) -> list[Quantity]:
    """Join "€1,000 to €25,000" and "12 to 60 months" into ranges."""
    merged: list[Quantity] = []
    for quantity in quantities:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.dimension is quantity.dimension
            and previous.bound is not Bound.RANGE
            and RANGE_JOIN.match(text[previous.end : quantity.start])
            and (
                text[previous.end : quantity.start].strip().lower() != "and"
                or BETWEEN_BEFORE.search(text[: previous.start])
            )
        ):
            merged[-1] = quantity.model_copy(
                update={
                    "low": previous.low,
                    "bound": Bound.RANGE,
                    "start": previous.start,
                    "text": text[previous.start : quantity.end],
                }
            )
            continue
        bare = BARE_RANGE_START.search(text[max(0, quantity.start - 20) : quantity.start])
        if (
            bare
            and quantity.dimension in {Dimension.DURATION, Dimension.MONEY, Dimension.DATA}
            and quantity.bound is not Bound.RANGE
        ):
            scale = quantity.low / parse_number(_leading_number(quantity.text) or "1")
            start = quantity.start - (len(bare.group()))
            merged.append(
                quantity.model_copy(
                    update={
                        "low": parse_number(bare.group("lo")) * scale,
                        "bound": Bound.RANGE,
                        "start": start,
                        "text": text[start : quantity.end],
                    }
                )
            )
            continue
        merged.append(quantity)
    return merged


def _leading_number(text: str) -> str | None:
    match = LEADING_NUMBER.search(text)
    return match.group() if match else None
