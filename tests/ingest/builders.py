"""Builders for the .docx and .pdf inputs of the ingestion tests (no binary fixtures).

.docx files are made with python-docx; what python-docx cannot write (tracked changes, fields,
footnotes, text boxes, outline levels) is added as raw WordprocessingML. PDFs are made with
fpdf2's core fonts, so they need no font files.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import docx
from docx.document import Document as WordDocument
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from fpdf import FPDF

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NSDECLS = (
    f'xmlns:w="{W_NS}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)


def run(text: str) -> str:
    """A ``w:r`` holding ``text`` (whitespace preserved)."""
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def deleted(text: str) -> str:
    return (
        f'<w:del w:id="901" w:author="Reviewer" w:date="2024-01-01T00:00:00Z"><w:r>'
        f'<w:delText xml:space="preserve">{escape(text)}</w:delText></w:r></w:del>'
    )


def inserted(text: str) -> str:
    return (
        f'<w:ins w:id="902" w:author="Reviewer" w:date="2024-01-01T00:00:00Z">{run(text)}</w:ins>'
    )


def footnote_reference(note_id: int, kind: str = "footnote") -> str:
    return (
        f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        f'<w:{kind}Reference w:id="{note_id}"/></w:r>'
    )


def text_box(*paragraph_texts: str) -> str:
    """A floating text box as Word writes it: DrawingML choice plus a VML fallback copy."""
    content = "".join(f"<w:p>{run(text)}</w:p>" for text in paragraph_texts)
    return (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor>'
        "<a:graphic><a:graphicData><wps:wsp><wps:txbx>"
        f"<w:txbxContent>{content}</w:txbxContent>"
        "</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        "<mc:Fallback><w:pict><v:shape><v:textbox>"
        f"<w:txbxContent>{content}</w:txbxContent>"
        "</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )


@dataclass
class DocxBuilder:
    """A python-docx document plus raw-XML helpers; :meth:`bytes` saves it."""

    document: WordDocument = field(default_factory=docx.Document)
    footnotes: list[tuple[int, str]] = field(default_factory=list)
    endnotes: list[tuple[int, str]] = field(default_factory=list)

    def paragraph(self, text: str = "", style: str | None = None) -> DocxBuilder:
        self.document.add_paragraph(text, style=style)
        return self

    def heading(self, text: str, level: int) -> DocxBuilder:
        self.document.add_heading(text, level=level)
        return self

    def raw(self, inner_xml: str, properties: str = "") -> DocxBuilder:
        """Append a ``w:p`` with the given ``w:pPr`` children and content."""
        placeholder = self.document.add_paragraph()._p
        ppr = f"<w:pPr>{properties}</w:pPr>" if properties else ""
        placeholder.addnext(parse_xml(f"<w:p {NSDECLS}>{ppr}{inner_xml}</w:p>"))
        placeholder.getparent().remove(placeholder)
        return self

    def table(self, rows: Sequence[Sequence[str | Sequence[str]]]) -> DocxBuilder:
        """A table; a cell given as a list of strings holds one paragraph per string."""
        table = self.document.add_table(rows=len(rows), cols=len(rows[0]))
        for row_index, row in enumerate(rows):
            for column, content in enumerate(row):
                cell = table.cell(row_index, column)
                texts = [content] if isinstance(content, str) else list(content)
                cell.paragraphs[0].text = texts[0]
                for text in texts[1:]:
                    cell.add_paragraph(text)
        return self

    def footnote(self, note_id: int, text: str) -> DocxBuilder:
        self.footnotes.append((note_id, text))
        return self

    def endnote(self, note_id: int, text: str) -> DocxBuilder:
        self.endnotes.append((note_id, text))
        return self

    def bytes(self) -> bytes:
        if self.footnotes:
            add_notes_part(self.document, self.footnotes)
        if self.endnotes:
            add_notes_part(self.document, self.endnotes, "endnote")
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def add_notes_part(
    document: WordDocument, notes: Sequence[tuple[int, str]], kind: str = "footnote"
) -> None:
    """Add word/footnotes.xml (or endnotes.xml) with Word's separator notes and ``notes``."""
    body = "".join(
        f'<w:{kind} w:id="{note_id}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
        f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{kind}Ref/></w:r>'
        f"{run(' ' + text)}</w:p></w:{kind}>"
        for note_id, text in notes
    )
    xml = (
        f"<w:{kind}s {NSDECLS}>"
        f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
        f"</w:{kind}>"
        f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r>'
        f"<w:continuationSeparator/></w:r></w:p></w:{kind}>"
        f"{body}</w:{kind}s>"
    )
    content_type = CT.WML_FOOTNOTES if kind == "footnote" else CT.WML_ENDNOTES
    part = Part(
        PackURI(f"/word/{kind}s.xml"), content_type, xml.encode("utf-8"), document.part.package
    )
    document.part.relate_to(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)


def rezip(
    data: bytes,
    *,
    replace: dict[str, bytes] | None = None,
    drop: Sequence[str] = (),
    add: dict[str, bytes] | None = None,
) -> bytes:
    """A copy of a ZIP package with members replaced, dropped or added."""
    replace = replace or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename in drop:
                continue
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


# -- PDF ----------------------------------------------------------------------------------------

LOREM = (
    "Our savings account pays a competitive variable rate on every balance and lets you move "
    "money in and out whenever you like without notice or penalties of any kind."
)


def new_pdf() -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=False)
    # Windows-1252 gives the core fonts €, curly quotes and dashes.
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_font("Helvetica", size=11)
    return pdf


def pdf_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def write_paragraph(
    pdf: FPDF,
    text: str,
    *,
    x: float = 20,
    width: float = 170,
    size: float = 11,
    gap_after: float = 4,
) -> None:
    """A wrapped paragraph at the current height, followed by a blank gap."""
    pdf.set_font("Helvetica", size=size)
    pdf.set_x(x)
    pdf.multi_cell(width, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap_after)


def write_lines(
    pdf: FPDF, lines: Sequence[str], *, x: float = 20, size: float = 11, gap_after: float = 4
) -> None:
    """Lines placed exactly as given (for hyphenation tests), then a gap."""
    pdf.set_font("Helvetica", size=size)
    for line in lines:
        pdf.set_x(x)
        pdf.cell(0, size * 0.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap_after)
