"""Speed-ups of the rule kinds must not change a single alert.

Covered: the literal pre-filters of conditional, substitution and consistency rules (never
skip a text the pattern could match), the repetition walk (equal to the token-by-token walk it
replaced), occurrence counting that stops early, and the rewritten MarketingEU patterns (equal
to the patterns they replaced).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.engine.rules.helpers import doc, lint, rule

from compliance_assistant.engine.rules.conditional import Conditional
from compliance_assistant.engine.rules.consistency import Consistency
from compliance_assistant.engine.rules.literals import LiteralFilter, literal_filter
from compliance_assistant.engine.rules.loader import parse_rule
from compliance_assistant.engine.rules.repetition import Repetition
from compliance_assistant.engine.rules.substitution import Substitution

REPO = Path(__file__).resolve().parents[3]
MARKETING = REPO / "guidelines" / "marketing-eu" / "styles" / "MarketingEU"
TESTDATA_STYLES = REPO.parent / "shared" / "vale-testdata" / "styles"
SAMPLES = sorted((REPO / "samples" / "articles").glob("*.md"))
PARAGRAPHS = [p for s in SAMPLES for p in s.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def _rules(kinds: tuple[str, ...]) -> list[Any]:
    files = sorted(MARKETING.glob("*.yml"))
    if TESTDATA_STYLES.is_dir():
        files += sorted(TESTDATA_STYLES.glob("*/*.yml"))
    found = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:  # some test-data styles are invalid on purpose
            continue
        if not isinstance(data, dict) or data.get("extends") not in kinds:
            continue
        try:
            found.append(parse_rule(f"{file.parent.name}.{file.stem}", text, source=str(file)))
        except Exception:  # invalid on purpose, or an unsupported construct
            continue
    return found


def _filtered() -> list[tuple[str, LiteralFilter, regex.Pattern[str]]]:
    """(name, filter, pattern) of every filtered pattern of the three kinds."""
    pairs: list[tuple[str, LiteralFilter, regex.Pattern[str]]] = []
    for compiled in _rules(("conditional", "substitution", "consistency")):
        if isinstance(compiled, Conditional):
            for key in ("first", "second"):
                literals = getattr(compiled, f"{key}_literals")
                if literals is not None:
                    pairs.append((f"{compiled.name}.{key}", literals, getattr(compiled, key)))
        elif isinstance(compiled, Substitution) and compiled.literals is not None:
            pairs.append((compiled.name, compiled.literals, compiled.pattern))
        elif isinstance(compiled, Consistency):
            for index, (pattern, literals) in enumerate(
                zip(compiled.pairs, compiled.filters, strict=True)
            ):
                if literals is not None:
                    pairs.append((f"{compiled.name}[{index}]", literals, pattern))
    return pairs


FILTERED = _filtered()


def test_conditional_substitution_and_consistency_rules_get_filters() -> None:
    names = {name for name, _, _ in FILTERED}
    assert {
        "MarketingEU.CreditAPR.second",
        "MarketingEU.InclusiveLanguage",
        "MarketingEU.HiddenConditions.first",
    } <= names
    if TESTDATA_STYLES.is_dir():
        assert {"proselint.GenderBias", "demo.Spelling[0]", "Checks.MultiCapture.second"} <= names


@pytest.mark.parametrize("entry", FILTERED, ids=lambda e: e[0])
def test_no_skipped_paragraph_of_the_samples_could_match(
    entry: tuple[str, LiteralFilter, regex.Pattern[str]],
) -> None:
    name, literals, pattern = entry
    for paragraph in PARAGRAPHS:
        if not literals.may_match(paragraph):
            assert pattern.search(paragraph) is None, (name, paragraph)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_texts_around_the_literals(data: st.DataObject) -> None:
    name, literals, pattern = data.draw(st.sampled_from(FILTERED))
    pieces = st.one_of(
        st.sampled_from([*literals.literals, *(s.upper() for s in literals.literals)]),
        st.text(alphabet="abcdefrgilsntuoAPR €£%0123456789-'’.,:()ſKß\u212a", max_size=8),
    )
    text = "".join(data.draw(st.lists(pieces, max_size=8)))
    if not literals.may_match(text):
        assert pattern.search(text) is None, (name, text)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\d+(?:[.,]\d+)?\s?%", ("%",)),  # short, but a character prose rarely holds
        (r"([A-Z]{3,5}): (?:[A-Z][a-z]+)|(?:\b[A-Z][a-z]+ )+\(([A-Z]{3,5})\)", ("(", ": ")),
        (r"\b[A-Z]{3,5}\b", None),
        (r"\w, \w", None),  # short and made of ordinary prose characters
    ],
)
def test_short_literals_count_when_they_are_rare(
    pattern: str, expected: tuple[str, ...] | None
) -> None:
    found = literal_filter(pattern, ignorecase=False)
    assert (found.literals if found else None) == expected


def test_a_folded_filter_reads_each_new_text() -> None:
    literals = literal_filter("(?i)guarantee", ignorecase=False)
    assert literals is not None
    assert literals.may_match("We GUARANTEE it")
    assert not literals.may_match("We promise it")
    assert literals.may_match("Guaranteed")


# -- conditional: ``second`` without captures settles the document --------------------------


def test_conditional_reports_nothing_once_second_was_found_even_in_a_later_unit() -> None:
    conditional = rule(
        {"extends": "conditional", "first": r"\bloan\b", "second": r"\bAPR\b", "scope": "text"}
    )
    alerts = lint(doc("A loan for you.", "Representative APR 9%.", "Another loan."), conditional)
    # The first loan comes before the APR (reported); the second after it (not reported).
    assert [(a.line, a.match) for a in alerts] == [(1, "loan")]


def test_conditional_with_captures_still_remembers_each_definition() -> None:
    conditional = rule(
        {
            "extends": "conditional",
            "first": r"\b([A-Z]{3})\b",
            "second": r"(?:\b[A-Z][a-z]+ )+\(([A-Z]{3})\)",
            "scope": "text",
        }
    )
    alerts = lint(doc("Use the API and the CLI.", "Command Line Interface (CLI)."), conditional)
    assert [a.match for a in alerts] == ["API", "CLI"]
    alerts = lint(doc("Command Line Interface (CLI).", "Use the API and the CLI."), conditional)
    assert [a.match for a in alerts] == ["API"]


# -- repetition: bulk comparison equals the token-by-token walk -----------------------------


def _reference_walk(compiled: Repetition, text: str) -> list[tuple[int, int, str]]:
    """The walk as it was written before (one step per token), without exceptions."""
    closing = ".,;:!?"
    found: list[tuple[int, int, str]] = []
    previous, previous_closed, previous_start, count = "", False, 0, 0
    for match in compiled.pattern.finditer(text):
        token = match.group().strip()
        current = token.rstrip(closing)
        if compiled.ignorecase:
            same = current != "" and current.casefold() == previous.casefold()
        else:
            same = current != "" and current == previous
        same = same and not previous_closed and (not compiled.alpha or current.isalpha())
        if same:
            count += 1
        if same and count > compiled.max:
            end = match.start() + len(match.group().rstrip().rstrip(closing))
            found.append((previous_start, end, current))
            count = 0
        previous_start = match.start() + len(match.group()) - len(match.group().lstrip())
        previous = current
        previous_closed = current != token
    return found


REPETITIONS = [
    rule({"extends": "repetition", "tokens": [r"[\w]+"], "ignorecase": True}),
    rule({"extends": "repetition", "tokens": [r"[^\s]+"], "alpha": True}),
    rule({"extends": "repetition", "tokens": [r"[^\s]+"], "max": 1}),
    rule({"extends": "repetition", "tokens": [r"\w+", r"[.!]"], "max": 2}),
]


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(0, len(REPETITIONS) - 1),
    words=st.lists(
        st.sampled_from(["the", "The", "THE", "the.", "plan", "plan,", "9", "9!", ".", " "]),
        max_size=14,
    ),
)
def test_repetition_walk_equals_the_token_by_token_walk(index: int, words: list[str]) -> None:
    compiled = REPETITIONS[index]
    assert isinstance(compiled, Repetition)
    text = " ".join(words)
    alerts = lint(doc(text), compiled) if text.strip() else []
    expected = _reference_walk(compiled, text)
    assert [(a.start, a.end) for a in alerts] == [(s, e) for s, e, _ in expected]


# -- occurrence: counting may stop early ------------------------------------------------------


@pytest.mark.parametrize("words", [0, 1, 2, 3, 4, 7])
def test_occurrence_minimum_and_maximum_at_every_count(words: int) -> None:
    text = " ".join(itertools.repeat("word", words)) or "…"
    at_least = rule({"extends": "occurrence", "token": r"\b\w+\b", "min": 3, "scope": "text"})
    at_most = rule({"extends": "occurrence", "token": r"\b\w+\b", "max": 3, "scope": "text"})
    both = rule({"extends": "occurrence", "token": r"\b\w+\b", "min": 2, "max": 3})
    found = {
        name: [(a.message, a.column) for a in lint(doc(text), compiled)]
        for name, compiled in (("min", at_least), ("max", at_most), ("both", both))
    }
    assert found["min"] == ([] if words >= 3 else [(f"'{words}'", 1)])
    assert found["max"] == ([] if words <= 3 else [(f"'{words}'", 1)])
    assert found["both"] == ([] if 2 <= words <= 3 else [(f"'{words}'", 1)])


# -- MarketingEU: the rewritten patterns equal the originals ---------------------------------

# FreeClaims' condition lookahead as it was before its word conditions shared one \b.
_FREE_CONDITIONS_BEFORE = (
    r"(?![^\n]{0,200}?(?:\bfor (?:the )?first\b|\bfor (?:\d+|one|two|three|four|five|six|nine"
    r"|twelve|eighteen|24) (?:days?|weeks?|months?|years?)\b"
    r"|\bthereafter\b|\bafter (?:that|which|this|the (?:first|trial|promotional|introductory))\b"
    r"|\b(?:when|if|once|provided(?: that)?|as long as|unless) you\b|\bprovided\b"
    r"|\bsubject to (?!(?:our )?(?:terms|T&Cs|Ts&Cs|conditions))|\bmin(?:imum|\.)"
    r"|\bmax(?:imum|\.)|\bup to\b"
    r"|\bfair[- ]use\b|\bexcluding\b|\bexcept\b|\b(?:only )?(?:for|to) (?:new|existing|eligible)"
    r" customers\b"
    r"|\bper (?:month|year|day)\b|\buntil\b|\bstandard (?:fee|price|rate|charge)"
    r"|[€£]\s?\d|\d\s?(?:€|EUR\b|GBP\b)|\b(?:EUR|GBP)\s?\d|[*†‡¹²³]))"
)
_FREE_CONDITIONS_AFTER = (
    r"(?![^\n]{0,200}?(?:\b(?:for (?:the )?first\b|for (?:\d+|one|two|three|four|five|six|nine"
    r"|twelve|eighteen|24) (?:days?|weeks?|months?|years?)\b"
    r"|thereafter\b|after (?:that|which|this|the (?:first|trial|promotional|introductory))\b"
    r"|(?:when|if|once|provided(?: that)?|as long as|unless) you\b|provided\b"
    r"|subject to (?!(?:our )?(?:terms|T&Cs|Ts&Cs|conditions))|min(?:imum|\.)|max(?:imum|\.)"
    r"|up to\b"
    r"|fair[- ]use\b|excluding\b|except\b|(?:only )?(?:for|to) (?:new|existing|eligible)"
    r" customers\b"
    r"|per (?:month|year|day)\b|until\b|standard (?:fee|price|rate|charge)|(?:EUR|GBP)\s?\d)"
    r"|[€£]\s?\d|\d\s?(?:€|EUR\b|GBP\b)|[*†‡¹²³]))"
)
_CREDIT_WORDS_BEFORE = (
    r"|\b(?:borrow|loans? (?:of|up to|from)|credit (?:limit|line) of|overdraft of|finance of)\s"
    r"(?:up to\s|from\s|between\s)?(?:[€£]\s?|EUR\s?|GBP\s?)\d+(?:[.,]\d+)*"
    r"|\binterest[- ]free (?:credit|finance|loans?|overdrafts?|instalments?|period)\b"
    r"|\bbuy now,? pay later\b|\bpay (?:in|by|over) (?:\d+|three|four|six|twelve) "
    r"(?:interest[- ]free )?(?:monthly )?instalments\b"
    r"|\b(?:low|lower|great|cheap|competitive|affordable)[- ](?:rate |interest |cost )?"
    r"(?:loans?|mortgages?|credit|borrowing)\b)"
)
_CREDIT_WORDS_AFTER = (
    r"|\b(?:(?:borrow|loans? (?:of|up to|from)|credit (?:limit|line) of|overdraft of"
    r"|finance of)\s(?:up to\s|from\s|between\s)?(?:[€£]\s?|EUR\s?|GBP\s?)\d+(?:[.,]\d+)*"
    r"|interest[- ]free (?:credit|finance|loans?|overdrafts?|instalments?|period)\b"
    r"|buy now,? pay later\b|pay (?:in|by|over) (?:\d+|three|four|six|twelve) "
    r"(?:interest[- ]free )?(?:monthly )?instalments\b"
    r"|(?:low|lower|great|cheap|competitive|affordable)[- ](?:rate |interest |cost )?"
    r"(?:loans?|mortgages?|credit|borrowing)\b))"
)


def _pattern(name: str, key: str) -> str:
    compiled = parse_rule(
        f"MarketingEU.{name}",
        (MARKETING / f"{name}.yml").read_text(encoding="utf-8"),
        source=f"{name}.yml",
    )
    pattern: regex.Pattern[str] = getattr(compiled, key)
    return pattern.pattern


def _original(name: str, key: str) -> str:
    """The pattern as it was written before it was rewritten for speed."""
    now = _pattern(name, key)
    edits = {
        "NumberOne": [("(?=[Nn#])", "")],
        "Guarantees": [(r"\b(?=[rzngwpaycste1d])", "")],
        "FreeClaims": [(_FREE_CONDITIONS_AFTER, _FREE_CONDITIONS_BEFORE)],
        "CreditAPR": [
            (r"(?=\d)(?<![\d.,])", r"(?<![\d.,])(?=\d)"),
            (_CREDIT_WORDS_AFTER, _CREDIT_WORDS_BEFORE),
        ],
    }
    edits["CreditRepresentativeExample"] = edits["CreditAPR"]
    for new, old in edits[name]:
        assert now.count(new) == 1, (name, new)
        now = now.replace(new, old)
    return now


REWRITTEN = [
    ("NumberOne", "pattern"),
    ("Guarantees", "pattern"),
    ("FreeClaims", "pattern"),
    ("CreditAPR", "first"),
    ("CreditRepresentativeExample", "first"),
]
# Words and marks the rewritten patterns (and their lookarounds) turn on.
_VOCABULARY = [
    "No. 1",
    "#1",
    "NO 1",
    "number one",
    "clause No. 1",
    "risk-free",
    "no risk",
    "not risk-free",
    "guaranteed returns",
    "returns are guaranteed",
    "can't lose",
    "won't lose your money",
    "up to",
    "FSCS",
    "100% safe",
    "sure bet",
    "free",
    "fee-free",
    "for free",
    "free gift",
    "free trial",
    "3 months free",
    "for the first",
    "when you",
    "minimum",
    "€5",
    "5 EUR",
    "GBP 5",
    "thereafter",
    "per month",
    "loan",
    "borrow £5,000",
    "5% APR",
    "4.9% loan",
    "credit card",
    "0% finance",
    "interest-free credit",
    "buy now, pay later",
    "pay in 3 instalments",
    "low-rate loans",
    "x5%",
    "1.5%",
    ",2%",
]


@pytest.mark.parametrize(("name", "key"), REWRITTEN)
def test_rewritten_patterns_match_what_the_originals_matched_in_the_samples(
    name: str, key: str
) -> None:
    now = regex.compile(_pattern(name, key))
    before = regex.compile(_original(name, key))
    assert now.pattern != before.pattern
    for paragraph in PARAGRAPHS:
        spans = [m.span() for m in now.finditer(paragraph)]
        assert spans == [m.span() for m in before.finditer(paragraph)], (name, paragraph)


@settings(max_examples=400, deadline=None)
@given(
    choice=st.sampled_from(REWRITTEN),
    pieces=st.lists(
        st.one_of(
            st.sampled_from(_VOCABULARY),
            st.text(alphabet="aeinorst NnRrFf#%.,€£0123456789-'\n", max_size=6),
        ),
        max_size=10,
    ),
)
def test_rewritten_patterns_match_what_the_originals_matched_in_random_texts(
    choice: tuple[str, str], pieces: list[str]
) -> None:
    name, key = choice
    text = " ".join(pieces)
    now = regex.compile(_pattern(name, key))
    before = regex.compile(_original(name, key))
    assert [m.span() for m in now.finditer(text)] == [m.span() for m in before.finditer(text)]
