"""occurrence and repetition."""

from __future__ import annotations

from tests.engine.rules.helpers import doc, lint, rule

from compliance_assistant.engine.document import BlockKind
from compliance_assistant.engine.rules import builtin_rules


def test_occurrence_max_reports_the_count_at_the_first_match() -> None:
    definition = {
        "extends": "occurrence",
        "scope": "sentence",
        "token": ",",
        "max": 2,
        "message": "%s commas",
    }
    alerts = lint(doc("One, two, three, four. Fine, ok."), rule(definition))
    assert [(a.message, a.column, a.match) for a in alerts] == [("3 commas", 4, ",")]


def test_occurrence_min_and_zero_occurrences_are_document_level() -> None:
    document = doc(("Title", BlockKind.HEADING, 1), "Body text.")
    definition = {
        "extends": "occurrence",
        "scope": "raw",
        "token": "Risk warning",
        "min": 1,
        "message": "No risk warning (%s)",
    }
    alert = lint(document, rule(definition))[0]
    assert (alert.line, alert.column, alert.start, alert.end, alert.message) == (
        1,
        1,
        0,
        0,
        "No risk warning (0)",
    )


def test_occurrence_ignorecase_and_heading_scope() -> None:
    document = doc(("A very very long heading", BlockKind.HEADING, 2), "very very very")
    definition = {
        "extends": "occurrence",
        "scope": "heading",
        "token": "VERY",
        "max": 1,
        "ignorecase": True,
        "message": "%s",
    }
    assert [(a.line, a.message) for a in lint(document, rule(definition))] == [(1, "2")]


def test_occurrence_needs_a_bound() -> None:
    import pytest

    from compliance_assistant.engine.errors import DefinitionError

    with pytest.raises(DefinitionError, match="max' or 'min"):
        rule({"extends": "occurrence", "token": "x"})


def test_builtin_repetition_ignores_case_and_trailing_punctuation() -> None:
    repetition = builtin_rules()["Vale.Repetition"]
    document = doc("A a new plan plan. It was that. That is it.\nthis\nthis works")
    alerts = lint(document, repetition)
    assert [(a.match, a.message) for a in alerts] == [
        ("A a", "'a' is repeated!"),
        ("plan plan", "'plan' is repeated!"),
        ("this\nthis", "'this' is repeated!"),
    ]


def test_repetition_alpha_max_and_exceptions() -> None:
    base = {"extends": "repetition", "tokens": [r"[^\s]+"], "message": "'%s'"}
    document = doc("go 12 12 go go go", "had had fun")
    assert [a.message for a in lint(document, rule(base))] == ["'12'", "'go'", "'go'", "'had'"]
    assert [a.message for a in lint(document, rule({**base, "alpha": True}))] == [
        "'go'",
        "'go'",
        "'had'",
    ]
    assert [a.message for a in lint(document, rule({**base, "max": 1}))] == ["'go'"]
    assert [a.message for a in lint(document, rule({**base, "exceptions": ["had"]}))] == [
        "'12'",
        "'go'",
        "'go'",
    ]


def test_repetition_with_other_token_patterns_walks_every_token() -> None:
    definition = {"extends": "repetition", "tokens": [r"[a-z]+ing"], "message": "%s"}
    assert [a.match for a in lint(doc("going going gone"), rule(definition))] == ["going going"]
