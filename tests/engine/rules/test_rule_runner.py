"""run_rules: ordering, de-duplication, levels, comment controls, raw scope, placement."""

from __future__ import annotations

from tests.engine.rules.helpers import doc, lint, rule

from compliance_assistant.engine.document import BlockKind, DocumentBuilder
from compliance_assistant.engine.rules import builtin_rules, vocab_rules
from compliance_assistant.ingest.markdown import ingest_markdown

TODO = {"extends": "existence", "tokens": ["TODO"], "message": "'%s' left"}


def test_alerts_are_sorted_by_line_then_column() -> None:
    document = doc("b TODO a", "TODO")
    first = rule({**TODO, "level": "error"}, "A.First")
    second = rule({"extends": "existence", "tokens": ["a"], "message": "%s"}, "B.Second")
    alerts = lint(document, second, first)
    assert [(a.line, a.column, a.check) for a in alerts] == [
        (1, 3, "A.First"),
        (1, 8, "B.Second"),
        (2, 1, "A.First"),
    ]


def test_a_rule_scoped_twice_reports_a_place_once() -> None:
    both = rule({**TODO, "scope": ["paragraph", "sentence", "text"]})
    assert len(lint(doc("One TODO here."), both)) == 1


def test_min_alert_level_and_level_overrides() -> None:
    suggestion = rule({**TODO, "level": "suggestion"}, "S.Todo")
    document = doc("TODO")
    assert lint(document, suggestion, min_alert_level="warning") == []
    alerts = lint(document, suggestion, min_alert_level="warning", levels={"S.Todo": "error"})
    assert [a.level for a in alerts] == ["error"]


def test_comment_controls_silence_rules_from_where_they_are() -> None:
    source = (
        "TODO one\n\n<!-- vale off -->\n\nTODO two\n\n<!-- vale on -->\n\n"
        "TODO three <!-- vale S.Todo = NO -->TODO four\n\n<!-- vale S = YES -->\n\nTODO five\n\n"
        '<!-- vale S.Todo["TODO"] = NO -->\n\nTODO six\n\n<!-- vale S.Todo["TODO"] = YES -->\n\n'
        "<!-- vale styles = Other -->\n\nTODO seven\n\n<!-- vale style = S -->\n\nTODO eight\n"
    )
    alerts = lint(ingest_markdown(source), rule(TODO, "S.Todo"))
    assert [a.line for a in alerts] == [1, 9, 13, 27]


def test_comments_can_be_ignored() -> None:
    source = "<!-- vale off -->\n\nTODO\n"
    assert len(lint(ingest_markdown(source), rule(TODO, "S.Todo"), comments=False)) == 1


def test_raw_scope_reports_source_positions_and_nearest_text_offsets() -> None:
    document = ingest_markdown("# Title\n\nSee **bold** and *it*.\n")
    raw = rule(
        {
            "extends": "existence",
            "scope": "raw",
            "nonword": True,
            "tokens": [r"\*\*\w+\*\*"],
            "message": "%s",
        }
    )
    alert = lint(document, raw)[0]
    assert (alert.line, alert.column, alert.match) == (3, 5, "**bold**")
    assert document.text[alert.start : alert.end] == "bold"


def test_columns_fall_back_to_one_when_markup_interrupts_a_match() -> None:
    # Vale searches the matched text in the source; markup inside the match defeats it.
    document = ingest_markdown("Text with *very* good results.\n")
    phrase = rule({"extends": "existence", "tokens": ["very good"], "message": "%s"})
    alert = lint(document, phrase)[0]
    assert (alert.line, alert.column) == (1, 1)
    assert document.text[alert.start : alert.end] == "very good"


def test_masked_inline_code_is_not_matched() -> None:
    document = ingest_markdown("Call `TODO()` then TODO.\n")
    assert [a.column for a in lint(document, rule(TODO))] == [20]


def test_documents_without_a_source_report_text_lines() -> None:
    builder = DocumentBuilder(source_format="word-blocks")
    builder.add("First paragraph", BlockKind.PARAGRAPH)
    builder.add("Second TODO", BlockKind.PARAGRAPH)
    alert = lint(builder.build(), rule(TODO))[0]
    assert (alert.line, alert.column) == (2, 8)


def test_vocab_rules_terms_and_avoid() -> None:
    rules = vocab_rules(["JavaScript", "[Oo]bservability"], ["Mac OS X"])
    document = doc("I like javascript and oBservability on Mac OS X. Observability is fine.")
    alerts = lint(document, *rules.values(), *builtin_rules().values())
    assert [a.message for a in alerts] == [
        "Use 'JavaScript' instead of 'javascript'.",
        "Use '[Oo]bservability' instead of 'oBservability'.",
        "Avoid using 'Mac OS X'.",
    ]


def test_no_rules_no_alerts() -> None:
    assert lint(doc("Anything")) == []
