import pytest
from pydantic import ValidationError

from compliance_assistant.engine.document import (
    Block,
    BlockKind,
    Document,
    DocumentBuilder,
    Span,
)


def build(*paragraphs: str) -> Document:
    builder = DocumentBuilder(source_format="text")
    for paragraph in paragraphs:
        builder.add(paragraph, BlockKind.PARAGRAPH)
    return builder.build()


@pytest.mark.parametrize(
    "text",
    ["Café crème à 3 €", "Save 😀 now 🎉 today", "東京の銀行で口座を開設", "e\u0301clair"],
)
def test_offsets_are_code_points_for_non_ascii(text: str) -> None:
    document = build("First.", text, "Last.")
    block = document.blocks[1]
    assert document.text[block.start : block.end] == text
    assert block.end - block.start == len(text)
    last = document.blocks[2]
    assert document.block_text(last) == "Last."
    assert document.location(last.start).line == 3


def test_blank_blocks_are_skipped_and_ids_stay_dense() -> None:
    document = build("One", "   ", "", "Two")
    assert [b.id for b in document.blocks] == ["b0", "b1"]
    assert document.text == "One\nTwo"


def test_block_at_includes_trailing_separator_and_handles_gaps() -> None:
    document = build("Alpha", "Beta")
    assert document.block_at(0).id == "b0"  # type: ignore[union-attr]
    assert document.block_at(5).id == "b0"  # type: ignore[union-attr]
    assert document.block_at(6).id == "b1"  # type: ignore[union-attr]
    assert document.block_by_id("b1") == document.blocks[1]
    assert document.block_by_id("nope") is None


def test_location_uses_source_map_when_present() -> None:
    source = "# Title\n\nSome **bold** text\n"
    builder = DocumentBuilder(source_format="markdown", source_text=source)
    builder.add("Title", BlockKind.HEADING, level=1, source_start=2)
    builder.add_pieces([("Some ", 9), ("bold", 16), (" text", 22)], BlockKind.PARAGRAPH)
    document = builder.build()
    assert document.text == "Title\nSome bold text"
    bold = document.text.index("bold")
    assert document.to_source_offset(bold) == 16
    assert document.location(bold).model_dump() == {"line": 3, "column": 8}
    assert document.location(document.text.index("text")).model_dump() == {"line": 3, "column": 15}


def test_location_without_source_map_counts_lines_of_text() -> None:
    document = build("one", "two three")
    assert document.location(document.text.index("three")).model_dump() == {"line": 2, "column": 5}


def test_blocks_must_lie_inside_text_and_in_order() -> None:
    with pytest.raises(ValidationError, match="outside text"):
        Document(
            text="abc",
            source_format="text",
            blocks=(Block(id="b0", kind=BlockKind.PARAGRAPH, start=0, end=9),),
        )
    with pytest.raises(ValidationError, match="reading order"):
        Document(
            text="abc def",
            source_format="text",
            blocks=(
                Block(id="b0", kind=BlockKind.PARAGRAPH, start=4, end=7),
                Block(id="b1", kind=BlockKind.PARAGRAPH, start=0, end=3),
            ),
        )


def test_span_rejects_reversed_range() -> None:
    with pytest.raises(ValidationError, match="before its start"):
        Span(start=5, end=2)


def test_masked_spans_are_merged() -> None:
    builder = DocumentBuilder(source_format="markdown")
    builder.add("use `x` and `y`", BlockKind.PARAGRAPH)
    builder.mask(4, 7)
    builder.mask(6, 9)
    builder.mask(12, 15)
    document = builder.build()
    assert [(s.start, s.end) for s in document.masked] == [(4, 9), (12, 15)]
