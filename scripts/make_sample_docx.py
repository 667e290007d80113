"""Write the Word twin of every sample article in samples/articles/ from its Markdown source.

    .venv/bin/python scripts/make_sample_docx.py            # (re)write the .docx files
    .venv/bin/python scripts/make_sample_docx.py --check    # exit 1 if any .docx is stale

The Markdown file is the single source of content; the .docx gets real Word structure: "#" →
Title, "##" → Heading 1, "###" → Heading 2, bullet and numbered lists → List Bullet / List
Number, pipe tables → a Table Grid table with a repeating header row, **bold** / *italic* runs,
and "[^n]" references with their "[^n]: …" definitions → real footnotes (word/footnotes.xml,
which python-docx cannot write, so it is added as raw XML). Output is byte-for-byte
reproducible: fixed document properties and fixed ZIP timestamps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

ARTICLES = Path(__file__).resolve().parent.parent / "samples" / "articles"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
HEADING_STYLES = {"h1": "Title", "h2": "Heading 1", "h3": "Heading 2", "h4": "Heading 3"}
FIXED_TIME = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)
ZIP_TIME = (2024, 5, 1, 9, 0, 0)
# w:settings children that must come after w:footnotePr (ECMA-376 schema order).
SETTINGS_AFTER_FOOTNOTE_PR = {
    "endnotePr",
    "compat",
    "docVars",
    "rsids",
    "mathPr",
    "attachedSchema",
    "themeFontLang",
    "clrSchemeMapping",
    "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures",
    "forceUpgrade",
    "captions",
    "readModeInkLockDown",
    "smartTagType",
    "schemaLibrary",
    "shapeDefaults",
    "doNotEmbedSmartTags",
    "decimalSymbol",
    "listSeparator",
}


def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").use(footnote_plugin)


@dataclass
class Converter:
    """Walks markdown-it tokens and writes the matching Word structure."""

    document: WordDocument
    footnotes: dict[int, str] = field(default_factory=dict)
    list_styles: list[str] = field(default_factory=list)
    table: Table | None = None
    row: int = -1
    column: int = 0
    pending_style: str = "Normal"

    def convert(self, tokens: list[Token]) -> None:
        index = 0
        while index < len(tokens):
            index = self.handle(tokens, index)

    def handle(self, tokens: list[Token], index: int) -> int:
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            self.pending_style = HEADING_STYLES[token.tag]
        elif kind in ("bullet_list_open", "ordered_list_open"):
            self.list_styles.append("List Bullet" if kind == "bullet_list_open" else "List Number")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.list_styles.pop()
        elif kind == "table_open":
            return self.start_table(tokens, index)
        elif kind == "tr_open":
            self.row += 1
            self.column = 0
        elif kind in ("th_close", "td_close"):
            self.column += 1
        elif kind == "table_close":
            self.table = None
        elif kind == "footnote_block_open":
            return self.read_footnotes(tokens, index)
        elif kind == "inline":
            self.write_inline(token)
        return index + 1

    def write_inline(self, token: Token) -> None:
        if self.table is not None:
            paragraph = self.table.cell(self.row, self.column).paragraphs[0]
            add_runs(paragraph, token.children or [], bold=self.row == 0)
            return
        style = self.list_styles[-1] if self.list_styles else self.pending_style
        paragraph = self.document.add_paragraph(style=style)
        add_runs(paragraph, token.children or [])
        self.pending_style = "Normal"

    def start_table(self, tokens: list[Token], index: int) -> int:
        end = next(i for i in range(index, len(tokens)) if tokens[i].type == "table_close")
        rows = sum(1 for token in tokens[index:end] if token.type == "tr_open")
        header_end = next(i for i in range(index, end) if tokens[i].type == "tr_close")
        columns = sum(1 for token in tokens[index:header_end] if token.type == "th_open")
        self.table = self.document.add_table(rows=rows, cols=columns)
        self.table.style = self.document.styles["Table Grid"]
        header = self.table.rows[0]._tr
        header.get_or_add_trPr().append(parse_xml(f'<w:tblHeader xmlns:w="{W_NS}"/>'))
        self.row = -1
        return index + 1

    def read_footnotes(self, tokens: list[Token], index: int) -> int:
        note_id = 0
        while tokens[index].type != "footnote_block_close":
            token = tokens[index]
            if token.type == "footnote_open":
                note_id = int(token.meta["id"]) + 1
            elif token.type == "inline":
                self.footnotes[note_id] = "".join(
                    child.content for child in token.children or [] if child.type == "text"
                )
            index += 1
        return index + 1


def add_runs(paragraph: Paragraph, children: list[Token], *, bold: bool = False) -> None:
    """Add a run per text token, honouring **bold** / *italic* and footnote references."""
    strong = emphasis = False
    for child in children:
        if child.type == "strong_open":
            strong = True
        elif child.type == "strong_close":
            strong = False
        elif child.type == "em_open":
            emphasis = True
        elif child.type == "em_close":
            emphasis = False
        elif child.type in ("text", "code_inline"):
            run = paragraph.add_run(child.content)
            run.bold = bold or strong or None
            run.italic = emphasis or None
        elif child.type == "softbreak":
            paragraph.add_run(" ")
        elif child.type == "hardbreak":
            paragraph.add_run().add_break()
        elif child.type == "footnote_ref":
            note_id = int(child.meta["id"]) + 1
            paragraph._p.append(
                parse_xml(
                    f'<w:r xmlns:w="{W_NS}"><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr>'
                    f'<w:footnoteReference w:id="{note_id}"/></w:r>'
                )
            )


def add_footnotes(document: WordDocument, notes: dict[int, str]) -> None:
    """word/footnotes.xml with Word's separator notes, its styles and the settings entry."""
    styles = document.styles
    text_style = styles.add_style("Footnote Text", WD_STYLE_TYPE.PARAGRAPH)
    text_style.base_style = styles["Normal"]
    text_style.font.size = Pt(9)
    reference_style = styles.add_style("Footnote Reference", WD_STYLE_TYPE.CHARACTER)
    reference_style.font.superscript = True
    body = "".join(
        f'<w:footnote w:id="{note_id}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
        '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {escape(text)}</w:t></w:r></w:p></w:footnote>'
        for note_id, text in sorted(notes.items())
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:footnotes xmlns:w="{W_NS}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" '
        'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing '
        'w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/>'
        f"</w:r></w:p></w:footnote>{body}</w:footnotes>"
    )
    part = Part(
        PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, xml.encode("utf-8"), document.part.package
    )
    document.part.relate_to(part, RT.FOOTNOTES)
    settings = document.settings.element
    footnote_pr = parse_xml(
        f'<w:footnotePr xmlns:w="{W_NS}"><w:footnote w:id="-1"/>'
        '<w:footnote w:id="0"/></w:footnotePr>'
    )
    successor = next(
        (
            child
            for child in settings
            if isinstance(child.tag, str)
            and child.tag.rsplit("}", 1)[-1] in SETTINGS_AFTER_FOOTNOTE_PR
        ),
        None,
    )
    if successor is None:
        settings.append(footnote_pr)
    else:
        successor.addprevious(footnote_pr)


