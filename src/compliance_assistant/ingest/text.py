"""Plain text → Document, and the one place where bytes are decoded into text.

Offsets of a text Document are code points into the *normalised* text: a leading byte-order
mark is removed and every CRLF or lone CR becomes LF. ``source_text`` holds that normalised
text and the source map points into it, so :meth:`Document.location` reports the line and
column the author sees in the file (normalising line ends changes no line number, and columns
are counted in code points).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder
from compliance_assistant.errors import CorruptFileError, UnsupportedFormatError

# Byte-order marks, longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)

# Signatures of common binary files that might be uploaded under a text name.
_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"%PDF-",
    b"\xd0\xcf\x11\xe0",
    b"\x7fELF",
    b"\x1f\x8b",
)
_SNIFF_WINDOW = 8192
# Control characters other than tab, newline, carriage return, form feed and vertical tab do
# not occur in real text; a few tolerate stray bytes, more mean the data is not text.
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_MAX_CONTROL_RATIO = 0.01

BINARY_MESSAGE = (
    "The file does not contain text (it looks like binary data), so it cannot be read as a "
    "text document. Upload the original .docx, .pdf, .md, .html or .txt file, or paste the "
    "text itself."
)


def looks_binary(data: bytes) -> bool:
    """True when ``data`` is evidently not text: a known binary signature or NUL bytes.

    Data that starts with a UTF-16 or UTF-32 byte-order mark is text even though it holds
    NUL bytes.
    """
    if any(data.startswith(bom) for bom, _, _ in _BOMS):
        return False
    return data.startswith(_BINARY_MAGIC) or b"\x00" in data[:_SNIFF_WINDOW]


def decode_text(data: bytes) -> str:
    """Decode a text file: by its byte-order mark, else UTF-8, else Windows-1252.

    The returned text has no byte-order mark. Raises :class:`UnsupportedFormatError` when the
    bytes are not text and :class:`CorruptFileError` when a byte-order mark announces an
    encoding the bytes do not follow.
    """
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise CorruptFileError(
                    f"The text file starts with a {label} byte-order mark but is not valid "
                    f"{label} (invalid bytes at position {exc.start + len(bom)}). Save it "
                    "again as UTF-8 text and try again."
                ) from None
    if looks_binary(data):
        raise UnsupportedFormatError(BINARY_MESSAGE)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            # cp1252 leaves five byte values undefined; text in that code page never has them.
            raise UnsupportedFormatError(BINARY_MESSAGE) from None
    controls = sum(1 for char in text if char < " " and char not in _ALLOWED_CONTROLS)
    if text and controls / len(text) > _MAX_CONTROL_RATIO:
        raise UnsupportedFormatError(BINARY_MESSAGE)
    return text


def normalise_text(text: str) -> str:
    """Remove a leading byte-order mark and turn CRLF and lone CR into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def ingest_plain_text(
    text: str, *, source_name: str | None = None, title: str | None = None
) -> Document:
    """A Document with one paragraph block per run of non-blank lines.

    Paragraphs are separated by blank (whitespace-only) lines; a paragraph keeps its inner line
    breaks and loses only its outer whitespace. Each block's ``source_index`` is the 0-based
    line of the paragraph's first line. Offsets are into the normalised text (see the module
    docstring). The Document may have no blocks; callers decide whether that is an error.
    """
    normalised = normalise_text(text)
    builder = DocumentBuilder(
        source_format="text", title=title, source_name=source_name, source_text=normalised
    )
    for start, end, line in _paragraph_ranges(normalised):
        builder.add(
            normalised[start:end], BlockKind.PARAGRAPH, source_index=line, source_start=start
        )
    return builder.build()


def _paragraph_ranges(text: str) -> Iterator[tuple[int, int, int]]:
    """``(start, end, first_line)`` of each paragraph, without its outer whitespace."""
    position = 0
    start: int | None = None
    end = 0
    first_line = 0
    for number, line in enumerate(text.split("\n")):
        if line.strip():
            if start is None:
                start = position + len(line) - len(line.lstrip())
                first_line = number
            end = position + len(line.rstrip())
        elif start is not None:
            yield start, end, first_line
            start = None
        position += len(line) + 1
    if start is not None:
        yield start, end, first_line
