"""Checks on a .docx package before python-docx (and lxml) touch it: zip and XML bombs.

A .docx is a ZIP of XML parts, so a crafted upload can be a zip bomb (a small file that
unpacks to gigabytes), hold thousands of parts, nest further archives, or declare XML
entities that expand exponentially when parsed ("billion laughs"). :func:`check_package`
reads the central directory first — declared sizes, member count, compression ratios — and
only then decompresses the XML parts, within those caps, to look for a document type
declaration. Office Open XML packages never carry one (ECMA-376 Part 2 forbids DTDs in a
package), so any ``<!DOCTYPE`` or ``<!ENTITY`` is refused rather than parsed.

The declared sizes can be trusted as a cap because :mod:`zipfile` never returns more than a
member's declared size when reading it (it fails instead).
"""

from __future__ import annotations

import io
import zipfile
import zlib

from compliance_assistant.errors import CorruptFileError, InputError, TooLargeError
from compliance_assistant.ingest.sniff import detect_format

# A real .docx has a few dozen parts; thousands mean a crafted archive.
MAX_PACKAGE_MEMBERS = 10_000
# Word XML compresses about 5-20:1; a part that shrank far more is padding made to explode.
MAX_COMPRESSION_RATIO = 200
# Small parts (settings, relationships) can legitimately compress well beyond the ratio.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAIN_PART = "word/document.xml"
# The cap ingestion applies unless told otherwise (IngestLimits.max_unpacked_bytes, which the
# service sets from LimitsSettings.max_docx_unpacked_bytes).
DEFAULT_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# Where Word keeps embedded objects (an Excel chart's workbook is itself a ZIP package).
# They are carried along but never opened.
EMBEDDINGS_FOLDER = "word/embeddings/"
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_ZIP_MAGIC = b"PK\x03\x04"
# Markup that starts a DTD, in every encoding an XML parser detects on its own.
_DTD_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
_SCAN_CHUNK = 1024 * 1024
_OVERLAP = max(len(marker) for marker in _DTD_MARKERS)

NOT_A_PACKAGE = (
    "The file is corrupt or not a valid Word document: a .docx file is a ZIP package, and this "
    "one {what}. "
    "It may be damaged, incompletely downloaded or have the wrong extension; open it in Word, "
    "save it again as .docx and upload the new file."
)


class RejectedFileError(InputError):
    """A file refused because of how it is built (a zip or XML bomb), not what it says."""

    code = "INPUT_REJECTED"


def check_package(data: bytes, *, max_unpacked_bytes: int) -> None:
    """Raise unless ``data`` is a ZIP with a main document part and no bomb inside.

    :class:`CorruptFileError` for a non-ZIP or a package without ``word/document.xml``;
    :class:`RejectedFileError` for too many parts, a part compressed beyond
    :data:`MAX_COMPRESSION_RATIO`, a nested archive outside ``word/embeddings/`` or an XML
    part with a DTD or entity declaration; :class:`TooLargeError` when the parts unpack to
    more than ``max_unpacked_bytes``.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise CorruptFileError(NOT_A_PACKAGE.format(what="is not a ZIP archive")) from None
    with archive:
        members = archive.infolist()
        _check_directory(members, max_unpacked_bytes)
        if MAIN_PART not in {member.filename for member in members}:
            raise CorruptFileError(
                NOT_A_PACKAGE.format(what=f"has no main document part ({MAIN_PART})")
            )
        try:
            for member in members:
                _check_member(archive, member)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError):
            raise CorruptFileError(NOT_A_PACKAGE.format(what="could not be read")) from None
        except NotImplementedError:
            # A compression method zipfile cannot read (Word writes only deflate or stored).
            raise CorruptFileError(
                NOT_A_PACKAGE.format(what="uses a compression method Word does not write")
            ) from None


def _check_directory(members: list[zipfile.ZipInfo], max_unpacked_bytes: int) -> None:
    if len(members) > MAX_PACKAGE_MEMBERS:
        raise RejectedFileError(
            f"The Word document was rejected: it holds {len(members):,} parts, more than the "
            f"limit of {MAX_PACKAGE_MEMBERS:,} (a real document has a few dozen). Save it "
            "again from Word and upload the new file.",
            details={"reason": "too_many_parts", "parts": len(members)},
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked_bytes:
        raise TooLargeError(
            f"The Word document unpacks to {unpacked:,} bytes, more than the limit of "
            f"{max_unpacked_bytes:,} bytes. Remove large images or embedded files, or split the "
            "document, and try again."
        )
    for member in members:
        if member.file_size < RATIO_CHECK_MIN_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO:
            raise RejectedFileError(
                f"The Word document was rejected as a likely zip bomb: its part "
                f"'{member.filename}' unpacks from {member.compress_size:,} to "
                f"{member.file_size:,} bytes (ratio {ratio:,.0f}:1, limit "
                f"{MAX_COMPRESSION_RATIO}:1).",
                details={"reason": "compression_ratio", "part": member.filename},
            )


def _check_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    name = member.filename
    if member.is_dir() or member.file_size == 0:
        return
    if name.lower().endswith(_XML_SUFFIXES):
        _check_xml(archive, member)
        return
    if name.startswith(EMBEDDINGS_FOLDER):
        return
    with archive.open(member) as stream:
        head = stream.read(len(_ZIP_MAGIC))
    if head == _ZIP_MAGIC or name.lower().endswith((".zip", ".docx", ".xlsx", ".pptx")):
        raise RejectedFileError(
            f"The Word document was rejected: its part '{name}' is another ZIP archive nested "
            "inside the package, which Word does not write outside embedded objects.",
            details={"reason": "nested_archive", "part": name},
        )


def _check_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Scan an XML part, chunk by chunk, for the start of a DTD."""
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _DTD_MARKERS):
                raise RejectedFileError(
                    f"The Word document was rejected: its XML part '{member.filename}' "
                    "declares a document type or entities (<!DOCTYPE/<!ENTITY>), which Word "
                    "never writes and which can expand into an XML bomb.",
                    details={"reason": "xml_entities", "part": member.filename},
                )
            tail = window[-_OVERLAP:]


def screen_upload(
    data: bytes,
    *,
    filename: str | None,
    content_type: str | None,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
) -> None:
    """Run :func:`check_package` on an upload that will be read as .docx, so a bomb is
    refused when it is submitted (400) rather than when its job runs. Anything else, and
    formats that cannot be told, are left to ingestion."""
    try:
        file_format = detect_format(data, filename=filename, content_type=content_type)
    except InputError:
        return
    # Not a ZIP (an encrypted or legacy Office file, junk): ingestion explains what it is.
    if file_format == "docx" and data.startswith(_ZIP_MAGIC):
        check_package(data, max_unpacked_bytes=max_unpacked_bytes)