def build_docx(markdown_text: str) -> bytes:
    """The .docx bytes for one Markdown article (deterministic)."""
    document = docx.Document()
    converter = Converter(document)
    converter.convert(markdown_parser().parse(markdown_text))
    if converter.footnotes:
        add_footnotes(document, converter.footnotes)
    properties = document.core_properties
    title_paragraph = next(p for p in document.paragraphs if p.style.name == "Title")
    properties.title = title_paragraph.text
    properties.author = "Compliance Assistant samples"
    properties.last_modified_by = "scripts/make_sample_docx.py"
    properties.created = properties.modified = FIXED_TIME
    properties.revision = 1
    properties.comments = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return fixed_timestamps(buffer.getvalue())


def fixed_timestamps(data: bytes) -> bytes:
    """Rewrite the ZIP with constant member timestamps so reruns produce identical bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, source.read(info))
    return out.getvalue()


def sources() -> list[Path]:
    # gtc-*.md articles belong to the GTC samples (docs/gtc.md) and have no Word twin.
    return sorted(
        path
        for path in ARTICLES.glob("*.md")
        if path.name != "README.md" and not path.name.startswith("gtc-")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--check", action="store_true", help="report stale .docx files instead of writing them"
    )
    args = parser.parse_args(argv)
    stale: list[str] = []
    for source in sources():
        target = source.with_suffix(".docx")
        data = build_docx(source.read_text(encoding="utf-8"))
        if args.check:
            if not target.exists() or target.read_bytes() != data:
                stale.append(target.name)
            continue
        target.write_bytes(data)
        print(f"wrote {target.relative_to(ARTICLES.parent.parent)}")
    if stale:
        print("stale: " + ", ".join(stale) + " (run scripts/make_sample_docx.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
