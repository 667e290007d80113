"""A self-contained HTML report: the article with findings highlighted, then the findings.

No external assets: styles are inline so the file can be mailed or attached to a ticket.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from compliance_assistant import __version__
from compliance_assistant.engine.document import Block, BlockKind, Document
from compliance_assistant.engine.findings import Finding
from compliance_assistant.engine.result import CheckResult, GuidelineResult
from compliance_assistant.engine.scoring import GuidelineStatus

if TYPE_CHECKING:
    from compliance_assistant.reports import FileReport

_CSS = """
:root{--err:#c50f1f;--warn:#bc4b09;--info:#0f6cbd;--ok:#107c10;--muted:#616161;
--bg:#fafafa;--card:#fff;--line:#e0e0e0;font-family:"Segoe UI",system-ui,sans-serif}
body{margin:0;background:var(--bg);color:#242424;line-height:1.5}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:.2em 0}h2{font-size:1.25rem;margin:1.2em 0 .4em}
.meta{color:var(--muted);font-size:.9rem}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 16px;
min-width:110px}.card b{display:block;font-size:1.5rem}
.layout{display:grid;grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);gap:24px}
@media (max-width:900px){.layout{grid-template-columns:1fr}}
article,.findings{background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:16px 20px}
article p,article li,article .cell{margin:.35em 0}
article .cell{display:inline-block;border:1px solid var(--line);padding:2px 8px;margin:2px}
article .th{font-weight:600;background:#f3f3f3}
article blockquote{border-left:3px solid var(--line);margin:.5em 0;padding-left:12px}
article .footnote{font-size:.85rem;color:var(--muted)}
mark{border-radius:3px;padding:0 1px;cursor:pointer;color:inherit}
mark.error{background:#fde7e9;border-bottom:2px solid var(--err)}
mark.warning{background:#fff4ce;border-bottom:2px solid var(--warn)}
mark.info{background:#e8f1fb;border-bottom:2px solid var(--info)}
.guideline{border-top:1px solid var(--line);padding:8px 0}
.status{font-weight:700;font-size:.8rem;padding:1px 8px;border-radius:10px;color:#fff}
.status.fail{background:var(--err)}.status.warning{background:var(--warn)}
.status.pass{background:var(--ok)}.status.not_run,.status.error{background:#8764b8}
.finding{margin:8px 0 8px 12px;padding:6px 10px;border-left:3px solid var(--line)}
.finding.error{border-color:var(--err)}.finding.warning{border-color:var(--warn)}
.finding.info{border-color:var(--info)}
.finding:target{background:#fff8e1}
.quote{font-style:italic}.suggest{color:var(--ok)}.reason{color:#8764b8}
.evidence{font-size:.9rem;color:var(--info)}
footer{color:var(--muted);font-size:.8rem;margin-top:24px}
"""


def render_html(reports: Sequence[FileReport]) -> str:
    sections = "\n".join(_section(r.name, r.document, r.result) for r in reports)
    title = reports[0].name if len(reports) == 1 else f"{len(reports)} documents"
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Compliance report — {escape(title)}</title><style>{_CSS}</style>"
        f"</head><body><main>{sections}<footer>Compliance Assistant {__version__}"
        f"</footer></main></body></html>\n"
    )


def _section(name: str, document: Document, result: CheckResult) -> str:
    summary = result.summary
    score = "n/a" if result.score is None else str(result.score)
    completeness = (
        "All guidelines ran."
        if result.complete
        else f"Incomplete: {summary.not_run} guideline(s) did not run — see below."
    )
    ref = f"{result.guideline_set.id}@{result.guideline_set.version}"
    cards = "".join(
        f'<div class="card"><b>{value}</b>{label}</div>'
        for value, label in (
            (score, "score / 100"),
            (summary.errors, "errors"),
            (summary.warnings, "warnings"),
            (summary.infos, "info"),
            (summary.not_run, "not run"),
        )
    )
    warnings = "".join(f'<p class="reason">{escape(w.message)}</p>' for w in result.warnings)
    return (
        f"<section><h1>{escape(document.title or name)}</h1>"
        f'<div class="meta">{escape(name)} · checked against {escape(ref)} · '
        f'{escape(completeness)}</div><div class="cards">{cards}</div>{warnings}'
        f'<div class="layout"><article aria-label="Article text">'
        f"{_article(document, result.findings)}</article>"
        f'<div class="findings"><h2>Guidelines</h2>{_guidelines(result)}</div></div>'
        f"</section>"
    )


def _article(document: Document, findings: Sequence[Finding]) -> str:
    return "\n".join(_block(document, block, findings) for block in document.blocks)


def _block(document: Document, block: Block, findings: Sequence[Finding]) -> str:
    inside = [
        f
        for f in findings
        if (f.span.start < block.end and f.span.end > block.start)
        or (f.span.start == f.span.end and block.start <= f.span.start <= block.end)
    ]
    body = _highlight(document.text, block.start, block.end, inside)
    if block.kind in (BlockKind.HEADING, BlockKind.TITLE):
        level = min(max((block.level or 1) + 1, 2), 6)
        return f"<h{level}>{body}</h{level}>"
    if block.kind is BlockKind.LIST_ITEM:
        return f"<li>{body}</li>"
    if block.kind in (BlockKind.TABLE_HEADER, BlockKind.TABLE_CELL):
        css = "cell th" if block.kind is BlockKind.TABLE_HEADER else "cell"
        return f'<span class="{css}">{body}</span>'
    if block.kind is BlockKind.BLOCKQUOTE:
        return f"<blockquote>{body}</blockquote>"
    if block.kind is BlockKind.FOOTNOTE:
        return f'<p class="footnote">{body}</p>'
    return f"<p>{body}</p>"


def _highlight(text: str, start: int, end: int, findings: Sequence[Finding]) -> str:
    """Wrap each stretch covered by findings in a <mark> of the most severe one there."""
    cuts = sorted(
        {
            start,
            end,
            *(min(max(f.span.start, start), end) for f in findings),
            *(min(max(f.span.end, start), end) for f in findings),
        }
    )
    pieces: list[str] = []
    for left, right in itertools.pairwise(cuts):
        covering = [f for f in findings if f.span.start <= left and f.span.end >= right]
        chunk = escape(text[left:right])
        if covering:
            worst = max(covering, key=lambda f: f.severity.rank)
            tip = escape(" | ".join(f.message for f in covering), quote=True)
            pieces.append(
                f'<a href="#{worst.id}"><mark class="{worst.severity.value}" '
                f'title="{tip}">{chunk}</mark></a>'
            )
        else:
            pieces.append(chunk)
    return "".join(pieces)


def _guidelines(result: CheckResult) -> str:
    order = [
        GuidelineStatus.FAIL,
        GuidelineStatus.ERROR,
        GuidelineStatus.WARNING,
        GuidelineStatus.NOT_RUN,
        GuidelineStatus.PASS,
    ]
    ordered = sorted(result.guidelines, key=lambda g: order.index(g.status))
    return "\n".join(_guideline(g) for g in ordered)


def _guideline(guideline: GuidelineResult) -> str:
    status = guideline.status.value
    reason = f'<div class="reason">{escape(guideline.reason)}</div>' if guideline.reason else ""
    findings = "".join(_finding(f) for f in guideline.findings)
    return (
        f'<div class="guideline"><span class="status {status}">'
        f"{status.replace('_', ' ').upper()}</span> <b>{escape(guideline.title)}</b> "
        f'<span class="meta">{escape(guideline.guideline_id)} · {guideline.kind} · '
        f"{guideline.severity}</span>{reason}{findings}</div>"
    )


def _finding(finding: Finding) -> str:
    span = finding.span
    where = f"line {span.line}, column {span.column}" if span.line is not None else ""
    parts = [
        f'<div class="finding {finding.severity.value}" id="{finding.id}">',
        f'<div><span class="quote">“{escape(span.quote)}”</span> '
        f'<span class="meta">{where}</span></div>',
        f"<div>{escape(finding.message)}</div>",
    ]
    if finding.explanation and finding.explanation != finding.message:
        parts.append(f'<div class="meta">{escape(finding.explanation)}</div>')
    if finding.suggestion is not None:
        text = finding.suggestion.description or f"Replace with “{finding.suggestion.replacement}”"
        parts.append(f'<div class="suggest">→ {escape(text)}</div>')
    for evidence in finding.evidence:
        parts.append(
            f'<div class="evidence">{escape(evidence.title)}'
            f"{' v' + escape(evidence.version) if evidence.version else ''}"
            f"{', p. ' + str(evidence.page) if evidence.page else ''}"
            f"{', §' + escape(evidence.section) if evidence.section else ''}: "
            f"“{escape(evidence.quote)}”{' (stale copy)' if evidence.stale else ''}"
            f"</div>"
        )
    if finding.link:
        parts.append(f'<div><a href="{escape(finding.link, quote=True)}">More</a></div>')
    parts.append("</div>")
    return "".join(parts)
