"""Plain text: decoding, newline normalisation, paragraphs, source positions."""

from __future__ import annotations

import codecs

import pytest

from compliance_assistant.engine.document import BlockKind, Document
from compliance_assistant.errors import CorruptFileError, EmptyDocumentError, UnsupportedFormatError
from compliance_assistant.ingest import ingest_bytes, ingest_text
from compliance_assistant.ingest.text import decode_text, ingest_plain_text, normalise_text


def texts(document: Document) -> list[str]:
    return [document.text[b.start : b.end] for b in document.blocks]


def test_paragraphs_split_on_blank_lines_and_keep_inner_line_breaks() -> None:
    source = "  Save more today.  \nInstant access.\n\n \t\nNo fees, ever!\n\n\n  Terms apply."
    document = ingest_plain_text(source, source_name="ad.txt")
    assert texts(document) == [
        "Save more today.  \nInstant access.",
        "No fees, ever!",
        "Terms apply.",
    ]
    assert [b.kind for b in document.blocks] == [BlockKind.PARAGRAPH] * 3
    assert [b.source_index for b in document.blocks] == [0, 4, 7]
    assert document.source_text == source
    assert document.source_format == "text"


def test_crlf_and_cr_become_lf_and_locations_follow_the_file() -> None:
    document = ingest_text("Title line\r\n\r\nFirst para\r\nsecond line\rthird line\r\n\r\nLast")
    assert document.text == "Title line\nFirst para\nsecond line\nthird line\nLast"
    assert "\r" not in (document.source_text or "")
    assert texts(document) == ["Title line", "First para\nsecond line\nthird line", "Last"]
    last = document.blocks[-1]
    location = document.location(last.start + 2)
    assert (location.line, location.column) == (7, 3)
    second_line = document.text.index("second")
    assert document.location(second_line).model_dump() == {"line": 4, "column": 1}


def test_offsets_and_columns_are_code_points_for_non_ascii_text() -> None:
    paragraphs = ["Café 😀 offer – 中文广告", "e\u0301lite Zoë’s 👩‍👩‍👧 deal", "Ｎｏ.１ rate"]
    document = ingest_text("\n\n".join(paragraphs))
    assert texts(document) == paragraphs
    rate = document.text.index("rate")
    assert document.location(rate).model_dump() == {"line": 5, "column": 6}
    emoji = document.text.index("😀")
    assert document.location(emoji).column == 6


def test_utf8_bom_is_removed_from_bytes_and_strings() -> None:
    from_bytes = ingest_bytes(codecs.BOM_UTF8 + "Grüße\n\nTschüss".encode(), filename="a.txt")
    from_string = ingest_text("\ufeffGrüße\n\nTschüss")
    assert texts(from_bytes) == texts(from_string) == ["Grüße", "Tschüss"]
    assert from_bytes.blocks[0].start == 0
    assert from_bytes.location(0).model_dump() == {"line": 1, "column": 1}


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom_are_decoded(codec: str) -> None:
    text = "Zinsen 3 % p.a. – 😀\r\n\r\nGebühren: keine"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    document = ingest_bytes(data, filename="brief.txt")
    assert texts(document) == ["Zinsen 3 % p.a. – 😀", "Gebühren: keine"]


def test_windows_1252_is_the_fallback() -> None:
    data = "Caf\u00e9 \u20ac5 \u201cbest\u201d".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode_text(data) == "Café €5 “best”"


def test_bom_that_lies_about_the_encoding_is_corrupt() -> None:
    with pytest.raises(CorruptFileError, match="UTF-8 byte-order mark"):
        decode_text(codecs.BOM_UTF8 + b"\xff\xfe\xfa broken")


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(100),
        b"text with a \x00 NUL byte in it",
        bytes(range(1, 32)) * 10,
        b"\x81\x8d\x8f\x90\x9d not cp1252",
    ],
    ids=["png", "nul", "control-characters", "undefined-cp1252"],
)
def test_binary_data_is_not_text(data: bytes) -> None:
    with pytest.raises(UnsupportedFormatError, match="does not contain text") as caught:
        ingest_bytes(data, filename="notes.txt")
    assert ".docx" in caught.value.message


def test_normalise_text_contract() -> None:
    assert normalise_text("\ufeffa\r\nb\rc\n") == "a\nb\nc\n"


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\r\n", "\ufeff \u00a0 "])
def test_empty_or_whitespace_text_is_an_empty_document(text: str) -> None:
    with pytest.raises(EmptyDocumentError, match="no text to check"):
        ingest_text(text)
