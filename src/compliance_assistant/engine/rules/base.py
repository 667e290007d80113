"""Shared vocabulary of the rule kinds: alerts, actions, hits, the Rule base class.

A rule is compiled once (patterns built at load time) and then only matches: ``check`` takes
one unit of text and the per-document state and returns hits in unit coordinates; the runner
maps them to document offsets and source line/column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar, Literal, NamedTuple

import regex

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules.patterns import PatternTimeoutError, compile_pattern
from compliance_assistant.engine.vale.scopes import Scope

if TYPE_CHECKING:
    from compliance_assistant.engine.rules.state import DocumentState
    from compliance_assistant.engine.vale.units import Unit

Level = Literal["suggestion", "warning", "error"]
LEVELS: tuple[Level, ...] = ("suggestion", "warning", "error")
LEVEL_RANK: dict[str, int] = {"suggestion": 0, "warning": 1, "error": 2}


def as_level(value: str) -> Level:
    """``value`` as a Level; ValueError when it is not one of LEVELS."""
    for level in LEVELS:
        if value == level:
            return level
    raise ValueError(f"'{value}' is not one of {', '.join(LEVELS)}")


@dataclass(frozen=True)
class Action:
    """Vale's ``action``: how a tool could fix the alert (``replace``, ``remove``, ``edit`` …).

    ``implicit`` marks an action the rule did not declare but whose fix is evident (the
    replacement of a ``substitution`` rule): callers may offer it, and Vale-compatible output
    shows no action for it, as Vale does.
    """

    name: str
    params: tuple[str, ...] = ()
    implicit: bool = False


@dataclass(frozen=True)
class Alert:
    """One rule violation.

    ``start``/``end`` are code-point offsets into ``Document.text`` (for a ``raw``-scope match,
    the nearest text offsets); ``line``/``column`` are 1-based in the source file, as Vale
    reports them, and ``end_column`` is the column of the last matched character.
    """

    check: str
    message: str
    level: Level
    start: int
    end: int
    line: int
    column: int
    match: str
    end_column: int = 0
    description: str = ""
    link: str = ""
    action: Action | None = None

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.line, self.column, self.check, self.message)


class Hit(NamedTuple):
    """A match in unit coordinates, before it is placed in the document.

    ``start == end == -1`` marks a document-level hit (readability, metric, zero occurrences),
    which Vale reports at line 1, column 1.
    """

    start: int
    end: int
    message: str
    description: str = ""
    action: Action | None = None


DOCUMENT_LEVEL = -1


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A compiled rule. Subclasses (one module per kind) implement :meth:`check`."""

    kind: ClassVar[str] = ""
    # Keys a kind accepts in addition to the common ones.
    keys: ClassVar[frozenset[str]] = frozenset()

    name: str
    level: Level = "warning"
    scope: Scope = field(default_factory=lambda: Scope.parse(["text"]))
    message: str = ""
    description: str = ""
    link: str = ""
    limit: int = 0
    action: Action | None = None
    source: str = "<text>"
    # Whether the user's accepted Vocab terms act as extra exceptions (Vale's ``vocab``).
    vocab: bool = True

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        """Hits of this rule in ``unit`` (state carries per-document memory and options)."""
        raise NotImplementedError

    @property
    def style(self) -> str:
        return self.name.split(".", 1)[0]

    def hit(self, start: int, end: int, text: str, *args: str) -> Hit:
        """A hit whose message is filled Vale-style: the match (and the fix, with an action)."""
        matched = text[start:end]
        subs: tuple[str, ...] = args or (matched,)
        if not args and self.action is not None:
            subs = (matched, fix_text(self.action, matched))
        return Hit(
            start,
            end,
            format_message(self.message, *subs),
            format_message(self.description, *subs),
            self.action,
        )


# -- Go-style message formatting -----------------------------------------------------------

_VERB = regex.compile(r"%(?:\[(\d+)\])?([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])")


