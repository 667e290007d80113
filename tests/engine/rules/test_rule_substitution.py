"""substitution: swap, ignorecase, nonword, capitalize, exceptions, vocab, replace action."""

from __future__ import annotations

from tests.engine.rules.helpers import doc, lint, rule

from compliance_assistant.engine.rules import Action

MESSAGE = "Use '%s' instead of '%s'."


def sub(**definition: object) -> object:
    return rule({"extends": "substitution", "message": MESSAGE, **definition})


def test_swap_reports_expected_and_observed() -> None:
    alerts = lint(doc("Our utilize plan."), sub(swap={"utilize": "use"}))
    assert [(a.match, a.message) for a in alerts] == [
        ("utilize", "Use 'use' instead of 'utilize'.")
    ]


def test_matches_already_equal_to_the_replacement_are_skipped() -> None:
    document = doc("JavaScript and Javascript and javascript.")
    alerts = lint(document, sub(swap={"javascript": "JavaScript"}, ignorecase=True))
    assert [a.match for a in alerts] == ["Javascript", "javascript"]


def test_longest_key_wins_and_each_key_picks_its_replacement() -> None:
    document = doc("in order to buy, in order")
    alerts = lint(document, sub(swap={"in order": "so", "in order to": "to"}))
    assert [(a.match, a.message) for a in alerts] == [
        ("in order to", "Use 'to' instead of 'in order to'."),
        ("in order", "Use 'so' instead of 'in order'."),
    ]


def test_capture_groups_in_keys_become_non_capturing_and_backreferences_work() -> None:
    alerts = lint(doc("a (fast) car, pick (red) up"), sub(swap={r"\((\w+)\)": "$1"}, nonword=True))
    assert [a.message for a in alerts] == [
        "Use 'fast' instead of '(fast)'.",
        "Use 'red' instead of '(red)'.",
    ]


def test_capitalize_keeps_a_capitalised_match_capitalised() -> None:
    document = doc("Mankind and mankind.")
    alerts = lint(document, sub(swap={"mankind": "humankind"}, ignorecase=True, capitalize=True))
    assert [a.message for a in alerts] == [
        "Use 'Humankind' instead of 'Mankind'.",
        "Use 'humankind' instead of 'mankind'.",
    ]


def test_replace_action_gets_the_alternatives_as_params() -> None:
    rule_ = sub(
        swap={",{2,}": ",|..."},
        nonword=True,
        action={"name": "replace"},
        message="Use %s, not '%s'.",
    )
    alert = lint(doc("Two,, or three,,, commas."), rule_)
    assert [a.match for a in alert] == [",,", ",,,"]
    assert alert[0].action == Action("replace", (",", "..."))
    assert alert[0].message == "Use ',' or '...', not ',,'."


def test_empty_replacement_renders_as_nothing() -> None:
    rule_ = sub(swap={"obviously": ""}, action={"name": "replace"})
    assert lint(doc("It is obviously fine."), rule_)[0].message == "Use  instead of 'obviously'."


def test_observed_text_is_reported_untrimmed() -> None:
    rule_ = sub(swap={r"\b(?:[Vv][Ss]\s)(?!Code)": "versus"}, nonword=True)
    assert lint(doc("Blue vs red."), rule_)[0].message == "Use 'versus' instead of 'vs '."


def test_exceptions_and_vocab() -> None:
    document = doc("The Wifi and the wifi.")
    assert lint(document, sub(swap={"wifi": "Wi-Fi"}, exceptions=["Wifi"]))[0].match == "wifi"
    assert lint(document, sub(swap={"wifi": "Wi-Fi"}), accepted=("wifi",)) == []


def test_phrase_lists_and_patterns_give_the_same_matches() -> None:
    text = "At this point in time we feel that in order to win, in order to"
    swaps = {"at this point in time": "now", "in order to": "to", "(?:we feel|I feel) that": "x"}
    alerts = lint(doc(text), sub(swap=swaps, ignorecase=True))
    assert [a.match for a in alerts] == [
        "At this point in time",
        "we feel that",
        "in order to",
        "in order to",
    ]


def test_a_substitution_without_action_offers_its_replacement_implicitly() -> None:
    alert = lint(doc("We utilize it."), sub(swap={"utilize": "use|employ"}))[0]
    assert alert.action == Action("replace", ("use", "employ"), implicit=True)
    assert alert.message == "Use 'use|employ' instead of 'utilize'."
