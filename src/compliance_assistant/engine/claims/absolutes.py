"""Absolute statements in articles ("no fees, ever", "instant access", "guaranteed rate") and
the qualitative signals in clauses that can support or contradict them ("variable", "fair use",
"subject to status", "no fee is charged").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compliance_assistant.engine.claims.models import Absolute, Signal
from compliance_assistant.engine.claims.topics import iter_words, term_set

_I = re.IGNORECASE
_FEE_WORD = r"(?:fees?|charges?|costs?|commissions?|penalt(?:y|ies))"

# Order matters: earlier patterns win where matches overlap.
_ABSOLUTE_PATTERNS: tuple[tuple[Absolute, re.Pattern[str]], ...] = (
    (
        Absolute.FREE,
        re.compile(
            rf"\bno\s+(?:[\w-]+\s+){{0,3}}?{_FEE_WORD}\b(?:[\s,–—-]+(?:ever|whatsoever|at\s+all)\b)?"
            rf"|\b(?:zero|without\s+(?:any\s+)?){_FEE_WORD}"
            r"|\b(?:fee|charge|commission|penalty)[\s-]free\b(?:\s+[\w-]+)?"
            r"|\bfree\s+of\s+(?:charge|fees?)\b"
            r"|\b(?:for\s+free|at\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge))\b"
            r"|\bfree\s+(?:account|banking|transfers?|withdrawals?|cancellation|installation|"
            r"delivery|switching|exit|repayments?|overpayments?|access)\b"
            rf"|\bnever\s+(?:pay|be\s+charged|charge\s+(?:you\s+)?)(?:\s+(?:a|any|an))?"
            rf"(?:\s+[\w-]+){{0,2}}?\s+{_FEE_WORD}\b",
            _I,
        ),
    ),
    (
        Absolute.INSTANT,
        re.compile(
            r"\b(?:instant|immediate)\s+(?:[\w-]+\s+)?(?:access|withdrawals?|transfers?|payouts?|"
            r"decisions?|approvals?|payments?|switching)\b|\binstantly\b",
            _I,
        ),
    ),
    (
        Absolute.ANYTIME,
        re.compile(
            r"\b(?:at\s+any\s+time|any\s?time|whenever\s+you\s+(?:want|like|wish|need|choose))\b",
            _I,
        ),
    ),
    (
        Absolute.GUARANTEED,
        re.compile(
            r"\bguaranteed\s+(?:[\w-]+\s+)?(?:rates?|returns?|interest|prices?|approval|acceptance|"
            r"income|growth|profits?)\b|\b(?:rates?|returns?|prices?|approval)\s+(?:is|are)\s+"
            r"guaranteed\b|\bguarantee(?:s|d)?\s+(?:you\s+)?(?:a|an|the)?\s*(?:[\w-]+\s+)?"
            r"(?:rate|return|price|approval)\b",
            _I,
        ),
    ),
    (Absolute.UNLIMITED, re.compile(r"\bunlimited\s+(?:[\w-]+\s+)?[\w-]+", _I)),
    (
        Absolute.NEVER,
        re.compile(
            r"\bnever\s+(?:\w+\s+){0,2}?(?:change|increase|raise|go\s+up|vary|reduce|cut)\b"
            r"(?:\s+(?:your|the|our)\s+[\w-]+)?",
            _I,
        ),
    ),
)

_SIGNAL_PATTERNS: tuple[tuple[Signal, re.Pattern[str]], ...] = (
    (
        Signal.NO_FEE,
        re.compile(
            rf"\bno\s+(?:[\w-]+\s+){{0,3}}?{_FEE_WORD}\b|\bfree\s+of\s+charge\b|\bfee[\s-]free\b"
            r"|\b(?:do|does|will|shall)\s+not\s+(?:charge|apply\s+(?:a|any)\s+fee)\b"
            r"|\bwithout\s+(?:any\s+)?charge\b",
            _I,
        ),
    ),
    (
        Signal.VARIABLE,
        re.compile(
            r"\bvariable\b|\bmay\s+(?:\w+\s+){0,2}?(?:change|vary|increase|decrease|reduce|amend|"
            r"alter|raise|lower)\b|\bcan\s+(?:change|vary|go\s+(?:up|down))\b"
            r"|\bnot\s+(?:fixed|guaranteed)\b|\bsubject\s+to\s+change\b",
            _I,
        ),
    ),
    (Signal.FIXED, re.compile(r"(?<!not\s)\b(?:fixed|guaranteed)\b(?!\s+term)", _I)),
    (Signal.FAIR_USE, re.compile(r"\bfair[\s-]use\b", _I)),
    (
        Signal.LIMITED,
        re.compile(
            r"\b(?:are|is)\s+limited\s+to\b|\blimit\s+of\b|\bno\s+more\s+than\b|\bmaximum\s+of\b",
            _I,
        ),
    ),
    (
        Signal.DISCRETION,
        re.compile(
            r"\bsubject\s+to\s+(?:status|approval|credit|eligibility|affordability|our\s+lending)"
            r"|\bwe\s+may\s+(?:decline|refuse|reject)\b|\bat\s+our\s+(?:sole\s+)?discretion\b"
            r"|\bcredit\s+(?:check|assessment|search)\b",
            _I,
        ),
    ),
    (
        Signal.MIN_TERM,
        re.compile(
            r"\bminimum\s+(?:contract\s+)?(?:term|period|duration)\b|\bearly\s+(?:termination|exit|"
            r"cancellation)\s+(?:fee|charge)s?\b|\block[\s-]in\b|\bfixed\s+term\b",
            _I,
        ),
    ),
    (
        Signal.INSTANT,
        re.compile(
            r"\b(?:instant|immediate)\s+access\b|\bwithout\s+(?:giving\s+)?(?:us\s+)?notice\b"
            r"|\bat\s+any\s+time\b",
            _I,
        ),
    ),
    (Signal.UNLIMITED, re.compile(r"\bunlimited\b", _I)),
    (
        Signal.VAT_INCLUDED,
        re.compile(r"\b(?:include|includes|including|inclusive\s+of|incl\.?)\s+VAT\b", _I),
    ),
    (
        Signal.VAT_EXCLUDED,
        re.compile(r"\b(?:exclude|excludes|excluding|exclusive\s+of|excl\.?|plus)\s+VAT\b", _I),
    ),
)

# Words that say nothing about which fee or which feature a statement is about.
GENERIC_SUBJECT = frozenset(
    {
        "fee",
        "ever",
        "whatsoever",
        "hidden",
        "extra",
        "additional",
        "account",
        "bank",
        "banking",
        "any",
        "all",
        "product",
        "service",
        "free",
        "zero",
        "never",
        "charge",
        "time",
        "want",
        "like",
        "wish",
        "need",
        "choose",
        "instant",
        "instantly",
        "guaranteed",
        "fixed",
        "unlimited",
        "at",
        "no",
        "money",
        "your",
        "cost",
        "whenever",
        "anytime",
        "easy",
        "saver",
    }
)
_SUBJECT_WINDOW = 5


@dataclass(frozen=True)
class AbsoluteMatch:
    absolute: Absolute
    start: int
    end: int
    subject: frozenset[str]


def find_absolutes(text: str) -> list[AbsoluteMatch]:
    """Absolute statements in ``text``, non-overlapping, each with its subject terms.

    "Deposit guarantee scheme" mentions are not claims about the product and are skipped.
    """
    found: list[AbsoluteMatch] = []
    for absolute, pattern in _ABSOLUTE_PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < m.end and m.start < match.end() for m in found):
                continue
            if absolute is Absolute.GUARANTEED and re.search(
                r"guarantee\s+(?:scheme|fund)", text[match.start() : match.end() + 20], _I
            ):
                continue
            found.append(
                AbsoluteMatch(
                    absolute,
                    match.start(),
                    match.end(),
                    _subject(text, match.start(), match.end(), absolute),
                )
            )
    found.sort(key=lambda m: m.start)
    return found


def _subject(text: str, start: int, end: int, absolute: Absolute) -> frozenset[str]:
    """Concept terms of the statement, minus generic words.

    "anytime" takes its subject from the words around it ("withdraw your money anytime");
    "no fees" may name it right after ("no fees on transfers"); the other statements carry
    their subject inside the match ("instant access", "guaranteed rate").
    """
    words = text[start:end]
    if absolute is Absolute.ANYTIME:
        before = [w for _, _, w in iter_words(text[:start])][-_SUBJECT_WINDOW:]
        after = [w for _, _, w in iter_words(text[end:])][: _SUBJECT_WINDOW - 1]
        words = " ".join([*before, words, *after])
    elif absolute is Absolute.FREE:
        following = re.match(r"\s+(?:on|for|when)\s+((?:[\w-]+\s*){1,3})", text[end:])
        if following:
            words = f"{words} {following.group(1)}"
    return frozenset(term_set(words) - GENERIC_SUBJECT)


def find_signals(text: str) -> list[tuple[Signal, int, int]]:
    """Qualitative signals in a clause sentence, with their offsets (overlaps allowed)."""
    result: list[tuple[Signal, int, int]] = []
    for signal, pattern in _SIGNAL_PATTERNS:
        result.extend((signal, m.start(), m.end()) for m in pattern.finditer(text))
    return sorted(result, key=lambda item: item[1])
