"""Regex safety for user-authored rules: catastrophic patterns are refused when a set is
loaded (naming file:line), and anything slower that slips through is cut off by a timeout
that turns the guideline into an error while the rest of the check runs."""

from __future__ import annotations

import time

import pytest

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.guidelines import parse_guideline_set
from compliance_assistant.engine.plan import build_plan
from compliance_assistant.engine.result import GuidelineStatus
from compliance_assistant.engine.rules import backtracking, patterns
from compliance_assistant.engine.rules.backtracking import find_catastrophic_construct
from compliance_assistant.engine.rules.patterns import (
    GuardedPattern,
    PatternTimeoutError,
    compile_pattern,
    needs_timeout,
)
from compliance_assistant.engine.run import run_plan
from compliance_assistant.ingest import ingest_text

CATASTROPHIC = [
    r"(a+)+$",
    r"(\w+\s?)*$",
    r"(.*a){20}",
    r"(a|aa)+$",
    r"(a|a)+$",
    r"(\d+(\.\d+)?)+x",
    r"(?:\s*\w+)+!",
    r"((ab)+)+c",
    r"(\w|\d)+!",
    r"(?i)(A|a)+!",
    r"(?:[A-Z]\w*\s?)+!",
    r"(.*?,){11}P",
    r"x(?=(a+)+b)",
    r"(?:\w+\s?){3,}!",
]
SAFE = [
    r"(\w+\s)+",
    r"(?:[A-Z][a-z]+)+",
    r"\w+(?:-\w+)*",
    r"(?:\d+,)*\d+",
    r"(ab|a)+",
    r"(ab|ba)+",
    r"(foo|bar)+",
    r"(\w\s?)+",
    r"(\b\w+\b\s*)+",
    r"(?>a+)+",
    r"(a++)+",
    r"(?:\w+\s+){0,3}",
    r"(?:\w+\s?){1,2}",
    r"\b(?:guaranteed|risk-free|100% safe)\b",
    r"(a?)+",
    r"(?:[\w-]+\.)+[a-z]{2,}",
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_constructs_are_found(pattern: str) -> None:
    problem = find_catastrophic_construct(pattern)
    assert problem is not None
    assert "catastrophic backtracking" in problem


@pytest.mark.parametrize("pattern", SAFE)
def test_unambiguous_patterns_pass(pattern: str) -> None:
    assert find_catastrophic_construct(pattern) is None


def test_the_named_catastrophic_patterns_really_are_slow() -> None:
    """The check is about real behaviour: each refused example blows the timeout."""
    import regex

    for pattern, text in [(r"(a|a)+$", "a" * 40 + "!"), (r"(.*?,){11}P", "1," * 40)]:
        started = time.perf_counter()
        with pytest.raises(TimeoutError):
            regex.compile(pattern).search(text, timeout=0.2)
        assert time.perf_counter() - started < 2


def test_compile_pattern_reports_the_unsafe_construct_at_file_and_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_pattern(r"(\w+\s?)*$", source="rules/Bad.yml", line=7, key="tokens")
    error = caught.value
    assert (error.source, error.line, error.key) == ("rules/Bad.yml", 7, "tokens")
    assert str(error).startswith("rules/Bad.yml:7: tokens: unsafe regular expression")
    assert "'(\\\\w+\\\\s?)*'" in str(error)


def inline_set(raw: str, *, extra: str = "") -> str:
    return (
        "id: unsafe\nversion: 1\ntitle: Unsafe\nguidelines:\n"
        "  - id: slow\n    title: Slow\n    kind: rule\n    rules:\n"
        "      - name: Slow\n        extends: existence\n        message: \"'%s'\"\n"
        "        level: error\n        nonword: true\n"
        f"        raw: ['{raw}']\n" + extra
    )


FAST_GUIDELINE = (
    "  - id: fast\n    title: Fast\n    kind: rule\n    rules:\n"
    "      - name: Guarantee\n        extends: existence\n        message: \"'%s'\"\n"
    "        level: error\n        tokens: [guaranteed]\n"
)


def test_guideline_set_with_a_catastrophic_rule_fails_to_load_with_its_line() -> None:
    guideline_set = parse_guideline_set(inline_set(r"(a|aa)+$"), source="guideline-set.yaml")
    with pytest.raises(DefinitionError, match=r"^guideline-set\.yaml:9: .*unsafe regular"):
        build_plan(guideline_set, {})


def test_a_slow_pattern_that_slips_through_times_out_and_the_check_continues(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Polynomial, not exponential: five stacked repetitions are not refused statically.
    slow = r"\w*\w*\w*\w*\w*\d\d"
    assert find_catastrophic_construct(slow) is None
    assert needs_timeout(slow)
    monkeypatch.setattr(patterns, "MATCH_TIMEOUT_SECONDS", 0.2)
    patterns._compile.cache_clear()
    try:
        text = ("a" * 2000 + "1!1 ") + " This is guaranteed."
        yaml_text = inline_set(slow, extra=FAST_GUIDELINE)
        plan = build_plan(parse_guideline_set(yaml_text, source="slow.yaml"), {})
        started = time.perf_counter()
        result = run_plan(ingest_text(text), plan, job_id="job")
        elapsed = time.perf_counter() - started
    finally:
        patterns._compile.cache_clear()
    by_id = {g.guideline_id: g for g in result.guidelines}
    assert by_id["slow"].status is GuidelineStatus.ERROR
    assert by_id["slow"].reason is not None
    assert "pattern timed out after 0.2 s" in by_id["slow"].reason
    # The other guideline ran and found its term.
    assert by_id["fast"].status is GuidelineStatus.FAIL
    assert elapsed < 5


def test_guarded_pattern_behaves_like_the_compiled_one() -> None:
    import regex

    compiled = regex.compile(r"(\w+)-(\w+)")
    guarded = GuardedPattern(compiled, 1.0)
    text = "one-two three-four"
    assert [m.span() for m in guarded.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert [m.span() for m in guarded.finditer(text, 4)] == [(8, 18)]
    found = guarded.search(text)
    assert found is not None
    assert found.group(2) == "two"
    assert guarded.fullmatch("a-b") is not None
    assert guarded.match("x y") is None
    assert guarded.sub(r"\2-\1", text) == "two-one four-three"
    assert guarded.findall(text) == [("one", "two"), ("three", "four")]
    assert (guarded.pattern, guarded.groups) == (compiled.pattern, 2)


def test_timeouts_raise_pattern_timeout_errors() -> None:
    import regex

    guarded = GuardedPattern(regex.compile(r"(a|a)+$"), 0.05)
    text = "a" * 40 + "!"
    for attempt in (
        lambda: guarded.search(text),
        lambda: list(guarded.finditer(text)),
        lambda: guarded.sub("", text),
    ):
        with pytest.raises(PatternTimeoutError, match=r"pattern timed out after 0\.05 s"):
            attempt()


def test_only_superlinear_patterns_pay_for_the_timeout() -> None:
    assert not needs_timeout(r"(?i)\b(?:very|really|extremely)\b")
    assert not needs_timeout(r"\b(\w+)\b")
    assert not needs_timeout(r"[*+]{2,5}")
    assert needs_timeout(r"\w+\s+\w+")
    assert needs_timeout(r"(?:ab)+")
    assert needs_timeout(r"(\w)\1")
    assert needs_timeout(r"a{1,50}")
    assert isinstance(compile_pattern(r"\w+\s+\w+x"), GuardedPattern)


def test_analysis_leaves_unmodelled_syntax_to_the_timeout() -> None:
    assert find_catastrophic_construct(r"(?x) (a+)+ # verbose") is None
    assert find_catastrophic_construct(r"(a)(?(1)b|c)+") is None
    assert backtracking.MAX_SAFE_ITERATIONS == 2
