"""Words → topic terms: the shared vocabulary of claims, clause facts and BM25 retrieval.

A *term* is a lower-cased word with plural and verb endings stripped and synonyms folded onto
one concept ("charges" → "fee", "withdrawals" → "withdraw"), so that an article saying "no
charges" and a clause saying "a fee of €5" talk about the same thing. A *role* is the coarse
purpose of a number in its sentence (a fee, an interest rate, a notice period …), taken from the
nearest role term; numbers are only ever compared with numbers of the same role.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our ours out over own same she should so
    some such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you
    your yours shall may must""".split()  # noqa: SIM905 - a word list reads best as text
)


def _group(concept: str, *words: str) -> dict[str, str]:
    return dict.fromkeys(words, concept)


# Surface word (after plural stripping) → concept. Words absent here are their own concept.
_CONCEPTS: dict[str, str] = {
    **_group(
        "fee", "fee", "charge", "charged", "charging", "cost", "commission", "penalty", "surcharge"
    ),
    **_group(
        "withdraw", "withdraw", "withdrawal", "withdrawing", "withdrawn", "access", "accessing"
    ),
    **_group("interest", "interest", "aer", "apr", "ear", "yield", "return"),
    **_group(
        "balance",
        "balance",
        "deposit",
        "deposited",
        "saving",
        "save",
        "savings",
        "invest",
        "investment",
    ),
    **_group(
        "loan", "borrow", "borrowing", "loan", "lend", "lending", "credit", "finance", "financing"
    ),
    **_group(
        "repay",
        "repay",
        "repaid",
        "repaying",
        "repayment",
        "prepay",
        "prepayment",
        "settle",
        "settlement",
        "payback",
    ),
    **_group(
        "exit",
        "exit",
        "cancel",
        "cancellation",
        "cancelling",
        "terminate",
        "termination",
        "leave",
        "leaving",
        "switch",
        "switching",
        "close",
        "closure",
        "closing",
    ),
    **_group("term", "term", "duration", "tenure", "period"),
    **_group("notice", "notice", "notify", "notification"),
    **_group("age", "age", "aged", "old", "adult"),
    **_group("price", "price", "tariff", "priced", "pricing"),
    **_group("vat", "vat", "tax"),
    **_group(
        "payment", "transfer", "transferred", "payment", "pay", "paid", "paying", "transaction"
    ),
    **_group("month", "month", "monthly"),
    **_group("year", "year", "yearly", "annual", "annually", "annum"),
    **_group("instant", "instant", "instantly", "immediate", "immediately"),
    **_group("change", "variable", "vary", "varies", "change", "changed", "changing"),
    **_group("fixed", "guarantee", "guaranteed", "fixed", "fix"),
    **_group("limit", "limit", "limited", "maximum", "max", "cap", "capped"),
    **_group(
        "approval",
        "approval",
        "approve",
        "approved",
        "decision",
        "acceptance",
        "accept",
        "accepted",
    ),
    **_group("data", "data", "gb", "mb"),
}


class Role(StrEnum):
    """What a number in a sentence is about."""

    FEE = "fee"
    INTEREST = "interest"
    BALANCE = "balance"
    LOAN = "loan"
    REPAYMENT = "repayment"
    NOTICE = "notice"
    TERM = "term"
    AGE = "age"
    PRICE = "price"
    VAT = "vat"
    WITHDRAWAL = "withdrawal"
    PAYMENT = "payment"
    DATA = "data"


# Concepts that decide a number's role. "repay" is deliberately absent: "1% of the amount repaid"
# is a fee, and "repay over 60 months" is a term; the role comes from the fee or term word.
_ROLE_OF: dict[str, Role] = {
    "fee": Role.FEE,
    "interest": Role.INTEREST,
    "rate": Role.INTEREST,
    "balance": Role.BALANCE,
    "loan": Role.LOAN,
    "notice": Role.NOTICE,
    "term": Role.TERM,
    "age": Role.AGE,
    "price": Role.PRICE,
    "standing": Role.PRICE,
    "kwh": Role.PRICE,
    "vat": Role.VAT,
    "withdraw": Role.WITHDRAWAL,
    "payment": Role.PAYMENT,
    "data": Role.DATA,
}


def stem(word: str) -> str:
    """A light, deterministic normal form: lower case, no possessive, no plural ending."""
    lowered = word.lower().replace("’", "'")
    lowered = lowered.removesuffix("'s").removesuffix("'")
    if len(lowered) > 4 and lowered.endswith("ies"):
        lowered = lowered[:-3] + "y"
    elif len(lowered) > 4 and lowered.endswith(("sses", "shes", "ches", "xes")):
        lowered = lowered[:-2]
    elif len(lowered) > 3 and lowered.endswith("s") and not lowered.endswith(("ss", "us", "is")):
        lowered = lowered[:-1]
    return lowered


def concept(word: str) -> str:
    """The concept a word stands for (its stem when it has no synonym group)."""
    stemmed = stem(word)
    return _CONCEPTS.get(stemmed, stemmed)


def role_of(term: str) -> Role | None:
    return _ROLE_OF.get(term)


def iter_words(text: str) -> Iterator[tuple[int, int, str]]:
    """Words of ``text`` with their offsets."""
    for match in _WORD.finditer(text):
        yield match.start(), match.end(), match.group()


def terms(text: str) -> list[str]:
    """Concept terms of ``text`` in order, stopwords and bare numbers dropped."""
    result: list[str] = []
    for _, _, word in iter_words(text):
        if word.isdigit() or word.lower() in STOPWORDS:
            continue
        result.append(concept(word))
    return result


def term_set(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def nearest_role(
    text: str, start: int, end: int, *, window: int = 8, exclude: frozenset[Role] = frozenset()
) -> Role | None:
    """The role of the role term nearest to ``text[start:end]``, within ``window`` words.

    Words before the number count slightly closer than words after it, because English puts
    the noun first ("a fee of €5") more often than after ("€5 fee"); the search never crosses
    a sentence or clause boundary (``;`` ``.`` ``!`` ``?`` before a space, or a newline — table
    rows are one line each, so a row's cells stay together).
    """
    before = _boundary_before(text, start)
    after = _boundary_after(text, end)
    best: tuple[float, Role] | None = None
    left = list(iter_words(text[before:start]))[::-1][:window]
    for distance, (_, _, word) in enumerate(left, start=1):
        role = role_of(concept(word))
        if role is not None and role not in exclude and (best is None or distance < best[0]):
            best = (float(distance), role)
    right = list(iter_words(text[end:after]))[:window]
    for distance, (_, _, word) in enumerate(right, start=1):
        role = role_of(concept(word))
        if role is not None and role not in exclude and (best is None or distance + 0.5 < best[0]):
            best = (distance + 0.5, role)
    return best[1] if best else None


_BOUNDARY = re.compile(r"[.;!?](?=\s)|\n")


def _boundary_before(text: str, start: int) -> int:
    last = 0
    for match in _BOUNDARY.finditer(text, 0, start):
        last = match.end()
    return last


def _boundary_after(text: str, end: int) -> int:
    match = _BOUNDARY.search(text, end)
    return match.start() if match else len(text)
