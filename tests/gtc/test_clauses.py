"""Clause extraction from GTC PDFs made with fpdf2 (not the extractor's library), Word and
Markdown: two columns, fee tables, footnotes, running headers, clauses across page breaks."""

from __future__ import annotations

import importlib.util
import io
import sys
from types import ModuleType

import docx
import pytest
from tests.gtc.harness import ROOT

from compliance_assistant.engine.claims import Dimension, Role, extract_facts
from compliance_assistant.gtc.clauses import clauses_from_units, extract_clauses
from compliance_assistant.gtc.errors import GtcDocumentError
from compliance_assistant.gtc.models import DOCX, MARKDOWN, PDF
from compliance_assistant.gtc.pdf_units import TextUnit

FILLER = (
    "This clause sets out how the account works in practice, and every word of it is "
    "part of the agreement between you and us. "
)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_sample_gtc", ROOT / "scripts" / "make_sample_gtc.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_sample_gtc", module)
    spec.loader.exec_module(module)
    return module


gen = _script()


def pdf(*blocks: object, footnotes: dict[str, str] | None = None) -> bytes:
    return gen.render(
        gen.GtcSpec(
            title="Test Account - Terms",  # type: ignore[no-any-return]
            running_header="Test Bank | Test Account Terms | Version 9",
            blocks=blocks,
            footnotes=footnotes or {},
        )
    )


def by_section(data: bytes, content_type: str = PDF) -> dict[str, object]:
    clauses = extract_clauses(data, content_type=content_type, document_id="doc")
    return {c.section or c.heading or "": c for c in clauses}


def test_two_columns_are_read_column_by_column() -> None:
    data = pdf(
        gen.Heading("3. Withdrawals"),
        gen.Columns(
            left=(
                gen.Para("3.1 You must give us 30 days' notice before each withdrawal. " + FILLER),
                gen.Para("3.2 You may make a maximum of 3 withdrawals in each calendar year."),
            ),
            right=(
                gen.Para("3.3 Withdrawals are paid into your nominated account only. " + FILLER),
            ),
        ),
        gen.Heading("4. Closing"),
        gen.Para("4.1 You may close the account at any time."),
    )
    clauses = by_section(data)
    assert list(clauses)[:4] == ["3.1", "3.2", "3.3", "4.1"]
    first = clauses["3.1"]
    assert first.text.startswith("You must give us 30 days' notice")  # type: ignore[attr-defined]
    assert "nominated" not in first.text  # type: ignore[attr-defined]
    assert clauses["3.3"].heading == "Withdrawals"  # type: ignore[attr-defined]
    assert clauses["4.1"].heading == "Closing"  # type: ignore[attr-defined]


def test_fee_tables_become_one_line_per_row_with_their_facts() -> None:
    data = pdf(
        gen.Heading("4. Fees and charges"),
        gen.Para("4.1 These fees apply:"),
        gen.Table(
            header=("Fee", "Amount", "When charged"),
            rows=(
                ("Monthly account fee", "€5.00", "per month"),
                ("Paper statement", "€2.50", "per statement"),
            ),
        ),
        gen.Para("4.2 All fees include VAT."),
    )
    clause = by_section(data)["4.1"]
    lines = clause.text.split("\n")  # type: ignore[attr-defined]
    assert lines == [
        "These fees apply:",
        "Fee | Amount | When charged",
        "Monthly account fee | €5.00 | per month",
        "Paper statement | €2.50 | per statement",
    ]
    facts = [f for f in extract_facts([clause]) if f.quantity is not None]  # type: ignore[list-item]
    monthly = facts[0].quantity
    assert monthly is not None
    assert (monthly.dimension, monthly.role, monthly.low, monthly.period) == (
        Dimension.MONEY,
        Role.FEE,
        5.0,
        "month",
    )
    assert facts[0].quote == "Monthly account fee | €5.00 | per month"


