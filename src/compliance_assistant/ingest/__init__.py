"""Ingestion: files, uploads, pasted text and the Word add-in's paragraphs → :class:`Document`.

Every entry point returns a Document with at least one block, a ``title`` (the first title
or level-1 heading, else the file's stem) and ``source_format`` set to one of "docx", "pdf",
"markdown", "html", "text" or "word-blocks". Every failure is an :class:`InputError` subclass
whose message is one paragraph telling the user what to do:

* :class:`UnsupportedFormatError` — not a supported format (a .doc file gets a "save as .docx"
  hint); :class:`NoTextLayerError` — a scanned PDF (no OCR);
* :class:`CorruptFileError` — damaged or truncated file, broken XML;
* :class:`ProtectedFileError` — password-protected .docx or PDF;
* :class:`EmptyDocumentError` — no text, or only whitespace;
* :class:`TooLargeError` — over a limit; bytes are checked before parsing, characters after
  extraction, and a .docx's unpacked size before decompression.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from compliance_assistant.engine.document import BlockKind, Document
from compliance_assistant.errors import EmptyDocumentError, InputError, TooLargeError
from compliance_assistant.ingest.docx import ingest_docx
from compliance_assistant.ingest.html import ingest_html
from compliance_assistant.ingest.markdown import ingest_markdown
from compliance_assistant.ingest.pdf import NoTextLayerError, ingest_pdf
from compliance_assistant.ingest.sniff import SUPPORTED_EXTENSIONS, FileFormat, detect_format
from compliance_assistant.ingest.text import decode_text, ingest_plain_text
from compliance_assistant.ingest.word_blocks import (
    WordBlock,
    WordBlocksPayload,
    ingest_word_blocks_payload,
)

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "IngestLimits",
    "NoTextLayerError",
    "WordBlock",
    "WordBlocksPayload",
    "ingest_bytes",
    "ingest_file",
    "ingest_text",
    "ingest_word_blocks",
]

TextFormat = Literal["text", "markdown", "html"]


class IngestLimits(BaseModel):
    """Size limits (DESIGN §9). ``max_unpacked_bytes`` caps a .docx's decompressed size."""

    model_config = ConfigDict(frozen=True)

    max_chars: int = Field(default=500_000, ge=1)
    max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    max_unpacked_bytes: int = Field(default=200 * 1024 * 1024, ge=1)


_DEFAULT_LIMITS = IngestLimits()


def ingest_file(path: Path, *, limits: IngestLimits = _DEFAULT_LIMITS) -> Document:
    """Read a document file; its size is checked before it is read."""
    try:
        size = path.stat().st_size
        _check_bytes(size, limits)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"The file {path} does not exist. Check the path and try again.") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a document. Name a document file.") from None
    except PermissionError:
        raise InputError(
            f"The file {path} cannot be read (permission denied). Check its "
            "permissions and try again."
        ) from None
    return ingest_bytes(data, filename=path.name, limits=limits)


def ingest_bytes(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    limits: IngestLimits = _DEFAULT_LIMITS,
) -> Document:
    """Read uploaded bytes; the format comes from the extension, content type or content."""
    _check_bytes(len(data), limits)
    file_format = detect_format(data, filename=filename, content_type=content_type)
    document = _parse(file_format, data, filename, limits)
    return _finish(document, stem=PurePath(filename).stem if filename else None, limits=limits)


def ingest_text(
    text: str,
    *,
    format: TextFormat = "text",
    title: str | None = None,
    limits: IngestLimits = _DEFAULT_LIMITS,
) -> Document:
    """Read pasted or posted text in the given markup.

    ``title`` overrides the title found in the text. Offsets of plain text are into the
    normalised text (see :mod:`.text`).
    """
    # A cheap guard before parsing; the real character limit applies to the extracted text.
    if len(text) > limits.max_bytes:
        _check_bytes(len(text.encode("utf-8")), limits)
    document = _parse_text(format, text, source_name=None)
    if title:
        document = document.model_copy(update={"title": title})
    return _finish(document, stem=None, limits=limits)


def ingest_word_blocks(
    payload: dict[str, Any] | WordBlocksPayload, *, limits: IngestLimits = _DEFAULT_LIMITS
) -> Document:
    """Read the Word add-in's paragraphs (DESIGN §9); ``source_index`` = paragraph index."""
    return _finish(ingest_word_blocks_payload(payload), stem=None, limits=limits)


def _parse(
    file_format: FileFormat, data: bytes, filename: str | None, limits: IngestLimits
) -> Document:
    if file_format == "docx":
        return ingest_docx(data, source_name=filename, max_unpacked_bytes=limits.max_unpacked_bytes)
    if file_format == "pdf":
        return ingest_pdf(data, source_name=filename, max_chars=limits.max_chars)
    return _parse_text(file_format, decode_text(data), source_name=filename)


def _parse_text(file_format: TextFormat, text: str, *, source_name: str | None) -> Document:
    if file_format == "markdown":
        return ingest_markdown(text, source_name=source_name)
    if file_format == "html":
        return ingest_html(text, source_name=source_name)
    return ingest_plain_text(text, source_name=source_name)


def _check_bytes(size: int, limits: IngestLimits) -> None:
    if size > limits.max_bytes:
        raise TooLargeError(
            f"The document is {_megabytes(size)} ({size:,} bytes), more than the limit of "
            f"{_megabytes(limits.max_bytes)} ({limits.max_bytes:,} bytes). Split it or remove "
            "large images, and try again."
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _finish(document: Document, *, stem: str | None, limits: IngestLimits) -> Document:
    """Enforce the empty and character limits, and give the Document its title."""
    if not document.blocks or not document.text.strip():
        raise EmptyDocumentError(
            "The document contains no text to check (it is empty or holds only whitespace, "
            "images or empty paragraphs). Add the article text and try again."
        )
    if len(document.text) > limits.max_chars:
        raise TooLargeError(
            f"The document has {len(document.text):,} characters of text, more than the limit "
            f"of {limits.max_chars:,}. Split it into smaller parts and check them one by one."
        )
    title = document.title or _first_title(document) or stem
    if title != document.title:
        document = document.model_copy(update={"title": title})
    return document


def _first_title(document: Document) -> str | None:
    for block in document.blocks:
        if block.kind is BlockKind.TITLE or (block.kind is BlockKind.HEADING and block.level == 1):
            return document.block_text(block).strip() or None
    return None
