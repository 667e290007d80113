"""Sentence splitting for the ``sentence`` scope and for readability statistics.

A rule-based splitter in the spirit of the Punkt model Vale uses: a sentence ends after
``.``, ``!``, ``?`` or ``…`` (plus closing quotes or brackets) followed by whitespace, unless
the word before the period is a known abbreviation, an initial, or a dotted abbreviation
(``e.g.``, ``U.S.``) followed by a lower-case word. The result is deterministic and computed
once per text.
"""

from __future__ import annotations

from functools import lru_cache

import regex

# Common English abbreviations that are followed by a period inside a sentence.
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "vs",
        "etc",
        "cf",
        "al",
        "approx",
        "dept",
        "fig",
        "figs",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "nos",
        "vol",
        "vols",
        "pp",
        "ed",
        "eds",
        "gen",
        "gov",
        "sen",
        "rep",
        "rev",
        "hon",
        "capt",
        "col",
        "lt",
        "sgt",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "u.s",
        "u.k",
        "ph.d",
        "viz",
        "ca",
        "incl",
        "excl",
    }
)

_CANDIDATE = regex.compile(r"(?:[.!?]+|…)[\"'”’)\]]*(?=\s|$)")
_WORD_BEFORE = regex.compile(r"([\w.'’-]+)$")
_NEXT_WORD = regex.compile(r"\s*([\"'“‘(\[]*)(\S)")


def split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """``[start, end)`` spans of the sentences of ``text``, whitespace trimmed, in order."""
    return _split(text)


@lru_cache(maxsize=4096)
def _split(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        end = match.end()
        if not _is_boundary(text, start, match.start(), end):
            continue
        _append_trimmed(text, start, end, spans)
        start = end
    _append_trimmed(text, start, len(text), spans)
    return tuple(spans)


def _is_boundary(text: str, sentence_start: int, punct_start: int, end: int) -> bool:
    if text[punct_start] != ".":
        return True
    if punct_start + 1 < len(text) and text[punct_start : punct_start + 3] == "...":
        return _next_starts_upper(text, end)
    word_match = _WORD_BEFORE.search(text, sentence_start, punct_start)
    if word_match is None:
        return True
    word = word_match.group(1).strip(".'’-")
    lowered = word.lower()
    if lowered in _ABBREVIATIONS:
        # "etc." and friends end sentences too: trust the case of the next word.
        return lowered in {"etc", "al", "inc", "ltd", "co", "corp"} and _next_starts_upper(
            text, end
        )
    if len(word) == 1 and word.isalpha():
        # An initial ("J. Smith") or a one-letter word; only a capitalised next word after a
        # capital letter keeps the sentence going.
        return not (word.isupper() and _next_starts_upper(text, end))
    if "." in word:
        # Dotted abbreviation such as "U.S." ends a sentence only before a capital.
        return _next_starts_upper(text, end)
    return True


def _next_starts_upper(text: str, position: int) -> bool:
    match = _NEXT_WORD.match(text, position)
    if match is None:
        return True
    return not match.group(2).islower()


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
