"""Submissions: validation, normalisation for duplicate detection, and the article blob."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from compliance_assistant.checks.article import (
    dedupe_key,
    from_json,
    from_upload,
    load_document,
    normalised_text,
)
from compliance_assistant.checks.schemas import CheckRequest
from compliance_assistant.config import LimitsSettings
from compliance_assistant.errors import (
    CorruptFileError,
    EmptyDocumentError,
    ProtectedFileError,
    TooLargeError,
    UnsupportedFormatError,
)

LIMITS = LimitsSettings(max_text_chars=1000, max_upload_bytes=100_000)
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "articles" / "savings-account.docx"


def submit(**body: object) -> CheckRequest:
    return CheckRequest.model_validate(body)


def test_normalised_text_ignores_whitespace_and_unicode_composition() -> None:
    assert normalised_text("  Caf\u0065\u0301\n\n  au   lait ") == "Caf\u00e9 au lait"


def test_duplicates_share_a_key_only_for_the_same_check() -> None:
    first = from_json(submit(article_text="Earn 5%  now.\n"), LIMITS)
    same = from_json(submit(article_text=" Earn 5% now."), LIMITS)
    assert first.content_sha256 == same.content_sha256
    key = dedupe_key("t1", first, "set@1")
    assert key == dedupe_key("t1", same, "set@1")
    assert key != dedupe_key("t2", same, "set@1")
    assert key != dedupe_key("t1", same, "set@2")
    selected = from_json(submit(article_text="Earn 5% now.", guidelines=["a"]), LIMITS)
    assert dedupe_key("t1", selected, "set@1") != key
    document = from_json(submit(article_text="Earn 5% now.", metadata={"document_id": "d"}), LIMITS)
    assert dedupe_key("t1", document, "set@1") != key
    markdown = from_json(submit(article_text="Earn 5% now.", format="markdown"), LIMITS)
    assert markdown.content_sha256 != first.content_sha256


def test_request_hash_covers_the_whole_request() -> None:
    base = from_json(submit(article_text="Text"), LIMITS)
    assert base.request_hash == from_json(submit(article_text="Text"), LIMITS).request_hash
    assert (
        base.request_hash != from_json(submit(article_text="Text", title="T"), LIMITS).request_hash
    )


def test_empty_and_oversized_text_are_refused() -> None:
    with pytest.raises(EmptyDocumentError):
        from_json(submit(article_text=" \n "), LIMITS)
    with pytest.raises(TooLargeError):
        from_json(submit(article_text="x" * 1001), LIMITS)


def test_json_envelope_round_trips_to_a_document() -> None:
    submission = from_json(
        submit(article_text="# Title\n\nA risk-free plan.", format="markdown", title="Mine"),
        LIMITS,
    )
    document = load_document(
        submission.payload,
        content_type=submission.content_type,
        blob_metadata=submission.blob_metadata,
        limits=LIMITS,
    )
    assert document.source_format == "markdown"
    assert document.title == "Mine"
    assert "risk-free" in document.text


def test_word_blocks_envelope_keeps_paragraph_indices() -> None:
    blocks = [{"index": 0, "text": "Heading", "style": "Heading 1"}, {"index": 3, "text": "Body"}]
    submission = from_json(submit(format="word-blocks", blocks=blocks), LIMITS)
    document = load_document(
        submission.payload, content_type=submission.content_type, blob_metadata={}, limits=LIMITS
    )
    assert [b.source_index for b in document.blocks] == [0, 3]


def test_upload_cheap_checks() -> None:
    data = SAMPLE.read_bytes()
    limits = LimitsSettings(max_upload_bytes=len(data) + 10)
    ok = from_upload(
        data,
        filename="Sävings account.docx",
        content_type=None,
        title=None,
        guideline_set=None,
        guidelines=(),
        metadata={},
        limits=limits,
    )
    assert ok.extension == "docx"
    document = load_document(
        ok.payload, content_type=ok.content_type, blob_metadata=ok.blob_metadata, limits=limits
    )
    assert document.source_format == "docx"
    assert document.source_name == "Sävings account.docx"

    def attempt(payload: bytes, name: str) -> None:
        from_upload(
            payload,
            filename=name,
            content_type=None,
            title=None,
            guideline_set=None,
            guidelines=(),
            metadata={},
            limits=limits,
        )

    with pytest.raises(TooLargeError):
        attempt(b"x" * (limits.max_upload_bytes + 1), "big.txt")
    with pytest.raises(EmptyDocumentError):
        attempt(b"   ", "empty.txt")
    with pytest.raises(CorruptFileError):
        attempt(b"PK\x03\x04broken", "a.docx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("other.xml", "<x/>")
    with pytest.raises(CorruptFileError):
        attempt(buffer.getvalue(), "a.docx")
    with pytest.raises(ProtectedFileError):
        attempt(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a.docx")
    with pytest.raises(CorruptFileError):
        attempt(b"not a pdf", "a.pdf")
    with pytest.raises(UnsupportedFormatError):
        attempt(b"MZ", "a.exe")
