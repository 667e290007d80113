"""Reading WordprocessingML (the XML inside a .docx): paragraph order, visible text, styles.

python-docx exposes neither tracked-change-aware text nor the paragraph order Word's object
model uses, so this module walks the XML itself. Two contracts matter:

* :func:`iter_body_paragraphs` yields paragraphs in the order of Office.js
  ``body.paragraphs``: every ``w:p`` of the main story in document order, including those in
  table cells (nested tables too) and content controls, and including empty ones; paragraphs
  of text boxes, headers, footers and notes belong to other stories and are not yielded.
* :func:`visible_text` is the text Word shows with changes accepted: inserted runs are kept,
  deleted and moved-away runs dropped; field results and hyperlink text are kept, field codes
  dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from docx.styles import BabelFish
from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NAMESPACES = {"w": W_NS, "mc": MC_NS}


def w(tag: str) -> str:
    """Clark name of a WordprocessingML tag."""
    return f"{{{W_NS}}}{tag}"


W_P, W_TBL, W_TR, W_TC = w("p"), w("tbl"), w("tr"), w("tc")
W_PPR, W_RPR, W_VAL = w("pPr"), w("rPr"), w("val")
W_TXBX_CONTENT = w("txbxContent")
MC_FALLBACK = f"{{{MC_NS}}}Fallback"

# Subtrees whose text Word does not show: deletions, the source of a move, field codes,
# property bags, ruby guide text, and text-box stories (read separately, not as part of the
# anchoring paragraph). mc:Fallback duplicates its mc:Choice for older readers.
_HIDDEN = frozenset(
    {
        w("del"),
        w("moveFrom"),
        w("delText"),
        w("delInstrText"),
        w("instrText"),
        W_PPR,
        W_RPR,
        w("sdtPr"),
        w("sdtEndPr"),
        w("rt"),
        W_TXBX_CONTENT,
        MC_FALLBACK,
    }
)
_CHARACTERS = {
    w("tab"): "\t",
    w("ptab"): "\t",
    w("br"): "\n",
    w("cr"): "\n",
    w("noBreakHyphen"): "-",
}
# Containers that may wrap rows or cells of a table (content controls, custom XML).
_ROW_PATH = etree.XPath(
    "./w:tr | ./w:sdt/w:sdtContent/w:tr | ./w:customXml/w:tr", namespaces=NAMESPACES
)
_CELL_PATH = etree.XPath(
    "./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces=NAMESPACES
)
_HEADER_ROW = etree.XPath("./w:trPr/w:tblHeader", namespaces=NAMESPACES)
_TEXT_BOXES = etree.XPath(".//w:txbxContent[not(ancestor::mc:Fallback)]", namespaces=NAMESPACES)

_FALSE_VALUES = frozenset({"0", "false", "off"})


@dataclass(frozen=True)
class CellPosition:
    """A paragraph's table cell: the row's index in its (innermost) table and header flag."""

    row: int
    header_row: bool


def iter_body_paragraphs(
    container: etree._Element,
    cell: CellPosition | None = None,
) -> Iterator[tuple[etree._Element, CellPosition | None]]:
    """Paragraphs of a story in Word's order, each with its table cell (None outside tables)."""
    for child in container:
        tag = child.tag
        if not isinstance(tag, str) or tag in (W_TXBX_CONTENT, MC_FALLBACK):
            continue
        if tag == W_P:
            yield child, cell
        elif tag == W_TBL:
            yield from _iter_table(child)
        else:
            yield from iter_body_paragraphs(child, cell)


def _iter_table(table: etree._Element) -> Iterator[tuple[etree._Element, CellPosition | None]]:
    rows = _ROW_PATH(table)
    assert isinstance(rows, list)
    for row_index, row in enumerate(rows):
        assert isinstance(row, etree._Element)
        position = CellPosition(row=row_index, header_row=row_index == 0 or is_on(_HEADER_ROW(row)))
        cells = _CELL_PATH(row)
        assert isinstance(cells, list)
        for cell in cells:
            assert isinstance(cell, etree._Element)
            yield from iter_body_paragraphs(cell, position)


def text_boxes(paragraph: etree._Element) -> list[etree._Element]:
    """The text-box stories anchored in a paragraph (each once, not its fallback copy)."""
    found = _TEXT_BOXES(paragraph)
    assert isinstance(found, list)
    return [element for element in found if isinstance(element, etree._Element)]


def is_on(found: object) -> bool:
    """Whether an on/off property found by XPath is present and not switched off."""
    if not isinstance(found, list) or not found:
        return False
    element = found[0]
    if not isinstance(element, etree._Element):
        return False
    return (element.get(W_VAL) or "true").lower() not in _FALSE_VALUES


def visible_text(paragraph: etree._Element) -> str:
    """The text Word shows for a paragraph (see the module docstring)."""
    parts: list[str] = []
    _collect(paragraph, parts)
    return "".join(parts)


def _collect(element: etree._Element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _HIDDEN:
            continue
        if tag == w("t"):
            parts.append(child.text or "")
        elif tag in _CHARACTERS:
            parts.append(_CHARACTERS[tag])
        else:
            _collect(child, parts)


def child_value(element: etree._Element | None, *path: str) -> str | None:
    """``w:val`` of the element at ``path`` (WordprocessingML tag names) below ``element``."""
    for tag in path:
        if element is None:
            return None
        element = element.find(w(tag))
    return None if element is None else element.get(W_VAL)


@dataclass(frozen=True)
class ParagraphStyle:
    """Resolved paragraph style: name, outline level (0–8; None for body text) and numbering."""

    name: str | None
    outline_level: int | None
    numbered: bool
    list_level: int | None


class StyleTable:
    """Paragraph styles of a document, resolved through their ``basedOn`` chains."""

    def __init__(self, styles: etree._Element | None) -> None:
        self._styles: dict[str, etree._Element] = {}
        self.default_id: str | None = None
        if styles is None:
            return
        for style in styles.iterfind(w("style")):
            if style.get(w("type")) != "paragraph":
                continue
            style_id = style.get(w("styleId"))
            if style_id is None:
                continue
            self._styles[style_id] = style
            if (style.get(w("default")) or "").lower() in {"1", "true", "on"}:
                self.default_id = style_id

    def resolve(self, style_id: str | None) -> ParagraphStyle:
        """The style's name and the outline/numbering properties it or its bases define."""
        style_id = style_id or self.default_id
        name: str | None = None
        outline: str | None = None
        num_id: str | None = None
        list_level: str | None = None
        seen: set[str] = set()
        while style_id is not None and style_id not in seen and style_id in self._styles:
            seen.add(style_id)
            style = self._styles[style_id]
            if name is None:
                raw_name = child_value(style, "name")
                # styles.xml stores some built-in names in lower case ("heading 1"); Word's UI
                # and Office.js use "Heading 1".
                name = BabelFish.internal2ui(raw_name) if raw_name else None
            properties = style.find(W_PPR)
            outline = outline or child_value(properties, "outlineLvl")
            num_id = num_id or child_value(properties, "numPr", "numId")
            list_level = list_level or child_value(properties, "numPr", "ilvl")
            style_id = child_value(style, "basedOn")
        return ParagraphStyle(
            name=name,
            outline_level=_outline(outline),
            numbered=num_id not in (None, "0"),
            list_level=_int_or_none(list_level),
        )


def _int_or_none(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _outline(value: str | None) -> int | None:
    level = _int_or_none(value)
    # Level 9 is "body text"; anything outside 0–8 is not a heading level.
    return level if level is not None and 0 <= level <= 8 else None
