"""Documents as Vale units: sections, order, masking, summary and raw; ignore patterns."""

from __future__ import annotations

from compliance_assistant.engine.document import BlockKind, DocumentBuilder
from compliance_assistant.engine.vale.ignores import apply_ignores
from compliance_assistant.engine.vale.units import block_counts, iter_units, lint_view
from compliance_assistant.ingest.markdown import ingest_markdown


def test_units_in_vale_order_with_sections() -> None:
    document = ingest_markdown("# Head\n\nOne. Two.\n\n- item\n\n| H |\n|---|\n| c |\n\n> q\n")
    units = list(
        iter_units(document, document.text, sentences=True, paragraphs=True, summary=True, raw=True)
    )
    assert [(sorted(u.sections), u.text) for u in units] == [
        (["h1", "heading", "md", "text"], "Head"),
        (["md", "paragraph"], "One. Two."),
        (["md", "sentence"], "One."),
        (["md", "sentence"], "Two."),
        (["md", "text"], "One. Two."),
        (["list", "md", "text"], "item"),
        (["header", "md", "table", "text"], "H"),
        (["cell", "md", "table", "text"], "c"),
        (["blockquote", "md", "text"], "q"),
        (["md", "summary"], "One. Two.\n\nitem\n\nq\n\n"),
        (["md", "raw"], document.source_text),
    ]
    sentence = units[3]
    assert document.text[sentence.to_target(0) : sentence.to_target(4)] == "Two."
    summary = units[-2]
    assert document.text[summary.to_target(11) : summary.to_target(15)] == "item"


def test_code_blocks_are_not_units_but_are_counted() -> None:
    document = ingest_markdown("Text.\n\n```\ncode\n```\n\n## H2\n\n- a\n- b\n")
    units = list(
        iter_units(
            document, document.text, sentences=False, paragraphs=False, summary=False, raw=False
        )
    )
    assert "code" not in [u.text for u in units]
    counts = block_counts(document)
    assert (counts["pre"], counts["heading_h2"], counts["list"]) == (1, 1, 2)


def test_lint_view_masks_code_keeping_offsets() -> None:
    document = ingest_markdown("Run `rm -rf` now.\n")
    view = lint_view(document)
    assert view == "Run ****** now."
    assert len(view) == len(document.text)


def test_alt_text_and_plain_formats_get_their_sections() -> None:
    builder = DocumentBuilder(source_format="text")
    builder.add("A photo", BlockKind.CAPTION, style="alt")
    units = list(
        iter_units(
            builder.build(), "A photo", sentences=False, paragraphs=False, summary=False, raw=False
        )
    )
    assert units[0].sections == frozenset({"text", "attr", "alt", "txt"})


def test_token_and_block_ignores_mask_the_text_they_produced() -> None:
    document = ingest_markdown("Call {{ name }} now.\n\n<!-- x -->\n\nKeep [[skip this]] out.\n")
    ignored = apply_ignores(document, [r"\{\{[^}]+\}\}"], [r"(?s)\[\[.*?\]\]"])
    view = lint_view(ignored)
    assert "name" not in view
    assert "skip this" not in view
    assert "Call" in view
    assert "Keep" in view
    assert apply_ignores(document) is document
