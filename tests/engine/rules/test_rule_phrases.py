"""The phrase index gives exactly the matches of the rule's regular expression."""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance_assistant.engine.rules.literal import expand, required_words
from compliance_assistant.engine.rules.patterns import build_pattern
from compliance_assistant.engine.rules.phrases import PhraseFilter, WordSets

TOKENS = [
    "in order to",
    "in order",
    "at this point in time",
    "(?:added|extra) bonus",
    "thought leaders?",
    "cell-phone",
    "e\\.g\\.",
    "it's",
]
WORDS = [
    "in",
    "order",
    "to",
    "at",
    "this",
    "point",
    "time",
    "added",
    "extra",
    "bonus",
    "thought",
    "leader",
    "leaders",
    "cell",
    "phone",
    "e",
    "g",
    "it",
    "s",
    "IN",
    "Order",
]
SEPARATORS = [" ", "  ", "-", ".", ", ", "'", "\n"]


def test_expand() -> None:
    assert expand("(?:added|extra) bonus") == ["added bonus", "extra bonus"]
    assert expand("thought leaders?") == ["thought leaders", "thought leader"]
    assert expand("a|b c") == ["a", "b c"]
    assert expand(r"e\.g\.") == ["e.g."]
    assert expand(r"\d+ days") is None
    assert expand("[a-z]+") is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=25),
    st.booleans(),
)
def test_phrase_matches_equal_regex_matches(parts: list[tuple[str, str]], ignorecase: bool) -> None:
    text = "".join(w + s for w, s in parts)
    phrases = PhraseFilter.build(TOKENS, ignorecase=ignorecase)
    assert phrases is not None
    pattern = regex.compile(build_pattern(tokens=TOKENS, ignorecase=ignorecase))
    expected = [(m.start(), m.end()) for m in pattern.finditer(text)]
    found = WordSets().spans(phrases, pattern, text)
    assert [(s, e) for s, e, _ in found] == expected


def test_non_ascii_case_folding_falls_back_to_the_regex() -> None:
    phrases = PhraseFilter.build(["strasse"], ignorecase=True)
    assert phrases is not None
    assert phrases.find("Stra\u017fse", frozenset({"strasse"})) is None


def test_required_words_of_pattern_tokens() -> None:
    assert required_words(r"\d{1,2} ?a\.?m\.? in the morning") == [
        frozenset({"in", "the", "morning"})
    ]
    assert required_words(r"in\s+the\s+end") == [frozenset({"in", "the", "end"})]
    assert required_words("(?i)foo bar|baz") == [frozenset({"foo", "bar"}), frozenset({"baz"})]
    assert required_words("colou?r scheme") == [frozenset({"scheme"})]
    assert required_words(r"foo\s*bar") is None  # "foobar" would match
    assert required_words("happy[ -]*hours?") is None
    assert required_words(r"\b(am|is)\b\s*[\w]+ed") is None


PATTERN_TOKENS = [
    r"\d{1,2} ?p\.?m\.? in the evening",
    "in order to",
    r"at\s+this\s+time",
    "(?:added|extra) bonus",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*WORDS, "evening", "3", "12", "pm", "p.m.", "the", "bonus"]),
            st.sampled_from(SEPARATORS),
        ),
        max_size=25,
    )
)
def test_pattern_tokens_are_filtered_without_losing_matches(parts: list[tuple[str, str]]) -> None:
    text = "".join(w + s for w, s in parts)
    phrases = PhraseFilter.build(PATTERN_TOKENS, ignorecase=True)
    assert phrases is not None
    assert not phrases.direct
    pattern = regex.compile(build_pattern(tokens=PATTERN_TOKENS, ignorecase=True))
    expected = [(m.start(), m.end()) for m in pattern.finditer(text)]
    assert [(s, e) for s, e, _ in WordSets().spans(phrases, pattern, text)] == expected
