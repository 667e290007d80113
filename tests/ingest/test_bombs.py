"""Zip and XML bombs in .docx uploads are refused before python-docx or lxml read them.

Every bomb is built here, in memory, from a real python-docx document (no binary fixtures).
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from compliance_assistant.errors import CorruptFileError, InputError, TooLargeError
from compliance_assistant.ingest import IngestLimits, ingest_bytes
from compliance_assistant.ingest.zip_safety import (
    MAX_COMPRESSION_RATIO,
    MAX_PACKAGE_MEMBERS,
    RejectedFileError,
    check_package,
)

from .builders import DocxBuilder, rezip

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def plain_docx(text: str = "Fine text.") -> bytes:
    return DocxBuilder().paragraph(text).bytes()


def ratio_bomb(size: int = 40 * 1024 * 1024) -> bytes:
    """A document whose extra part is ``size`` zero bytes: deflate shrinks it ~1000-fold."""
    return rezip(plain_docx(), add={"word/media/padding.bin": bytes(size)})


def billion_laughs(levels: int = 10) -> bytes:
    """The classic entity expansion: each entity is ten copies of the one before."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels)]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<!DOCTYPE w:document [{''.join(entities)}]>\n"
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r>'
        f"<w:t>&lol{levels - 1};</w:t></w:r></w:p></w:body></w:document>"
    ).encode()


def test_highly_compressible_part_is_rejected_as_zip_bomb_without_unpacking() -> None:
    data = ratio_bomb()
    assert len(data) < 200_000  # 40 MiB of zeros in well under 200 kB
    started = time.perf_counter()
    with pytest.raises(RejectedFileError) as caught:
        ingest_bytes(data, filename="bomb.docx")
    # Only the central directory was read: no 40 MiB inflate.
    assert time.perf_counter() - started < 1.0
    error = caught.value
    assert error.code == "INPUT_REJECTED"
    assert error.status_code == 400
    assert "zip bomb" in error.message
    assert "word/media/padding.bin" in error.message
    assert f"limit {MAX_COMPRESSION_RATIO}:1" in error.message
    assert error.details == {"reason": "compression_ratio", "part": "word/media/padding.bin"}


def test_bomb_over_the_unpacked_cap_is_too_large() -> None:
    data = ratio_bomb(3 * 1024 * 1024)
    limits = IngestLimits(max_unpacked_bytes=2_000_000)
    with pytest.raises(TooLargeError, match="more than the limit of 2,000,000 bytes"):
        ingest_bytes(data, filename="bomb.docx", limits=limits)


def test_compressible_but_small_parts_are_accepted() -> None:
    # 512 KiB of zeros compress beyond the ratio, but small parts are not judged by it.
    data = rezip(plain_docx("Small padding."), add={"word/media/blank.bin": bytes(512 * 1024)})
    document = ingest_bytes(data, filename="ok.docx")
    assert document.text.strip() == "Small padding."


def test_too_many_parts_are_rejected() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", f'<w:document xmlns:w="{W_NS}"/>')
        for index in range(MAX_PACKAGE_MEMBERS):
            archive.writestr(f"word/media/p{index}.bin", b"")
    with pytest.raises(RejectedFileError, match="holds 10,001 parts") as caught:
        check_package(buffer.getvalue(), max_unpacked_bytes=10**9)
    assert caught.value.details["reason"] == "too_many_parts"


def test_nested_zip_is_rejected() -> None:
    inner = plain_docx("Inner document.")
    data = rezip(plain_docx(), add={"word/media/image1.png": inner})
    with pytest.raises(RejectedFileError, match="another ZIP archive nested") as caught:
        ingest_bytes(data, filename="nested.docx")
    assert caught.value.details == {"reason": "nested_archive", "part": "word/media/image1.png"}


def test_embedded_workbook_of_a_chart_is_allowed() -> None:
    # Word stores a chart's data as an .xlsx (a ZIP) under word/embeddings/; it is not opened.
    workbook = plain_docx("Stands in for a workbook.")
    data = rezip(
        plain_docx("Chart below."),
        add={"word/embeddings/Microsoft_Excel_Worksheet.xlsx": workbook},
    )
    assert ingest_bytes(data, filename="chart.docx").text.strip() == "Chart below."


def test_billion_laughs_in_the_main_part_is_rejected() -> None:
    data = rezip(plain_docx(), replace={"word/document.xml": billion_laughs()})
    with pytest.raises(RejectedFileError, match="XML bomb") as caught:
        ingest_bytes(data, filename="laughs.docx")
    assert caught.value.code == "INPUT_REJECTED"
    assert caught.value.details == {"reason": "xml_entities", "part": "word/document.xml"}


@pytest.mark.parametrize("part", ["word/styles.xml", "[Content_Types].xml", "_rels/.rels"])
def test_any_xml_part_with_a_dtd_is_rejected(part: str) -> None:
    with zipfile.ZipFile(io.BytesIO(plain_docx())) as archive:
        original = archive.read(part)
    declaration, _, rest = original.partition(b"?>")
    poisoned = declaration + b'?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + rest
    data = rezip(plain_docx(), replace={part: poisoned})
    with pytest.raises(RejectedFileError) as caught:
        ingest_bytes(data, filename="dtd.docx")
    assert caught.value.details == {"reason": "xml_entities", "part": part}


def test_utf16_encoded_entity_declaration_is_rejected() -> None:
    xml = billion_laughs(3).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    data = rezip(plain_docx(), replace={"word/document.xml": xml.encode("utf-16")})
    with pytest.raises(RejectedFileError, match="declares a document type"):
        ingest_bytes(data, filename="utf16.docx")


def test_non_zip_and_missing_main_part_stay_corrupt_file_errors() -> None:
    with pytest.raises(CorruptFileError, match="is not a ZIP archive"):
        check_package(b"PK\x03\x04 truncated", max_unpacked_bytes=10**6)
    data = rezip(plain_docx(), drop=["word/document.xml"])
    with pytest.raises(CorruptFileError, match="no main document part"):
        check_package(data, max_unpacked_bytes=10**6)


def test_rejections_are_input_errors() -> None:
    assert issubclass(RejectedFileError, InputError)
