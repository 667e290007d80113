"""Scope selectors and sentence splitting."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.vale.scopes import Scope, scope_problem
from compliance_assistant.engine.vale.sentences import split_sentences

HEADING = frozenset({"text", "heading", "h2", "md"})
PARAGRAPH = frozenset({"paragraph", "md"})
LIST = frozenset({"text", "list", "md"})
RAW = frozenset({"raw", "md"})


@pytest.mark.parametrize(
    ("scope", "sections", "expected"),
    [
        (["text"], HEADING, True),
        (["text"], PARAGRAPH, False),
        (["heading"], HEADING, True),
        (["heading.h2"], HEADING, True),
        (["heading.h3"], HEADING, False),
        (["heading.h1", "heading.h2"], HEADING, True),
        (["~heading"], LIST, True),
        (["~heading"], HEADING, False),
        (["~heading"], RAW, False),
        (["~blockquote & ~heading"], LIST, True),
        (["list & text"], LIST, True),
        (["text.md"], LIST, True),
        (["text.html"], LIST, False),
        (["raw"], RAW, True),
    ],
)
def test_scope_matching(scope: list[str], sections: frozenset[str], expected: bool) -> None:
    assert Scope.parse(scope).matches(sections) is expected


def test_scope_problems() -> None:
    assert scope_problem("heading.h2") is None
    assert scope_problem("python") is None  # other formats' scopes load but never match here
    assert "use 'raw'" in (scope_problem("link") or "")
    assert scope_problem("text & ") == "empty scope in 'text & '"


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("Dr. Smith e.g. arrived. Then left.", ["Dr. Smith e.g. arrived.", "Then left."]),
        ("It costs 2 A max.\nThe next one.", ["It costs 2 A max.", "The next one."]),
        ('He said "stop." Then went.', ['He said "stop."', "Then went."]),
        ("Wait... what? Yes.", ["Wait... what?", "Yes."]),
        ("Use the U.S. dollar. Ok.", ["Use the U.S. dollar.", "Ok."]),
        ("J. R. Tolkien wrote it.", ["J. R. Tolkien wrote it."]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == sentences
