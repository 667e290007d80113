"""Markdown (CommonMark + GFM tables, footnotes, front matter) → Document.

markdown-it-py gives the block structure and inline tokens; every piece of text is then found
in the source (moving forward only, skipping markup, escapes and entities), so
``Document.location`` reports the author's line and column. Link destinations, image sources
and markup never reach ``Document.text``; inline code and bare URLs stay readable but are
listed in ``Document.masked``; image alt text becomes a ``caption`` block (style ``alt``);
raw HTML blocks are read with the HTML ingester's walker; code and display math become
``code`` blocks; front matter is left out. ``<!-- … -->`` comments are kept as
``Document.comments`` (in-text controls such as ``<!-- vale off -->``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import regex
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder
from compliance_assistant.ingest.html import (
    BlockAssembler,
    HtmlOptions,
    HtmlWalker,
    SourceAligner,
    normalise_newlines,
    parse_roots,
)

_TAG_KINDS = {
    "blockquote": BlockKind.BLOCKQUOTE,
    "li": BlockKind.LIST_ITEM,
    "th": BlockKind.TABLE_HEADER,
    "td": BlockKind.TABLE_CELL,
    **{f"h{n}": BlockKind.HEADING for n in range(1, 7)},
}
# Inline constructs and the HTML tags Vale sees for them (for IgnoredScopes).
_INLINE_TAGS = {"em": "em", "strong": "strong", "s": "del", "link": "a"}
# GFM extended autolinks: bare URLs are links whose text is their address.
_BARE_URL = regex.compile(r"(?:https?://|www\.)[^\s<]*[^\s<?!.,:*_~'\")\]]")
_HTML_TAG = regex.compile(r"<(/?)([A-Za-z][\w-]*)([^>]*)>")
_CLASS = regex.compile(r"""class\s*=\s*["']([^"']*)["']""")
_COMMENT = regex.compile(r"<!--(.*?)-->", regex.DOTALL)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin).use(footnote_plugin).use(dollarmath_plugin)
    return md


_MD = _parser()


def ingest_markdown(
    text: str, *, source_name: str | None = None, options: HtmlOptions | None = None
) -> Document:
    """Parse Markdown ``text`` into a Document (see the module docstring).

    ``options`` name the (HTML) tags whose content is left out or masked, as Vale's
    ``SkippedScopes``/``IgnoredScopes``/``IgnoredClasses``; Markdown constructs count as
    their HTML tags (``blockquote``, ``strong``, ``em``, ``code``, ``a`` …).
    """
    source = normalise_newlines(text)
    builder = DocumentBuilder(source_format="markdown", source_name=source_name, source_text=source)
    _Converter(source, builder, options or HtmlOptions()).run(_MD.parse(source))
    return builder.build()


@dataclass
class _Context:
    kind: BlockKind
    level: int | None = None


@dataclass
class _Converter:
    source: str
    builder: DocumentBuilder
    options: HtmlOptions
    line_starts: list[int] = field(default_factory=list)
    stack: list[_Context] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    row_map: list[int] | None = None

    def __post_init__(self) -> None:
        self.line_starts = [0] + [i + 1 for i, c in enumerate(self.source) if c == "\n"]
        self.out = BlockAssembler(self.builder)
        self.row_cursor = (-1, 0)

    def offset(self, line: int) -> int:
        return self.line_starts[line] if line < len(self.line_starts) else len(self.source)

    def run(self, tokens: Sequence[Token]) -> None:
        for token in tokens:
            if token.nesting == 1:
                self.tags.append(token.tag)
                kind = _TAG_KINDS.get(token.tag)
                if token.type == "footnote_open":
                    kind = BlockKind.FOOTNOTE
                self.stack.append(
                    _Context(kind, int(token.tag[1:]) if kind is BlockKind.HEADING else None)
                    if kind
                    else self.context()
                )
                if token.type == "tr_open":
                    self.row_map = token.map
                continue
            if token.nesting == -1:
                if self.tags:
                    self.tags.pop()
                    self.stack.pop()
                continue
            if self.skipped():
                continue
            if token.type == "inline":
                self.inline(token, token.map or self.row_map)
            elif token.type in {"fence", "code_block", "math_block"}:
                self.code(token)
            elif token.type == "html_block":
                self.html_block(token)

    def skipped(self) -> bool:
        """Inside a container whose tag is a skipped scope (e.g. ``blockquote``)."""
        skipped = self.options.skipped_tags
        return any(tag in skipped for tag in self.tags if tag)

    # -- blocks ----------------------------------------------------------------------------

    def region(self, line_map: Sequence[int] | None) -> SourceAligner:
        if not line_map:
            return SourceAligner(self.source)
        return SourceAligner(self.source, self.offset(line_map[0]), self.offset(line_map[1]))

    def context(self) -> _Context:
        return self.stack[-1] if self.stack else _Context(BlockKind.PARAGRAPH)

    def code(self, token: Token) -> None:
        aligner = self.region(token.map)
        if token.type == "fence":
            aligner.find("\n")
        content = token.content.rstrip("\n")
        if content.strip():
            self.out.text(aligner.align(content))
            self.out.flush(BlockKind.CODE)

    def html_block(self, token: Token) -> None:
        aligner = self.region(token.map)
        context = self.context()
        content = token.content
        if not _COMMENT.sub("", content).strip():
            # Only comments (typically Vale's in-text controls): lxml would see no document.
            for match in _COMMENT.finditer(content):
                start = aligner.find("<!--")
                aligner.find("-->")
                self.out.comment(match.group(1).strip(), start)
        else:
            walker = HtmlWalker(self.out, aligner, self.options)
            for root in parse_roots(content):
                walker.walk(root, context.kind, context.level)
        self.out.flush(context.kind, level=context.level)

    # -- inline ----------------------------------------------------------------------------

    def inline(self, token: Token, line_map: Sequence[int] | None) -> None:
        aligner = self.region(line_map)
        context = self.context()
        if context.kind in {BlockKind.TABLE_HEADER, BlockKind.TABLE_CELL}:
            aligner.cursor = self._cell_start(aligner, token.content)
        ignored = self.options.ignored_tags
        masked_link = False
        hidden = 0  # depth of open ignored constructs (IgnoredScopes) and ignored HTML tags
        html_stack: list[tuple[str, bool]] = []
        for child in token.children or []:
            kind = child.type
            base = kind.rsplit("_", 1)[0]
            if kind == "text":
                self._text(aligner, child.content, masked_link or hidden > 0)
            elif kind in {"softbreak", "hardbreak"}:
                self.out.text([("\n", aligner.find("\n"))])
            elif kind == "code_inline":
                aligner.find(child.markup)
                self.out.text(
                    aligner.align(child.content, strict=False),
                    masked="code" in ignored or hidden > 0,
                )
                aligner.find(child.markup)
            elif kind == "math_inline":
                self.out.text(aligner.align(f"${child.content}$", strict=False))
            elif kind == "link_open":
                masked_link = child.markup in {"autolink", "linkify"}
                hidden += "a" in ignored
            elif kind == "link_close":
                masked_link = False
                hidden -= "a" in ignored
                if child.markup != "autolink":
                    self._skip_destination(aligner)
                else:
                    aligner.find(">")
            elif base in _INLINE_TAGS and _INLINE_TAGS[base] in ignored:
                hidden += 1 if kind.endswith("_open") else -1
            elif kind == "image":
                self._image(aligner, child)
            elif kind == "html_inline":
                hidden += self._html_inline(aligner, child.content, html_stack)
            elif kind == "footnote_ref":
                aligner.find("]")
        self.out.flush(context.kind, level=context.level)

    def _text(self, aligner: SourceAligner, content: str, masked: bool) -> None:
        """Plain text; bare URLs in it are autolinks (GFM) and read as masked."""
        position = 0
        for match in _BARE_URL.finditer(content):
            if match.start() > position:
                self.out.text(
                    aligner.align(content[position : match.start()], escapes=True, strict=False),
                    masked=masked,
                )
            self.out.text(aligner.align(match.group(), strict=False), masked=True)
            position = match.end()
        if position < len(content):
            self.out.text(
                aligner.align(content[position:], escapes=True, strict=False), masked=masked
            )

    def _cell_start(self, aligner: SourceAligner, content: str) -> int:
        """Table cells share their row's lines: start after the previous cell's pipe."""
        if self.row_cursor[0] != aligner.end:
            self.row_cursor = (aligner.end, aligner.cursor)
        start = self.row_cursor[1]
        pipe = self.source.find("|", start, aligner.end)
        if pipe == start or (pipe >= 0 and not self.source[start:pipe].strip()):
            start = pipe + 1
        found = self.source.find(content, start, aligner.end) if content else -1
        begin = found if found >= 0 else start
        next_pipe = self._next_pipe(begin + len(content), aligner.end)
        self.row_cursor = (aligner.end, next_pipe)
        return begin

    def _next_pipe(self, start: int, end: int) -> int:
        position = start
        while position < end:
            char = self.source[position]
            if char == "\\":
                position += 2
                continue
            if char == "|":
                return position
            position += 1
        return end

    def _skip_destination(self, aligner: SourceAligner) -> None:
        """Move past ``](destination "title")`` or ``][ref]`` after a link's text."""
        source, position = self.source, aligner.cursor
        close = source.find("]", position, aligner.end)
        if close < 0:
            return
        position = close + 1
        if position < aligner.end and source[position] in "([":
            opener = source[position]
            closer = ")" if opener == "(" else "]"
            depth = 0
            while position < aligner.end:
                char = source[position]
                if char == "\\":
                    position += 2
                    continue
                if char == opener:
                    depth += 1
                elif char == closer:
                    depth -= 1
                    if depth == 0:
                        position += 1
                        break
                position += 1
        aligner.cursor = min(position, aligner.end)

    def _image(self, aligner: SourceAligner, token: Token) -> None:
        start = aligner.find("![")
        alt = token.content
        if alt.strip() and start is not None:
            position = self.source.find(alt, aligner.cursor, aligner.end)
            self.out.extras.append(
                (alt, position if position >= 0 else None, BlockKind.CAPTION, "alt")
            )
        self._skip_destination(aligner)

    def _html_inline(
        self, aligner: SourceAligner, content: str, stack: list[tuple[str, bool]]
    ) -> int:
        """Record a comment, or track an inline tag; returns the change of hidden depth."""
        start = aligner.find(content)
        if content.startswith("<!--"):
            self.out.comment(content[4:].removesuffix("-->").strip(), start)
            return 0
        tag = _HTML_TAG.match(content)
        if tag is None or content.endswith("/>"):
            return 0
        name = tag.group(2).lower()
        if tag.group(1):
            while stack:
                opened, hides = stack.pop()
                if opened == name:
                    return -1 if hides else 0
            return 0
        class_match = _CLASS.search(tag.group(3))
        classes = set(class_match.group(1).split()) if class_match else set()
        hides = name in self.options.ignored_tags or bool(
            classes & set(self.options.ignored_classes)
        )
        stack.append((name, hides))
        return 1 if hides else 0
