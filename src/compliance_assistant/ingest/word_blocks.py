"""The Word add-in's ``word-blocks`` payload → Document.

The add-in reads Office.js ``body.paragraphs`` in order and sends one entry per paragraph,
including empty ones, so that ``index`` is the paragraph's position in that collection.
Each non-blank entry becomes one block whose ``source_index`` is that ``index``; findings can
therefore be mapped back to the exact Word paragraph. Block text is the paragraph text as
sent, with each CR or vertical tab (Word's manual line break) turned into LF one for one, so
offsets inside a block equal character positions inside the Word paragraph.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder
from compliance_assistant.errors import InputError
from compliance_assistant.ingest.styles import style_kind

_LINE_BREAKS = str.maketrans({"\r": "\n", "\v": "\n"})
_MAX_REPORTED_ERRORS = 5


class TableCellRef(BaseModel):
    """Where a paragraph sits in a table: 0-based row and column, and the table's ordinal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int = Field(ge=0)
    column: int = Field(ge=0)
    table: int = Field(ge=0)


class WordBlock(BaseModel):
    """One Word paragraph as the add-in sends it.

    ``style`` is the paragraph's style name (Office.js ``styleBuiltIn`` when it is a built-in
    style, else ``style``). ``level`` is optional and 1-based: the heading level for a heading
    (it overrides the level implied by the style, and makes a body-style paragraph with an
    outline level a heading) or the nesting level of a list item.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    index: int = Field(ge=0)
    text: str
    style: str = ""
    is_list_item: bool = False
    table_cell: TableCellRef | None = None
    level: int | None = Field(default=None, ge=1, le=9)


class WordBlocksPayload(BaseModel):
    """``{"format": "word-blocks", "blocks": [...]}``; indices are unique and ascending."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    format: Literal["word-blocks"]
    blocks: list[WordBlock]

    @model_validator(mode="after")
    def _indices_ascending(self) -> Self:
        for previous, block in itertools.pairwise(self.blocks):
            if block.index == previous.index:
                raise ValueError(f"paragraph index {block.index} appears more than once")
            if block.index < previous.index:
                raise ValueError(
                    f"paragraph indices must be in ascending order, but {block.index} comes "
                    f"after {previous.index}"
                )
        return self


def parse_word_blocks(payload: dict[str, Any] | WordBlocksPayload) -> WordBlocksPayload:
    """Validate a raw payload; an invalid one raises :class:`InputError` naming the problems."""
    if isinstance(payload, WordBlocksPayload):
        return payload
    try:
        return WordBlocksPayload.model_validate(payload)
    except ValidationError as exc:
        problems = [_describe(error) for error in exc.errors()[:_MAX_REPORTED_ERRORS]]
        more = exc.error_count() - len(problems)
        suffix = f" (and {more} more)" if more > 0 else ""
        raise InputError(
            "The Word paragraphs sent by the add-in are not valid: "
            + "; ".join(problems)
            + suffix
            + ". Reload the add-in and check the document again; if this persists, "
            "the add-in and the server versions do not match.",
            details=[{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()],
        ) from None


def _describe(error: Any) -> str:
    location = ""
    for part in error["loc"]:
        location += f"[{part}]" if isinstance(part, int) else (f".{part}" if location else part)
    return f"{location}: {error['msg']}" if location else str(error["msg"])


def block_kind(block: WordBlock) -> tuple[BlockKind, int | None]:
    """Kind and level of one paragraph: table position first, then style, then list flag."""
    if block.table_cell is not None:
        kind = BlockKind.TABLE_HEADER if block.table_cell.row == 0 else BlockKind.TABLE_CELL
        return kind, None
    styled = style_kind(block.style)
    if styled is not None and styled.kind in (BlockKind.TITLE, BlockKind.HEADING):
        return styled.kind, block.level or styled.level
    if block.is_list_item or (styled is not None and styled.kind is BlockKind.LIST_ITEM):
        return BlockKind.LIST_ITEM, block.level or (styled.level if styled else None) or 1
    if block.level is not None:
        return BlockKind.HEADING, block.level
    if styled is not None:
        return styled.kind, styled.level
    return BlockKind.PARAGRAPH, None


def ingest_word_blocks_payload(
    payload: dict[str, Any] | WordBlocksPayload, *, source_name: str | None = None
) -> Document:
    """A Document with one block per non-blank paragraph; ``source_index`` = ``index``.

    Raises :class:`InputError` for an invalid payload; an all-blank payload yields a Document
    without blocks (the dispatcher turns that into an error and sets the title).
    """
    parsed = parse_word_blocks(payload)
    builder = DocumentBuilder(source_format="word-blocks", source_name=source_name)
    for entry in parsed.blocks:
        kind, level = block_kind(entry)
        builder.add(
            entry.text.translate(_LINE_BREAKS),
            kind,
            level=level,
            source_index=entry.index,
            style=entry.style or None,
        )
    return builder.build()
