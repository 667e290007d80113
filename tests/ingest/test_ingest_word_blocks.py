"""The Word add-in's word-blocks payload (DESIGN §9)."""

from __future__ import annotations

from typing import Any

import pytest

from compliance_assistant.engine.document import BlockKind, Document
from compliance_assistant.errors import EmptyDocumentError, InputError, TooLargeError
from compliance_assistant.ingest import IngestLimits, WordBlocksPayload, ingest_word_blocks

K = BlockKind


def payload(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"format": "word-blocks", "blocks": list(blocks)}


def para(index: int, text: str, style: str = "Normal", **extra: Any) -> dict[str, Any]:
    return {"index": index, "text": text, "style": style, "is_list_item": False, **extra}


def summary(document: Document) -> list[tuple[BlockKind, int | None, int | None, str]]:
    return [
        (b.kind, b.level, b.source_index, document.text[b.start : b.end]) for b in document.blocks
    ]


def test_kinds_levels_and_source_indices_come_from_the_paragraphs() -> None:
    document = ingest_word_blocks(
        payload(
            para(0, "Flex Saver", "Title"),
            para(1, ""),
            para(2, "Why switch", "Heading 1"),
            para(3, "Rates", "Heading2"),
            para(4, "Instant access", "List Paragraph", is_list_item=True),
            para(5, "Nested point", "List Paragraph", is_list_item=True, level=2),
            para(6, "Bulleted by style", "List Bullet"),
            para(7, "Plan", table_cell={"row": 0, "column": 0, "table": 0}),
            para(8, "Price", table_cell={"row": 0, "column": 1, "table": 0}),
            para(9, "Basic", table_cell={"row": 1, "column": 0, "table": 0}),
            para(10, "€9 incl. VAT", "Heading 3", table_cell={"row": 1, "column": 1, "table": 0}),
            para(11, "Outline-level paragraph", level=4),
            para(12, "A quotation.", "Quote"),
            para(13, "   "),
            para(14, "Plain body text."),
            para(15, "Sub-subheading", "Heading 3", level=5),
        )
    )
    assert summary(document) == [
        (K.TITLE, None, 0, "Flex Saver"),
        (K.HEADING, 1, 2, "Why switch"),
        (K.HEADING, 2, 3, "Rates"),
        (K.LIST_ITEM, 1, 4, "Instant access"),
        (K.LIST_ITEM, 2, 5, "Nested point"),
        (K.LIST_ITEM, 1, 6, "Bulleted by style"),
        (K.TABLE_HEADER, None, 7, "Plan"),
        (K.TABLE_HEADER, None, 8, "Price"),
        (K.TABLE_CELL, None, 9, "Basic"),
        (K.TABLE_CELL, None, 10, "€9 incl. VAT"),
        (K.HEADING, 4, 11, "Outline-level paragraph"),
        (K.BLOCKQUOTE, None, 12, "A quotation."),
        (K.PARAGRAPH, None, 14, "Plain body text."),
        (K.HEADING, 5, 15, "Sub-subheading"),
    ]
    assert document.source_format == "word-blocks"
    assert document.title == "Flex Saver"
    assert document.blocks[1].style == "Heading 1"


def test_title_falls_back_to_first_level_one_heading_then_none() -> None:
    with_heading = ingest_word_blocks(
        payload(para(0, "Intro text."), para(1, "Big news", "heading 1"))
    )
    assert with_heading.title == "Big news"
    assert ingest_word_blocks(payload(para(0, "Just text."))).title is None


def test_block_text_keeps_word_positions_for_line_breaks_and_non_ascii() -> None:
    texts = ["Line one\vline two\rthree", "Café 😀 中文 e\u0301 👩‍👩‍👧", "  leading spaces kept"]
    document = ingest_word_blocks(payload(*(para(i, t) for i, t in enumerate(texts))))
    blocks = [document.text[b.start : b.end] for b in document.blocks]
    assert blocks == ["Line one\nline two\nthree", texts[1], texts[2]]
    assert [len(b) for b in blocks] == [len(t) for t in texts]


def test_a_validated_payload_object_is_accepted_and_extra_fields_ignored() -> None:
    model = WordBlocksPayload.model_validate(
        {
            "format": "word-blocks",
            "document_id": "abc",
            "blocks": [para(3, "Hello", outline_level="ignored")],
        }
    )
    assert summary(ingest_word_blocks(model)) == [(K.PARAGRAPH, None, 3, "Hello")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (payload(para(0, "a"), para(0, "b")), "paragraph index 0 appears more than once"),
        (payload(para(2, "a"), para(1, "b")), "ascending order, but 1 comes after 2"),
        ({"format": "html", "blocks": []}, "format"),
        (payload({"index": 0, "style": "Normal"}), r"blocks\[0\]\.text: Field required"),
        (payload(para(-1, "a")), r"blocks\[0\]\.index"),
        (payload(para(0, "a", level=0)), r"blocks\[0\]\.level"),
        (payload(para(0, "a", table_cell={"row": 0})), r"table_cell\.column: Field required"),
        ({"format": "word-blocks"}, "blocks: Field required"),
    ],
    ids=[
        "duplicate",
        "descending",
        "format",
        "missing-text",
        "negative-index",
        "level-zero",
        "cell",
        "no-blocks",
    ],
)
def test_invalid_payloads_are_input_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        ingest_word_blocks(raw)
    assert "Reload the add-in" in caught.value.message
    assert caught.value.details
    assert "Traceback" not in caught.value.message


def test_many_errors_are_summarised() -> None:
    raw = payload(*({"index": "x"} for _ in range(9)))
    with pytest.raises(InputError, match=r"\(and \d+ more\)"):
        ingest_word_blocks(raw)


@pytest.mark.parametrize("blocks", [[], [para(0, ""), para(1, " \t")]])
def test_payload_without_text_is_empty(blocks: list[dict[str, Any]]) -> None:
    with pytest.raises(EmptyDocumentError):
        ingest_word_blocks(payload(*blocks))


def test_character_limit_applies() -> None:
    with pytest.raises(TooLargeError, match="11 characters of text, more than the limit of 10"):
        ingest_word_blocks(
            payload(para(0, "hello"), para(1, "world")), limits=IngestLimits(max_chars=10)
        )
