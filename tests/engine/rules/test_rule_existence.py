"""existence: tokens, raw, append, ignorecase, nonword, exceptions, vocab, messages, scopes."""

from __future__ import annotations

from tests.engine.rules.helpers import doc, lint, matches, rule

from compliance_assistant.engine.document import BlockKind
from compliance_assistant.engine.rules import Action


def test_tokens_match_whole_words_only() -> None:
    document = doc("Guaranteed returns, guaranteedly not.")
    assert matches(document, {"extends": "existence", "tokens": ["Guaranteed"]}) == ["Guaranteed"]


def test_ignorecase() -> None:
    document = doc("Free money and FREE gifts.")
    definition = {"extends": "existence", "tokens": ["free"]}
    assert matches(document, definition) == []
    assert matches(document, {**definition, "ignorecase": True}) == ["Free", "FREE"]


def test_nonword_matches_inside_words() -> None:
    document = doc("Refreshingly free.")
    definition = {"extends": "existence", "tokens": ["fresh"], "nonword": True}
    assert matches(document, definition) == ["fresh"]
    assert matches(document, {**definition, "nonword": False}) == []


def test_raw_is_placed_before_the_template_and_append_after() -> None:
    document = doc("Call 0800 123 now. Call now.")
    # raw alone: a non-word pattern.
    assert matches(document, {"extends": "existence", "raw": [r"\d{4} \d{3}"]}) == ["0800 123"]
    # append: tokens first (with word boundaries), then raw.
    appended = {"extends": "existence", "tokens": ["Call"], "raw": [r" \d+"], "append": True}
    assert matches(document, appended) == ["Call 0800"]


def test_exceptions_are_case_sensitive_terms() -> None:
    document = doc("Use Apple Pay or apple juice.")
    definition = {
        "extends": "existence",
        "tokens": ["apple"],
        "ignorecase": True,
        "exceptions": ["Apple"],
    }
    assert matches(document, definition) == ["apple"]


def test_vocab_terms_are_exceptions_unless_vocab_is_false() -> None:
    document = doc("Our Flexi plan.")
    definition = {"extends": "existence", "tokens": ["Flexi"]}
    assert matches(document, definition, accepted=("Flexi",)) == []
    assert matches(document, {**definition, "vocab": False}, accepted=("Flexi",)) == ["Flexi"]


def test_vocab_does_not_excuse_nonword_rules() -> None:
    document = doc('A word in "plugh", here.')
    definition = {"extends": "existence", "nonword": True, "tokens": ['"[^"]+"[.,]']}
    assert matches(document, definition, accepted=("plugh",)) == ['"plugh",']


def test_words_of_an_accepted_phrase_are_exempt_only_inside_it() -> None:
    document = doc("The flooberg place is a nice place.")
    definition = {"extends": "existence", "tokens": ["place"]}
    alerts = lint(document, rule(definition), accepted=("flooberg place",))
    assert [(a.match, a.column) for a in alerts] == [("place", 30)]


def test_message_fills_the_match_and_the_action_fix() -> None:
    document = doc("This is very good.")
    plain = rule(
        {
            "extends": "existence",
            "tokens": ["very"],
            "message": "Remove '%s'.",
            "description": "'%s' adds nothing",
        }
    )
    alert = lint(document, plain)[0]
    assert (alert.message, alert.description) == ("Remove 'very'.", "'very' adds nothing")
    with_action = rule(
        {
            "extends": "existence",
            "tokens": ["very good"],
            "message": "Use '%[2]s' instead of '%[1]s'.",
            "action": {"name": "edit", "params": ["truncate", " "]},
        }
    )
    alert = lint(document, with_action)[0]
    assert alert.message == "Use 'very' instead of 'very good'."
    assert alert.action == Action("edit", ("truncate", " "))


def test_level_link_and_offsets() -> None:
    document = doc("First block.", "Risk-free returns.")
    definition = {
        "extends": "existence",
        "tokens": ["Risk-free"],
        "level": "error",
        "link": "https://example.com/rules",
    }
    alert = lint(document, rule(definition))[0]
    assert alert.level == "error"
    assert alert.link == "https://example.com/rules"
    assert document.text[alert.start : alert.end] == "Risk-free"
    assert (alert.line, alert.column, alert.end_column) == (2, 1, 9)


def test_scopes_select_blocks() -> None:
    document = doc(
        ("TODO heading", BlockKind.HEADING, 2),
        "TODO in prose. Another TODO.",
        ("TODO item", BlockKind.LIST_ITEM),
    )
    base = {"extends": "existence", "tokens": ["TODO"]}
    lines = {
        scope: [a.line for a in lint(document, rule({**base, "scope": scope}))]
        for scope in ("text", "heading", "heading.h1", "paragraph", "sentence", "list", "~heading")
    }
    assert lines["text"] == [1, 2, 2, 3]
    assert lines["heading"] == [1]
    assert lines["heading.h1"] == []
    assert lines["paragraph"] == [2, 2]
    assert lines["sentence"] == [2, 2]
    assert lines["list"] == [3]
    assert lines["~heading"] == [2, 2, 3]


def test_sentence_scope_sees_one_sentence_at_a_time() -> None:
    document = doc("It is great. Really great.")
    definition = {"extends": "existence", "raw": ["^.*$"], "scope": "sentence"}
    assert matches(document, definition) == ["It is great.", "Really great."]


def test_limit_caps_alerts_per_rule() -> None:
    document = doc("very very very good", "very")
    definition = {"extends": "existence", "tokens": ["very"], "limit": 2}
    assert len(lint(document, rule(definition))) == 2
