"""Word .docx → Document.

Blocks come in reading order: the body (paragraphs, headings, list items, table cells, and the
contents of text boxes right after the paragraph that anchors them), then footnotes, then
endnotes. A body block's ``source_index`` is its paragraph's index in Office.js
``body.paragraphs`` — empty paragraphs produce no block but are counted — so the add-in can
map a finding to the exact Word paragraph. Text-box and note blocks have no ``source_index``
because they are not in that collection.

Block text is the paragraph's visible text exactly as Word holds it (tracked insertions in,
deletions out; see :mod:`.wordml`), so offsets inside a block are positions in the paragraph.
"""

from __future__ import annotations

import io
import zipfile
import zlib

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.parts.document import DocumentPart
from lxml import etree

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder
from compliance_assistant.errors import CorruptFileError
from compliance_assistant.ingest.sniff import OLE_MAGIC, raise_for_ole
from compliance_assistant.ingest.styles import style_kind
from compliance_assistant.ingest.wordml import (
    W_PPR,
    CellPosition,
    ParagraphStyle,
    StyleTable,
    child_value,
    iter_body_paragraphs,
    text_boxes,
    visible_text,
    w,
)
from compliance_assistant.ingest.zip_safety import NOT_A_PACKAGE, check_package

# Parser for the parts python-docx does not load: no entity expansion, no network, no
# unbounded trees (the zip size cap already bounds the input).
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def ingest_docx(
    data: bytes, *, source_name: str | None = None, max_unpacked_bytes: int
) -> Document:
    """Read a .docx package into a Document (see the module docstring for block order).

    ``max_unpacked_bytes`` caps the sum of the declared uncompressed sizes of the package's
    members, checked before anything is decompressed; zip and XML bombs are refused before
    python-docx reads the package (:mod:`.zip_safety`). Raises :class:`ProtectedFileError` for an
    encrypted document, :class:`UnsupportedFormatError` for a legacy .doc,
    :class:`CorruptFileError` for anything that is not a readable Word package, and
    :class:`TooLargeError` for a package that unpacks beyond the cap, and
    :class:`~.zip_safety.RejectedFileError` for a bomb. The Document may have no
    blocks; callers decide whether that is an error.
    """
    if data.startswith(OLE_MAGIC):
        raise_for_ole(data)
    check_package(data, max_unpacked_bytes=max_unpacked_bytes)
    try:
        word = docx.Document(io.BytesIO(data))
        styles = StyleTable(word.styles.element)
        body = word.element.body
        notes = {
            kind: _note_part(word.part, relationship, tag)
            for kind, relationship, tag in (
                ("footnote", RT.FOOTNOTES, "footnote"),
                ("endnote", RT.ENDNOTES, "endnote"),
            )
        }
    except etree.XMLSyntaxError as exc:
        raise CorruptFileError(
            NOT_A_PACKAGE.format(what=f"contains broken XML ({exc.msg})")
        ) from None
    except (
        PackageNotFoundError,
        ValueError,
        KeyError,
        # A [Content_Types].xml without the main document's type makes python-docx load the
        # body as a generic part, which then lacks the attributes it reads.
        AttributeError,
        TypeError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
    ) as exc:
        raise CorruptFileError(
            NOT_A_PACKAGE.format(what=f"could not be read ({type(exc).__name__})")
        ) from None

    builder = DocumentBuilder(source_format="docx", source_name=source_name)
    references: dict[str, list[str]] = {"footnote": [], "endnote": []}
    for index, (paragraph, cell) in enumerate(iter_body_paragraphs(body)):
        _add_paragraph(builder, styles, paragraph, cell, source_index=index)
        for kind, ids in references.items():
            ids.extend(ref.get(w("id")) or "" for ref in paragraph.iter(w(f"{kind}Reference")))
        for story in text_boxes(paragraph):
            for inner, inner_cell in iter_body_paragraphs(story):
                _add_paragraph(builder, styles, inner, inner_cell, source_index=None)
    for kind in ("footnote", "endnote"):
        for note in _in_reference_order(notes[kind], references[kind]):
            for paragraph, _ in iter_body_paragraphs(note):
                builder.add(
                    visible_text(paragraph).strip(),
                    BlockKind.FOOTNOTE,
                    style=styles.resolve(child_value(paragraph.find(W_PPR), "pStyle")).name,
                )
    return builder.build()


def _add_paragraph(
    builder: DocumentBuilder,
    styles: StyleTable,
    paragraph: etree._Element,
    cell: CellPosition | None,
    *,
    source_index: int | None,
) -> None:
    properties = paragraph.find(W_PPR)
    style = styles.resolve(child_value(properties, "pStyle"))
    kind, level = _classify(properties, style, cell)
    builder.add(
        visible_text(paragraph), kind, level=level, source_index=source_index, style=style.name
    )


def _classify(
    properties: etree._Element | None, style: ParagraphStyle, cell: CellPosition | None
) -> tuple[BlockKind, int | None]:
    """Kind and level: table position, then heading style, outline level, numbering, style."""
    if cell is not None:
        return (BlockKind.TABLE_HEADER if cell.header_row else BlockKind.TABLE_CELL), None
    styled = style_kind(style.name)
    if styled is not None and styled.kind in (BlockKind.TITLE, BlockKind.HEADING):
        return styled.kind, styled.level
    outline_value = child_value(properties, "outlineLvl")
    outline = int(outline_value) if outline_value and outline_value.isdigit() else None
    outline = outline if outline is not None else style.outline_level
    if outline is not None and outline <= 8:
        return BlockKind.HEADING, outline + 1
    num_id = child_value(properties, "numPr", "numId")
    # numId 0 on the paragraph switches off numbering inherited from its style.
    numbered = num_id != "0" if num_id is not None else style.numbered
    if numbered:
        ilvl = child_value(properties, "numPr", "ilvl")
        list_level = int(ilvl) if ilvl and ilvl.isdigit() else (style.list_level or 0)
        return BlockKind.LIST_ITEM, list_level + 1
    if styled is not None and not (styled.kind is BlockKind.LIST_ITEM and num_id == "0"):
        return styled.kind, styled.level
    return BlockKind.PARAGRAPH, None


def _note_part(part: DocumentPart, relationship: str, tag: str) -> dict[str, etree._Element]:
    """Footnotes or endnotes by id, without Word's separator pseudo-notes."""
    for rel in part.rels.values():
        if rel.reltype == relationship and not rel.is_external:
            root = etree.fromstring(rel.target_part.blob, _SAFE_PARSER)
            return {
                note.get(w("id")) or "": note
                for note in root.iterfind(w(tag))
                if note.get(w("type")) in (None, "normal")
            }
    return {}


def _in_reference_order(
    notes: dict[str, etree._Element], references: list[str]
) -> list[etree._Element]:
    """Notes in the order the body first cites them; uncited ones after, in part order."""
    ordered: list[etree._Element] = []
    seen: set[str] = set()
    for note_id in [*references, *notes]:
        if note_id in notes and note_id not in seen:
            seen.add(note_id)
            ordered.append(notes[note_id])
    return ordered
