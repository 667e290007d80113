"""capitalization: $title (AP, Chicago), $sentence, $lower, $upper, patterns and options."""

from __future__ import annotations

from tests.engine.rules.helpers import doc, lint, rule

from compliance_assistant.engine.document import BlockKind
from compliance_assistant.engine.rules import Action
from compliance_assistant.engine.rules.casing import go_title, to_sentence_case, to_title


def heading(text: str) -> object:
    return doc((text, BlockKind.HEADING, 2))


def cap(**definition: object) -> object:
    return rule(
        {
            "extends": "capitalization",
            "scope": "heading",
            "message": "'%s' should be '%s'",
            **definition,
        }
    )


def test_title_case_ap_and_chicago() -> None:
    assert to_title("a guide to the best of savings") == "A Guide to the Best of Savings"
    assert to_title("save more with our plan", style="Chicago") == "Save More with Our Plan"
    assert to_title("save more with our plan") == "Save More With Our Plan"
    assert lint(heading("A Guide to the Best Savings"), cap(match="$title")) == []
    alert = lint(heading("a guide to the best savings"), cap(match="$title"))[0]
    assert alert.message == (
        "'a guide to the best savings' should be 'A Guide to the Best Savings'"
    )


def test_sentence_case_with_indicators_prefix_and_exceptions() -> None:
    assert to_sentence_case("Why Choose Us") == "Why choose us"
    assert lint(heading("Why choose us"), cap(match="$sentence")) == []
    assert len(lint(heading("Why Choose Us Today"), cap(match="$sentence"))) == 1
    # The first word must be capitalised whatever the threshold says.
    assert len(lint(heading("why choose us"), cap(match="$sentence", threshold=0.1))) == 1
    # An indicator lets the next word be capitalised; exceptions keep their case.
    assert (
        lint(heading("Step one: Open an account"), cap(match="$sentence", indicators=[":"])) == []
    )
    assert (
        lint(
            heading("Open a Flex Saver account"), cap(match="$sentence", exceptions=["Flex Saver"])
        )
        == []
    )
    assert lint(heading("a. Open an account"), cap(match="$sentence", prefix=r"^[a-z]\.\s")) == []


def test_threshold_allows_some_words_off_style() -> None:
    text = "Save more on energy Bills With Us Today"  # 6 of 8 words in title case
    assert lint(heading(text), cap(match="$title", threshold=0.5)) == []
    assert len(lint(heading(text), cap(match="$title", threshold=0.99))) == 1


def test_lower_upper_and_pattern_matches() -> None:
    assert lint(heading("all lower"), cap(match="$lower")) == []
    assert len(lint(heading("Not lower"), cap(match="$lower"))) == 1
    assert lint(heading("ALL UPPER"), cap(match="$upper")) == []
    assert lint(heading("Starts upper"), cap(match="^[A-Z]")) == []
    assert len(lint(heading("starts lower"), cap(match="^[A-Z]"))) == 1


def test_replace_action_proposes_the_expected_form_and_vocab_terms_keep_case() -> None:
    alert = lint(heading("why choose us"), cap(match="$sentence", action={"name": "replace"}))[0]
    assert alert.action == Action("replace", ("Why choose us",))
    assert (alert.start, alert.end) == (0, len("why choose us"))
    assert (
        lint(heading("Pay with FlexiPay today"), cap(match="$sentence"), accepted=("FlexiPay",))
        == []
    )


def test_go_title_treats_apostrophes_as_separators() -> None:
    assert go_title("isn't it") == "Isn'T It"
