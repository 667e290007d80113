"""``consistency``: of each ``either`` pair, only one variant may be used in a document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import regex

from compliance_assistant.engine.rules.base import Hit, Rule
from compliance_assistant.engine.rules.fields import Fields
from compliance_assistant.engine.rules.literals import LiteralFilter, literal_filter
from compliance_assistant.engine.rules.patterns import build_pattern, compile_pattern
from compliance_assistant.engine.rules.state import DocumentState
from compliance_assistant.engine.vale.units import Unit


@dataclass(frozen=True, kw_only=True)
class Consistency(Rule):
    """Keys: ``either`` (variant: other variant), ``ignorecase``, ``nonword``.

    Units are visited in document order and the variants seen are remembered; once both
    variants of a pair have appeared, a unit containing either of them is reported at the
    first use, in that unit, of the variant it uses last.
    """

    kind: ClassVar[str] = "consistency"
    keys: ClassVar[frozenset[str]] = frozenset({"either", "ignorecase", "nonword"})

    pairs: tuple[regex.Pattern[str], ...]
    # Per pair, literals every match of either variant contains (None: no pre-check).
    filters: tuple[LiteralFilter | None, ...] = ()

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        either = fields.mapping("either")
        if not either:
            raise fields.error("either", "a consistency rule needs an 'either' mapping")
        pairs = []
        filters = []
        for first, second in either.items():
            source = build_pattern(
                tokens=[f"(?P<v1>{first})|(?P<v2>{second})"],
                ignorecase=fields.boolean("ignorecase", False),
                word=not fields.boolean("nonword", False),
            )
            pairs.append(
                compile_pattern(
                    source, source=fields.source, line=fields.line("either"), key="either"
                )
            )
            filters.append(literal_filter(source, ignorecase=False))
        return cls(**common, vocab=False, pairs=tuple(pairs), filters=tuple(filters))

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        seen: set[tuple[int, int]] = state.memory.setdefault(self.name, set())
        hits: list[Hit] = []
        for index, pattern in enumerate(self.pairs):
            literals = self.filters[index] if index < len(self.filters) else None
            if literals is not None and not literals.may_match(unit.text):
                continue
            last: tuple[int, int] | None = None
            for match in pattern.finditer(unit.text):
                variant = 1 if match.group("v1") is not None else 2
                seen.add((index, variant))
                last = match.span(f"v{variant}")
            if last is not None and {(index, 1), (index, 2)} <= seen:
                # Report where the unit first uses the variant seen last (Vale locates an
                # alert by searching its text, which finds the first use).
                start = unit.text.find(unit.text[last[0] : last[1]])
                hits.append(self.hit(start, start + last[1] - last[0], unit.text))
        return hits
