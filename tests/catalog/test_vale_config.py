"""Finding and loading a Vale project (.vale.ini + StylesPath + Vocab)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_assistant.catalog.vale_config import find_config, load_project
from compliance_assistant.engine.errors import DefinitionError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(
        tmp_path / "styles" / "Brand" / "Hype.yml",
        "extends: existence\nmessage: x\nlevel: suggestion\ntokens: [amazing]\n",
    )
    write(
        tmp_path / "styles" / "Brand" / "Tone.yml",
        "extends: existence\nmessage: x\ntokens: [awesome]\n",
    )
    write(
        tmp_path / "styles" / "Extra" / "One.yml", "extends: existence\nmessage: x\ntokens: [one]\n"
    )
    write(tmp_path / "styles" / "config" / "vocabularies" / "Base" / "accept.txt", "FlexiPay\n")
    write(tmp_path / "styles" / "config" / "vocabularies" / "Base" / "reject.txt", "cheap\n")
    write(
        tmp_path / ".vale.ini",
        "StylesPath = styles\nMinAlertLevel = warning\nVocab = Base\n\n"
        "[*.md]\nBasedOnStyles = Brand, Vale\nBrand.Hype = error\nExtra.One = YES\n\n"
        "[legal/*.md]\nBrand.Tone = NO\n",
    )
    return tmp_path


def test_find_config_searches_ancestors_in_vale_order(project: Path) -> None:
    nested = project / "docs" / "deep"
    nested.mkdir(parents=True)
    assert find_config(nested) == project / ".vale.ini"
    write(project / "docs" / "_vale", "")
    assert find_config(nested) == project / "docs" / "_vale"


def test_load_project_selects_rules_per_file(project: Path) -> None:
    loaded = load_project(project / ".vale.ini")
    assert loaded.styles_paths == ((project / "styles").resolve(),)
    names = sorted(r.name for r in loaded.rules_for("guide.md"))
    assert names == [
        "Brand.Hype",
        "Brand.Tone",
        "Extra.One",
        "Vale.Avoid",
        "Vale.Repetition",
        "Vale.Terms",
    ]
    assert "Brand.Tone" not in [r.name for r in loaded.rules_for("legal/terms.md")]
    assert loaded.rules_for("notes.txt") == []
    options = loaded.options()
    assert (options.min_alert_level, options.levels, options.accepted) == (
        "warning",
        {"Brand.Hype": "error"},
        ("FlexiPay",),
    )
    assert loaded.options("error").min_alert_level == "error"
    assert any("Vale.Spelling" in w for w in loaded.warnings)


def test_configuration_errors(project: Path) -> None:
    bad_path = write(project / "bad.ini", "StylesPath = nowhere\n[*]\nBasedOnStyles = Brand\n")
    with pytest.raises(DefinitionError, match="does not exist"):
        load_project(bad_path)
    missing = write(project / "missing.ini", "StylesPath = styles\n[*]\nBasedOnStyles = Gone\n")
    with pytest.raises(DefinitionError, match="style 'Gone' does not exist"):
        load_project(missing)
