"""The checked document: plain text plus a map of its blocks.

All offsets are Python string indices, i.e. Unicode code points, never UTF-16 units or bytes.
A Document is immutable; ingesters build one with :class:`DocumentBuilder`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

BLOCK_SEPARATOR = "\n"


class BlockKind(StrEnum):
    """What a block is; names follow Vale's scope vocabulary where one exists."""

    TITLE = "title"
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE_HEADER = "table_header"
    TABLE_CELL = "table_cell"
    BLOCKQUOTE = "blockquote"
    FOOTNOTE = "footnote"
    CAPTION = "caption"
    CODE = "code"


class Span(BaseModel):
    """A half-open range ``[start, end)`` of code points in ``Document.text``."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} is before its start {self.start}")
        return self


class Block(BaseModel):
    """One structural unit of a document (a paragraph, heading, list item, table cell …).

    ``source_index`` is the unit's index in its source: the Word paragraph index for .docx and
    word-blocks, the 0-based source line for text formats. ``page`` is 1-based where known.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    kind: BlockKind
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    level: int | None = None
    page: int | None = None
    source_index: int | None = None
    style: str | None = None


class SourceSegment(BaseModel):
    """``length`` code points of Document.text at ``text_start`` came from ``source_start``."""

    model_config = ConfigDict(frozen=True)

    text_start: int
    source_start: int
    length: int


class Comment(BaseModel):
    """A markup comment of the source (e.g. ``<!-- vale off -->``), placed at a text offset.

    Ingesters record comments because they may carry in-text controls for rule engines;
    ``offset`` is where the comment sits in ``Document.text`` (between the text before and
    after it) and ``source_offset`` where it starts in ``source_text``.
    """

    model_config = ConfigDict(frozen=True)

    offset: int = Field(ge=0)
    text: str
    source_offset: int | None = None


class Location(BaseModel):
    """A human position: 1-based line and 1-based column (code points)."""

    model_config = ConfigDict(frozen=True)

    line: int
    column: int


