"""`compliance lint`: Vale's line and JSON outputs, exit codes, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from compliance_assistant.cli.lint import LintUsageError, lint, lint_paths

app = typer.Typer()
app.command()(lint)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    styles = tmp_path / "styles" / "Brand"
    styles.mkdir(parents=True)
    (styles / "Free.yml").write_text(
        "extends: existence\nmessage: \"Avoid '%s'.\"\nlevel: error\nignorecase: true\n"
        "tokens: [free]\n",
        encoding="utf-8",
    )
    (styles / "Very.yml").write_text(
        "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nlevel: suggestion\n"
        "action:\n  name: replace\nswap:\n  very good: great\n",
        encoding="utf-8",
    )
    (tmp_path / ".vale.ini").write_text(
        "StylesPath = styles\n\n[*.{md,html,txt}]\nBasedOnStyles = Brand\n", encoding="utf-8"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Free offer\n\nIt is very good.\n", encoding="utf-8")
    (tmp_path / "docs" / "b.txt").write_text("Nothing to see.\n", encoding="utf-8")
    (tmp_path / "docs" / "c.py").write_text("# free\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_line_output_is_sorted_and_exit_code_reflects_errors(project: Path) -> None:
    result = CliRunner().invoke(app, ["docs"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "docs/a.md:1:3:Brand.Free:Avoid 'Free'.",
        "docs/a.md:3:7:Brand.Very:Use 'great' instead of 'very good'.",
    ]


def test_json_output_mirrors_vale(project: Path) -> None:
    result = CliRunner().invoke(app, ["docs/a.md", "--output", "json"])
    payload = json.loads(result.stdout)
    very = payload["docs/a.md"][1]
    assert very == {
        "Action": {"Name": "replace", "Params": ["great"]},
        "Span": [7, 15],
        "Check": "Brand.Very",
        "Description": "",
        "Link": "",
        "Message": "Use 'great' instead of 'very good'.",
        "Severity": "suggestion",
        "Match": "very good",
        "Line": 3,
    }


def test_implicit_actions_are_not_shown_in_json(project: Path) -> None:
    (project / "styles" / "Brand" / "Very.yml").write_text(
        "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nswap:\n"
        "  very good: great\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["docs/a.md", "--output", "json"])
    very = json.loads(result.stdout)["docs/a.md"][1]
    assert very["Action"] == {"Name": "", "Params": None}


def test_min_alert_level_and_clean_exit(project: Path) -> None:
    result = CliRunner().invoke(app, ["docs/a.md", "--minAlertLevel", "suggestion"])
    assert result.exit_code == 1
    (project / "docs" / "a.md").write_text("All fine.\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["docs"]).exit_code == 0


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["missing.md"], "neither a file nor a folder"),
        (["docs", "--config", "nope.ini"], "does not exist"),
        (["docs", "--minAlertLevel", "loud"], "--minAlertLevel"),
    ],
)
def test_usage_errors_exit_2_without_traceback(
    project: Path, arguments: list[str], fragment: str
) -> None:
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_missing_configuration_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("x\n", encoding="utf-8")
    with pytest.raises(LintUsageError, match=r"\.vale\.ini not found"):
        lint_paths(["a.md"], cwd=tmp_path)


def test_code_files_and_unknown_formats_are_skipped(project: Path) -> None:
    run = lint_paths(["docs"], cwd=project)
    # Folders: files that no section matches are not linted at all (as in Vale).
    assert [f.path for f in run.files] == ["docs/a.md", "docs/b.txt"]
    assert run.skipped == []
    # Named files in a format this front end does not read are reported as skipped.
    named = lint_paths(["docs/c.py", "docs/b.txt"], cwd=project)
    assert named.skipped == ["docs/c.py"]
    assert [f.path for f in named.files] == ["docs/b.txt"]
