"""A Document seen the way Vale lints it: scoped units of text.

Every non-code block becomes one unit labelled with Vale's sections (``text.heading.h2.md``,
``text.list.md`` …). Prose paragraphs additionally yield a ``paragraph`` unit and one
``sentence`` unit per sentence, before their ``text`` unit, as Vale orders them. After the
blocks come the ``summary`` unit (prose, list and quote text joined by blank lines) and the
``raw`` unit (the whole source, markup included). Masked spans (inline code) read as ``*`` so
rules cannot match inside them while offsets stay aligned with ``Document.text``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from compliance_assistant.engine.document import Block, BlockKind, Document
from compliance_assistant.engine.vale.sentences import split_sentences

_FORMAT_SECTIONS = {
    "markdown": "md",
    "md": "md",
    "html": "html",
    "htm": "html",
    "text": "txt",
    "txt": "txt",
    "plain": "txt",
    "docx": "docx",
    "word-blocks": "docx",
    "pdf": "pdf",
}
_PROSE = frozenset({BlockKind.PARAGRAPH, BlockKind.TITLE, BlockKind.FOOTNOTE})
_SUMMARISED = _PROSE | {BlockKind.LIST_ITEM, BlockKind.BLOCKQUOTE}
_KIND_SECTIONS: dict[BlockKind, tuple[str, ...]] = {
    BlockKind.LIST_ITEM: ("text", "list"),
    BlockKind.TABLE_HEADER: ("text", "table", "header"),
    BlockKind.TABLE_CELL: ("text", "table", "cell"),
    BlockKind.BLOCKQUOTE: ("text", "blockquote"),
    BlockKind.CAPTION: ("text", "table", "caption"),
}


# Captions that are not table captions: image alt text and figure captions.
_CAPTION_STYLES = {"alt": ("text", "attr", "alt"), "figcaption": ("text", "figure", "caption")}


def format_section(document: Document) -> str:
    """The extension-like section Vale adds to every unit (``md``, ``html``, ``txt`` …)."""
    fmt = document.source_format.lower().lstrip(".")
    return _FORMAT_SECTIONS.get(fmt, fmt)


@dataclass(frozen=True)
class Unit:
    """Text a rule runs on, with a map back to document (or, for ``raw``, source) offsets.

    ``pieces`` holds ``(unit_start, target_start, length)`` triples in order; a unit offset
    between pieces (a joining separator) maps to the end of the piece before it.
    """

    text: str
    sections: frozenset[str]
    pieces: tuple[tuple[int, int, int], ...]
    in_source: bool = False
    block: Block | None = None
    _starts: list[int] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._starts.extend(p[0] for p in self.pieces)

    @property
    def base(self) -> str:
        for name in ("raw", "summary", "sentence", "paragraph"):
            if name in self.sections:
                return name
        return "text"

    def to_target(self, offset: int) -> int:
        if not self.pieces:
            return offset
        index = max(bisect.bisect_right(self._starts, offset) - 1, 0)
        unit_start, target_start, length = self.pieces[index]
        return target_start + min(max(offset - unit_start, 0), length)


def contiguous(
    text: str,
    sections: frozenset[str],
    target_start: int,
    *,
    in_source: bool = False,
    block: Block | None = None,
) -> Unit:
    return Unit(text, sections, ((0, target_start, len(text)),), in_source, block)


def lint_view(document: Document) -> str:
    """``Document.text`` with masked spans replaced by ``*`` (newlines kept), same length."""
    if not document.masked:
        return document.text
    parts: list[str] = []
    position = 0
    text = document.text
    for span in document.masked:
        parts.append(text[position : span.start])
        parts.append("".join("\n" if c == "\n" else "*" for c in text[span.start : span.end]))
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def block_sections(block: Block, ext: str) -> tuple[str, ...]:
    if block.kind is BlockKind.CAPTION and block.style in _CAPTION_STYLES:
        return (*_CAPTION_STYLES[block.style], ext)
    if block.kind is BlockKind.HEADING:
        level = min(max(block.level or 1, 1), 6)
        return ("text", "heading", f"h{level}", ext)
    return (*_KIND_SECTIONS.get(block.kind, ("text",)), ext)


def iter_units(
    document: Document, view: str, *, sentences: bool, paragraphs: bool, summary: bool, raw: bool
) -> Iterator[Unit]:
    """Units in Vale's order; sentence/paragraph/summary/raw units only when asked for."""
    ext = format_section(document)
    text_sections = frozenset(("text", ext))
    summary_parts: list[tuple[str, int]] = []
    for block in document.blocks:
        if block.kind is BlockKind.CODE:
            continue
        body = view[block.start : block.end]
        if block.kind in _SUMMARISED and summary:
            summary_parts.append((body, block.start))
        if block.kind not in _PROSE:
            yield contiguous(body, frozenset(block_sections(block, ext)), block.start, block=block)
            continue
        if paragraphs:
            yield contiguous(body, frozenset(("paragraph", ext)), block.start, block=block)
        if sentences:
            for start, end in split_sentences(body):
                yield contiguous(
                    body[start:end], frozenset(("sentence", ext)), block.start + start, block=block
                )
        yield contiguous(body, text_sections, block.start, block=block)
    if summary:
        yield joined(summary_parts, frozenset(("summary", ext)))
    if raw:
        source = document.source_text if document.source_text is not None else document.text
        yield contiguous(
            source, frozenset(("raw", ext)), 0, in_source=document.source_text is not None
        )


def summary_parts(document: Document, view: str) -> list[tuple[str, int]]:
    """Texts (with their offsets) of the blocks Vale's ``summary`` scope is made of."""
    return [(view[b.start : b.end], b.start) for b in document.blocks if b.kind in _SUMMARISED]


def block_counts(document: Document) -> dict[str, float]:
    """Vale's structural metric variables: headings per level, list items, quotes, code."""
    counts: dict[str, float] = {f"heading_h{n}": 0.0 for n in range(1, 7)}
    counts.update(list=0.0, blockquote=0.0, pre=0.0)
    for block in document.blocks:
        if block.kind is BlockKind.HEADING:
            counts[f"heading_h{min(max(block.level or 1, 1), 6)}"] += 1
        elif block.kind is BlockKind.LIST_ITEM:
            counts["list"] += 1
        elif block.kind is BlockKind.BLOCKQUOTE:
            counts["blockquote"] += 1
        elif block.kind is BlockKind.CODE:
            counts["pre"] += 1
    return counts


def joined(
    parts: Sequence[tuple[str, int]], sections: frozenset[str], separator: str = "\n\n"
) -> Unit:
    """One unit made of several document pieces, each followed by ``separator``."""
    texts: list[str] = []
    pieces: list[tuple[int, int, int]] = []
    length = 0
    for body, target in parts:
        pieces.append((length, target, len(body)))
        texts.append(body + separator)
        length += len(body) + len(separator)
    return Unit("".join(texts), sections, tuple(pieces))
