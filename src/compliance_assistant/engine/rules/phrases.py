"""A cheap, exact pre-check for rules whose tokens are word lists.

Vale compiles tokens into one alternation ``\b(?:tok1|tok2|…)\b``; with hundreds of phrases
(clichés, wordy phrases) scanning every unit with it is slow. A token either expands to a few
literal phrases (text with simple ``(a|b)`` groups, ``[ae]`` classes and optional parts), or
at least names words any match must contain (``\\d+ ?a\\.?m\\.? in the morning`` needs "in",
"the" and "morning"). A unit that lacks the words of every token is skipped. When every token
is literal the matches are also found directly, with the alternation's leftmost-first
semantics; otherwise the rule's own pattern scans the remaining units. Either way the
results are those of the pattern. Words are compared case-folded when case is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex

from compliance_assistant.engine.rules.literal import expand, required_words

_WORD = regex.compile(r"\w+")
_WORD_CHAR = regex.compile(r"\w")


@dataclass(frozen=True)
class PhraseFilter:
    """The literal phrases of a rule, in alternation order, with their word sets."""

    # (phrase as compared — lower-cased when folded —, token index, its words)
    phrases: tuple[tuple[str, int, frozenset[str]], ...]
    by_word: dict[str, tuple[int, ...]]
    key_words: frozenset[str]
    folded: bool
    # Direct matching is exact only for ASCII phrases when case is ignored.
    direct: bool

    @classmethod
    def build(cls, tokens: Sequence[str], *, ignorecase: bool) -> PhraseFilter | None:
        """None when some token is neither literal nor names required words."""
        folded = ignorecase or any("(?i" in t for t in tokens)
        phrases: list[tuple[str, int, frozenset[str]]] = []
        by_word: dict[str, list[int]] = {}
        direct = not folded or ignorecase
        for index, token in enumerate(tokens):
            expanded = expand(token)
            if expanded is None:
                requirements = required_words(token)
                if requirements is None:
                    return None
                direct = False
                entries = [("", words) for words in requirements]
            else:
                entries = [(p, frozenset(_WORD.findall(p))) for p in expanded]
            for phrase, spelled in entries:
                words = frozenset(w.casefold() for w in spelled) if folded else spelled
                by_word.setdefault(max(words, key=len), []).append(len(phrases))
                phrases.append((phrase.lower() if ignorecase else phrase, index, words))
        if ignorecase and not all(p.isascii() for p, _, _ in phrases):
            direct = False
        return cls(
            phrases=tuple(phrases),
            by_word={k: tuple(v) for k, v in by_word.items()},
            key_words=frozenset(by_word),
            folded=folded,
            direct=direct,
        )

    def candidates(self, words: frozenset[str]) -> list[int]:
        """Positions (in alternation order) of the phrases whose words all occur."""
        found = [
            position
            for word in words & self.key_words
            for position in self.by_word[word]
            if self.phrases[position][2] <= words
        ]
        return sorted(found)

    def find(self, text: str, words: frozenset[str]) -> list[tuple[int, int, int]] | None:
        """``(start, end, token index)`` of the matches the alternation ``\\b(?:…)\\b`` finds,
        or None when only the regular expression can tell (unusual case folding)."""
        candidates = self.candidates(words)
        if not candidates:
            return []
        if not self.direct:
            return None
        haystack = text
        if self.folded:
            # Kelvin sign and long s fold to ASCII letters; lower() would miss them.
            if "\u212a" in text or "\u017f" in text:
                return None
            haystack = text.lower()
            if len(haystack) != len(text):
                return None
        occurrences: list[tuple[int, int, int, int]] = []
        for order in candidates:
            phrase, token, _ = self.phrases[order]
            start = haystack.find(phrase)
            while start >= 0:
                end = start + len(phrase)
                if _boundary(text, start) and _boundary(text, end):
                    occurrences.append((start, order, end, token))
                start = haystack.find(phrase, start + 1)
        occurrences.sort()
        matches: list[tuple[int, int, int]] = []
        resume = 0
        for start, _, end, token in occurrences:
            # Leftmost first; at one position the earliest alternative wins.
            if start >= resume:
                matches.append((start, end, token))
                resume = end
        return matches


def _boundary(text: str, position: int) -> bool:
    """``\\b`` at ``position``: a word character on exactly one side."""
    before = position > 0 and _WORD_CHAR.match(text, position - 1) is not None
    after = position < len(text) and _WORD_CHAR.match(text, position) is not None
    return before != after


class WordSets:
    """The words of each unit text, computed once per text (exact or case-folded)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, bool], frozenset[str]] = {}

    def of(self, text: str, *, folded: bool) -> frozenset[str]:
        key = (text, folded)
        words = self._cache.get(key)
        if words is None:
            words = frozenset(_WORD.findall(text.casefold() if folded else text))
            self._cache[key] = words
        return words

    def spans(
        self, phrases: PhraseFilter | None, pattern: regex.Pattern[str], text: str
    ) -> list[tuple[int, int, int]]:
        """Matches ``(start, end, alternative)`` of a rule's pattern in ``text``, using the
        phrase index where it gives the same answer (alternative = 1-based group, or 0)."""
        if phrases is not None:
            found = phrases.find(text, self.of(text, folded=phrases.folded))
            if found is not None:
                return [(s, e, t + 1) for s, e, t in found]
        return [(m.start(), m.end(), m.lastindex or 0) for m in pattern.finditer(text)]