def test_footnotes_are_clauses_of_their_own_and_markers_leave_numbers_intact() -> None:
    data = pdf(
        gen.Heading("3. Interest"),
        gen.Para(
            "3.1 The interest rate is 3.10% AER (variable)[^1]. The fee is waived "
            "when your balance is at least €10,000[^2]."
        ),
        footnotes={
            "1": "AER stands for Annual Equivalent Rate.",
            "2": "Balances are measured at close of business.",
        },
    )
    clauses = extract_clauses(data, content_type=PDF, document_id="doc")
    body = clauses[0]
    assert body.text == (
        "The interest rate is 3.10% AER (variable). The fee is waived when "
        "your balance is at least €10,000."
    )
    notes = [c for c in clauses if c.kind == "footnote"]
    assert [(n.heading, n.text) for n in notes] == [
        ("Footnote 1", "AER stands for Annual Equivalent Rate."),
        ("Footnote 2", "Balances are measured at close of business."),
    ]


def test_a_clause_across_a_page_break_is_whole_and_cites_each_page() -> None:
    second_sentence = "If the notice period ends on a holiday we pay on the next business day."
    data = pdf(
        gen.Heading("5. Withdrawals"),
        gen.Para("5.0 Notice is given in the app."),
        gen.NearBottom(lines=2),
        gen.Para("5.1 You must give us 30 days' notice. " + FILLER * 2 + second_sentence),
        gen.Para("5.2 Withdrawals are paid in euro."),
        footnotes={},
    )
    clauses = by_section(data)
    clause = clauses["5.1"]
    text = clause.text  # type: ignore[attr-defined]
    assert text.startswith("You must give us 30 days' notice.")
    assert text.endswith(second_sentence)
    assert clause.page == 1  # type: ignore[attr-defined]
    assert clause.page_at(text.index(second_sentence)) == 2  # type: ignore[attr-defined]
    assert "Test Bank" not in text
    assert "Page" not in text
    assert clauses["5.2"].page == 2  # type: ignore[attr-defined]


def test_a_number_at_the_start_of_a_continued_line_does_not_start_a_clause() -> None:
    units = [
        TextUnit("Terms", "heading", 1),
        TextUnit("5. Withdrawals", "heading", 1),
        TextUnit("5.1 You must give us", "body", 1),
        TextUnit("30 days' notice before each withdrawal.", "body", 2),
        TextUnit("5.2 We pay within 2 days.", "body", 2),
        TextUnit("6.1 You may close the account.", "body", 2),
        TextUnit("1 Footnote text.", "footnote", 1),
    ]
    clauses = clauses_from_units(units, document_id="d")
    assert [(c.section, c.text) for c in clauses] == [
        ("5.1", "You must give us 30 days' notice before each withdrawal."),
        ("5.2", "We pay within 2 days."),
        ("6.1", "You may close the account."),
        (None, "Footnote text."),
    ]
    assert clauses[0].page_starts == ((17, 2),)


def test_word_gtcs_keep_headings_numbers_and_table_rows() -> None:
    document = docx.Document()
    document.add_heading("Saver terms", level=0)
    document.add_heading("1. Fees", level=1)
    document.add_paragraph("1.1 The following fees apply.")
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(
        table.rows,
        [("Fee", "Amount"), ("Monthly fee", "€5 per month"), ("Transfer", "€1")],
        strict=True,
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("1.2 Fees include VAT.")
    buffer = io.BytesIO()
    document.save(buffer)
    clauses = by_section(buffer.getvalue(), DOCX)
    assert clauses["1.1"].text.split("\n")[0] == "The following fees apply."  # type: ignore[attr-defined]
    assert clauses["1.2"].heading == "Fees"  # type: ignore[attr-defined]


def test_markdown_gtcs() -> None:
    text = "# Terms\n\n## 2. Interest\n\n2.1 The rate is 3.1% AER.\n\n2.2 It may change.\n"
    clauses = by_section(text.encode(), MARKDOWN)
    assert clauses["2.1"].text == "The rate is 3.1% AER."  # type: ignore[attr-defined]
    assert clauses["2.2"].heading == "Interest"  # type: ignore[attr-defined]


def test_unreadable_documents_are_permanent_errors() -> None:
    with pytest.raises(GtcDocumentError):
        extract_clauses(b"%PDF-1.4 broken", content_type=PDF, document_id="d")
    with pytest.raises(GtcDocumentError, match="not supported"):
        extract_clauses(b"x", content_type="image/png", document_id="d")


def test_the_sample_pdfs_are_current() -> None:
    assert gen.main(["--check"]) == 0
