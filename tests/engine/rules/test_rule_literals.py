"""The literal pre-filter may only skip texts the pattern cannot match."""

from pathlib import Path

import pytest
import regex
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance_assistant.engine.rules.existence import Existence
from compliance_assistant.engine.rules.literals import literal_filter
from compliance_assistant.engine.rules.loader import parse_rule

REPO = Path(__file__).resolve().parents[3]
STYLE_DIRS = [REPO / "guidelines" / "marketing-eu" / "styles" / "MarketingEU"]
TESTDATA_STYLES = REPO.parent / "shared" / "vale-testdata" / "styles"
SAMPLES = sorted((REPO / "samples" / "articles").glob("*.md"))


def filtered_rules() -> list[Existence]:
    rules = []
    files = [f for d in STYLE_DIRS for f in sorted(d.glob("*.yml"))]
    if TESTDATA_STYLES.is_dir():
        files += sorted(TESTDATA_STYLES.glob("*/*.yml"))
    for file in files:
        text = file.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:  # some test-data styles are invalid on purpose
            continue
        if not isinstance(data, dict) or data.get("extends") != "existence":
            continue
        try:
            rule = parse_rule(f"{file.parent.name}.{file.stem}", text, source=str(file))
        except Exception:
            continue
        if isinstance(rule, Existence) and rule.literals is not None:
            rules.append(rule)
    return rules


RULES = filtered_rules()


def test_the_default_style_gets_filters() -> None:
    names = {r.name for r in RULES}
    assert {"MarketingEU.FreeClaims", "MarketingEU.Guarantees"} <= names


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_no_skipped_paragraph_of_the_samples_could_match(rule: Existence) -> None:
    assert rule.literals is not None
    for sample in SAMPLES:
        for paragraph in sample.read_text(encoding="utf-8").split("\n"):
            if not rule.literals.may_match(paragraph):
                assert rule.pattern.search(paragraph) is None, (rule.name, paragraph)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_texts_around_the_literals(data: st.DataObject) -> None:
    rule = data.draw(st.sampled_from(RULES))
    assert rule.literals is not None
    pieces = st.one_of(
        st.sampled_from([*rule.literals.literals, *(s.upper() for s in rule.literals.literals)]),
        st.text(alphabet="abcdefrgilsntuo €£%0123456789-'’.,ſKß\u212a", max_size=8),
    )
    text = "".join(data.draw(st.lists(pieces, max_size=8)))
    if not rule.literals.may_match(text):
        assert rule.pattern.search(text) is None, (rule.name, text)


@pytest.mark.parametrize(
    ("pattern", "ignorecase", "expected"),
    [
        (r"\bfree(?:dom)? offers?\b", False, (" offer",)),
        (r"\bfree(?m) trial", False, ("free trial",)),
        (r"(?i)guarantee|risk-free", False, ("guarantee", "risk-free")),
        (r"colou?r scheme", True, ("r scheme",)),
        (r"(?:best)?\s+rates", False, ("rates",)),
        (r"a|bc", False, None),  # too short to be worth a check
        (r"(?:free)*x+y", False, None),  # nothing required
        (r"[[:alpha:]]+ offer", False, None),  # regex-only syntax: no filter
        (r"\p{L}+ offer", False, None),
        (r"(?<=free )offer", False, ("offer",)),  # lookbehind text is not required in the match
    ],
)
def test_requirements(pattern: str, ignorecase: bool, expected: tuple[str, ...] | None) -> None:
    found = literal_filter(pattern, ignorecase=ignorecase)
    assert (found.literals if found else None) == expected
    if found is not None:
        compiled = regex.compile(pattern, regex.IGNORECASE if ignorecase else 0)
        assert compiled.search("nothing here") is None
