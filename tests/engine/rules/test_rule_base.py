"""Message formatting and action fixes, Go/Vale style."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.rules import Action
from compliance_assistant.engine.rules.base import (
    as_level,
    fix_text,
    format_message,
    suggestions_for,
    to_sentence,
)


def test_format_message_follows_go_sprintf() -> None:
    assert format_message("Use '%s' instead of '%s'.", "a", "b") == "Use 'a' instead of 'b'."
    assert format_message("Only %s", "a", "surplus") == "Only a"
    assert format_message("%s and %s", "a") == "a and %!s(MISSING)"
    assert format_message("%[2]s then %[1]s", "a", "b") == "b then a"
    assert format_message("100%% %q", 'say "hi"') == '100% "say \\"hi\\""'
    assert format_message("line\nbreak %s", "x\ny") == "line break x y"
    assert format_message("keeps  two spaces") == "keeps  two spaces"


def test_to_sentence() -> None:
    assert to_sentence(["a"]) == "'a'"
    assert to_sentence(["a", "b"]) == "'a' or 'b'"
    assert to_sentence(["a", "b", "c"]) == "'a', 'b', or 'c'"


@pytest.mark.parametrize(
    ("action", "matched", "expected"),
    [
        (Action("replace", ("x", "y")), "m", ["x", "y"]),
        (Action("remove"), "m", [""]),
        (Action("convert", ("simple",)), "Mixed", ["mixed"]),
        (Action("edit", ("truncate", " ")), "very good", ["very"]),
        (Action("edit", ("trim", "!")), "!wow!", ["wow"]),
        (Action("edit", ("trim_left", "-")), "--a-", ["a-"]),
        (Action("edit", ("trim_right", "-")), "-a--", ["-a"]),
        (Action("edit", ("split", "/", "1")), "a/b/c", ["b"]),
        (Action("edit", ("split", "/", "9")), "a/b", []),
        (Action("edit", ("regex", r"(\w+) (\w+)", "$2 $1")), "good very", ["very good"]),
        (Action("suggest", ("spellings",)), "teh", []),
    ],
)
def test_suggestions_for_actions(action: Action, matched: str, expected: list[str]) -> None:
    assert suggestions_for(action, matched) == expected


def test_fix_text_joins_several_suggestions() -> None:
    assert fix_text(Action("replace", ("a", "b")), "m") == "'a' or 'b'"
    assert fix_text(Action("suggest", ("spellings",)), "teh") == "teh"


def test_as_level() -> None:
    assert as_level("warning") == "warning"
    with pytest.raises(ValueError, match="not one of"):
        as_level("fatal")
