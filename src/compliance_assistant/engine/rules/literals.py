"""Literal pre-filter: strings of which every match of a pattern must contain one.

The ``regex`` module tries a complex pattern at every position of a text, which is what makes
long ``raw`` rules expensive. Most such patterns cannot match without some literal word
(``free``, ``guarantee`` …); a unit whose text holds none of those words is skipped without
running the pattern. The filter must never skip a unit the pattern could match, so any doubt —
a construct this analysis does not model — means "no filter".

The pattern is parsed with the standard library's regular-expression parser, whose syntax is a
subset of the ``regex`` module's; patterns using ``regex``-only syntax are left unfiltered.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

# The stdlib's parser is private but stable across supported versions (3.11+); it is the only
# parser of Python's regex syntax in the standard library. Loaded lazily and defensively.
try:
    from re import _constants as _sre_constants  # type: ignore[attr-defined]
    from re import _parser as _sre_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - a future Python without these modules
    _sre_parser = None
    _sre_constants = None

# Syntax where ``regex`` and ``re`` disagree or ``re`` would misread the pattern: POSIX and
# nested sets, Unicode properties, branch reset, named lists, version/reverse flags, fuzzy
# matching. A pattern containing any of these gets no filter.
_REGEX_ONLY = ("[[", "\\p", "\\P", "(?|", "\\L<", "(?r", "(?V", "(?f", "{e", "\\X", "\\G")
# A literal shorter than this is too common to skip anything ("a", "on") — unless it holds a
# character that is rare in prose ("%", "€", "#"): then it is short but still selective.
_MIN_LENGTH = 3
# ``(?m)``-style flags: ``regex`` accepts them anywhere, ``re`` only at the start.
_GLOBAL_FLAGS = re.compile(r"(?<!\\)\(\?([aiLmsux]+)\)")


@dataclass(frozen=True)
class LiteralFilter:
    """``literals``: every match contains at least one; ``folded``: compare case-insensitively."""

    literals: tuple[str, ...]
    folded: bool

    def may_match(self, text: str) -> bool:
        haystack = casefolded(text) if self.folded else text
        # map() over the bound method runs in C: cheaper than any() on a generator.
        return any(map(haystack.__contains__, self.literals))


# The last text case-folded, with its folding: rules run unit by unit, so every filtered rule
# asks for the same unit's folding in turn. One tuple, replaced whole, so that threads running
# checks concurrently never see a text paired with another text's folding.
_last_folded: list[tuple[str, str]] = [("", "")]


def casefolded(text: str) -> str:
    """``text.casefold()``, computed once for consecutive calls with the same text."""
    last = _last_folded[0]
    if last[0] is text:
        return last[1]
    folded = text.casefold()
    _last_folded[0] = (text, folded)
    return folded


def literal_filter(pattern: str, *, ignorecase: bool) -> LiteralFilter | None:
    """The filter for ``pattern``, or None when no useful, certain one can be derived."""
    if _sre_parser is None or any(marker in pattern for marker in _REGEX_ONLY):
        return None
    flags = "".join(_GLOBAL_FLAGS.findall(pattern))
    if "x" in flags:
        return None  # verbose mode changes how the text is read; not worth modelling
    ignorecase = ignorecase or "i" in flags
    pattern = _GLOBAL_FLAGS.sub("", pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = _sre_parser.parse(pattern, re.IGNORECASE if ignorecase else 0)
    except Exception:
        return None
    analysis = _Analysis()
    required = analysis.sequence(list(tree))
    if required is None or analysis.unsupported:
        return None
    folded = ignorecase or analysis.ignorecase or bool(tree.state.flags & re.IGNORECASE)
    literals = tuple(sorted({s.casefold() if folded else s for s in required}))
    if not literals or not all(_selective(s) for s in literals):
        return None
    return LiteralFilter(literals=literals, folded=folded)


def _selective(literal: str) -> bool:
    """Whether a literal is rare enough in prose for the check to skip texts."""
    if len(literal) >= _MIN_LENGTH:
        return True
    return any(not (c.isalnum() or c.isspace() or c in _COMMON) for c in literal)


# Punctuation of ordinary prose: a short literal made of it and letters skips nothing.
_COMMON = frozenset(".,'’-")


def _preference(requirement: frozenset[str]) -> tuple[bool, int, int]:
    """Which of a sequence's requirements to keep: one whose literals are all selective, then
    the one with the longest shortest literal, then the one with fewer literals."""
    return (
        all(_selective(s) for s in requirement),
        min(len(s) for s in requirement),
        -len(requirement),
    )


class _Analysis:
    """Walks the parse tree; a requirement is a set of strings, one of which must occur."""

    def __init__(self) -> None:
        self.ignorecase = False
        self.unsupported = False

    def sequence(self, items: list[tuple[Any, Any]]) -> frozenset[str] | None:
        """Every item of a sequence must match, so the most selective requirement wins."""
        candidates: list[frozenset[str]] = []
        run: list[str] = []
        for op, value in items:
            if op is _sre_constants.LITERAL:
                run.append(chr(value))
                continue
            if run:
                candidates.append(frozenset({"".join(run)}))
                run = []
            required = self.item(op, value)
            if required is not None:
                candidates.append(required)
        if run:
            candidates.append(frozenset({"".join(run)}))
        if not candidates:
            return None
        return max(candidates, key=_preference)

    def item(self, op: Any, value: Any) -> frozenset[str] | None:
        constants = _sre_constants
        if op is constants.SUBPATTERN:
            _group, add_flags, _del_flags, body = value
            if add_flags & re.IGNORECASE:
                self.ignorecase = True
            return self.sequence(list(body))
        if op is constants.ATOMIC_GROUP:
            return self.sequence(list(value))
        if op is constants.BRANCH:
            union: set[str] = set()
            for alternative in value[1]:
                required = self.sequence(list(alternative))
                if required is None:
                    return None
                union.update(required)
            return frozenset(union)
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            minimum, _maximum, body = value
            required = self.sequence(list(body))
            return required if minimum >= 1 else None
        if op in (constants.ASSERT, constants.ASSERT_NOT):
            # Contents of lookarounds are not part of the match; scoped flags inside them
            # still count for case handling, so walk them without using the result.
            self.sequence(list(value[1]))
            return None
        if op is constants.GROUPREF_EXISTS:
            self.unsupported = True
            return None
        # Sets, classes, anchors, ANY, NOT_LITERAL, back-references: no literal requirement.
        return None
