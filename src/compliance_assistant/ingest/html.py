"""HTML → Document: readable text per block, inline code masked, exact source positions.

lxml parses the structure; each text node is then aligned with the source text (entities and
tags skipped) so every piece of ``Document.text`` maps back to the line and column the author
sees. Block kinds follow the elements (``h1``–``h6``, ``li``, ``th``/``td``, ``caption``,
``blockquote``, ``pre`` …); script, style and similar content is left out as Vale does, and
inline ``code``/``tt``/``kbd`` text stays in the text but is listed in ``Document.masked``.
The alignment helpers here are shared with the Markdown ingester.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex
from lxml import etree
from lxml import html as lxml_html

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder

SKIPPED_TAGS = frozenset(
    {"script", "style", "pre", "figure", "noscript", "iframe", "template", "svg", "math"}
)
IGNORED_TAGS = frozenset({"tt", "code", "kbd"})
IGNORED_CLASSES = frozenset({"problematic", "pre", "code"})
INLINE_TAGS = frozenset(
    {
        "b",
        "big",
        "i",
        "small",
        "abbr",
        "acronym",
        "cite",
        "dfn",
        "em",
        "kbd",
        "strong",
        "a",
        "br",
        "img",
        "span",
        "sub",
        "sup",
        "code",
        "tt",
        "del",
        "ins",
        "mark",
        "s",
        "u",
        "q",
        "label",
        "time",
        "var",
        "samp",
        "font",
        "wbr",
    }
)
_KINDS: dict[str, BlockKind] = {
    "li": BlockKind.LIST_ITEM,
    "th": BlockKind.TABLE_HEADER,
    "td": BlockKind.TABLE_CELL,
    "caption": BlockKind.CAPTION,
    "figcaption": BlockKind.CAPTION,
    "blockquote": BlockKind.BLOCKQUOTE,
    "title": BlockKind.TITLE,
    **{f"h{n}": BlockKind.HEADING for n in range(1, 7)},
}
_ENTITY = regex.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")
_TAG = regex.compile(r"<!--.*?-->|<![^>]*>|<\?.*?\?>|</?[A-Za-z][^>]*>", regex.DOTALL)

Piece = tuple[str, int | None]


def normalise_newlines(text: str) -> str:
    """Drop a byte-order mark and turn CRLF/CR into LF (Vale reads files the same way)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


class SourceAligner:
    """Finds successive pieces of extracted text in the source, moving forward only.

    ``align`` returns the text as ``(piece, source_offset)`` parts: a literal occurrence
    maps as one part; otherwise characters are matched one by one, reading ``&entities;``
    and backslash escapes as the characters they stand for and skipping tags.
    """

    def __init__(self, source: str, start: int = 0, end: int | None = None) -> None:
        self.source = source
        self.cursor = start
        self.end = len(source) if end is None else end

    def find(self, needle: str, *, advance: bool = True) -> int | None:
        position = self.source.find(needle, self.cursor, self.end)
        if position < 0:
            return None
        if advance:
            self.cursor = position + len(needle)
        return position

    def align(self, text: str, *, escapes: bool = False, strict: bool = True) -> list[Piece]:
        """Map ``text``; with ``strict`` a literal match must follow only tags/whitespace."""
        if not text:
            return []
        position = self.source.find(text, self.cursor, self.end)
        if position >= 0 and (not strict or self._only_markup(self.cursor, position)):
            self.cursor = position + len(text)
            return [(text, position)]
        return self._align_chars(text, escapes=escapes)

    def _only_markup(self, start: int, stop: int) -> bool:
        return not _TAG.sub("", self.source[start:stop]).strip()

    def _align_chars(self, text: str, *, escapes: bool) -> list[Piece]:
        """Match ``text`` character by character from the cursor.

        Before the first character only tags and whitespace may be skipped; when nothing
        can be matched the text stays unmapped and the cursor does not move.
        """
        pieces: list[Piece] = []
        source, p, i = self.source, self.cursor, 0
        run_text, run_start = 0, -1

        def close() -> None:
            nonlocal run_start
            if run_start >= 0:
                pieces.append((text[run_text:i], run_start))
            run_start = -1

        while i < len(text) and p < self.end:
            char = source[p]
            if char == "&" and (entity := _ENTITY.match(source, p)) is not None:
                decoded = html_lib.unescape(entity.group())
                if decoded != entity.group() and text.startswith(decoded, i):
                    close()
                    pieces.append((decoded, p))
                    i, p = i + len(decoded), entity.end()
                    continue
            if char == text[i]:
                if run_start < 0:
                    run_text, run_start = i, p
                i, p = i + 1, p + 1
                continue
            if escapes and char == "\\" and p + 1 < self.end and source[p + 1] == text[i]:
                close()
                p += 1
                continue
            if char.isspace() and text[i].isspace():
                close()
                pieces.append((text[i], p))
                i, p = i + 1, p + 1
                continue
            if i == 0 and char == "<" and (tag := _TAG.match(source, p)) is not None:
                p = tag.end()
                continue
            if i == 0 and char.isspace():
                p += 1
                continue
            break
        close()
        if i == 0:
            return [(text, None)]
        if i < len(text):
            pieces.append((text[i:], None))
        self.cursor = max(self.cursor, p)
        return pieces


