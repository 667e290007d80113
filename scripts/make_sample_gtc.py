"""Write the sample GTC library in samples/gtc/ as PDFs made with fpdf2.

    .venv/bin/python scripts/make_sample_gtc.py            # (re)write the PDFs
    .venv/bin/python scripts/make_sample_gtc.py --check    # exit 1 if a PDF is stale

The PDFs are made by a different library (fpdf2) than the one that reads them (pdfplumber), so
clause extraction is tested on layout it did not produce itself: running headers and footers,
numbered sections, fee tables with ruled cells, two-column pages, superscript footnote
markers with footnotes at the foot of the page, and clauses that run across a page break.
Output is reproducible (fixed creation date and document id). The metadata of the library is
``samples/gtc/gtc-library.yaml`` (written by hand, not by this script).

Tests import :class:`GtcPdf` and the block types to build their own edge-case PDFs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

LIBRARY = Path(__file__).resolve().parent.parent / "samples" / "gtc"
CREATED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
BODY_SIZE = 10.0
LINE = 5.0


@dataclass(frozen=True)
class Para:
    """A paragraph; ``[^1]`` in the text becomes a superscript footnote marker."""

    text: str


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()


@dataclass(frozen=True)
class Columns:
    """Two columns side by side, read left column first."""

    left: tuple[Para | Heading, ...]
    right: tuple[Para | Heading, ...]


@dataclass(frozen=True)
class NearBottom:
    """Move down so that only ``lines`` body lines fit before the page break."""

    lines: int = 2


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Para | Heading | Table | Columns | NearBottom | PageBreak


@dataclass
class GtcSpec:
    title: str
    running_header: str
    blocks: Sequence[Block]
    footnotes: dict[str, str] = field(default_factory=dict)


class GtcPdf(FPDF):
    """An A4 GTC document: running header and footer, footnotes at the foot of the page."""

    def __init__(self, spec: GtcSpec) -> None:
        super().__init__(format="A4")
        self.spec = spec
        self.core_fonts_encoding = "windows-1252"
        self.set_auto_page_break(auto=True, margin=32)
        self.set_margins(20, 20, 20)
        self.set_creation_date(CREATED)
        self.set_title(spec.title)
        self.set_producer("make_sample_gtc")
        self._notes_on_page: dict[int, list[str]] = {}

    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.set_y(10)
        self.cell(0, 4, self.spec.running_header, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(20)
        self.set_font("Helvetica", size=BODY_SIZE)

    def footer(self) -> None:
        notes = self._notes_on_page.get(self.page_no(), [])
        if notes:
            self.set_y(-30)
            self.set_font("Helvetica", size=7)
            for key in notes:
                self.multi_cell(
                    0, 3.5, f"{key} {self.spec.footnotes[key]}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
                )
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="C")

    # -- blocks -----------------------------------------------------------------------------

    def render(self) -> bytes:
        self.add_page()
        self.set_font("Helvetica", style="B", size=16)
        self.multi_cell(0, 8, self.spec.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)
        for block in self.spec.blocks:
            self._block(block)
        return bytes(self.output())

    def _block(self, block: Block) -> None:
        if isinstance(block, Heading):
            self._heading(block)
        elif isinstance(block, Para):
            self._para(block)
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, Columns):
            self._columns(block)
        elif isinstance(block, NearBottom):
            self.set_y(self.page_break_trigger - block.lines * LINE - 1)
        else:
            self.add_page()

    def _heading(self, block: Heading) -> None:
        if self.get_y() > self.page_break_trigger - 3 * LINE:
            self.add_page()
        self.ln(2)
        self.set_font("Helvetica", style="B", size=12.5)
        self.multi_cell(0, 6.5, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.set_font("Helvetica", size=BODY_SIZE)

    def _para(self, block: Para) -> None:
        self.set_font("Helvetica", size=BODY_SIZE)
        self.set_x(self.l_margin)
        pieces = block.text.split("[^")
        self.write(LINE, pieces[0])
        for piece in pieces[1:]:
            key, _, rest = piece.partition("]")
            self.char_vpos = "SUP"
            self.write(LINE, key)
            self.char_vpos = "LINE"
            self._notes_on_page.setdefault(self.page_no(), []).append(key)
            self.write(LINE, rest)
        self.ln(LINE)
        self.ln(1.5)

    def _table(self, block: Table) -> None:
        self.set_font("Helvetica", size=9)
        widths = block.widths or tuple(170 / len(block.header) for _ in block.header)
        with self.table(
            col_widths=widths, text_align="LEFT", line_height=5.5, first_row_as_headings=True
        ) as table:
            for cells in (block.header, *block.rows):
                row = table.row()
                for cell in cells:
                    row.cell(cell)
        self.ln(2)
        self.set_font("Helvetica", size=BODY_SIZE)

    def _columns(self, block: Columns) -> None:
        gutter = 10.0
        width = (self.w - self.l_margin - self.r_margin - gutter) / 2
        left_margin, right_margin = self.l_margin, self.r_margin
        top = self.get_y()
        self.set_left_margin(left_margin)
        self.set_right_margin(self.w - left_margin - width)
        for item in block.left:
            self._block(item)
        left_end = self.get_y()
        self.set_left_margin(left_margin + width + gutter)
        self.set_right_margin(right_margin)
        self.set_xy(left_margin + width + gutter, top)
        for item in block.right:
            self._block(item)
        right_end = self.get_y()
        self.set_left_margin(left_margin)
        self.set_right_margin(right_margin)
        self.set_xy(left_margin, max(left_end, right_end))


def render(spec: GtcSpec) -> bytes:
    return GtcPdf(spec).render()


SAMPLES: dict[str, GtcSpec] = {}

SAMPLES["northbank-easy-saver.pdf"] = GtcSpec(
    title="Easy Saver Account - General Terms and Conditions",
    running_header="Northbank plc | Easy Saver General Terms and Conditions | Version 3.0",
    footnotes={
        "1": "AER stands for Annual Equivalent Rate. It shows what the interest rate would be "
        "if interest was paid and compounded once each year.",
        "2": "Balances are measured at close of business on the last working day of the month.",
    },
    blocks=(
        Heading("1. About these terms"),
        Para(
            '1.1 These terms apply to the Easy Saver savings account (the "Account") '
            "provided by Northbank plc. Together with the Account Schedule they form our "
            "agreement with you."
        ),
        Para("1.2 We will communicate with you in English."),
        Heading("2. Eligibility"),
        Para("2.1 You must be aged 18 or over and resident in Ireland to open an Account."),
        Para("2.2 The minimum opening deposit is €1. The maximum balance is €250,000."),
        Heading("3. Interest"),
        Para(
            "3.1 The interest rate is 3.10% AER (variable)[^1]. Interest is calculated daily "
            "on the cleared balance and paid monthly."
        ),
        Para(
            "3.2 We may change the interest rate. If we lower it we will give you at least two "
            "weeks' notice before the change takes effect."
        ),
        Heading("4. Fees and charges"),
        Para("4.1 The following fees apply to the Account:"),
        Table(
            header=("Fee", "Amount", "When charged"),
            rows=(
                ("Monthly account fee", "€5.00", "per month"),
                ("Paper statement", "€2.50", "per statement"),
                ("CHAPS transfer", "€25.00", "per transfer"),
            ),
            widths=(70, 40, 60),
        ),
        Para(
            "4.2 The monthly account fee is waived in any month in which your balance is at "
            "least €10,000[^2]."
        ),
        NearBottom(lines=2),
        Para(
            "4.3 All fees include VAT where VAT applies. We take fees from the Account on the "
            "last business day of the period they relate to, and we show each fee as a "
            "separate entry on your statement. If the balance is not enough to pay a fee, we "
            "take what is available and the rest when you next pay money in."
        ),
        Heading("5. Withdrawals"),
        Para(
            "5.1 You must give us 30 days' notice before each withdrawal. You can give notice "
            "in the app, by phone or in a branch, and you can cancel a notice at any point "
            "before it ends. We pay the amount you asked for into your nominated account "
            "when the notice period ends, and we will tell you by message on the day the "
            "payment is made. If the notice period ends on a day that is not a business day, "
            "we pay on the next business day."
        ),
        Columns(
            left=(
                Para(
                    "5.2 You may make a maximum of 3 withdrawals in each calendar year. "
                    "A withdrawal request above this limit will be refused and the money "
                    "stays in the Account until the next calendar year begins."
                ),
            ),
            right=(
                Para(
                    "5.3 Withdrawals are paid only into an account in your own name "
                    "that you have told us about in advance, held with a bank in the "
                    "Single Euro Payments Area."
                ),
            ),
        ),
        Heading("6. Closing your Account"),
        Para(
            "6.1 You may close the Account by giving us 30 days' notice. We may close the "
            "Account by giving you two months' notice."
        ),
        Heading("7. Deposit protection"),
        Para(
            "7.1 Eligible deposits are protected by the Deposit Guarantee Scheme up to "
            "€100,000 per person."
        ),
    ),
)

SAMPLES["northbank-flexiloan.pdf"] = GtcSpec(
    title="FlexiLoan Personal Loan - General Terms and Conditions",
    running_header="Northbank plc | FlexiLoan General Terms and Conditions | Version 2.1",
    footnotes={
        "1": "Representative example: borrowing €10,000 over 60 months at a fixed rate of "
        "6.7% a year gives 60 monthly repayments of €196.41 and a total amount payable "
        "of €11,784.60.",
    },
    blocks=(
        Heading("1. Your agreement"),
        Para(
            "1.1 These terms apply to FlexiLoan, a fixed-sum personal loan provided by "
            "Northbank plc to consumers resident in Ireland."
        ),
        Heading("2. Borrowing"),
        Para("2.1 You can borrow from €1,000 to €25,000."),
        Para("2.2 The loan term is between 12 and 60 months."),
        Para(
            "2.3 Lending is subject to status and a credit check, and we may decline an "
            "application."
        ),
        Heading("3. Interest and the cost of credit"),
        Para(
            "3.1 Interest rates range from 3.1% to 19.9% APR depending on your circumstances "
            "and the amount you borrow. The representative APR is 6.9%[^1]."
        ),
        Para("3.2 The interest rate is fixed for the full term of the loan."),
        Heading("4. Fees"),
        Table(
            header=("Fee", "Amount"),
            rows=(
                ("Arrangement fee", "€0.00"),
                ("Late payment fee", "€25.00 per missed payment"),
                ("Early repayment fee", "1% of the amount repaid"),
            ),
            widths=(80, 90),
        ),
        Heading("5. Repaying early"),
        Columns(
            left=(
                Para(
                    "5.1 You may repay all or part of the loan early. If you do, an early "
                    "repayment fee of 1% of the amount repaid applies, or 0.5% if fewer "
                    "than 12 months of the term remain."
                ),
            ),
            right=(
                Para(
                    "5.2 To repay early, tell us in the app or by phone. We will send "
                    "you a settlement statement within 7 days of your request."
                ),
            ),
        ),
        Heading("6. Your right to withdraw"),
        NearBottom(lines=1),
        Para(
            "6.1 You may withdraw from this agreement within 14 days of signing it without "
            "giving any reason. You must repay the amount borrowed and the interest accrued "
            "from the day you received the money until the day you repay it, within 30 "
            "days of telling us that you withdraw."
        ),
    ),
)

SAMPLES["volta-fixedsaver-24.pdf"] = GtcSpec(
    title="FixedSaver 24 Energy Tariff - Terms and Conditions",
    running_header="Volta Energy Ltd | FixedSaver 24 Tariff Terms | Version 1.4",
    blocks=(
        Heading("1. The tariff"),
        Para(
            "1.1 FixedSaver 24 is a fixed-price tariff for electricity and gas supplied by "
            "Volta Energy Ltd to homes in Great Britain."
        ),
        Para(
            "1.2 Your unit rates and standing charges are fixed for 24 months from the date "
            "your supply starts."
        ),
        Heading("2. Prices"),
        Table(
            header=("Charge", "Electricity", "Gas"),
            rows=(
                ("Unit rate", "28.5p per kWh", "7.2p per kWh"),
                ("Standing charge", "45p per day", "31p per day"),
            ),
            widths=(60, 55, 55),
        ),
        Para("2.1 All prices include VAT at 5%."),
        Heading("3. Leaving the tariff"),
        Para(
            "3.1 If you switch supplier or end this tariff before the end of the fixed term, "
            "an exit fee of £75 per fuel applies."
        ),
        Para("3.2 No exit fee applies in the last 49 days of the fixed term."),
        Heading("4. Paying for your energy"),
        Para(
            "4.1 You pay by monthly Direct Debit. We review your Direct Debit every six "
            "months and may change it to match your use."
        ),
    ),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--check", action="store_true", help="report stale PDFs instead of writing them"
    )
    args = parser.parse_args(argv)
    stale: list[str] = []
    for name, spec in SAMPLES.items():
        target = LIBRARY / name
        data = render(spec)
        if args.check:
            if not target.exists() or target.read_bytes() != data:
                stale.append(name)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"wrote {target.relative_to(LIBRARY.parent.parent)}")
    if stale:
        print("stale: " + ", ".join(stale) + " (run scripts/make_sample_gtc.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
