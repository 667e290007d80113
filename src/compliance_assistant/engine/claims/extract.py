"""Claims from article text and facts from GTC clauses.

A claim is a quantity with a role a GTC can state (a fee, a rate, a notice period, a loan
amount, a term, an age …) or an absolute statement. Balances and bare numbers without a role
are not claims: an article's "on balances up to €10,000" is a condition of its offer, not a
statement a GTC clause confirms or denies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from compliance_assistant.engine.claims.absolutes import find_absolutes, find_signals
from compliance_assistant.engine.claims.models import Claim, Clause, Dimension, Fact, Signal
from compliance_assistant.engine.claims.quantities import find_quantities
from compliance_assistant.engine.claims.topics import Role, iter_words, term_set

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[A-Z0-9\"“‘(€£$])|\n+")
_ABBREVIATIONS = (
    "incl.",
    "excl.",
    "approx.",
    "e.g.",
    "i.e.",
    "p.a.",
    "no.",
    "min.",
    "max.",
    "st.",
    "vs.",
    "etc.",
    "inc.",
    "art.",
    "sec.",
    "cf.",
)
_CLAIM_ROLES = frozenset(
    {
        Role.FEE,
        Role.INTEREST,
        Role.LOAN,
        Role.NOTICE,
        Role.TERM,
        Role.AGE,
        Role.PRICE,
        Role.WITHDRAWAL,
        Role.DATA,
        Role.REPAYMENT,
        Role.PAYMENT,
    }
)
_LOCAL_WINDOW = 6


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each sentence; abbreviations such as "incl." do not end one."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()].rstrip("\"'”’)]")
        if not match.group().startswith("\n") and before.lower().endswith(_ABBREVIATIONS):
            continue
        if text[start : match.start()].strip():
            yield _trimmed(text, start, match.start())
        start = match.end()
    if text[start:].strip():
        yield _trimmed(text, start, len(text))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def extract_claims(text: str) -> list[Claim]:
    """Checkable claims of ``text`` in order. Offsets are into ``text``."""
    claims: list[Claim] = []
    for sentence_start, sentence_end in sentences(text):
        sentence = text[sentence_start:sentence_end]
        topics = term_set(sentence)
        spans: list[tuple[int, int]] = []
        for match in find_absolutes(sentence):
            spans.append((match.start, match.end))
            claims.append(
                Claim(
                    start=sentence_start + match.start,
                    end=sentence_start + match.end,
                    text=sentence[match.start : match.end],
                    sentence=sentence,
                    topics=topics,
                    subject=match.subject,
                    absolute=match.absolute,
                )
            )
        for quantity in find_quantities(sentence):
            if quantity.role not in _CLAIM_ROLES:
                continue
            if any(quantity.start < end and start < quantity.end for start, end in spans):
                continue  # "no fees over €0" — the absolute already covers it
            shifted = quantity.model_copy(
                update={
                    "start": sentence_start + quantity.start,
                    "end": sentence_start + quantity.end,
                }
            )
            claims.append(
                Claim(
                    start=shifted.start,
                    end=shifted.end,
                    text=quantity.text,
                    sentence=sentence,
                    topics=topics,
                    subject=_local_terms(sentence, quantity.start, quantity.end),
                    quantity=shifted,
                )
            )
    claims.sort(key=lambda c: (c.start, c.end))
    return claims


def _local_terms(text: str, start: int, end: int) -> frozenset[str]:
    before = [w for _, _, w in iter_words(text[:start])][-_LOCAL_WINDOW:]
    after = [w for _, _, w in iter_words(text[end:])][:_LOCAL_WINDOW]
    return term_set(" ".join([*before, *after]))


def extract_facts(clauses: Iterable[Clause], *, rank: int = 0) -> list[Fact]:
    """Quantities and qualitative signals stated in each sentence of each clause.

    A fact's topics are its sentence's terms plus its clause heading's, so "€5.00" in a fee
    table under "4. Fees and charges" is known to be about fees.
    """
    facts: list[Fact] = []
    for clause in clauses:
        heading_terms = term_set(clause.heading or "")
        for start, end in sentences(clause.text):
            sentence = clause.text[start:end]
            topics = term_set(sentence) | heading_terms
            for quantity in find_quantities(sentence):
                facts.append(
                    Fact(
                        clause=clause,
                        quote_start=start,
                        quote_end=end,
                        topics=topics,
                        quantity=quantity,
                        rank=rank,
                    )
                )
            for signal in dict.fromkeys(s for s, _, _ in find_signals(sentence)):
                facts.append(
                    Fact(
                        clause=clause,
                        quote_start=start,
                        quote_end=end,
                        topics=topics,
                        signal=signal,
                        rank=rank,
                    )
                )
    return facts


@dataclass(frozen=True)
class VatContext:
    """What a GTC document says about VAT in general: its rate and whether prices include it."""

    rate: float | None = None
    included: bool | None = None


def vat_contexts(facts: Sequence[Fact]) -> dict[str, VatContext]:
    """Per document id: the VAT rate it states and its general inclusion statement."""
    rates: dict[str, float] = {}
    included: dict[str, bool] = {}
    for fact in facts:
        document_id = fact.clause.document_id
        quantity = fact.quantity
        if (
            quantity is not None
            and quantity.dimension is Dimension.RATE
            and quantity.role is Role.VAT
        ):
            rates.setdefault(document_id, quantity.low / 10_000.0)
        if fact.signal in (Signal.VAT_INCLUDED, Signal.VAT_EXCLUDED):
            included.setdefault(document_id, fact.signal is Signal.VAT_INCLUDED)
    ids = set(rates) | set(included)
    return {i: VatContext(rate=rates.get(i), included=included.get(i)) for i in ids}
