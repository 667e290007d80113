"""PDF → Document.

pypdf checks the file (structure, encryption, page count); pdfplumber supplies positioned
words, from which :mod:`.pdf_layout` derives reading order (columns included) and paragraphs.
Every block carries its 1-based ``page``; paragraphs never span pages. Lines are joined with a
space, and a line-end hyphen between letters is removed when the next line starts in lower
case ("compli-" + "ance" → "compliance"). Lines that repeat in the top or bottom margin of most
pages (running headers, footers, page numbers) are dropped, and so are raised note reference
marks. Block kinds: larger-than-body paragraphs of at most three lines are headings (level 1
for the largest size); lines starting with a bullet or list number are list items; each table
row is a paragraph whose cells are separated by tabs; small print in the lower part of a page
that starts with a note number is a footnote (in place, without its number).

A PDF Document has no source map: positions are reported by page and block.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder
from compliance_assistant.errors import (
    CorruptFileError,
    InputError,
    ProtectedFileError,
    TooLargeError,
)
from compliance_assistant.ingest.pdf_layout import Line, Paragraph, Word, paragraphs, reading_order
from compliance_assistant.ingest.sniff import PDF_HEADER_WINDOW, PDF_MAGIC


class NoTextLayerError(InputError):
    """The PDF holds only images of text (a scan); the product does no OCR."""

    code = "NO_TEXT_LAYER"
    status_code = 422


# %%EOF closes every complete PDF; writers may append a little padding after it.
_EOF_WINDOW = 4096
# Share of the page height at the top and bottom where running headers and footers live, and
# how many of a page's topmost and bottommost lines may be one.
_MARGIN_ZONE = 0.08
_OUTER_LINES = 3
# A margin line repeated on at least this share of pages (and on two or more) is furniture.
_REPEAT_SHARE = 0.5
HEADING_SIZE_RATIO = 1.15
# Footnotes: smaller than body text, in the lower part of the page, after a note number.
FOOTNOTE_SIZE_RATIO = 0.9
_FOOTNOTE_ZONE = 0.4
_NOTE_NUMBER = re.compile(r"^(?:\d{1,3}|[*†‡§]+)\s+(?=\S)")
_HEADING_MAX_LINES = 3
_MAX_HEADING_LEVEL = 6

# Ligatures spelt out, soft hyphens dropped, and the private-use bullets of the Symbol and
# Wingdings fonts shown as a bullet.
_GLYPHS = str.maketrans(
    {
        "ﬀ": "ff",
        "ﬁ": "fi",
        "ﬂ": "fl",
        "ﬃ": "ffi",
        "ﬄ": "ffl",
        "ﬅ": "st",
        "ﬆ": "st",
        "\u00ad": "",
        "\uf0b7": "•",
        "\uf0a7": "▪",
        "\uf0d8": "➢",
        "\uf076": "❖",
        "\uf0fc": "✓",
    }
)
_HYPHENATED = re.compile(r"(?<=[^\W\d_])-$")
_DIGITS = re.compile(r"\d+")

PROTECTED_MESSAGE = (
    "This PDF is password-protected, so its text cannot be read. Save an unprotected copy "
    "(for example print it to a new PDF after opening it with the password) and upload that."
)
SCANNED_MESSAGE = (
    "This PDF has no text layer: its pages are images (it looks scanned), and text recognition "
    "(OCR) is not supported. Export the PDF from the original document, run it through OCR "
    "first, or paste the text instead."
)
_CORRUPT = (
    "The PDF file is corrupt: it {what}, so it cannot be read. Download or export it again and "
    "upload the "
    "new file."
)


def ingest_pdf(
    data: bytes, *, source_name: str | None = None, max_chars: int | None = None
) -> Document:
    """Read a PDF's text layer into a Document of page-numbered paragraph and heading blocks.

    Raises :class:`ProtectedFileError` when a password is needed to open the file,
    :class:`CorruptFileError` when it is truncated or malformed, :class:`NoTextLayerError`
    when its pages are images without text, and :class:`TooLargeError` as soon as the text
    read so far exceeds ``max_chars``. A PDF of blank pages yields a Document without blocks.
    """
    if PDF_MAGIC not in data[:PDF_HEADER_WINDOW]:
        raise CorruptFileError(_CORRUPT.format(what="does not start with a PDF header"))
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise CorruptFileError(_CORRUPT.format(what="is incomplete (it appears truncated)"))
    page_count = _check_with_pypdf(data)
    pages, has_images = _read_pages(data, page_count, max_chars)
    if has_images and not any(lines for _, lines in pages):
        raise NoTextLayerError(SCANNED_MESSAGE)
    return _build(pages, source_name)


def _check_with_pypdf(data: bytes) -> int:
    """Open the file once with pypdf: structure, encryption and page count."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        # Only an owner password (printing/copying restrictions) still opens without one.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ProtectedFileError(PROTECTED_MESSAGE)
        return len(reader.pages)
    except (FileNotDecryptedError, DependencyError, NotImplementedError):
        raise ProtectedFileError(PROTECTED_MESSAGE) from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptFileError(
            _CORRUPT.format(what=f"is malformed ({type(exc).__name__})")
        ) from None


