import pytest

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.yaml_source import load_yaml


def test_lines_are_recorded_for_keys_and_items() -> None:
    document = load_yaml("a: 1\nb:\n  - x\n  - y: 2\n", "f.yml")
    assert document.data == {"a": 1, "b": ["x", {"y": 2}]}
    assert document.line("a") == 1
    assert document.line("b", 1) == 4
    assert document.line("b", 1, "y") == 4
    assert document.line("b", 7) == 2  # falls back to the nearest known ancestor


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_yaml("a: 1\nb: [unclosed\nc: 3\n", "rules/x.yml")
    assert str(caught.value).startswith("rules/x.yml:")
    assert caught.value.line is not None


def test_duplicate_keys_are_rejected_with_line() -> None:
    with pytest.raises(DefinitionError, match=r"f.yml:3: duplicate key 'a'"):
        load_yaml("a: 1\nb: 2\na: 3\n", "f.yml")


def test_empty_text_gives_none() -> None:
    assert load_yaml("", "f.yml").data is None
