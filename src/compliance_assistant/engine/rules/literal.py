"""What a pattern token must match literally: its phrases, or words every match contains.

Only a small, certain subset of regular-expression syntax is understood; anything else makes
the analysis give up (None), which callers treat as "no shortcut".
"""

from __future__ import annotations

import regex

_WORD = regex.compile(r"\w+")
_SPECIAL = frozenset("\\.^$*+?{}[]|()")
_MAX_EXPANSIONS = 64
_QUANTIFIERS = frozenset({"*", "?", "+", "{"})
_INLINE_FLAGS = regex.compile(r"\(\?[a-zA-Z-]+\)")


def expand(token: str) -> list[str] | None:
    """Every literal string a token can match, or None when it is a real pattern.

    Understood: literal characters, escaped punctuation (``\\.``), alternation at the top level
    and in plain groups (``(?:a|b)``, ``(s)``), and ``?`` after a character or a group.
    """
    phrases: list[str] = []
    for branch in _split_top(token):
        expanded = _expand_branch(branch)
        if expanded is None:
            return None
        phrases.extend(expanded)
    if not phrases or len(phrases) > _MAX_EXPANSIONS or not all(_WORD.search(p) for p in phrases):
        return None
    return phrases


def _split_top(token: str) -> list[str]:
    branches, depth, current, escaped = [], 0, [], False
    for char in token:
        if escaped:
            current.append(char)
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append("".join(current))
            current = []
            continue
        current.append(char)
    branches.append("".join(current))
    return branches


def _expand_branch(branch: str) -> list[str] | None:
    variants = [""]
    i = 0
    while i < len(branch):
        char = branch[i]
        if char == "(":
            close = branch.find(")", i)
            body = branch[i + 1 : close] if close > 0 else ""
            body = body.removeprefix("?:")
            if close < 0 or any(c in _SPECIAL and c != "|" for c in body):
                return None
            options = body.split("|")
            i = close + 1
        elif char == "\\":
            if i + 1 >= len(branch) or branch[i + 1].isalnum():
                return None
            options = [branch[i + 1]]
            i += 2
        elif char == "[":
            close = branch.find("]", i + 1)
            body = branch[i + 1 : close] if close > 0 else ""
            if not body or body[0] == "^" or any(c in "\\-[" for c in body):
                return None
            options = list(dict.fromkeys(body))
            i = close + 1
        elif char in _SPECIAL:
            return None
        else:
            options = [char]
            i += 1
        if i < len(branch) and branch[i] == "?":
            options = [*options, ""]
            i += 1
        variants = [v + o for v in variants for o in options]
        if len(variants) > _MAX_EXPANSIONS:
            return None
    return variants


def required_words(token: str) -> list[frozenset[str]] | None:
    """For each top-level alternative of a pattern token, words every match must contain.

    Only words that the pattern spells out literally and whose both ends are certain word
    ends (a space, ``\\s``, ``\\s+``, ``\\b``, an anchor, punctuation, or the token's own
    start or end, which Vale's template bounds with ``\\b``) count. None when some
    alternative names no such word.
    """
    found: list[frozenset[str]] = []
    for branch in _split_top(token):
        words = _branch_words(branch)
        if not words:
            return None
        found.append(frozenset(words))
    return found


def _branch_words(branch: str) -> set[str]:
    reader = _WordReader(branch)
    reader.read()
    return reader.words


class _WordReader:
    """Collects the literal words of one alternative whose both ends are certain."""

    def __init__(self, branch: str) -> None:
        self.branch = branch
        self.words: set[str] = set()
        self.run: list[str] = []
        self.left = True  # the current run starts at a certain word boundary

    def close(self, right: bool) -> None:
        text = "".join(self.run)
        for match in _WORD.finditer(text):
            if (match.start() > 0 or self.left) and (match.end() < len(text) or right):
                self.words.add(match.group())
        self.run = []

    def uncertain(self) -> None:
        self.close(False)
        self.left = False

    def read(self) -> None:
        branch, i = self.branch, 0
        while i < len(branch):
            i = self.step(i)
        self.close(True)

    def step(self, i: int) -> int:
        branch = self.branch
        char = branch[i]
        after = branch[i + 1] if i + 1 < len(branch) else ""
        flags = _INLINE_FLAGS.match(branch, i)
        if flags is not None:
            return flags.end()  # (?i) and friends match nothing
        if char in "([":
            self.uncertain()
            return _skip_group(branch, i)
        if char == "\\" and after:
            return self.escape(i, after)
        if char in _QUANTIFIERS or after in _QUANTIFIERS:
            # A quantified character (or the quantifier itself): nothing certain here.
            self.uncertain()
            if char == "{":
                return branch.find("}", i + 1) + 1 or len(branch)
            return i + 1
        if char in {"^", "$"}:
            self.close(True)
            self.left = True
        elif char in {".", "|", ")", "]"}:
            self.uncertain()
        else:
            self.run.append(char)
        return i + 1

    def escape(self, i: int, after: str) -> int:
        branch = self.branch
        nxt = branch[i + 2] if i + 2 < len(branch) else ""
        if after in {"s", "b"} and nxt not in _QUANTIFIERS - {"+"}:
            self.close(True)
            self.left = True
            return i + (3 if after == "s" and nxt == "+" else 2)
        if not after.isalnum() and nxt not in _QUANTIFIERS:
            self.run.append(after)
        else:
            self.uncertain()
        return i + 2


def _skip_group(branch: str, start: int) -> int:
    """Index after the group or class opening at ``start`` (nesting and escapes aware)."""
    if branch[start] == "[":
        end = branch.find("]", start + 2)
        return end + 1 if end > 0 else len(branch)
    depth = 0
    i = start
    while i < len(branch):
        if branch[i] == "\\":
            i += 2
            continue
        if branch[i] == "(":
            depth += 1
        elif branch[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(branch)
