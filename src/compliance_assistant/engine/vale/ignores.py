"""Vale's ``TokenIgnores`` and ``BlockIgnores``: source patterns whose text rules skip.

Vale rewrites matches into inline code or code blocks before parsing; here the text they
produced is masked instead (``Document.masked``), which keeps every offset and location
exact. Patterns are matched against ``source_text`` (or ``text`` without a source).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from compliance_assistant.engine.document import Document, Span
from compliance_assistant.engine.rules.patterns import compile_pattern


def apply_ignores(
    document: Document,
    token_ignores: Sequence[str] = (),
    block_ignores: Sequence[str] = (),
    *,
    source: str = ".vale.ini",
) -> Document:
    """A copy of ``document`` whose text produced by ignored source ranges is masked."""
    patterns = [*token_ignores, *block_ignores]
    if not patterns:
        return document
    haystack = document.source_text if document.source_text is not None else document.text
    ranges: list[tuple[int, int]] = []
    for pattern in patterns:
        compiled = compile_pattern(pattern, source=source, key="TokenIgnores")
        for match in compiled.finditer(haystack):
            if match.end() > match.start():
                ranges.append(match.span())
    if not ranges:
        return document
    spans = _to_text_spans(document, ranges)
    merged = sorted([*document.masked, *spans], key=lambda s: (s.start, s.end))
    return document.model_copy(update={"masked": _merge(merged)})


def _to_text_spans(document: Document, ranges: list[tuple[int, int]]) -> list[Span]:
    if document.source_text is None or not document.source_map:
        return [Span(start=s, end=e) for s, e in ranges]
    spans: list[Span] = []
    segments = document.source_map
    for start, end in ranges:
        for segment in segments:
            seg_start, seg_end = segment.source_start, segment.source_start + segment.length
            low, high = max(start, seg_start), min(end, seg_end)
            if low < high:
                text_start = segment.text_start + low - seg_start
                spans.append(Span(start=text_start, end=text_start + high - low))
    return spans


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for span in spans:
        if merged and span.start <= merged[-1].end:
            merged[-1] = Span(start=merged[-1].start, end=max(span.end, merged[-1].end))
        else:
            merged.append(span)
    return tuple(merged)


def in_spans(spans: Sequence[Span], offset: int) -> bool:
    """Whether ``offset`` falls inside one of the sorted ``spans``."""
    index = bisect.bisect_right([s.start for s in spans], offset) - 1
    return index >= 0 and offset < spans[index].end
