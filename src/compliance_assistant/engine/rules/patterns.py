"""Regular expressions of Vale rules: Go (RE2/regexp2) syntax compiled with ``regex``.

Vale builds each rule's pattern from templates (word boundaries, case-insensitivity) and its
tokens; the helpers here reproduce those templates so a rule matches what Vale matches.
Compiled patterns are cached per process: the same token list in two styles compiles once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import regex

from compliance_assistant.engine.errors import DefinitionError

IGNORE_CASE = "(?i)"
WORD_TEMPLATE = r"(?m)\b(?:%s)\b"
NONWORD_TEMPLATE = r"(?m)(?:%s)"

# Go spells "end of text" \z; the regex module spells it \Z.
_GO_END = regex.compile(r"(?<!\\)((?:\\\\)*)\\z")


def translate(pattern: str) -> str:
    """Rewrite the few Go-only spellings the regex module reads differently."""
    if "\\z" in pattern:
        pattern = _GO_END.sub(r"\1\\Z", pattern)
    return pattern


@lru_cache(maxsize=8192)
def _compile(pattern: str) -> regex.Pattern[str]:
    return regex.compile(translate(pattern))


def compile_pattern(
    pattern: str, *, source: str = "<text>", line: int | None = None, key: str | None = None
) -> regex.Pattern[str]:
    """Compile once per process; a syntax error is a DefinitionError at ``source:line``."""
    try:
        return _compile(pattern)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise DefinitionError(
            f"invalid regular expression {pattern!r}: {exc}", source=source, line=line, key=key
        ) from None


def build_pattern(
    *,
    tokens: Sequence[str],
    raw: Sequence[str] = (),
    ignorecase: bool = False,
    word: bool = True,
    append: bool = False,
) -> str:
    """Vale's ``makeRegexp``: a word (``\\b``) or non-word template around ``tokens``.

    ``raw`` is concatenated and placed before the template, or after it with ``append``.
    """
    template = WORD_TEMPLATE if word else NONWORD_TEMPLATE
    joined_raw = "".join(raw)
    pattern = template + joined_raw if append else joined_raw + template
    if ignorecase:
        pattern = IGNORE_CASE + pattern
    # The template holds exactly one %s; tokens may contain % themselves, so no % operator.
    return pattern.replace("%s", "|".join(tokens), 1)


def exceptions_pattern(terms: Sequence[str]) -> str | None:
    """Vale's exception matcher: longest terms first, each case-sensitive unless ``(?i)``."""
    if not terms:
        return None
    ordered = sorted(terms, key=len, reverse=True)
    parts = [t if t.startswith("(?i)") else f"(?-i){t}" for t in ordered]
    return WORD_TEMPLATE.replace("%s", "|".join(parts), 1)


def is_phrase(text: str) -> bool:
    """Letters, digits, spaces and hyphens only: a literal term rather than a pattern."""
    return all(c.isalpha() or c.isdigit() or c in " -" for c in text)
