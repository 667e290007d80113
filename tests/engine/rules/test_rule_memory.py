"""conditional and consistency: rules that remember what the document said before."""

from __future__ import annotations

from tests.engine.rules.helpers import doc, lint, rule

ACRONYM = {
    "extends": "conditional",
    "message": "'%s' has no definition",
    "first": r"\b([A-Z]{3,5})\b",
    "second": r"(?:\b[A-Z][a-z]+ )+\(([A-Z]{3,5})\)",
}


def test_conditional_needs_a_definition_before_use() -> None:
    document = doc("The Annual Equivalent Rate (AER) is 5%.", "The AER and the APR vary.")
    alerts = lint(document, rule(ACRONYM))
    assert [(a.line, a.match) for a in alerts] == [(2, "APR")]


def test_conditional_exceptions() -> None:
    document = doc("The APR and the EUR.")
    assert [a.match for a in lint(document, rule({**ACRONYM, "exceptions": ["EUR"]}))] == ["APR"]


def test_conditional_without_capture_requires_presence() -> None:
    definition = {
        "extends": "conditional",
        "message": "needs a summary",
        "first": "Section",
        "second": "Summary:",
    }
    assert lint(doc("Summary: short.", "Section one."), rule(definition)) == []
    assert [a.match for a in lint(doc("Section one."), rule(definition))] == ["Section"]


def test_consistency_reports_once_both_variants_were_used() -> None:
    definition = {
        "extends": "consistency",
        "message": "Inconsistent '%s'",
        "either": {"colour": "color", "centre": "center"},
    }
    document = doc("A colour.", "A color and a colour.", "The center.")
    alerts = lint(document, rule(definition))
    assert [(a.line, a.match) for a in alerts] == [(2, "colour")]


def test_consistency_ignorecase_and_nonword() -> None:
    definition = {
        "extends": "consistency",
        "message": "%s",
        "nonword": True,
        "ignorecase": True,
        "either": {'"': "[”“]"},
    }
    alerts = lint(doc('He said "hi".', "She said “bye”."), rule(definition))
    assert [a.line for a in alerts] == [2]
