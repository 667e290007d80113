"""Title case and sentence case, as Vale's capitalization rules judge them.

``to_title`` follows AP or Chicago style (small words lower-case unless first or last);
``to_sentence_case`` capitalises only the first word and words after an indicator. Both
honour a vocabulary of terms whose spelling is kept, and an optional prefix pattern that is
left untouched (such as a list label "a.").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import regex

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules.patterns import compile_pattern

SMALL_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "en",
        "for",
        "if",
        "in",
        "nor",
        "of",
        "on",
        "or",
        "per",
        "the",
        "to",
        "vs",
        "vs.",
        "via",
        "v",
        "v.",
    }
)
PREPOSITIONS = frozenset(
    {
        "with",
        "from",
        "into",
        "during",
        "including",
        "until",
        "against",
        "among",
        "throughout",
        "despite",
        "towards",
        "upon",
        "concerning",
        "about",
        "over",
        "through",
        "before",
        "between",
        "after",
        "since",
        "without",
        "under",
        "within",
        "along",
        "following",
        "across",
        "beyond",
        "around",
        "down",
        "near",
        "above",
    }
)

_TITLE_WORD = regex.compile(r"[\p{N}\p{L}]+[^\s\-/]*")
_SANITIZE = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-"}
)
WORD_PATTERN = r"[\p{N}\p{L}*]+[^\s]*"
# The engine's own word pattern runs on every unit of a capitalization rule: compiled here,
# without the timeout guard that user-authored patterns get (it is linear: a run of letters
# then of non-spaces, which always matches once started, so it never backtracks).
_WORDS = {
    WORD_PATTERN: regex.compile(WORD_PATTERN),
    "(?i)" + WORD_PATTERN: regex.compile("(?i)" + WORD_PATTERN),
}


def find_words(source: str, text: str) -> list[str]:
    """Every match of ``source`` in ``text`` (the word pattern, possibly with vocabulary
    alternatives before it), as strings."""
    compiled = _WORDS.get(source) or compile_pattern(source)
    if compiled.groups == 0:
        words: list[str] = compiled.findall(text)
        return words
    return [m.group() for m in compiled.finditer(text)]


Indicator = Callable[[str, int], bool]


def title_word(word: str, *, strict: bool = False) -> str:
    """First character upper-cased; with ``strict`` the rest lower-cased."""
    rest = word[1:].lower() if strict else word[1:]
    return word[:1].upper() + rest


def _in_vocab(vocab: Sequence[str], word: str, *, fold: bool) -> str:
    for term in vocab:
        same = term.casefold() == word.casefold() if fold else term.lower() == word.lower()
        if same:
            return term
        pattern = _safe(term)
        if pattern is not None and pattern.search(word):
            return word
    return ""


@lru_cache(maxsize=4096)
def _safe(term: str) -> regex.Pattern[str] | None:
    """A vocabulary term or prefix as a pattern, with the user-pattern guards (static
    backtracking check, match timeout); None when it is not a usable pattern (invalid or
    unsafe), so it is only compared as a word. Cached, refusals included, since it is asked
    for every word."""
    try:
        return compile_pattern(term)
    except DefinitionError:
        return None


def _split_prefix(text: str, prefix: str) -> tuple[str, str]:
    if not prefix:
        return "", text
    pattern = _safe(prefix)
    match = pattern.search(text) if pattern is not None else None
    if match is None:
        return "", text
    found = match.group()
    return (found, text[len(found) :]) if text.startswith(found) else (found, text)


def to_title(text: str, *, style: str = "AP", vocab: Sequence[str] = (), prefix: str = "") -> str:
    """``text`` in title case (AP by default, or ``Chicago``)."""
    head, body = _split_prefix(text, prefix)
    sanitized = body.translate(_SANITIZE)
    end = len(sanitized)
    lowered_set = SMALL_WORDS | PREPOSITIONS if style == "Chicago" else SMALL_WORDS
    position = 0

    def char_at(index: int) -> str:
        return sanitized[index] if 0 <= index < end else sanitized[:1]

    def convert(match: regex.Match[str]) -> str:
        nonlocal position
        word = match.group()
        found = sanitized.find(word.translate(_SANITIZE), position)
        start = found if found >= 0 else match.start()
        position = start + len(word)
        kept = _in_vocab(vocab, word, fold=True)
        if kept:
            return kept
        lower = word.lower()
        bounding = start == 0 or position == end
        if (
            not bounding
            and lower in lowered_set
            and char_at(start - 1) in " -/"
            and char_at(start - 2) not in ":-"
            and (char_at(position) != "-" or char_at(start - 1) == "-")
        ):
            return lower
        return title_word(word)

    return head + _TITLE_WORD.sub(convert, body)


def to_sentence_case(
    text: str, *, vocab: Sequence[str] = (), prefix: str = "", indicator: Indicator | None = None
) -> str:
    """``text`` in sentence case; its words re-joined with single spaces."""
    head, body = _split_prefix(text, prefix)
    pattern = WORD_PATTERN
    if vocab:
        pattern = r"\b(?:" + "|".join(vocab) + r")\b|" + pattern
    tokens = find_words("(?i)" + pattern, body)
    made: list[str] = []
    for index, token in enumerate(tokens):
        kept = _in_vocab(vocab, token, fold=False) if vocab else ""
        if kept:
            made.append(kept)
        elif index == 0 or (indicator is not None and indicator(tokens[index - 1], index - 1)):
            made.append(title_word(token, strict=True))
        else:
            made.append(token.lower())
    return head + " ".join(made)


def go_title(text: str) -> str:
    """Go's deprecated ``strings.Title``: upper-case each letter that follows a non-letter."""
    out: list[str] = []
    previous_separator = True
    for char in text:
        out.append(char.upper() if previous_separator else char)
        previous_separator = _go_separator(char)
    return "".join(out)


def _go_separator(char: str) -> bool:
    if char.isascii():
        return not (char.isalnum() or char == "_")
    if char.isalpha() or char.isdigit():
        return False
    return char.isspace()
