"""A static check for regular expressions that can backtrack catastrophically.

User-authored rules run on the service, so a pattern such as ``(a+)+$``, ``(\\w+\\s?)*$``,
``(.*a){20}`` or ``(a|aa)+`` could take exponential (or high-polynomial) time on a text that
does not match. :func:`find_catastrophic_construct` parses a pattern (the syntax of the
``regex`` module, which reads Vale's Go patterns) and reports the first such construct.

The analysis asks one question of every repetition that may iterate many times: can the
same text be split between its iterations in more than one way?

* **Nested quantifier**: the repeated body holds a variable-length repetition ``X`` and the
  whole body can match a non-empty text made only of ``X``'s characters — then a run of those
  characters can be cut between ``X`` and the outer iterations in exponentially many ways
  (``(a+)+``, ``(\\w+\\s?)*``, ``(.*a){20}``). A required separator outside ``X``'s
  characters makes it safe (``(\\w+\\s)+``).
* **Overlapping alternation**: two branches of a repeated alternation can start with the same
  character and both match a text made of the characters they share (``(a|aa)+``,
  ``(\\w|\\d)+``).

Character classes are compared on a sample alphabet (ASCII, common Latin, Cyrillic, Greek,
CJK, digits, spaces and symbols, plus every character the pattern itself names): a class's
members are found by asking ``regex`` itself, so ``\\p{L}``, POSIX classes and negations need
no parser of their own. Overlaps outside the sample can be missed; that is why matching also
runs with a timeout (:mod:`.patterns`). Constructs the parser does not model (conditionals,
recursion, verbose mode) are not judged here and rely on the timeout alone.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass, field

import regex

# A repetition that may iterate more often than this is checked; fewer iterations bound the
# work to a low polynomial of the text length.
MAX_SAFE_ITERATIONS = 2

_SAMPLE = (
    string.ascii_letters
    + string.digits
    + string.punctuation
    + " \t\n\r\f\v\u00a0\u2009\u3000"
    + "éÉàÀüÜßøØñÑçÇœŒ"
    + "жЖяЯ"
    + "λΛ"
    + "中文日本"
    + "٣०"
    + "‐–—‘’“”…€£¥©®™•·§°"
    + "\u200b\u00ad"
)
# Quick test before parsing: only a repeated group can hold a nested repetition or a
# repeated alternation.
_REPEATED_GROUP = regex.compile(r"\)(?:[*+]|\{\s*\d*\s*,?\s*\d*\s*\})")
_QUANTIFIER = regex.compile(r"\{(\d*)(,?)(\d*)\}")


class _Unsupported(Exception):
    """A construct the analysis does not model; the pattern is left to the timeout."""


@dataclass
class _Node:
    kind: str  # chars, assert, ref, seq, alt, repeat, atomic, look
    mask: int = 0
    children: list[_Node] = field(default_factory=list)
    low: int = 0
    high: int | None = 0
    possessive: bool = False
    span: tuple[int, int] = (0, 0)
    boundary: bool = False  # an assert that is \b
    anchor: bool = False  # an assert that is ^ $ \A \Z …


def find_catastrophic_construct(pattern: str) -> str | None:
    """A sentence naming the first construct that can backtrack catastrophically, or None."""
    if not _REPEATED_GROUP.search(pattern):
        return None
    try:
        parser = _Parser(pattern)
        tree = parser.parse()
    except (_Unsupported, regex.error, RecursionError, IndexError, ValueError):
        return None
    word = parser.word_mask
    for node in _walk(tree):
        if node.kind == "repeat" and _iterates_often(node):
            problem = _nested_repetition(pattern, node, word) or _overlapping_branches(
                pattern, node, word
            )
            if problem is not None:
                return problem
    return None


# -- the parser ---------------------------------------------------------------------------------


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0
        if regex.search(r"\(\?[a-zA-Z]*x", pattern):
            raise _Unsupported("verbose mode")
        self.flags = ""
        if regex.search(r"\(\?[a-zA-Z]*i[a-zA-Z]*[):]", pattern):
            self.flags += "i"
        if regex.search(r"\(\?[a-zA-Z]*s[a-zA-Z]*[):]", pattern):
            self.flags += "s"
        self.alphabet = sorted(set(_SAMPLE) | set(pattern) | set(pattern.swapcase()))
        self._masks: dict[str, int] = {}
        self.word_mask = self._mask_of(r"\w")

    def parse(self) -> _Node:
        node = self._alternation()
        if self.at != len(self.text):
            raise _Unsupported("unbalanced parenthesis")
        return node

    def _alternation(self) -> _Node:
        branches = [self._sequence()]
        while self._peek() == "|":
            self.at += 1
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else _Node("alt", children=branches)

    def _sequence(self) -> _Node:
        items: list[_Node] = []
        while self.at < len(self.text) and self._peek() not in "|)":
            start = self.at
            atom = self._atom()
            items.append(self._quantified(atom, start))
        return items[0] if len(items) == 1 else _Node("seq", children=items)

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def _atom(self) -> _Node:
        char = self.text[self.at]
        if char == "(":
            return self._group()
        if char == "[":
            end = self._class_end(self.at)
            node = _Node("chars", mask=self._mask_of(self.text[self.at : end]))
            self.at = end
            return node
        self.at += 1
        if char == ".":
            return _Node("chars", mask=self._mask_of("."))
        if char in "^$":
            return _Node("assert", anchor=True)
        if char == "\\":
            return self._escape()
        return _Node("chars", mask=self._mask_of(regex.escape(char)))

    def _group(self) -> _Node:
        text = self.text
        self.at += 1
        kind = "group"
        if text.startswith("?#", self.at):
            self.at = text.index(")", self.at) + 1
            return _Node("assert")
        if text.startswith("?", self.at):
            self.at += 1
            head = text[self.at : self.at + 3]
            if head.startswith(("=", "!", "<=", "<!")):
                self.at += 1 if head[0] in "=!" else 2
                kind = "look"
            elif head.startswith(">"):
                self.at += 1
                kind = "atomic"
            elif head.startswith(("P<", "<", "'")):
                close = ">" if head[0] != "'" else "'"
                self.at = text.index(close, self.at + 1) + 1
            elif head.startswith("P="):
                self.at = text.index(")", self.at) + 1
                return _Node("ref")
            elif head.startswith((":", "|")):
                self.at += 1
            else:
                flags = regex.match(r"[a-zA-Z^-]*", text[self.at :])
                assert flags is not None
                self.at += flags.end()
                if self._peek() == ")":
                    self.at += 1
                    return _Node("assert")
                if self._peek() != ":":
                    raise _Unsupported("conditional or recursion")
                self.at += 1
        inner = self._alternation()
        if self._peek() != ")":
            raise _Unsupported("unbalanced parenthesis")
        self.at += 1
        if kind == "look":
            return _Node("look", children=[inner])
        if kind == "atomic":
            return _Node("atomic", children=[inner])
        return inner

    def _class_end(self, start: int) -> int:
        text = self.text
        i = start + 1
        if i < len(text) and text[i] == "^":
            i += 1
        if i < len(text) and text[i] == "]":
            i += 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
            elif text.startswith("[:", i):
                i = text.index(":]", i + 2) + 2
            elif text[i] == "[":
                raise _Unsupported("nested set")
            elif text[i] == "]":
                return i + 1
            else:
                i += 1
        raise _Unsupported("unterminated class")

    def _escape(self) -> _Node:
        text = self.text
        start = self.at - 1
        char = text[self.at] if self.at < len(text) else ""
        self.at += 1
        if char in "bB":
            return _Node("assert", boundary=char == "b")
        if char in "AZzGmMK":
            return _Node("assert", anchor=True)
        if char.isdigit() and char != "0":
            while self._peek().isdigit():
                self.at += 1
            return _Node("ref")
        if char in "gk" and self._peek() in "<{'":
            closing = {"<": ">", "{": "}", "'": "'"}[self._peek()]
            self.at = text.index(closing, self.at + 1) + 1
            return _Node("ref")
        if char == "Q":
            raise _Unsupported("quoted literal")
        if char in "pPxuUN" and self._peek() == "{":
            self.at = text.index("}", self.at) + 1
        elif char in "pP":
            self.at += 1
        elif char == "x":
            self.at += 2
        elif char == "u":
            self.at += 4
        elif char == "U":
            self.at += 8
        elif char == "0":
            while self._peek() in "01234567" and self.at - start < 4:
                self.at += 1
        return _Node("chars", mask=self._mask_of(text[start : self.at]))

    def _quantified(self, atom: _Node, start: int) -> _Node:
        char = self._peek()
        if char in ("*", "+", "?"):
            self.at += 1
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        elif char == "{":
            found = _QUANTIFIER.match(self.text, self.at)
            if found is None:
                return atom
            self.at = found.end()
            first, comma, second = found.groups()
            low = int(first) if first else 0
            high = int(second) if second else (None if comma else low)
        else:
            return atom
        possessive = False
        if self._peek() == "?":
            self.at += 1
        elif self._peek() == "+":
            self.at += 1
            possessive = True
        return _Node(
            "repeat",
            children=[atom],
            low=low,
            high=high,
            possessive=possessive,
            span=(start, self.at),
        )

    def _mask_of(self, atom: str) -> int:
        known = self._masks.get(atom)
        if known is not None:
            return known
        compiled = regex.compile(f"(?{self.flags})" + atom if self.flags else atom)
        mask = 0
        for index, char in enumerate(self.alphabet):
            if compiled.fullmatch(char) is not None:
                mask |= 1 << index
        self._masks[atom] = mask
        return mask


# -- the analysis -------------------------------------------------------------------------------


def _walk(node: _Node) -> Iterator[_Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _iterates_often(node: _Node) -> bool:
    return not node.possessive and (node.high is None or node.high > MAX_SAFE_ITERATIONS)


def _inner_repetitions(node: _Node) -> Iterator[_Node]:
    """Repetitions inside ``node`` that backtracking can re-enter (not atomic, possessive or
    lookaround)."""
    for child in node.children:
        if child.kind in ("atomic", "look") or (child.kind == "repeat" and child.possessive):
            continue
        if child.kind == "repeat":
            yield child
        yield from _inner_repetitions(child)


def _nested_repetition(pattern: str, outer: _Node, word: int) -> str | None:
    body = outer.children[0]
    for inner in _inner_repetitions(outer):
        variable = (inner.high is None or inner.high >= 2) and inner.low != inner.high
        if not variable:
            continue
        alphabet = _chars(inner.children[0])
        if alphabet and _nonempty_within(body, alphabet, word):
            return (
                f"the repeated group {_text(pattern, outer)!r} contains the repetition "
                f"{_text(pattern, inner)!r}, and both can match the same run of characters, "
                "so a text that does not match can take exponential time (catastrophic "
                "backtracking); make the parts unambiguous (e.g. a required separator), or "
                "use an atomic group (?>…) or a possessive quantifier (++, *+)"
            )
    return None


def _overlapping_branches(pattern: str, outer: _Node, word: int) -> str | None:
    body = outer.children[0]
    if body.kind != "alt":
        return None
    branches = body.children
    firsts = [_first(branch) for branch in branches]
    alphabets = [_chars(branch) for branch in branches]
    for i, branch in enumerate(branches):
        for j in range(i + 1, len(branches)):
            shared = alphabets[i] & alphabets[j]
            if not (firsts[i] & firsts[j] & shared):
                continue
            if _nonempty_within(branch, shared, word) and _nonempty_within(
                branches[j], shared, word
            ):
                return (
                    f"the repeated alternation {_text(pattern, outer)!r} has branches that "
                    "can match the same text, so a text that does not match can take "
                    "exponential time (catastrophic backtracking); make the branches "
                    "exclusive, or use an atomic group (?>…) or a possessive quantifier"
                )
    return None


def _text(pattern: str, node: _Node) -> str:
    start, end = node.span
    return pattern[start:end]


def _chars(node: _Node) -> int:
    """Every character ``node`` can consume."""
    if node.kind == "chars":
        return node.mask
    if node.kind in ("look", "assert", "ref"):
        return 0
    mask = 0
    for child in node.children:
        mask |= _chars(child)
    return mask


def _nullable(node: _Node) -> bool:
    if node.kind == "chars":
        return False
    if node.kind in ("assert", "ref", "look"):
        return True
    if node.kind == "seq":
        return all(_nullable(child) for child in node.children)
    if node.kind == "alt":
        return any(_nullable(child) for child in node.children)
    if node.kind == "repeat":
        return node.low == 0 or _nullable(node.children[0])
    return _nullable(node.children[0])


def _first(node: _Node) -> int:
    """Characters a non-empty match of ``node`` can start with."""
    if node.kind == "chars":
        return node.mask
    if node.kind in ("assert", "ref", "look"):
        return 0
    if node.kind == "seq":
        mask = 0
        for child in node.children:
            mask |= _first(child)
            if not _nullable(child):
                break
        return mask
    if node.kind == "alt":
        mask = 0
        for child in node.children:
            mask |= _first(child)
        return mask
    if node.kind == "repeat" and node.high == 0:
        return 0
    return _first(node.children[0])


def _matchable_within(node: _Node, allowed: int, word: int) -> bool:
    """Whether ``node`` can match some text (maybe empty) inside a run of ``allowed``
    characters — positions in the middle of such a run, where iterations get split."""
    kind = node.kind
    if kind == "chars":
        return bool(node.mask & allowed)
    if kind == "assert":
        if node.boundary:
            # \b inside a run of only word (or only non-word) characters never matches.
            return bool(allowed & word) and bool(allowed & ~word)
        return not node.anchor
    if kind in ("ref", "look"):
        return True
    if kind == "seq":
        return all(_matchable_within(child, allowed, word) for child in node.children)
    if kind == "alt":
        return any(_matchable_within(child, allowed, word) for child in node.children)
    if kind == "repeat":
        return node.low == 0 or _matchable_within(node.children[0], allowed, word)
    return _matchable_within(node.children[0], allowed, word)


def _nonempty_within(node: _Node, allowed: int, word: int) -> bool:
    """Whether ``node`` can match a non-empty text made only of ``allowed`` characters."""
    kind = node.kind
    if kind == "chars":
        return bool(node.mask & allowed)
    if kind in ("assert", "ref", "look"):
        return False
    if kind == "seq":
        children = node.children
        if not all(_matchable_within(child, allowed, word) for child in children):
            return False
        return any(_nonempty_within(child, allowed, word) for child in children)
    if kind == "alt":
        return any(_nonempty_within(child, allowed, word) for child in node.children)
    if kind == "repeat":
        return node.high != 0 and _nonempty_within(node.children[0], allowed, word)
    return _nonempty_within(node.children[0], allowed, word)