def trim_pieces(
    pieces: Sequence[tuple[str, int | None, bool]],
) -> list[tuple[str, int | None, bool]]:
    """Drop outer whitespace of a block's pieces, keeping offsets right."""
    items = [list(p) for p in pieces if p[0]]
    while items and not str(items[0][0]).strip():
        items.pop(0)
    while items and not str(items[-1][0]).strip():
        items.pop()
    if items:
        first = str(items[0][0])
        cut = len(first) - len(first.lstrip())
        items[0][0] = first[cut:]
        if items[0][1] is not None:
            items[0][1] = int(items[0][1]) + cut
        items[-1][0] = str(items[-1][0]).rstrip()
    return [(str(t), None if s is None else int(s), bool(m)) for t, s, m in items if t]


@dataclass
class BlockAssembler:
    """Collects the pieces of one block, then adds it (with masks and comments) to a builder."""

    builder: DocumentBuilder
    pieces: list[tuple[str, int | None, bool]] = field(default_factory=list)
    comments: list[tuple[int, str, int | None]] = field(default_factory=list)
    extras: list[tuple[str, int | None, BlockKind, str]] = field(default_factory=list)

    @property
    def length(self) -> int:
        return sum(len(p[0]) for p in self.pieces)

    def text(self, pieces: Sequence[Piece], *, masked: bool = False) -> None:
        self.pieces.extend((t, s, masked) for t, s in pieces)

    def comment(self, text: str, source_offset: int | None) -> None:
        self.comments.append((self.length, text, source_offset))

    def flush(
        self,
        kind: BlockKind,
        *,
        level: int | None = None,
        style: str | None = None,
        source_index: int | None = None,
    ) -> None:
        raw_length = self.length
        trimmed = trim_pieces(self.pieces)
        lead = 0
        if trimmed:
            first = next(p for p in self.pieces if p[0])
            lead = (
                len(first[0])
                - len(first[0].lstrip())
                + sum(len(p[0]) for p in self.pieces[: self.pieces.index(first)])
            )
        block = self.builder.add_pieces(
            [(t, s) for t, s, _ in trimmed],
            kind,
            level=level,
            style=style,
            source_index=source_index,
        )
        start = block.start if block is not None else self.builder.text_length
        if block is not None:
            position = block.start
            for text, _, masked in trimmed:
                if masked:
                    self.builder.mask(position, position + len(text))
                position += len(text)
        for offset, text, source_offset in self.comments:
            relative = min(max(offset - lead, 0), raw_length)
            where = start + relative if block is not None else start
            if block is not None:
                where = min(where, block.end)
            self.builder.add_comment(text, offset=where, source_offset=source_offset)
        for text, source_offset, extra_kind, extra_style in self.extras:
            self.builder.add(text, extra_kind, style=extra_style, source_start=source_offset)
        self.pieces, self.comments, self.extras = [], [], []


@dataclass(frozen=True)
class HtmlOptions:
    """Vale's ``SkippedScopes`` (tags left out), ``IgnoredScopes`` (inline tags masked) and
    ``IgnoredClasses`` (elements with these classes left out)."""

    skipped_tags: Collection[str] = SKIPPED_TAGS
    ignored_tags: Collection[str] = IGNORED_TAGS
    ignored_classes: Collection[str] = IGNORED_CLASSES


