"""``.vale.ini`` text: sections, globs, precedence, errors."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.vale.config import parse_vale_config
from compliance_assistant.engine.vale.ini import compile_glob, parse_ini

CONFIG = """\
StylesPath = styles
MinAlertLevel = warning ; inline comment
Vocab = Base, Extra
IgnoredScopes = code, tt
SkippedScopes = script, pre
IgnoredClasses = nop

[*]
BasedOnStyles = Vale, Brand
Brand.Hype = NO
TokenIgnores = (\\{\\{[^}]+\\}\\})

[*.md]
BasedOnStyles = Brand
Brand.Hype = YES
Brand.Tone = error
BlockIgnores = (?s)<svg.*?</svg>

[docs/legal/*.md]
Brand.Tone = NO
"""


def test_core_options() -> None:
    config = parse_vale_config(CONFIG, source=".vale.ini")
    assert config.styles_path == ("styles",)
    assert config.min_alert_level == "warning"
    assert config.vocab == ("Base", "Extra")
    assert (config.ignored_scopes, config.skipped_scopes, config.ignored_classes) == (
        ("code", "tt"),
        ("script", "pre"),
        ("nop",),
    )
    assert config.levels == {"Brand.Tone": "error"}
    assert config.all_styles == ("Vale", "Brand")


def test_settings_per_file_follow_vale_precedence() -> None:
    config = parse_vale_config(CONFIG)
    text = config.for_path("notes.txt")
    assert text.styles == ("Vale", "Brand")
    assert not text.enabled("Brand.Hype")
    assert text.enabled("Brand.Tone")
    assert text.enabled("Vale.Repetition")
    markdown = config.for_path("docs/intro.md")
    assert markdown.styles == ("Brand",)
    assert markdown.enabled("Brand.Hype")
    assert not markdown.enabled("Vale.Repetition")
    assert markdown.token_ignores == (r"(\{\{[^}]+\}\})",)
    assert markdown.block_ignores == ("(?s)<svg.*?</svg>",)
    assert not config.for_path("docs/legal/terms.md").enabled("Brand.Tone")


def test_defaults_and_shadowed_keys() -> None:
    config = parse_vale_config("[*]\nBasedOnStyles = A\nBasedOnStyles = B, A\n")
    assert config.min_alert_level == "suggestion"
    assert config.global_styles == ("A", "B")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("MinAlertLevel = loud\n", 1, "MinAlertLevel"),
        ("BasedOnStyles = A\n", 1, "syntax-specific"),
        ("[*]\nStylesPath = x\n", 2, "core option"),
        ("[*]\njust words\n", 2, "key = value"),
    ],
)
def test_errors(text: str, line: int, fragment: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_vale_config(text, source=".vale.ini")
    assert caught.value.line == line
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*", "a/b/c.md", True),
        ("*.md", "docs/a.md", True),
        ("*.{md,txt}", "a.txt", True),
        ("*.{md,txt}", "a.html", False),
        ("test.py", "test.py", True),
        ("docs/**/*.md", "docs/a/b/c.md", True),
        ("docs/**/*.md", "docs/c.md", True),
        ("!*.py", "a.md", True),
        ("!*.py", "a.py", False),
        ("[ab].md", "b.md", True),
        ("[!ab].md", "b.md", False),
    ],
)
def test_globs(pattern: str, path: str, expected: bool) -> None:
    assert compile_glob(pattern).matches(path) is expected


def test_ini_sections_keep_order_and_repeated_keys() -> None:
    sections = parse_ini("a = 1\n# comment\n[x]\nb = 2\nb = 3\n")
    assert [s.name for s in sections] == ["", "x"]
    assert sections[1].values("b") == ["2", "3"]
