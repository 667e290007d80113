"""Articles between the API and the worker: what is checked cheaply on submission, what is
stored as the article blob, and how the worker turns the blob into a Document.

Submitted text is validated here (empty, over the character limit); an upload only gets cheap
structural checks (size, format, a readable .docx package or PDF header) so the 202 stays fast —
the worker ingests it, and a file that fails deeper (broken XML, no text layer) ends the job
``failed`` with the ingester's reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from pydantic import ValidationError

from compliance_assistant.checks.schemas import CheckRequest
from compliance_assistant.config import LimitsSettings
from compliance_assistant.engine.document import Document
from compliance_assistant.errors import (
    CorruptFileError,
    EmptyDocumentError,
    InputError,
    ProtectedFileError,
    TooLargeError,
)
from compliance_assistant.ingest import (
    IngestLimits,
    WordBlocksPayload,
    ingest_bytes,
    ingest_text,
    ingest_word_blocks,
)
from compliance_assistant.ingest.sniff import (
    ENCRYPTED_OFFICE_MESSAGE,
    OLE_MAGIC,
    PDF_HEADER_WINDOW,
    PDF_MAGIC,
    detect_format,
)

ENVELOPE_CONTENT_TYPE = "application/vnd.compliance-article+json"
UPLOAD_FORMAT = "upload"


@dataclass(frozen=True)
class Submission:
    """A validated submission, ready to be stored and queued.

    ``content_sha256`` identifies the content for duplicate detection (normalised text for
    JSON input, the bytes for uploads); ``request_hash`` the whole request for
    Idempotency-Key comparison.
    """

    input_format: str
    payload: bytes
    content_type: str
    extension: str
    content_sha256: str
    request_hash: str
    title: str | None
    guideline_set: str | None
    guidelines: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    blob_metadata: dict[str, str] = field(default_factory=dict)

    @property
    def document_id(self) -> str | None:
        value = self.metadata.get("document_id")
        return str(value) if value else None

    @property
    def product_id(self) -> str | None:
        value = self.metadata.get("product_id")
        return str(value) if value else None


def normalised_text(text: str) -> str:
    """NFC, whitespace runs collapsed to one space: what duplicate detection compares."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _sha256(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\x1f")
    return digest.hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def from_json(request: CheckRequest, limits: LimitsSettings) -> Submission:
    """Validate a JSON submission (empty → 422, over the character limit → 413)."""
    if request.format == "word-blocks":
        try:
            payload = WordBlocksPayload(format="word-blocks", blocks=request.blocks or [])
        except ValidationError as exc:
            problems = "; ".join(str(e["msg"]) for e in exc.errors()[:5])
            raise InputError(f"Invalid word-blocks payload: {problems}") from None
        text = "\n".join(block.text for block in payload.blocks)
        envelope: dict[str, Any] = payload.model_dump(mode="json")
    else:
        text = request.article_text or ""
        envelope = {"format": request.format, "text": text}
    envelope["title"] = request.title
    if not text.strip():
        raise EmptyDocumentError(
            "The article contains no text to check. Send the article text and try again."
        )
    if len(text) > limits.max_text_chars:
        raise TooLargeError(
            f"The article has {len(text):,} characters, more than the limit of "
            f"{limits.max_text_chars:,}. Split it into smaller parts and check them one by one."
        )
    content = _sha256(request.format, normalised_text(text))
    metadata = request.metadata.model_dump(exclude_none=True)
    return Submission(
        input_format=request.format,
        payload=_canonical(envelope).encode("utf-8"),
        content_type=ENVELOPE_CONTENT_TYPE,
        extension="json",
        content_sha256=content,
        request_hash=_sha256(
            content,
            _canonical([request.title, request.guideline_set, request.guidelines, metadata]),
        ),
        title=request.title,
        guideline_set=request.guideline_set,
        guidelines=tuple(request.guidelines),
        metadata=metadata,
    )


