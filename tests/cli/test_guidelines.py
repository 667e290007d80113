import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compliance_assistant.cli.main import app

runner = CliRunner()

MIXED = """\
id: mixed
version: 2
title: Mixed set
guidelines:
  - id: hype
    title: No hype
    kind: rule
    severity: warning
    rules:
      - name: Hype
        extends: existence
        message: "Avoid '%s'."
        tokens: [amazing, incredible]
        ignorecase: true
    examples:
      violation: ["An amazing rate.", "Incredible savings."]
      compliant: ["A fixed rate of 3% AER.", "Rates are fair."]
  - id: broken-example
    title: Example that fails
    kind: rule
    rules:
      - {name: Best, extends: existence, message: "Avoid '%s'.", tokens: [best]}
    examples:
      violation: ["The greatest account."]
      compliant: ["A good account."]
  - id: fair
    title: Balanced claims
    kind: llm
    instruction: Benefits must be balanced by risks.
    examples:
      violation: ["Earn 5% now!"]
      compliant: ["Earn 5% AER; rate variable."]
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("COMPLIANCE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def make(tmp_path: Path, text: str = MIXED) -> Path:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "guideline-set.yaml").write_text(text, encoding="utf-8")
    return folder


def test_list_and_show() -> None:
    listing = runner.invoke(app, ["guidelines", "list"])
    assert listing.exit_code == 0
    assert "marketing-eu" in listing.stdout
    shown = runner.invoke(app, ["guidelines", "show", "marketing-eu"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0
    assert "no-guarantees" in shown.stdout
    assert "MarketingEU." in shown.stdout


def test_validate_reports_valid_and_invalid(tmp_path: Path) -> None:
    good = make(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nversion: one\ntitle: x\nguidelines: []\n", encoding="utf-8")
    result = runner.invoke(app, ["guidelines", "validate", str(good), str(bad)])
    assert result.exit_code == 2
    assert "valid" in result.stdout
    assert "mixed@2" in result.stdout
    assert f"{bad}:4: guidelines: must be a non-empty list" in result.stderr.replace("\n", "")


def test_examples_test_counts_failures_and_not_run(tmp_path: Path) -> None:
    folder = make(tmp_path)
    result = runner.invoke(app, ["guidelines", "test", str(folder), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    by_id = {g["guideline_id"]: g for g in report["guidelines"]}
    assert (by_id["hype"]["passed"], by_id["hype"]["total"], by_id["hype"]["ok"]) == (4, 4, True)
    broken = by_id["broken-example"]
    assert (broken["passed"], broken["ok"]) == (1, False)
    assert broken["examples"][0]["detail"] == "expected a finding, got none"
    fair = by_id["fair"]
    assert fair["passed"] == 0
    assert {e["outcome"] for e in fair["examples"]} == {"not_run"}
    assert "no LLM provider" in fair["examples"][0]["detail"]
    assert report["ok"] is False


def test_examples_test_text_output_and_only(tmp_path: Path) -> None:
    folder = make(tmp_path)
    result = runner.invoke(app, ["guidelines", "test", str(folder), "--only", "hype"])
    assert result.exit_code == 0, result.output
    assert "4/4 examples passed (100%)" in result.stdout


def test_shipped_marketing_set_examples_pass() -> None:
    result = runner.invoke(app, ["guidelines", "test", "marketing-eu", "--json"])
    report = json.loads(result.stdout)
    failing = [
        (g["guideline_id"], e["text"], e["detail"])
        for g in report["guidelines"]
        for e in g["examples"]
        if e["outcome"] != "passed"
    ]
    assert failing == []
    assert result.exit_code == 0
    for guideline in report["guidelines"]:
        kinds = [e["expected"] for e in guideline["examples"]]
        assert kinds.count("violation") >= 3
        assert kinds.count("compliant") >= 3


def test_llm_option_without_a_model_is_a_usage_error(tmp_path: Path) -> None:
    folder = make(tmp_path)
    result = runner.invoke(app, ["guidelines", "test", str(folder), "--llm"])
    assert result.exit_code == 2
    assert "--llm needs a model" in result.stderr
