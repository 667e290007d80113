"""A GTC PDF → text units in reading order (headings, paragraphs, table rows, footnotes).

pdfplumber supplies characters with positions and sizes; the ingestion package's layout code
(:mod:`compliance_assistant.ingest.pdf_layout`) puts words in reading order across columns and
groups lines into paragraphs. On top of that, for legal documents:

* ruled tables (fee tables) are read with pdfplumber's table finder, one unit per row with the
  cells joined by `` | `` — a row is one statement ("Monthly account fee | €5.00 | per month");
* superscript footnote markers are dropped from body text, so "€10,000²" does not read as
  "€10,0002";
* footnotes (small print below the body of a page, starting with a marker) become their own
  units and never interrupt a clause that continues on the next page;
* running headers and footers (margin lines repeated across pages, page numbers included)
  are dropped.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from compliance_assistant.gtc.errors import GtcDocumentError
from compliance_assistant.ingest.pdf import join_lines
from compliance_assistant.ingest.pdf_layout import Line, Word, paragraphs, reading_order

UnitKind = Literal["heading", "body", "table", "footnote"]


@dataclass(frozen=True)
class TextUnit:
    """One piece of a GTC in reading order; ``page`` is 1-based (None for Word/Markdown)."""

    text: str
    kind: UnitKind
    page: int | None = None


# Small print is at most this share of the body size; superscripts sit next to body text.
_SMALL = 0.85
_HEADING = 1.15
_MARGIN_ZONE = 0.08
_REPEAT_SHARE = 0.5
_FOOTNOTE_START = re.compile(r"^(?:\d{1,2}|[*†‡§¹²³⁴⁵⁶⁷⁸⁹])\s+\S")
_DIGITS = re.compile(r"\d+")
_CLAUSE_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,3})+\.?\s+\S|^\d{1,2}\.\s+[A-Z]")
# Where a dropped superscript marker stood: "(variable) ." → "(variable)."
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+(?=[.,;:!?)](?:\s|$))")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d+(?:\s*(?:of|/)\s*\d+)?$", re.IGNORECASE)
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "\u00ad": ""})


@dataclass
class _Page:
    number: int
    height: float
    lines: list[Line]
    tables: list[tuple[float, list[str]]]  # (top, rows)


def read_pdf_units(data: bytes) -> list[TextUnit]:
    """Units of a GTC PDF. Raises :class:`GtcDocumentError` for unreadable files."""
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            body_size = _body_size(pdf.pages)
            pages = [
                _read_page(page, number, body_size)
                for number, page in enumerate(pdf.pages, start=1)
            ]
    except (
        PdfminerException,
        MalformedPDFException,
        PDFSyntaxError,
        ValueError,
        KeyError,
        TypeError,
    ) as exc:
        raise GtcDocumentError(f"the GTC PDF cannot be read ({type(exc).__name__})") from None
    _drop_running_lines(pages, body_size)
    units: list[TextUnit] = []
    for page in pages:
        units.extend(_page_units(page, body_size))
    return units


def _body_size(pages: Iterable[Any]) -> float:
    sizes: Counter[float] = Counter()
    for page in pages:
        for char in page.chars:
            if str(char.get("text", "")).strip():
                sizes[round(float(char["size"]), 1)] += 1
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _read_page(page: Any, number: int, body_size: float) -> _Page:
    tables = page.find_tables()
    boxes = [table.bbox for table in tables]
    table_rows = [(float(table.bbox[1]), _rows(table.extract())) for table in tables]
    superscripts = _superscripts(page.chars, body_size)

    def keep(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        if id(obj) in superscripts:
            return False
        middle_x = (float(obj["x0"]) + float(obj["x1"])) / 2
        middle_y = (float(obj["top"]) + float(obj["bottom"])) / 2
        return not any(
            x0 <= middle_x <= x1 and top <= middle_y <= bottom for x0, top, x1, bottom in boxes
        )

    raw_words = page.filter(keep).extract_words(
        keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"]
    )
    words = [
        Word(
            text=str(w["text"]).translate(_LIGATURES),
            x0=float(w["x0"]),
            x1=float(w["x1"]),
            top=float(w["top"]),
            bottom=float(w["bottom"]),
            size=float(w["size"]),
        )
        for w in raw_words
    ]
    return _Page(
        number=number,
        height=float(page.height),
        lines=_banded_reading_order(words, body_size),
        tables=table_rows,
    )


def _banded_reading_order(words: list[Word], body_size: float) -> list[Line]:
    """Reading order, with heading rows as hard breaks between bands of the page.

    A short heading right under a two-column block would otherwise be read as the last line
    of the left column; a heading always starts something new.
    """
    ordered = sorted(words, key=lambda w: w.top)
    bands: list[list[Word]] = [[]]
    for word in ordered:
        heading = word.size >= _HEADING * body_size
        current = bands[-1]
        if current:
            previous_heading = current[0].size >= _HEADING * body_size
            same_row = word.top < max(w.bottom for w in current[-3:]) - 1
            if heading != previous_heading and not same_row:
                bands.append([])
        bands[-1].append(word)
    return [line for band in bands if band for line in reading_order(band)]


def _rows(extracted: list[list[str | None]]) -> list[str]:
    rows = []
    for row in extracted:
        cells = [" ".join((cell or "").split()) for cell in row]
        if any(cells):
            rows.append(" | ".join(cell for cell in cells if cell))
    return rows


def _superscripts(chars: list[dict[str, Any]], body_size: float) -> set[int]:
    """Small characters set right after body-size text on the same line (footnote markers).

    Small print elsewhere (the footnotes themselves) has no body-size neighbour and stays.
    """
    body = [c for c in chars if float(c["size"]) >= _SMALL * body_size]
    by_row: dict[int, list[dict[str, Any]]] = {}
    for char in body:
        by_row.setdefault(int(float(char["top"]) // 4), []).append(char)
    marked: set[int] = set()
    for char in chars:
        if float(char["size"]) >= _SMALL * body_size:
            continue
        top, bottom, x0 = float(char["top"]), float(char["bottom"]), float(char["x0"])
        row = int(top // 4)
        neighbours = [*by_row.get(row - 1, []), *by_row.get(row, []), *by_row.get(row + 1, [])]
        if any(
            abs(float(n["x1"]) - x0) < 1.5
            and float(n["top"]) <= bottom
            and float(n["bottom"]) >= top
            for n in neighbours
        ):
            marked.add(id(char))
    # A marker of several digits: later small digits follow the first small one, not body text.
    markers = [c for c in chars if id(c) in marked]
    for char in chars:
        if id(char) in marked or float(char["size"]) >= _SMALL * body_size:
            continue
        if any(
            abs(float(other["x1"]) - float(char["x0"])) < 1.0
            and abs(float(other["top"]) - float(char["top"])) < 1.0
            for other in markers
        ):
            marked.add(id(char))
            markers.append(char)
    return marked


def _margin_key(line: Line, height: float) -> str | None:
    """Digit-blind text of a line in the top or bottom margin zone (None elsewhere)."""
    if line.bottom <= height * _MARGIN_ZONE or line.top >= height * (1 - _MARGIN_ZONE):
        return _DIGITS.sub("#", line.text.strip().lower())
    return None


def _drop_running_lines(pages: list[_Page], body_size: float) -> None:
    """Remove margin lines repeated on most pages (digits ignored), bare page numbers, and
    small print at the very top of a page (a running header, even of a one-page document)."""
    keys = [[_margin_key(line, page.height) for line in page.lines] for page in pages]
    seen: Counter[str] = Counter()
    for page_keys in keys:
        seen.update({key for key in page_keys if key is not None})
    repeated = {
        key for key, count in seen.items() if count >= 2 and count >= _REPEAT_SHARE * len(pages)
    }
    for page, page_keys in zip(pages, keys, strict=True):
        page.lines = [
            line
            for line, key in zip(page.lines, page_keys, strict=True)
            if key is None
            or (
                key not in repeated
                and not _PAGE_NUMBER.match(line.text.strip())
                and not (
                    line.bottom <= page.height * _MARGIN_ZONE and line.size < _SMALL * body_size
                )
            )
        ]


def _page_units(page: _Page, body_size: float) -> list[TextUnit]:
    body_bottom = max(
        (line.bottom for line in page.lines if line.size >= _SMALL * body_size), default=0.0
    )
    body = [
        line for line in page.lines if line.size >= _SMALL * body_size or line.top < body_bottom
    ]
    small = [line for line in page.lines if line not in body]
    units: list[tuple[float, TextUnit]] = []
    for paragraph in paragraphs(body):
        heading = paragraph.size >= _HEADING * body_size and len(paragraph.lines) <= 2
        for lines in _split_at_clause_numbers(paragraph.lines):
            text = _SPACE_BEFORE_PUNCTUATION.sub("", join_lines(line.text for line in lines))
            units.append(
                (lines[0].top, TextUnit(text, "heading" if heading else "body", page.number))
            )
    ordered = _with_tables(units, page)
    ordered.extend(TextUnit(text, "footnote", page.number) for text in _footnotes(small))
    return ordered


def _split_at_clause_numbers(lines: list[Line]) -> list[list[Line]]:
    """Split a paragraph where a line after a finished sentence starts with a clause number.

    Clauses set with little spacing can be grouped into one paragraph; "2.2 The minimum …"
    after "… open an Account." still starts a new clause.
    """
    parts: list[list[Line]] = [[]]
    for line in lines:
        previous = parts[-1][-1].text.rstrip() if parts[-1] else ""
        if previous.endswith((".", ":", ";")) and _CLAUSE_NUMBER.match(line.text):
            parts.append([])
        parts[-1].append(line)
    return [part for part in parts if part]


def _with_tables(units: list[tuple[float, TextUnit]], page: _Page) -> list[TextUnit]:
    """Insert each table's rows before the first unit that starts below the table's top."""
    result = [unit for _, unit in units]
    tops = [top for top, _ in units]
    for table_top, rows in sorted(page.tables, key=lambda item: -item[0]):
        index = next((i for i, top in enumerate(tops) if top > table_top), len(result))
        result[index:index] = [TextUnit(row, "table", page.number) for row in rows]
        tops[index:index] = [table_top] * len(rows)
    return result


def _footnotes(lines: list[Line]) -> list[str]:
    notes: list[list[str]] = []
    for line in sorted(lines, key=lambda item: (item.top, item.x0)):
        text = line.text.strip()
        if _FOOTNOTE_START.match(text) or not notes:
            notes.append([text])
        else:
            notes[-1].append(text)
    return [join_lines(note) for note in notes]
