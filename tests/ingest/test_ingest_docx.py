"""Word .docx ingestion: block kinds, Office.js paragraph indices, visible text, notes, errors."""

from __future__ import annotations

import io
import zipfile

import msoffcrypto
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml

from compliance_assistant.engine.document import BlockKind, Document
from compliance_assistant.errors import (
    CorruptFileError,
    EmptyDocumentError,
    ProtectedFileError,
    TooLargeError,
    UnsupportedFormatError,
)
from compliance_assistant.ingest import IngestLimits, ingest_bytes
from compliance_assistant.ingest.docx import ingest_docx

from .builders import (
    NSDECLS,
    DocxBuilder,
    deleted,
    footnote_reference,
    inserted,
    rezip,
    run,
    text_box,
)

K = BlockKind


def read(builder: DocxBuilder) -> Document:
    return ingest_bytes(builder.bytes(), filename="article.docx")


def summary(document: Document) -> list[tuple[BlockKind, int | None, int | None, str]]:
    """(kind, level, source_index, text) per block, text taken through the block's offsets."""
    return [
        (b.kind, b.level, b.source_index, document.text[b.start : b.end]) for b in document.blocks
    ]


def test_every_block_kind_with_level_and_paragraph_index() -> None:
    builder = (
        DocxBuilder()
        .paragraph("Save more with Flex Saver", style="Title")
        .heading("Why choose us", 1)
        .paragraph("The best rate in town.")
        .heading("Details", 2)
        .paragraph("Instant access", style="List Bullet")
        .paragraph("No notice period", style="List Bullet 2")
        .paragraph("First step", style="List Number")
        .raw(
            run("Numbered by direct formatting"),
            properties='<w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr>',
        )
        .raw(
            run("Numbering switched off"),
            properties='<w:pStyle w:val="ListBullet"/><w:numPr><w:numId w:val="0"/></w:numPr>',
        )
        .paragraph("Rates are variable.", style="Quote")
        .paragraph("Table 1: rates", style="Caption")
        .table([["Balance", "Rate"], ["Up to €10,000", "3.1% AER"]])
        .raw(run("See the terms") + footnote_reference(1))
        .footnote(1, "Rate correct on 1 May 2024.")
    )
    document = read(builder)
    assert summary(document) == [
        (K.TITLE, None, 0, "Save more with Flex Saver"),
        (K.HEADING, 1, 1, "Why choose us"),
        (K.PARAGRAPH, None, 2, "The best rate in town."),
        (K.HEADING, 2, 3, "Details"),
        (K.LIST_ITEM, 1, 4, "Instant access"),
        (K.LIST_ITEM, 1, 5, "No notice period"),
        (K.LIST_ITEM, 1, 6, "First step"),
        (K.LIST_ITEM, 2, 7, "Numbered by direct formatting"),
        (K.PARAGRAPH, None, 8, "Numbering switched off"),
        (K.BLOCKQUOTE, None, 9, "Rates are variable."),
        (K.CAPTION, None, 10, "Table 1: rates"),
        (K.TABLE_HEADER, None, 11, "Balance"),
        (K.TABLE_HEADER, None, 12, "Rate"),
        (K.TABLE_CELL, None, 13, "Up to €10,000"),
        (K.TABLE_CELL, None, 14, "3.1% AER"),
        (K.PARAGRAPH, None, 15, "See the terms"),
        (K.FOOTNOTE, None, None, "Rate correct on 1 May 2024."),
    ]
    assert document.source_format == "docx"
    assert document.source_name == "article.docx"
    assert document.title == "Save more with Flex Saver"
    heading = document.blocks[1]
    assert heading.style == "Heading 1"
    assert document.text.split("\n")[:3] == [
        "Save more with Flex Saver",
        "Why choose us",
        "The best rate in town.",
    ]


def test_source_index_follows_office_js_paragraph_order() -> None:
    # Office.js body.paragraphs: 0 "Intro", 1 empty, 2-3 cell (0,0) with two paragraphs,
    # 4 empty cell (0,1), 5 "r1c0", 6 the empty first paragraph of cell (1,1), 7 "inner" in the
    # nested table, 8 the empty paragraph python-docx puts after a nested table (Word needs
    # one), 9 "after inner", 10 "   " (whitespace only), 11 "Closing".
    builder = DocxBuilder().paragraph("Intro").paragraph("")
    builder.table([[["c00 first", "c00 second"], ""], ["r1c0", ""]])
    table = builder.document.tables[-1]
    nested_cell = table.cell(1, 1)
    nested = nested_cell.add_table(rows=1, cols=1)
    nested.cell(0, 0).paragraphs[0].text = "inner"
    nested_cell.add_paragraph("after inner")
    builder.paragraph("   ").paragraph("Closing")
    document = read(builder)
    assert summary(document) == [
        (K.PARAGRAPH, None, 0, "Intro"),
        (K.TABLE_HEADER, None, 2, "c00 first"),
        (K.TABLE_HEADER, None, 3, "c00 second"),
        (K.TABLE_CELL, None, 5, "r1c0"),
        (K.TABLE_HEADER, None, 7, "inner"),
        (K.TABLE_CELL, None, 9, "after inner"),
        (K.PARAGRAPH, None, 11, "Closing"),
    ]


