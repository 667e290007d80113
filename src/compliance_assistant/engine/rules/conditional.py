"""``conditional``: whenever ``first`` appears, ``second`` must have defined it.

Typical use: an acronym (``first: '\\b([A-Z]{3,5})\\b'``) must have been spelled out with
its definition (``second: '(?:\\w+ )+\\(([A-Z]{3,5})\\)'``) earlier in the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import regex

from compliance_assistant.engine.rules.base import Hit, Rule
from compliance_assistant.engine.rules.existence import _exceptions
from compliance_assistant.engine.rules.fields import Fields
from compliance_assistant.engine.rules.literals import LiteralFilter, literal_filter
from compliance_assistant.engine.rules.patterns import IGNORE_CASE, compile_pattern
from compliance_assistant.engine.rules.state import DocumentState
from compliance_assistant.engine.vale.units import Unit


@dataclass(frozen=True, kw_only=True)
class Conditional(Rule):
    """Keys: ``first``, ``second``, ``ignorecase``, ``exceptions``, ``vocab``.

    Units are visited in document order. Captures of ``second`` are remembered as defined
    terms; a match of ``first`` whose text was not defined before (or in the same unit) and
    is not an exception is reported. When ``second`` has no capture group, its whole match
    counts, so ``first`` then simply requires ``second`` to be present in the document.
    """

    kind: ClassVar[str] = "conditional"
    keys: ClassVar[frozenset[str]] = frozenset(
        {"first", "second", "ignorecase", "exceptions", "vocab"}
    )

    first: regex.Pattern[str]
    second: regex.Pattern[str]
    exceptions: regex.Pattern[str] | None = None
    # Pre-checks: literals every match of ``first`` / ``second`` contains (see literals.py).
    first_literals: LiteralFilter | None = None
    second_literals: LiteralFilter | None = None

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        flag = IGNORE_CASE if fields.boolean("ignorecase", False) else ""
        patterns = {}
        filters = {}
        for key in ("first", "second"):
            value = fields.string(key)
            if not value:
                raise fields.error(key, f"a conditional rule needs '{key}'")
            patterns[key] = compile_pattern(
                flag + value, source=fields.source, line=fields.line(key), key=key
            )
            filters[key] = literal_filter(flag + value, ignorecase=False)
        return cls(
            **common,
            first=patterns["first"],
            second=patterns["second"],
            vocab=fields.boolean("vocab", True),
            exceptions=_exceptions(fields),
            first_literals=filters["first"],
            second_literals=filters["second"],
        )

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        text = unit.text
        defined: set[str] = state.memory.setdefault(self.name, set())
        self._define(text, defined)
        if _PRESENT in defined:
            # ``second`` (without captures) was found: no match of ``first`` is reported.
            return []
        if self.first_literals is not None and not self.first_literals.may_match(text):
            return []
        hits: list[Hit] = []
        for start, end in state.match_spans(self.first, text):
            observed = text[start:end]
            if start == end or observed in defined:
                continue
            if state.excepted(observed, self.exceptions, self.vocab):
                continue
            hits.append(self.hit(start, end, text))
        return hits

    def _define(self, text: str, defined: set[str]) -> None:
        """Remember what ``second`` defines in ``text``: its captures, or that it is present."""
        if self.second_literals is not None and not self.second_literals.may_match(text):
            return
        if self.second.groups:
            for match in self.second.finditer(text):
                defined.update(g for g in match.groups() if g)
        # Without captures only presence counts: the first non-empty match settles it.
        elif _PRESENT not in defined and any(m.group() for m in self.second.finditer(text)):
            defined.add(_PRESENT)


# Marker for "second matched" when it has no capture group to name the defined term.
_PRESENT = "\x00present"
