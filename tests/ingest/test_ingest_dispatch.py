"""The ingestion entry points: format detection, titles, limits and error messages."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import msoffcrypto
import pytest

from compliance_assistant.engine.document import BlockKind
from compliance_assistant.errors import (
    EmptyDocumentError,
    InputError,
    ProtectedFileError,
    TooLargeError,
    UnsupportedFormatError,
)
from compliance_assistant.ingest import (
    SUPPORTED_EXTENSIONS,
    IngestLimits,
    ingest_bytes,
    ingest_file,
    ingest_text,
)
from compliance_assistant.ingest.sniff import detect_format

from .builders import LOREM, DocxBuilder, new_pdf, pdf_bytes, write_paragraph

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKDOWN = "# Flex Saver\n\nEarn **3.1% AER** on every euro.\n\n- Instant access\n"
HTML = "<!DOCTYPE html><html><body><h1>Flex Saver</h1><p>Earn 3.1% AER.</p></body></html>"


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return DocxBuilder().heading("Flex Saver", 1).paragraph("Earn 3.1% AER.").bytes()


@pytest.fixture(scope="module")
def pdf_data() -> bytes:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_y(30)
    write_paragraph(pdf, LOREM)
    return pdf_bytes(pdf)


def test_supported_extensions() -> None:
    assert set(SUPPORTED_EXTENSIONS) == {
        ".docx",
        ".pdf",
        ".md",
        ".markdown",
        ".html",
        ".htm",
        ".txt",
    }


def test_ingest_file_reads_every_format(tmp_path: Path, docx_bytes: bytes, pdf_data: bytes) -> None:
    files = {
        "offer.docx": docx_bytes,
        "offer.pdf": pdf_data,
        "offer.md": MARKDOWN.encode(),
        "offer.markdown": MARKDOWN.encode(),
        "offer.html": HTML.encode(),
        "offer.htm": HTML.encode(),
        "offer.txt": b"Earn 3.1% AER.\n\nInstant access.",
    }
    formats = {}
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        document = ingest_file(path)
        assert document.source_name == name
        assert document.blocks
        formats[name] = (document.source_format, document.title)
    assert formats == {
        "offer.docx": ("docx", "Flex Saver"),
        "offer.pdf": ("pdf", "offer"),
        "offer.md": ("markdown", "Flex Saver"),
        "offer.markdown": ("markdown", "Flex Saver"),
        "offer.html": ("html", "Flex Saver"),
        "offer.htm": ("html", "Flex Saver"),
        "offer.txt": ("text", "offer"),
    }


def test_markdown_and_html_text_go_to_their_ingesters() -> None:
    markdown = ingest_text(MARKDOWN, format="markdown")
    assert [(b.kind, markdown.block_text(b)) for b in markdown.blocks] == [
        (BlockKind.HEADING, "Flex Saver"),
        (BlockKind.PARAGRAPH, "Earn 3.1% AER on every euro."),
        (BlockKind.LIST_ITEM, "Instant access"),
    ]
    html = ingest_text(HTML, format="html", title="Given title")
    assert html.source_format == "html"
    assert html.title == "Given title"
    assert html.text == "Flex Saver\nEarn 3.1% AER."


def test_plain_text_has_no_title_unless_given() -> None:
    assert ingest_text("Some text.").title is None
    assert ingest_text("Some text.", title="Pasted").title == "Pasted"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (DOCX_TYPE, "docx"),
        ("application/pdf", "pdf"),
        ("text/markdown; charset=utf-8", "markdown"),
        ("text/html", "html"),
        ("application/xhtml+xml", "html"),
        ("text/plain", "text"),
    ],
)
def test_content_type_decides_without_an_extension(content_type: str, expected: str) -> None:
    assert detect_format(b"anything", filename="upload", content_type=content_type) == expected


def test_extension_wins_over_content_type() -> None:
    assert detect_format(b"# x", filename="a.md", content_type="text/plain") == "markdown"


def test_sniffing_when_nothing_is_declared(docx_bytes: bytes, pdf_data: bytes) -> None:
    assert detect_format(pdf_data) == "pdf"
    assert detect_format(b"\n\n  junk " + pdf_data) == "pdf"
    assert detect_format(docx_bytes, content_type="application/octet-stream") == "docx"
    assert detect_format(HTML.encode()) == "html"
    assert detect_format(b"  <!-- c --><p>Hello</p>") == "html"
    assert detect_format(MARKDOWN.encode()) == "markdown"
    assert detect_format(b"Intro with a [link](https://example.com).") == "markdown"
    assert detect_format(b"Just a sentence. And 3 < 4 > 2.") == "text"


def test_ingest_bytes_sniffs_uploads(docx_bytes: bytes, pdf_data: bytes) -> None:
    assert ingest_bytes(docx_bytes).source_format == "docx"
    assert ingest_bytes(pdf_data, content_type="application/octet-stream").source_format == "pdf"
    assert ingest_bytes(MARKDOWN.encode()).title == "Flex Saver"


def test_unknown_extension_lists_the_supported_formats() -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        ingest_bytes(b"{\\rtf1 hello}", filename="letter.rtf")
    message = caught.value.message
    assert message.startswith(
        "Unsupported file type: a '.rtf' file is not a supported document format."
    )
    assert all(extension in message for extension in SUPPORTED_EXTENSIONS)
    assert caught.value.status_code == 415


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [("old.doc", None), ("OLD.DOC", None), ("upload", "application/msword")],
)
def test_legacy_doc_gets_a_save_as_docx_hint(filename: str, content_type: str | None) -> None:
    with pytest.raises(UnsupportedFormatError, match=r"Save As > Word Document \(\.docx\)"):
        ingest_bytes(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", filename=filename, content_type=content_type
        )


def test_sniffed_encrypted_office_file_is_protected(docx_bytes: bytes) -> None:
    encrypted = io.BytesIO()
    msoffcrypto.OfficeFile(io.BytesIO(docx_bytes)).encrypt("pw", encrypted)
    with pytest.raises(ProtectedFileError, match="Encrypt with Password"):
        ingest_bytes(encrypted.getvalue())


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"),
        (b"\x00\x01\x02\x03binary", None),
    ],
)
def test_unrecognised_content_is_unsupported(data: bytes, content_type: str | None) -> None:
    with pytest.raises(UnsupportedFormatError, match="is not a supported document format"):
        ingest_bytes(data, content_type=content_type)


def test_zip_that_is_not_a_word_document_is_unsupported() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedFormatError):
        ingest_bytes(buffer.getvalue())


def test_byte_limit_is_checked_before_parsing() -> None:
    limits = IngestLimits(max_bytes=1_000)
    # Garbage: had it been parsed, this would be a CorruptFileError.
    with pytest.raises(TooLargeError) as caught:
        ingest_bytes(b"\x00" * 2_000, filename="big.docx", limits=limits)
    message = caught.value.message
    assert "(2,000 bytes)" in message
    assert "limit of 0.0 MB (1,000 bytes)" in message
    assert caught.value.status_code == 413


def test_file_size_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 5_000)
    with pytest.raises(TooLargeError, match=r"\(5,000 bytes\), more than the limit"):
        ingest_file(path, limits=IngestLimits(max_bytes=4_999))


def test_character_limit_is_checked_after_extraction(docx_bytes: bytes) -> None:
    # The .docx package is many kilobytes but holds only 25 characters of text.
    assert (
        len(ingest_bytes(docx_bytes, filename="a.docx", limits=IngestLimits(max_chars=100)).text)
        == 25
    )
    with pytest.raises(TooLargeError, match="25 characters of text, more than the limit of 10"):
        ingest_bytes(docx_bytes, filename="a.docx", limits=IngestLimits(max_chars=10))
    with pytest.raises(TooLargeError, match="more than the limit of 3"):
        ingest_text("abcd", limits=IngestLimits(max_chars=3))


def test_missing_file_and_folder_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        ingest_file(tmp_path / "nope.docx")
    with pytest.raises(InputError, match="is a folder"):
        ingest_file(tmp_path)


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"", "empty.txt"),
        (b"  \n\t\n", "blank.txt"),
        (b"", "empty.md"),
        (b"<html><body> </body></html>", "blank.html"),
    ],
)
def test_empty_inputs_are_empty_documents(data: bytes, filename: str) -> None:
    with pytest.raises(EmptyDocumentError) as caught:
        ingest_bytes(data, filename=filename)
    assert caught.value.status_code == 422
    assert "Add the article text" in caught.value.message


def test_other_legacy_office_files_are_unsupported() -> None:
    # An OLE compound file that is neither an encrypted package nor a Word document (.xls).
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le")
    with pytest.raises(UnsupportedFormatError, match="this legacy Microsoft Office file"):
        ingest_bytes(data)
