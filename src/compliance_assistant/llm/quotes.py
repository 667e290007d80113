"""Locate a model's quote in the Document, so a finding is only ever shown where the text is.

Search order: exact match in the block the model named, then a whitespace- and
quote-normalised match in that block, then the same two over the whole text. The span returned
always covers real text of the Document; a quote found nowhere yields None and the finding is
dropped by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from compliance_assistant.engine.document import Document, Span

# Typographic variants a model tends to straighten (or curl) when it copies text.
_CHAR_FOLD = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
    "…": "...",
    "\u00ad": "",  # soft hyphen: invisible in Word, never copied
    "\u200b": "",  # zero-width space
}
_QUOTE_CHARS = "'\"“”‘’«»„"


@dataclass(frozen=True)
class _Folded:
    """Normalised text and, for each of its characters, the offset it came from."""

    text: str
    origin: list[int]


def locate_quote(document: Document, quote: str, block_id: str | None) -> Span | None:
    """The span of ``quote`` in ``document``, preferring the block ``block_id``."""
    candidates = [quote.strip()]
    trimmed = candidates[0].strip(_QUOTE_CHARS).strip()
    if trimmed and trimmed != candidates[0]:
        candidates.append(trimmed)  # a model sometimes wraps its quote in quotation marks
    block = document.block_by_id(block_id) if block_id else None
    regions = [(block.start, block.end)] if block is not None else []
    regions.append((0, len(document.text)))
    for start, end in regions:
        for candidate in candidates:
            span = _find(document.text, candidate, start, end)
            if span is not None:
                return span
    return None


def _find(text: str, quote: str, start: int, end: int) -> Span | None:
    if not quote.strip():
        return None
    exact = text.find(quote, start, end)
    if exact >= 0:
        return Span(start=exact, end=exact + len(quote))
    region = _fold(text, start, end)
    needle = _fold(quote, 0, len(quote)).text.strip()
    if not needle:
        return None
    position = region.text.find(needle)
    if position < 0:
        return None
    first = region.origin[position]
    last = region.origin[position + len(needle) - 1]
    return Span(start=first, end=last + 1)


def _fold(text: str, start: int, end: int) -> _Folded:
    """Fold typographic variants and collapse each whitespace run to one space."""
    chars: list[str] = []
    origin: list[int] = []
    previous_space = False
    for index in range(start, end):
        char = text[index]
        if char.isspace():
            if not previous_space:
                chars.append(" ")
                origin.append(index)
            previous_space = True
            continue
        previous_space = False
        replacement = _CHAR_FOLD.get(char, char)
        for piece in replacement:
            chars.append(piece)
            origin.append(index)
    return _Folded("".join(chars), origin)
