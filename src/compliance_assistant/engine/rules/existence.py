"""``existence``: report every occurrence of the rule's tokens (or raw pattern)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import regex

from compliance_assistant.engine.rules.base import Hit, Rule
from compliance_assistant.engine.rules.fields import Fields
from compliance_assistant.engine.rules.literals import LiteralFilter, literal_filter
from compliance_assistant.engine.rules.patterns import (
    build_pattern,
    compile_pattern,
    exceptions_pattern,
)
from compliance_assistant.engine.rules.phrases import PhraseFilter
from compliance_assistant.engine.rules.state import DocumentState
from compliance_assistant.engine.vale.units import Unit


@dataclass(frozen=True, kw_only=True)
class Existence(Rule):
    """Keys: ``tokens``, ``raw``, ``append``, ``ignorecase``, ``nonword``, ``exceptions``,
    ``vocab``. Tokens are joined into one alternation inside ``\\b…\\b`` (unless ``nonword``);
    ``raw`` is concatenated before that template (after it with ``append``)."""

    kind: ClassVar[str] = "existence"
    keys: ClassVar[frozenset[str]] = frozenset(
        {"tokens", "raw", "append", "ignorecase", "nonword", "exceptions", "vocab"}
    )

    pattern: regex.Pattern[str]
    exceptions: regex.Pattern[str] | None = None
    nonword: bool = False
    # Pre-check for literal phrase lists (see phrases.py); None for real patterns.
    phrases: PhraseFilter | None = None
    # Pre-check for real patterns: literals every match contains (see literals.py).
    literals: LiteralFilter | None = None

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        tokens = tuple(t for t in fields.strings("tokens") if t.strip())
        raw = fields.strings("raw")
        if not tokens and not raw:
            raise fields.error("tokens", "an existence rule needs 'tokens' or 'raw'")
        nonword = fields.boolean("nonword", False)
        ignorecase = fields.boolean("ignorecase", False)
        source = build_pattern(
            tokens=tokens,
            raw=raw,
            ignorecase=ignorecase,
            word=not nonword and bool(tokens),
            append=fields.boolean("append", False),
        )
        key = "tokens" if tokens else "raw"
        literal = not nonword and not raw
        phrases = PhraseFilter.build(tokens, ignorecase=ignorecase) if literal else None
        return cls(
            **common,
            vocab=fields.boolean("vocab", True),
            nonword=nonword,
            phrases=phrases,
            literals=None if phrases else literal_filter(source, ignorecase=ignorecase),
            pattern=compile_pattern(source, source=fields.source, line=fields.line(key), key=key),
            exceptions=_exceptions(fields),
        )

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        text = unit.text
        if self.literals is not None and not self.literals.may_match(text):
            return []
        hits: list[Hit] = []
        # Vocab terms are words: they do not excuse matches of non-word patterns.
        vocab = self.vocab and not self.nonword
        for start, end, _ in state.words.spans(self.phrases, self.pattern, text):
            if start == end:
                continue
            observed = text[start:end].strip()
            if state.excepted(observed, self.exceptions, vocab) or (
                vocab and state.in_accepted_phrase(text, start, end)
            ):
                continue
            hits.append(self.hit(start, end, text))
        return hits


def _exceptions(fields: Fields) -> regex.Pattern[str] | None:
    pattern = exceptions_pattern(fields.strings("exceptions"))
    if pattern is None:
        return None
    return compile_pattern(
        pattern, source=fields.source, line=fields.line("exceptions"), key="exceptions"
    )