def test_repeated_header_rows_are_table_headers() -> None:
    builder = DocxBuilder().table([["Plan", "Price"], ["per month", "incl. VAT"], ["Basic", "€9"]])
    second_row = builder.document.tables[-1].rows[1]._tr
    second_row.insert(0, parse_xml(f"<w:trPr {NSDECLS}><w:tblHeader/></w:trPr>"))
    kinds = [b.kind for b in read(builder).blocks]
    assert kinds == [K.TABLE_HEADER] * 4 + [K.TABLE_CELL] * 2


def test_tracked_changes_keep_insertions_and_drop_deletions() -> None:
    builder = (
        DocxBuilder()
        .raw(run("Earn ") + deleted("guaranteed ") + inserted("up to ") + run("3% interest."))
        .raw(
            deleted("This whole paragraph was deleted."),
            properties='<w:rPr><w:del w:id="7" w:author="R" w:date="2024-01-01T00:00:00Z"/>'
            "</w:rPr>",
        )
        .raw(
            '<w:moveFrom w:id="8" w:author="R" w:date="2024-01-01T00:00:00Z">'
            + run("moved away")
            + "</w:moveFrom>"
            + '<w:moveTo w:id="9" w:author="R" w:date="2024-01-01T00:00:00Z">'
            + run("moved here")
            + "</w:moveTo>"
        )
    )
    assert summary(read(builder)) == [
        (K.PARAGRAPH, None, 0, "Earn up to 3% interest."),
        (K.PARAGRAPH, None, 2, "moved here"),
    ]


def test_fields_hyperlinks_tabs_and_breaks_show_their_text() -> None:
    complex_field = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> DATE \\@ "d MMMM yyyy" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + run("1 May 2024")
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    builder = (
        DocxBuilder()
        .raw(run("Offer valid until ") + complex_field + run("."))
        .raw(
            run("Read the ")
            + '<w:hyperlink r:id="rId99">'
            + run("terms")
            + "</w:hyperlink>"
            + run(" and page ")
            + '<w:fldSimple w:instr=" PAGE ">'
            + run("2")
            + "</w:fldSimple>"
        )
        .raw(
            run("Rate")
            + "<w:r><w:tab/></w:r>"
            + run("3%")
            + "<w:r><w:br/></w:r>"
            + run("Fee")
            + "<w:r><w:noBreakHyphen/></w:r>"
            + run("free")
        )
        .raw(run("a") + run(" ") + run("b"))
    )
    assert [text for *_, text in summary(read(builder))] == [
        "Offer valid until 1 May 2024.",
        "Read the terms and page 2",
        "Rate\t3%\nFee-free",
        "a b",
    ]


def test_block_offsets_are_code_points_for_non_ascii_text() -> None:
    texts = [
        "Café crème – 5 € 😀 offer",
        "中文广告 Ｎｏ.１",
        "Zoë’s e\u0301xclusive deal 👩‍👩‍👧",
        "  Indented keeps its spaces",
    ]
    builder = DocxBuilder()
    for text in texts:
        builder.paragraph(text)
    document = read(builder)
    assert [document.text[b.start : b.end] for b in document.blocks] == texts
    emoji_block = document.blocks[0]
    assert document.text[emoji_block.start + len("Café crème – 5 € ")] == "😀"


def test_footnotes_and_endnotes_follow_the_body_in_citation_order() -> None:
    builder = (
        DocxBuilder()
        .paragraph("Body first.")
        .raw(
            run("Second claim")
            + footnote_reference(2)
            + run(" and first claim")
            + footnote_reference(1)
        )
        .raw(run("Ends") + footnote_reference(1, "endnote"))
        .footnote(1, "Source: survey of 1,000 savers.")
        .footnote(2, "Representative APR 9.9%.")
        .footnote(3, "Never cited.")
        .endnote(1, "Issued by Flex Bank plc.")
    )
    document = read(builder)
    footnotes = [
        (b.source_index, document.block_text(b)) for b in document.blocks if b.kind is K.FOOTNOTE
    ]
    assert footnotes == [
        (None, "Representative APR 9.9%."),
        (None, "Source: survey of 1,000 savers."),
        (None, "Never cited."),
        (None, "Issued by Flex Bank plc."),
    ]
    assert document.blocks[2].kind is K.PARAGRAPH
    assert document.block_text(document.blocks[1]) == "Second claim and first claim"


def test_text_box_is_read_once_after_its_anchor_without_a_paragraph_index() -> None:
    builder = (
        DocxBuilder()
        .paragraph("Before")
        .raw(run("Anchor") + text_box("Boxed offer: 0% APR!", "Second box line"))
        .paragraph("After")
    )
    assert summary(read(builder)) == [
        (K.PARAGRAPH, None, 0, "Before"),
        (K.PARAGRAPH, None, 1, "Anchor"),
        (K.PARAGRAPH, None, None, "Boxed offer: 0% APR!"),
        (K.PARAGRAPH, None, None, "Second box line"),
        (K.PARAGRAPH, None, 2, "After"),
    ]


