"""Regular expressions of Vale rules: Go (RE2/regexp2) syntax compiled with ``regex``.

Vale builds each rule's pattern from templates (word boundaries, case-insensitivity) and its
tokens; the helpers here reproduce those templates so a rule matches what Vale matches.
Compiled patterns are cached per process: the same token list in two styles compiles once.

Rules can be authored by users of the service, so every pattern is guarded twice: at compile
time a pattern that can backtrack catastrophically is refused (:mod:`.backtracking`), and
every match runs under the ``regex`` module's ``timeout`` (:class:`GuardedPattern`) so one
that slips through is cut off — the guideline then errs with "pattern timed out" instead of
stalling the check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeVar, cast

import regex

from compliance_assistant.engine.errors import DefinitionError, EngineError
from compliance_assistant.engine.rules.backtracking import find_catastrophic_construct

IGNORE_CASE = "(?i)"
WORD_TEMPLATE = r"(?m)\b(?:%s)\b"
NONWORD_TEMPLATE = r"(?m)(?:%s)"

# Go spells "end of text" \z; the regex module spells it \Z.
_GO_END = regex.compile(r"(?<!\\)((?:\\\\)*)\\z")


def translate(pattern: str) -> str:
    """Rewrite the few Go-only spellings the regex module reads differently."""
    if "\\z" in pattern:
        pattern = _GO_END.sub(r"\1\\Z", pattern)
    return pattern


# Seconds one matching call (a search, or a whole finditer) may take. Legitimate patterns
# take microseconds per paragraph; a whole 500,000-character document in milliseconds.
# The regex module counts the process's CPU time (all threads), not the call's own, so
# while other threads are busy a call is cut off sooner in wall-clock time.
MATCH_TIMEOUT_SECONDS = 1.0


_Result = TypeVar("_Result")


class PatternTimeoutError(EngineError):
    """A rule's pattern ran longer than :data:`MATCH_TIMEOUT_SECONDS` on one text."""


class _Catastrophic(Exception):
    pass


class GuardedPattern:
    """A compiled pattern whose matching methods run under a timeout.

    It offers the ``regex.Pattern`` methods the rules use, with the same signatures; a
    timeout raises :class:`PatternTimeoutError` ("pattern timed out …").
    """

    __slots__ = ("_compiled", "_timeout")

    def __init__(self, compiled: regex.Pattern[str], timeout: float) -> None:
        self._compiled = compiled
        self._timeout = timeout

    @property
    def pattern(self) -> str:
        return self._compiled.pattern

    @property
    def groups(self) -> int:
        return self._compiled.groups

    @property
    def groupindex(self) -> Any:
        return self._compiled.groupindex

    @property
    def flags(self) -> int:
        return self._compiled.flags

    def search(
        self, string: str, pos: int | None = None, endpos: int | None = None
    ) -> regex.Match[str] | None:
        return self._guarded(self._compiled.search, string, pos, endpos)

    def match(
        self, string: str, pos: int | None = None, endpos: int | None = None
    ) -> regex.Match[str] | None:
        return self._guarded(self._compiled.match, string, pos, endpos)

    def fullmatch(
        self, string: str, pos: int | None = None, endpos: int | None = None
    ) -> regex.Match[str] | None:
        return self._guarded(self._compiled.fullmatch, string, pos, endpos)

    def finditer(
        self, string: str, pos: int | None = None, endpos: int | None = None
    ) -> Iterator[regex.Match[str]]:
        # The timeout covers the whole iteration (the regex module starts it on creation).
        matches = self._compiled.finditer(string, pos, endpos, timeout=self._timeout)
        return self._iterate(matches)

    def findall(self, string: str, pos: int | None = None, endpos: int | None = None) -> Any:
        return self._guarded(self._compiled.findall, string, pos, endpos)

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        try:
            return self._compiled.sub(repl, string, count, timeout=self._timeout)
        except TimeoutError:
            raise self._timed_out() from None

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        try:
            return self._compiled.split(string, maxsplit, timeout=self._timeout)
        except TimeoutError:
            raise self._timed_out() from None

    def _guarded(
        self,
        method: Callable[..., _Result],
        string: str,
        pos: int | None,
        endpos: int | None,
    ) -> _Result:
        try:
            return method(string, pos, endpos, timeout=self._timeout)
        except TimeoutError:
            raise self._timed_out() from None

    def _iterate(self, matches: Iterator[regex.Match[str]]) -> Iterator[regex.Match[str]]:
        try:
            yield from matches
        except TimeoutError:
            raise self._timed_out() from None

    def _timed_out(self) -> PatternTimeoutError:
        return PatternTimeoutError(
            f"pattern timed out after {self._timeout:g} s: {self._compiled.pattern!r}"
        )

    def __repr__(self) -> str:
        return f"GuardedPattern({self._compiled.pattern!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (GuardedPattern, (self._compiled, self._timeout))


