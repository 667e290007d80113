"""``capitalization``: a unit (typically a heading) must follow a case style."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import regex

from compliance_assistant.engine.rules.base import Action, Hit, Rule, format_message
from compliance_assistant.engine.rules.casing import (
    WORD_PATTERN,
    find_words,
    go_title,
    to_sentence_case,
    to_title,
)
from compliance_assistant.engine.rules.fields import Fields
from compliance_assistant.engine.rules.patterns import compile_pattern, exceptions_pattern
from compliance_assistant.engine.rules.state import DocumentState
from compliance_assistant.engine.vale.units import Unit

_NUMBERED = regex.compile(r"\d+\.")
_STYLES = ("$title", "$sentence", "$lower", "$upper")


@dataclass(frozen=True, kw_only=True)
class Capitalization(Rule):
    """Keys: ``match`` (``$title``, ``$sentence``, ``$lower``, ``$upper`` or a pattern),
    ``style`` (``AP``/``Chicago`` for ``$title``), ``exceptions``, ``indicators`` (suffixes
    after which the next word may be capitalised in sentence case), ``threshold`` (share of
    words that must conform, default 0.8), ``prefix`` (ignored leading pattern), ``vocab``.
    The message's first ``%s`` is the unit's text, the second the expected form."""

    kind: ClassVar[str] = "capitalization"
    keys: ClassVar[frozenset[str]] = frozenset(
        {"match", "style", "exceptions", "indicators", "threshold", "prefix", "vocab"}
    )

    match: str
    style: str = "AP"
    exceptions: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    threshold: float = 0.8
    prefix: str = ""
    pattern: regex.Pattern[str] | None = None

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        match = fields.string("match")
        if not match:
            raise fields.error(
                "match", f"a capitalization rule needs 'match' ({', '.join(_STYLES)} or a pattern)"
            )
        pattern = None
        if match not in _STYLES:
            pattern = compile_pattern(
                match, source=fields.source, line=fields.line("match"), key="match"
            )
        style = fields.string("style", "AP")
        if style not in {"AP", "Chicago"}:
            raise fields.error("style", f"'style' must be AP or Chicago (got '{style}')")
        prefix = fields.string("prefix")
        if prefix:
            compile_pattern(prefix, source=fields.source, line=fields.line("prefix"), key="prefix")
        exceptions = fields.strings("exceptions")
        for term in exceptions:
            compile_pattern(
                term, source=fields.source, line=fields.line("exceptions"), key="exceptions"
            )
        threshold = fields.number("threshold", 0.0) or 0.8
        return cls(
            **common,
            match=match,
            style=style,
            exceptions=exceptions,
            indicators=fields.strings("indicators"),
            threshold=threshold,
            prefix=prefix,
            pattern=pattern,
            vocab=fields.boolean("vocab", True),
        )

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        text = unit.text
        terms = [*self.exceptions, *(state.options.accepted if self.vocab else ())]
        except_source = exceptions_pattern(terms)
        excepted = compile_pattern(except_source) if except_source else None
        expected, ok = self._judge(text, terms, excepted)
        if ok:
            return []
        action = self.action
        if (
            action is not None
            and action.name == "replace"
            and not action.params
            and self.match in ("$title", "$sentence")
        ):
            action = Action("replace", (expected,))
        return [
            Hit(
                0,
                len(text),
                format_message(self.message, text, expected),
                format_message(self.description, text, expected),
                action,
            )
        ]

    def _judge(
        self, text: str, terms: list[str], excepted: regex.Pattern[str] | None
    ) -> tuple[str, bool]:
        if self.match == "$lower":
            return text.lower(), text == text.lower() or _found(excepted, text)
        if self.match == "$upper":
            return text.upper(), text == text.upper() or _found(excepted, text)
        if self.pattern is not None:
            return self.match, bool(self.pattern.search(text)) or _found(excepted, text)
        ordered = sorted(terms, key=len, reverse=True)
        if self.match == "$title":
            expected = to_title(text, style=self.style, vocab=ordered, prefix=self.prefix)
            return expected, _conforms(text, expected, excepted, self.threshold, title=True)
        expected = to_sentence_case(
            text, vocab=ordered, prefix=self.prefix, indicator=self._indicator()
        )
        return expected, _conforms(text, expected, excepted, self.threshold, title=False)

    def _indicator(self) -> Callable[[str, int], bool]:
        suffixes = tuple(self.indicators)

        def indicator(word: str, index: int) -> bool:
            if suffixes and word.endswith(suffixes):
                return True
            return index == 0 and _NUMBERED.search(word) is not None

        return indicator


def _found(pattern: regex.Pattern[str] | None, text: str) -> bool:
    return pattern is not None and pattern.search(text) is not None


def _conforms(
    text: str, expected: str, excepted: regex.Pattern[str] | None, threshold: float, *, title: bool
) -> bool:
    """Share of words already in the expected case (or excepted) reaches ``threshold``."""
    source = WORD_PATTERN if excepted is None else excepted.pattern + "|" + WORD_PATTERN
    wanted = find_words(source, expected)
    count = total = 0
    for index, word in enumerate(find_words(source, text)):
        conforming = (
            index >= len(wanted)
            or word == wanted[index]
            or (excepted is not None and _found(excepted, word))
        )
        if conforming or (title and word == word.upper()):
            count += 1
        elif not title and index == 0 and word != go_title(word.lower()):
            return False
        total += 1
    return total == 0 or count / total >= threshold
