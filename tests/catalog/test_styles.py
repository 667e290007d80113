"""Loading Vale styles from a StylesPath."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compliance_assistant.catalog.styles import find_style_dirs, load_styles, read_vocab
from compliance_assistant.engine.errors import DefinitionError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def styles(tmp_path: Path) -> Path:
    root = tmp_path / "styles"
    write(root / "Brand" / "Hype.yml", "extends: existence\nmessage: x\ntokens: [amazing]\n")
    write(
        root / "Brand" / "Terms.yaml",
        "extends: substitution\nmessage: '%s'\nswap:\n  e-mail: email\n",
    )
    write(root / "Brand" / "Spell.yml", "extends: spelling\nmessage: x\n")
    write(root / "Brand" / "notes.txt", "not a rule")
    write(root / "Other" / "Rule.yml", "extends: existence\nmessage: x\ntokens: [y]\n")
    write(root / "config" / "vocabularies" / "Base" / "accept.txt", "FlexiPay\n# note\n\nAER\n")
    write(root / "config" / "vocabularies" / "Base" / "reject.txt", "cheap\n")
    return root


def test_load_named_styles_with_builtin(styles: Path) -> None:
    library = load_styles([styles], ["Brand", "Vale"])
    assert sorted(library) == ["Brand.Hype", "Brand.Terms", "Vale.Repetition"]
    assert library.styles == ("Brand", "Vale")
    assert [r.name for r in library.style("Brand")] == ["Brand.Hype", "Brand.Terms"]
    assert library["Brand.Terms"].kind == "substitution"
    assert {(w.rule, w.kind) for w in library.warnings} == {
        ("Brand.Spell", "spelling"),
        ("Vale.Spelling", "spelling"),
    }
    assert library.paths["Brand.Hype"] == styles / "Brand" / "Hype.yml"


def test_load_every_style_when_no_names_are_given(styles: Path) -> None:
    assert set(load_styles([styles]).styles) == {"Brand", "Other", "Vale"}
    assert "config" not in find_style_dirs([styles])


def test_first_styles_path_wins(styles: Path, tmp_path: Path) -> None:
    override = tmp_path / "override"
    write(override / "Brand" / "Hype.yml", "extends: existence\nmessage: y\ntokens: [wow]\n")
    library = load_styles([override, styles], ["Brand"], include_builtin=False)
    assert list(library) == ["Brand.Hype"]
    assert library["Brand.Hype"].message == "y"


def test_missing_styles_and_broken_rules_are_errors(styles: Path) -> None:
    with pytest.raises(DefinitionError, match="Nope"):
        load_styles([styles], ["Nope"])
    write(styles / "Broken" / "Bad.yml", "extends: existence\nmessage: x\ntokenz: [a]\n")
    with pytest.raises(DefinitionError) as caught:
        load_styles([styles], ["Broken"])
    assert caught.value.source.endswith("Bad.yml")
    assert caught.value.line == 3


def test_rules_are_compiled_once_and_reloaded_when_the_file_changes(styles: Path) -> None:
    first = load_styles([styles], ["Other"], include_builtin=False)["Other.Rule"]
    again = load_styles([styles], ["Other"], include_builtin=False)["Other.Rule"]
    assert again is first
    path = styles / "Other" / "Rule.yml"
    write(path, "extends: existence\nmessage: changed\ntokens: [y]\n")
    os.utime(path, ns=(1, 1))
    changed = load_styles([styles], ["Other"], include_builtin=False)["Other.Rule"]
    assert changed.message == "changed"


def test_read_vocab(styles: Path) -> None:
    assert read_vocab([styles], "Base") == (["FlexiPay", "AER"], ["cheap"])
    with pytest.raises(DefinitionError, match="vocabulary 'Missing'"):
        read_vocab([styles], "Missing")
