"""``substitution``: suggest a replacement for each ``swap`` key found in the text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Self

import regex

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules.base import (
    Action,
    Hit,
    Rule,
    cap_first,
    format_message,
    to_sentence,
)
from compliance_assistant.engine.rules.existence import _exceptions
from compliance_assistant.engine.rules.fields import Fields
from compliance_assistant.engine.rules.literals import LiteralFilter, literal_filter
from compliance_assistant.engine.rules.patterns import (
    IGNORE_CASE,
    build_pattern,
    compile_pattern,
    is_phrase,
)
from compliance_assistant.engine.rules.phrases import PhraseFilter
from compliance_assistant.engine.rules.state import DocumentState
from compliance_assistant.engine.vale.units import Unit

# An opening parenthesis that starts a capturing group (not escaped, not "(?").
_CAPTURE_OPEN = regex.compile(r"(?<!\\)\((?!\?)")
_BACKREFERENCE = regex.compile(r"\$\d+")
_PATTERN_LIKE = regex.compile(r"[\[\\]|\(\?")


@dataclass(frozen=True, kw_only=True)
class Substitution(Rule):
    """Keys: ``swap`` (pattern → replacement, ``a|b`` for alternatives), ``ignorecase``,
    ``nonword``, ``exceptions``, ``vocab``, ``capitalize``. Each swap key becomes one capture
    group of a single alternation (longest keys first); the group that matched picks the
    replacement, and a match already equal to its replacement is not reported."""

    kind: ClassVar[str] = "substitution"
    keys: ClassVar[frozenset[str]] = frozenset(
        {"swap", "ignorecase", "nonword", "exceptions", "vocab", "capitalize", "pos"}
    )

    pattern: regex.Pattern[str]
    terms: tuple[str, ...]
    replacements: tuple[str, ...]
    ignorecase: bool = False
    capitalize: bool = False
    nonword: bool = False
    exceptions: regex.Pattern[str] | None = None
    phrases: PhraseFilter | None = None
    # Pre-check when the keys are real patterns: literals every match contains.
    literals: LiteralFilter | None = None

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        swap = fields.mapping("swap")
        if not swap:
            raise fields.error("swap", "a substitution rule needs a non-empty 'swap' mapping")
        # Stable sort: equal-length keys keep file order (Vale's order there is arbitrary).
        terms = sorted(swap, key=len, reverse=True)
        groups = [f"({_non_capturing(term)})" for term in terms]
        ignorecase = fields.boolean("ignorecase", False)
        source = build_pattern(
            tokens=["|".join(groups)],
            ignorecase=ignorecase,
            word=not fields.boolean("nonword", False),
        )
        phrases = (
            None
            if fields.boolean("nonword", False)
            else PhraseFilter.build(terms, ignorecase=ignorecase)
        )
        return cls(
            **common,
            vocab=fields.boolean("vocab", True),
            pattern=compile_pattern(
                source, source=fields.source, line=fields.line("swap"), key="swap"
            ),
            terms=tuple(terms),
            replacements=tuple(swap[t] for t in terms),
            ignorecase=ignorecase,
            nonword=fields.boolean("nonword", False),
            phrases=phrases,
            literals=None if phrases else literal_filter(source, ignorecase=ignorecase),
            capitalize=fields.boolean("capitalize", False),
            exceptions=_exceptions(fields),
        )

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        text = unit.text
        if self.literals is not None and not self.literals.may_match(text):
            return []
        hits: list[Hit] = []
        vocab = self.vocab and not self.nonword
        for start, end, index in self._matches(text, state):
            observed = text[start:end].strip()
            expected = self._expected(index, observed)
            if (
                _same(expected, observed)
                or state.excepted(observed, self.exceptions, vocab)
                or (vocab and state.in_accepted_phrase(text, start, end))
            ):
                continue
            hits.append(self._hit(start, end, expected, text[start:end]))
        return hits

    def _matches(self, text: str, state: DocumentState) -> Iterator[tuple[int, int, int]]:
        """``(start, end, term index)`` of each match of a swap key."""
        if self.phrases is not None:
            for start, end, group in state.words.spans(self.phrases, self.pattern, text):
                if group:
                    yield start, end, group - 1
            return
        for match in self.pattern.finditer(text):
            last = match.lastindex
            if last is not None:
                begin, finish = match.span(last)
                yield begin, finish, last - 1

    def _expected(self, index: int, observed: str) -> str:
        expected = self.replacements[index]
        if self.capitalize and observed == cap_first(observed):
            expected = cap_first(expected)
        if not _BACKREFERENCE.search(expected):
            return expected
        term = self.terms[index]
        pattern = compile_pattern((IGNORE_CASE if self.ignorecase else "") + term)
        return pattern.sub(
            regex.sub(r"\$(\d+)", r"\\g<\1>", expected.replace("\\", "\\\\")), observed
        )

    def _hit(self, start: int, end: int, expected: str, observed: str) -> Hit:
        action = self.action
        message = self.message
        if action is not None and action.name == "replace" and not action.params:
            options = expected.split("|")
            if self.capitalize and observed == cap_first(observed):
                options = [cap_first(o) for o in options]
            action = Action("replace", tuple(options))
            expected = to_sentence(options) if any(options) else ""
            # to_sentence already quotes; drop the rule's own quotes around the first %s.
            message = _unquote_first(message)
        elif action is None:
            # A substitution says what to write instead: offer it as a fix.
            action = Action("replace", tuple(expected.split("|")), implicit=True)
        return Hit(
            start,
            end,
            format_message(message, expected, observed),
            format_message(self.description, expected, observed),
            action,
        )


def _non_capturing(term: str) -> str:
    """Vale turns a swap key's own capture groups into non-capturing ones."""
    opens = term.count("(")
    if opens != term.count("(?") + term.count("\\("):
        return _CAPTURE_OPEN.sub("(?:", term)
    return term


def _same(expected: str, observed: str) -> bool:
    """Whether the text already is (one of) its replacement(s).

    A replacement is compared literally, alternative by alternative (``a|b``); one written
    as a pattern (with a class, an escape or an inline flag, like Vocab terms) must match the
    whole text.
    """
    if expected == observed or observed in expected.split("|"):
        return True
    if is_phrase(expected) or not _PATTERN_LIKE.search(expected):
        return False
    pattern = _token_pattern(expected)
    return pattern is not None and pattern.fullmatch(observed) is not None


@lru_cache(maxsize=4096)
def _token_pattern(expected: str) -> regex.Pattern[str] | None:
    """A replacement written as a pattern, compiled with the user-pattern guards (static
    backtracking check, match timeout); None when it is not a usable pattern, so the
    replacement is then only compared literally."""
    try:
        return compile_pattern(f"(?:{expected})")
    except DefinitionError:
        return None


def _unquote_first(message: str) -> str:
    for spec in ("'%s'", '"%s"'):
        if message.count(spec) == 2:
            message = message.replace(spec, "%s", 1)
    return message
