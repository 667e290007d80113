"""A GTC document (PDF, Word or Markdown) → clauses with section number, heading, page, text.

A clause starts at a paragraph that begins with a section number ("4.2 A monthly fee …") or at
a numbered heading ("4. Fees and charges"); everything up to the next one — unnumbered
paragraphs, table rows, text continued on the next page — belongs to it. A number only starts
a clause when it plausibly follows the previous one (4.2 → 4.3, 4.2.1, 5 or 5.1), so a line
that happens to begin with "30 days' notice" continues its clause. Footnotes become clauses of
their own (kind ``footnote``). A clause that runs across a page break records where each page
starts, so quotes are cited with the page they are printed on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from compliance_assistant.engine.claims import Clause
from compliance_assistant.engine.document import BlockKind, Document
from compliance_assistant.errors import InputError
from compliance_assistant.gtc.errors import GtcDocumentError
from compliance_assistant.gtc.models import DOCX, MARKDOWN, PDF
from compliance_assistant.gtc.pdf_units import TextUnit, UnitKind, read_pdf_units

_NUMBER = re.compile(
    r"^(?:(?:section|clause|article|§)\s*)?(\d{1,2}(?:\.\d{1,3}){0,3})\.?"
    r"(?:\s+|$)(?=\S|$)",
    re.IGNORECASE,
)
# A new clause may skip this many numbers (a missing or unreadable clause in between).
_MAX_STEP = 3


def extract_clauses(data: bytes, *, content_type: str, document_id: str) -> list[Clause]:
    """Clauses of a GTC file, in reading order.

    Raises :class:`GtcDocumentError` when the file cannot be read or holds no text.
    """
    units = read_units(data, content_type=content_type)
    clauses = clauses_from_units(units, document_id=document_id)
    if not clauses:
        raise GtcDocumentError(f"the GTC document {document_id} contains no text")
    return clauses


def read_units(data: bytes, *, content_type: str) -> list[TextUnit]:
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media == PDF:
        return read_pdf_units(data)
    if media in (DOCX, MARKDOWN, "text/plain"):
        from compliance_assistant.ingest import ingest_bytes

        filename = {DOCX: "gtc.docx", MARKDOWN: "gtc.md"}.get(media, "gtc.txt")
        try:
            document = ingest_bytes(data, filename=filename)
        except InputError as exc:
            raise GtcDocumentError(f"the GTC document cannot be read: {exc.message}") from None
        return units_from_document(document)
    raise GtcDocumentError(
        f"GTC documents of type '{content_type}' are not supported; "
        "use PDF, Word (.docx) or Markdown"
    )


def units_from_document(document: Document) -> list[TextUnit]:
    """Units of an ingested Word or Markdown document; table cells are regrouped into rows of
    as many cells as the table's header row has."""
    units: list[TextUnit] = []
    header: list[str] = []
    row: list[str] = []
    for block in document.blocks:
        text = document.block_text(block).strip()
        if block.kind is BlockKind.TABLE_HEADER:
            if row or not header or _after_body(units):
                header = []
            header.append(text)
            row = []
            continue
        if block.kind is BlockKind.TABLE_CELL:
            if (
                header
                and not row
                and (not units or units[-1].kind != "table" or units[-1].text != " | ".join(header))
            ):
                units.append(TextUnit(" | ".join(header), "table", block.page))
            row.append(text)
            if header and len(row) == len(header):
                units.append(TextUnit(" | ".join(row), "table", block.page))
                row = []
            continue
        if row:
            units.append(TextUnit(" | ".join(row), "table", block.page))
            row = []
        header = []
        kinds: dict[BlockKind, UnitKind] = {
            BlockKind.TITLE: "heading",
            BlockKind.HEADING: "heading",
            BlockKind.FOOTNOTE: "footnote",
        }
        units.append(TextUnit(text, kinds.get(block.kind, "body"), block.page))
    if row:
        units.append(TextUnit(" | ".join(row), "table", None))
    return units


def _after_body(units: list[TextUnit]) -> bool:
    return bool(units) and units[-1].kind != "table"