def _read_pages(
    data: bytes, page_count: int, max_chars: int | None
) -> tuple[list[tuple[float, list[Line]]], bool]:
    """Lines of each page in reading order, and whether any page holds images."""
    pages: list[tuple[float, list[Line]]] = []
    has_images = False
    characters = 0
    try:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                words = [
                    _word(raw)
                    for raw in page.dedupe_chars().extract_words(
                        keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"]
                    )
                ]
                has_images = has_images or bool(page.images)
                lines = reading_order(words)
                pages.append((float(page.height), lines))
                page.close()
                characters += sum(len(line.text) + 1 for line in lines)
                if max_chars is not None and characters > max_chars:
                    raise TooLargeError(
                        f"The PDF has more than {max_chars:,} characters of text, the limit: "
                        f"{characters:,} characters in the first {number} of {page_count} "
                        "pages. Split it into smaller documents and check them one by one."
                    )
    except PdfminerException as exc:
        if isinstance(exc.args[0] if exc.args else None, PDFPasswordIncorrect):
            raise ProtectedFileError(PROTECTED_MESSAGE) from None
        raise CorruptFileError(_CORRUPT.format(what="is malformed")) from None
    except (MalformedPDFException, PDFSyntaxError, ValueError, KeyError, TypeError):
        raise CorruptFileError(_CORRUPT.format(what="is malformed")) from None
    return _without_running_lines(pages), has_images


def _word(raw: dict[str, Any]) -> Word:
    return Word(
        text=str(raw["text"]).translate(_GLYPHS),
        x0=float(raw["x0"]),
        x1=float(raw["x1"]),
        top=float(raw["top"]),
        bottom=float(raw["bottom"]),
        size=float(raw["size"]),
    )


def _margin_keys(lines: list[Line], height: float) -> dict[int, str]:
    """Digit-blind text of the outermost lines that sit in the top or bottom margin zone.

    Keyed by position in ``lines``. Only the few topmost and bottommost lines qualify, so body
    text that happens to start high on a page is never taken for a header.
    """
    by_height = sorted(range(len(lines)), key=lambda i: lines[i].top)
    outer = {*by_height[:_OUTER_LINES], *by_height[-_OUTER_LINES:]}
    return {
        i: _DIGITS.sub("#", lines[i].text.strip().lower())
        for i in outer
        if lines[i].bottom <= height * _MARGIN_ZONE or lines[i].top >= height * (1 - _MARGIN_ZONE)
    }


def _without_running_lines(
    pages: list[tuple[float, list[Line]]],
) -> list[tuple[float, list[Line]]]:
    """Drop margin lines that repeat across pages (page numbers differ only in digits)."""
    if len(pages) < 2:
        return pages
    keys = [_margin_keys(lines, height) for height, lines in pages]
    seen: Counter[str] = Counter()
    for page_keys in keys:
        seen.update(set(page_keys.values()))
    repeated = {
        key for key, count in seen.items() if count >= 2 and count >= _REPEAT_SHARE * len(pages)
    }
    return [
        (height, [line for i, line in enumerate(lines) if page_keys.get(i) not in repeated])
        for (height, lines), page_keys in zip(pages, keys, strict=True)
    ]


def _build(pages: list[tuple[float, list[Line]]], source_name: str | None) -> Document:
    grouped = [
        (number, height, paragraphs(lines)) for number, (height, lines) in enumerate(pages, start=1)
    ]
    all_paragraphs = [paragraph for _, _, page in grouped for paragraph in page]
    body_size = _body_size(all_paragraphs)
    heading_sizes = sorted(
        {round(p.size, 1) for p in all_paragraphs if _is_heading(p, body_size)}, reverse=True
    )
    builder = DocumentBuilder(source_format="pdf", source_name=source_name)
    for number, height, page_paragraphs in grouped:
        for paragraph in page_paragraphs:
            text = join_lines(line.text for line in paragraph.lines)
            if _is_footnote(paragraph, body_size, height):
                builder.add(_NOTE_NUMBER.sub("", text, count=1), BlockKind.FOOTNOTE, page=number)
            elif _is_heading(paragraph, body_size):
                level = min(heading_sizes.index(round(paragraph.size, 1)) + 1, _MAX_HEADING_LEVEL)
                builder.add(text, BlockKind.HEADING, level=level, page=number)
            else:
                kind = BlockKind.LIST_ITEM if paragraph.is_list_item else BlockKind.PARAGRAPH
                builder.add(text, kind, page=number)
    return builder.build()


def _is_footnote(paragraph: Paragraph, body_size: float, height: float) -> bool:
    """Small print in the lower part of the page that starts with a note number or symbol."""
    first = paragraph.lines[0]
    return (
        (first.marker is not None or bool(_NOTE_NUMBER.match(first.text)))
        and paragraph.size <= FOOTNOTE_SIZE_RATIO * body_size
        and first.top >= height * (1 - _FOOTNOTE_ZONE)
    )


def _body_size(all_paragraphs: list[Paragraph]) -> float:
    """The font size that carries the most characters."""
    weights: Counter[float] = Counter()
    for paragraph in all_paragraphs:
        for line in paragraph.lines:
            weights[round(line.size, 1)] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def _is_heading(paragraph: Paragraph, body_size: float) -> bool:
    return (
        body_size > 0
        and len(paragraph.lines) <= _HEADING_MAX_LINES
        and paragraph.size >= HEADING_SIZE_RATIO * body_size
    )


def join_lines(lines: Iterable[str]) -> str:
    """Join the lines of one paragraph with spaces, undoing line-end hyphenation."""
    text = ""
    for raw in lines:
        line = raw.strip()
        if not text:
            text = line
        elif _HYPHENATED.search(text) and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}"
    return text
