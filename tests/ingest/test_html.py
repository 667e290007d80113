"""HTML → Document: block kinds, skipped and masked content, exact positions."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.document import BlockKind, Document
from compliance_assistant.ingest.html import HtmlOptions, ingest_html

SOURCE = """\
<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html>
<head><title>Épargne &amp; crédit</title><style>p { color: red }</style></head>
<body>
<h1>Save more 😀</h1>
<!-- vale off -->
<p>Rates from <strong>5&nbsp;%</strong> — see <code>rate()</code>
and 日本語 details.<br>New line.</p>
<ul><li>First item</li><li>Second <em>item</em> <img alt="A chart" src="c.png"></li></ul>
<blockquote><p>Quoted text.</p></blockquote>
<table>
  <caption>Fees</caption>
  <tr><th>Plan</th><th>Fee</th></tr>
  <tr><td>Flex</td><td>0 €</td></tr>
</table>
<figure><figcaption>Figure text</figcaption></figure>
<pre>code block</pre>
<script>var TODO = 1;</script>
<div class="nop">Hidden <b>stuff</b></div>
<h3>Done</h3>
</body>
</html>
"""


@pytest.fixture(scope="module")
def document() -> Document:
    return ingest_html(
        SOURCE, source_name="page.html", options=HtmlOptions(ignored_classes={"nop"})
    )


def test_blocks_and_plain_text(document: Document) -> None:
    assert [(b.kind, document.block_text(b)) for b in document.blocks] == [
        (BlockKind.TITLE, "Épargne & crédit"),
        (BlockKind.HEADING, "Save more 😀"),
        (BlockKind.PARAGRAPH, "Rates from 5\u00a0% — see rate()\nand 日本語 details.\nNew line."),
        (BlockKind.LIST_ITEM, "First item"),
        (BlockKind.LIST_ITEM, "Second item"),
        (BlockKind.CAPTION, "A chart"),
        (BlockKind.BLOCKQUOTE, "Quoted text."),
        (BlockKind.CAPTION, "Fees"),
        (BlockKind.TABLE_HEADER, "Plan"),
        (BlockKind.TABLE_HEADER, "Fee"),
        (BlockKind.TABLE_CELL, "Flex"),
        (BlockKind.TABLE_CELL, "0 €"),
        (BlockKind.CODE, "code block"),
        (BlockKind.HEADING, "Done"),
    ]
    assert document.title == "Épargne & crédit"
    assert [b.level for b in document.blocks if b.kind is BlockKind.HEADING] == [1, 3]
    assert "TODO" not in document.text
    assert "Hidden" not in document.text
    assert "Figure text" not in document.text  # <figure> is skipped, as in Vale


@pytest.mark.parametrize(
    ("needle", "line", "column"),
    [
        ("crédit", 4, 28),
        ("Save more", 6, 5),
        ("😀", 6, 15),
        ("Rates", 8, 4),
        ("% —", 8, 30),
        ("rate()", 8, 53),
        ("日本語", 9, 5),
        ("New line", 9, 21),
        ("Second", 10, 28),
        ("A chart", 10, 59),
        ("0 €", 15, 24),
        ("Done", 21, 5),
    ],
)
def test_locations_point_into_the_source(
    document: Document, needle: str, line: int, column: int
) -> None:
    location = document.location(document.text.index(needle))
    assert (location.line, location.column) == (line, column)


def test_inline_code_is_masked_and_comments_kept(document: Document) -> None:
    assert [document.text[s.start : s.end] for s in document.masked] == ["rate()"]
    (comment,) = document.comments
    assert comment.text == "vale off"
    assert document.text[comment.offset :].lstrip().startswith("Rates")


def test_skipped_scopes_are_configurable() -> None:
    source = "<p>Keep</p><blockquote>Drop</blockquote><p>Also <kbd>Ctrl</kbd></p>"
    document = ingest_html(
        source, options=HtmlOptions(skipped_tags={"blockquote"}, ignored_tags=set())
    )
    assert document.text == "Keep\nAlso Ctrl"
    assert document.masked == ()


def test_fragments_and_empty_input() -> None:
    assert ingest_html("Just <b>text</b> here").text == "Just text here"
    assert ingest_html("   ").blocks == ()
