"""Patterns users write outside a rule's main pattern — a substitution's replacement written as
a pattern, a capitalization rule's vocabulary term or prefix — get the same guards as the
rule patterns: the static catastrophic-backtracking check and the match timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from compliance_assistant.engine.guidelines import parse_guideline_set
from compliance_assistant.engine.plan import build_plan
from compliance_assistant.engine.rules import casing, patterns, substitution
from compliance_assistant.engine.rules.backtracking import find_catastrophic_construct
from compliance_assistant.engine.rules.patterns import GuardedPattern, PatternTimeoutError
from compliance_assistant.engine.run import run_plan
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.ingest import ingest_text

CATASTROPHIC = r"(a+)+$"
# Polynomial (four stacked repetitions): admitted by the static check, cut off by the timeout.
SLOW = r"\w*\w*\w*\w*\d"
# A run of word characters with no digit: the regex module needs about quadratic time to
# refuse a full match of SLOW on it (seconds at this length), so the 0.2 s timeout cuts in.
LONG_WORD = "a" * 20_000


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(patterns, "MATCH_TIMEOUT_SECONDS", 0.2)
    caches = (patterns._compile, substitution._token_pattern, casing._safe)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def test_slow_pattern_is_admitted_statically() -> None:
    assert find_catastrophic_construct(SLOW) is None
    assert find_catastrophic_construct(CATASTROPHIC) is not None


@pytest.mark.usefixtures("short_timeout")
def test_substitution_replacement_patterns_are_guarded() -> None:
    # Refused statically: the replacement is then compared literally only.
    assert substitution._token_pattern(CATASTROPHIC) is None
    assert not substitution._same(CATASTROPHIC, "aaaa")
    assert substitution._token_pattern("[unclosed") is None
    # Admitted but slow: matching runs under the timeout.
    guarded = substitution._token_pattern(SLOW)
    assert isinstance(guarded, GuardedPattern)
    with pytest.raises(PatternTimeoutError, match=r"pattern timed out after 0\.2 s"):
        substitution._same(SLOW, LONG_WORD)
    # An ordinary replacement pattern still matches as before.
    assert substitution._same("[Ee]-mail", "E-mail")
    assert not substitution._same("[Ee]-mail", "email")


@pytest.mark.usefixtures("short_timeout")
def test_capitalization_vocabulary_and_prefix_patterns_are_guarded() -> None:
    assert casing._safe(CATASTROPHIC) is None
    assert casing._safe("(unbalanced") is None
    assert isinstance(casing._safe(SLOW), GuardedPattern)
    with pytest.raises(PatternTimeoutError):
        casing._in_vocab([SLOW], LONG_WORD, fold=True)
    # A refused term is still honoured as a literal spelling.
    assert casing.to_title("the iPhone launch", vocab=["iPhone", CATASTROPHIC]) == (
        "The iPhone Launch"
    )
    # A prefix pattern is honoured; a refused one is not applied.
    assert casing._split_prefix("a. the plan", r"[a-z]\.") == ("a.", " the plan")
    assert casing._split_prefix("aaa the plan", CATASTROPHIC) == ("", "aaa the plan")


SUBSTITUTION_SET = (
    "id: swap\nversion: 1\ntitle: Swap\nguidelines:\n"
    "  - id: slow-swap\n    title: Slow swap\n    kind: rule\n    rules:\n"
    "      - name: Swap\n        extends: substitution\n        message: \"Use '%s'.\"\n"
    "        level: error\n        nonword: true\n"
    "        swap:\n          'a{100,}': '" + SLOW + "'\n"
    "  - id: fast\n    title: Fast\n    kind: rule\n    rules:\n"
    "      - name: Guarantee\n        extends: existence\n        message: \"'%s'\"\n"
    "        level: error\n        tokens: [guaranteed]\n"
)


@pytest.mark.usefixtures("short_timeout")
def test_a_slow_replacement_pattern_errs_the_guideline_and_the_check_goes_on() -> None:
    plan = build_plan(parse_guideline_set(SUBSTITUTION_SET, source="swap.yaml"), {})
    text = LONG_WORD + " This is guaranteed."
    started = time.perf_counter()
    result = run_plan(ingest_text(text), plan, job_id="job")
    elapsed = time.perf_counter() - started
    by_id = {g.guideline_id: g for g in result.guidelines}
    assert by_id["slow-swap"].status is GuidelineStatus.ERROR
    assert by_id["slow-swap"].reason is not None
    assert "pattern timed out after 0.2 s" in by_id["slow-swap"].reason
    assert by_id["fast"].status is GuidelineStatus.FAIL
    assert elapsed < 5
