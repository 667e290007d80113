"""The add-in in a real browser against a real `compliance serve`.

* the standalone page checks pasted text, shows the findings highlighted, dismisses one, and
  keeps it dismissed on a re-check;
* the task pane, with a scripted Word host injected through its test hook, checks the
  document, navigates to a finding, applies a suggestion as a tracked change, comments,
  highlights, notices edited text, exports the report (opened here with python-docx) and
  shows the last result when the document is reopened;
* a GTC finding with its cited clause, and a guideline not run with its reason;
* error states: not configured, unauthorised, unreachable, empty document.

Screenshots go to ADDIN_SCREENSHOTS_DIR (docs/images for the documentation) or a temp folder.
"""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from tests.addin.conftest import SAMPLES, Browser, Server, plain_text, word_paragraphs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(start_server: Callable[..., Server]) -> Server:
    return start_server()


def test_standalone_page_checks_text_and_dismisses_a_finding(
    browser: Browser, server: Server, screenshots: Path, tmp_path: Path
) -> None:
    article = plain_text(word_paragraphs(SAMPLES / "savings-account.docx"))
    report = browser.run(
        "standalone",
        {"baseUrl": server.base_url, "shots": str(screenshots), "article": article},
        tmp_path,
    )
    assert report["findings"] >= 5
    assert report["marks"] >= report["findings"] - 1  # overlapping findings share a mark
    assert report["errorsAfter"] == report["errorsBefore"] - 1
    assert report["recheckKeptDismissal"]
    assert (screenshots / "addin-standalone.png").is_file()


def test_task_pane_checks_navigates_and_applies_with_a_scripted_word(
    browser: Browser, server: Server, screenshots: Path, tmp_path: Path
) -> None:
    paragraphs = word_paragraphs(SAMPLES / "savings-account.docx")
    report = browser.run(
        "taskpane",
        {
            "baseUrl": server.base_url,
            "shots": str(screenshots),
            "scripted": {"paragraphs": paragraphs, "name": "Flex Saver launch"},
        },
        tmp_path,
    )
    assert report["findings"] >= 5
    applied = report["applied"]
    assert applied["trackingMode"] == "TrackAll"
    edited = report["paragraphs"][applied["paragraph"]]
    assert applied["after"] in edited
    assert report["comments"]
    assert report["comments"][0]["text"].startswith("Compliance Assistant")
    assert report["settings"]["lastJob"]["jobId"]
    assert report["settings"]["documentId"]

    # The exported report is a Word document python-docx (and so Word) can open.
    exported = docx.Document(io.BytesIO(base64.b64decode(report["report"])))
    texts = [p.text for p in exported.paragraphs]
    styles = {p.style.name for p in exported.paragraphs if p.style is not None}
    assert texts[0] == "Compliance report: Flex Saver launch"
    assert any(t.startswith("Score: ") for t in texts)
    assert any(report["selected"] in t for t in texts)
    assert {"Title", "Heading 1", "Quote"} <= styles
    assert (screenshots / "addin-results.png").is_file()


def test_gtc_finding_cites_the_clause_and_guidelines_not_run_say_why(
    browser: Browser, server: Server, screenshots: Path, tmp_path: Path
) -> None:
    paragraphs = [{"text": line} for line in (SAMPLES / "gtc-easy-saver.md").read_text(
        encoding="utf-8").lstrip("# ").splitlines() if line.strip()]  # fmt: skip
    paragraphs[0]["style"] = "Title"
    report = browser.run(
        "gtc",
        {
            "baseUrl": server.base_url,
            "shots": str(screenshots),
            "guidelineSet": "addin-demo",
            "gtcGuidelineTitle": "Claims agree with the product's terms and conditions",
            "scripted": {"paragraphs": paragraphs, "name": "Easy Saver article"},
        },
        tmp_path,
    )
    assert "Easy Saver" in report["cite"]
    assert "page" in report["cite"]
    assert "no LLM provider is configured" in report["notRun"]
    assert (screenshots / "addin-gtc-finding.png").is_file()


def test_error_states(
    browser: Browser, start_server: Callable[..., Server], screenshots: Path, tmp_path: Path
) -> None:
    secured = start_server(COMPLIANCE_API__REQUIRE_API_KEYS="true")
    created = subprocess.run(
        [sys.executable, "-m", "compliance_assistant.cli.main", "apikey", "create",
         "--tenant", "acme", "--name", "add-in e2e", "--role", "writer", "--role", "reviewer"],
        env=secured.env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    key = next(line.strip() for line in created.stdout.splitlines() if line.startswith("ca_"))
    paragraphs = word_paragraphs(SAMPLES / "personal-loan.docx")
    report = browser.run(
        "errors",
        {
            "baseUrl": secured.base_url,
            "shots": str(screenshots),
            "apiKey": key,
            "scripted": {"paragraphs": paragraphs, "name": "Personal loan"},
        },
        tmp_path,
    )
    assert report["unauthorised"] == "Your API key was not accepted"
    assert report["checkedWithKey"]
    assert report["unreachable"] == "Can't reach the server"
    assert report["empty"] == "This document is empty"
    for name in ("not-configured", "unauthorised", "unreachable"):
        assert (screenshots / f"addin-error-{name}.png").is_file()
