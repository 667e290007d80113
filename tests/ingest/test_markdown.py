"""Markdown → Document: readable text, block kinds, masks, comments and exact positions."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.document import BlockKind, Document
from compliance_assistant.ingest.html import HtmlOptions
from compliance_assistant.ingest.markdown import ingest_markdown

SOURCE = """\
---
title: Front matter is left out
---
# Épargne *facile* 😀

Rates from **5 %** on [your savings](https://example.com/rates "Rates") — 日本語 text.
Second line with `code()` and <https://example.com>.

## Details

- First item
- Second *item*
  1. Nested step

> A quoted line
> continues here.

| Plan | Fee |
|------|-----|
| Flex | 0 € |

```python
print("code")
```

![A chart of rates](chart.png)

<!-- vale off -->

Last paragraph[^1].

[^1]: The footnote.
"""


@pytest.fixture(scope="module")
def document() -> Document:
    return ingest_markdown(SOURCE, source_name="article.md")


def kinds(document: Document) -> list[tuple[BlockKind, str]]:
    return [(b.kind, document.block_text(b)) for b in document.blocks]


def test_blocks_and_plain_text(document: Document) -> None:
    assert kinds(document) == [
        (BlockKind.HEADING, "Épargne facile 😀"),
        (
            BlockKind.PARAGRAPH,
            "Rates from 5 % on your savings — 日本語 text.\n"
            "Second line with code() and https://example.com.",
        ),
        (BlockKind.HEADING, "Details"),
        (BlockKind.LIST_ITEM, "First item"),
        (BlockKind.LIST_ITEM, "Second item"),
        (BlockKind.LIST_ITEM, "Nested step"),
        (BlockKind.BLOCKQUOTE, "A quoted line\ncontinues here."),
        (BlockKind.TABLE_HEADER, "Plan"),
        (BlockKind.TABLE_HEADER, "Fee"),
        (BlockKind.TABLE_CELL, "Flex"),
        (BlockKind.TABLE_CELL, "0 €"),
        (BlockKind.CODE, 'print("code")'),
        (BlockKind.CAPTION, "A chart of rates"),
        (BlockKind.PARAGRAPH, "Last paragraph."),
        (BlockKind.FOOTNOTE, "The footnote."),
    ]
    assert [b.level for b in document.blocks if b.kind is BlockKind.HEADING] == [1, 2]
    assert document.blocks[12].style == "alt"
    assert "https://example.com/rates" not in document.text
    assert "Front matter" not in document.text
    assert document.source_format == "markdown"
    assert document.source_name == "article.md"


@pytest.mark.parametrize(
    ("needle", "line", "column"),
    [
        ("Épargne", 4, 3),
        ("facile", 4, 12),
        ("😀", 4, 20),
        ("5 %", 6, 14),
        ("your savings", 6, 24),
        ("日本語", 6, 75),
        ("text.", 6, 79),
        ("Second line", 7, 1),
        ("code()", 7, 19),
        ("https://example.com.", 7, 32),
        ("Nested step", 13, 6),
        ("continues here", 16, 3),
        ("0 €", 20, 10),
        ('print("code")', 23, 1),
        ("A chart of rates", 26, 3),
        ("The footnote", 32, 7),
    ],
)
def test_locations_point_into_the_source(
    document: Document, needle: str, line: int, column: int
) -> None:
    offset = document.text.index(needle)
    location = document.location(offset)
    assert (location.line, location.column) == (line, column)
    source_line = SOURCE.splitlines()[line - 1]
    assert source_line[column - 1 :].startswith(needle.rstrip(".").split("\n")[0])


def test_inline_code_and_bare_urls_are_masked(document: Document) -> None:
    masked = [document.text[s.start : s.end] for s in document.masked]
    assert masked == ["code()", "https://example.com"]


def test_comments_are_kept_at_their_position(document: Document) -> None:
    (comment,) = document.comments
    assert comment.text == "vale off"
    assert document.text[comment.offset :].lstrip().startswith("Last paragraph")
    assert SOURCE[comment.source_offset or 0 :].startswith("<!-- vale off -->")


def test_escapes_entities_and_line_endings() -> None:
    document = ingest_markdown("Price\\* &amp; more &copy;\r\nnext line\r\n")
    assert document.text == "Price* & more ©\nnext line"
    assert document.location(document.text.index("more")).column == 15
    assert document.location(document.text.index("next")).line == 2


def test_skipped_and_ignored_scopes() -> None:
    source = 'Keep **bold** text.\n\n> Skipped quote.\n\n<span class="nop">hidden</span> ok\n'
    options = HtmlOptions(
        skipped_tags={"blockquote", "pre"}, ignored_tags={"strong", "code"}, ignored_classes={"nop"}
    )
    document = ingest_markdown(source, options=options)
    assert "Skipped quote" not in document.text
    masked = [document.text[s.start : s.end] for s in document.masked]
    assert masked == ["bold", "hidden"]


def test_raw_html_blocks_are_read_as_html() -> None:
    document = ingest_markdown(
        "Intro.\n\n<table>\n  <caption>Fees</caption>\n  <tr><td>None</td></tr>\n</table>\n"
    )
    assert kinds(document)[1:] == [(BlockKind.CAPTION, "Fees"), (BlockKind.TABLE_CELL, "None")]
    assert document.location(document.text.index("Fees")).line == 4


def test_empty_input_gives_no_blocks() -> None:
    assert ingest_markdown("").blocks == ()