def from_upload(
    data: bytes,
    *,
    filename: str | None,
    content_type: str | None,
    title: str | None,
    guideline_set: str | None,
    guidelines: tuple[str, ...],
    metadata: dict[str, Any],
    limits: LimitsSettings,
) -> Submission:
    """Cheap checks of an uploaded file: size, empty, format, readable container."""
    if len(data) > limits.max_upload_bytes:
        raise TooLargeError(
            f"The file is {len(data):,} bytes, more than the upload limit of "
            f"{limits.max_upload_bytes:,} bytes. Split it or remove large images."
        )
    if not data.strip():
        raise EmptyDocumentError("The uploaded file is empty. Choose the article file again.")
    file_format = detect_format(data, filename=filename, content_type=content_type)
    _check_container(file_format, data)
    extension = "md" if file_format == "markdown" else file_format
    content = _sha256("upload", data)
    return Submission(
        input_format=UPLOAD_FORMAT,
        payload=data,
        content_type=content_type or "application/octet-stream",
        extension="txt" if extension == "text" else extension,
        content_sha256=content,
        request_hash=_sha256(
            content, _canonical([filename, title, guideline_set, list(guidelines), metadata])
        ),
        title=title,
        guideline_set=guideline_set,
        guidelines=guidelines,
        metadata=metadata,
        blob_metadata={"filename": quote(filename or f"article.{extension}"), "format": extension},
    )


def _check_container(file_format: str, data: bytes) -> None:
    if file_format == "docx":
        if data.startswith(OLE_MAGIC):
            raise ProtectedFileError(ENCRYPTED_OFFICE_MESSAGE)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            raise CorruptFileError(
                "The .docx file is damaged or incomplete (it is not a readable Word package). "
                "Open it in Word, save it again and upload the new copy."
            ) from None
        if "word/document.xml" not in names:
            raise CorruptFileError(
                "The .docx file holds no Word document body (word/document.xml is missing). "
                "Save it from Word as a Word Document (.docx) and upload it again."
            )
    elif file_format == "pdf" and PDF_MAGIC not in data[:PDF_HEADER_WINDOW]:
        raise CorruptFileError(
            "The file is not a readable PDF (no PDF header). Export it from its application "
            "as PDF again and upload the new file."
        )


def ingest_limits(limits: LimitsSettings) -> IngestLimits:
    """The configured limits as ingestion takes them (text length, file size, .docx
    unpacked size)."""
    return IngestLimits(
        max_chars=limits.max_text_chars,
        max_bytes=limits.max_upload_bytes,
        max_unpacked_bytes=limits.max_docx_unpacked_bytes,
    )


def load_document(
    data: bytes, *, content_type: str, blob_metadata: dict[str, str], limits: LimitsSettings
) -> Document:
    """The stored article → Document (CPU work: call it in a thread)."""
    bounds = ingest_limits(limits)
    if content_type == ENVELOPE_CONTENT_TYPE:
        envelope = json.loads(data)
        if envelope["format"] == "word-blocks":
            document = ingest_word_blocks(envelope, limits=bounds)
            title = envelope.get("title")
            return document.model_copy(update={"title": title}) if title else document
        return ingest_text(
            envelope["text"], format=envelope["format"], title=envelope.get("title"), limits=bounds
        )
    filename = unquote(blob_metadata.get("filename", "")) or None
    return ingest_bytes(data, filename=filename, content_type=content_type, limits=bounds)


def dedupe_key(tenant_id: str, submission: Submission, set_ref: str) -> str:
    """sha256(tenant, content, set id@version, selection, document and product): only a check
    that would give the same result is reused (DESIGN §9)."""
    return _sha256(
        tenant_id,
        submission.content_sha256,
        set_ref,
        ",".join(sorted(set(submission.guidelines))),
        submission.document_id or "",
        submission.product_id or "",
    )
