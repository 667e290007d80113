"""PDF ingestion: pages, paragraphs, columns, running headers, hyphenation, errors."""

from __future__ import annotations

import io

import pytest
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from PIL import Image

from compliance_assistant.engine.document import BlockKind, Document
from compliance_assistant.errors import (
    CorruptFileError,
    EmptyDocumentError,
    ProtectedFileError,
    TooLargeError,
)
from compliance_assistant.ingest import IngestLimits, NoTextLayerError, ingest_bytes
from compliance_assistant.ingest.pdf import join_lines

from .builders import LOREM, new_pdf, pdf_bytes, write_lines, write_paragraph

K = BlockKind


def read(pdf: FPDF, **kwargs: object) -> Document:
    return ingest_bytes(pdf_bytes(pdf), filename="brochure.pdf", **kwargs)  # type: ignore[arg-type]


def summary(document: Document) -> list[tuple[BlockKind, int | None, int | None, str]]:
    return [(b.kind, b.level, b.page, document.text[b.start : b.end]) for b in document.blocks]


def one_page(*paragraphs: str) -> FPDF:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_y(30)
    for text in paragraphs:
        write_paragraph(pdf, text)
    return pdf


def test_multi_page_document_has_pages_headings_and_no_running_headers() -> None:
    pdf = new_pdf()
    for page in (1, 2, 3):
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.set_xy(20, 10)
        pdf.cell(0, 5, "Flex Bank - Savings brochure")
        pdf.set_xy(20, 284)
        pdf.cell(0, 5, f"Page {page} of 3")
        pdf.set_y(30)
        if page == 1:
            write_paragraph(pdf, "Savings made simple", size=20)
        write_paragraph(pdf, f"Section {page}", size=15)
        write_paragraph(pdf, f"Page {page} opens with this. {LOREM}")
        write_paragraph(pdf, f"Closing words of page {page}.")
    document = read(pdf)
    assert summary(document) == [
        (K.HEADING, 1, 1, "Savings made simple"),
        (K.HEADING, 2, 1, "Section 1"),
        (K.PARAGRAPH, None, 1, f"Page 1 opens with this. {LOREM}"),
        (K.PARAGRAPH, None, 1, "Closing words of page 1."),
        (K.HEADING, 2, 2, "Section 2"),
        (K.PARAGRAPH, None, 2, f"Page 2 opens with this. {LOREM}"),
        (K.PARAGRAPH, None, 2, "Closing words of page 2."),
        (K.HEADING, 2, 3, "Section 3"),
        (K.PARAGRAPH, None, 3, f"Page 3 opens with this. {LOREM}"),
        (K.PARAGRAPH, None, 3, "Closing words of page 3."),
    ]
    assert document.title == "Savings made simple"
    assert document.source_format == "pdf"
    assert "brochure" not in document.text


def test_single_page_keeps_its_margin_lines() -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_xy(20, 10)
    pdf.cell(0, 5, "Flex Bank - Savings brochure")
    pdf.set_y(30)
    write_paragraph(pdf, "Body text.")
    assert [text for *_, text in summary(read(pdf))] == [
        "Flex Bank - Savings brochure",
        "Body text.",
    ]


def test_two_column_page_is_read_column_by_column() -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_y(25)
    write_paragraph(pdf, "Two accounts compared", size=18)
    top = pdf.get_y()
    for x, label in ((20, "LEFT"), (110, "RIGHT")):
        pdf.set_left_margin(x)
        pdf.set_y(top)
        write_paragraph(pdf, f"{label} ONE. {LOREM}", x=x, width=80)
        write_paragraph(pdf, f"{label} TWO. {LOREM}", x=x, width=80)
    pdf.set_left_margin(20)
    pdf.set_y(220)
    write_paragraph(pdf, f"Full width closing paragraph. {LOREM}")
    assert [text.split(".")[0] for *_, text in summary(read(pdf))] == [
        "Two accounts compared",
        "LEFT ONE",
        "LEFT TWO",
        "RIGHT ONE",
        "RIGHT TWO",
        "Full width closing paragraph",
    ]


def test_paragraph_flowing_into_the_next_column_stays_one_paragraph() -> None:
    pdf = new_pdf()
    pdf.add_page()
    left = [
        "The account pays interest every",
        "month on the whole balance and",
        "there are no fees for transfers",
    ]
    right = [
        "between your own accounts at any",
        "time of the day.",
        "A second paragraph starts here.",
    ]
    for x, lines in ((20, left), (110, right)):
        pdf.set_left_margin(x)
        pdf.set_y(40)
        write_lines(pdf, lines, x=x)
    assert [text for *_, text in summary(read(pdf))] == [
        "The account pays interest every month on the whole balance and there are no fees for "
        "transfers between your own accounts at any time of the day.",
        "A second paragraph starts here.",
    ]


def test_short_sentence_end_line_closes_a_paragraph_without_a_gap() -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_y(30)
    write_lines(
        pdf,
        [
            "This first paragraph fills the whole width of the line and then it",
            "ends here.",
            "The second paragraph follows directly, without any extra spacing",
            "between them.",
        ],
        gap_after=0,
    )
    assert [text for *_, text in summary(read(pdf))] == [
        "This first paragraph fills the whole width of the line and then it ends here.",
        "The second paragraph follows directly, without any extra spacing between them.",
    ]


def test_line_end_hyphens_are_removed_between_word_parts() -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_y(30)
    write_lines(
        pdf,
        [
            "Our award-winning service is com-",
            "pletely digital and well-",
            "Known for its 2023-",
            "2024 results.",
        ],
    )
    assert [text for *_, text in summary(read(pdf))] == [
        "Our award-winning service is completely digital and well- Known for its 2023- 2024 "
        "results."
    ]


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["com-", "pletely"], "completely"),
        (["re-", "Apply"], "re- Apply"),
        (["2023-", "2024"], "2023- 2024"),
        (["  spaced  ", " out "], "spaced out"),
        (["soft\u00adhyphen"], "soft\u00adhyphen"),
    ],
)
def test_join_lines(lines: list[str], joined: str) -> None:
    assert join_lines(lines) == joined


