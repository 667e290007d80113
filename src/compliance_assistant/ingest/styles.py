"""Word paragraph style names → block kinds, shared by the .docx and word-blocks ingesters.

Word reports built-in styles under several spellings: the UI name ("Heading 1"), the name
stored in styles.xml ("heading 1") and Office.js ``styleBuiltIn`` values ("Heading1").
Comparisons therefore ignore case, spaces and underscores. Localised names ("Überschrift 1")
are not recognised; the .docx ingester falls back to outline levels for those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compliance_assistant.engine.document import BlockKind

_HEADING = re.compile(r"heading([1-9])")
_LIST = re.compile(r"list(?:bullet|number|continue|paragraph)?([1-9])?")
_QUOTES = frozenset({"quote", "intensequote", "blocktext"})


@dataclass(frozen=True)
class StyleKind:
    """The kind a style gives a paragraph; ``level`` is 1-based where it applies."""

    kind: BlockKind
    level: int | None = None


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", "", name).lower()


def style_kind(name: str | None) -> StyleKind | None:
    """The kind implied by a style name alone, or None for body-text styles."""
    if not name:
        return None
    key = _key(name)
    if key == "title":
        return StyleKind(BlockKind.TITLE)
    heading = _HEADING.fullmatch(key)
    if heading:
        return StyleKind(BlockKind.HEADING, int(heading.group(1)))
    if key == "caption":
        return StyleKind(BlockKind.CAPTION)
    if key in _QUOTES:
        return StyleKind(BlockKind.BLOCKQUOTE)
    listed = _LIST.fullmatch(key)
    if listed:
        return StyleKind(BlockKind.LIST_ITEM, int(listed.group(1) or 1))
    return None
