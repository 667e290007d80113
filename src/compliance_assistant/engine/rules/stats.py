"""Text statistics for ``metric`` and ``readability`` rules (words, sentences, syllables …).

Counted over the document's summary text (prose, list and quote blocks separated by blank
lines), the way Vale counts them: paragraphs are split on blank lines, sentences with the
engine's sentence splitter, words are letter/digit/apostrophe runs (or dotted acronyms).
Syllables are estimated with vowel-group heuristics for English.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import regex

from compliance_assistant.engine.vale.sentences import split_sentences

_WORD = regex.compile(r"(?:[A-Z]\.){2,}|[\p{N}\p{L}']+")
_VOWEL_GROUPS = regex.compile(r"[aeiouy]+")
# Endings that add a syllable the vowel-group count misses or that are silent.
_SILENT_E = regex.compile(r"[^aeiouy]e$")
_CONSONANT_LE = regex.compile(r"[^aeiouy]le$")
_SILENT_ED = regex.compile(r"[^aeiouytd]ed$")
_SILENT_ES = regex.compile(r"[^aeiouyszxhcg]es$")
_EXTRA = regex.compile(
    r"[aeiou]ia|ia$|io$|(?<![qg])ua|(?<![qg])uo|[^aeiou]ism$|ea$|iet|ience|eous$|(?<![ct])iou"
)
# A silent e before a suffix ("useful", "lately", "statement").
_INNER_SILENT_E = regex.compile(r"[^aeiouy]e(?:ful|ly|ment|ness|less|some)")


@dataclass(frozen=True)
class TextStats:
    words: float = 0.0
    sentences: float = 0.0
    paragraphs: float = 0.0
    characters: float = 0.0
    syllables: float = 0.0
    polysyllabic_words: float = 0.0
    complex_words: float = 0.0
    long_words: float = 0.0

    def as_variables(self) -> dict[str, float]:
        return {
            "words": self.words,
            "sentences": self.sentences,
            "paragraphs": self.paragraphs,
            "characters": self.characters,
            "syllables": self.syllables,
            "polysyllabic_words": self.polysyllabic_words,
            "complex_words": self.complex_words,
            "long_words": self.long_words,
        }

    # Grade formulas, named as in Vale's ``readability`` rule.
    def flesch_kincaid(self) -> float:
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59

    def gunning_fog(self) -> float:
        return 0.4 * (self.words / self.sentences + 100.0 * self.complex_words / self.words)

    def smog(self) -> float:
        return 1.0430 * math.sqrt(self.polysyllabic_words * 30.0 / self.sentences) + 3.1291

    def coleman_liau(self) -> float:
        return (
            0.0588 * (self.characters / self.words) * 100
            - 0.296 * (self.sentences / self.words) * 100
            - 15.8
        )

    def automated_readability(self) -> float:
        return 4.71 * (self.characters / self.words) + 0.5 * (self.words / self.sentences) - 21.43


def text_stats(text: str) -> TextStats:
    """Statistics of ``text``; ``paragraphs`` counts blank-line separated parts (as Vale)."""
    words = sentences = characters = syllables = polysyllabic = complex_words = long_words = 0
    parts = text.split("\n\n")
    for paragraph in parts:
        for start, end in split_sentences(paragraph):
            sentences += 1
            for word in _WORD.findall(paragraph, start, end):
                chars, count, is_long, is_complex = _word_stats(word)
                words += 1
                characters += chars
                syllables += count
                long_words += is_long
                polysyllabic += count > 2
                complex_words += is_complex
    return TextStats(
        words=words,
        sentences=sentences,
        paragraphs=len(parts),
        characters=characters,
        syllables=syllables,
        polysyllabic_words=polysyllabic,
        complex_words=complex_words,
        long_words=long_words,
    )


@lru_cache(maxsize=65536)
def _word_stats(word: str) -> tuple[int, int, bool, bool]:
    """Letters and digits, syllables, long (over 6 bytes, as Vale counts) and complex."""
    count = syllable_count(word)
    chars = sum(1 for c in word if c.isalpha() or c.isdigit())
    complex_word = count - (1 if word.endswith(("es", "ed", "ing")) else 0) > 2
    return chars, count, len(word.encode("utf-8")) > 6, complex_word


@lru_cache(maxsize=65536)
def syllable_count(word: str) -> int:
    """Estimated English syllables of one word (at least 1)."""
    letters = "".join(c for c in word.lower() if c.isalpha())
    if len(letters) < 3:
        return 1
    count = len(_VOWEL_GROUPS.findall(letters))
    if _SILENT_E.search(letters) and not _CONSONANT_LE.search(letters):
        count -= 1
    if _SILENT_ED.search(letters) or _SILENT_ES.search(letters):
        count -= 1
    count -= len(_INNER_SILENT_E.findall(letters))
    count += len(_EXTRA.findall(letters))
    return max(count, 1)
