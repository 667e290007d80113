"""``repetition``: the same token twice in a row ("the the")."""

from __future__ import annotations

import itertools
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
class Repetition(Rule):
    """Keys: ``tokens``, ``max``, ``ignorecase``, ``alpha`` (only letter-only tokens count),
    ``exceptions``, ``vocab``. Consecutive matches of the tokens that are equal (trimmed, and
    ignoring trailing punctuation) are reported once more than ``max`` repeats were seen,
    spanning both occurrences. A token ending in punctuation closes a clause: "that. That"
    is not a repetition, "plan plan." is."""

    kind: ClassVar[str] = "repetition"
    keys: ClassVar[frozenset[str]] = frozenset(
        {"tokens", "max", "ignorecase", "alpha", "exceptions", "vocab"}
    )

    pattern: regex.Pattern[str]
    # How tokens can be listed cheaply for the pre-check (see _token_form).
    token_form: str = "other"
    max: int = 0
    ignorecase: bool = False
    alpha: bool = False
    exceptions: regex.Pattern[str] | None = None

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        tokens = fields.strings("tokens")
        if not tokens:
            raise fields.error("tokens", "a repetition rule needs 'tokens'")
        ignorecase = fields.boolean("ignorecase", False)
        source = (IGNORE_CASE if ignorecase else "") + "(" + "|".join(tokens) + ")"
        return cls(
            **common,
            max=fields.integer("max", 0),
            ignorecase=ignorecase,
            alpha=fields.boolean("alpha", False),
            vocab=fields.boolean("vocab", True),
            token_form=_token_form(tokens),
            pattern=compile_pattern(
                source, source=fields.source, line=fields.line("tokens"), key="tokens"
            ),
            exceptions=_exceptions(fields),
        )

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        text = unit.text
        if not self._may_repeat(text):
            return []
        return self._walk(text, state, 0, len(text))

    def _walk(self, text: str, state: DocumentState, start: int, stop: int) -> list[Hit]:
        """Vale's walk over consecutive tokens of ``text[start:stop]``.

        Token by token: a token equal to the one before it (which must not close a clause)
        is a repeat; the repeat count is kept across the unit and reset by each report. Only
        repeats change the state, so the tokens are compared in bulk first and the walk
        visits the repeats alone.
        """
        matches = list(self.pattern.finditer(text, start, stop))
        raw = [m.group() for m in matches]
        tokens = [t.strip() for t in raw]
        current = [t.rstrip(_CLOSING) for t in tokens]
        keys = [c.casefold() for c in current] if self.ignorecase else current
        hits: list[Hit] = []
        count = 0
        for index in range(1, len(matches)):
            word = current[index]
            if not word or keys[index] != keys[index - 1]:
                continue
            # The previous token closed a clause ("that. That"), or letters only are wanted.
            if current[index - 1] != tokens[index - 1] or (self.alpha and not word.isalpha()):
                continue
            count += 1
            if count <= self.max:
                continue
            previous = matches[index - 1]
            before = raw[index - 1]
            previous_start = previous.start() + len(before) - len(before.lstrip())
            end = matches[index].start() + len(raw[index].rstrip().rstrip(_CLOSING))
            if not state.excepted(text[previous_start:end], self.exceptions, self.vocab):
                hits.append(self.hit(previous_start, end, text, word))
                count = 0
        return hits

    def _may_repeat(self, text: str) -> bool:
        """Cheap pre-check: do two neighbouring tokens compare equal at all?

        For whitespace-separated or word tokens the tokens come from ``str.split`` or one
        ``findall`` (both in C); other token patterns are tokenised with the pattern itself.
        """
        if self.token_form == "space":
            tokens = [t.rstrip(_CLOSING) for t in text.split()]
        elif self.token_form == "word":
            tokens = _WORD.findall(text)
        elif self.pattern.groups == 1:
            tokens = [str(t).strip().rstrip(_CLOSING) for t in self.pattern.findall(text)]
        else:
            return True
        if self.ignorecase:
            tokens = [t.casefold() for t in tokens]
        return any(a and a == b for a, b in itertools.pairwise(tokens))


# Punctuation that ends a clause; stripped before tokens are compared.
_CLOSING = ".,;:!?"
_WORD = regex.compile(r"\w+")


def _token_form(tokens: tuple[str, ...]) -> str:
    """``space`` for whitespace-separated tokens, ``word`` for word tokens, else ``other``."""
    if tokens in {(r"[^\s]+",), (r"\S+",)}:
        return "space"
    if tokens in {(r"[\w]+",), (r"\w+",)}:
        return "word"
    return "other"
