"""Loading rules: validation with file:line, weak typing, unsupported kinds."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules import (
    UNSUPPORTED_KINDS,
    UnsupportedRuleKindError,
    compile_rule,
    parse_rule,
)
from compliance_assistant.engine.rules.existence import Existence

RULE = """\
extends: existence
message: "Avoid '%s'."
level: error
tokens:
  - free
"""


def test_parse_rule_compiles_an_existence_rule() -> None:
    rule = parse_rule("Brand.Free", RULE, source="styles/Brand/Free.yml")
    assert isinstance(rule, Existence)
    assert (rule.name, rule.kind, rule.level, rule.style) == (
        "Brand.Free",
        "existence",
        "error",
        "Brand",
    )
    assert str(rule.scope) == "text"


def test_unknown_keys_are_errors_with_file_and_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_rule("Brand.Free", RULE + "tokenz: [x]\n", source="Free.yml")
    assert caught.value.line == 6
    assert str(caught.value).startswith("Free.yml:6: tokenz: unknown key 'tokenz'")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("message: x\ntokens: [a]\n", 1, "missing the required 'extends'"),
        ("extends: existence\ntokens: [a]\n", 1, "missing the required 'message'"),
        ("extends: existence\nmessage: x\nlevel: fatal\ntokens: [a]\n", 3, "'level' must be"),
        ("extends: existence\nmessage: x\ntokens:\n  - '(unclosed'\n", 3, "invalid regular"),
        ("extends: existence\nmessage: x\nscope: code\ntokens: [a]\n", 3, "use 'raw'"),
        ("extends: nonsense\nmessage: x\n", 1, "'extends' must be one of"),
        ("extends: existence\nmessage: [x\n", 3, "invalid YAML"),
        ("extends: existence\nmessage: x\nlimit: many\ntokens: [a]\n", 3, "must be an integer"),
    ],
)
def test_definition_errors(text: str, line: int, fragment: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_rule("S.R", text, source="R.yml")
    assert caught.value.line == line
    assert fragment in str(caught.value)


@pytest.mark.parametrize("kind", sorted(UNSUPPORTED_KINDS))
def test_unsupported_kinds_raise_with_a_showable_warning(kind: str) -> None:
    with pytest.raises(UnsupportedRuleKindError) as caught:
        parse_rule("S.Spell", f"extends: {kind}\nmessage: x\n", source="Spell.yml")
    warning = caught.value.warning
    assert (warning.rule, warning.kind, warning.line) == ("S.Spell", kind, 1)
    assert "unsupported rule kind" in str(warning)


def test_weak_typing_of_values() -> None:
    rule = compile_rule(
        "S.R",
        {
            "extends": "existence",
            "message": "x",
            "tokens": "single",
            "ignorecase": "true",
            "limit": "2",
            "scope": "heading",
        },
        source="set.yml",
        line=12,
    )
    assert isinstance(rule, Existence)
    assert rule.limit == 2
    assert rule.pattern.search("SINGLE") is not None
    assert str(rule.scope) == "heading"


def test_compile_rule_errors_point_at_the_given_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_rule(
            "S.R", {"extends": "existence", "message": "x", "bogus": 1}, source="set.yml", line=12
        )
    assert str(caught.value).startswith("set.yml:12: bogus:")


def test_rule_names_need_a_style() -> None:
    with pytest.raises(DefinitionError, match=r"Style\.Rule"):
        compile_rule(
            "NoStyle", {"extends": "existence", "message": "x", "tokens": ["a"]}, source="s"
        )


def test_go_yaml_leniencies_are_accepted() -> None:
    text = 'extends: substitution\nmessage: "it\\\'s %s"\nswap:\n  a: b\n  a: c\n'
    rule = parse_rule("S.R", text, source="R.yml")
    assert rule.message == "it's %s"
    assert rule.replacements == ("c",)


def test_action_and_common_keys() -> None:
    rule = compile_rule(
        "S.R",
        {
            "extends": "existence",
            "message": "m",
            "tokens": ["a"],
            "description": "d",
            "link": "https://x",
            "action": {"name": "replace", "params": ["b"]},
        },
        source="s",
    )
    assert (rule.description, rule.link, rule.action.name if rule.action else None) == (
        "d",
        "https://x",
        "replace",
    )
    with pytest.raises(DefinitionError, match="unknown key 'param'"):
        compile_rule(
            "S.R",
            {"extends": "existence", "message": "m", "tokens": ["a"], "action": {"param": []}},
            source="s",
        )
