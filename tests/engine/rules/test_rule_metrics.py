"""metric and readability: document-level statistics."""

from __future__ import annotations

import pytest
from tests.engine.rules.helpers import doc, lint, rule

from compliance_assistant.engine.document import BlockKind
from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules.metric import Formula, FormulaError
from compliance_assistant.engine.rules.stats import syllable_count, text_stats


def test_formula_is_evaluated_without_eval() -> None:
    formula = Formula.parse("heading.h2 + math.sqrt(words) / 2")
    assert formula.evaluate({"heading_h2": 3, "words": 16}) == 5.0
    with pytest.raises(FormulaError):
        Formula.parse("__import__('os').system('true')")
    with pytest.raises(FormulaError):
        Formula.parse("words.__class__")


def test_metric_reports_the_value_with_two_decimals() -> None:
    document = doc(
        ("Intro", BlockKind.HEADING, 2),
        ("Part", BlockKind.HEADING, 2),
        "Some words here.",
        ("item", BlockKind.LIST_ITEM),
    )
    definition = {
        "extends": "metric",
        "message": "%s H2s and lists",
        "formula": "heading.h2 + list",
        "condition": "> 2",
    }
    alert = lint(document, rule(definition))[0]
    assert (alert.message, alert.line, alert.column) == ("3.00 H2s and lists", 1, 1)
    assert lint(document, rule({**definition, "condition": "> 3"})) == []


def test_metric_definition_errors() -> None:
    with pytest.raises(DefinitionError, match="condition"):
        rule({"extends": "metric", "formula": "words"})
    with pytest.raises(DefinitionError, match="unsupported"):
        rule({"extends": "metric", "formula": "[words]", "condition": "> 1"})


def test_text_stats_and_syllables() -> None:
    stats = text_stats("The cat sat. It was happy.\n\nAnother paragraph here.")
    assert (stats.words, stats.sentences, stats.paragraphs) == (9, 3, 2)
    assert [syllable_count(w) for w in ("cat", "happy", "paragraph", "people", "make")] == [
        1,
        2,
        3,
        2,
        1,
    ]


def test_readability_averages_the_chosen_grades() -> None:
    easy = doc("The cat sat on the mat. It was a good cat.")
    hard = doc(
        "Notwithstanding considerable institutional organisational complexity, "
        "comprehensive implementation necessitates extraordinarily sophisticated "
        "interdepartmental coordination mechanisms."
    )
    definition = {
        "extends": "readability",
        "message": "Grade %s",
        "grade": 8,
        "metrics": ["Flesch-Kincaid", "Gunning Fog"],
    }
    assert lint(easy, rule(definition)) == []
    alert = lint(hard, rule(definition))[0]
    assert alert.message.startswith("Grade ")
    assert float(alert.message[6:]) > 8
    with pytest.raises(DefinitionError, match="unknown metric"):
        rule({**definition, "metrics": ["Dale-Chall"]})