# Escapes and character classes hold no repetition; what remains is searched for one.
_ESCAPE_OR_CLASS = regex.compile(r"\\.|\[(?:\\.|[^\]\\])*\]")
_UNBOUNDED = regex.compile(r"[*+]|\{\s*\d*\s*,\s*\}")
_SUPERLINEAR = regex.compile(
    r"\)\s*(?:[*+]|\{)"  # a repeated group
    r"|\{\s*\d*\s*,?\s*\d{2,}\s*\}"  # a long counted repetition
)
_BACKREFERENCE = regex.compile(r"\\[1-9]|\\g<|\\k<|\(\?P=")


def needs_timeout(pattern: str) -> bool:
    """Whether matching ``pattern`` can take more than quadratic time in the text.

    That takes a repeated group, two or more unbounded repetitions, a long counted one or a
    backreference. Anything else — a rule's alternation of terms, ``\\b\\w+ing\\b`` — tries
    a bounded (or at worst linear) number of steps at each position. The regex module's
    timeout costs microseconds per call and per match (a finditer over words runs 4x
    slower), so it is paid only where it can matter.
    """
    if _BACKREFERENCE.search(pattern):
        return True
    bare = _ESCAPE_OR_CLASS.sub("", pattern)
    return _SUPERLINEAR.search(bare) is not None or len(_UNBOUNDED.findall(bare)) >= 2


@lru_cache(maxsize=8192)
def _compile(pattern: str) -> regex.Pattern[str]:
    compiled = regex.compile(translate(pattern))
    problem = find_catastrophic_construct(pattern)
    if problem is not None:
        raise _Catastrophic(problem)
    if not needs_timeout(pattern):
        return compiled
    # Callers type the result as a regex.Pattern: GuardedPattern has every method they use.
    return cast("regex.Pattern[str]", GuardedPattern(compiled, MATCH_TIMEOUT_SECONDS))


def compile_pattern(
    pattern: str, *, source: str = "<text>", line: int | None = None, key: str | None = None
) -> regex.Pattern[str]:
    """Compile once per process; a syntax error or a pattern that can backtrack
    catastrophically is a DefinitionError at ``source:line``."""
    try:
        return _compile(pattern)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise DefinitionError(
            f"invalid regular expression {pattern!r}: {exc}", source=source, line=line, key=key
        ) from None
    except _Catastrophic as exc:
        raise DefinitionError(
            f"unsafe regular expression {pattern!r}: {exc}", source=source, line=line, key=key
        ) from None


def build_pattern(
    *,
    tokens: Sequence[str],
    raw: Sequence[str] = (),
    ignorecase: bool = False,
    word: bool = True,
    append: bool = False,
) -> str:
    """Vale's ``makeRegexp``: a word (``\\b``) or non-word template around ``tokens``.

    ``raw`` is concatenated and placed before the template, or after it with ``append``.
    """
    template = WORD_TEMPLATE if word else NONWORD_TEMPLATE
    joined_raw = "".join(raw)
    pattern = template + joined_raw if append else joined_raw + template
    if ignorecase:
        pattern = IGNORE_CASE + pattern
    # The template holds exactly one %s; tokens may contain % themselves, so no % operator.
    return pattern.replace("%s", "|".join(tokens), 1)


def exceptions_pattern(terms: Sequence[str]) -> str | None:
    """Vale's exception matcher: longest terms first, each case-sensitive unless ``(?i)``."""
    if not terms:
        return None
    ordered = sorted(terms, key=len, reverse=True)
    parts = [t if t.startswith("(?i)") else f"(?-i){t}" for t in ordered]
    return WORD_TEMPLATE.replace("%s", "|".join(parts), 1)


def is_phrase(text: str) -> bool:
    """Letters, digits, spaces and hyphens only: a literal term rather than a pattern."""
    return all(c.isalpha() or c.isdigit() or c in " -" for c in text)