@dataclass
class _Open:
    section: str | None
    heading: str | None
    page: int | None
    parts: list[str] = field(default_factory=list)
    page_starts: list[tuple[int, int]] = field(default_factory=list)
    last_page: int | None = None
    last_kind: str = "body"
    length: int = 0

    def add(self, text: str, page: int | None, *, kind: str = "body") -> None:
        """Append a unit. Table rows stand on lines of their own (one statement per row);
        paragraphs are joined with a space, so a sentence cut by a page break reads whole."""
        separator = "\n" if "table" in (kind, self.last_kind) else " "
        self.last_kind = kind
        if self.parts:
            self.length += len(separator)
            self.parts.append(separator)
        if page is not None and self.last_page is not None and page != self.last_page:
            self.page_starts.append((self.length, page))
        self.last_page = page if page is not None else self.last_page
        self.parts.append(text)
        self.length += len(text)

    def close(self, document_id: str, kind: str = "clause") -> Clause | None:
        text = "".join(self.parts).strip()
        if not text:
            return None
        return Clause(
            document_id=document_id,
            section=self.section,
            heading=self.heading,
            page=self.page,
            text=text,
            page_starts=tuple(self.page_starts),
            kind=kind,
        )


def clauses_from_units(units: Iterable[TextUnit], *, document_id: str) -> list[Clause]:
    clauses: list[Clause] = []
    footnotes: list[Clause] = []
    current: _Open | None = None
    last_number: tuple[int, ...] = ()
    heading: str | None = None
    seen_title = False
    for unit in units:
        if unit.kind == "footnote":
            footnotes.append(_footnote(unit, document_id))
            continue
        match = _NUMBER.match(unit.text)
        number = _parse(match.group(1)) if match else None
        if (
            number is not None
            and match is not None
            and _follows(last_number, number, heading=unit.kind == "heading")
        ):
            _close(current, clauses, document_id)
            last_number = number
            rest = unit.text[match.end() :].strip()
            if unit.kind == "heading":
                heading = rest or heading
                current = _Open(section=_format(number), heading=heading, page=unit.page)
                current.last_page = unit.page
            else:
                current = _Open(section=_format(number), heading=heading, page=unit.page)
                current.add(rest, unit.page)
            continue
        if unit.kind == "heading":
            if not seen_title and not clauses and current is None:
                seen_title = True  # the document title is not a clause
                continue
            _close(current, clauses, document_id)
            heading = unit.text
            current = _Open(section=None, heading=heading, page=unit.page)
            current.last_page = unit.page
            continue
        if current is None:
            current = _Open(section=None, heading=heading, page=unit.page)
        current.add(unit.text, unit.page, kind=unit.kind)
    _close(current, clauses, document_id)
    return clauses + footnotes


def _close(current: _Open | None, clauses: list[Clause], document_id: str) -> None:
    if current is not None:
        clause = current.close(document_id)
        if clause is not None:
            clauses.append(clause)


def _footnote(unit: TextUnit, document_id: str) -> Clause:
    marker, _, text = unit.text.partition(" ")
    return Clause(
        document_id=document_id,
        section=None,
        heading=f"Footnote {marker}",
        page=unit.page,
        text=text.strip() or unit.text,
        kind="footnote",
    )


def _parse(raw: str) -> tuple[int, ...]:
    return tuple(int(part) for part in raw.split("."))


def _format(number: Sequence[int]) -> str:
    return ".".join(str(part) for part in number)


def _follows(previous: tuple[int, ...], number: tuple[int, ...], *, heading: bool = False) -> bool:
    """Whether ``number`` can be the next section number after ``previous``.

    The first number may be anything a heading or a dotted number says (an excerpt can start
    at section 5); a bare small number is trusted in body text, "30 days" is not.
    """
    if not previous:
        return heading or len(number) > 1 or number[0] <= _MAX_STEP
    if number == (*previous, 1):
        return True  # first sub-clause
    for depth in range(len(previous)):
        prefix, step = (
            previous[:depth],
            number[depth] - previous[depth] if depth < len(number) else 0,
        )
        if number[:depth] != prefix or len(number) <= depth:
            continue
        if 1 <= step <= _MAX_STEP and all(part == 1 for part in number[depth + 1 :]):
            return True  # a later sibling at this depth, or its first sub-clause
    return False
