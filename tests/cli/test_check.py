"""`compliance check` end to end through the real command (in-process runner)."""

import json
from pathlib import Path

import pytest
from docx import Document as WordDocument
from typer.testing import CliRunner

from compliance_assistant.cli.main import app

runner = CliRunner()

ARTICLE = (
    "Save smarter\n\n"
    "Our savings account offers guaranteed returns and is completely risk-free.\n\n"
    "Ask our chairman — café owners love it 😀.\n"
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("COMPLIANCE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_text_report_with_line_column_and_quotes(tmp_path: Path) -> None:
    article = write(tmp_path, "offer.txt", ARTICLE)
    result = runner.invoke(app, ["check", str(article)])
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "checked against marketing-eu@1" in out
    assert "3:28" in out
    assert "“guaranteed returns”" in out
    assert "5:9" in out
    assert "“chairman”" in out
    assert "all guidelines ran" in out


def test_json_output_matches_result_contract(tmp_path: Path) -> None:
    article = write(tmp_path, "offer.txt", ARTICLE)
    result = runner.invoke(app, ["check", str(article), "--format", "json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["status"] == "completed"
    assert payload["guideline_set"] == {"id": "marketing-eu", "version": 1}
    assert payload["complete"] is True
    assert payload["summary"]["errors"] >= 2
    text = ARTICLE.replace("\n\n", "\n").rstrip("\n")
    for guideline in payload["guidelines"]:
        assert guideline["status"] in {"pass", "warning", "fail"}
        for finding in guideline["findings"]:
            span = finding["span"]
            assert text[span["start"] : span["end"]] == span["quote"]
            assert finding["fingerprint"]
            assert finding["guideline_id"] == guideline["guideline_id"]


def test_docx_positions_and_output_file(tmp_path: Path) -> None:
    word = WordDocument()
    word.add_heading("Ünïcode offer 東京", level=1)
    word.add_paragraph("Plain intro.")
    word.add_paragraph("Best rates 😀 with guaranteed returns.")
    path = tmp_path / "offer.docx"
    word.save(str(path))
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["check", str(path), "-f", "html", "-o", str(report)])
    assert result.exit_code == 1, result.output
    page = report.read_text(encoding="utf-8")
    assert '<mark class="error"' in page
    assert "guaranteed returns</mark>" in page
    as_json = runner.invoke(app, ["check", str(path), "-f", "json"])
    finding = next(
        f
        for g in json.loads(as_json.stdout)["guidelines"]
        for f in g["findings"]
        if f["span"]["quote"] == "guaranteed returns"
    )
    assert (finding["span"]["line"], finding["span"]["column"]) == (3, 19)


def test_min_severity_and_sarif(tmp_path: Path) -> None:
    article = write(tmp_path, "offer.txt", ARTICLE)
    result = runner.invoke(app, ["check", str(article), "-f", "sarif", "--min-severity", "error"])
    sarif = json.loads(result.stdout)
    assert {r["level"] for r in sarif["runs"][0]["results"]} == {"error"}


def test_clean_text_exits_zero(tmp_path: Path) -> None:
    article = write(tmp_path, "plain.txt", "Opening hours change on Monday.\n")
    result = runner.invoke(app, ["check", str(article)])
    assert result.exit_code == 0, result.output
    assert "Score 100/100" in result.stdout


def test_stdin(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "-"], input="A risk-free investment.\n")
    assert result.exit_code == 1
    assert "<stdin>" in result.stdout
    assert "risk-free" in result.stdout


def test_strict_exits_3_when_a_guideline_did_not_run(tmp_path: Path) -> None:
    set_dir = tmp_path / "sets" / "mixed"
    set_dir.mkdir(parents=True)
    write(
        set_dir,
        "guideline-set.yaml",
        """\
id: mixed
version: 1
title: Mixed
guidelines:
  - id: words
    title: Words
    kind: rule
    severity: warning
    rules:
      - {name: Hype, extends: existence, message: "Avoid '%s'.", tokens: [amazing]}
  - id: fair
    title: Fair
    kind: llm
    severity: error
    instruction: Claims must be balanced.
""",
    )
    article = write(tmp_path, "a.txt", "An amazing deal.\n")
    relaxed = runner.invoke(app, ["check", str(article), "-g", str(set_dir)])
    assert relaxed.exit_code == 0, relaxed.output
    assert "did not run" in relaxed.stdout
    assert "no LLM provider is configured" in relaxed.stdout
    strict = runner.invoke(app, ["check", str(article), "-g", str(set_dir), "--strict"])
    assert strict.exit_code == 3


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.xyz", b"hello", "not a supported document format"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".docx"),
        ("broken.docx", b"PK\x03\x04 this is not really a zip", "not a valid Word document"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj <<", "PDF"),
        ("empty.txt", b"   \n\n  ", "empty"),
        ("binary.txt", bytes(range(256)) * 4, "text"),
    ],
)
def test_bad_inputs_exit_2_with_one_paragraph(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error:")
    assert message.lower() in result.stderr.lower()


def test_missing_file_and_folder(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["check", str(tmp_path / "nope.docx")])
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr
    folder = runner.invoke(app, ["check", str(tmp_path)])
    assert folder.exit_code == 2
    assert "is a folder" in folder.stderr


def test_too_large_by_configured_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLIANCE_LIMITS__MAX_TEXT_CHARS", "50")
    article = write(tmp_path, "long.txt", "word " * 40)
    result = runner.invoke(app, ["check", str(article)])
    assert result.exit_code == 2
    assert "limit" in result.stderr.lower()


def test_invalid_guideline_set_names_file_and_line(tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "bad.yaml",
        "id: bad\nversion: 1\ntitle: Bad\nguidelines:\n"
        "  - id: a\n    title: A\n    kind: rule\n"
        "    severity: loud\n    rules: [X.Y]\n",
    )
    article = write(tmp_path, "a.txt", "Hello.\n")
    result = runner.invoke(app, ["check", str(article), "-g", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:8: guidelines.0.severity" in result.stderr.replace("\n", "")


def test_unknown_guideline_set(tmp_path: Path) -> None:
    article = write(tmp_path, "a.txt", "Hello.\n")
    result = runner.invoke(app, ["check", str(article), "-g", "no-such-set"])
    assert result.exit_code == 2
    assert "No guideline set 'no-such-set'" in result.stderr


def test_invalid_configuration_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPLIANCE_LLM__PROVIDER", "gpt-magic")
    article = write(tmp_path, "a.txt", "Hello.\n")
    result = runner.invoke(app, ["check", str(article)])
    assert result.exit_code == 2
    assert "COMPLIANCE_LLM__PROVIDER" in result.stderr


REPO = Path(__file__).resolve().parents[2]


def test_gtc_sample_contradictions_cite_the_clause() -> None:
    article = REPO / "samples" / "articles" / "gtc-easy-saver.md"
    result = runner.invoke(
        app,
        [
            "check",
            str(article),
            "-g",
            "product-terms",
            "--gtc-library",
            str(REPO / "samples" / "gtc"),
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    gtc = next(g for g in payload["guidelines"] if g["guideline_id"] == "gtc-consistency")
    assert gtc["status"] == "fail"
    fee = next(f for f in gtc["findings"] if f["span"]["quote"] == "no fees, ever")
    evidence = fee["evidence"][0]
    assert evidence["section"] == "4.1"
    assert evidence["page"] == 1
    assert "€5.00" in evidence["quote"]
    assert payload["complete"] is True


def test_gtc_guideline_without_a_source_is_not_run() -> None:
    article = REPO / "samples" / "articles" / "gtc-easy-saver.md"
    result = runner.invoke(app, ["check", str(article), "-g", "product-terms", "--strict"])
    assert result.exit_code == 3
    assert "NOT RUN" in result.stdout
    assert "no GTC source" in result.stdout
