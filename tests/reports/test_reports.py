import json
from html.parser import HTMLParser

import pytest

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder, Span
from compliance_assistant.engine.findings import (
    FindingDraft,
    Severity,
    Suggestion,
    finalise_findings,
)
from compliance_assistant.engine.guidelines import Guideline, GuidelineKind, parse_guideline_set
from compliance_assistant.engine.result import CheckResult, GuidelineResult, aggregate
from compliance_assistant.reports import FileReport, ReportFormat, render, visible

SET = parse_guideline_set(
    """\
id: demo
version: 2
title: Demo
guidelines:
  - {id: no-best, title: No superlatives, kind: rule, severity: error, rules: [X.Best]}
  - {id: inclusive, title: Inclusive language, kind: rule, severity: warning, rules: [X.Inc]}
  - {id: balance, title: Balanced claims, kind: llm, severity: error, instruction: Be fair.}
""",
    "demo.yaml",
)


def sample() -> tuple[Document, CheckResult]:
    source = "# Offer\n\nThe **best** café rate — ask our chairman <b>today</b>.\n"
    builder = DocumentBuilder(source_format="markdown", source_text=source, source_name="offer.md")
    builder.add("Offer", BlockKind.HEADING, level=1, source_start=2)
    builder.add_pieces(
        [
            ("The ", 9),
            ("best", 15),
            (" café rate — ask our chairman ", 21),
            ("today", 54),
            (".", 64),
        ],
        BlockKind.PARAGRAPH,
    )
    document = builder.build()
    best = document.text.index("best")
    chair = document.text.index("chairman")
    by_guideline: dict[str, list[FindingDraft]] = {
        "no-best": [
            FindingDraft(
                guideline_id="no-best",
                rule_id="X.Best",
                severity=Severity.ERROR,
                message="Avoid 'best' <claims>.",
                span=Span(start=best, end=best + 4),
                source="rule",
            )
        ],
        "inclusive": [
            FindingDraft(
                guideline_id="inclusive",
                rule_id="X.Inc",
                severity=Severity.WARNING,
                message="Use 'chair'.",
                span=Span(start=chair, end=chair + 8),
                source="rule",
                suggestion=Suggestion(replacement="chair", description="Replace with 'chair'"),
            )
        ],
    }
    results = []
    for guideline in SET.guidelines:
        if guideline.kind is GuidelineKind.LLM:
            results.append(GuidelineResult.not_run(guideline, "no LLM provider is configured"))
        else:
            findings = finalise_findings(document, by_guideline[guideline.id])
            results.append(GuidelineResult.from_findings(guideline, findings))
    return document, aggregate(
        job_id="job-1", guideline_set=SET, results=results, document_id="doc-1"
    )


def test_findings_carry_source_line_and_column_and_quote() -> None:
    _, result = sample()
    best, chair = result.findings
    assert (best.span.quote, best.span.line, best.span.column) == ("best", 3, 7)
    assert (chair.span.quote, chair.span.line, chair.span.column) == ("chairman", 3, 34)
    assert best.span.block_id == "b1"


def test_text_report_groups_by_guideline_with_locations_and_not_run_reason() -> None:
    document, result = sample()
    text = render(ReportFormat.TEXT, [FileReport("offer.md", document, result)])
    assert "Score 59/100 · 1 error(s) · 1 warning(s) · 0 info" in text
    assert "1 guideline(s) did not run — result incomplete" in text
    assert "FAIL" in text
    assert "No superlatives" in text
    assert "3:7" in text
    assert "“best”" in text
    assert "3:34" in text
    assert "→ Replace with 'chair'" in text
    assert "NOT RUN" in text
    assert "no LLM provider is configured" in text
    assert text.index("FAIL") < text.index("WARN") < text.index("NOT RUN")


def test_json_report_is_the_result_contract() -> None:
    document, result = sample()
    payload = json.loads(render(ReportFormat.JSON, [FileReport("offer.md", document, result)]))
    assert set(payload) >= {
        "job_id",
        "status",
        "document_id",
        "guideline_set",
        "score",
        "complete",
        "summary",
        "guidelines",
        "gtc_documents",
        "warnings",
        "timings",
    }
    assert payload["guideline_set"] == {"id": "demo", "version": 2}
    assert payload["summary"] == {"errors": 1, "warnings": 1, "infos": 0, "not_run": 1}
    assert payload["complete"] is False
    statuses = {g["guideline_id"]: (g["status"], g["reason"]) for g in payload["guidelines"]}
    assert statuses["balance"] == ("not_run", "no LLM provider is configured")
    finding = payload["guidelines"][0]["findings"][0]
    assert set(finding) >= {
        "id",
        "fingerprint",
        "guideline_id",
        "rule_id",
        "severity",
        "message",
        "explanation",
        "span",
        "source",
    }
    assert finding["span"]["quote"] == "best"
    assert CheckResult.model_validate(payload) == result
    several = json.loads(render(ReportFormat.JSON, [FileReport("a", document, result)] * 2))
    assert isinstance(several, list)
    assert len(several) == 2


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[str, str]] = []
        self.external: list[str] = []
        self._in_mark: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "mark":
            self._in_mark = values.get("class") or ""
        if tag in {"script", "link", "img"}:
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._in_mark = None

    def handle_data(self, data: str) -> None:
        if self._in_mark is not None:
            self.marks.append((self._in_mark, data))


def test_html_report_highlights_findings_and_is_self_contained() -> None:
    document, result = sample()
    page = render(ReportFormat.HTML, [FileReport("offer.md", document, result)])
    collector = _Collector()
    collector.feed(page)
    assert ("error", "best") in collector.marks
    assert ("warning", "chairman") in collector.marks
    assert collector.external == []
    assert "Avoid &#x27;best&#x27; &lt;claims&gt;." in page  # messages are escaped
    assert "no LLM provider is configured" in page


def test_sarif_report() -> None:
    document, result = sample()
    sarif = json.loads(render(ReportFormat.SARIF, [FileReport("offer.md", document, result)]))
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    levels = [(r["ruleId"], r["level"]) for r in run["results"]]
    assert levels == [("no-best/X.Best", "error"), ("inclusive/X.Inc", "warning")]
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (3, 7)
    source = document.source_text or ""
    assert source[region["charOffset"] : region["charOffset"] + region["charLength"]] == "best"
    fix = run["results"][1]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    start = fix["deletedRegion"]["charOffset"]
    assert source[start : start + fix["deletedRegion"]["charLength"]] == "chairman"
    assert fix["insertedContent"]["text"] == "chair"
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "balance did not run" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        "no-best/X.Best",
        "inclusive/X.Inc",
    }


@pytest.mark.parametrize(
    ("minimum", "expected"), [(Severity.INFO, 2), (Severity.WARNING, 2), (Severity.ERROR, 1)]
)
def test_min_severity_filter(minimum: Severity, expected: int) -> None:
    _, result = sample()
    assert len(visible(result, minimum).findings) == expected


def test_guideline_result_constructors() -> None:
    guideline = Guideline(id="g", title="G", kind=GuidelineKind.GTC)
    errored = GuidelineResult.errored(guideline, "boom")
    assert errored.status.value == "error"
    assert errored.reason == "boom"