def format_message(template: str, *args: str) -> str:
    """Fill ``%s`` verbs like Go's ``fmt.Sprintf``, ignoring surplus arguments.

    Vale passes the match (and, depending on the kind, the expected text) as arguments; a
    verb without an argument renders as ``%!s(MISSING)`` exactly as Go does. Newlines in the
    result become spaces (a message is one line), other whitespace is kept.
    """
    if "%" not in template:
        return template.replace("\n", " ")
    parts: list[str] = []
    for literal, verb in _parse_template(template):
        parts.append(literal)
        if verb is not None:
            parts.append(_render(verb, args))
    return "".join(parts).replace("\n", " ")


# A parsed verb: (argument index, verb letter, flags, width).
_Verb = tuple[int, str, str, int]


@lru_cache(maxsize=4096)
def _parse_template(template: str) -> tuple[tuple[str, _Verb | None], ...]:
    """Literal text and verbs of a message template, parsed once per template."""
    pieces: list[tuple[str, _Verb | None]] = []
    position = 0
    last = 0
    for match in _VERB.finditer(template):
        literal = template[last : match.start()]
        last = match.end()
        letter = match.group(5)
        if letter == "%":
            pieces.append((literal + "%", None))
            continue
        if match.group(1):
            position = int(match.group(1)) - 1
        width = int(match.group(3)) if match.group(3) else 0
        pieces.append((literal, (position, letter, match.group(2), width)))
        position += 1
    pieces.append((template[last:], None))
    return tuple(pieces)


def _render(verb: _Verb, args: Sequence[str]) -> str:
    index, letter, flags, width = verb
    if index >= len(args):
        return f"%!{letter}(MISSING)"
    value = args[index]
    if letter == "q":
        value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if width > len(value):
        pad = " " * (width - len(value))
        value = value + pad if "-" in flags else pad + value
    return value


def to_sentence(words: Sequence[str], conjunction: str = "or") -> str:
    """``'a'``, ``'a' or 'b'``, ``'a', 'b', or 'c'`` — Vale's list rendering."""
    quoted = [f"'{w}'" for w in words]
    if len(quoted) <= 1:
        return quoted[0] if quoted else ""
    if len(quoted) == 2:
        return f"{quoted[0]} {conjunction} {quoted[1]}"
    return ", ".join([*quoted[:-1], f"{conjunction} {quoted[-1]}"])


def cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def fix_text(action: Action, matched: str) -> str:
    """The replacement Vale shows in a message for an action (its ``FixAlert`` result)."""
    suggestions = suggestions_for(action, matched)
    if len(suggestions) == 1:
        return suggestions[0]
    if len(suggestions) > 1:
        return to_sentence(suggestions)
    return matched


def suggestions_for(action: Action, matched: str) -> list[str]:
    """Fixes an action proposes for ``matched``; unknown or malformed actions propose none."""
    params = action.params
    if action.name == "replace":
        return list(params)
    if action.name == "remove":
        return [""]
    if action.name == "convert":
        if params and params[0] == "simple":
            return [matched.lower()]
        return [matched]
    if action.name == "edit" and params:
        edited = _edit(params, matched)
        return [] if edited is None else [edited.strip()]
    return []


def _edit(params: Sequence[str], matched: str) -> str | None:
    operation, rest = params[0], params[1:]
    if operation == "regex" and len(rest) == 2:
        # A user's pattern: the same safety check and timeout as every rule pattern.
        try:
            pattern = compile_pattern(rest[0])
            return pattern.sub(_go_replacement(rest[1]), matched)
        except (DefinitionError, PatternTimeoutError, regex.error):
            return None
    if operation in {"trim", "trim_left", "trim_right", "truncate"} and len(rest) == 1:
        chars = rest[0]
        if operation == "trim":
            return matched.strip(chars)
        if operation == "trim_left":
            return matched.lstrip(chars)
        if operation == "trim_right":
            return matched.rstrip(chars)
        return matched.split(chars, maxsplit=1)[0] if chars else matched
    if operation == "split" and len(rest) == 2 and rest[1].isdigit():
        parts = matched.split(rest[0]) if rest[0] else [matched]
        index = int(rest[1])
        return parts[index] if index < len(parts) else None
    return matched


def _go_replacement(template: str) -> str:
    """Go's ``$1``/``${1}`` replacement syntax → Python's ``\\g<1>``."""
    return regex.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", template.replace("\\", "\\\\"))
