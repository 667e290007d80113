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

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        flag = IGNORE_CASE if fields.boolean("ignorecase", False) else ""
        patterns = {}
        for key in ("first", "second"):
            value = fields.string(key)
            if not value:
                raise fields.error(key, f"a conditional rule needs '{key}'")
            patterns[key] = compile_pattern(
                flag + value, source=fields.source, line=fields.line(key), key=key
            )
        return cls(
            **common,
            first=patterns["first"],
            second=patterns["second"],
            vocab=fields.boolean("vocab", True),
            exceptions=_exceptions(fields),
        )

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        text = unit.text
        defined: set[str] = state.memory.setdefault(self.name, set())
        for match in self.second.finditer(text):
            captures = [g for g in match.groups() if g] if self.second.groups else []
            if self.second.groups:
                defined.update(captures)
            elif match.group():
                defined.add(_PRESENT)
        hits: list[Hit] = []
        for match in self.first.finditer(text):
            start, end = match.span()
            observed = text[start:end]
            if start == end or observed in defined or _PRESENT in defined:
                continue
            if state.excepted(observed, self.exceptions, self.vocab):
                continue
            hits.append(self.hit(start, end, text))
        return hits


# Marker for "second matched" when it has no capture group to name the defined term.
_PRESENT = "\x00present"
