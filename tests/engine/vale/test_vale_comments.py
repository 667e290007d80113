"""Parsing of in-text comment controls."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.document import Comment
from compliance_assistant.engine.vale.comments import Control, Controls, parse_control


def control(text: str, offset: int = 0) -> Control | None:
    return parse_control(Comment(offset=offset, text=text))


@pytest.mark.parametrize(
    ("text", "target", "enabled", "matches", "styles"),
    [
        ("vale off", None, False, (), None),
        ("vale on", None, True, (), None),
        ("vale Style.Rule = NO", "Style.Rule", False, (), None),
        ("vale Style = YES", "Style", True, (), None),
        ("vale vale = off", "vale", False, (), None),
        ('vale Style.Rule["a b", "c"] = NO', "Style.Rule", False, ("a b", "c"), None),
        ("vale styles = A, B", None, True, (), ("A", "B")),
    ],
)
def test_parse_control(
    text: str,
    target: str | None,
    enabled: bool,
    matches: tuple[str, ...],
    styles: tuple[str, ...] | None,
) -> None:
    parsed = control(text)
    assert parsed is not None
    assert (parsed.target, parsed.enabled, parsed.matches, parsed.styles) == (
        target,
        enabled,
        matches,
        styles,
    )


def test_ordinary_comments_are_not_controls() -> None:
    assert control("a note for translators") is None
    assert control("vale Style.Rule = maybe") is None


def test_controls_apply_from_their_offset_and_the_latest_wins() -> None:
    controls = Controls(
        [
            Comment(offset=10, text="vale S.R = NO"),
            Comment(offset=20, text="vale S = YES"),
            Comment(offset=30, text="vale off"),
        ]
    )
    assert not controls.silenced("S.R", "x", 5)
    assert controls.silenced("S.R", "x", 15)
    assert not controls.silenced("S.R", "x", 25)
    assert controls.silenced("Other.R", "x", 35)
    assert controls.silenced_at_end()