class Document(BaseModel):
    """Plain text of an article and its blocks, in reading order.

    When the text was extracted from a markup source (Markdown, HTML, plain text file),
    ``source_text`` holds the source and ``source_map`` maps text offsets back into it, so
    positions can be reported as the author sees them in their file. Without a source map,
    lines and columns are counted in ``text`` itself (one line per block for Word documents).
    """

    model_config = ConfigDict(frozen=True)

    text: str
    blocks: tuple[Block, ...]
    source_format: str
    title: str | None = None
    source_name: str | None = None
    source_text: str | None = None
    source_map: tuple[SourceSegment, ...] = ()
    # Spans of ``text`` that are shown to people but are not prose to check (inline code,
    # bare URLs): rule engines mask them. Sorted, non-overlapping.
    masked: tuple[Span, ...] = ()
    comments: tuple[Comment, ...] = ()

    _index_cache: _DocumentIndex | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _blocks_inside_text(self) -> Self:
        size = len(self.text)
        previous_start = -1
        for block in self.blocks:
            if not 0 <= block.start <= block.end <= size:
                raise ValueError(f"block {block.id} [{block.start}, {block.end}) outside text")
            if block.start < previous_start:
                raise ValueError(f"block {block.id} is out of reading order")
            previous_start = block.start
        return self

    # -- lookups ---------------------------------------------------------------------------

    def block_at(self, offset: int) -> Block | None:
        """The block containing ``offset`` (the last block starting at or before it)."""
        return self._lookup().block_at(offset)

    def block_by_id(self, block_id: str) -> Block | None:
        return self._lookup().by_id.get(block_id)

    def block_text(self, block: Block) -> str:
        return self.text[block.start : block.end]

    def quote(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def to_source_offset(self, offset: int) -> int:
        """Map a text offset into ``source_text`` (identity when there is no source map)."""
        return self._lookup().to_source(offset)

    def to_source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a text range into ``source_text``; the end follows the range's last character,
        so markup right after the range (a closing ``**``) is not included."""
        source_start = self.to_source_offset(start)
        if end <= start:
            return source_start, source_start
        return source_start, self.to_source_offset(end - 1) + 1

    def location(self, offset: int) -> Location:
        """Line and column of a text offset, in the source file when one is known."""
        if self.source_text is not None and self.source_map:
            return _line_column(
                self.source_text, self._lookup().source_line_starts, self.to_source_offset(offset)
            )
        return _line_column(self.text, self._lookup().text_line_starts, offset)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def _lookup(self) -> _DocumentIndex:
        # Derived lookup tables, built on first use; a private attribute may be set on a frozen
        # model because it is not a field.
        if self._index_cache is None:
            self._index_cache = _DocumentIndex.build(self)
        return self._index_cache


@dataclass(frozen=True)
class _DocumentIndex:
    block_starts: list[int]
    blocks: Sequence[Block]
    by_id: dict[str, Block]
    segment_starts: list[int]
    segments: Sequence[SourceSegment]
    text_line_starts: list[int]
    source_line_starts: list[int]

    @classmethod
    def build(cls, document: Document) -> _DocumentIndex:
        return cls(
            block_starts=[b.start for b in document.blocks],
            blocks=document.blocks,
            by_id={b.id: b for b in document.blocks},
            segment_starts=[s.text_start for s in document.source_map],
            segments=document.source_map,
            text_line_starts=_line_starts(document.text),
            source_line_starts=_line_starts(document.source_text or ""),
        )

    def block_at(self, offset: int) -> Block | None:
        position = bisect.bisect_right(self.block_starts, offset) - 1
        if position < 0:
            return None
        block = self.blocks[position]
        # An offset on the separator after a block still belongs to that block.
        return block if offset <= block.end else None

    def to_source(self, offset: int) -> int:
        if not self.segments:
            return offset
        position = max(bisect.bisect_right(self.segment_starts, offset) - 1, 0)
        segment = self.segments[position]
        within = min(max(offset - segment.text_start, 0), segment.length)
        return segment.source_start + within


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, char in enumerate(text) if char == "\n")
    return starts


def _line_column(text: str, line_starts: list[int], offset: int) -> Location:
    offset = min(max(offset, 0), len(text))
    line_index = bisect.bisect_right(line_starts, offset) - 1
    return Location(line=line_index + 1, column=offset - line_starts[line_index] + 1)


@dataclass
class DocumentBuilder:
    """Appends blocks in reading order and produces a consistent Document.

    Blocks are joined by a single newline. Each call to :meth:`add` may give the source offset
    of the block's text (or of each piece, via :meth:`add_pieces`) so the Document can map
    positions back into its source.
    """

    source_format: str
    title: str | None = None
    source_name: str | None = None
    source_text: str | None = None
    _parts: list[str] = field(default_factory=list)
    _blocks: list[Block] = field(default_factory=list)
    _segments: list[SourceSegment] = field(default_factory=list)
    _masked: list[Span] = field(default_factory=list)
    _comments: list[Comment] = field(default_factory=list)
    _length: int = 0

    def add(
        self,
        text: str,
        kind: BlockKind,
        *,
        level: int | None = None,
        page: int | None = None,
        source_index: int | None = None,
        style: str | None = None,
        source_start: int | None = None,
    ) -> Block | None:
        """Append one block; blank text is skipped (returns None)."""
        pieces = [(text, source_start)]
        return self.add_pieces(
            pieces, kind, level=level, page=page, source_index=source_index, style=style
        )

    def add_pieces(
        self,
        pieces: Sequence[tuple[str, int | None]],
        kind: BlockKind,
        *,
        level: int | None = None,
        page: int | None = None,
        source_index: int | None = None,
        style: str | None = None,
    ) -> Block | None:
        """Append one block made of text pieces, each with its offset in the source (or None)."""
        if not "".join(piece for piece, _ in pieces).strip():
            return None
        if self._blocks:
            self._parts.append(BLOCK_SEPARATOR)
            self._length += len(BLOCK_SEPARATOR)
        start = self._length
        for piece, source_start in pieces:
            if source_start is not None and piece:
                self._segments.append(
                    SourceSegment(
                        text_start=self._length, source_start=source_start, length=len(piece)
                    )
                )
            self._parts.append(piece)
            self._length += len(piece)
        block = Block(
            id=f"b{len(self._blocks)}",
            kind=kind,
            start=start,
            end=self._length,
            level=level,
            page=page,
            source_index=source_index,
            style=style,
        )
        self._blocks.append(block)
        return block

    @property
    def text_length(self) -> int:
        return self._length

    def mask(self, start: int, end: int) -> None:
        """Mark ``[start, end)`` of the text built so far as not-prose (see Document.masked)."""
        if end > start:
            self._masked.append(Span(start=start, end=end))

    def add_comment(
        self, text: str, *, offset: int | None = None, source_offset: int | None = None
    ) -> None:
        """Record a source comment at ``offset`` (default: the current end of the text)."""
        where = self._length if offset is None else offset
        self._comments.append(Comment(offset=where, text=text, source_offset=source_offset))

    def build(self) -> Document:
        return Document(
            text="".join(self._parts),
            blocks=tuple(self._blocks),
            source_format=self.source_format,
            title=self.title,
            source_name=self.source_name,
            source_text=self.source_text if self._segments else None,
            source_map=tuple(self._segments),
            masked=_merge_spans(self._masked),
            comments=tuple(sorted(self._comments, key=lambda c: c.offset)),
        )


def _merge_spans(spans: Sequence[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Span(start=merged[-1].start, end=span.end)
            continue
        merged.append(span)
    return tuple(merged)


def iter_blocks(document: Document, kinds: set[BlockKind] | None = None) -> Iterator[Block]:
    """Blocks of the given kinds (all when None), in reading order."""
    for block in document.blocks:
        if kinds is None or block.kind in kinds:
            yield block