def test_bullets_become_list_items() -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_y(30)
    write_paragraph(pdf, "What you get:")
    write_lines(
        pdf,
        ["- Instant access to your money", "- No monthly fee", "- Interest paid monthly"],
        gap_after=0,
    )
    assert summary(read(pdf)) == [
        (K.PARAGRAPH, None, 1, "What you get:"),
        (K.LIST_ITEM, None, 1, "- Instant access to your money"),
        (K.LIST_ITEM, None, 1, "- No monthly fee"),
        (K.LIST_ITEM, None, 1, "- Interest paid monthly"),
    ]


def test_accented_and_symbol_text_has_exact_offsets() -> None:
    texts = ["Café crème costs €3 – “quoted” price, naïve façade.", "Zoë’s Ærø offer: 5 °C ±1."]
    document = read(one_page(*texts))
    assert [document.text[b.start : b.end] for b in document.blocks] == texts


def test_password_protected_pdf_is_protected() -> None:
    pdf = one_page(LOREM)
    pdf.set_encryption(
        owner_password="owner", user_password="reader", encryption_method=EncryptionMethod.AES_128
    )
    with pytest.raises(ProtectedFileError, match="password-protected"):
        read(pdf)


def test_pdf_with_only_an_owner_password_is_readable() -> None:
    pdf = one_page(LOREM)
    pdf.set_encryption(owner_password="owner", encryption_method=EncryptionMethod.RC4)
    assert read(pdf).text == LOREM


def test_scanned_pdf_says_ocr_is_not_supported() -> None:
    image = io.BytesIO()
    Image.new("RGB", (300, 400), "white").save(image, format="PNG")
    pdf = new_pdf()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=190)
    with pytest.raises(NoTextLayerError, match=r"OCR\) is not supported") as caught:
        read(pdf)
    assert caught.value.status_code == 422


def test_blank_pdf_is_empty() -> None:
    pdf = new_pdf()
    pdf.add_page()
    with pytest.raises(EmptyDocumentError):
        read(pdf)


def test_truncated_pdf_is_corrupt() -> None:
    data = pdf_bytes(one_page(LOREM))
    with pytest.raises(CorruptFileError, match="truncated"):
        ingest_bytes(data[: len(data) * 2 // 3], filename="cut.pdf")


def test_malformed_pdf_is_corrupt() -> None:
    with pytest.raises(CorruptFileError, match="malformed"):
        ingest_bytes(b"%PDF-1.7\n1 0 obj << /Broken \n%%EOF\n", filename="bad.pdf")


def test_pdf_extension_without_pdf_content_is_corrupt() -> None:
    with pytest.raises(CorruptFileError, match="PDF header"):
        ingest_bytes(b"Just some text that claims to be a PDF.", filename="fake.pdf")


def test_reading_stops_once_the_character_limit_is_passed() -> None:
    pdf = new_pdf()
    for _ in range(4):
        pdf.add_page()
        pdf.set_y(30)
        for _ in range(5):
            write_paragraph(pdf, LOREM)
    limits = IngestLimits(max_chars=1_000)
    with pytest.raises(TooLargeError, match=r"more than 1,000 characters") as caught:
        read(pdf, limits=limits)
    assert "in the first 2 of 4 pages" in caught.value.message


def test_table_rows_become_tab_separated_paragraphs() -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_y(30)
    write_paragraph(pdf, "Our rates are variable.")
    with pdf.table(col_widths=(60, 50, 40), text_align="LEFT") as table:
        for row in (
            ("Balance", "Rate (AER)", "Paid"),
            ("€1 – €24,999", "3.10%", "Monthly"),
            ("€25,000 and above", "3.25%", "Monthly"),
        ):
            cells = table.row()
            for text in row:
                cells.cell(text)
    pdf.ln(6)
    write_paragraph(pdf, "Rates may change.")
    assert [text for *_, text in summary(read(pdf))] == [
        "Our rates are variable.",
        "Balance\tRate (AER)\tPaid",
        "€1 – €24,999\t3.10%\tMonthly",
        "€25,000 and above\t3.25%\tMonthly",
        "Rates may change.",
    ]


def test_footnotes_are_recognised_and_reference_marks_dropped() -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_y(30)
    body = "Earn 3.10% AER variable."
    pdf.set_font("Helvetica", size=11)
    width = pdf.get_string_width(body)
    pdf.set_xy(20, 30)
    pdf.cell(width, 6, body)
    # The reference mark: smaller and raised, right after the full stop.
    pdf.set_font("Helvetica", size=7)
    pdf.set_xy(20 + width, 29)
    pdf.cell(3, 4, "1")
    pdf.set_y(60)
    write_paragraph(pdf, "Interest is paid monthly into your account.")
    pdf.set_font("Helvetica", size=6)
    pdf.set_xy(20, 270)
    pdf.cell(3, 3, "1")
    pdf.set_font("Helvetica", size=8)
    pdf.set_xy(23, 270.8)
    pdf.cell(0, 4, "AER is the Annual Equivalent Rate.")
    document = read(pdf)
    assert summary(document) == [
        (K.PARAGRAPH, None, 1, "Earn 3.10% AER variable."),
        (K.PARAGRAPH, None, 1, "Interest is paid monthly into your account."),
        (K.FOOTNOTE, None, 1, "AER is the Annual Equivalent Rate."),
    ]
