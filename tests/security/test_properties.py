"""Property tests: ingestion and the rule engine raise nothing but our own input errors on
arbitrary text, markup and bytes (issue #8, fuzzing). Bounded: ~100 examples per property,
no deadline (the CPU is shared)."""

from __future__ import annotations

import io
from typing import Any

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance_assistant.catalog.guideline_sets import GuidelineCatalog, plan_for
from compliance_assistant.engine.result import GuidelineStatus
from compliance_assistant.engine.run import run_plan
from compliance_assistant.errors import InputError
from compliance_assistant.ingest import (
    IngestLimits,
    TextFormat,
    ingest_bytes,
    ingest_text,
    ingest_word_blocks,
)

BOUNDED = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
LIMITS = IngestLimits(max_chars=20_000, max_bytes=200_000, max_unpacked_bytes=5_000_000)

# Text with the characters markup and rules care about, plus anything else.
MARKUP_ALPHABET = st.sampled_from(
    [
        *"<>/&;#*_`[]()!-=|\\\"' \n\t.,:?%$€0123456789abcXYZ",
        *["<p>", "</p>", "<h1>", "<table>", "<td>", "<!--", "-->", "&amp;", "&#0;", "```", "# "],
        *["<![CDATA[", "<script>", "<?xml", "<!DOCTYPE", "\x00", "\u202e", "\ufeff", "\ud7ff"],
        *["guaranteed", "risk-free", "100%", "best", "free", "APR", "Q1", "e.g.", "i.e."],
    ]
)
TEXT = st.one_of(
    st.text(max_size=400),
    st.lists(MARKUP_ALPHABET, max_size=120).map("".join),
)


def default_plan() -> Any:
    catalog = GuidelineCatalog.create()
    return plan_for(catalog.find("marketing-eu"))


def only_input_errors(call: Any) -> Any:
    """Run ``call``; our input errors are an allowed outcome, anything else fails."""
    try:
        return call()
    except InputError as exc:
        message = exc.message
    assert message, "an input error must tell the user what is wrong"
    return None


@BOUNDED
@given(text=TEXT, markup=st.sampled_from(["text", "markdown", "html"]))
def test_ingest_text_raises_only_input_errors(text: str, markup: TextFormat) -> None:
    document = only_input_errors(lambda: ingest_text(text, format=markup, limits=LIMITS))
    if document is not None:
        assert document.text.strip()


@BOUNDED
@given(
    blocks=st.lists(
        st.fixed_dictionaries(
            {"text": TEXT},
            optional={
                "style": st.text(max_size=20),
                "index": st.integers(min_value=-5, max_value=10**6),
                "kind": st.sampled_from(["paragraph", "heading", "list_item", "x"]),
                "level": st.integers(min_value=-3, max_value=12),
            },
        ),
        max_size=8,
    ),
    extra=st.dictionaries(st.sampled_from(["title", "version", "unknown"]), st.text(max_size=5)),
)
def test_ingest_word_blocks_raises_only_input_errors(
    blocks: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    only_input_errors(lambda: ingest_word_blocks({"blocks": blocks, **extra}, limits=LIMITS))


@BOUNDED
@given(data=st.binary(max_size=2048), name=st.sampled_from(["a.docx", "a.pdf", "a.md", None]))
def test_random_bytes_as_documents_raise_only_input_errors(data: bytes, name: str | None) -> None:
    only_input_errors(lambda: ingest_bytes(data, filename=name, limits=LIMITS))


@BOUNDED
@given(data=st.binary(max_size=256))
def test_random_bytes_behind_a_zip_header_raise_only_input_errors(data: bytes) -> None:
    only_input_errors(lambda: ingest_bytes(b"PK\x03\x04" + data, filename="a.docx", limits=LIMITS))


def _xml_safe(text: str) -> str:
    # python-docx cannot store characters XML 1.0 forbids; Word cannot either.
    return "".join(
        c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
    )


@settings(max_examples=40, deadline=None, database=None)
@given(paragraphs=st.lists(TEXT.map(_xml_safe), min_size=1, max_size=5), cut=st.integers(0, 400))
def test_docx_built_from_random_text_ingests_or_raises_input_errors(
    paragraphs: list[str], cut: int
) -> None:
    word = docx.Document()
    for text in paragraphs:
        word.add_paragraph(text)
    buffer = io.BytesIO()
    word.save(buffer)
    data = buffer.getvalue()
    document = only_input_errors(lambda: ingest_bytes(data, filename="r.docx", limits=LIMITS))
    if document is not None:
        assert document.source_format == "docx"
    # The same package, truncated: a broken upload.
    only_input_errors(lambda: ingest_bytes(data[: len(data) - cut - 1], filename="t.docx"))


PLAN = default_plan()


@BOUNDED
@given(text=TEXT, markup=st.sampled_from(["text", "markdown", "html"]))
def test_rule_engine_on_the_default_set_never_errs(text: str, markup: TextFormat) -> None:
    document = only_input_errors(lambda: ingest_text(text, format=markup, limits=LIMITS))
    if document is None:
        return
    result = run_plan(document, PLAN, job_id="property")
    errored = [g for g in result.guidelines if g.status is GuidelineStatus.ERROR]
    assert not errored, [(g.guideline_id, g.reason) for g in errored]