def test_outline_levels_and_custom_styles_based_on_headings() -> None:
    builder = DocxBuilder()
    custom = builder.document.styles.add_style("Promo Heading", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = builder.document.styles["Heading 2"]
    builder.paragraph("Custom heading", style="Promo Heading")
    builder.raw(run("Outline level heading"), properties='<w:outlineLvl w:val="2"/>')
    builder.raw(run("Body text level"), properties='<w:outlineLvl w:val="9"/>')
    assert summary(read(builder)) == [
        (K.HEADING, 2, 0, "Custom heading"),
        (K.HEADING, 3, 1, "Outline level heading"),
        (K.PARAGRAPH, None, 2, "Body text level"),
    ]


# -- errors -------------------------------------------------------------------------------------


def test_bytes_that_are_not_a_zip_are_corrupt() -> None:
    with pytest.raises(CorruptFileError, match="not a ZIP archive"):
        ingest_bytes(b"this is not a word file at all", filename="broken.docx")


def test_zip_without_main_document_part_is_corrupt() -> None:
    data = rezip(DocxBuilder().paragraph("x").bytes(), drop=["word/document.xml"])
    with pytest.raises(CorruptFileError, match=r"word/document\.xml"):
        ingest_bytes(data, filename="broken.docx")


def test_truncated_docx_is_corrupt() -> None:
    data = DocxBuilder().paragraph("Some text").bytes()
    with pytest.raises(CorruptFileError):
        ingest_bytes(data[: len(data) // 2], filename="cut.docx")


def test_broken_xml_is_corrupt() -> None:
    data = rezip(
        DocxBuilder().paragraph("x").bytes(),
        replace={"word/document.xml": b"<w:document><w:body><w:p>"},
    )
    with pytest.raises(CorruptFileError, match="broken XML"):
        ingest_bytes(data, filename="broken.docx")


def test_password_protected_docx_is_reported_as_protected() -> None:
    plain = io.BytesIO(DocxBuilder().paragraph("Secret offer").bytes())
    encrypted = io.BytesIO()
    msoffcrypto.OfficeFile(plain).encrypt("s3cret", encrypted)
    data = encrypted.getvalue()
    assert data[:4] == b"\xd0\xcf\x11\xe0"
    with pytest.raises(ProtectedFileError, match="password-protected") as caught:
        ingest_bytes(data, filename="secret.docx")
    assert caught.value.status_code == 400


def test_legacy_doc_content_under_a_docx_name_gets_the_save_as_hint() -> None:
    # An OLE compound file whose directory names a "WordDocument" stream, as every .doc has.
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "WordDocument".encode("utf-16-le")
    with pytest.raises(UnsupportedFormatError, match=r"Save As > Word Document \(\.docx\)"):
        ingest_bytes(data, filename="renamed.docx")


def test_zip_bomb_is_refused_before_decompression() -> None:
    huge = bytes(3_000_000)
    data = rezip(DocxBuilder().paragraph("x").bytes(), add={"word/media/huge.bin": huge})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = sum(member.file_size for member in archive.infolist())
    assert len(data) < 100_000
    assert declared > len(huge)
    limits = IngestLimits(max_unpacked_bytes=2_000_000)
    with pytest.raises(TooLargeError, match=r"more than the limit of 2,000,000 bytes") as caught:
        ingest_bytes(data, filename="bomb.docx", limits=limits)
    assert f"unpacks to {declared:,} bytes" in caught.value.message


def test_docx_with_only_empty_or_blank_paragraphs_is_empty() -> None:
    builder = DocxBuilder().paragraph("").paragraph("   \t ").table([["", " "]])
    with pytest.raises(EmptyDocumentError, match="no text"):
        read(builder)


def test_ingest_docx_alone_returns_a_blockless_document_for_empty_files() -> None:
    document = ingest_docx(DocxBuilder().paragraph("").bytes(), max_unpacked_bytes=10**8)
    assert document.blocks == ()


def test_broken_content_types_is_a_corrupt_file() -> None:
    """Without the styles part's type, python-docx raises AttributeError deep inside."""
    import io
    import re
    import zipfile

    from docx import Document as WordDocument

    from compliance_assistant.errors import CorruptFileError
    from compliance_assistant.ingest import ingest_bytes

    original = io.BytesIO()
    word = WordDocument()
    word.add_paragraph("Hello")
    word.save(original)
    broken = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(original.getvalue())) as source,
        zipfile.ZipFile(broken, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = re.sub(rb'<Override PartName="/word/styles.xml"[^>]*/>', b"", data)
            target.writestr(item, data)
    with pytest.raises(CorruptFileError, match="not a valid Word document"):
        ingest_bytes(broken.getvalue(), filename="broken.docx")