class HtmlWalker:
    """Walks an lxml tree in document order, emitting blocks through a BlockAssembler."""

    def __init__(
        self, assembler: BlockAssembler, aligner: SourceAligner, options: HtmlOptions
    ) -> None:
        self.out = assembler
        self.aligner = aligner
        self.options = options
        self.title: str | None = None

    def walk(
        self,
        element: Any,
        kind: BlockKind = BlockKind.PARAGRAPH,
        level: int | None = None,
        masked: bool = False,
    ) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if element.tag is etree.Comment:
            self._comment(element)
            return
        tag = tag.lower()
        classes = set((element.get("class") or "").split())
        inline = tag in INLINE_TAGS
        if tag in self.options.skipped_tags or (
            classes & set(self.options.ignored_classes) and not inline
        ):
            self._skip(element, tag)
            return
        if not inline:
            self.out.flush(kind, level=level)
            kind, level = self._context(tag, kind, level)
        masked = (
            masked
            or tag in self.options.ignored_tags
            or bool(classes & set(self.options.ignored_classes))
        )
        if tag == "br":
            self.out.text([("\n", None)])
        elif tag == "img" and element.get("alt"):
            self._alt(element.get("alt") or "")
        self._text(element.text, masked)
        for child in element:
            self.walk(child, kind, level, masked)
            self._text(child.tail, masked)
        if not inline:
            if tag == "title":
                self.title = "".join(p[0] for p in self.out.pieces).strip() or None
            self.out.flush(kind, level=level)

    def _context(
        self, tag: str, kind: BlockKind, level: int | None
    ) -> tuple[BlockKind, int | None]:
        new = _KINDS.get(tag)
        if new is None:
            return kind, level
        return new, int(tag[1]) if new is BlockKind.HEADING else None

    def _text(self, text: str | None, masked: bool) -> None:
        if text:
            self.out.text(self.aligner.align(text), masked=masked)

    def _comment(self, element: Any) -> None:
        text = str(element.text or "")
        if text.startswith("?"):
            # lxml's HTML parser turns "<?xml …?>" into a comment; it is not one.
            self.aligner.find("<?")
            self.aligner.find(">")
            return
        start = self.aligner.find("<!--")
        self.aligner.find("-->")
        self.out.comment(text.strip(), start)

    def _alt(self, alt: str) -> None:
        position = self.aligner.find(alt, advance=False)
        self.out.extras.append((alt, position, BlockKind.CAPTION, "alt"))

    def _skip(self, element: Any, tag: str) -> None:
        """Leave the element out of the prose; ``pre`` stays readable as a code block.

        The element's text is still aligned, so the source cursor moves past it and later
        text cannot be matched inside the skipped element.
        """
        if tag == "pre" and "".join(element.itertext()).strip():
            self.out.flush(BlockKind.PARAGRAPH)
            self.out.text(self.aligner.align("".join(element.itertext())))
            self.out.flush(BlockKind.CODE)
            return
        for node in element.iter():
            if node.tag is etree.Comment:
                self.aligner.find("-->")
            elif node.text:
                self.aligner.align(node.text)
            if node is not element and node.tail:
                self.aligner.align(node.tail)


def ingest_html(
    text: str, *, source_name: str | None = None, options: HtmlOptions | None = None
) -> Document:
    """Parse an HTML page or fragment into a Document (see the module docstring)."""
    source = normalise_newlines(text)
    builder = DocumentBuilder(source_format="html", source_name=source_name, source_text=source)
    assembler = BlockAssembler(builder)
    walker = HtmlWalker(assembler, SourceAligner(source), options or HtmlOptions())
    for root in parse_roots(source):
        walker.walk(root)
    assembler.flush(BlockKind.PARAGRAPH)
    builder.title = walker.title
    return builder.build()


def parse_roots(source: str) -> list[Any]:
    """Top-level nodes of an HTML document or fragment, in order (comments included)."""
    if not source.strip():
        return []
    parser = lxml_html.HTMLParser(remove_comments=False, remove_blank_text=False, encoding="utf-8")
    try:
        # Bytes, because lxml refuses a str that carries an XML encoding declaration.
        root = lxml_html.document_fromstring(source.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):
        return []
    nodes: list[Any] = []
    for node in root.itersiblings(preceding=True):
        nodes.insert(0, node)
    nodes.append(root)
    return nodes
