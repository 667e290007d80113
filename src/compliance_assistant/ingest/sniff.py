"""Deciding which ingester reads a byte payload.

Order of evidence: the file extension, then the declared content type, then the bytes
themselves. Anything that cannot be placed raises :class:`UnsupportedFormatError` naming the
supported formats; old binary Word files and encrypted Office packages get their own messages
because the fix for each is different.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath
from typing import Literal

from compliance_assistant.errors import InputError, ProtectedFileError, UnsupportedFormatError
from compliance_assistant.ingest.text import decode_text

FileFormat = Literal["docx", "pdf", "markdown", "html", "text"]

SUPPORTED_EXTENSIONS: tuple[str, ...] = (
    ".docx",
    ".pdf",
    ".md",
    ".markdown",
    ".html",
    ".htm",
    ".txt",
)

_BY_EXTENSION: dict[str, FileFormat] = {
    ".docx": "docx",
    ".pdf": "pdf",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
}

_BY_CONTENT_TYPE: dict[str, FileFormat] = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/pdf": "pdf",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
}

# Content types that say nothing about the format; the bytes decide instead.
_GENERIC_CONTENT_TYPES = frozenset(
    {"application/octet-stream", "binary/octet-stream", "application/x-www-form-urlencoded", ""}
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"
# The PDF specification lets a header be preceded by junk; readers look in the first 1 KiB.
PDF_HEADER_WINDOW = 1024

_SUPPORTED_LIST = ", ".join(SUPPORTED_EXTENSIONS)
SAVE_AS_DOCX_HINT = (
    "Unsupported file type: this looks like an old binary Word document (.doc). Open it in "
    "Word and use File > Save As > Word Document (.docx), then upload the .docx file."
)
ENCRYPTED_OFFICE_MESSAGE = (
    "This Word document is password-protected (encrypted), so its text cannot be read. Open it "
    "in Word, remove the password under File > Info > Protect Document > Encrypt with Password, "
    "save it and upload it again."
)

_HTML_START = re.compile(
    r"\A\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|article|section|div|p|h[1-6]"
    r"|table|ul|ol|span|meta|title)\b",
    re.IGNORECASE | re.DOTALL,
)
_MARKDOWN_HINTS = re.compile(
    r"^(?:#{1,6}[ \t]+\S|```|~~~|>[ \t]|[*+-][ \t]+\S|\d{1,9}[.)][ \t]+\S|\|.*\|[ \t]*$)"
    r"|\[[^\]\n]+\]\([^)\s]+\)|\*\*[^*\n]+\*\*|__[^_\n]+__",
    re.MULTILINE,
)


def unsupported_message(what: str) -> str:
    """One paragraph for an unsupported input, naming the formats that are supported."""
    return (
        f"Unsupported file type: {what} is not a supported document format. "
        f"Supported formats are {_SUPPORTED_LIST} "
        "(Word, PDF, Markdown, HTML and plain text); save or export the document in one of them "
        "and try again."
    )


def extension_of(filename: str | None) -> str:
    """Lower-case extension of a file name, with its dot ("" when there is none)."""
    if not filename:
        return ""
    return PurePath(filename).suffix.lower()


def detect_format(
    data: bytes, *, filename: str | None = None, content_type: str | None = None
) -> FileFormat:
    """The format of ``data``: from the file extension, else the content type, else the bytes.

    Raises :class:`UnsupportedFormatError` (with a "save as .docx" hint for old .doc files) or
    :class:`ProtectedFileError` for an encrypted Office package that has no usable extension.
    """
    extension = extension_of(filename)
    if extension in {".doc", ".dot"}:
        raise UnsupportedFormatError(SAVE_AS_DOCX_HINT)
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    if extension:
        raise UnsupportedFormatError(unsupported_message(f"a '{extension}' file"))

    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "application/msword":
        raise UnsupportedFormatError(SAVE_AS_DOCX_HINT)
    if media_type in _BY_CONTENT_TYPE:
        return _BY_CONTENT_TYPE[media_type]
    sniffed = sniff_bytes(data)
    if sniffed is not None:
        return sniffed
    described = (
        f"content of type '{media_type}'"
        if media_type not in _GENERIC_CONTENT_TYPES
        else "this content"
    )
    raise UnsupportedFormatError(unsupported_message(described))


def sniff_bytes(data: bytes) -> FileFormat | None:
    """Guess a format from magic numbers and markup; None when the bytes fit no format.

    Raises for OLE compound files, which are either encrypted OOXML or legacy binary Office
    files; neither can be read, and each needs a different fix.
    """
    if PDF_MAGIC in data[:PDF_HEADER_WINDOW]:
        return "pdf"
    if data.startswith(OLE_MAGIC):
        raise_for_ole(data)
    if data.startswith(ZIP_MAGIC):
        return "docx" if _zip_has_word_document(data) else None
    text = _decode_for_sniffing(data)
    if text is None:
        return None
    if _HTML_START.match(text):
        return "html"
    if _MARKDOWN_HINTS.search(text):
        return "markdown"
    return "text"


def raise_for_ole(data: bytes) -> None:
    """Raise the error that fits an OLE compound file (always raises).

    An encrypted .docx/.xlsx/.pptx is an OLE container holding the streams "EncryptionInfo"
    and "EncryptedPackage"; a legacy .doc holds a "WordDocument" stream. Directory entries
    store stream names in UTF-16LE, so a byte search finds them without an OLE parser.
    """
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise ProtectedFileError(ENCRYPTED_OFFICE_MESSAGE)
    if "WordDocument".encode("utf-16-le") in data:
        raise UnsupportedFormatError(SAVE_AS_DOCX_HINT)
    raise UnsupportedFormatError(unsupported_message("this legacy Microsoft Office file"))


def _zip_has_word_document(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _decode_for_sniffing(data: bytes) -> str | None:
    try:
        return decode_text(data)
    except InputError:
        return None
