"""``occurrence``: the number of ``token`` matches in a unit must stay within ``min``/``max``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import regex

from compliance_assistant.engine.rules.base import DOCUMENT_LEVEL, Hit, Rule, format_message
from compliance_assistant.engine.rules.fields import Fields
from compliance_assistant.engine.rules.patterns import IGNORE_CASE, compile_pattern
from compliance_assistant.engine.rules.state import DocumentState
from compliance_assistant.engine.vale.units import Unit


@dataclass(frozen=True, kw_only=True)
class Occurrence(Rule):
    """Keys: ``token`` (a pattern), ``max``, ``min``, ``ignorecase``. The message's ``%s`` is
    the count. The alert sits on the first match that is not masked code; with no match at
    all (``min`` broken by absence) it is document-level, at line 1, column 1."""

    kind: ClassVar[str] = "occurrence"
    keys: ClassVar[frozenset[str]] = frozenset({"token", "max", "min", "ignorecase"})

    pattern: regex.Pattern[str]
    max: int = 0
    min: int = 0

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        token = fields.string("token")
        if not token:
            raise fields.error("token", "an occurrence rule needs a 'token' pattern")
        maximum, minimum = fields.integer("max", 0), fields.integer("min", 0)
        if maximum <= 0 and minimum <= 0:
            raise fields.error("max", "an occurrence rule needs a positive 'max' or 'min'")
        source = (IGNORE_CASE if fields.boolean("ignorecase", False) else "") + f"(?:{token})"
        return cls(
            **common,
            max=maximum,
            min=minimum,
            pattern=compile_pattern(
                source, source=fields.source, line=fields.line("token"), key="token"
            ),
        )

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        del state  # counts within the unit alone
        if self.max <= 0:
            # Only a minimum: once it is reached, nothing can be reported — stop counting.
            spans = list(itertools.islice(self._spans(unit.text), self.min))
            if len(spans) >= self.min:
                return []
        else:
            # Counting needs no match objects: one findall call (the usual outcome is "within
            # the maximum"); the spans are only wanted for a unit that breaks it.
            if len(self.pattern.findall(unit.text)) <= self.max and self.min <= 0:
                return []
            spans = list(self._spans(unit.text))
        count = len(spans)
        if not ((self.max > 0 and count > self.max) or (self.min > 0 and count < self.min)):
            return []
        subs = (str(count),)
        if count == 0:
            return [
                Hit(
                    DOCUMENT_LEVEL,
                    DOCUMENT_LEVEL,
                    format_message(self.message, *subs),
                    format_message(self.description, *subs),
                    self.action,
                )
            ]
        for start, end in spans:
            matched = unit.text[start:end]
            if matched.strip() and not _is_code(matched):
                return [self.hit(start, end, unit.text, *subs)]
        return []

    def _spans(self, text: str) -> Iterator[tuple[int, int]]:
        return (m.span() for m in self.pattern.finditer(text))


def _is_code(text: str) -> bool:
    """Masked inline code reads as ``*`` (and Vale's ``@``) only."""
    return all(c in "*@" for c in text)
